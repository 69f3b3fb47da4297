//! What a cashier sees of a customer's personal fields (SPEC section 3). Everything works on
//! characters, never bytes, so a masked CJK name is never a split UTF-8 sequence.

use chrono::{Datelike, NaiveDate};

use super::name::{fold, is_cjk};
use super::phone::Phone;
use super::sanitize::sanitize_line;

const MASK: char = '*';

/// `张伟` → `张*`, `欧阳娜娜` → `欧***`, `张` → `*`; `John Smith` → `John S.`;
/// `Madonna` → `M***`. A name with any CJK character is masked character by character even
/// if it contains spaces (`王 小明` → `王**`), because the word rule would reveal most of it.
pub fn mask_name(name: &str) -> String {
    let name = name.trim();
    if name.chars().any(is_cjk) {
        let visible: Vec<char> = name.chars().filter(|c| !c.is_whitespace()).collect();
        return match visible.split_first() {
            Some((first, rest)) if !rest.is_empty() => std::iter::once(*first)
                .chain(rest.iter().map(|_| MASK))
                .collect(),
            Some(_) => MASK.to_string(),
            None => String::new(),
        };
    }
    let words: Vec<&str> = name.split_whitespace().collect();
    match words.as_slice() {
        [] => String::new(),
        [only] => match only.chars().next() {
            Some(initial) => format!("{initial}{MASK}{MASK}{MASK}"),
            None => String::new(),
        },
        [first, .., last] => match last.chars().next() {
            Some(initial) => format!("{first} {initial}."),
            None => (*first).to_owned(),
        },
    }
}

/// Whether a name search by a role that sees names masked may find `name`. The query is
/// folded with its spaces removed, as the name index compares it. It may be a whole token of
/// the name (the given name, the family name, the whole name) or a prefix of what
/// [`mask_name`] shows of one; never a prefix reaching into a hidden part, or searching letter
/// by letter would spell out what the mask hides.
pub fn name_query_within_mask(name: &str, folded_query: &str) -> bool {
    if folded_query.is_empty() {
        return false;
    }
    let folded = fold(&sanitize_line(name));
    let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    let mut tokens: Vec<(String, usize)> = Vec::new();
    let all_chars: usize = words.iter().map(|w| w.chars().count()).sum();
    if folded.chars().any(is_cjk) {
        // Only the first character shows, and only when there is more than one.
        let first_shown = usize::from(all_chars > 1);
        for (index, word) in words.iter().enumerate() {
            tokens.push(((*word).to_owned(), if index == 0 { first_shown } else { 0 }));
        }
        tokens.push((words.concat(), first_shown));
    } else {
        let last = words.len().saturating_sub(1);
        for (index, word) in words.iter().enumerate() {
            let shown = match (index, words.len()) {
                (0, 1) => 1,
                (0, _) => usize::MAX,
                (i, _) if i == last => 1,
                _ => 0,
            };
            tokens.push(((*word).to_owned(), shown));
            // Hyphenated parts: the first shows as far as its word does, later ones only
            // when the whole word shows.
            for (part_index, part) in word.split('-').enumerate() {
                let part_shown = if part_index == 0 || shown == usize::MAX {
                    shown
                } else {
                    0
                };
                tokens.push((part.to_owned(), part_shown));
            }
        }
        let whole_shown = match words.as_slice() {
            [only] => only.chars().count().min(1),
            [first, _] => first.chars().count() + 1,
            [first, ..] => first.chars().count(),
            [] => 0,
        };
        tokens.push((words.concat(), whole_shown));
    }
    tokens.iter().any(|(token, shown)| {
        token == folded_query || {
            let visible: String = token.chars().take(*shown).collect();
            visible.starts_with(folded_query)
        }
    })
}

/// `138****5678` for 10 or more national digits; `****5678` for 8 or 9; `****78` for 6 or 7
/// (where four would reveal more than half the number). The country code stays: `+86 138****5678`.
pub fn mask_phone(phone: &Phone) -> String {
    let national = phone.national();
    let count = national.len();
    // `national` is ASCII digits, so byte slicing is character slicing.
    let masked = if count >= 10 {
        format!("{}****{}", &national[..3], &national[count - 4..])
    } else if 4 * 2 <= count {
        format!("****{}", &national[count - 4..])
    } else {
        format!("****{}", &national[count.saturating_sub(2)..])
    };
    match phone.country_code() {
        Some(code) => format!("+{code} {masked}"),
        None => masked,
    }
}

/// `john@example.com` → `j***@example.com`. Without an `@` (never true of a normalised address)
/// nothing is revealed.
pub fn mask_email(email: &str) -> String {
    match email.rsplit_once('@') {
        Some((local, domain)) => {
            let initial: String = local.chars().take(1).collect();
            format!("{initial}***@{domain}")
        }
        None => "***".to_owned(),
    }
}

/// Same length: first two, then `*`, then the last one (`苏A12345` → `苏A****5`); plates of
/// three characters or fewer are all `*`.
pub fn mask_plate(plate: &str) -> String {
    let chars: Vec<char> = plate.chars().collect();
    let count = chars.len();
    if count <= 3 {
        return MASK.to_string().repeat(count);
    }
    chars
        .iter()
        .enumerate()
        .map(|(index, c)| {
            if index < 2 || index == count - 1 {
                *c
            } else {
                MASK
            }
        })
        .collect()
}

/// The only thing a cashier learns about a birthday.
pub fn birthday_this_month(birthday: NaiveDate, today: NaiveDate) -> bool {
    birthday.month() == today.month()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names() {
        for (name, masked) in [
            ("张伟", "张*"),
            ("欧阳娜娜", "欧***"),
            ("司马相如", "司***"),
            ("张", "*"),
            ("王 小明", "王**"),
            ("佐々木", "佐**"),
            ("김민준", "김**"),
            ("John Smith", "John S."),
            ("Mary Ann van Dyke", "Mary D."),
            ("  John   Smith ", "John S."),
            ("Émile Zoë", "Émile Z."),
            ("Madonna", "M***"),
            ("X", "X***"),
            ("", ""),
            ("   ", ""),
        ] {
            assert_eq!(mask_name(name), masked, "{name}");
        }
    }

    #[test]
    fn phones() {
        for (input, masked) in [
            ("13812345678", "138****5678"),
            ("+86 13812345678", "+86 138****5678"),
            ("(604) 555-1234", "604****1234"),
            ("+1 604 555 1234", "+1 604****1234"),
            ("+852 9123 4567", "+852 ****4567"),
            ("+886 912 345 678", "+886 ****5678"),
            ("1234567", "****67"),
            ("123456", "****56"),
            ("12345678901234", "123****1234"),
        ] {
            let phone = Phone::parse(input).unwrap();
            assert_eq!(mask_phone(&phone), masked, "{input}");
        }
    }

    #[test]
    fn emails() {
        assert_eq!(mask_email("john@example.com"), "j***@example.com");
        assert_eq!(mask_email("张伟@例子.中国"), "张***@例子.中国");
        assert_eq!(mask_email("a@b.ca"), "a***@b.ca");
        assert_eq!(mask_email("not-an-address"), "***");
    }

    #[test]
    fn plates() {
        for (plate, masked) in [
            ("苏A12345", "苏A****5"),
            ("苏AD12345", "苏A*****5"),
            ("ABC123", "AB***3"),
            ("CKRT123", "CK****3"),
            ("AB12", "AB*2"),
            ("AB1", "***"),
            ("AB", "**"),
            ("", ""),
        ] {
            assert_eq!(mask_plate(plate), masked, "{plate}");
        }
    }

    #[test]
    fn birthdays() {
        let today = NaiveDate::from_ymd_opt(2025, 3, 14).unwrap();
        let march = NaiveDate::from_ymd_opt(1990, 3, 31).unwrap();
        let april = NaiveDate::from_ymd_opt(1990, 4, 1).unwrap();
        let leap_day = NaiveDate::from_ymd_opt(2000, 2, 29).unwrap();
        assert!(birthday_this_month(march, today));
        assert!(!birthday_this_month(april, today));
        assert!(birthday_this_month(
            leap_day,
            NaiveDate::from_ymd_opt(2025, 2, 1).unwrap()
        ));
    }

    /// How many non-space characters of `original` appear in `masked`, counted as a multiset.
    fn revealed(original: &str, masked: &str) -> usize {
        let mut pool: Vec<char> = original.chars().filter(|c| !c.is_whitespace()).collect();
        masked
            .chars()
            .filter(|c| match pool.iter().position(|p| p == c) {
                Some(index) => {
                    pool.swap_remove(index);
                    true
                }
                None => false,
            })
            .count()
    }

    fn cjk_name() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                proptest::char::range('\u{4E00}', '\u{9FFF}'),
                proptest::char::range('\u{AC00}', '\u{D7AF}')
            ],
            1..6,
        )
        .prop_map(|chars| chars.into_iter().collect())
    }

    fn latin_name() -> impl Strategy<Value = Vec<String>> {
        proptest::collection::vec("[A-Za-zÀ-ÿ]{1,10}", 1..5)
    }

    #[test]
    fn masked_name_search_takes_whole_tokens_and_what_the_mask_shows() {
        let allowed = |name: &str, query: &str| name_query_within_mask(name, query);
        // Cashiers see "Zebulon Q.".
        for query in [
            "zebulon",
            "zeb",
            "z",
            "zebulonq",
            "q",
            "quinby",
            "zebulonquinby",
        ] {
            assert!(allowed("Zebulon Quinby", query), "{query}");
        }
        for query in ["qu", "quin", "zebulonqu", "zebulonquin", ""] {
            assert!(!allowed("Zebulon Quinby", query), "{query}");
        }
        // Middle names are hidden entirely: only the whole word finds them.
        assert!(allowed("Mary Ann van Dyke", "ann"));
        assert!(!allowed("Mary Ann van Dyke", "an"));
        assert!(allowed("Mary Ann van Dyke", "mary"));
        assert!(!allowed("Mary Ann van Dyke", "marya"));
        // One word shows one letter.
        assert!(allowed("Madonna", "m"));
        assert!(!allowed("Madonna", "ma"));
        assert!(allowed("Madonna", "madonna"));
        // Hyphens: a shown word shows its parts; a family name shows its initial.
        assert!(allowed("Mary-Jane Smith-Jones", "jane"));
        assert!(allowed("Mary-Jane Smith-Jones", "ja"));
        assert!(allowed("Mary-Jane Smith-Jones", "jones"));
        assert!(!allowed("Mary-Jane Smith-Jones", "jo"));
        assert!(!allowed("Mary-Jane Smith-Jones", "sm"));
        // CJK: the first character, or the whole name.
        assert!(allowed("王小明", "王"));
        assert!(allowed("王小明", "王小明"));
        assert!(!allowed("王小明", "王小"));
        // A one-character name shows nothing, but is its own whole token.
        assert!(allowed("张", "张"));
        assert!(!allowed("欧阳 娜娜", "娜"));
        assert!(allowed("欧阳 娜娜", "娜娜"));
        assert!(allowed("欧阳 娜娜", "欧阳娜娜"));
    }

    proptest! {
        /// Whatever a masked search matches beyond whole tokens, the masked name shows.
        #[test]
        fn a_masked_search_match_reveals_nothing_the_mask_hides(
            words in latin_name(),
            cut in 1usize..30,
        ) {
            let name = words.join(" ");
            let folded = fold(&name);
            let whole: String = folded.split(' ').collect();
            let query: String = whole.chars().take(cut).collect();
            let tokens: Vec<String> = folded.split(' ').map(str::to_owned).collect();
            if name_query_within_mask(&name, &query) && !tokens.contains(&query) && query != whole {
                let shown: String = fold(&mask_name(&name))
                    .chars()
                    .filter(|c| !matches!(c, ' ' | '*' | '.'))
                    .collect();
                prop_assert!(shown.starts_with(&query), "{name:?} {query:?} shown {shown:?}");
            }
        }

        #[test]
        fn cjk_names_reveal_only_the_first_of_several_characters(name in cjk_name()) {
            let masked = mask_name(&name);
            let count = name.chars().count();
            prop_assert_eq!(masked.chars().count(), count);
            prop_assert!(revealed(&name, &masked) <= usize::from(count > 1));
            if count > 1 {
                prop_assert_eq!(masked.chars().next(), name.chars().next());
            }
            prop_assert!(!masked.contains(&name));
        }

        #[test]
        fn latin_names_reveal_the_first_word_and_one_initial_at_most(words in latin_name()) {
            let name = words.join(" ");
            let masked = mask_name(&name);
            let letters = name.chars().filter(|c| !c.is_whitespace()).count();
            let allowed = if words.len() == 1 { 1 } else { words[0].chars().count() + 1 };
            prop_assert!(revealed(&name, &masked) <= allowed);
            if words.len() == 1 {
                prop_assert!(masked.ends_with("***"));
                prop_assert_eq!(masked.chars().count(), 4);
            } else {
                prop_assert_eq!(masked.chars().count(), words[0].chars().count() + 3);
            }
            if letters > allowed {
                prop_assert!(!masked.contains(&name));
            }
        }

        #[test]
        fn plates_keep_their_length_and_reveal_three_at_most(
            plate in "[苏京粤沪]?[A-Z0-9]{1,9}",
        ) {
            let masked = mask_plate(&plate);
            let count = plate.chars().count();
            prop_assert_eq!(masked.chars().count(), count);
            let allowed = if count <= 3 { 0 } else { 3 };
            prop_assert!(masked.chars().filter(|c| *c != MASK).count() <= allowed);
            if count > allowed {
                prop_assert!(!masked.contains(&plate));
            }
        }

        #[test]
        fn phones_reveal_seven_digits_at_most_and_never_more_than_half_of_short_ones(
            code in proptest::option::of("[1-9][0-9]{0,2}"),
            national in "[0-9]{6,12}",
        ) {
            let input = match &code {
                Some(code) => format!("+{code} {national}"),
                None => national.clone(),
            };
            let Ok(phone) = Phone::parse(&input) else { return Ok(()); };
            let masked = mask_phone(&phone);
            let national_part = masked.rsplit(' ').next().unwrap_or_default();
            let shown: String = national_part.chars().filter(char::is_ascii_digit).collect();
            let count = phone.national().len();
            let allowed = if count >= 10 { 7 } else if count >= 8 { 4 } else { 2 };
            prop_assert!(shown.len() <= allowed);
            prop_assert!(shown.len() * 2 <= count || count >= 10);
            prop_assert!(!masked.contains(phone.national()));
            prop_assert!(phone.national().ends_with(&shown[shown.len().saturating_sub(2)..]));
        }
    }
}
