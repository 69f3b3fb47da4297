//! Selling and managing unlimited monthly plans (bound to one vehicle) and prepaid packages.
//! The counter sells from the manager's price list at list price; any other price is a
//! manager's override with a reason. Suspending and cancelling is a manager's.

use chrono::{DateTime, Months, Utc};

use super::{Approver, Caller, Service, ServiceError, Session};
use crate::audit::{AuditAction, AuditDraft};
use crate::domain::access::Operation;
use crate::domain::catalog::{PaymentMethod, ServiceItem};
use crate::domain::money::Money;
use crate::domain::plans::{Package, Plan, PlanStatus, renew};
use crate::domain::price_list::{PackageProduct, PlanProduct, Product};
use crate::domain::receipt::{ReceiptHeader, sale_receipt};
use crate::domain::sanitize::sanitize_line;
use crate::domain::schedule::format_local;
use crate::domain::tax::{TaxClass, TaxableLine, tax_invoice};
use crate::domain::tender::{TenderRequest, settle};
use crate::ids::RecordId;
use crate::store::records::{ReceiptFor, SaleKind, SaleRecord, TillSettings};
use crate::store::schema::{MEMBER_PACKAGES, MEMBER_PLANS, PACKAGES, PLANS, SALES, SERVICES};
use crate::store::{ReadAccess, StoreWriter};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanSale {
    pub member: RecordId,
    pub vehicle: RecordId,
    /// A plan product on the price list.
    pub product: RecordId,
    /// Terms bought now (a term is the product's months).
    pub terms: u32,
    /// Manager only, with a reason: a price per term other than the list's.
    pub price_override: Option<Money>,
    pub override_reason: Option<String>,
    /// One method for the whole amount when `tenders` is empty: cash, card or mobile.
    pub payment: PaymentMethod,
    pub tenders: Vec<TenderRequest>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageSale {
    pub member: RecordId,
    /// A package product on the price list.
    pub product: RecordId,
    /// Manager only, with a reason.
    pub price_override: Option<Money>,
    pub override_reason: Option<String>,
    pub payment: PaymentMethod,
    pub tenders: Vec<TenderRequest>,
}

/// The receipt for money taken for a plan or package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaleReceipt {
    pub sale: RecordId,
    pub receipt_number: u64,
    pub charged: Money,
    pub change: Money,
    /// Plain text to print or show; no personal field beyond the member number.
    pub text: String,
}

#[derive(Debug, Clone)]
pub struct SoldPlan {
    pub plan: Plan,
    pub receipt: SaleReceipt,
}

#[derive(Debug, Clone)]
pub struct SoldPackage {
    pub package: Package,
    pub receipt: SaleReceipt,
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

/// The money side of one plan or package sale, priced before the transaction.
struct SaleTerms {
    amount: Money,
    tax_class: TaxClass,
    product: RecordId,
    off_list_reason: Option<String>,
    /// The manager who approved an off-list price at a cashier's screen.
    approved_by: Option<Approver>,
    payment: PaymentMethod,
    tenders: Vec<TenderRequest>,
    /// The item as the receipt names it, and its detail line.
    item: String,
    detail: String,
}

/// The price a sale is made at, and why and by whose leave it is off the list.
struct OffList {
    price: Money,
    reason: Option<String>,
    approved_by: Option<Approver>,
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

    /// The list price unless a manager set another with a reason (themself, or by approving
    /// it at the cashier's screen); a cashier alone is refused here, before anything is written.
    fn sale_price(
        &self,
        session: &Session,
        list_price: Money,
        price_override: Option<Money>,
        reason: Option<&str>,
    ) -> Result<OffList, ServiceError> {
        let Some(price) = price_override.filter(|price| *price != list_price) else {
            return Ok(OffList {
                price: list_price,
                reason: None,
                approved_by: None,
            });
        };
        // Someone who may not set prices is refused (and audited) first; for everyone else the
        // price and reason are checked before a cashier's one-use approval is spent on them.
        if !self.can(session, Operation::OverridePrice) {
            self.authorize(session, Operation::OverridePrice)?;
        }
        if price.is_negative() {
            return Err(ServiceError::invalid(
                "a price cannot be negative; enter 0 to give it free",
            ));
        }
        let reason = reason.map(sanitize_line).filter(|r| !r.is_empty()).ok_or_else(|| {
            ServiceError::invalid("say why the price differs from the price list; the reason is kept with the sale")
        })?;
        let adjusting = self.authorize(session, Operation::OverridePrice)?;
        Ok(OffList {
            price,
            reason: Some(reason),
            approved_by: adjusting.approved_by,
        })
    }

    fn plan_product(&self, id: RecordId) -> Result<PlanProduct, ServiceError> {
        match self.product(id)? {
            Product::Plan(plan) if plan.active => Ok(plan),
            Product::Plan(_) => Err(ServiceError::invalid(
                "this plan is no longer on the price list; choose another",
            )),
            Product::Package(_) => Err(ServiceError::invalid(
                "that product is a package, not a plan; sell it as a package",
            )),
        }
    }

    fn package_product(&self, id: RecordId) -> Result<PackageProduct, ServiceError> {
        match self.product(id)? {
            Product::Package(package) if package.active => Ok(package),
            Product::Package(_) => Err(ServiceError::invalid(
                "this package is no longer on the price list; choose another",
            )),
            Product::Plan(_) => Err(ServiceError::invalid(
                "that product is a plan, not a package; sell it as a plan",
            )),
        }
    }

    /// Takes the money for a sale inside its transaction: tax, tenders, the receipt number
    /// and the drawer, then the sale record. Returns the receipt.
    #[allow(clippy::too_many_arguments)] // the parts of one sale, each needed here
    fn take_sale_payment(
        &self,
        writer: &mut StoreWriter,
        draft: &mut AuditDraft,
        caller: &Caller,
        till: &TillSettings,
        kind: SaleKind,
        member: RecordId,
        terms: &SaleTerms,
        sale_id: RecordId,
        now: DateTime<Utc>,
    ) -> Result<SaleReceipt, ServiceError> {
        check_sale_payment(terms.payment)?;
        let tax = tax_invoice(
            &till.tax,
            &[TaxableLine {
                amount: terms.amount,
                class: terms.tax_class.clone(),
            }],
            Money::ZERO,
        )
        .map_err(invalid)?;
        let requests = if !terms.tenders.is_empty() {
            terms.tenders.clone()
        } else if tax.amount_due.is_zero() {
            Vec::new()
        } else {
            vec![TenderRequest {
                method: terms.payment,
                amount: None,
                tendered: None,
            }]
        };
        let settlement =
            settle(tax.amount_due, Money::ZERO, &requests, till.cash_unit).map_err(invalid)?;
        let receipt_number = writer.issue_receipt_at(self.site, &ReceiptFor::Sale(sale_id))?;
        let shift = self.site_shift(writer, caller.staff_id)?;
        let payment = settlement
            .tenders
            .iter()
            .max_by_key(|t| t.amount)
            .map_or(terms.payment, |t| t.method);
        let record = SaleRecord {
            id: sale_id,
            kind,
            member,
            amount: terms.amount,
            payment,
            staff: caller.staff_id,
            at: now,
            product: Some(terms.product),
            off_list_reason: terms.off_list_reason.clone(),
            approved_by: terms.approved_by.as_ref().map(|manager| manager.staff_id),
            tax,
            settlement,
            receipt_number: Some(receipt_number),
            shift,
        };
        writer.put(SALES, record.id, &record)?;
        crate::store::daily_totals::record_sale(writer, self.shop_zone()?, &record)?;
        draft.objects.push(record.id.to_string());
        if let Some(manager) = &terms.approved_by {
            draft.add_detail(format!("approved by manager {}", manager.username));
        }
        draft.add_detail(format!(
            "receipt: {receipt_number}, price: {}, payment: {payment}{}",
            terms.amount.minor_units(),
            if terms.off_list_reason.is_some() {
                ", off the price list"
            } else {
                ""
            }
        ));
        if terms.off_list_reason.is_some() {
            draft.fields = vec!["price_override".into()];
            writer.note_for_alerts(crate::domain::alerts::AlertSignal::OffListSale);
        }
        let settings = self.settings()?;
        let member_number = writer.member_number_of(member)?;
        let text = sale_receipt(
            &ReceiptHeader {
                shop_name: &settings.shop_name,
                currency: &settings.currency,
                when_local: &format_local(self.shop_zone()?, now),
                number: Some(receipt_number),
                member_number,
                language: till.receipt_language,
                reprint: false,
            },
            &terms.item,
            Some(&terms.detail),
            &record.tax,
            &record.settlement,
        );
        Ok(SaleReceipt {
            sale: record.id,
            receipt_number,
            charged: record.settlement.charged,
            change: Money::checked_sum(record.settlement.tenders.iter().map(|t| t.change))
                .map_err(invalid)?,
            text,
        })
    }

    /// Sells a plan product from the price list for `terms` terms.
    pub fn sell_plan(&self, session: &Session, sale: PlanSale) -> Result<SoldPlan, ServiceError> {
        let caller = self.authorize(session, Operation::SellPlans)?;
        let product = self.plan_product(sale.product)?;
        if !(1..=24).contains(&sale.terms)
            || sale.terms.saturating_mul(product.months_per_term) > 24
        {
            return Err(ServiceError::invalid(
                "a plan is sold for at most 24 months at a time; sell fewer terms",
            ));
        }
        let off_list = self.sale_price(
            session,
            product.price_per_term,
            sale.price_override,
            sale.override_reason.as_deref(),
        )?;
        check_sale_payment(sale.payment)?;
        self.check_customer(Some(sale.member), Some(sale.vehicle))?;
        self.check_services(&product.services)?;
        let price_per_term = off_list.price;
        let amount = price_per_term.checked_mul(sale.terms).map_err(invalid)?;
        let months = sale.terms * product.months_per_term;
        let now = self.clock.now();
        let today = self.local_date(now)?;
        let valid_until = today
            .checked_add_months(Months::new(months))
            .and_then(|d| d.pred_opt())
            .ok_or_else(|| ServiceError::invalid("the plan's end date is out of range"))?;
        let plan = Plan {
            id: RecordId::generate(now, self.entropy.as_ref())?,
            member: sale.member,
            vehicle: sale.vehicle,
            services: product.services.clone(),
            product: Some(product.id),
            months_per_term: product.months_per_term,
            price_per_term,
            tax_class: product.tax_class.clone(),
            valid_from: today,
            valid_until,
            washes_per_day: product.washes_per_day,
            status: PlanStatus::Active,
        };
        plan.validate().map_err(invalid)?;
        let till = self.till_settings()?;
        let terms = SaleTerms {
            amount,
            tax_class: product.tax_class.clone(),
            product: product.id,
            off_list_reason: off_list.reason,
            approved_by: off_list.approved_by,
            payment: sale.payment,
            tenders: sale.tenders,
            item: product.name.clone(),
            detail: format!("{months} mo, {} → {}", plan.valid_from, plan.valid_until),
        };
        let sale_id = RecordId::generate(now, self.entropy.as_ref())?;
        let mut draft = caller.draft(AuditAction::PlanSold);
        draft.objects = vec![
            plan.id.to_string(),
            plan.member.to_string(),
            plan.vehicle.to_string(),
        ];
        let receipt = self.write_audited(
            |writer, draft| {
                writer.put(PLANS, plan.id, &plan)?;
                writer.link(MEMBER_PLANS, plan.member, plan.id)?;
                self.take_sale_payment(
                    writer,
                    draft,
                    &caller,
                    &till,
                    SaleKind::PlanSold { plan: plan.id },
                    plan.member,
                    &terms,
                    sale_id,
                    now,
                )
            },
            draft,
        )?;
        Ok(SoldPlan { plan, receipt })
    }

    fn change_plan(
        &self,
        session: &Session,
        plan: RecordId,
        operation: Operation,
        action: AuditAction,
        change: impl FnOnce(Plan) -> Result<Plan, ServiceError>,
    ) -> Result<Plan, ServiceError> {
        self.change_plan_with_sale(session, plan, operation, action, change, |_| Ok(None))
            .map(|(plan, _)| plan)
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
        sale: impl FnOnce(&Plan) -> Result<Option<SaleTerms>, ServiceError>,
    ) -> Result<(Plan, Option<SaleReceipt>), ServiceError> {
        let caller = self.authorize(session, operation)?;
        let till = self.till_settings()?;
        let now = self.clock.now();
        let sale_id = RecordId::generate(now, self.entropy.as_ref())?;
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
                let receipt = match sale(&changed)? {
                    Some(terms) => Some(self.take_sale_payment(
                        writer,
                        draft,
                        &caller,
                        &till,
                        SaleKind::PlanRenewed { plan: changed.id },
                        changed.member,
                        &terms,
                        sale_id,
                        now,
                    )?),
                    None => None,
                };
                Ok((changed, receipt))
            },
            draft,
        )
    }

    /// Adds `terms` terms to a plan, paid now by `payment` (cash, card or mobile) at the price
    /// it was sold under, whatever the list says now.
    pub fn renew_plan(
        &self,
        session: &Session,
        plan: RecordId,
        terms: u32,
        payment: PaymentMethod,
    ) -> Result<SoldPlan, ServiceError> {
        let now = self.clock.now();
        let today = self.local_date(now)?;
        check_sale_payment(payment)?;
        let (plan, receipt) = self.change_plan_with_sale(
            session,
            plan,
            Operation::SellPlans,
            AuditAction::PlanRenewed,
            |current| {
                let months = terms.saturating_mul(current.months_per_term);
                if terms == 0 || months > 24 {
                    return Err(ServiceError::invalid(
                        "renew for 1 term or more, and at most 24 months at a time",
                    ));
                }
                renew(&current, months, today).map_err(invalid)
            },
            |renewed| {
                let months = terms.saturating_mul(renewed.months_per_term);
                Ok(Some(SaleTerms {
                    amount: renewed.price_per_term.checked_mul(terms).map_err(invalid)?,
                    tax_class: renewed.tax_class.clone(),
                    product: renewed.product.unwrap_or(renewed.id),
                    off_list_reason: None,
                    approved_by: None,
                    payment,
                    tenders: Vec::new(),
                    item: self.plan_name(renewed),
                    detail: format!("+{months} mo → {}", renewed.valid_until),
                }))
            },
        )?;
        let receipt =
            receipt.ok_or_else(|| ServiceError::invalid("the renewal took no payment"))?;
        Ok(SoldPlan { plan, receipt })
    }

    /// The product name a plan was sold as, or a plain word for plans sold before the list.
    fn plan_name(&self, plan: &Plan) -> String {
        plan.product
            .and_then(|id| self.product(id).ok())
            .map_or_else(|| "Plan".to_owned(), |product| product.name().to_owned())
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

    /// Sells a package product from the price list.
    pub fn sell_package(
        &self,
        session: &Session,
        sale: PackageSale,
    ) -> Result<SoldPackage, ServiceError> {
        let caller = self.authorize(session, Operation::SellPlans)?;
        let product = self.package_product(sale.product)?;
        let off_list = self.sale_price(
            session,
            product.price,
            sale.price_override,
            sale.override_reason.as_deref(),
        )?;
        check_sale_payment(sale.payment)?;
        self.check_customer(Some(sale.member), None)?;
        self.check_services(&[product.service])?;
        let now = self.clock.now();
        let today = self.local_date(now)?;
        let expires_on =
            match product.valid_months {
                Some(months) => Some(today.checked_add_months(Months::new(months)).ok_or_else(
                    || ServiceError::invalid("the package's expiry is out of range"),
                )?),
                None => None,
            };
        let package = Package {
            id: RecordId::generate(now, self.entropy.as_ref())?,
            member: sale.member,
            service: product.service,
            total: product.washes,
            remaining: product.washes,
            expires_on,
        };
        package.validate().map_err(invalid)?;
        let till = self.till_settings()?;
        let terms = SaleTerms {
            amount: off_list.price,
            tax_class: product.tax_class.clone(),
            product: product.id,
            off_list_reason: off_list.reason,
            approved_by: off_list.approved_by,
            payment: sale.payment,
            tenders: sale.tenders,
            item: product.name.clone(),
            detail: match expires_on {
                Some(last) => format!("{} × → {last}", product.washes),
                None => format!("{} ×", product.washes),
            },
        };
        let sale_id = RecordId::generate(now, self.entropy.as_ref())?;
        let mut draft = caller.draft(AuditAction::PackageSold);
        draft.objects = vec![package.id.to_string(), package.member.to_string()];
        let receipt = self.write_audited(
            |writer, draft| {
                writer.put(PACKAGES, package.id, &package)?;
                writer.link(MEMBER_PACKAGES, package.member, package.id)?;
                self.take_sale_payment(
                    writer,
                    draft,
                    &caller,
                    &till,
                    SaleKind::PackageSold {
                        package: package.id,
                    },
                    package.member,
                    &terms,
                    sale_id,
                    now,
                )
            },
            draft,
        )?;
        Ok(SoldPackage { package, receipt })
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
