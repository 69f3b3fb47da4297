//! Licence plates, normalised so that `苏A·12345`, `苏a 12345` and `苏A-12345` are one plate (and
//! one blind-index entry).

use super::field_error::FieldError;
use super::name::is_cjk_ideograph;
use super::sanitize::sanitize_line;

pub const PLATE_MIN_CHARS: usize = 2;
pub const PLATE_MAX_CHARS: usize = 10;
const FIELD: &str = "plate";

/// Uppercases ASCII letters (full-width letters and digits count as ASCII), drops spaces,
/// hyphens, dots and middle dots, then requires 2 to 10 characters, each an ASCII letter or
/// digit or a Han ideograph (province abbreviations such as 苏, 京, 粤 and suffixes such as 学, 警,
/// 挂, 领). The shape is not checked further, so any jurisdiction's plates fit.
pub fn normalize_plate(input: &str) -> Result<String, FieldError> {
    let mut plate = String::with_capacity(input.len());
    for c in sanitize_line(input).chars() {
        let c = to_ascii_if_fullwidth(c);
        match c {
            ' ' | '-' | '.' | '·' | '・' | '•' | '‧' | '－' | '．' => {}
            _ if c.is_ascii_alphanumeric() => plate.push(c.to_ascii_uppercase()),
            _ if is_cjk_ideograph(c) => plate.push(c),
            _ => {
                return Err(FieldError::new(
                    FIELD,
                    "use only letters, digits and Chinese characters \
                     (spaces, dashes and dots are ignored)",
                ));
            }
        }
    }
    let length = plate.chars().count();
    if !(PLATE_MIN_CHARS..=PLATE_MAX_CHARS).contains(&length) {
        return Err(FieldError::new(
            FIELD,
            format!(
                "a plate has {PLATE_MIN_CHARS} to {PLATE_MAX_CHARS} \
                 letters, digits or Chinese characters"
            ),
        ));
    }
    Ok(plate)
}

/// A normalised plate without its leading Han character (the province, `苏` in `苏A12345`),
/// as people say and type it: `A12345`. `None` when the plate does not start with one, or
/// when what is left would be too short to be a plate.
pub fn plate_without_province(normalized: &str) -> Option<&str> {
    let mut chars = normalized.chars();
    let first = chars.next()?;
    let tail = chars.as_str();
    (is_cjk_ideograph(first) && tail.chars().count() >= PLATE_MIN_CHARS).then_some(tail)
}

/// Full-width ASCII forms (U+FF01–U+FF5E), as typed with a CJK input method, to plain ASCII.
fn to_ascii_if_fullwidth(c: char) -> char {
    match u32::from(c) {
        code @ 0xFF01..=0xFF5E => char::from_u32(code - 0xFEE0).unwrap_or(c),
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chinese_plates() {
        assert_eq!(normalize_plate("苏A12345").unwrap(), "苏A12345");
        assert_eq!(normalize_plate("苏a·12345").unwrap(), "苏A12345");
        assert_eq!(normalize_plate(" 苏A-12345 ").unwrap(), "苏A12345");
        assert_eq!(normalize_plate("苏ＡＤ１２３４５").unwrap(), "苏AD12345");
        assert_eq!(normalize_plate("粤B 1234学").unwrap(), "粤B1234学");
        assert_eq!(normalize_plate("京A·F0236").unwrap(), "京AF0236");
        assert_eq!(normalize_plate("苏AD12345").unwrap().chars().count(), 8);
    }

    #[test]
    fn the_province_character_comes_off() {
        assert_eq!(plate_without_province("苏A12345"), Some("A12345"));
        assert_eq!(plate_without_province("粤B1234学"), Some("B1234学"));
        assert_eq!(plate_without_province("ABC123"), None);
        assert_eq!(plate_without_province("苏A"), None);
        assert_eq!(plate_without_province(""), None);
    }

    #[test]
    fn canadian_plates() {
        assert_eq!(normalize_plate("ABC 123").unwrap(), "ABC123");
        assert_eq!(normalize_plate("ckrt 123").unwrap(), "CKRT123");
        assert_eq!(normalize_plate("AB1-23C").unwrap(), "AB123C");
        assert_eq!(normalize_plate("ab.12").unwrap(), "AB12");
    }

    #[test]
    fn invisible_characters_are_dropped() {
        assert_eq!(normalize_plate("ABC\u{200B}123\u{202E}").unwrap(), "ABC123");
    }

    #[test]
    fn bad_plates_are_rejected_without_echoing_them() {
        for bad in [
            "",
            " - ",
            "A",
            "ABCDEFGHIJK",
            "ABC_123",
            "AB€12",
            "АВС123",
            "ABCあ12",
            "AB\n😀",
        ] {
            let error = normalize_plate(bad).expect_err(bad);
            assert_eq!(error.field(), "plate");
            if bad.len() >= 3 {
                assert!(!error.to_string().contains(bad), "{error}");
            }
        }
        assert!(normalize_plate("ABCDEFGHIJ").is_ok());
    }
}
