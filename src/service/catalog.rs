//! Shop rules a manager sets: opening hours and booking rules, bays, the service catalog,
//! the points policy and the idle-lock time. Everyone may read them; only managers change them.

use chrono_tz::Tz;

use super::{Service, ServiceError, Session};
use crate::audit::AuditAction;
use crate::domain::access::Operation;
use crate::domain::catalog::{Bay, ServiceCategory, ServiceItem};
use crate::domain::loyalty::{PointsPolicy, PointsPolicySettings};
use crate::domain::money::Money;
use crate::domain::sanitize::sanitize_line;
use crate::domain::tax::TaxClass;
use crate::ids::RecordId;
use crate::store::ReadAccess;
use crate::store::records::ScheduleSettings;
use crate::store::schema::{BAYS, META_POINTS_POLICY, META_SCHEDULE, SERVICES};

/// A new or changed catalog entry (`id: None` creates one).
#[derive(Debug, Clone)]
pub struct ServiceInput {
    pub id: Option<RecordId>,
    pub name: String,
    pub category: ServiceCategory,
    pub duration_minutes: u32,
    pub price: Money,
    pub earns_points: bool,
    pub active: bool,
    /// Which of the shop's taxes apply; a class naming taxes must name ones the shop has.
    pub tax_class: TaxClass,
}

#[derive(Debug, Clone)]
pub struct BayInput {
    pub id: Option<RecordId>,
    pub name: String,
    pub services: Vec<RecordId>,
    pub active: bool,
}

impl Service {
    pub(super) fn shop_zone(&self) -> Result<Tz, ServiceError> {
        let settings = self.settings()?;
        settings.timezone.parse::<Tz>().map_err(|_| {
            ServiceError::invalid(format!(
                "the shop's time zone `{}` is not known to this build; set it again in settings",
                settings.timezone
            ))
        })
    }

    pub fn schedule_settings(&self) -> Result<ScheduleSettings, ServiceError> {
        super::sites::site_setting(&self.store.read()?, META_SCHEDULE, self.site)
    }

    pub fn points_policy(&self) -> Result<PointsPolicy, ServiceError> {
        Ok(self
            .store
            .read()?
            .meta_record(META_POINTS_POLICY)?
            .unwrap_or_default())
    }

    pub fn update_schedule(
        &self,
        session: &Session,
        schedule: ScheduleSettings,
    ) -> Result<(), ServiceError> {
        let caller = self.authorize(session, Operation::ChangeSettings)?;
        schedule
            .rules
            .validate()
            .map_err(|e| ServiceError::invalid(e.to_string()))?;
        let mut draft = caller.draft(AuditAction::SettingsChanged);
        draft.fields = vec![
            "opening_hours".into(),
            "closures".into(),
            "booking_rules".into(),
        ];
        self.write_audited(
            |writer, _| super::sites::put_site_setting(writer, META_SCHEDULE, self.site, &schedule),
            draft,
        )
    }

    /// A new points policy applies from now on; lots already earned keep their expiry.
    pub fn update_points_policy(
        &self,
        session: &Session,
        settings: PointsPolicySettings,
    ) -> Result<(), ServiceError> {
        let caller = self.authorize(session, Operation::ChangeSettings)?;
        let policy: PointsPolicy = settings
            .validate()
            .map_err(|e| ServiceError::invalid(e.to_string()))?;
        let mut draft = caller.draft(AuditAction::SettingsChanged);
        draft.fields = vec!["points_policy".into()];
        self.write_audited(
            |writer, _| Ok(writer.put_meta_record(META_POINTS_POLICY, &policy)?),
            draft,
        )
    }

    pub fn set_idle_lock_minutes(
        &self,
        session: &Session,
        minutes: u32,
    ) -> Result<(), ServiceError> {
        let caller = self.authorize(session, Operation::ChangeSettings)?;
        if !(1..=120).contains(&minutes) {
            return Err(ServiceError::invalid(
                "idle lock: choose between 1 and 120 minutes",
            ));
        }
        let mut settings = self.settings()?;
        settings.idle_lock_minutes = minutes;
        let mut draft = caller.draft(AuditAction::SettingsChanged);
        draft.fields = vec!["idle_lock_minutes".into()];
        self.write_audited(|writer, _| Ok(writer.put_settings(&settings)?), draft)
    }

    /// Renames the shop, moves it to another time zone, or — before any money has been
    /// taken — changes its currency. Stored instants are UTC, so a zone change only changes
    /// how times are shown and entered.
    pub fn update_shop(
        &self,
        session: &Session,
        shop_name: &str,
        timezone: &str,
        currency: &str,
    ) -> Result<(), ServiceError> {
        let caller = self.authorize(session, Operation::ChangeSettings)?;
        let mut settings = self.settings()?;
        let shop_name = sanitize_line(shop_name);
        if shop_name.is_empty() || shop_name.chars().count() > 60 {
            return Err(ServiceError::invalid("shop name: enter 1 to 60 characters"));
        }
        if timezone.trim().parse::<Tz>().is_err() {
            return Err(ServiceError::invalid(
                "timezone: use an IANA time zone name such as America/Vancouver or Asia/Shanghai",
            ));
        }
        let currency = crate::domain::currency::Currency::from_code(currency)
            .map_err(|e| ServiceError::invalid(e.to_string()))?;
        let mut fields = Vec::new();
        if settings.shop_name != shop_name {
            fields.push("shop_name".to_owned());
        }
        if settings.timezone != timezone.trim() {
            fields.push("timezone".to_owned());
        }
        if settings.currency != currency {
            if self.store.read()?.count(crate::store::schema::VISITS)? > 0 {
                return Err(ServiceError::invalid(
                    "the currency cannot change once visits have been paid in it",
                ));
            }
            fields.push("currency".to_owned());
        }
        settings.shop_name = shop_name;
        settings.timezone = timezone.trim().to_owned();
        settings.currency = currency;
        let mut draft = caller.draft(AuditAction::SettingsChanged);
        draft.fields = fields;
        self.write_audited(|writer, _| Ok(writer.put_settings(&settings)?), draft)
    }

    pub fn list_services(&self, session: &Session) -> Result<Vec<ServiceItem>, ServiceError> {
        self.authorize(session, Operation::SearchMembers)?;
        Ok(self.store.read()?.all(SERVICES, "service")?)
    }

    pub fn list_bays(&self, session: &Session) -> Result<Vec<Bay>, ServiceError> {
        self.authorize(session, Operation::SearchMembers)?;
        self.site_bays(&self.store.read()?)
    }

    pub fn save_service(
        &self,
        session: &Session,
        input: ServiceInput,
    ) -> Result<ServiceItem, ServiceError> {
        let caller = self.authorize(session, Operation::ChangeSettings)?;
        let id = match input.id {
            Some(id) => {
                self.store
                    .read()?
                    .get::<ServiceItem>(SERVICES, id, "service")?
                    .ok_or(ServiceError::NotFound("service"))?;
                id
            }
            None => RecordId::generate(self.clock.now(), self.entropy.as_ref())?,
        };
        let tax_class = self.checked_tax_class(input.tax_class)?;
        let mut item = ServiceItem::new(
            id,
            &sanitize_line(&input.name),
            input.category,
            input.duration_minutes,
            input.price,
            input.earns_points,
            input.active,
        )
        .map_err(|e| ServiceError::invalid(e.to_string()))?;
        item.tax_class = tax_class;
        let mut draft = caller.draft(AuditAction::ServiceChanged);
        draft.objects = vec![id.to_string()];
        draft.fields = vec![
            "name".into(),
            "category".into(),
            "duration".into(),
            "price".into(),
            "earns_points".into(),
            "active".into(),
            "tax_class".into(),
        ];
        self.write_audited(|writer, _| Ok(writer.put(SERVICES, id, &item)?), draft)?;
        Ok(item)
    }

    /// A tax class as the shop's current taxes read it: names in the shop's spelling and order,
    /// a list naming every tax turned into `Standard`. A name the shop does not have is refused,
    /// because the tax maths would silently skip it and the item would go untaxed.
    pub(super) fn checked_tax_class(&self, class: TaxClass) -> Result<TaxClass, ServiceError> {
        match class {
            TaxClass::Only(names) => {
                let settings = self.till_settings()?.tax;
                let typed = TaxClass::Only(names).label();
                TaxClass::parse(&typed, &settings)
                    .map_err(|e| ServiceError::invalid(format!("tax class: {e}")))
            }
            other => Ok(other),
        }
    }

    pub fn save_bay(&self, session: &Session, input: BayInput) -> Result<Bay, ServiceError> {
        let caller = self.authorize(session, Operation::ChangeSettings)?;
        let reader = self.store.read()?;
        for service in &input.services {
            reader
                .get::<ServiceItem>(SERVICES, *service, "service")?
                .ok_or(ServiceError::NotFound("service"))?;
        }
        let id = match input.id {
            Some(id) => {
                reader
                    .get::<Bay>(BAYS, id, "bay")?
                    .ok_or(ServiceError::NotFound("bay"))?;
                if super::sites::bay_site(&reader, id)? != self.site {
                    return Err(ServiceError::invalid(
                        "That bay belongs to another site of the chain; change it at that site.",
                    ));
                }
                id
            }
            None => RecordId::generate(self.clock.now(), self.entropy.as_ref())?,
        };
        drop(reader);
        let bay = Bay::new(
            id,
            &sanitize_line(&input.name),
            input.services,
            input.active,
        )
        .map_err(|e| ServiceError::invalid(e.to_string()))?;
        let mut draft = caller.draft(AuditAction::BayChanged);
        draft.objects = vec![id.to_string()];
        draft.fields = vec!["name".into(), "services".into(), "active".into()];
        let new = input.id.is_none();
        self.write_audited(
            |writer, _| {
                writer.put(BAYS, id, &bay)?;
                if new {
                    super::sites::mark_bay_site(writer, self.site, id)?;
                }
                Ok(())
            },
            draft,
        )?;
        Ok(bay)
    }
}
