//! Selling and managing unlimited monthly plans (bound to one vehicle) and prepaid packages.
//! Selling and renewing is counter work; suspending and cancelling is a manager's.

use chrono::Months;

use super::{Service, ServiceError, Session};
use crate::audit::AuditAction;
use crate::domain::access::Operation;
use crate::domain::catalog::{PaymentMethod, ServiceItem};
use crate::domain::money::Money;
use crate::domain::plans::{DEFAULT_WASHES_PER_DAY, Package, Plan, PlanStatus, renew};
use crate::ids::RecordId;
use crate::store::records::{SaleKind, SaleRecord};
use crate::store::schema::{MEMBER_PACKAGES, MEMBER_PLANS, PACKAGES, PLANS, SALES, SERVICES};
use crate::store::{ReadAccess, StoreWriter};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanSale {
    pub member: RecordId,
    pub vehicle: RecordId,
    pub services: Vec<RecordId>,
    pub months: u32,
    pub price_per_month: Money,
    /// `None`: the default of one wash a day.
    pub washes_per_day: Option<u32>,
    /// How the customer pays for the months bought now: cash, card or mobile.
    pub payment: PaymentMethod,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageSale {
    pub member: RecordId,
    pub service: RecordId,
    pub washes: u32,
    pub price: Money,
    pub valid_months: Option<u32>,
    /// Cash, card or mobile.
    pub payment: PaymentMethod,
}

fn invalid(err: impl std::fmt::Display) -> ServiceError {
    ServiceError::invalid(err.to_string())
}

/// Plans and packages are bought with money; paying for one with a plan, a package or points
/// would take nothing into the till while the report counted a sale.
fn check_sale_payment(payment: PaymentMethod) -> Result<(), ServiceError> {
    match payment {
        PaymentMethod::Cash | PaymentMethod::Card | PaymentMethod::Mobile => Ok(()),
        other => Err(ServiceError::invalid(format!(
            "a plan or package cannot be paid by {other}; take cash, card or mobile"
        ))),
    }
}

/// What `months` of a plan cost.
fn plan_price(price_per_month: Money, months: u32) -> Result<Money, ServiceError> {
    price_per_month.checked_mul(months).map_err(invalid)
}

/// Records the money taken for a plan or package, so it appears in the day's takings.
fn record_sale(
    writer: &mut StoreWriter,
    sale: &SaleRecord,
    draft: &mut crate::audit::AuditDraft,
) -> Result<(), ServiceError> {
    writer.put(SALES, sale.id, sale)?;
    draft.objects.push(sale.id.to_string());
    Ok(())
}

impl Service {
    fn check_services(&self, services: &[RecordId]) -> Result<(), ServiceError> {
        let reader = self.store.read()?;
        for service in services {
            reader
                .get::<ServiceItem>(SERVICES, *service, "service")?
                .ok_or(ServiceError::NotFound("service"))?;
        }
        Ok(())
    }

    pub fn sell_plan(&self, session: &Session, sale: PlanSale) -> Result<Plan, ServiceError> {
        let caller = self.authorize(session, Operation::SellPlans)?;
        if sale.services.is_empty() {
            return Err(ServiceError::invalid("choose the services the plan covers"));
        }
        if !(1..=24).contains(&sale.months) {
            return Err(ServiceError::invalid("a plan runs for 1 to 24 months"));
        }
        check_sale_payment(sale.payment)?;
        self.check_customer(Some(sale.member), Some(sale.vehicle))?;
        self.check_services(&sale.services)?;
        let amount = plan_price(sale.price_per_month, sale.months)?;
        let now = self.clock.now();
        let today = self.local_date(now)?;
        let valid_until = today
            .checked_add_months(Months::new(sale.months))
            .and_then(|d| d.pred_opt())
            .ok_or_else(|| ServiceError::invalid("the plan's end date is out of range"))?;
        let plan = Plan {
            id: RecordId::generate(now, self.entropy.as_ref())?,
            member: sale.member,
            vehicle: sale.vehicle,
            services: sale.services,
            price_per_month: sale.price_per_month,
            valid_from: today,
            valid_until,
            washes_per_day: sale.washes_per_day.unwrap_or(DEFAULT_WASHES_PER_DAY),
            status: PlanStatus::Active,
        };
        plan.validate().map_err(invalid)?;
        let record = SaleRecord {
            id: RecordId::generate(now, self.entropy.as_ref())?,
            kind: SaleKind::PlanSold { plan: plan.id },
            member: plan.member,
            amount,
            payment: sale.payment,
            staff: caller.staff_id,
            at: now,
        };
        let mut draft = caller.draft(AuditAction::PlanSold);
        draft.objects = vec![
            plan.id.to_string(),
            plan.member.to_string(),
            plan.vehicle.to_string(),
        ];
        draft.detail = Some(format!("payment: {}", sale.payment));
        self.write_audited(
            |writer, draft| {
                writer.put(PLANS, plan.id, &plan)?;
                writer.link(MEMBER_PLANS, plan.member, plan.id)?;
                record_sale(writer, &record, draft)
            },
            draft,
        )?;
        Ok(plan)
    }

    fn change_plan(
        &self,
        session: &Session,
        plan: RecordId,
        operation: Operation,
        action: AuditAction,
        change: impl FnOnce(Plan) -> Result<Plan, ServiceError>,
    ) -> Result<Plan, ServiceError> {
        self.change_plan_with_sale(session, plan, operation, action, change, |_, _| Ok(None))
    }

    /// Changes a plan in one audited transaction; `sale` names the money taken for the change,
    /// if any, given the changed plan and the staff member taking it.
    fn change_plan_with_sale(
        &self,
        session: &Session,
        plan: RecordId,
        operation: Operation,
        action: AuditAction,
        change: impl FnOnce(Plan) -> Result<Plan, ServiceError>,
        sale: impl FnOnce(&Plan, RecordId) -> Result<Option<SaleRecord>, ServiceError>,
    ) -> Result<Plan, ServiceError> {
        let caller = self.authorize(session, operation)?;
        let mut draft = caller.draft(action);
        draft.objects = vec![plan.to_string()];
        draft.fields = vec!["status".into(), "valid_until".into()];
        self.write_audited(
            |writer, draft| {
                let current = writer
                    .get::<Plan>(PLANS, plan, "plan")?
                    .ok_or(ServiceError::NotFound("plan"))?;
                let changed = change(current)?;
                writer.put(PLANS, plan, &changed)?;
                if let Some(record) = sale(&changed, caller.staff_id)? {
                    draft.detail = Some(format!("payment: {}", record.payment));
                    record_sale(writer, &record, draft)?;
                }
                Ok(changed)
            },
            draft,
        )
    }

    /// Adds `months` to a plan, paid now by `payment` (cash, card or mobile) at the plan's
    /// monthly price; the payment is recorded in the day's takings.
    pub fn renew_plan(
        &self,
        session: &Session,
        plan: RecordId,
        months: u32,
        payment: PaymentMethod,
    ) -> Result<Plan, ServiceError> {
        let now = self.clock.now();
        let today = self.local_date(now)?;
        let sale_id = RecordId::generate(now, self.entropy.as_ref())?;
        self.change_plan_with_sale(
            session,
            plan,
            Operation::SellPlans,
            AuditAction::PlanRenewed,
            |current| renew(&current, months, today).map_err(invalid),
            |renewed, staff| {
                check_sale_payment(payment)?;
                Ok(Some(SaleRecord {
                    id: sale_id,
                    kind: SaleKind::PlanRenewed { plan: renewed.id },
                    member: renewed.member,
                    amount: plan_price(renewed.price_per_month, months)?,
                    payment,
                    staff,
                    at: now,
                }))
            },
        )
    }

    pub fn suspend_plan(&self, session: &Session, plan: RecordId) -> Result<Plan, ServiceError> {
        self.change_plan(
            session,
            plan,
            Operation::SuspendOrCancelPlan,
            AuditAction::PlanSuspended,
            |mut current| match current.status {
                PlanStatus::Active => {
                    current.status = PlanStatus::Suspended;
                    Ok(current)
                }
                _ => Err(ServiceError::invalid(
                    "only an active plan can be suspended",
                )),
            },
        )
    }

    pub fn resume_plan(&self, session: &Session, plan: RecordId) -> Result<Plan, ServiceError> {
        self.change_plan(
            session,
            plan,
            Operation::SuspendOrCancelPlan,
            AuditAction::PlanResumed,
            |mut current| match current.status {
                PlanStatus::Suspended => {
                    current.status = PlanStatus::Active;
                    Ok(current)
                }
                _ => Err(ServiceError::invalid(
                    "only a suspended plan can be resumed",
                )),
            },
        )
    }

    pub fn cancel_plan(&self, session: &Session, plan: RecordId) -> Result<Plan, ServiceError> {
        self.change_plan(
            session,
            plan,
            Operation::SuspendOrCancelPlan,
            AuditAction::PlanCancelled,
            |mut current| {
                if current.status == PlanStatus::Cancelled {
                    return Err(ServiceError::invalid("this plan is already cancelled"));
                }
                current.status = PlanStatus::Cancelled;
                Ok(current)
            },
        )
    }

    pub fn sell_package(
        &self,
        session: &Session,
        sale: PackageSale,
    ) -> Result<Package, ServiceError> {
        let caller = self.authorize(session, Operation::SellPlans)?;
        if !(1..=100).contains(&sale.washes) {
            return Err(ServiceError::invalid("a package holds 1 to 100 washes"));
        }
        if sale.price.is_negative() {
            return Err(ServiceError::invalid(
                "a package's price cannot be negative; enter 0 to give it free",
            ));
        }
        check_sale_payment(sale.payment)?;
        self.check_customer(Some(sale.member), None)?;
        self.check_services(&[sale.service])?;
        let now = self.clock.now();
        let today = self.local_date(now)?;
        let expires_on =
            match sale.valid_months {
                Some(months) => Some(today.checked_add_months(Months::new(months)).ok_or_else(
                    || ServiceError::invalid("the package's expiry is out of range"),
                )?),
                None => None,
            };
        let package = Package {
            id: RecordId::generate(now, self.entropy.as_ref())?,
            member: sale.member,
            service: sale.service,
            total: sale.washes,
            remaining: sale.washes,
            expires_on,
        };
        package.validate().map_err(invalid)?;
        let record = SaleRecord {
            id: RecordId::generate(now, self.entropy.as_ref())?,
            kind: SaleKind::PackageSold {
                package: package.id,
            },
            member: package.member,
            amount: sale.price,
            payment: sale.payment,
            staff: caller.staff_id,
            at: now,
        };
        let mut draft = caller.draft(AuditAction::PackageSold);
        draft.objects = vec![package.id.to_string(), package.member.to_string()];
        draft.detail = Some(format!(
            "price: {}, payment: {}",
            sale.price.minor_units(),
            sale.payment
        ));
        self.write_audited(
            |writer, draft| {
                writer.put(PACKAGES, package.id, &package)?;
                writer.link(MEMBER_PACKAGES, package.member, package.id)?;
                record_sale(writer, &record, draft)
            },
            draft,
        )?;
        Ok(package)
    }

    /// A member's plans and packages, for the member screen and the checkout.
    pub fn member_plans(
        &self,
        session: &Session,
        member: RecordId,
    ) -> Result<(Vec<Plan>, Vec<Package>), ServiceError> {
        self.authorize(session, Operation::OpenMember)?;
        let reader = self.store.read()?;
        Ok((
            reader.get_linked(MEMBER_PLANS, PLANS, member, "plan")?,
            reader.get_linked(MEMBER_PACKAGES, PACKAGES, member, "package")?,
        ))
    }
}
