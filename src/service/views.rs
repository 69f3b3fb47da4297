//! View models handed to front ends. Personal fields arrive already masked for the caller's
//! role and sanitised for the terminal; they cannot be printed by `Debug` or `Display`.

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::access::Role;
use crate::domain::masking::{birthday_this_month, mask_email, mask_name, mask_phone, mask_plate};
use crate::domain::phone::Phone;
use crate::domain::sanitize::{sanitize_line, sanitize_multiline};
use crate::domain::vehicle::VehicleKind;
use crate::ids::RecordId;

/// Text derived from a personal field, ready to draw. Only [`ShownText::as_str`] reveals it,
/// so it cannot slip into a log line or a panic message by accident.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct ShownText(String);

impl ShownText {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for ShownText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ShownText({} chars)", self.0.chars().count())
    }
}

/// Which of a member's sealed fields to open.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum MemberFields {
    All,
    /// What a search result row shows: name, phone, birthday (email and notes stay sealed).
    ListRow,
}

/// The decrypted personal fields of one member, held only while building a view.
pub(super) struct OpenedMember {
    pub name: String,
    pub phone: Option<Phone>,
    pub email: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub notes: Option<String>,
}

impl Drop for OpenedMember {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.name.zeroize();
        if let Some(email) = self.email.as_mut() {
            email.zeroize();
        }
        if let Some(notes) = self.notes.as_mut() {
            notes.zeroize();
        }
    }
}

/// Applies the role's masking policy (SPEC section 3) to each field.
#[derive(Debug, Clone, Copy)]
pub(super) struct Masker {
    role: Role,
}

impl Masker {
    pub fn for_role(role: Role) -> Self {
        Self { role }
    }

    fn full(&self) -> bool {
        self.role.sees_full_personal_data()
    }

    pub fn name(&self, name: &str) -> ShownText {
        let clean = sanitize_line(name);
        ShownText(if self.full() {
            clean
        } else {
            mask_name(&clean)
        })
    }

    pub fn phone(&self, phone: &Phone) -> ShownText {
        ShownText(if self.full() {
            sanitize_line(&phone.to_storage_string())
        } else {
            mask_phone(phone)
        })
    }

    pub fn email(&self, email: &str) -> ShownText {
        let clean = sanitize_line(email);
        ShownText(if self.full() {
            clean
        } else {
            mask_email(&clean)
        })
    }

    pub fn plate(&self, plate: &str) -> ShownText {
        let clean = sanitize_line(plate);
        ShownText(if self.full() {
            clean
        } else {
            mask_plate(&clean)
        })
    }

    pub fn birthday(&self, birthday: NaiveDate, today: NaiveDate) -> BirthdayView {
        if self.full() {
            BirthdayView::Date(birthday)
        } else {
            BirthdayView::Hidden {
                this_month: birthday_this_month(birthday, today),
            }
        }
    }

    /// Service notes are shown in full to both roles; the form warns against sensitive data.
    pub fn notes(&self, notes: &str) -> ShownText {
        ShownText(sanitize_multiline(notes))
    }
}

#[derive(Clone, PartialEq, Eq)]
pub enum BirthdayView {
    Date(NaiveDate),
    /// Cashiers only learn whether to offer a birthday treat.
    Hidden {
        this_month: bool,
    },
}

impl std::fmt::Debug for BirthdayView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BirthdayView::Date(_) => f.write_str("BirthdayView::Date(..)"),
            BirthdayView::Hidden { this_month } => {
                write!(f, "BirthdayView::Hidden {{ this_month: {this_month} }}")
            }
        }
    }
}

/// One row of search results.
#[derive(Debug, Clone)]
pub struct MemberSummary {
    pub id: RecordId,
    pub member_number: u64,
    pub name: ShownText,
    pub phone: Option<ShownText>,
    pub plates: Vec<ShownText>,
    pub birthday_this_month: bool,
    /// Whether the personal fields above were masked for the caller's role.
    pub masked: bool,
}

#[derive(Debug, Clone)]
pub struct SearchResults {
    pub members: Vec<MemberSummary>,
    /// `false` while the name index is still being built after unlock: name matches may be
    /// missing, phone/plate/number matches are complete.
    pub names_complete: bool,
    /// The caller sees names masked, so a name is found only by a whole name or by what the
    /// mask shows of it (see `domain::masking::name_query_within_mask`).
    pub names_masked: bool,
    /// A member number typed for a member who is gone (erased, anonymised, merged): shown
    /// as "#1042 erased" instead of "no member matches".
    pub gone: Vec<super::TombstoneView>,
}

#[derive(Debug, Clone)]
pub struct VehicleView {
    pub id: RecordId,
    pub plate: ShownText,
    pub kind: VehicleKind,
    pub make_model: Option<String>,
    pub colour: Option<String>,
}

/// A member record as opened at the counter.
#[derive(Debug, Clone)]
pub struct MemberDetail {
    pub id: RecordId,
    pub member_number: u64,
    pub name: ShownText,
    pub phone: Option<ShownText>,
    pub email: Option<ShownText>,
    pub birthday: Option<BirthdayView>,
    pub notes: Option<ShownText>,
    pub vehicles: Vec<VehicleView>,
    /// The current choice per consent purpose; purposes never asked about are absent.
    pub consents: Vec<super::ConsentView>,
    pub masked: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
