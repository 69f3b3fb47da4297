//! Logging in and staying logged in: password + TOTP (or a recovery code), throttling,
//! idle lock and unlock, step-up for sensitive actions, and password changes.
//!
//! Every failure looks the same from outside — same message, one argon2 run's worth of
//! time — whether the user is unknown, the password wrong, or the code wrong.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use secrecy::{ExposeSecret, SecretString};

use super::login_gate::GatePass;
use super::session::{EnrolmentStep, SessionRecord};
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
use crate::store::records::{PendingEnrolmentRecord, StaffRecord};
use crate::store::{ReadAccess, StoreWriter};
use crate::vault::{KeyEncryptionKey, UnlockedVault, WrapContext, unwrap_store_key};

/// The second factor offered with the password.
pub enum SecondFactor {
    /// The six digits from the authenticator app.
    Totp(String),
    /// One of the ten single-use recovery codes, for a lost phone.
    RecoveryCode(SecretString),
    /// No code: a first login with a temporary password (or the owner resuming setup),
    /// before there is an authenticator to take one from.
    Absent,
}

impl SecondFactor {
    /// What a person typed into the one "code" field: six digits are an authenticator code,
    /// anything else is tried as a recovery code.
    pub fn from_typed(typed: &str) -> SecondFactor {
        let typed = typed.trim();
        if typed.is_empty() {
            SecondFactor::Absent
        } else if typed.len() == 6 && typed.bytes().all(|b| b.is_ascii_digit()) {
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
pub(super) enum FailureReason {
    UnknownUser,
    DisabledAccount,
    WrongPassword,
    UnusablePasswordHash,
    WrongCode,
    ReplayedCode,
    WrongRecoveryCode,
    /// No code was given for an account that has an authenticator.
    MissingCode,
    TemporaryPasswordExpired,
    TemporaryPasswordUsed,
    /// Over SSH, the account requires a key and the connection proved none.
    SshKeyMissing,
    /// Over SSH, the account requires a key and the proven one is not among its keys.
    SshKeyNotListed,
    /// The account is limited to other sites of the chain than this process's.
    WrongSite,
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
            FailureReason::MissingCode => "no authenticator code given",
            FailureReason::TemporaryPasswordExpired => "temporary password expired",
            FailureReason::TemporaryPasswordUsed => "temporary password already used",
            FailureReason::SshKeyMissing => "SSH key required but none was proven",
            FailureReason::SshKeyNotListed => "SSH key required but the proven one is not listed",
            FailureReason::WrongSite => "account limited to other sites",
        }
    }
}

/// An attempt already counted against a typed name, holding that name's gate until dropped.
pub(super) struct ReservedAttempt<'a> {
    key: String,
    reserved_at: DateTime<Utc>,
    _pass: GatePass<'a>,
}

/// The second factor that checked out, to be consumed in the login's write transaction.
pub(super) enum AcceptedFactor {
    Totp {
        step: u64,
    },
    /// The slot's hash too, so a code list replaced meanwhile is not mistaken for this one.
    RecoveryCode {
        index: usize,
        hash: String,
    },
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
        self.names
            .start_build(Arc::clone(&self.store), vault, super::snapshot_entropy());
    }

    pub(super) fn staff_actor(staff: &StaffRecord) -> Actor {
        Actor::Staff {
            staff_id: staff.id,
            username: staff.username.clone(),
        }
    }

    /// Counts an attempt against `typed_name` before any credential is checked: the limits are
    /// checked and the attempt recorded as a failure in one write transaction, behind the
    /// name's gate, so parallel attempts never get past the throttle or the hourly cap.
    /// A refusal is audited in that same transaction.
    pub(super) fn reserve_attempt(
        &self,
        typed_name: &str,
        origin: &Origin,
    ) -> Result<ReservedAttempt<'_>, ServiceError> {
        let key = throttle_key(typed_name);
        let pass = self.login_gate.enter(&key);
        let now = self.clock.now();
        let mut writer = self.store.write()?;
        let mut throttle = writer.login_throttle(&key)?;
        if let Err(throttled) = throttle.reserve(now) {
            let staff = match normalize_username(typed_name) {
                Ok(name) => writer.staff_by_username(&name)?,
                Err(_) => None,
            };
            writer.append_audit(
                AuditDraft {
                    actor: staff
                        .as_ref()
                        .map(Self::staff_actor)
                        .unwrap_or_else(Self::unnamed_actor),
                    origin: origin.clone(),
                    action: AuditAction::LoginThrottled,
                    outcome: Outcome::Denied,
                    objects: staff.map(|s| vec![s.id.to_string()]).unwrap_or_default(),
                    fields: Vec::new(),
                    detail: None,
                    site: self.site,
                },
                now,
            )?;
            writer.commit()?;
            return Err(ServiceError::Throttled(throttled));
        }
        writer.put_login_throttle(&key, &throttle, now)?;
        writer.commit()?;
        Ok(ReservedAttempt {
            key,
            reserved_at: now,
            _pass: pass,
        })
    }

    /// A typed name that matches no account may be a password typed in the wrong box, so it
    /// is never written down.
    fn unnamed_actor() -> Actor {
        Actor::Anonymous {
            attempted_username: "(unknown)".to_owned(),
        }
    }

    /// Audits a failed attempt and answers with the one message. The attempt was already
    /// counted when it was reserved.
    pub(super) fn refuse_login(
        &self,
        staff: Option<&StaffRecord>,
        reason: FailureReason,
        origin: &Origin,
        action: AuditAction,
    ) -> ServiceError {
        let recorded = (|| -> Result<(), ServiceError> {
            let mut writer = self.store.write()?;
            Self::append_login_failure(
                &mut writer,
                staff,
                reason,
                origin,
                action,
                self.now(),
                self.site,
            )?;
            writer.commit()?;
            Ok(())
        })();
        match recorded {
            Ok(()) => ServiceError::InvalidCredentials,
            Err(err) => err,
        }
    }

    pub(super) fn append_login_failure(
        writer: &mut StoreWriter,
        staff: Option<&StaffRecord>,
        reason: FailureReason,
        origin: &Origin,
        action: AuditAction,
        now: DateTime<Utc>,
        site: u16,
    ) -> Result<(), ServiceError> {
        if matches!(
            reason,
            FailureReason::SshKeyMissing | FailureReason::SshKeyNotListed
        ) {
            writer.note_for_alerts(crate::domain::alerts::AlertSignal::SshKeyMissing);
        }
        writer.append_audit(
            AuditDraft {
                actor: staff
                    .map(Self::staff_actor)
                    .unwrap_or_else(Self::unnamed_actor),
                origin: origin.clone(),
                action,
                outcome: Outcome::Failed,
                objects: staff.map(|s| vec![s.id.to_string()]).unwrap_or_default(),
                fields: Vec::new(),
                detail: Some(reason.as_str().to_owned()),
                site,
            },
            now,
        )?;
        Ok(())
    }

    /// The reserved attempt succeeded: inside the caller's transaction, it stops counting as
    /// a failure and the run of failures ends.
    pub(super) fn settle_success(
        writer: &mut StoreWriter,
        attempt: &ReservedAttempt<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let mut throttle = writer.login_throttle(&attempt.key)?;
        throttle.record_success(attempt.reserved_at);
        writer.put_login_throttle(&attempt.key, &throttle, now)?;
        Ok(())
    }

    /// Re-checks a logged-in staff member's password as a counted attempt: a wrong one counts
    /// toward the account's throttle like a failed login and is audited as `failure`.
    fn confirm_password(
        &self,
        staff: &StaffRecord,
        password: &SecretString,
        origin: &Origin,
        failure: AuditAction,
    ) -> Result<(), ServiceError> {
        let attempt = self.reserve_attempt(&staff.username, origin)?;
        match verify_password(password, &staff.password_hash) {
            Ok(Verification::Valid { .. }) => {
                let mut writer = self.store.write()?;
                Self::settle_success(&mut writer, &attempt, self.now())?;
                writer.commit()?;
                Ok(())
            }
            _ => Err(self.refuse_login(Some(staff), FailureReason::WrongPassword, origin, failure)),
        }
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
        let origin = request.origin.clone();
        let attempt = self.reserve_attempt(&request.username, &origin)?;
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
        let Some(staff) = found else {
            burn(argon_runs);
            return Err(self.refuse_login(
                None,
                FailureReason::UnknownUser,
                &origin,
                AuditAction::LoginFailed,
            ));
        };
        let refuse =
            |reason| self.refuse_login(Some(&staff), reason, &origin, AuditAction::LoginFailed);
        let needs_upgrade = match verify_password(&request.password, &staff.password_hash) {
            Ok(Verification::Valid { needs_upgrade }) => needs_upgrade,
            Ok(Verification::Invalid) => {
                burn(argon_runs - 1);
                return Err(refuse(FailureReason::WrongPassword));
            }
            Err(_) => {
                burn(argon_runs);
                return Err(refuse(FailureReason::UnusablePasswordHash));
            }
        };
        if staff.disabled {
            burn(argon_runs - 1);
            return Err(refuse(FailureReason::DisabledAccount));
        }
        let vault = match already_unlocked {
            Some(vault) => vault,
            None => Self::unwrap_with_password(&staff, &request.password)?,
        };
        let now = self.clock.now();
        // An account still enrolling has no authenticator to take a code from: its password
        // alone opens a session that may only finish enrolling.
        let pending = self.store.read()?.staff_enrolment(staff.id)?;
        let factor = match &pending {
            Some(pending) => {
                if let Err(reason) = Self::check_temporary_password(pending, now) {
                    return Err(refuse(reason));
                }
                None
            }
            None => match self.check_second_factor(&staff, &vault, &request.second_factor)? {
                Ok(factor) => Some(factor),
                Err(reason) => return Err(refuse(reason)),
            },
        };
        let ssh_key_used = match self.check_ssh_key(&staff, &request)? {
            SshKeyCheck::Passed { listed } => listed,
            SshKeyCheck::Refused(reason) => return Err(refuse(reason)),
        };
        // Said plainly only to someone who proved the password and the code: the account
        // exists, but it works at other sites of the chain.
        let reader = self.store.read()?;
        if let Some(allowed) = Self::staff_sites_in(&reader, staff.id)?
            && !crate::domain::site::may_work_at(Some(&allowed), self.site)
        {
            let refusal = self.site_refusal(&reader, &allowed)?;
            drop(reader);
            return match refuse(FailureReason::WrongSite) {
                ServiceError::InvalidCredentials => Err(refusal),
                other => Err(other),
            };
        }
        drop(reader);
        let mut writer = self.store.write()?;
        // The record as it is now, not as read before the argon2 work: a parallel login may
        // have used the code (or the temporary password) meanwhile, and only one may have it.
        let current_pending = writer.staff_enrolment(staff.id)?;
        let mut consumed_pending = None;
        let outcome = match writer
            .staff(staff.id)?
            .filter(|current| current.password_hash == staff.password_hash && !current.disabled)
        {
            Some(mut current) => match &factor {
                Some(factor) if current_pending.is_none() => {
                    Self::consume_second_factor(&mut current, factor, now)
                        .map(|actions| (current, actions))
                }
                Some(_) => Err(FailureReason::WrongCode),
                None => {
                    Self::consume_temporary_password(current_pending.as_ref(), now).map(|updated| {
                        consumed_pending = Some(updated);
                        (current, vec![AuditAction::EnrolmentStarted])
                    })
                }
            },
            None => Err(FailureReason::WrongPassword),
        };
        let (mut staff, mut audit_actions) = match outcome {
            Ok(consumed) => consumed,
            Err(reason) => {
                Self::append_login_failure(
                    &mut writer,
                    Some(&staff),
                    reason,
                    &origin,
                    AuditAction::LoginFailed,
                    now,
                    self.site,
                )?;
                writer.commit()?;
                return Err(ServiceError::InvalidCredentials);
            }
        };
        audit_actions.insert(0, AuditAction::LoginSucceeded);
        if needs_upgrade {
            self.upgrade_password_hashes(&mut staff, &vault, &request.password)?;
        }
        staff.updated_at = now;
        Self::settle_success(&mut writer, &attempt, now)?;
        writer.put_staff(&staff)?;
        if let Some(updated) = &consumed_pending {
            writer.put_staff_enrolment(staff.id, Some(updated))?;
        }
        for action in audit_actions {
            let mut draft = AuditDraft {
                actor: Self::staff_actor(&staff),
                origin: origin.clone(),
                action,
                outcome: Outcome::Ok,
                objects: vec![staff.id.to_string()],
                fields: Vec::new(),
                detail: None,
                site: self.site,
            };
            if action == AuditAction::LoginSucceeded {
                let notes: Vec<String> = [
                    consumed_pending.as_ref().map(|pending| {
                        if pending.temporary_password.is_some() {
                            "temporary password; enrolment only".to_owned()
                        } else {
                            "password only; enrolment only".to_owned()
                        }
                    }),
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
        drop(attempt);
        self.adopt_vault(vault);
        let idle_minutes = self.settings().map(|s| s.idle_lock_minutes).unwrap_or(5);
        let session = Session::from_key(self.entropy.array::<16>()?);
        let enrolment = consumed_pending.as_ref().map(|pending| {
            if pending.temporary_password.is_some() {
                EnrolmentStep::ChoosePassword
            } else {
                EnrolmentStep::Authenticator
            }
        });
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
                stepped_up_at: enrolment.is_none().then_some(now),
                must_change_password: enrolment.is_none() && staff.must_change_password,
                enrolment,
                member_searches: 0,
            },
        );
        Ok(session)
    }

    /// Whether a pending enrolment's temporary password (if it has one) may still be used.
    fn check_temporary_password(
        pending: &PendingEnrolmentRecord,
        now: DateTime<Utc>,
    ) -> Result<(), FailureReason> {
        match &pending.temporary_password {
            None => Ok(()),
            Some(temporary) if temporary.used_at.is_some() => {
                Err(FailureReason::TemporaryPasswordUsed)
            }
            Some(temporary) if now >= temporary.expires_at => {
                Err(FailureReason::TemporaryPasswordExpired)
            }
            Some(_) => Ok(()),
        }
    }

    /// Marks the temporary password used on the enrolment as read inside the login's write
    /// transaction — a compare-and-set: of two logins racing with it, only one gets in.
    fn consume_temporary_password(
        pending: Option<&PendingEnrolmentRecord>,
        now: DateTime<Utc>,
    ) -> Result<PendingEnrolmentRecord, FailureReason> {
        // Enrolment finished meanwhile: the password alone no longer logs in.
        let mut pending = pending.cloned().ok_or(FailureReason::MissingCode)?;
        Self::check_temporary_password(&pending, now)?;
        if let Some(temporary) = &mut pending.temporary_password {
            temporary.used_at = Some(now);
        }
        Ok(pending)
    }

    /// Whether the offered code is one of the staff member's; nothing is consumed yet.
    pub(super) fn check_second_factor(
        &self,
        staff: &StaffRecord,
        vault: &UnlockedVault,
        offered: &SecondFactor,
    ) -> Result<Result<AcceptedFactor, FailureReason>, ServiceError> {
        Ok(match offered {
            SecondFactor::Totp(code) => {
                let secret = TotpSecret::from_bytes(
                    &vault.open_staff_secret(staff.id, &staff.totp.sealed_secret)?,
                )
                .map_err(|e| ServiceError::Credential(e.to_string()))?;
                let now = unix_seconds(self.clock.now());
                match verify_code(&secret, code, now, staff.totp.last_used_step) {
                    CodeCheck::Accepted { step } => Ok(AcceptedFactor::Totp { step }),
                    CodeCheck::Replayed => Err(FailureReason::ReplayedCode),
                    CodeCheck::Invalid => Err(FailureReason::WrongCode),
                }
            }
            SecondFactor::RecoveryCode(code) => normalize_recovery_code(code.expose_secret())
                .and_then(|code| {
                    staff.recovery_codes.iter().enumerate().find(|(_, slot)| {
                        slot.used_at.is_none() && verify_recovery_code(code.expose(), &slot.hash)
                    })
                })
                .map(|(index, slot)| AcceptedFactor::RecoveryCode {
                    index,
                    hash: slot.hash.clone(),
                })
                .ok_or(FailureReason::WrongRecoveryCode),
            SecondFactor::Absent => Err(FailureReason::MissingCode),
        })
    }

    /// Marks the checked code used on the record as read inside the login's write
    /// transaction — a compare-and-set: if a parallel login used it first, this one fails.
    /// Returns the audit actions the use adds.
    pub(super) fn consume_second_factor(
        staff: &mut StaffRecord,
        factor: &AcceptedFactor,
        now: DateTime<Utc>,
    ) -> Result<Vec<AuditAction>, FailureReason> {
        let mut actions = Vec::new();
        match factor {
            &AcceptedFactor::Totp { step } => {
                if staff.totp.last_used_step.is_some_and(|last| step <= last) {
                    return Err(FailureReason::ReplayedCode);
                }
                staff.totp.last_used_step = Some(step);
                if staff.totp.activated_at.is_none() {
                    staff.totp.activated_at = Some(now);
                    actions.push(AuditAction::TotpActivated);
                }
            }
            AcceptedFactor::RecoveryCode { index, hash } => {
                let slot = staff
                    .recovery_codes
                    .get_mut(*index)
                    .filter(|slot| slot.used_at.is_none() && slot.hash == *hash)
                    .ok_or(FailureReason::WrongRecoveryCode)?;
                slot.used_at = Some(now);
                actions.push(AuditAction::RecoveryCodeUsed);
            }
        }
        Ok(actions)
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
    pub(super) fn upgrade_password_hashes(
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
                detail: Some(format!("member searches: {}", record.member_searches)),
                site: self.site,
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
            site: self.site,
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
            site: self.site,
        })
    }

    /// Confirms a sensitive action with a fresh authenticator code. The code is a counted
    /// attempt and is consumed like a login's.
    pub fn step_up(&self, session: &Session, code: &str) -> Result<(), ServiceError> {
        let caller = self.authorize(session, Operation::ChangeOwnPassword)?;
        let vault = self.unlocked_vault()?;
        let attempt = self.reserve_attempt(&caller.username, &caller.origin)?;
        let staff = self
            .store
            .read()?
            .staff(caller.staff_id)?
            .ok_or(ServiceError::SessionEnded)?;
        let now = self.clock.now();
        let secret =
            TotpSecret::from_bytes(&vault.open_staff_secret(staff.id, &staff.totp.sealed_secret)?)
                .map_err(|e| ServiceError::Credential(e.to_string()))?;
        let refuse = |reason| {
            self.refuse_login(
                Some(&staff),
                reason,
                &caller.origin,
                AuditAction::StepUpFailed,
            )
        };
        let step = match verify_code(&secret, code, unix_seconds(now), staff.totp.last_used_step) {
            CodeCheck::Accepted { step } => step,
            CodeCheck::Replayed => return Err(refuse(FailureReason::ReplayedCode)),
            CodeCheck::Invalid => return Err(refuse(FailureReason::WrongCode)),
        };
        let mut writer = self.store.write()?;
        let mut current = writer
            .staff(caller.staff_id)?
            .ok_or(ServiceError::SessionEnded)?;
        if let Err(reason) =
            Self::consume_second_factor(&mut current, &AcceptedFactor::Totp { step }, now)
        {
            Self::append_login_failure(
                &mut writer,
                Some(&current),
                reason,
                &caller.origin,
                AuditAction::StepUpFailed,
                now,
                self.site,
            )?;
            writer.commit()?;
            return Err(ServiceError::InvalidCredentials);
        }
        Self::settle_success(&mut writer, &attempt, now)?;
        writer.put_staff(&current)?;
        writer.append_audit(caller.draft(AuditAction::StepUp), now)?;
        writer.commit()?;
        self.sessions
            .update(session, |r| r.stepped_up_at = Some(now));
        Ok(())
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
        self.write_audited(
            |writer, _| {
                // Only the password and what follows from it change; a code used meanwhile
                // stays used.
                let mut current = writer.staff(staff.id)?.ok_or(ServiceError::SessionEnded)?;
                current.password_hash = staff.password_hash.clone();
                current.store_key_wrap = staff.store_key_wrap.clone();
                current.must_change_password = false;
                current.session_epoch = epoch;
                current.updated_at = now;
                Ok(writer.put_staff(&current)?)
            },
            draft,
        )?;
        self.sessions.remove_staff(staff.id, Some(session));
        self.sessions.update(session, |r| {
            r.epoch = epoch;
            r.must_change_password = false;
        });
        Ok(())
    }
}
