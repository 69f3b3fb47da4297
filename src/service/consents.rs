//! Consent to marketing messages and birthday offers (SPEC section 8): each grant and
//! withdrawal is kept with its time, the staff member who recorded it and the policy version.

use chrono::{DateTime, Utc};

use super::{Service, ServiceError, Session};
use crate::audit::AuditAction;
use crate::domain::access::Operation;
use crate::ids::RecordId;
use crate::store::ReadAccess;
use crate::store::records::{ConsentPurpose, ConsentRecord};

/// The privacy policy version members currently consent under. Bump it when the policy's
/// wording changes; earlier consents keep the version they were given under.
pub const CONSENT_POLICY_VERSION: &str = "2026-01";

/// A member's current choice for one purpose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsentView {
    pub purpose: ConsentPurpose,
    pub granted: bool,
    pub at: DateTime<Utc>,
    /// Who recorded it (their user name, or the staff id if the account is gone).
    pub staff: String,
    pub policy_version: String,
}

/// The latest record per purpose, in [`ConsentPurpose::ALL`] order; purposes never asked
/// about are left out.
pub(super) fn current_consents(
    reader: &impl ReadAccess,
    member: RecordId,
) -> Result<Vec<ConsentView>, ServiceError> {
    let history = reader.consents(member)?;
    let mut views = Vec::new();
    for purpose in ConsentPurpose::ALL {
        let Some(latest) = history.iter().rev().find(|c| c.purpose == purpose) else {
            continue;
        };
        let staff = reader
            .staff(latest.staff)?
            .map_or_else(|| latest.staff.to_string(), |s| s.username);
        views.push(ConsentView {
            purpose,
            granted: latest.granted,
            at: latest.at,
            staff,
            policy_version: latest.policy_version.clone(),
        });
    }
    Ok(views)
}

impl Service {
    /// Records a member granting or withdrawing consent for one purpose. The history is kept;
    /// the latest entry is the member's current choice.
    pub fn set_consent(
        &self,
        session: &Session,
        member: RecordId,
        purpose: ConsentPurpose,
        granted: bool,
    ) -> Result<(), ServiceError> {
        let caller = self.authorize(session, Operation::EditMember)?;
        let now = self.clock.now();
        let record = ConsentRecord {
            purpose,
            granted,
            at: now,
            staff: caller.staff_id,
            policy_version: CONSENT_POLICY_VERSION.to_owned(),
        };
        // The audit entry names the purpose but not the choice: the entry says what was
        // touched, the consent history holds the value.
        let mut draft = caller.draft(AuditAction::ConsentChanged);
        draft.objects = vec![member.to_string()];
        draft.fields = vec![format!("consent.{}", purpose.as_str())];
        draft.detail = Some(format!("policy: {CONSENT_POLICY_VERSION}"));
        self.write_audited(
            |writer, _| {
                writer
                    .member(member)?
                    .ok_or(ServiceError::NotFound("member"))?;
                Ok(writer.append_consent(member, &record)?)
            },
            draft,
        )
    }

    /// A member's current consents, as also shown in [`super::MemberDetail`].
    pub fn member_consents(
        &self,
        session: &Session,
        member: RecordId,
    ) -> Result<Vec<ConsentView>, ServiceError> {
        self.authorize(session, Operation::OpenMember)?;
        current_consents(&self.store.read()?, member)
    }
}
