//! Customer names: validation, script detection, and the folded tokens the in-memory name
//! index matches search prefixes against.

use std::borrow::Cow;

use super::field_error::FieldError;
use super::sanitize::sanitize_line;

pub const NAME_MAX_CHARS: usize = 80;

/// A name as stored: cleaned by [`sanitize_line`], 1 to [`NAME_MAX_CHARS`] characters.
pub fn normalize_name(input: &str) -> Result<String, FieldError> {
    let name = sanitize_line(input);
    let length = name.chars().count();
    if length == 0 {
        return Err(FieldError::new("name", "enter the customer's name"));
    }
    if length > NAME_MAX_CHARS {
        return Err(FieldError::new(
            "name",
            format!("use at most {NAME_MAX_CHARS} characters"),
        ));
    }
    Ok(name)
}

/// Han ideographs: the unified blocks (Extension A, and B onwards in planes 2 and 3), the
/// compatibility blocks, and the iteration marks used inside names (佐々木, 〇).
pub fn is_cjk_ideograph(c: char) -> bool {
    matches!(
        c,
        '\u{3005}'
            | '\u{3007}'
            | '\u{3400}'..='\u{4DBF}'
            | '\u{4E00}'..='\u{9FFF}'
            | '\u{F900}'..='\u{FAFF}'
            | '\u{20000}'..='\u{3FFFF}'
    )
}

/// Characters of scripts written without spaces between given and family name, whose names are
/// masked character by character: Han ideographs, Hiragana, Katakana and Hangul syllables.
pub fn is_cjk(c: char) -> bool {
    is_cjk_ideograph(c)
        || matches!(
            c,
            '\u{3040}'..='\u{309F}'      // Hiragana
                | '\u{30A0}'..='\u{30FF}' // Katakana
                | '\u{31F0}'..='\u{31FF}' // Katakana phonetic extensions
                | '\u{FF66}'..='\u{FF9F}' // halfwidth Katakana
                | '\u{AC00}'..='\u{D7AF}' // Hangul syllables
        )
}

/// Case-folds for matching: full Unicode lowercase, so `ÉMILE` finds `émile`.
pub fn fold(text: &str) -> String {
    text.to_lowercase()
}

/// Every folded token a prefix search should match for `name`: each word, the parts of a
/// hyphenated word, and the whole name without spaces when it has several words (so `欧阳`
/// finds `欧阳娜娜`, and `王小` finds `王 小明`). No duplicates, in a stable order.
pub fn search_tokens(name: &str) -> Vec<String> {
    let folded = fold(&sanitize_line(name));
    let mut tokens: Vec<String> = Vec::new();
    let mut add = |token: &str| {
        if !token.is_empty() && !tokens.iter().any(|known| known == token) {
            tokens.push(token.to_owned());
        }
    };
    let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    for word in &words {
        add(word);
        if word.contains('-') {
            word.split('-').for_each(&mut add);
        }
    }
    if words.len() > 1 {
        add(&words.concat());
    }
    for key in pinyin_keys(name) {
        if key.whole_allowed {
            add(&key.text);
        } else {
            add(&format!("{MANAGER_ONLY_MARK}{}", key.text));
        }
    }
    tokens
}

/// Starts the index tokens that a role seeing names masked never finds by (given-name
/// readings and initials, see [`pinyin_query_within_mask`]). Kept apart in the index so they
/// cannot crowd such a search's candidates: at a million members `chen` is the whole given
/// name of a thousand `…晨`, all refused, before the first `陈…`. A control character, so no
/// typed query (cleaned by [`fold_query`]) ever starts with it.
pub const MANAGER_ONLY_MARK: char = '\u{1}';

/// Compound surnames, read as a unit (`尉迟` is `yuchi`, not the default `weichi`), so a
/// name starting with one splits after it into surname and given name.
const COMPOUND_SURNAMES: &[(&str, [&str; 2])] = &[
    ("欧阳", ["ou", "yang"]),
    ("司马", ["si", "ma"]),
    ("上官", ["shang", "guan"]),
    ("诸葛", ["zhu", "ge"]),
    ("东方", ["dong", "fang"]),
    ("皇甫", ["huang", "fu"]),
    ("慕容", ["mu", "rong"]),
    ("令狐", ["ling", "hu"]),
    ("司徒", ["si", "tu"]),
    ("尉迟", ["yu", "chi"]),
    ("长孙", ["zhang", "sun"]),
    ("公孙", ["gong", "sun"]),
    ("夏侯", ["xia", "hou"]),
    ("宇文", ["yu", "wen"]),
    ("端木", ["duan", "mu"]),
    ("南宫", ["nan", "gong"]),
    ("西门", ["xi", "men"]),
    ("独孤", ["du", "gu"]),
    ("呼延", ["hu", "yan"]),
    ("轩辕", ["xuan", "yuan"]),
    ("澹台", ["tan", "tai"]),
    ("万俟", ["mo", "qi"]),
    ("钟离", ["zhong", "li"]),
    ("申屠", ["shen", "tu"]),
];

/// Surnames whose reading as a surname is not the character's everyday (default) reading:
/// `曾国藩` is looked up as `zeng`, though `曾` alone reads `ceng` first. Only the surname
/// position uses these; other heteronyms in a name are indexed by their default reading, one
/// key per name, which keeps the index small (see `NameIndex`).
const SURNAME_READINGS: &[(char, &str)] = &[
    ('曾', "zeng"),
    ('单', "shan"),
    ('解', "xie"),
    ('仇', "qiu"),
    ('区', "ou"),
    ('朴', "piao"),
    ('查', "zha"),
    ('翟', "zhai"),
    ('盖', "ge"),
    ('缪', "miao"),
    ('乐', "yue"),
    ('覃', "qin"),
    ('种', "chong"),
    ('秘', "bi"),
    ('召', "shao"),
    ('员', "yun"),
    ('句', "gou"),
    ('折', "she"),
    ('华', "hua"),
    ('任', "ren"),
    ('沈', "shen"),
    ('藏', "zang"),
    ('重', "chong"),
    ('黑', "he"),
    ('宿', "su"),
    ('长', "chang"),
    ('尉', "wei"),
    ('燕', "yan"),
    ('纪', "ji"),
    ('石', "shi"),
    ('薄', "bo"),
    ('柏', "bai"),
    ('隗', "wei"),
    ('贲', "ben"),
];

/// One pinyin key of a Chinese name for the in-memory name index, with what of it a role
/// that sees names masked may match (see [`pinyin_query_within_mask`]).
///
/// Pinyin keys say as much as the name itself, so they exist only in memory: never sealed,
/// never written to the store, never logged.
#[derive(Clone, PartialEq, Eq)]
pub struct PinyinKey {
    /// Lower-case ASCII; `ü` is written `v`, as pinyin keyboards take it (`吕` → `lv`).
    pub text: String,
    /// Bytes at the start of `text` that only spell what the mask shows (the first
    /// character's reading, or its initial); a masked search may match any prefix of these.
    pub shown: usize,
    /// Whether typing all of `text` may find the name although the mask hides part of it:
    /// true for the full reading of a word or of the whole name (as typing the whole name in
    /// characters does), false for keys that spell out a hidden part bit by bit.
    pub whole_allowed: bool,
}

/// A key spells the name, so its bytes are wiped rather than left in freed memory.
impl Drop for PinyinKey {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.text);
    }
}

impl std::fmt::Debug for PinyinKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PinyinKey(..)")
    }
}

/// The default reading of a Han character, plain (no tones), `ü` as `v`.
/// Borrowed from the crate's table unless it has a `ü`: the index build reads a million
/// names at unlock, so most syllables cost no allocation.
fn reading(c: char) -> Option<Syllable> {
    use pinyin::ToPinyin;
    let plain = c.to_pinyin()?.plain();
    Some(if plain.contains('ü') {
        Cow::Owned(plain.replace('ü', "v"))
    } else {
        Cow::Borrowed(plain)
    })
}

type Syllable = Cow<'static, str>;

/// Where a word of a name stands, which decides whether it starts with a surname.
#[derive(Clone, Copy, PartialEq, Eq)]
enum WordRole {
    /// The whole name in one word (`陈小明`): a surname, then the given name.
    WholeName,
    /// The first of several words (`王 小明`): all of it is the surname.
    Surname,
    /// A later word: no surname in it.
    Other,
}

/// The syllables of a word of Han characters and how many of them are the surname; `None`
/// when any character has no reading (kana, rare ideographs), since part of a reading would
/// find the wrong people.
fn word_syllables(word: &str, role: WordRole) -> Option<(Vec<Syllable>, usize)> {
    let chars: Vec<char> = word.chars().collect();
    if chars.is_empty() || !chars.iter().all(|&c| is_cjk_ideograph(c)) {
        return None;
    }
    let mut syllables = Vec::with_capacity(chars.len());
    let compound = COMPOUND_SURNAMES
        .iter()
        .find(|(surname, _)| word.starts_with(surname));
    let surname_chars = match (role, compound) {
        // A two-character name that looks like a compound surname is more likely a surname
        // and a given name; both read the same anyway.
        (WordRole::WholeName, Some(_)) if chars.len() <= 2 => 1,
        (WordRole::WholeName | WordRole::Surname, Some((_, reading))) => {
            syllables.extend(reading.iter().map(|s| Cow::Borrowed(*s)));
            2
        }
        (WordRole::WholeName, None) if chars.len() > 1 => 1,
        (WordRole::Surname, None) => 1,
        _ => 0,
    };
    if surname_chars == 1 {
        let known = SURNAME_READINGS.iter().find(|(c, _)| *c == chars[0]);
        syllables.push(match known {
            Some((_, reading)) => Cow::Borrowed(*reading),
            None => reading(chars[0])?,
        });
    }
    for &c in &chars[surname_chars..] {
        syllables.push(reading(c)?);
    }
    Some((syllables, surname_chars))
}

/// The pinyin keys of `name`, for names written in Han characters: `陈小明` gives
/// `chenxiaoming` (the whole reading, so `chen`, `chenxiao` and `chen xiaoming` find it),
/// `xiaoming` (the given name) and `cxm` (the initials). A name in several words gives the
/// reading of each Han word and of them together; Latin words give none (they are their
/// own tokens already). Empty for names without Han characters.
pub fn pinyin_keys(name: &str) -> Vec<PinyinKey> {
    let folded = fold(&sanitize_line(name));
    if !folded.chars().any(is_cjk_ideograph) {
        return Vec::new();
    }
    let words: Vec<&str> = folded.split(' ').filter(|w| !w.is_empty()).collect();
    let all_chars: usize = words.iter().map(|w| w.chars().count()).sum();
    // The mask shows the first character when there are several (`陈**`).
    let first_shown = all_chars > 1;
    let shown_of = |syllables: &[Syllable], shows: bool| {
        if shows {
            syllables.first().map_or(0, |syllable| syllable.len())
        } else {
            0
        }
    };
    let mut keys = Vec::new();
    let mut whole: Option<Vec<Syllable>> = Some(Vec::new());
    for (index, word) in words.iter().enumerate() {
        let role = match (index, words.len()) {
            (0, 1) => WordRole::WholeName,
            (0, _) => WordRole::Surname,
            _ => WordRole::Other,
        };
        let Some((syllables, surname_chars)) = word_syllables(word, role) else {
            whole = None;
            continue;
        };
        let shows = index == 0 && first_shown;
        keys.push(PinyinKey {
            text: syllables.concat(),
            shown: shown_of(&syllables, shows),
            whole_allowed: true,
        });
        if role == WordRole::WholeName && surname_chars > 0 && syllables.len() > surname_chars {
            keys.push(PinyinKey {
                text: syllables[surname_chars..].concat(),
                shown: 0,
                whole_allowed: false,
            });
        }
        if let Some(whole) = whole.as_mut() {
            whole.extend(syllables);
        }
    }
    if let Some(whole) = whole.filter(|w| !w.is_empty()) {
        if words.len() > 1 {
            keys.push(PinyinKey {
                text: whole.concat(),
                shown: shown_of(&whole, first_shown),
                whole_allowed: true,
            });
        }
        if whole.len() > 1 {
            keys.push(PinyinKey {
                text: whole
                    .iter()
                    .filter_map(|syllable| syllable.chars().next())
                    .collect(),
                shown: usize::from(first_shown),
                whole_allowed: false,
            });
        }
    }
    // `ü` is also written `yu` (`吕` as `Lyu` on passports and cards), so readings with it get
    // that spelling too. Plain pinyin has no other `v`, so the swap is exact.
    let spelled_yu: Vec<PinyinKey> = keys
        .iter()
        .filter(|key| key.text.contains('v'))
        .map(|key| PinyinKey {
            text: key.text.replace('v', "yu"),
            shown: key.text[..key.shown].replace('v', "yu").len(),
            whole_allowed: key.whole_allowed,
        })
        .collect();
    keys.extend(spelled_yu);
    keys
}

/// Whether a search typed in pinyin by a role that sees names masked may find `name`.
///
/// Decided like [`crate::domain::masking::name_query_within_mask`] for characters: the
/// whole reading of the name or of a word is allowed (typing `chenxiaoming` is typing the
/// name), and so is any prefix of what the mask shows (`chen`, `c` for `陈**`). Given-name
/// readings and initials beyond the first are refused even when typed whole: `cxm` has only
/// 26 possibilities per hidden character, so trying `cx`, `cy`, … would spell out, letter by
/// letter, what the mask hides; a manager, who sees names, finds by every key.
pub fn pinyin_query_within_mask(name: &str, folded_query: &str) -> bool {
    if folded_query.is_empty() {
        return false;
    }
    pinyin_keys(name).iter().any(|key| {
        (key.whole_allowed && key.text == folded_query)
            || key
                .text
                .get(..key.shown)
                .is_some_and(|visible| visible.starts_with(folded_query))
    })
}

/// A search box entry made comparable with [`search_tokens`]: cleaned, folded and trimmed. A
/// query written only in CJK loses its inner spaces, since those names are indexed unspaced.
pub fn fold_query(query: &str) -> String {
    let folded = fold(&sanitize_line(query));
    if !folded.is_empty() && folded.chars().all(|c| c == ' ' || is_cjk(c)) {
        folded.replace(' ', "")
    } else {
        folded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned_and_bounded() {
        assert_eq!(
            normalize_name("  John\u{202E}  Smith ").unwrap(),
            "John Smith"
        );
        assert_eq!(normalize_name("欧阳娜娜").unwrap(), "欧阳娜娜");
        assert!(normalize_name(" \u{200B}\t").is_err());
        assert!(normalize_name(&"a".repeat(80)).is_ok());
        let error = normalize_name(&"a".repeat(81)).unwrap_err();
        assert_eq!(error.field(), "name");
        assert!(!error.to_string().contains("aaa"));
    }

    #[test]
    fn cjk_covers_han_kana_and_hangul_but_not_latin() {
        for c in ['张', '欧', '㐀', '𠀀', '豈', 'あ', 'カ', '한', '々'] {
            assert!(is_cjk(c), "{c}");
        }
        for c in ['a', 'É', '1', ' ', 'Я', '·'] {
            assert!(!is_cjk(c), "{c}");
        }
        assert!(!is_cjk_ideograph('あ'));
    }

    #[test]
    fn fold_is_full_unicode_lowercase() {
        assert_eq!(fold("ÉMILE Zoë"), "émile zoë");
        assert_eq!(fold("ΣΟΦΙΑ"), "σοφια");
    }

    #[test]
    fn tokens_cover_each_word_and_the_whole_name() {
        assert_eq!(search_tokens("Li Wei"), ["li", "wei", "liwei"]);
        assert_eq!(
            search_tokens("欧阳娜娜"),
            ["欧阳娜娜", "ouyangnana", "\u{1}nana", "\u{1}oynn"]
        );
        assert_eq!(search_tokens("Madonna"), ["madonna"]);
        assert_eq!(
            search_tokens("王 小明"),
            [
                "王",
                "小明",
                "王小明",
                "wang",
                "xiaoming",
                "wangxiaoming",
                "\u{1}wxm"
            ]
        );
        assert_eq!(
            search_tokens("Jean-Luc Picard"),
            ["jean-luc", "jean", "luc", "picard", "jean-lucpicard"]
        );
        assert_eq!(search_tokens("Anna anna"), ["anna", "annaanna"]);
        assert!(search_tokens(" \u{200B} ").is_empty());
    }

    #[test]
    fn typed_queries_never_reach_the_manager_only_tokens() {
        assert_eq!(fold_query("\u{1}cxm"), "cxm");
        let marked = search_tokens("陈小明")
            .into_iter()
            .filter(|token| token.starts_with(MANAGER_ONLY_MARK))
            .count();
        assert_eq!(marked, 2);
    }

    #[test]
    fn cjk_prefixes_match_the_whole_name() {
        let tokens = search_tokens("欧阳娜娜");
        let query = fold_query(" 欧 阳 ");
        assert_eq!(query, "欧阳");
        assert!(tokens.iter().any(|t| t.starts_with(&query)));
    }

    #[test]
    fn latin_queries_keep_their_inner_spaces() {
        assert_eq!(fold_query("  John   SM\u{200B} "), "john sm");
        assert_eq!(fold_query(""), "");
    }

    fn texts(name: &str) -> Vec<String> {
        pinyin_keys(name)
            .iter()
            .map(|key| key.text.clone())
            .collect()
    }

    fn finds(name: &str, query: &str) -> bool {
        let query: String = fold_query(query).split_whitespace().collect();
        let marked = format!("{MANAGER_ONLY_MARK}{query}");
        search_tokens(name)
            .iter()
            .any(|token| token.starts_with(&query) || token.starts_with(&marked))
    }

    #[test]
    fn chinese_names_are_found_by_full_pinyin_given_name_and_initials() {
        assert_eq!(texts("陈小明"), ["chenxiaoming", "xiaoming", "cxm"]);
        for query in [
            "chen",
            "xiaoming",
            "chen xiaoming",
            "chenxiaoming",
            "cxm",
            "CXM",
            "Chen Xiaoming",
            "xiao",
            "cx",
        ] {
            assert!(finds("陈小明", query), "{query}");
        }
        for query in ["ming", "xm", "chenming"] {
            assert!(!finds("陈小明", query), "{query}");
        }
        // Spaces in the query are dropped, so `c x m` is `cxm`.
        assert!(finds("陈小明", "c x m"));
    }

    #[test]
    fn surnames_take_their_surname_reading() {
        assert_eq!(texts("曾国藩"), ["zengguofan", "guofan", "zgf"]);
        assert_eq!(texts("单田芳")[0], "shantianfang");
        assert_eq!(texts("欧阳娜娜"), ["ouyangnana", "nana", "oynn"]);
        assert_eq!(texts("尉迟恭"), ["yuchigong", "gong", "ycg"]);
        // Written apart, the first word is the surname, read as one.
        assert_eq!(texts("尉迟 恭"), ["yuchi", "gong", "yuchigong", "ycg"]);
        // A two-character name is a surname and a given name.
        assert_eq!(texts("王伟"), ["wangwei", "wei", "ww"]);
        // One character: its reading, no initials.
        assert_eq!(texts("张"), ["zhang"]);
    }

    #[test]
    fn u_umlaut_is_typed_as_v_or_yu() {
        assert_eq!(texts("吕伟"), ["lvwei", "wei", "lw", "lyuwei"]);
        assert_eq!(texts("吕女"), ["lvnv", "nv", "ln", "lyunyu", "nyu"]);
        assert!(pinyin_query_within_mask("吕伟", "lyu"));
        assert!(pinyin_query_within_mask("吕伟", "lyuwei"));
        assert!(!pinyin_query_within_mask("吕伟", "lyuw"));
    }

    #[test]
    fn names_without_han_characters_have_no_pinyin() {
        assert!(texts("John Smith").is_empty());
        assert!(texts("さくら").is_empty());
        assert!(texts("김민준").is_empty());
        // Only the Han words of a mixed name are read; no whole-name keys.
        assert_eq!(texts("Lily 王"), ["wang"]);
        // A word with a character that has no reading is left out whole.
        assert_eq!(texts("佐々木"), Vec::<String>::new());
    }

    #[test]
    fn pinyin_keys_debug_shows_nothing() {
        let keys = pinyin_keys("陈小明");
        let text = format!("{keys:?}");
        assert!(!text.contains("chen") && !text.contains("cxm"), "{text}");
    }

    #[test]
    fn a_masked_pinyin_search_takes_the_whole_reading_and_what_the_mask_shows() {
        // Cashiers see `陈**`.
        let allowed = |query: &str| pinyin_query_within_mask("陈小明", query);
        for query in ["c", "ch", "chen", "chenxiaoming"] {
            assert!(allowed(query), "{query}");
        }
        // Reaching into the hidden characters, by reading or by initials, finds nothing.
        for query in [
            "chenx", "chenxiao", "xiaoming", "xiao", "cx", "cxm", "x", "",
        ] {
            assert!(!allowed(query), "{query}");
        }
        // Words written apart are whole words, as in characters (`娜娜` finds `欧阳 娜娜`).
        assert!(pinyin_query_within_mask("欧阳 娜娜", "nana"));
        assert!(pinyin_query_within_mask("欧阳 娜娜", "ouyangnana"));
        assert!(pinyin_query_within_mask("欧阳 娜娜", "ou"));
        assert!(!pinyin_query_within_mask("欧阳 娜娜", "ouy"));
        assert!(!pinyin_query_within_mask("欧阳 娜娜", "oynn"));
        // A one-character name shows nothing but is its own whole reading.
        assert!(pinyin_query_within_mask("张", "zhang"));
        assert!(!pinyin_query_within_mask("张", "zh"));
        assert!(!pinyin_query_within_mask("John Smith", "john"));
    }

    /// Whatever a masked pinyin search finds beyond a whole reading, the reading of the
    /// character the mask shows (or its initial) already spells.
    #[test]
    fn a_masked_pinyin_match_reveals_only_the_shown_character() {
        for (name, shown) in [
            ("陈小明", &["chen", "c"][..]),
            ("欧阳娜娜", &["ou", "o"][..]),
            ("曾国藩", &["zeng", "z"][..]),
            ("王 小明", &["wang", "w"][..]),
            ("吕女士", &["lv", "lyu", "l"][..]),
        ] {
            let keys = pinyin_keys(name);
            for key in &keys {
                let visible = &key.text[..key.shown];
                assert!(
                    visible.is_empty() || shown.contains(&visible),
                    "{name} {visible}"
                );
                for cut in 1..=key.text.len() {
                    let query = &key.text[..cut];
                    let whole = keys.iter().any(|k| k.whole_allowed && k.text == query);
                    if pinyin_query_within_mask(name, query) && !whole {
                        assert!(shown.iter().any(|s| s.starts_with(query)), "{name} {query}");
                    }
                }
            }
        }
    }
}
