//! The error every personal-field rule returns. It names the field and says what to enter, and
//! never repeats the rejected value, which is personal data and could reach a screen or a log.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    field: &'static str,
    reason: String,
}

impl FieldError {
    /// `reason` must describe the problem without quoting the input.
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self {
            field,
            reason: reason.into(),
        }
    }

    /// The field's stable name (`phone`, `email`, `plate`, `name`), for highlighting a form field.
    pub fn field(&self) -> &'static str {
        self.field
    }

    pub fn reason(&self) -> &str {
        &self.reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_the_field_then_the_reason() {
        let error = FieldError::new("phone", "enter 6 to 14 digits");
        assert_eq!(error.to_string(), "phone: enter 6 to 14 digits");
        assert_eq!(error.field(), "phone");
    }
}
