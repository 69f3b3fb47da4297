//! Staff enrol themselves: at the first login with a temporary password (or the owner's
//! first, during setup) the session may only choose its own password, set up an
//! authenticator proven by one code, and receive its recovery codes. Only then is it a
//! working session.

use secrecy::{ExposeSecret, SecretString};

use super::login::{AcceptedFactor, FailureReason};
use super::session::EnrolmentStep;
use super::staff::issue_recovery_codes;
use super::{Caller, Service, ServiceError, Session};
use crate::audit::AuditAction;
use crate::auth::password::{Verification, verify_password};
use crate::auth::recovery::RecoveryCode;
use crate::auth::session_rules::SessionState;
use crate::auth::totp::{CodeCheck, Enrolment, TotpSecret, enrolment, verify_code};
use crate::domain::password_policy::check_new_password;
use crate::store::ReadAccess;
use crate::store::records::TotpEnrolmentRecord;

impl Service {
    /// The caller of an enrolment step: a live session that is still enrolling, at `step`.
    fn enrolling_caller(
        &self,
        session: &Session,
        step: EnrolmentStep,
    ) -> Result<Caller, ServiceError> {
        let now = self.clock.now();
        let record = self
            .sessions
            .get(session)
            .ok_or(ServiceError::SessionEnded)?;
        match record.state(now) {
            SessionState::Expired => {
                self.sessions.remove(session);
                return Err(ServiceError::SessionEnded);
            }
            SessionState::IdleLocked => return Err(ServiceError::SessionLocked),
            SessionState::Active => {}
        }
        match self.store.read()?.staff(record.staff_id)? {
            Some(staff) if !staff.disabled && staff.session_epoch == record.epoch => {}
            _ => {
                self.sessions.remove(session);
                return Err(ServiceError::SessionEnded);
            }
        }
        match record.enrolment {
            Some(current) if current == step => {}
            Some(EnrolmentStep::ChoosePassword) => {
                return Err(ServiceError::invalid(
                    "Choose your own password first; then set up the authenticator.",
                ));
            }
            Some(EnrolmentStep::Authenticator) => {
                return Err(ServiceError::invalid(
                    "Your password is already chosen; set up the authenticator next.",
                ));
            }
            None => {
                return Err(ServiceError::invalid(
                    "Your login is already set up; there is nothing left to enrol.",
                ));
            }
        }
        self.sessions
            .update(session, |record| record.clock.touch(now));
        Ok(Caller {
            staff_id: record.staff_id,
            username: record.username,
            role: record.role,
            origin: record.origin,
            approved_by: None,
            site: self.site,
        })
    }

    /// Replaces the temporary password with the staff member's own (the usual strength
    /// rules); the store key is re-wrapped under it.
    pub fn choose_enrolment_password(
        &self,
        session: &Session,
        new: &SecretString,
    ) -> Result<(), ServiceError> {
        let caller = self.enrolling_caller(session, EnrolmentStep::ChoosePassword)?;
        let vault = self.unlocked_vault()?;
        let mut staff = self
            .store
            .read()?
            .staff(caller.staff_id)?
            .ok_or(ServiceError::SessionEnded)?;
        let shop_name = self.settings()?.shop_name;
        check_new_password(
            new.expose_secret(),
            &[&staff.username, &staff.display_name, &shop_name],
        )
        .map_err(|e| ServiceError::WeakPassword(e.to_string()))?;
        if matches!(
            verify_password(new, &staff.password_hash),
            Ok(Verification::Valid { .. })
        ) {
            return Err(ServiceError::WeakPassword(
                "choose a password of your own, not the temporary one".to_owned(),
            ));
        }
        let epoch = staff.session_epoch;
        self.upgrade_password_hashes(&mut staff, &vault, new)?;
        let now = self.clock.now();
        let mut draft = caller.draft(AuditAction::PasswordChanged);
        draft.objects = vec![staff.id.to_string()];
        draft.detail = Some("own password chosen during enrolment".to_owned());
        self.write_audited(
            |writer, _| {
                let mut current = writer
                    .staff(staff.id)?
                    .filter(|current| current.session_epoch == epoch)
                    .ok_or(ServiceError::SessionEnded)?;
                let mut pending = writer
                    .staff_enrolment(staff.id)?
                    .ok_or(ServiceError::SessionEnded)?;
                current.password_hash = staff.password_hash.clone();
                current.store_key_wrap = staff.store_key_wrap.clone();
                current.must_change_password = false;
                current.updated_at = now;
                pending.temporary_password = None;
                writer.put_staff(&current)?;
                writer.put_staff_enrolment(staff.id, Some(&pending))?;
                Ok(())
            },
            draft,
        )?;
        self.sessions.update(session, |record| {
            record.enrolment = Some(EnrolmentStep::Authenticator)
        });
        Ok(())
    }

    /// A fresh authenticator secret for the enrolling staff member to scan or type, shown to
    /// them only. Each call replaces the previous one, which is never activated.
    pub fn begin_authenticator_enrolment(
        &self,
        session: &Session,
    ) -> Result<Enrolment, ServiceError> {
        let caller = self.enrolling_caller(session, EnrolmentStep::Authenticator)?;
        let vault = self.unlocked_vault()?;
        let shop_name = self.settings()?.shop_name;
        let secret = TotpSecret::generate(self.entropy.as_ref())?;
        let shown = enrolment(&secret, &shop_name, &caller.username)
            .map_err(|e| ServiceError::Credential(e.to_string()))?;
        let sealed =
            vault.seal_staff_secret(caller.staff_id, secret.as_bytes(), self.entropy.as_ref())?;
        let now = self.clock.now();
        let mut writer = self.store.write()?;
        let mut staff = writer
            .staff(caller.staff_id)?
            .ok_or(ServiceError::SessionEnded)?;
        staff.totp = TotpEnrolmentRecord {
            sealed_secret: sealed,
            activated_at: None,
            last_used_step: None,
        };
        staff.updated_at = now;
        writer.put_staff(&staff)?;
        writer.commit()?;
        Ok(shown)
    }

    /// Proves the authenticator with one code and finishes enrolment: the authenticator is
    /// active, ten recovery codes are issued (returned to be shown once), the session becomes
    /// a working one, and a setup waiting for this owner is finished. A wrong code counts
    /// toward the account's login throttle and says how to check the phone's clock.
    pub fn finish_enrolment(
        &self,
        session: &Session,
        code: &str,
    ) -> Result<Vec<RecoveryCode>, ServiceError> {
        let caller = self.enrolling_caller(session, EnrolmentStep::Authenticator)?;
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
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        let unix = u64::try_from(now.timestamp()).unwrap_or(0);
        let step = match verify_code(&secret, &code, unix, staff.totp.last_used_step) {
            CodeCheck::Accepted { step } => step,
            CodeCheck::Replayed | CodeCheck::Invalid => {
                let reason = FailureReason::WrongCode;
                let refused = self.refuse_login(
                    Some(&staff),
                    reason,
                    &caller.origin,
                    AuditAction::EnrolmentFailed,
                );
                return Err(match refused {
                    ServiceError::InvalidCredentials => ServiceError::EnrolmentCodeMismatch,
                    other => other,
                });
            }
        };
        let (records, codes) = issue_recovery_codes(&vault, staff.id, self.entropy.as_ref())?;
        let mut writer = self.store.write()?;
        let mut current = writer
            .staff(staff.id)?
            .filter(|current| {
                current.session_epoch == staff.session_epoch
                    && current.totp.sealed_secret == staff.totp.sealed_secret
            })
            .ok_or(ServiceError::SessionEnded)?;
        let actions =
            match Self::consume_second_factor(&mut current, &AcceptedFactor::Totp { step }, now) {
                Ok(actions) => actions,
                Err(reason) => {
                    Self::append_login_failure(
                        &mut writer,
                        Some(&current),
                        reason,
                        &caller.origin,
                        AuditAction::EnrolmentFailed,
                        now,
                        self.site,
                    )?;
                    writer.commit()?;
                    return Err(ServiceError::EnrolmentCodeMismatch);
                }
            };
        current.recovery_codes = records;
        current.must_change_password = false;
        current.updated_at = now;
        Self::settle_success(&mut writer, &attempt, now)?;
        writer.put_staff(&current)?;
        writer.put_staff_enrolment(current.id, None)?;
        let finishes_setup = writer
            .unfinished_setup()?
            .is_some_and(|marker| marker.owner == current.id);
        if finishes_setup {
            writer.put_unfinished_setup(None)?;
        }
        for action in std::iter::once(AuditAction::EnrolmentFinished).chain(actions) {
            let mut draft = caller.draft(action);
            draft.objects = vec![current.id.to_string()];
            if action == AuditAction::EnrolmentFinished && finishes_setup {
                draft.detail = Some("setup finished".to_owned());
            }
            writer.append_audit(draft, now)?;
        }
        writer.commit()?;
        drop(attempt);
        self.sessions.update(session, |record| {
            record.enrolment = None;
            record.stepped_up_at = Some(now);
        });
        Ok(codes)
    }
}
