//! Staff accounts: creating them with their credentials, listing, disabling, and resetting
//! a lost authenticator.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::setup::StaffCredentials;
use super::{Service, ServiceError, Session};
use crate::audit::AuditAction;
use crate::auth::password::{PasswordParams, derive_key_encryption_key, hash_password};
use crate::auth::recovery::{generate_recovery_codes, hash_recovery_code};
use crate::auth::totp::{TotpSecret, enrolment};
use crate::domain::access::{Operation, Role, normalize_username};
use crate::domain::password_policy::check_new_password;
use crate::domain::sanitize::sanitize_line;
use crate::entropy::Entropy;
use crate::ids::RecordId;
use crate::store::ReadAccess;
use crate::store::records::{
    KdfParams, RecoveryCodeRecord, StaffPreferences, StaffRecord, StoreKeyWrap, TotpEnrolmentRecord,
};
use crate::vault::{KeyEncryptionKey, UnlockedVault, WrapContext, wrap_store_key};

pub struct NewStaff {
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub password: SecretString,
}

impl std::fmt::Debug for NewStaff {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewStaff")
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffSummary {
    pub id: RecordId,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub disabled: bool,
    pub authenticator_active: bool,
    pub recovery_codes_left: usize,
    pub created_at: DateTime<Utc>,
}

impl From<&StaffRecord> for StaffSummary {
    fn from(staff: &StaffRecord) -> Self {
        Self {
            id: staff.id,
            username: staff.username.clone(),
            display_name: staff.display_name.clone(),
            role: staff.role,
            disabled: staff.disabled,
            authenticator_active: staff.totp.activated_at.is_some(),
            recovery_codes_left: staff
                .recovery_codes
                .iter()
                .filter(|code| code.used_at.is_none())
                .count(),
            created_at: staff.created_at,
        }
    }
}

impl From<PasswordParams> for KdfParams {
    fn from(params: PasswordParams) -> Self {
        KdfParams {
            memory_kib: params.memory_kib,
            iterations: params.iterations,
            parallelism: params.parallelism,
        }
    }
}

impl From<KdfParams> for PasswordParams {
    fn from(params: KdfParams) -> Self {
        PasswordParams {
            memory_kib: params.memory_kib,
            iterations: params.iterations,
            parallelism: params.parallelism,
        }
    }
}

fn credential_error(err: impl std::fmt::Display) -> ServiceError {
    ServiceError::Credential(err.to_string())
}

/// Seals the store key under a key derived from one credential (password or recovery code).
pub(super) fn wrap_for_credential(
    vault: &UnlockedVault,
    secret: &[u8],
    context: WrapContext,
    params: PasswordParams,
    entropy: &dyn Entropy,
) -> Result<StoreKeyWrap, ServiceError> {
    let salt = entropy.array::<16>()?;
    let kek = KeyEncryptionKey::from_bytes(
        derive_key_encryption_key(secret, &salt, params).map_err(credential_error)?,
    );
    let sealed = wrap_store_key(&kek, vault.store_key(), context, entropy)?;
    Ok(StoreKeyWrap {
        salt,
        params: params.into(),
        sealed,
    })
}

/// Fresh TOTP secret and recovery codes for a staff member, with what to show them once.
pub(super) fn issue_second_factors(
    vault: &UnlockedVault,
    staff_id: RecordId,
    username: &str,
    shop_name: &str,
    entropy: &dyn Entropy,
) -> Result<
    (
        TotpEnrolmentRecord,
        Vec<RecoveryCodeRecord>,
        StaffCredentials,
    ),
    ServiceError,
> {
    let secret = TotpSecret::generate(entropy)?;
    let shown = enrolment(&secret, shop_name, username).map_err(credential_error)?;
    let totp = TotpEnrolmentRecord {
        sealed_secret: vault.seal_staff_secret(staff_id, secret.as_bytes(), entropy)?,
        activated_at: None,
        last_used_step: None,
    };
    let codes = generate_recovery_codes(entropy)?;
    let mut records = Vec::with_capacity(codes.len());
    for (index, code) in codes.iter().enumerate() {
        let index = u8::try_from(index).unwrap_or(u8::MAX);
        records.push(RecoveryCodeRecord {
            hash: hash_recovery_code(code, entropy).map_err(credential_error)?,
            store_key_wrap: wrap_for_credential(
                vault,
                code.as_bytes(),
                WrapContext::RecoveryCode { staff_id, index },
                PasswordParams::FLOOR,
                entropy,
            )?,
            used_at: None,
        });
    }
    Ok((
        totp,
        records,
        StaffCredentials {
            staff_id,
            enrolment: shown,
            recovery_codes: codes,
        },
    ))
}

/// Builds a complete staff record for a new account.
pub(super) fn new_staff_record(
    vault: &UnlockedVault,
    new: &NewStaff,
    shop_name: &str,
    now: DateTime<Utc>,
    entropy: &dyn Entropy,
) -> Result<(StaffRecord, StaffCredentials), ServiceError> {
    let username =
        normalize_username(&new.username).map_err(|e| ServiceError::invalid(e.to_string()))?;
    let display_name = sanitize_line(&new.display_name);
    let display_name = if display_name.is_empty() {
        username.clone()
    } else {
        display_name.chars().take(60).collect()
    };
    check_new_password(
        new.password.expose_secret(),
        &[&username, &display_name, shop_name],
    )
    .map_err(|e| ServiceError::WeakPassword(e.to_string()))?;
    let id = RecordId::generate(now, entropy)?;
    let password_hash =
        hash_password(&new.password, PasswordParams::DEFAULT, entropy).map_err(credential_error)?;
    let store_key_wrap = wrap_for_credential(
        vault,
        new.password.expose_secret().as_bytes(),
        WrapContext::Staff { staff_id: id },
        PasswordParams::DEFAULT,
        entropy,
    )?;
    let (totp, recovery_codes, credentials) =
        issue_second_factors(vault, id, &username, shop_name, entropy)?;
    Ok((
        StaffRecord {
            id,
            username,
            display_name,
            role: new.role,
            disabled: false,
            password_hash,
            store_key_wrap,
            totp,
            recovery_codes,
            must_change_password: false,
            session_epoch: 0,
            preferences: StaffPreferences::default(),
            created_at: now,
            updated_at: now,
        },
        credentials,
    ))
}

impl Service {
    /// Creates a staff account (manager only). The new member of staff must change the
    /// password they were given at their first login.
    pub fn create_staff(
        &self,
        session: &Session,
        new: NewStaff,
    ) -> Result<StaffCredentials, ServiceError> {
        let caller = self.authorize(session, Operation::ManageStaff)?;
        let vault = self.unlocked_vault()?;
        let shop_name = self.settings()?.shop_name;
        let now = self.clock.now();
        let (mut record, credentials) =
            new_staff_record(&vault, &new, &shop_name, now, self.entropy.as_ref())?;
        record.must_change_password = true;
        let mut draft = caller.draft(AuditAction::StaffCreated);
        draft.objects = vec![record.id.to_string()];
        draft.detail = Some(format!("role: {}", record.role));
        self.write_audited(
            |writer, _| {
                if writer.staff_id_by_username(&record.username)?.is_some() {
                    return Err(ServiceError::UsernameTaken(record.username.clone()));
                }
                writer.put_staff(&record)?;
                Ok(())
            },
            draft,
        )?;
        Ok(credentials)
    }

    pub fn list_staff(&self, session: &Session) -> Result<Vec<StaffSummary>, ServiceError> {
        self.authorize(session, Operation::ViewStaff)?;
        let mut staff: Vec<StaffSummary> = self
            .store
            .read()?
            .all_staff()?
            .iter()
            .map(StaffSummary::from)
            .collect();
        staff.sort_by(|a, b| a.username.cmp(&b.username));
        Ok(staff)
    }

    /// Disables an account and ends its sessions everywhere, at their next action.
    pub fn disable_staff(&self, session: &Session, staff_id: RecordId) -> Result<(), ServiceError> {
        let caller = self.authorize(session, Operation::ManageStaff)?;
        if caller.staff_id == staff_id {
            return Err(ServiceError::invalid(
                "You cannot disable your own account; ask another manager.",
            ));
        }
        let mut draft = caller.draft(AuditAction::StaffDisabled);
        draft.objects = vec![staff_id.to_string()];
        self.write_audited(
            |writer, _| {
                let mut staff = writer
                    .staff(staff_id)?
                    .ok_or(ServiceError::NotFound("staff member"))?;
                if staff.role == crate::domain::access::Role::Manager
                    && !staff.disabled
                    && active_managers(writer)? <= 1
                {
                    return Err(ServiceError::invalid(
                        "This is the last active manager; create another manager first.",
                    ));
                }
                staff.disabled = true;
                staff.session_epoch = staff.session_epoch.wrapping_add(1);
                staff.updated_at = self.clock.now();
                writer.put_staff(&staff).map_err(ServiceError::from)
            },
            draft,
        )?;
        self.sessions.remove_staff(staff_id, None);
        Ok(())
    }

    /// Issues a new authenticator secret and recovery codes for someone who lost their phone
    /// (manager, after a fresh step-up). Their old codes stop working at once.
    pub fn reset_staff_authenticator(
        &self,
        session: &Session,
        staff_id: RecordId,
    ) -> Result<StaffCredentials, ServiceError> {
        let caller = self.authorize(session, Operation::ResetStaffCredentials)?;
        let vault = self.unlocked_vault()?;
        let shop_name = self.settings()?.shop_name;
        let mut staff = self
            .store
            .read()?
            .staff(staff_id)?
            .ok_or(ServiceError::NotFound("staff member"))?;
        let (totp, recovery_codes, credentials) = issue_second_factors(
            &vault,
            staff.id,
            &staff.username,
            &shop_name,
            self.entropy.as_ref(),
        )?;
        staff.totp = totp;
        staff.recovery_codes = recovery_codes;
        staff.session_epoch = staff.session_epoch.wrapping_add(1);
        staff.updated_at = self.clock.now();
        let mut draft = caller.draft(AuditAction::TotpReset);
        draft.objects = vec![staff_id.to_string()];
        self.write_audited(|writer, _| Ok(writer.put_staff(&staff)?), draft)?;
        self.sessions.remove_staff(staff_id, Some(session));
        Ok(credentials)
    }
}

fn active_managers(reader: &impl ReadAccess) -> Result<usize, ServiceError> {
    Ok(reader
        .all_staff()?
        .iter()
        .filter(|s| s.role == crate::domain::access::Role::Manager && !s.disabled)
        .count())
}
