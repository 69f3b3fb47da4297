//! Email addresses, normalised so one mailbox has one blind-index entry. Only the shape is
//! checked; whether the mailbox exists is not the desk's business.

use super::field_error::FieldError;
use super::sanitize::is_unsafe_char;

pub const EMAIL_MAX_CHARS: usize = 254;
const LOCAL_MAX_CHARS: usize = 64;
const FIELD: &str = "email";
const SHAPE: &str = "enter an address like name@example.com";

/// Trimmed and lowercased; exactly one `@`, a non-empty local part, a domain of dot-separated
/// non-empty labels, no spaces, quotes, brackets or invisible characters, at most 254 characters.
pub fn normalize_email(input: &str) -> Result<String, FieldError> {
    let email = input.trim().to_lowercase();
    if email.is_empty() {
        return Err(FieldError::new(FIELD, SHAPE));
    }
    if email.chars().count() > EMAIL_MAX_CHARS {
        return Err(FieldError::new(
            FIELD,
            format!("an address has at most {EMAIL_MAX_CHARS} characters"),
        ));
    }
    if email
        .chars()
        .any(|c| c.is_whitespace() || is_unsafe_char(c) || "\"(),:;<>[\\]".contains(c))
    {
        return Err(FieldError::new(
            FIELD,
            format!("remove spaces, quotes, brackets and commas; {SHAPE}"),
        ));
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err(FieldError::new(FIELD, format!("the @ is missing; {SHAPE}")));
    };
    if domain.contains('@') {
        return Err(FieldError::new(
            FIELD,
            format!("use exactly one @; {SHAPE}"),
        ));
    }
    if local.is_empty() || local.chars().count() > LOCAL_MAX_CHARS {
        return Err(FieldError::new(
            FIELD,
            format!("the part before the @ must have 1 to {LOCAL_MAX_CHARS} characters"),
        ));
    }
    if !domain.contains('.') || domain.split('.').any(str::is_empty) {
        return Err(FieldError::new(
            FIELD,
            "the part after the @ must be a domain such as example.com",
        ));
    }
    Ok(email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_trimmed_and_lowercased() {
        assert_eq!(
            normalize_email("  John.Smith@Example.COM ").unwrap(),
            "john.smith@example.com"
        );
        assert_eq!(
            normalize_email("a+wash@mail.example.ca").unwrap(),
            "a+wash@mail.example.ca"
        );
        assert_eq!(normalize_email("张伟@例子.中国").unwrap(), "张伟@例子.中国");
    }

    #[test]
    fn malformed_addresses_are_rejected_without_echoing_them() {
        for bad in [
            "",
            "   ",
            "john",
            "john@",
            "@example.com",
            "john@example",
            "john@@example.com",
            "john@ex@ample.com",
            "john smith@example.com",
            "john@example..com",
            "john@.example.com",
            "john@example.com.",
            "john\u{200B}@example.com",
            "john\u{1B}@example.com",
            "\"john\"@example.com",
            "<john@example.com>",
            "a@b.c,d@e.f",
        ] {
            let error = normalize_email(bad).expect_err(bad);
            assert_eq!(error.field(), "email");
            if bad.trim().len() >= 4 {
                assert!(!error.to_string().contains(bad.trim()), "{error}");
            }
        }
    }

    #[test]
    fn length_limits() {
        let local = "a".repeat(64);
        let domain = format!("{}.com", "b".repeat(185));
        let longest = format!("{local}@{domain}");
        assert_eq!(longest.len(), 254);
        assert!(normalize_email(&longest).is_ok());
        assert!(normalize_email(&format!("{local}@b{domain}")).is_err());
        assert!(normalize_email(&format!("a{local}@example.com")).is_err());
    }
}
