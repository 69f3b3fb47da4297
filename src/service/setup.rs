//! Creating a new store: shop settings, the store key, and the first manager.

use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use super::staff::{NewStaff, new_staff_record};
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
use crate::store::records::ShopSettings;
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
            password: setup.manager_password,
        };
        let (record, credentials) =
            new_staff_record(&vault, &manager, &shop_name, now, entropy.as_ref())?;
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
