//! Staff SSH public keys (manager): listing, adding and removing a staff member's keys, and
//! making a key mandatory for their logins over SSH. A key is an extra factor at the SSH
//! layer; password and authenticator code are always asked for as well.

use chrono::{DateTime, Utc};
use russh::keys::PublicKey;

use super::{Service, ServiceError, Session};
use crate::audit::AuditAction;
use crate::auth::ssh_key::{fingerprint, parse_public_key_line};
use crate::domain::access::{Operation, normalize_username};
use crate::ids::RecordId;
use crate::store::records::{StaffSshKey, StaffSshKeysRecord};
use crate::store::schema::STAFF_SSH_KEYS;
use crate::store::{ReadAccess, StoreWriter, decode_record};

/// Enough for a laptop, a phone and a few spares; a long list is a sign of keys never retired.
pub const MAX_SSH_KEYS_PER_STAFF: usize = 10;

/// One listed key, as the manager's screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshKeyView {
    pub algorithm: String,
    /// `SHA256:…`, as the staff member's own `ssh-keygen -l` prints it.
    pub fingerprint: String,
    pub label: String,
    pub added_at: DateTime<Utc>,
    pub added_by: RecordId,
}

/// A staff member's SSH keys and whether logins over SSH need one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshKeysView {
    pub staff_id: RecordId,
    pub username: String,
    pub keys: Vec<SshKeyView>,
    pub required: bool,
}

impl From<&StaffSshKey> for SshKeyView {
    fn from(key: &StaffSshKey) -> Self {
        Self {
            algorithm: key.algorithm.clone(),
            fingerprint: key.fingerprint.clone(),
            label: key.label.clone(),
            added_at: key.added_at,
            added_by: key.added_by,
        }
    }
}

/// The staff member who holds a key with this fingerprint, if anyone does.
fn holder_of(writer: &StoreWriter, fingerprint: &str) -> Result<Option<RecordId>, ServiceError> {
    let mut holder = None;
    writer.scan_by_id(STAFF_SSH_KEYS, &mut |id, bytes| {
        let record: StaffSshKeysRecord = decode_record("staff SSH keys", bytes)?;
        if record.keys.iter().any(|k| k.fingerprint == fingerprint) {
            holder = Some(RecordId::from_u128(id));
        }
        Ok(())
    })?;
    Ok(holder)
}

impl Service {
    /// A staff member's SSH keys (manager).
    pub fn staff_ssh_keys(
        &self,
        session: &Session,
        staff_id: RecordId,
    ) -> Result<SshKeysView, ServiceError> {
        self.authorize(session, Operation::ViewStaff)?;
        let reader = self.store.read()?;
        let staff = reader
            .staff(staff_id)?
            .ok_or(ServiceError::NotFound("staff member"))?;
        let record = reader.staff_ssh_keys(staff_id)?;
        Ok(SshKeysView {
            staff_id,
            username: staff.username,
            keys: record.keys.iter().map(SshKeyView::from).collect(),
            required: record.required,
        })
    }

    /// Lists a public key for a staff member (manager), from the line of their `.pub` file.
    /// Ed25519 and ECDSA keys are accepted; a key already listed for anyone is refused, so a
    /// key always stands for one person.
    pub fn add_staff_ssh_key(
        &self,
        session: &Session,
        staff_id: RecordId,
        openssh_line: &str,
    ) -> Result<SshKeyView, ServiceError> {
        let caller = self.authorize(session, Operation::ManageStaff)?;
        let parsed = parse_public_key_line(openssh_line)
            .map_err(|e| ServiceError::invalid(e.to_string()))?;
        let now = self.clock.now();
        let mut draft = caller.draft(AuditAction::SshKeyAdded);
        draft.objects = vec![staff_id.to_string()];
        draft.detail = Some(format!("{} {}", parsed.algorithm, parsed.fingerprint));
        self.write_audited(
            |writer, _| {
                writer
                    .staff(staff_id)?
                    .ok_or(ServiceError::NotFound("staff member"))?;
                let mut record = writer.staff_ssh_keys(staff_id)?;
                match holder_of(writer, &parsed.fingerprint)? {
                    Some(holder) if holder == staff_id => {
                        return Err(ServiceError::invalid(
                            "That key is already listed for this staff member; nothing was changed.",
                        ));
                    }
                    Some(_) => {
                        return Err(ServiceError::invalid(
                            "That key is already listed for another staff member; each person needs their own key.",
                        ));
                    }
                    None => {}
                }
                if record.keys.len() >= MAX_SSH_KEYS_PER_STAFF {
                    return Err(ServiceError::invalid(format!(
                        "A staff member may have at most {MAX_SSH_KEYS_PER_STAFF} keys; remove one they no longer use first."
                    )));
                }
                let key = StaffSshKey {
                    algorithm: parsed.algorithm.clone(),
                    public_key: parsed.public_key.clone(),
                    fingerprint: parsed.fingerprint.clone(),
                    label: parsed.label.clone(),
                    added_at: now,
                    added_by: caller.staff_id,
                };
                let view = SshKeyView::from(&key);
                record.keys.push(key);
                writer.put_staff_ssh_keys(staff_id, &record)?;
                Ok(view)
            },
            draft,
        )
    }

    /// Takes a key off a staff member's list (manager). The last key of someone who must use
    /// one is refused rather than quietly dropping the requirement: whoever removes a lost
    /// key expects the account to stay locked down, so the requirement is turned off on its
    /// own, visibly, in the audit log.
    pub fn remove_staff_ssh_key(
        &self,
        session: &Session,
        staff_id: RecordId,
        fingerprint: &str,
    ) -> Result<(), ServiceError> {
        let caller = self.authorize(session, Operation::ManageStaff)?;
        let mut draft = caller.draft(AuditAction::SshKeyRemoved);
        draft.objects = vec![staff_id.to_string()];
        self.write_audited(
            |writer, draft| {
                let mut record = writer.staff_ssh_keys(staff_id)?;
                let Some(index) = record.keys.iter().position(|k| k.fingerprint == fingerprint)
                else {
                    return Err(ServiceError::NotFound("SSH key"));
                };
                if record.required && record.keys.len() == 1 {
                    return Err(ServiceError::invalid(
                        "This is their last key and a key is required; add another key or turn off \"key required\" first.",
                    ));
                }
                let removed = record.keys.remove(index);
                draft.detail = Some(format!("{} {}", removed.algorithm, removed.fingerprint));
                writer.put_staff_ssh_keys(staff_id, &record)?;
                Ok(())
            },
            draft,
        )
    }

    /// Makes a key mandatory (or not) for a staff member's logins over SSH (manager). It
    /// applies from their next login; sessions already open are not ended.
    pub fn set_staff_ssh_key_required(
        &self,
        session: &Session,
        staff_id: RecordId,
        required: bool,
    ) -> Result<(), ServiceError> {
        let caller = self.authorize(session, Operation::ManageStaff)?;
        let current = self.store.read()?.staff_ssh_keys(staff_id)?;
        if current.required == required {
            return Ok(());
        }
        let mut draft = caller.draft(AuditAction::SshKeyRequirementChanged);
        draft.objects = vec![staff_id.to_string()];
        draft.detail = Some(format!("required: {required}"));
        self.write_audited(
            |writer, _| {
                writer
                    .staff(staff_id)?
                    .ok_or(ServiceError::NotFound("staff member"))?;
                let mut record = writer.staff_ssh_keys(staff_id)?;
                if required && record.keys.is_empty() {
                    return Err(ServiceError::invalid(
                        "This staff member has no SSH key yet; add a key first.",
                    ));
                }
                record.required = required;
                writer.put_staff_ssh_keys(staff_id, &record)?;
                Ok(())
            },
            draft,
        )
    }

    /// Whether `key` is listed for the account `username` names, for the SSH layer to decide
    /// whether to ask the client to prove it. No session is needed and nothing is audited: an
    /// offer proves nothing until the SSH layer has verified the client's signature, and the
    /// login that follows is audited. False for unknown users and disabled accounts.
    pub fn ssh_key_offered_is_known(&self, username: &str, key: &PublicKey) -> bool {
        let Ok(name) = normalize_username(username) else {
            return false;
        };
        let Ok(reader) = self.store.read() else {
            return false;
        };
        let staff = match reader.staff_by_username(&name) {
            Ok(Some(staff)) if !staff.disabled => staff,
            _ => return false,
        };
        let offered = fingerprint(key);
        reader
            .staff_ssh_keys(staff.id)
            .is_ok_and(|record| record.keys.iter().any(|k| k.fingerprint == offered))
    }
}
