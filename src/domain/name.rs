//! Customer names: validation, script detection, and the folded tokens the in-memory name
//! index matches search prefixes against.

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
    tokens
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
        assert_eq!(search_tokens("欧阳娜娜"), ["欧阳娜娜"]);
        assert_eq!(search_tokens("Madonna"), ["madonna"]);
        assert_eq!(search_tokens("王 小明"), ["王", "小明", "王小明"]);
        assert_eq!(
            search_tokens("Jean-Luc Picard"),
            ["jean-luc", "jean", "luc", "picard", "jean-lucpicard"]
        );
        assert_eq!(search_tokens("Anna anna"), ["anna", "annaanna"]);
        assert!(search_tokens(" \u{200B} ").is_empty());
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
}
