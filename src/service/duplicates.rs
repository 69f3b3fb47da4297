//! Duplicate members: a phone, email or plate typed for one member that is already on another.
//! Two records for one customer split their points and history, so the desk is shown the
//! other member (masked for its role, as search would show them) and saving the duplicate
//! anyway needs a manager. The check runs inside the write transaction that saves, so two
//! counters registering the same phone at once cannot both pass it.

use std::fmt;

use chrono::NaiveDate;

use super::views::{Masker, MemberSummary};
use super::{Caller, Service, ServiceError};
use crate::audit::AuditAction;
use crate::domain::access::{Operation, Role};
use crate::domain::masking::birthday_this_month;
use crate::domain::phone::Phone;
use crate::ids::RecordId;
use crate::store::records::MemberRecord;
use crate::store::{ReadAccess, StoreError, StoreWriter};
use crate::vault::{BlindIndexKind, UnlockedVault};

/// The identifying values the desk finds a member by, and so must not be on two members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DuplicateField {
    Phone,
    Email,
    Plate,
}

impl DuplicateField {
    /// The field's name as the form and the audit log call it.
    pub fn as_str(self) -> &'static str {
        match self {
            DuplicateField::Phone => "phone",
            DuplicateField::Email => "email",
            DuplicateField::Plate => "plate",
        }
    }
}

/// What a save does when a value is already on another member.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum OnDuplicate {
    /// Refuse with [`ServiceError::DuplicateMember`], naming the other member.
    #[default]
    Refuse,
    /// Save anyway. Honoured for a manager, or for a cashier once a manager approved
    /// [`Operation::SaveDuplicateMember`] at their screen; audited either way.
    SaveAnyway,
}

/// Another member already holding one or more of the values just typed.
#[derive(Debug, Clone)]
pub struct DuplicateMatch {
    /// Which of the typed values they hold, in the order phone, email, plate.
    pub fields: Vec<DuplicateField>,
    /// The other member, masked for the caller's role exactly as a search would show them.
    pub member: MemberSummary,
}

/// Why a save was refused: the members already holding the typed values.
#[derive(Debug, Clone)]
pub struct DuplicateReport {
    /// Never empty; ordered by the first field they matched (phone, email, plate).
    pub matches: Vec<DuplicateMatch>,
}

impl fmt::Display for DuplicateReport {
    /// One sentence with field names and member numbers only, never a personal value.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Some(first) = self.matches.first() else {
            return f.write_str("This is already on another member; search for them first.");
        };
        let fields: Vec<&str> = first.fields.iter().map(|field| field.as_str()).collect();
        write!(
            f,
            "The {} is already on member #{}; open that member, or ask a manager to save it anyway.",
            fields.join(" and "),
            first.member.member_number
        )
    }
}

/// The values a save is about to put on a member, to look for on others. Only values that
/// change are listed: a member saved earlier as a known duplicate can still be edited.
#[derive(Default)]
pub(super) struct Claimed<'a> {
    /// The member being saved, never its own duplicate (`None` for a new member).
    pub owner: Option<RecordId>,
    pub phone: Option<&'a Phone>,
    pub email: Option<&'a str>,
    pub plates: Vec<&'a str>,
}

impl Claimed<'_> {
    fn tokens(&self, vault: &UnlockedVault) -> Vec<(DuplicateField, [u8; 32])> {
        let mut tokens = Vec::new();
        if let Some(phone) = self.phone {
            // The national digits: `+86 138…` and `138…` are the same phone to the desk.
            let token = vault.blind_index(BlindIndexKind::PhoneFull, phone.national());
            tokens.push((DuplicateField::Phone, token.to_bytes()));
        }
        if let Some(email) = self.email {
            let token = vault.blind_index(BlindIndexKind::Email, email);
            tokens.push((DuplicateField::Email, token.to_bytes()));
        }
        for plate in &self.plates {
            let token = vault.blind_index(BlindIndexKind::Plate, plate);
            tokens.push((DuplicateField::Plate, token.to_bytes()));
        }
        tokens
    }
}

/// The other members holding a claimed value, with the fields each holds, in the order found.
/// The member being saved is never its own duplicate; an index entry whose member is gone
/// names no one.
pub(super) fn find_duplicates(
    reader: &impl ReadAccess,
    vault: &UnlockedVault,
    claimed: &Claimed<'_>,
) -> Result<Vec<(MemberRecord, Vec<DuplicateField>)>, StoreError> {
    let mut found: Vec<(MemberRecord, Vec<DuplicateField>)> = Vec::new();
    for (field, token) in claimed.tokens(vault) {
        for id in reader.ids_for_token(&token)? {
            if Some(id) == claimed.owner {
                continue;
            }
            match found.iter_mut().find(|(other, _)| other.id == id) {
                Some((_, fields)) if !fields.contains(&field) => fields.push(field),
                Some(_) => {}
                None => {
                    if let Some(record) = reader.member(id)? {
                        found.push((record, vec![field]));
                    }
                }
            }
        }
    }
    Ok(found)
}

/// Whether a save may go ahead over duplicates, decided before its write transaction opens
/// (a refusal is audited in a transaction of its own).
pub(super) struct DuplicatePermit {
    /// The caller as authorised for [`Operation::SaveDuplicateMember`] (with the approving
    /// manager, for a cashier), or `None` when duplicates are refused.
    override_by: Option<Caller>,
}

impl Service {
    /// Authorises an explicit "save anyway" up front, so a cashier's one-use approval is
    /// taken by the save it was given for.
    pub(super) fn duplicate_permit(
        &self,
        session: &super::Session,
        on_duplicate: OnDuplicate,
    ) -> Result<DuplicatePermit, ServiceError> {
        let override_by = match on_duplicate {
            OnDuplicate::Refuse => None,
            OnDuplicate::SaveAnyway => {
                Some(self.authorize(session, Operation::SaveDuplicateMember)?)
            }
        };
        Ok(DuplicatePermit { override_by })
    }

    /// Inside the saving transaction: refuses when a claimed value is on another member
    /// (naming them, masked for `role`), or records the override in the audit log.
    /// `objects` names the record being saved, for the override's audit entry.
    pub(super) fn check_duplicates(
        &self,
        writer: &mut StoreWriter,
        vault: &UnlockedVault,
        role: Role,
        claimed: &Claimed<'_>,
        permit: &DuplicatePermit,
        objects: &[String],
    ) -> Result<(), ServiceError> {
        let found = find_duplicates(writer, vault, claimed)?;
        if found.is_empty() {
            return Ok(());
        }
        let Some(caller) = &permit.override_by else {
            let report = self.duplicate_report(writer, vault, role, &found)?;
            return Err(ServiceError::DuplicateMember(Box::new(report)));
        };
        let mut draft = caller.draft(AuditAction::DuplicateMemberSaved);
        draft.objects = objects.to_vec();
        let mut fields: Vec<String> = Vec::new();
        for (other, matched) in &found {
            draft
                .objects
                .push(format!("duplicate of member:{}", other.member_number));
            for field in matched {
                if !fields.iter().any(|f| f == field.as_str()) {
                    fields.push(field.as_str().to_owned());
                }
            }
        }
        draft.fields = fields;
        writer.append_audit(draft, self.clock.now())?;
        Ok(())
    }

    /// The other members as search shows them to `role`.
    fn duplicate_report(
        &self,
        reader: &impl ReadAccess,
        vault: &UnlockedVault,
        role: Role,
        found: &[(MemberRecord, Vec<DuplicateField>)],
    ) -> Result<DuplicateReport, ServiceError> {
        let today = self.today();
        let mut matches = Vec::with_capacity(found.len());
        for (record, fields) in found {
            matches.push(DuplicateMatch {
                fields: fields.clone(),
                member: summary(reader, vault, role, record, today)?,
            });
        }
        Ok(DuplicateReport { matches })
    }
}

/// One member as a search result row, masked by `masker`.
fn summary(
    reader: &impl ReadAccess,
    vault: &UnlockedVault,
    role: Role,
    record: &MemberRecord,
    today: NaiveDate,
) -> Result<MemberSummary, ServiceError> {
    let masker = Masker::for_role(role);
    let (key, opened) = Service::open_member_fields(vault, record)?;
    let mut plates = Vec::new();
    for vehicle in reader.vehicles_of(record.id)? {
        plates.push(masker.plate(&Service::open_plate(&key, &vehicle)?));
    }
    Ok(MemberSummary {
        id: record.id,
        member_number: record.member_number,
        name: masker.name(&opened.name),
        phone: opened.phone.as_ref().map(|p| masker.phone(p)),
        plates,
        birthday_this_month: opened
            .birthday
            .is_some_and(|b| birthday_this_month(b, today)),
        masked: !role.sees_full_personal_data(),
    })
}
