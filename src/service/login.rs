//! Logging in and staying logged in: password + TOTP (or a recovery code), throttling,
//! idle lock and unlock, step-up for sensitive actions, and password changes.
//!
//! Every failure looks the same from outside — same message, one argon2 run's worth of
//! time — whether the user is unknown, the password wrong, or the code wrong.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::session::SessionRecord;
use super::staff::wrap_for_credential;
use super::{Service, ServiceError, Session};
use crate::audit::{Actor, AuditAction, AuditDraft, Origin, Outcome};
use crate::auth::password::{
    PasswordParams, Verification, burn_equivalent_time, derive_key_encryption_key, hash_password,
    verify_password,
};
use crate::auth::recovery::{normalize_recovery_code, verify_recovery_code};
use crate::auth::session_rules::{SessionClock, SessionState};
use crate::auth::totp::{CodeCheck, TotpSecret, verify_code};
use crate::domain::access::{Operation, normalize_username};
use crate::domain::password_policy::check_new_password;
use crate::store::ReadAccess;
use crate::store::records::StaffRecord;
use crate::vault::{KeyEncryptionKey, UnlockedVault, WrapContext, unwrap_store_key};

/// The second factor offered with the password.
pub enum SecondFactor {
    /// The six digits from the authenticator app.
    Totp(String),
    /// One of the ten single-use recovery codes, for a lost phone.
    RecoveryCode(SecretString),
}

impl SecondFactor {
    /// What a person typed into the one "code" field: six digits are an authenticator code,
    /// anything else is tried as a recovery code.
    pub fn from_typed(typed: &str) -> SecondFactor {
        let typed = typed.trim();
        if typed.len() == 6 && typed.bytes().all(|b| b.is_ascii_digit()) {
            SecondFactor::Totp(typed.to_owned())
        } else {
            SecondFactor::RecoveryCode(SecretString::from(typed.to_owned()))
        }
    }
}

pub struct LoginRequest {
    pub username: String,
    pub password: SecretString,
    pub second_factor: SecondFactor,
    pub origin: Origin,
    /// The `SHA256:` fingerprint of a public key whose signature the SSH layer verified in this
    /// connection; `None` when no key was proven (and always for local and CLI logins).
    pub ssh_key: Option<String>,
}

impl std::fmt::Debug for LoginRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoginRequest")
            .field("origin", &self.origin)
            // A public key's fingerprint is not a secret; it is written to the audit log too.
            .field("ssh_key", &self.ssh_key)
            .finish_non_exhaustive()
    }
}

/// Throttling is per typed name, known or not, so a refusal reveals nothing about which
/// accounts exist.
fn throttle_key(username: &str) -> String {
    username.trim().to_lowercase().chars().take(64).collect()
}

fn unix_seconds(at: DateTime<Utc>) -> u64 {
    u64::try_from(at.timestamp()).unwrap_or(0)
}

/// Why a login failed, for the audit trail only; the caller always sees the same message.
#[derive(Clone, Copy)]
enum FailureReason {
    UnknownUser,
    DisabledAccount,
    WrongPassword,
    UnusablePasswordHash,
    WrongCode,
    ReplayedCode,
    WrongRecoveryCode,
    /// Over SSH, the account requires a key and the connection proved none.
    SshKeyMissing,
    /// Over SSH, the account requires a key and the proven one is not among its keys.
    SshKeyNotListed,
}

impl FailureReason {
    fn as_str(self) -> &'static str {
        match self {
            FailureReason::UnknownUser => "unknown user",
            FailureReason::DisabledAccount => "account disabled",
            FailureReason::WrongPassword => "wrong password",
            FailureReason::UnusablePasswordHash => "stored password hash refused",
            FailureReason::WrongCode => "wrong authenticator code",
            FailureReason::ReplayedCode => "authenticator code already used",
            FailureReason::WrongRecoveryCode => "wrong or used recovery code",
            FailureReason::SshKeyMissing => "SSH key required but none was proven",
            FailureReason::SshKeyNotListed => "SSH key required but the proven one is not listed",
        }
    }
}

/// The SSH key part of a login, decided after password and second factor check out.
enum SshKeyCheck {
    /// `listed` is the fingerprint of the account's key the connection proved, if any.
    Passed {
        listed: Option<String>,
    },
    Refused(FailureReason),
}

impl Service {
    /// Makes `vault` the process's unlocked vault and starts building the name index.
    pub(super) fn adopt_vault(&self, vault: Arc<UnlockedVault>) {
        {
            let mut slot = self
                .vault
                .write()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if slot.is_some() {
                return;
            }
            *slot = Some(Arc::clone(&vault));
        }
        self.names.start_build(Arc::clone(&self.store), vault);
    }

    fn staff_actor(staff: &StaffRecord) -> Actor {
        Actor::Staff {
            staff_id: staff.id,
            username: staff.username.clone(),
        }
    }

    /// Records a failed attempt against the typed name and answers with the one message.
    fn refuse_login(
        &self,
        key: &str,
        staff: Option<&StaffRecord>,
        reason: FailureReason,
        origin: &Origin,
        action: AuditAction,
    ) -> ServiceError {
        let now = self.clock.now();
        let recorded = (|| -> Result<(), ServiceError> {
            let mut writer = self.store.write()?;
            let mut throttle = writer.login_throttle(key)?;
            throttle.record_failure(now);
            writer.put_login_throttle(key, &throttle, now)?;
            writer.append_audit(
                AuditDraft {
                    // A typed name that matches no account may be a password typed in the
                    // wrong box, so it is never written down.
                    actor: staff.map(Self::staff_actor).unwrap_or(Actor::Anonymous {
                        attempted_username: "(unknown)".to_owned(),
                    }),
                    origin: origin.clone(),
                    action,
                    outcome: Outcome::Failed,
                    objects: staff.map(|s| vec![s.id.to_string()]).unwrap_or_default(),
                    fields: Vec::new(),
                    detail: Some(reason.as_str().to_owned()),
                },
                now,
            )?;
            writer.commit()?;
            Ok(())
        })();
        match recorded {
            Ok(()) => ServiceError::InvalidCredentials,
            Err(err) => err,
        }
    }

    /// Re-checks a logged-in staff member's password; a wrong one counts toward the account's
    /// throttle like a failed login and is audited as `failure`.
    fn confirm_password(
        &self,
        staff: &StaffRecord,
        password: &SecretString,
        origin: &Origin,
        failure: AuditAction,
    ) -> Result<(), ServiceError> {
        match verify_password(password, &staff.password_hash) {
            Ok(Verification::Valid { .. }) => Ok(()),
            _ => Err(self.refuse_login(
                &staff.username,
                Some(staff),
                FailureReason::WrongPassword,
                origin,
                failure,
            )),
        }
    }

    /// Refuses early when the typed name is being throttled; the refusal is audited.
    fn check_throttle(&self, key: &str, origin: &Origin) -> Result<(), ServiceError> {
        let now = self.clock.now();
        let throttle = self.store.read()?.login_throttle(key)?;
        if let Err(throttled) = throttle.check(now) {
            let staff = self.store.read()?.staff_by_username(key)?;
            let mut draft = AuditDraft {
                actor: staff
                    .as_ref()
                    .map(Self::staff_actor)
                    .unwrap_or(Actor::Anonymous {
                        attempted_username: "(unknown)".to_owned(),
                    }),
                origin: origin.clone(),
                action: AuditAction::LoginThrottled,
                outcome: Outcome::Denied,
                objects: Vec::new(),
                fields: Vec::new(),
                detail: None,
            };
            if let Some(staff) = staff {
                draft.objects = vec![staff.id.to_string()];
            }
            self.audit_alone(draft)?;
            return Err(ServiceError::Throttled(throttled));
        }
        Ok(())
    }

    /// The store key from this staff member's password, when the store is still locked.
    fn unwrap_with_password(
        staff: &StaffRecord,
        password: &SecretString,
    ) -> Result<Arc<UnlockedVault>, ServiceError> {
        let wrap = &staff.store_key_wrap;
        let kek = derive_key_encryption_key(
            password.expose_secret().as_bytes(),
            &wrap.salt,
            wrap.params.into(),
        )
        .map_err(|e| ServiceError::Credential(e.to_string()))?;
        let store_key = unwrap_store_key(
            &KeyEncryptionKey::from_bytes(kek),
            &wrap.sealed,
            WrapContext::Staff { staff_id: staff.id },
        )?;
        Ok(Arc::new(UnlockedVault::new(store_key)))
    }

    /// Logs a staff member in with password and second factor; the first login after the
    /// process starts also unlocks the store.
    pub fn login(&self, request: LoginRequest) -> Result<Session, ServiceError> {
        let key = throttle_key(&request.username);
        let origin = request.origin.clone();
        self.check_throttle(&key, &origin)?;
        let already_unlocked = self.vault_if_unlocked();
        // A locked store costs a second argon2 run (the key unwrap); failures pay it too.
        let argon_runs = if already_unlocked.is_some() { 1 } else { 2 };
        let burn = |runs: usize| {
            for _ in 0..runs {
                burn_equivalent_time(&request.password);
            }
        };
        let found = match normalize_username(&request.username) {
            Ok(name) => self.store.read()?.staff_by_username(&name)?,
            Err(_) => None,
        };
        let Some(mut staff) = found else {
            burn(argon_runs);
            return Err(self.refuse_login(
                &key,
                None,
                FailureReason::UnknownUser,
                &origin,
                AuditAction::LoginFailed,
            ));
        };
        let needs_upgrade = match verify_password(&request.password, &staff.password_hash) {
            Ok(Verification::Valid { needs_upgrade }) => needs_upgrade,
            Ok(Verification::Invalid) => {
                burn(argon_runs - 1);
                return Err(self.refuse_login(
                    &key,
                    Some(&staff),
                    FailureReason::WrongPassword,
                    &origin,
                    AuditAction::LoginFailed,
                ));
            }
            Err(_) => {
                burn(argon_runs);
                return Err(self.refuse_login(
                    &key,
                    Some(&staff),
                    FailureReason::UnusablePasswordHash,
                    &origin,
                    AuditAction::LoginFailed,
                ));
            }
        };
        if staff.disabled {
            burn(argon_runs - 1);
            return Err(self.refuse_login(
                &key,
                Some(&staff),
                FailureReason::DisabledAccount,
                &origin,
                AuditAction::LoginFailed,
            ));
        }
        let vault = match already_unlocked {
            Some(vault) => vault,
            None => Self::unwrap_with_password(&staff, &request.password)?,
        };
        let now = self.clock.now();
        let mut audit_actions = vec![AuditAction::LoginSucceeded];
        match &request.second_factor {
            SecondFactor::Totp(code) => {
                let secret = TotpSecret::from_bytes(
                    &vault.open_staff_secret(staff.id, &staff.totp.sealed_secret)?,
                )
                .map_err(|e| ServiceError::Credential(e.to_string()))?;
                match verify_code(&secret, code, unix_seconds(now), staff.totp.last_used_step) {
                    CodeCheck::Accepted { step } => {
                        staff.totp.last_used_step = Some(step);
                        if staff.totp.activated_at.is_none() {
                            staff.totp.activated_at = Some(now);
                            audit_actions.push(AuditAction::TotpActivated);
                        }
                    }
                    CodeCheck::Replayed => {
                        return Err(self.refuse_login(
                            &key,
                            Some(&staff),
                            FailureReason::ReplayedCode,
                            &origin,
                            AuditAction::LoginFailed,
                        ));
                    }
                    CodeCheck::Invalid => {
                        return Err(self.refuse_login(
                            &key,
                            Some(&staff),
                            FailureReason::WrongCode,
                            &origin,
                            AuditAction::LoginFailed,
                        ));
                    }
                }
            }
            SecondFactor::RecoveryCode(code) => {
                let matched = normalize_recovery_code(code.expose_secret()).and_then(|code| {
                    staff.recovery_codes.iter().position(|slot| {
                        slot.used_at.is_none() && verify_recovery_code(code.expose(), &slot.hash)
                    })
                });
                match matched {
                    Some(index) => {
                        staff.recovery_codes[index].used_at = Some(now);
                        audit_actions.push(AuditAction::RecoveryCodeUsed);
                    }
                    None => {
                        return Err(self.refuse_login(
                            &key,
                            Some(&staff),
                            FailureReason::WrongRecoveryCode,
                            &origin,
                            AuditAction::LoginFailed,
                        ));
                    }
                }
            }
        }
        let ssh_key_used = match self.check_ssh_key(&staff, &request)? {
            SshKeyCheck::Passed { listed } => listed,
            SshKeyCheck::Refused(reason) => {
                return Err(self.refuse_login(
                    &key,
                    Some(&staff),
                    reason,
                    &origin,
                    AuditAction::LoginFailed,
                ));
            }
        };
        if needs_upgrade {
            self.upgrade_password_hashes(&mut staff, &vault, &request.password)?;
        }
        staff.updated_at = now;
        let staff_for_audit = staff.clone();
        {
            let mut writer = self.store.write()?;
            let mut throttle = writer.login_throttle(&key)?;
            throttle.record_success();
            writer.put_login_throttle(&key, &throttle, now)?;
            writer.put_staff(&staff)?;
            for action in audit_actions {
                let mut draft = AuditDraft {
                    actor: Self::staff_actor(&staff_for_audit),
                    origin: origin.clone(),
                    action,
                    outcome: Outcome::Ok,
                    objects: vec![staff.id.to_string()],
                    fields: Vec::new(),
                    detail: None,
                };
                if action == AuditAction::LoginSucceeded {
                    let notes: Vec<String> = [
                        ssh_key_used.as_ref().map(|fp| format!("SSH key {fp}")),
                        needs_upgrade.then(|| "password hash upgraded".to_owned()),
                    ]
                    .into_iter()
                    .flatten()
                    .collect();
                    draft.detail = (!notes.is_empty()).then(|| notes.join("; "));
                }
                writer.append_audit(draft, now)?;
            }
            writer.commit()?;
        }
        self.adopt_vault(vault);
        let idle_minutes = self.settings().map(|s| s.idle_lock_minutes).unwrap_or(5);
        let session = Session::from_key(self.entropy.array::<16>()?);
        self.sessions.insert(
            session.clone(),
            SessionRecord {
                staff_id: staff.id,
                username: staff.username.clone(),
                role: staff.role,
                origin,
                epoch: staff.session_epoch,
                clock: SessionClock::start(now),
                idle_limit: Duration::minutes(i64::from(idle_minutes.max(1))),
                locked_by_hand: false,
                stepped_up_at: Some(now),
                must_change_password: staff.must_change_password,
            },
        );
        Ok(session)
    }

    /// Over SSH, the listed key the connection proved (`None` when it proved none or one that is
    /// not listed), or why the login must be refused because the account requires a key.
    /// Local and command-line logins never need one: the person is at the shop's own machine.
    fn check_ssh_key(
        &self,
        staff: &StaffRecord,
        request: &LoginRequest,
    ) -> Result<SshKeyCheck, ServiceError> {
        if !matches!(request.origin, Origin::Ssh { .. }) {
            return Ok(SshKeyCheck::Passed { listed: None });
        }
        let keys = self.store.read()?.staff_ssh_keys(staff.id)?;
        let listed = request
            .ssh_key
            .as_deref()
            .filter(|offered| keys.keys.iter().any(|k| k.fingerprint == *offered))
            .map(str::to_owned);
        Ok(match (listed, &request.ssh_key) {
            (Some(listed), _) => SshKeyCheck::Passed {
                listed: Some(listed),
            },
            (None, _) if !keys.required => SshKeyCheck::Passed { listed: None },
            (None, None) => SshKeyCheck::Refused(FailureReason::SshKeyMissing),
            (None, Some(_)) => SshKeyCheck::Refused(FailureReason::SshKeyNotListed),
        })
    }

    /// Re-hashes a password stored with parameters below today's default, and re-wraps the
    /// store key under the stronger derivation.
    fn upgrade_password_hashes(
        &self,
        staff: &mut StaffRecord,
        vault: &UnlockedVault,
        password: &SecretString,
    ) -> Result<(), ServiceError> {
        staff.password_hash =
            hash_password(password, PasswordParams::DEFAULT, self.entropy.as_ref())
                .map_err(|e| ServiceError::Credential(e.to_string()))?;
        staff.store_key_wrap = wrap_for_credential(
            vault,
            password.expose_secret().as_bytes(),
            WrapContext::Staff { staff_id: staff.id },
            PasswordParams::DEFAULT,
            self.entropy.as_ref(),
        )?;
        Ok(())
    }

    pub fn logout(&self, session: &Session) -> Result<(), ServiceError> {
        if let Some(record) = self.sessions.remove(session) {
            self.audit_alone(AuditDraft {
                actor: Actor::Staff {
                    staff_id: record.staff_id,
                    username: record.username,
                },
                origin: record.origin,
                action: AuditAction::Logout,
                outcome: Outcome::Ok,
                objects: Vec::new(),
                fields: Vec::new(),
                detail: None,
            })?;
        }
        Ok(())
    }

    /// Locks the screen at once (the "away from the counter" key).
    pub fn lock(&self, session: &Session) -> Result<(), ServiceError> {
        let record = self
            .sessions
            .get(session)
            .ok_or(ServiceError::SessionEnded)?;
        self.sessions.update(session, |r| r.locked_by_hand = true);
        self.audit_alone(AuditDraft {
            actor: Actor::Staff {
                staff_id: record.staff_id,
                username: record.username,
            },
            origin: record.origin,
            action: AuditAction::SessionLocked,
            outcome: Outcome::Ok,
            objects: Vec::new(),
            fields: Vec::new(),
            detail: None,
        })
    }

    /// Unlocks an idle-locked session with the same staff member's password. Failures count
    /// toward that account's throttle like failed logins.
    pub fn unlock(&self, session: &Session, password: &SecretString) -> Result<(), ServiceError> {
        let record = self
            .sessions
            .get(session)
            .ok_or(ServiceError::SessionEnded)?;
        let now = self.clock.now();
        if record.state(now) == SessionState::Expired {
            self.sessions.remove(session);
            return Err(ServiceError::SessionEnded);
        }
        self.check_throttle(&record.username, &record.origin)?;
        let staff = self.store.read()?.staff(record.staff_id)?;
        let Some(staff) = staff.filter(|s| !s.disabled && s.session_epoch == record.epoch) else {
            self.sessions.remove(session);
            return Err(ServiceError::SessionEnded);
        };
        self.confirm_password(&staff, password, &record.origin, AuditAction::UnlockFailed)?;
        self.sessions.update(session, |r| {
            r.locked_by_hand = false;
            r.clock.touch(now);
        });
        self.audit_alone(AuditDraft {
            actor: Self::staff_actor(&staff),
            origin: record.origin,
            action: AuditAction::SessionUnlocked,
            outcome: Outcome::Ok,
            objects: Vec::new(),
            fields: Vec::new(),
            detail: None,
        })
    }

    /// Confirms a sensitive action with a fresh authenticator code.
    pub fn step_up(&self, session: &Session, code: &str) -> Result<(), ServiceError> {
        let caller = self.authorize(session, Operation::ChangeOwnPassword)?;
        let vault = self.unlocked_vault()?;
        let mut staff = self
            .store
            .read()?
            .staff(caller.staff_id)?
            .ok_or(ServiceError::SessionEnded)?;
        let now = self.clock.now();
        let secret =
            TotpSecret::from_bytes(&vault.open_staff_secret(staff.id, &staff.totp.sealed_secret)?)
                .map_err(|e| ServiceError::Credential(e.to_string()))?;
        match verify_code(&secret, code, unix_seconds(now), staff.totp.last_used_step) {
            CodeCheck::Accepted { step } => {
                staff.totp.last_used_step = Some(step);
                let draft = caller.draft(AuditAction::StepUp);
                self.write_audited(|writer, _| Ok(writer.put_staff(&staff)?), draft)?;
                self.sessions
                    .update(session, |r| r.stepped_up_at = Some(now));
                Ok(())
            }
            CodeCheck::Replayed | CodeCheck::Invalid => Err(self.refuse_login(
                &caller.username,
                Some(&staff),
                FailureReason::WrongCode,
                &caller.origin,
                AuditAction::StepUpFailed,
            )),
        }
    }

    /// Changes the caller's own password. The store key is re-wrapped under the new one, so
    /// the old password stops unlocking anything; the staff member's other sessions end.
    pub fn change_own_password(
        &self,
        session: &Session,
        current: &SecretString,
        new: &SecretString,
    ) -> Result<(), ServiceError> {
        let caller = self.authorize(session, Operation::ChangeOwnPassword)?;
        let vault = self.unlocked_vault()?;
        let mut staff = self
            .store
            .read()?
            .staff(caller.staff_id)?
            .ok_or(ServiceError::SessionEnded)?;
        self.confirm_password(
            &staff,
            current,
            &caller.origin,
            AuditAction::PasswordChangeFailed,
        )?;
        if current.expose_secret() == new.expose_secret() {
            return Err(ServiceError::WeakPassword(
                "choose a password different from the current one".to_owned(),
            ));
        }
        let shop_name = self.settings()?.shop_name;
        check_new_password(
            new.expose_secret(),
            &[&staff.username, &staff.display_name, &shop_name],
        )
        .map_err(|e| ServiceError::WeakPassword(e.to_string()))?;
        self.upgrade_password_hashes(&mut staff, &vault, new)?;
        let now = self.clock.now();
        staff.must_change_password = false;
        staff.session_epoch = staff.session_epoch.wrapping_add(1);
        staff.updated_at = now;
        let epoch = staff.session_epoch;
        let mut draft = caller.draft(AuditAction::PasswordChanged);
        draft.objects = vec![staff.id.to_string()];
        self.write_audited(|writer, _| Ok(writer.put_staff(&staff)?), draft)?;
        self.sessions.remove_staff(staff.id, Some(session));
        self.sessions.update(session, |r| {
            r.epoch = epoch;
            r.must_change_password = false;
        });
        Ok(())
    }
}
