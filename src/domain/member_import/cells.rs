//! One cell at a time: each column's value checked by the rules the member form uses, cleaned
//! of anything that could drive a terminal, and formula-looking text made inert. Errors name
//! the column and say what to enter; like [`FieldError`], they never repeat the cell.

use chrono::{Datelike, NaiveDate};

use super::Column;
use crate::domain::email::normalize_email;
use crate::domain::field_error::FieldError;
use crate::domain::name::normalize_name;
use crate::domain::phone::Phone;
use crate::domain::plate::normalize_plate;
use crate::domain::sanitize::{neutralise_formula, sanitize_line, sanitize_multiline};
use crate::domain::vehicle::VehicleKind;

/// The longest notes the member form accepts.
pub const NOTES_MAX_CHARS: usize = 2000;
/// More opening points than any real balance: a larger number is a wrong column.
pub const OPENING_POINTS_MAX: i64 = 100_000_000;
/// Birthdays before this year are typing mistakes (a two-digit year, say).
const BIRTH_YEAR_MIN: i32 = 1900;

fn error(column: Column, reason: impl Into<String>) -> FieldError {
    FieldError::new(column.header(), reason)
}

/// A name as the member form stores it; a leading `= + - @` is made inert.
pub(super) fn name(cell: &str) -> Result<String, FieldError> {
    normalize_name(&neutralise_formula(&sanitize_line(cell)))
}

pub(super) fn phone(cell: &str) -> Result<Option<Phone>, FieldError> {
    if sanitize_line(cell).is_empty() {
        return Ok(None);
    }
    Phone::parse(cell).map(Some)
}

pub(super) fn email(cell: &str) -> Result<Option<String>, FieldError> {
    if sanitize_line(cell).is_empty() {
        return Ok(None);
    }
    normalize_email(&sanitize_line(cell)).map(Some)
}

pub(super) fn plate(cell: &str) -> Result<Option<String>, FieldError> {
    if sanitize_line(cell).is_empty() {
        return Ok(None);
    }
    normalize_plate(cell).map(Some)
}

/// The app's vehicle words (`sedan`, `suv`, …) or the Chinese ones the desk shows.
pub(super) fn vehicle_kind(cell: &str) -> Result<Option<VehicleKind>, FieldError> {
    let text = sanitize_line(cell);
    if text.is_empty() {
        return Ok(None);
    }
    if let Ok(kind) = text.parse::<VehicleKind>() {
        return Ok(Some(kind));
    }
    let kind = match text.to_lowercase().as_str() {
        "轿车" => VehicleKind::Sedan,
        "两厢车" | "两厢" => VehicleKind::Hatchback,
        "越野车" | "suv车" => VehicleKind::Suv,
        "面包车" | "厢式车" => VehicleKind::Van,
        "皮卡" => VehicleKind::Pickup,
        "摩托车" => VehicleKind::Motorbike,
        "其他" | "其它" => VehicleKind::Other,
        _ => {
            return Err(error(
                Column::VehicleKind,
                "use one of sedan, hatchback, suv, van, pickup, motorbike, other \
                 (or 轿车, 两厢车, SUV, 面包车, 皮卡, 摩托车, 其他)",
            ));
        }
    };
    Ok(Some(kind))
}

/// `YYYY-MM-DD` (also `YYYY/MM/DD`, as Chinese Excel writes dates), not after `today`.
pub(super) fn birthday(cell: &str, today: NaiveDate) -> Result<Option<NaiveDate>, FieldError> {
    let text = sanitize_line(cell);
    if text.is_empty() {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(&text, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(&text, "%Y/%m/%d"))
        .map_err(|_| error(Column::Birthday, "write the date as YYYY-MM-DD"))?;
    if date.year() < BIRTH_YEAR_MIN {
        return Err(error(
            Column::Birthday,
            format!("write the year with four digits, {BIRTH_YEAR_MIN} or later"),
        ));
    }
    if date > today {
        return Err(error(
            Column::Birthday,
            "the date is in the future; check the year",
        ));
    }
    Ok(Some(date))
}

/// A whole number of points, 0 when empty.
pub(super) fn points(cell: &str) -> Result<i64, FieldError> {
    let text: String = sanitize_line(cell)
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (u32::from(c) - u32::from('０')) as u8),
            other => other,
        })
        .collect();
    if text.is_empty() {
        return Ok(0);
    }
    if !text.chars().all(|c| c.is_ascii_digit()) {
        return Err(error(
            Column::Points,
            "write a whole number of points, 0 or more, with digits only",
        ));
    }
    match text.parse::<i64>() {
        Ok(points) if points <= OPENING_POINTS_MAX => Ok(points),
        _ => Err(error(
            Column::Points,
            format!("at most {OPENING_POINTS_MAX} points; check the column"),
        )),
    }
}

/// Service notes: lines kept, each cleaned; a leading `= + - @` made inert.
pub(super) fn notes(cell: &str) -> Result<Option<String>, FieldError> {
    let text = neutralise_formula(&sanitize_multiline(cell)).into_owned();
    if text.is_empty() {
        return Ok(None);
    }
    if text.chars().count() > NOTES_MAX_CHARS {
        return Err(error(
            Column::Notes,
            format!("keep notes under {NOTES_MAX_CHARS} characters"),
        ));
    }
    Ok(Some(text))
}

/// A consent answer: yes/no, 1/0, true/false, 是/否, 同意/不同意; empty when never asked.
pub(super) fn consent(column: Column, cell: &str) -> Result<Option<bool>, FieldError> {
    let text = sanitize_line(cell).to_lowercase();
    match text.as_str() {
        "" => Ok(None),
        "yes" | "y" | "1" | "true" | "是" | "同意" => Ok(Some(true)),
        "no" | "n" | "0" | "false" | "否" | "不同意" => Ok(Some(false)),
        _ => Err(error(
            column,
            "write yes or no (1/0, 是/否), or leave it empty if the customer was not asked",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    #[test]
    fn names_are_cleaned_and_formulas_made_inert() {
        assert_eq!(name("  张\u{200B}伟 ").unwrap(), "张伟");
        assert_eq!(name("=cmd|' /C calc'!A0").unwrap(), "'=cmd|' /C calc'!A0");
        assert_eq!(name("\u{1B}[2J@SUM(A1)").unwrap(), "[2J@SUM(A1)");
        assert_eq!(name("\t@SUM(A1)").unwrap(), "'@SUM(A1)");
        assert!(name("  ").is_err());
    }

    #[test]
    fn empty_optional_cells_are_none() {
        assert_eq!(phone(" ").unwrap(), None);
        assert_eq!(email("").unwrap(), None);
        assert_eq!(plate("\u{200B}").unwrap(), None);
        assert_eq!(vehicle_kind("").unwrap(), None);
        assert_eq!(birthday("", today()).unwrap(), None);
        assert_eq!(points("").unwrap(), 0);
        assert_eq!(notes("\n \n").unwrap(), None);
        assert_eq!(consent(Column::Marketing, "").unwrap(), None);
    }

    #[test]
    fn fields_use_the_apps_rules() {
        assert_eq!(
            phone("138 1234 5678").unwrap().unwrap().national(),
            "13812345678"
        );
        assert_eq!(
            email(" Ann@Example.COM ").unwrap().unwrap(),
            "ann@example.com"
        );
        assert_eq!(plate("苏a·12345").unwrap().unwrap(), "苏A12345");
        assert!(phone("12").is_err());
        assert!(email("ann@").is_err());
        assert!(plate("A").is_err());
    }

    #[test]
    fn vehicle_words_in_english_and_chinese() {
        assert_eq!(vehicle_kind("SUV").unwrap(), Some(VehicleKind::Suv));
        assert_eq!(vehicle_kind("轿车").unwrap(), Some(VehicleKind::Sedan));
        assert_eq!(
            vehicle_kind("摩托车").unwrap(),
            Some(VehicleKind::Motorbike)
        );
        let refused = vehicle_kind("tank").unwrap_err();
        assert_eq!(refused.field(), "vehicle type");
        assert!(!refused.to_string().contains("tank"));
    }

    #[test]
    fn birthdays() {
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(birthday("1990-05-17", today()).unwrap(), date(1990, 5, 17));
        assert_eq!(birthday("1990/5/7", today()).unwrap(), date(1990, 5, 7));
        assert!(birthday("17/05/1990", today()).is_err());
        assert!(birthday("90-05-17", today()).is_err());
        assert!(birthday("2027-01-01", today()).is_err());
        assert!(birthday("1990-02-30", today()).is_err());
    }

    #[test]
    fn points_are_whole_and_not_negative() {
        assert_eq!(points("1200").unwrap(), 1200);
        assert_eq!(points("１２").unwrap(), 12);
        assert!(points("-5").is_err());
        assert!(points("12.5").is_err());
        assert!(points("1,200").is_err());
        assert!(points("999999999999999999999").is_err());
        assert_eq!(
            points(&OPENING_POINTS_MAX.to_string()).unwrap(),
            OPENING_POINTS_MAX
        );
    }

    #[test]
    fn notes_keep_lines_and_neutralise_formulas() {
        assert_eq!(
            notes("likes wax\r\n\u{7}no spray").unwrap().unwrap(),
            "likes wax\nno spray"
        );
        assert_eq!(notes("=1+2").unwrap().unwrap(), "'=1+2");
        assert!(notes(&"x".repeat(NOTES_MAX_CHARS + 1)).is_err());
    }

    #[test]
    fn consent_answers() {
        for yes in ["yes", "Y", "1", "TRUE", "是", "同意"] {
            assert_eq!(
                consent(Column::Marketing, yes).unwrap(),
                Some(true),
                "{yes}"
            );
        }
        for no in ["no", "N", "0", "false", "否", "不同意"] {
            assert_eq!(consent(Column::Marketing, no).unwrap(), Some(false), "{no}");
        }
        assert_eq!(
            consent(Column::BirthdayOffers, "maybe")
                .unwrap_err()
                .field(),
            "birthday offers"
        );
    }
}
