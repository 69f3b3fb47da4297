//! Creating a new store: shop settings, the store key, and the first manager.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use super::staff::{NewStaff, new_staff_record, unenrolled_staff_record};
use super::{Service, ServiceError, system_draft};
use crate::audit::{AuditAction, Origin};
use crate::auth::recovery::RecoveryCode;
use crate::auth::totp::Enrolment;
use crate::clock::Clock;
use crate::domain::access::{Role, normalize_username};
use crate::domain::currency::Currency;
use crate::domain::password_policy::check_new_password;
use crate::domain::sanitize::sanitize_line;
use crate::entropy::Entropy;
use crate::ids::RecordId;
use crate::store::records::{PendingEnrolmentRecord, ShopSettings, UnfinishedSetupRecord};
use crate::store::{ReadAccess, Store};
use crate::vault::{StoreKey, UnlockedVault};

/// Default minutes of inactivity before a counter session locks (SPEC section 5).
pub const DEFAULT_IDLE_LOCK_MINUTES: u32 = 5;

pub struct InitialSetup {
    pub shop_name: String,
    pub timezone: String,
    pub currency: String,
    pub manager_username: String,
    pub manager_password: SecretString,
    pub demo: bool,
}

impl std::fmt::Debug for InitialSetup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InitialSetup")
            .field("shop_name", &self.shop_name)
            .field("timezone", &self.timezone)
            .field("currency", &self.currency)
            .field("manager_username", &self.manager_username)
            .finish_non_exhaustive()
    }
}

/// What a new staff member must be shown exactly once: the authenticator enrolment and the
/// recovery codes. Never stored in this form.
pub struct StaffCredentials {
    pub staff_id: RecordId,
    pub enrolment: Enrolment,
    pub recovery_codes: Vec<RecoveryCode>,
}

impl std::fmt::Debug for StaffCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffCredentials")
            .field("staff_id", &self.staff_id)
            .finish_non_exhaustive()
    }
}

impl InitialSetup {
    /// Checks everything that can be checked before a file is created, so a typo leaves no
    /// half-made store behind. Returns the cleaned shop name, zone and currency.
    pub fn validate(&self) -> Result<(String, String, Currency), ServiceError> {
        let shop_name = sanitize_line(&self.shop_name);
        if shop_name.is_empty() || shop_name.chars().count() > 60 {
            return Err(ServiceError::invalid("shop name: enter 1 to 60 characters"));
        }
        let timezone = self.timezone.trim();
        if timezone.parse::<chrono_tz::Tz>().is_err() {
            return Err(ServiceError::invalid(format!(
                "timezone: `{}` is not an IANA time zone; use a name such as America/Vancouver or Asia/Shanghai",
                sanitize_line(timezone).chars().take(40).collect::<String>()
            )));
        }
        let currency = Currency::from_code(&self.currency)
            .map_err(|e| ServiceError::invalid(e.to_string()))?;
        let username = normalize_username(&self.manager_username)
            .map_err(|e| ServiceError::invalid(e.to_string()))?;
        check_new_password(
            self.manager_password.expose_secret(),
            &[&username, &shop_name],
        )
        .map_err(|e| ServiceError::WeakPassword(e.to_string()))?;
        Ok((shop_name, timezone.to_owned(), currency))
    }
}

impl Service {
    /// Turns an empty store into a shop: settings, a fresh random store key, and the first
    /// manager, whose credentials are returned to be shown once.
    pub fn initialise(
        store: Store,
        clock: Arc<dyn Clock>,
        entropy: Arc<dyn Entropy>,
        setup: InitialSetup,
        origin: Origin,
    ) -> Result<(Service, StaffCredentials), ServiceError> {
        if store.read()?.settings()?.is_some() {
            return Err(ServiceError::Store(
                crate::store::StoreError::AlreadyInitialised(store.path().to_path_buf()),
            ));
        }
        let (shop_name, timezone, currency) = setup.validate()?;
        let now = clock.now();
        let vault = Arc::new(UnlockedVault::new(StoreKey::generate(entropy.as_ref())?));
        let manager = NewStaff {
            username: setup.manager_username,
            display_name: String::new(),
            role: Role::Manager,
        };
        let (record, credentials) = new_staff_record(
            &vault,
            &manager,
            &setup.manager_password,
            &shop_name,
            now,
            entropy.as_ref(),
        )?;
        let settings = ShopSettings {
            shop_name,
            timezone,
            currency,
            idle_lock_minutes: DEFAULT_IDLE_LOCK_MINUTES,
            demo: setup.demo,
            created_at: now,
        };
        let mut writer = store.write()?;
        writer.put_settings(&settings)?;
        writer.put_staff(&record)?;
        let mut initialised = system_draft(origin.clone(), AuditAction::StoreInitialised);
        initialised.fields = vec!["shop_name".into(), "timezone".into(), "currency".into()];
        writer.append_audit(initialised, now)?;
        let mut created = system_draft(origin, AuditAction::StaffCreated);
        created.objects = vec![record.id.to_string()];
        created.detail = Some(format!("role: {}", record.role));
        writer.append_audit(created, now)?;
        writer.commit()?;
        let service = Service::new(store, clock, entropy);
        service.adopt_vault(vault);
        Ok((service, credentials))
    }
}

/// A shop whose setup wizard stopped before its owner set up their authenticator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnfinishedSetup {
    pub owner_username: String,
}

/// Audit actions a store may hold and still count as "nothing recorded yet": the setup
/// itself and the owner's attempts to finish it.
const SETUP_ONLY_ACTIONS: &[AuditAction] = &[
    AuditAction::StoreInitialised,
    AuditAction::StaffCreated,
    AuditAction::LoginSucceeded,
    AuditAction::LoginFailed,
    AuditAction::LoginThrottled,
    AuditAction::Logout,
    AuditAction::SessionLocked,
    AuditAction::SessionUnlocked,
    AuditAction::UnlockFailed,
    AuditAction::EnrolmentStarted,
    AuditAction::EnrolmentFailed,
    AuditAction::SchemaMigrated,
];

impl Service {
    /// The setup wizard's way to create a shop: settings, a fresh store key, and the owner
    /// with the password they chose but no authenticator yet. The store records that setup
    /// is unfinished until the owner has enrolled (see [`Service::finish_enrolment`]), so a
    /// wizard stopped before that resumes at the next start instead of locking them out.
    pub fn begin_setup(
        store: Store,
        clock: Arc<dyn Clock>,
        entropy: Arc<dyn Entropy>,
        setup: InitialSetup,
        origin: Origin,
    ) -> Result<Service, ServiceError> {
        if store.read()?.settings()?.is_some() {
            return Err(ServiceError::Store(
                crate::store::StoreError::AlreadyInitialised(store.path().to_path_buf()),
            ));
        }
        let (shop_name, timezone, currency) = setup.validate()?;
        let now = clock.now();
        let vault = Arc::new(UnlockedVault::new(StoreKey::generate(entropy.as_ref())?));
        let owner = NewStaff {
            username: setup.manager_username,
            display_name: String::new(),
            role: Role::Manager,
        };
        let record = unenrolled_staff_record(
            &vault,
            &owner,
            &setup.manager_password,
            &shop_name,
            now,
            entropy.as_ref(),
        )?;
        let settings = ShopSettings {
            shop_name,
            timezone,
            currency,
            idle_lock_minutes: DEFAULT_IDLE_LOCK_MINUTES,
            demo: setup.demo,
            created_at: now,
        };
        let mut writer = store.write()?;
        writer.put_settings(&settings)?;
        writer.put_staff(&record)?;
        // The owner's password is their own, not a temporary one: only the authenticator
        // is left to set up.
        writer.put_staff_enrolment(
            record.id,
            Some(&PendingEnrolmentRecord {
                temporary_password: None,
                issued_at: now,
            }),
        )?;
        writer.put_unfinished_setup(Some(&UnfinishedSetupRecord {
            owner: record.id,
            started_at: now,
        }))?;
        let mut initialised = system_draft(origin.clone(), AuditAction::StoreInitialised);
        initialised.fields = vec!["shop_name".into(), "timezone".into(), "currency".into()];
        writer.append_audit(initialised, now)?;
        let mut created = system_draft(origin, AuditAction::StaffCreated);
        created.objects = vec![record.id.to_string()];
        created.detail = Some(format!("role: {}; setup unfinished", record.role));
        writer.append_audit(created, now)?;
        writer.commit()?;
        let service = Service::new(store, clock, entropy);
        service.adopt_vault(vault);
        Ok(service)
    }

    /// Set when the setup wizard stopped before the owner set up their authenticator: the
    /// front end resumes the wizard (owner's password, then enrolment) instead of a login.
    pub fn unfinished_setup(&self) -> Result<Option<UnfinishedSetup>, ServiceError> {
        let reader = self.store.read()?;
        let Some(marker) = reader.unfinished_setup()? else {
            return Ok(None);
        };
        Ok(reader.staff(marker.owner)?.map(|owner| UnfinishedSetup {
            owner_username: owner.username,
        }))
    }
}

/// Checks that `store` is a setup that never finished and in which nothing else was recorded
/// (no members, no other staff, only the setup's own audit entries), so removing it loses
/// nothing. The caller removes the file once the store is closed.
pub fn check_unfinished_setup_discardable(store: &Store) -> Result<(), ServiceError> {
    let reader = store.read()?;
    if reader.unfinished_setup()?.is_none() {
        return Err(ServiceError::invalid(
            "this store's setup was finished and it is in use; it cannot be started over (back it up, then use an empty --data directory for a new shop)",
        ));
    }
    if reader.member_count()? > 0 || reader.all_staff()?.len() > 1 {
        return Err(ServiceError::invalid(
            "this unfinished store already holds members or staff; it was not removed (finish the setup by starting frontdesk, or move the data directory aside)",
        ));
    }
    let mut stream = reader.audit_stream()?;
    for (_, bytes) in stream.by_ref() {
        let entry = crate::audit::decode(&bytes).map_err(|err| {
            ServiceError::invalid(format!(
                "the audit log is unreadable ({err}); nothing was removed"
            ))
        })?;
        if !SETUP_ONLY_ACTIONS.contains(&entry.action) {
            return Err(ServiceError::invalid(format!(
                "this unfinished store already records `{}`; it was not removed (finish the setup by starting frontdesk, or move the data directory aside)",
                entry.action.as_str()
            )));
        }
    }
    if let Some(error) = stream.error() {
        return Err(error.into());
    }
    Ok(())
}
