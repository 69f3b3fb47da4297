//! Staff accounts: creating them with their credentials, listing, disabling and enabling,
//! resetting a lost authenticator or a forgotten password, and each one's own preferences.

use chrono::{DateTime, Duration, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::setup::StaffCredentials;
use super::{Service, ServiceError, Session};
use crate::audit::AuditAction;
use crate::auth::password::{PasswordParams, derive_key_encryption_key, hash_password};
use crate::auth::recovery::{RecoveryCode, generate_recovery_codes, hash_recovery_code};
use crate::auth::totp::{TotpSecret, enrolment};
use crate::domain::access::{Operation, Role, normalize_username};
use crate::domain::password_policy::check_new_password;
use crate::domain::sanitize::sanitize_line;
use crate::entropy::Entropy;
use crate::ids::RecordId;
use crate::store::ReadAccess;
use crate::store::records::{
    KdfParams, PendingEnrolmentRecord, RecoveryCodeRecord, StaffPreferences, StaffRecord,
    StoreKeyWrap, TemporaryPasswordRecord, TotpEnrolmentRecord,
};
use crate::vault::{KeyEncryptionKey, UnlockedVault, WrapContext, wrap_store_key};

/// A new account as the manager describes it. There is no password or second factor here:
/// the service issues a temporary password and the new member of staff sets up the rest.
pub struct NewStaff {
    pub username: String,
    pub display_name: String,
    pub role: Role,
}

/// How long a temporary password works before a manager must issue a new one.
pub const TEMPORARY_PASSWORD_VALIDITY: Duration = Duration::hours(72);

/// What a manager hands a new (or reset) member of staff: their user name and a temporary
/// password that works for one login before `expires_at`. It holds no second factor: the
/// staff member sets up their own authenticator at that login, so the manager never sees it.
pub struct TemporaryLogin {
    pub staff_id: RecordId,
    pub username: String,
    pub password: SecretString,
    pub expires_at: DateTime<Utc>,
}

impl std::fmt::Debug for TemporaryLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemporaryLogin")
            .field("staff_id", &self.staff_id)
            .field("username", &self.username)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
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

/// Ten fresh recovery codes: the records to store, and the codes to show once.
pub(super) fn issue_recovery_codes(
    vault: &UnlockedVault,
    staff_id: RecordId,
    entropy: &dyn Entropy,
) -> Result<(Vec<RecoveryCodeRecord>, Vec<RecoveryCode>), ServiceError> {
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
    Ok((records, codes))
}

/// A sealed authenticator secret that nobody is shown and that is never activated: the slot
/// an account holds until its owner enrols their own.
pub(super) fn unseen_totp(
    vault: &UnlockedVault,
    staff_id: RecordId,
    entropy: &dyn Entropy,
) -> Result<TotpEnrolmentRecord, ServiceError> {
    let secret = TotpSecret::generate(entropy)?;
    Ok(TotpEnrolmentRecord {
        sealed_secret: vault.seal_staff_secret(staff_id, secret.as_bytes(), entropy)?,
        activated_at: None,
        last_used_step: None,
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
    let (records, codes) = issue_recovery_codes(vault, staff_id, entropy)?;
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

/// The user name and display name of a new account, cleaned.
fn account_names(new: &NewStaff) -> Result<(String, String), ServiceError> {
    let username =
        normalize_username(&new.username).map_err(|e| ServiceError::invalid(e.to_string()))?;
    let display_name = sanitize_line(&new.display_name);
    let display_name = if display_name.is_empty() {
        username.clone()
    } else {
        display_name.chars().take(60).collect()
    };
    Ok((username, display_name))
}

/// A staff record for a new account with `password`, whose authenticator is not set up yet
/// (an unseen secret and no recovery codes).
pub(super) fn unenrolled_staff_record(
    vault: &UnlockedVault,
    new: &NewStaff,
    password: &SecretString,
    shop_name: &str,
    now: DateTime<Utc>,
    entropy: &dyn Entropy,
) -> Result<StaffRecord, ServiceError> {
    let (username, display_name) = account_names(new)?;
    check_new_password(
        password.expose_secret(),
        &[&username, &display_name, shop_name],
    )
    .map_err(|e| ServiceError::WeakPassword(e.to_string()))?;
    let id = RecordId::generate(now, entropy)?;
    let password_hash =
        hash_password(password, PasswordParams::DEFAULT, entropy).map_err(credential_error)?;
    let store_key_wrap = wrap_for_credential(
        vault,
        password.expose_secret().as_bytes(),
        WrapContext::Staff { staff_id: id },
        PasswordParams::DEFAULT,
        entropy,
    )?;
    Ok(StaffRecord {
        id,
        username,
        display_name,
        role: new.role,
        disabled: false,
        password_hash,
        store_key_wrap,
        totp: unseen_totp(vault, id, entropy)?,
        recovery_codes: Vec::new(),
        must_change_password: false,
        session_epoch: 0,
        preferences: StaffPreferences::default(),
        created_at: now,
        updated_at: now,
    })
}

/// Builds a complete, enrolled staff record for a new account, with its second factor to
/// show once (the command-line `init` and the demo, which print it to their operator).
pub(super) fn new_staff_record(
    vault: &UnlockedVault,
    new: &NewStaff,
    password: &SecretString,
    shop_name: &str,
    now: DateTime<Utc>,
    entropy: &dyn Entropy,
) -> Result<(StaffRecord, StaffCredentials), ServiceError> {
    let mut record = unenrolled_staff_record(vault, new, password, shop_name, now, entropy)?;
    let (totp, recovery_codes, credentials) =
        issue_second_factors(vault, record.id, &record.username, shop_name, entropy)?;
    record.totp = totp;
    record.recovery_codes = recovery_codes;
    Ok((record, credentials))
}

/// A random temporary password that passes the password policy for this account.
fn policy_passing_temporary_password(
    entropy: &dyn Entropy,
    inputs: &[&str],
) -> Result<SecretString, ServiceError> {
    // A random 20-character password practically always passes; the check guards the
    // generator rather than the luck of the draw.
    let mut attempts = 0;
    loop {
        let candidate = temporary_password(entropy)?;
        match check_new_password(candidate.expose_secret(), inputs) {
            Ok(()) => return Ok(candidate),
            Err(err) if attempts >= 3 => return Err(ServiceError::WeakPassword(err.to_string())),
            Err(_) => attempts += 1,
        }
    }
}

/// Puts `staff` back at the start of enrolment with a fresh temporary password: the store
/// key is wrapped under it, the old password, authenticator and recovery codes stop working,
/// and the account's sessions end. Returns the pending enrolment to store and the password.
fn reissue_temporary_password(
    vault: &UnlockedVault,
    staff: &mut StaffRecord,
    shop_name: &str,
    now: DateTime<Utc>,
    entropy: &dyn Entropy,
) -> Result<(PendingEnrolmentRecord, SecretString), ServiceError> {
    let inputs = [
        staff.username.as_str(),
        staff.display_name.as_str(),
        shop_name,
    ];
    let temporary = policy_passing_temporary_password(entropy, &inputs)?;
    staff.password_hash =
        hash_password(&temporary, PasswordParams::DEFAULT, entropy).map_err(credential_error)?;
    staff.store_key_wrap = wrap_for_credential(
        vault,
        temporary.expose_secret().as_bytes(),
        WrapContext::Staff { staff_id: staff.id },
        PasswordParams::DEFAULT,
        entropy,
    )?;
    staff.totp = unseen_totp(vault, staff.id, entropy)?;
    staff.recovery_codes = Vec::new();
    staff.must_change_password = false;
    staff.session_epoch = staff.session_epoch.wrapping_add(1);
    staff.updated_at = now;
    Ok((pending_with_temporary_password(now), temporary))
}

fn pending_with_temporary_password(now: DateTime<Utc>) -> PendingEnrolmentRecord {
    PendingEnrolmentRecord {
        temporary_password: Some(TemporaryPasswordRecord {
            expires_at: now + TEMPORARY_PASSWORD_VALIDITY,
            used_at: None,
        }),
        issued_at: now,
    }
}

impl Service {
    /// Creates a staff account (manager only) and returns the temporary password to hand
    /// over. At their first login with it the new member of staff chooses their own
    /// password and sets up their own authenticator; the manager never sees either.
    pub fn create_staff(
        &self,
        session: &Session,
        new: NewStaff,
    ) -> Result<TemporaryLogin, ServiceError> {
        let caller = self.authorize(session, Operation::ManageStaff)?;
        let vault = self.unlocked_vault()?;
        let shop_name = self.settings()?.shop_name;
        let now = self.clock.now();
        let entropy = self.entropy.as_ref();
        let (username, display_name) = account_names(&new)?;
        let password =
            policy_passing_temporary_password(entropy, &[&username, &display_name, &shop_name])?;
        let record = unenrolled_staff_record(&vault, &new, &password, &shop_name, now, entropy)?;
        let pending = pending_with_temporary_password(now);
        let mut draft = caller.draft(AuditAction::StaffCreated);
        draft.objects = vec![record.id.to_string()];
        draft.detail = Some(format!("role: {}; temporary password issued", record.role));
        self.write_audited(
            |writer, _| {
                if writer.staff_id_by_username(&record.username)?.is_some() {
                    return Err(ServiceError::UsernameTaken(record.username.clone()));
                }
                writer.put_staff(&record)?;
                writer.put_staff_enrolment(record.id, Some(&pending))?;
                Ok(())
            },
            draft,
        )?;
        Ok(TemporaryLogin {
            staff_id: record.id,
            username: record.username,
            password,
            expires_at: now + TEMPORARY_PASSWORD_VALIDITY,
        })
    }

    /// Starts a staff member's enrolment over with a new temporary password (manager, after a
    /// fresh step-up): their password, authenticator and recovery codes stop working at
    /// once and their sessions end.
    fn reset_to_temporary_password(
        &self,
        session: &Session,
        staff_id: RecordId,
        action: AuditAction,
    ) -> Result<TemporaryLogin, ServiceError> {
        let caller = self.authorize(session, Operation::ResetStaffCredentials)?;
        if caller.staff_id == staff_id {
            return Err(ServiceError::invalid(
                "You cannot reset your own login here; use Change password, or ask another manager.",
            ));
        }
        let vault = self.unlocked_vault()?;
        let shop_name = self.settings()?.shop_name;
        let now = self.clock.now();
        let mut staff = self
            .store
            .read()?
            .staff(staff_id)?
            .ok_or(ServiceError::NotFound("staff member"))?;
        let (pending, password) =
            reissue_temporary_password(&vault, &mut staff, &shop_name, now, self.entropy.as_ref())?;
        let mut draft = caller.draft(action);
        draft.objects = vec![staff_id.to_string()];
        draft.detail =
            Some("temporary password issued; authenticator and recovery codes void".into());
        self.write_audited(
            |writer, _| {
                writer.put_staff(&staff)?;
                writer.put_staff_enrolment(staff_id, Some(&pending))?;
                Ok(())
            },
            draft,
        )?;
        self.sessions.remove_staff(staff_id, None);
        Ok(TemporaryLogin {
            staff_id,
            username: staff.username,
            password,
            expires_at: now + TEMPORARY_PASSWORD_VALIDITY,
        })
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
        let epoch = self.session_epoch(session)?;
        let mut draft = caller.draft(AuditAction::StaffDisabled);
        draft.objects = vec![staff_id.to_string()];
        self.write_audited(
            |writer, _| {
                caller_still_manager(writer, caller.staff_id, epoch)?;
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

    /// Someone lost their phone (manager, after a fresh step-up): their login starts over
    /// with a temporary password, and they set up a new authenticator at their next login.
    pub fn reset_staff_authenticator(
        &self,
        session: &Session,
        staff_id: RecordId,
    ) -> Result<TemporaryLogin, ServiceError> {
        self.reset_to_temporary_password(session, staff_id, AuditAction::TotpReset)
    }
}

/// Languages the front end is translated into.
pub const LANGUAGES: [&str; 2] = ["en", "zh-CN"];

/// Letters and digits for temporary passwords, without look-alikes (0/o, 1/l/i) so they can
/// be read aloud or copied from a screen without mistakes.
const TEMPORARY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
const TEMPORARY_GROUPS: usize = 4;
const TEMPORARY_GROUP_LEN: usize = 5;

/// A temporary password such as `k7mzq-h3rtw-9bxnp-e4fya`: 20 characters from 31, about
/// 99 bits. Bytes are drawn with rejection sampling so every character is equally likely.
fn temporary_password(entropy: &dyn Entropy) -> Result<SecretString, ServiceError> {
    let alphabet_len = TEMPORARY_ALPHABET.len();
    // The largest multiple of the alphabet's size that fits in a byte; bytes at or above it
    // would favour the first characters.
    let limit = 256 - 256 % alphabet_len;
    let mut text = String::with_capacity(TEMPORARY_GROUPS * (TEMPORARY_GROUP_LEN + 1));
    let mut wanted = TEMPORARY_GROUPS * TEMPORARY_GROUP_LEN;
    while wanted > 0 {
        let mut bytes = entropy.array::<32>()?;
        for byte in bytes.iter().map(|b| usize::from(*b)) {
            if wanted == 0 {
                break;
            }
            if byte >= limit {
                continue;
            }
            let written = TEMPORARY_GROUPS * TEMPORARY_GROUP_LEN - wanted;
            if written > 0 && written.is_multiple_of(TEMPORARY_GROUP_LEN) {
                text.push('-');
            }
            text.push(char::from(TEMPORARY_ALPHABET[byte % alphabet_len]));
            wanted -= 1;
        }
        zeroize::Zeroize::zeroize(&mut bytes);
    }
    Ok(SecretString::from(text))
}

fn check_preferences(prefs: &StaffPreferences) -> Result<(), ServiceError> {
    if let Some(language) = &prefs.language
        && !LANGUAGES.contains(&language.as_str())
    {
        return Err(ServiceError::invalid(format!(
            "`{}` is not a language frontdesk speaks; choose one of {}",
            sanitize_line(language).chars().take(16).collect::<String>(),
            LANGUAGES.join(", ")
        )));
    }
    if let Some(theme) = &prefs.theme {
        let well_formed = (1..=32).contains(&theme.len())
            && theme
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !well_formed {
            return Err(ServiceError::invalid(
                "a theme name is 1 to 32 lowercase letters, digits or `-`; choose one from the list",
            ));
        }
    }
    Ok(())
}

impl Service {
    /// The caller's own language and theme.
    pub fn my_preferences(&self, session: &Session) -> Result<StaffPreferences, ServiceError> {
        let caller = self.authorize(session, Operation::EditOwnPreferences)?;
        Ok(self
            .store
            .read()?
            .staff(caller.staff_id)?
            .ok_or(ServiceError::SessionEnded)?
            .preferences)
    }

    /// Saves the caller's own language and theme (`None` for the shop's default).
    pub fn set_my_preferences(
        &self,
        session: &Session,
        prefs: StaffPreferences,
    ) -> Result<(), ServiceError> {
        let caller = self.authorize(session, Operation::EditOwnPreferences)?;
        check_preferences(&prefs)?;
        let mut draft = caller.draft(AuditAction::PreferencesChanged);
        draft.objects = vec![caller.staff_id.to_string()];
        let now = self.clock.now();
        self.write_audited(
            |writer, draft| {
                let mut staff = writer
                    .staff(caller.staff_id)?
                    .ok_or(ServiceError::SessionEnded)?;
                if staff.preferences.language != prefs.language {
                    draft.fields.push("language".into());
                }
                if staff.preferences.theme != prefs.theme {
                    draft.fields.push("theme".into());
                }
                staff.preferences = prefs;
                staff.updated_at = now;
                Ok(writer.put_staff(&staff)?)
            },
            draft,
        )
    }

    /// Someone forgot their password (manager, after a fresh step-up): as
    /// [`Service::reset_staff_authenticator`], their login starts over with a temporary
    /// password to hand over in person.
    pub fn reset_staff_password(
        &self,
        session: &Session,
        staff_id: RecordId,
    ) -> Result<TemporaryLogin, ServiceError> {
        self.reset_to_temporary_password(session, staff_id, AuditAction::PasswordReset)
    }

    /// Lets a disabled account log in again (manager). Its old sessions stay ended.
    pub fn enable_staff(&self, session: &Session, staff_id: RecordId) -> Result<(), ServiceError> {
        let caller = self.authorize(session, Operation::ManageStaff)?;
        let mut draft = caller.draft(AuditAction::StaffEnabled);
        draft.objects = vec![staff_id.to_string()];
        let now = self.clock.now();
        self.write_audited(
            |writer, _| {
                let mut staff = writer
                    .staff(staff_id)?
                    .ok_or(ServiceError::NotFound("staff member"))?;
                if !staff.disabled {
                    return Err(ServiceError::invalid(
                        "This account is already enabled; nothing was changed.",
                    ));
                }
                staff.disabled = false;
                staff.updated_at = now;
                Ok(writer.put_staff(&staff)?)
            },
            draft,
        )
    }
}

/// The longest display name kept, in characters.
const DISPLAY_NAME_MAX: usize = 60;

/// A display name as typed, made safe to draw: no control, bidi or zero-width characters.
fn clean_display_name(input: &str) -> Result<String, ServiceError> {
    let name = sanitize_line(input).trim().to_owned();
    if name.is_empty() {
        return Err(ServiceError::invalid(
            "A display name cannot be empty; type the name colleagues know this person by.",
        ));
    }
    if name.chars().count() > DISPLAY_NAME_MAX {
        return Err(ServiceError::invalid(format!(
            "A display name is at most {DISPLAY_NAME_MAX} characters; shorten it."
        )));
    }
    Ok(name)
}

impl Service {
    /// The session-epoch the caller logged in under, to re-check them inside a transaction.
    fn session_epoch(&self, session: &Session) -> Result<u32, ServiceError> {
        self.sessions
            .get(session)
            .map(|record| record.epoch)
            .ok_or(ServiceError::SessionEnded)
    }

    /// Makes someone a cashier or a manager (manager, after a fresh step-up). Their sessions
    /// end so the new permissions hold from their next key press. The last active manager
    /// cannot be made a cashier: the count and the change happen in one write transaction,
    /// so two managers demoting each other at the same moment leave one of them a manager.
    pub fn change_staff_role(
        &self,
        session: &Session,
        staff_id: RecordId,
        role: Role,
    ) -> Result<(), ServiceError> {
        let caller = self.authorize(session, Operation::EditStaffAccount)?;
        if caller.staff_id == staff_id {
            return Err(ServiceError::invalid(
                "You cannot change your own role; ask another manager.",
            ));
        }
        let epoch = self.session_epoch(session)?;
        let mut draft = caller.draft(AuditAction::StaffRoleChanged);
        draft.objects = vec![staff_id.to_string()];
        draft.fields = vec!["role".to_owned()];
        let now = self.clock.now();
        self.write_audited(
            |writer, draft| {
                caller_still_manager(writer, caller.staff_id, epoch)?;
                let mut staff = writer
                    .staff(staff_id)?
                    .ok_or(ServiceError::NotFound("staff member"))?;
                if staff.role == role {
                    return Err(ServiceError::invalid(format!(
                        "This account is already a {role}; nothing was changed."
                    )));
                }
                if staff.role == Role::Manager && !staff.disabled && active_managers(writer)? <= 1 {
                    return Err(ServiceError::invalid(
                        "This is the last active manager; make someone else a manager first.",
                    ));
                }
                // Roles are not personal data; the entry says which way the change went.
                draft.detail = Some(format!("role: {} -> {role}", staff.role));
                staff.role = role;
                staff.session_epoch = staff.session_epoch.wrapping_add(1);
                staff.updated_at = now;
                Ok(writer.put_staff(&staff)?)
            },
            draft,
        )?;
        self.sessions.remove_staff(staff_id, None);
        Ok(())
    }

    /// Changes the name an account is shown by (manager, after a fresh step-up; one's own
    /// too). The user name used to log in stays the same, and so do their sessions.
    pub fn rename_staff(
        &self,
        session: &Session,
        staff_id: RecordId,
        display_name: &str,
    ) -> Result<(), ServiceError> {
        let caller = self.authorize(session, Operation::EditStaffAccount)?;
        let display_name = clean_display_name(display_name)?;
        let epoch = self.session_epoch(session)?;
        let mut draft = caller.draft(AuditAction::StaffUpdated);
        draft.objects = vec![staff_id.to_string()];
        draft.fields = vec!["display_name".to_owned()];
        let now = self.clock.now();
        self.write_audited(
            |writer, _| {
                caller_still_manager(writer, caller.staff_id, epoch)?;
                let mut staff = writer
                    .staff(staff_id)?
                    .ok_or(ServiceError::NotFound("staff member"))?;
                if staff.display_name == display_name {
                    return Err(ServiceError::invalid(
                        "That is already this account's display name; nothing was changed.",
                    ));
                }
                staff.display_name = display_name;
                staff.updated_at = now;
                Ok(writer.put_staff(&staff)?)
            },
            draft,
        )
    }
}

/// Re-reads the caller inside the write transaction: a manager whom a parallel call has just
/// demoted or disabled must not act on the authority they held before it committed.
fn caller_still_manager(
    reader: &impl ReadAccess,
    caller_id: RecordId,
    epoch: u32,
) -> Result<(), ServiceError> {
    match reader.staff(caller_id)? {
        Some(staff)
            if staff.role == Role::Manager && !staff.disabled && staff.session_epoch == epoch =>
        {
            Ok(())
        }
        _ => Err(ServiceError::SessionEnded),
    }
}

fn active_managers(reader: &impl ReadAccess) -> Result<usize, ServiceError> {
    Ok(reader
        .all_staff()?
        .iter()
        .filter(|s| s.role == crate::domain::access::Role::Manager && !s.disabled)
        .count())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::entropy::SeededEntropy;

    #[test]
    fn temporary_passwords_are_four_readable_groups_that_pass_the_policy() {
        let entropy = SeededEntropy::new(7);
        let mut seen = std::collections::HashSet::new();
        for _ in 0..50 {
            let password = temporary_password(&entropy).unwrap();
            let text = password.expose_secret();
            let groups: Vec<&str> = text.split('-').collect();
            assert_eq!(groups.len(), 4, "{text}");
            assert!(
                groups
                    .iter()
                    .all(|g| g.len() == 5 && g.bytes().all(|b| TEMPORARY_ALPHABET.contains(&b)))
            );
            assert!(!text.contains(['0', 'o', '1', 'l', 'i']));
            check_new_password(text, &["cashier", "Sparkle Car Wash"]).unwrap();
            assert!(seen.insert(text.to_owned()));
        }
    }

    #[test]
    fn preferences_accept_known_languages_and_short_theme_names_only() {
        let prefs = |language: Option<&str>, theme: Option<&str>| StaffPreferences {
            language: language.map(str::to_owned),
            theme: theme.map(str::to_owned),
        };
        assert!(check_preferences(&prefs(None, None)).is_ok());
        assert!(check_preferences(&prefs(Some("zh-CN"), Some("high-contrast-2"))).is_ok());
        assert!(check_preferences(&prefs(Some("fr"), None)).is_err());
        assert!(check_preferences(&prefs(Some("zh-cn"), None)).is_err());
        assert!(check_preferences(&prefs(None, Some(""))).is_err());
        assert!(check_preferences(&prefs(None, Some("Dark"))).is_err());
        assert!(check_preferences(&prefs(None, Some(&"a".repeat(33)))).is_err());
        assert!(check_preferences(&prefs(None, Some("dark\u{1b}[2J"))).is_err());
    }
}
