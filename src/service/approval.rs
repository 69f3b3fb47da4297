//! A manager's approval at a cashier's screen: the manager types their own user name, password
//! and a fresh authenticator code into the cashier's session, which may then do the approved
//! operation once. The check is a counted login attempt against the manager's account, so a
//! wrong approval is throttled like a wrong login, and the cashier learns nothing beyond "yes"
//! or the one "not accepted" message.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use secrecy::SecretString;

use super::SecondFactor;
use super::login::FailureReason;
use super::{Approver, Service, ServiceError, Session};
use crate::audit::{AuditAction, AuditDraft, Outcome};
use crate::auth::password::{Verification, verify_password};
use crate::domain::access::{Operation, Role, normalize_username};
use crate::store::ReadAccess;

/// How long an approval waits to be used. Long enough to finish the form it was asked for,
/// short enough that a forgotten one does not linger at an unattended counter.
pub const APPROVAL_VALIDITY: Duration = Duration::minutes(3);

struct Grant {
    approver: Approver,
    granted_at: DateTime<Utc>,
}

/// Approvals granted and not yet used, by session and operation. In memory only: a restart
/// forgets them, as it forgets sessions.
#[derive(Default)]
pub(super) struct Approvals {
    grants: Mutex<HashMap<(Session, Operation), Grant>>,
}

impl Approvals {
    fn grant(
        &self,
        session: &Session,
        operation: Operation,
        approver: Approver,
        now: DateTime<Utc>,
    ) {
        let mut grants = self.lock();
        // Approvals left unused would otherwise stay until the process ends.
        grants.retain(|_, grant| now - grant.granted_at <= APPROVAL_VALIDITY);
        grants.insert(
            (session.clone(), operation),
            Grant {
                approver,
                granted_at: now,
            },
        );
    }

    /// Takes the approval for this one call; it cannot be used again.
    pub(super) fn take(
        &self,
        session: &Session,
        operation: Operation,
        now: DateTime<Utc>,
    ) -> Option<Approver> {
        let grant = self.lock().remove(&(session.clone(), operation))?;
        (now - grant.granted_at <= APPROVAL_VALIDITY).then_some(grant.approver)
    }

    /// Whether an unused, unexpired approval waits for this session and operation.
    fn waiting(&self, session: &Session, operation: Operation, now: DateTime<Utc>) -> bool {
        self.lock()
            .get(&(session.clone(), operation))
            .is_some_and(|grant| now - grant.granted_at <= APPROVAL_VALIDITY)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(Session, Operation), Grant>> {
        self.grants
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Service {
    /// Whether the session may do `operation` now without asking a manager: by its role, or
    /// because a manager's approval for it is waiting. Front ends ask before showing a form,
    /// so a cashier hears "a manager must approve this" before typing anything.
    pub fn can(&self, session: &Session, operation: Operation) -> bool {
        let Some(record) = self.sessions.get(session) else {
            return false;
        };
        match operation.rule_for(record.role) {
            crate::domain::access::Rule::Allowed => true,
            crate::domain::access::Rule::AfterStepUp => record.has_fresh_step_up(self.clock.now()),
            crate::domain::access::Rule::Denied => {
                operation.manager_may_approve()
                    && self.approvals.waiting(session, operation, self.clock.now())
            }
        }
    }

    /// Checks `operation` like `authorize`, but leaves a waiting approval for the call that
    /// does the work: a price preview must not use up the approval the checkout needs.
    pub(super) fn authorize_keeping_approval(
        &self,
        session: &Session,
        operation: Operation,
    ) -> Result<(), ServiceError> {
        if operation.manager_may_approve()
            && self.approvals.waiting(session, operation, self.clock.now())
        {
            // Only the session itself is checked (live, unlocked); the approval stands in
            // for the role.
            return self.authorize(session, Operation::Checkout).map(drop);
        }
        self.authorize(session, operation).map(drop)
    }

    /// A manager standing at the counter approves `operation` once for this session with their
    /// own user name, password and a current authenticator code. Only a fresh code is taken
    /// (no recovery code), and it is consumed like a login's. A wrong name, password or code
    /// counts toward the typed account's throttle and is audited; the answer never says which
    /// part was wrong.
    pub fn approve(
        &self,
        session: &Session,
        operation: Operation,
        manager_username: &str,
        password: &SecretString,
        code: &str,
    ) -> Result<(), ServiceError> {
        let cashier = self.authorize(session, Operation::Checkout)?;
        if !operation.manager_may_approve() {
            return Err(ServiceError::invalid(
                "this action cannot be approved at the counter; a manager must do it from their own login",
            ));
        }
        let vault = self.unlocked_vault()?;
        let origin = cashier.origin.clone();
        let attempt = self.reserve_attempt(manager_username, &origin)?;
        let found = match normalize_username(manager_username) {
            Ok(name) => self.store.read()?.staff_by_username(&name)?,
            Err(_) => None,
        };
        let refuse =
            |staff, reason| self.refuse_login(staff, reason, &origin, AuditAction::ApprovalRefused);
        let Some(manager) = found else {
            return Err(refuse(None, FailureReason::UnknownUser));
        };
        match verify_password(password, &manager.password_hash) {
            Ok(Verification::Valid { .. }) => {}
            Ok(Verification::Invalid) => {
                return Err(refuse(Some(&manager), FailureReason::WrongPassword));
            }
            Err(_) => return Err(refuse(Some(&manager), FailureReason::UnusablePasswordHash)),
        }
        if manager.disabled {
            return Err(refuse(Some(&manager), FailureReason::DisabledAccount));
        }
        let offered = SecondFactor::Totp(code.to_owned());
        let factor = match self.check_second_factor(&manager, &vault, &offered)? {
            Ok(factor) => factor,
            Err(reason) => return Err(refuse(Some(&manager), reason)),
        };
        let now = self.clock.now();
        let mut writer = self.store.write()?;
        let consumed = writer
            .staff(manager.id)?
            .filter(|current| current.password_hash == manager.password_hash && !current.disabled)
            .ok_or(FailureReason::WrongPassword)
            .and_then(|mut current| {
                Self::consume_second_factor(&mut current, &factor, now).map(|_| current)
            });
        let mut current = match consumed {
            Ok(current) => current,
            Err(reason) => {
                Self::append_login_failure(
                    &mut writer,
                    Some(&manager),
                    reason,
                    &origin,
                    AuditAction::ApprovalRefused,
                    now,
                    self.site,
                )?;
                writer.commit()?;
                return Err(ServiceError::InvalidCredentials);
            }
        };
        Self::settle_success(&mut writer, &attempt, now)?;
        current.updated_at = now;
        writer.put_staff(&current)?;
        let mut draft = AuditDraft {
            actor: Self::staff_actor(&current),
            origin: origin.clone(),
            action: if current.role == Role::Manager {
                AuditAction::ApprovalGranted
            } else {
                AuditAction::ApprovalRefused
            },
            outcome: if current.role == Role::Manager {
                Outcome::Ok
            } else {
                Outcome::Denied
            },
            objects: vec![current.id.to_string(), cashier.staff_id.to_string()],
            fields: Vec::new(),
            detail: None,
            site: self.site,
        };
        draft.add_detail(format!(
            "operation: {}, at the screen of {}",
            operation.as_str(),
            cashier.username
        ));
        writer.append_audit(draft, now)?;
        writer.commit()?;
        drop(attempt);
        if current.role != Role::Manager {
            return Err(ServiceError::invalid(
                "only a manager can approve this; ask a manager to type their own name, password and code",
            ));
        }
        self.approvals.grant(
            session,
            operation,
            Approver {
                staff_id: current.id,
                username: current.username.clone(),
            },
            now,
        );
        Ok(())
    }
}
