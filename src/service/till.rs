//! The till's rules a manager sets — taxes, cash rounding, tips, receipt language and printer —
//! and the price list of plan and package products the counter sells from.

use super::{Service, ServiceError, Session};
use crate::audit::AuditAction;
use crate::domain::access::Operation;
use crate::domain::catalog::ServiceItem;
use crate::domain::price_list::Product;
use crate::domain::sanitize::sanitize_line;
use crate::ids::RecordId;
use crate::store::ReadAccess;
use crate::store::records::TillSettings;
use crate::store::schema::{META_TILL, PRODUCTS, SERVICES};

/// Longest print command kept; a real one is a program and a few options.
const PRINT_COMMAND_MAX: usize = 200;

impl Service {
    pub fn till_settings(&self) -> Result<TillSettings, ServiceError> {
        super::sites::site_setting(&self.store.read()?, META_TILL, self.site)
    }

    /// Taxes, cash rounding, tips and receipts (manager). Visits and sales already made keep
    /// the tax they were charged.
    pub fn update_till_settings(
        &self,
        session: &Session,
        mut settings: TillSettings,
    ) -> Result<(), ServiceError> {
        let caller = self.authorize(session, Operation::ChangeSettings)?;
        settings
            .tax
            .validate()
            .map_err(|e| ServiceError::invalid(e.to_string()))?;
        if let Some(unit) = settings.cash_unit {
            if unit.minor_units() <= 1 {
                settings.cash_unit = None;
            } else if unit.minor_units() > 10_000 {
                return Err(ServiceError::invalid(
                    "the cash rounding unit is the smallest coin, such as 0.05; enter at most 100",
                ));
            }
        }
        settings.print_command = settings
            .print_command
            .as_deref()
            .map(sanitize_line)
            .filter(|command| !command.is_empty());
        if settings
            .print_command
            .as_ref()
            .is_some_and(|command| command.chars().count() > PRINT_COMMAND_MAX)
        {
            return Err(ServiceError::invalid(format!(
                "the print command is longer than {PRINT_COMMAND_MAX} characters; put it in a script and name the script"
            )));
        }
        let mut draft = caller.draft(AuditAction::SettingsChanged);
        draft.fields = vec![
            "taxes".into(),
            "cash_rounding".into(),
            "tips".into(),
            "receipt_language".into(),
            "print_command".into(),
        ];
        self.write_audited(
            |writer, _| super::sites::put_site_setting(writer, META_TILL, self.site, &settings),
            draft,
        )
    }

    /// Every product on the price list, retired ones too, by name.
    pub fn price_list(&self) -> Result<Vec<Product>, ServiceError> {
        let mut products: Vec<Product> = self.store.read()?.all(PRODUCTS, "product")?;
        products.sort_by_key(|product| product.name().to_lowercase());
        Ok(products)
    }

    pub(super) fn product(&self, id: RecordId) -> Result<Product, ServiceError> {
        self.store
            .read()?
            .get::<Product>(PRODUCTS, id, "product")?
            .ok_or(ServiceError::NotFound("price-list product"))
    }

    /// Adds a product to the price list (give it [`RecordId::NEW`]; it gets an id here) or
    /// changes one (manager). Changing a product never changes a plan or package already sold.
    pub fn save_product(
        &self,
        session: &Session,
        product: Product,
    ) -> Result<Product, ServiceError> {
        let caller = self.authorize(session, Operation::ChangeSettings)?;
        let product = if product.id() == RecordId::NEW {
            product.with_id(RecordId::generate(self.clock.now(), self.entropy.as_ref())?)
        } else {
            self.product(product.id())?;
            product
        };
        let mut product = product
            .normalised()
            .map_err(|e| ServiceError::invalid(e.to_string()))?;
        match &mut product {
            Product::Plan(plan) => {
                plan.tax_class = self.checked_tax_class(plan.tax_class.clone())?;
            }
            Product::Package(package) => {
                package.tax_class = self.checked_tax_class(package.tax_class.clone())?;
            }
        }
        let services: Vec<RecordId> = match &product {
            Product::Plan(plan) => plan.services.clone(),
            Product::Package(package) => vec![package.service],
        };
        {
            let reader = self.store.read()?;
            for service in services {
                reader
                    .get::<ServiceItem>(SERVICES, service, "service")?
                    .ok_or(ServiceError::NotFound("service"))?;
            }
            let clash = reader
                .all::<Product>(PRODUCTS, "product")?
                .into_iter()
                .any(|other| {
                    other.id() != product.id()
                        && other.name().to_lowercase() == product.name().to_lowercase()
                });
            if clash {
                return Err(ServiceError::invalid(
                    "another product on the price list has this name; choose a different name",
                ));
            }
        }
        let mut draft = caller.draft(AuditAction::PriceListChanged);
        draft.objects = vec![product.id().to_string()];
        draft.fields = vec!["price_list".into()];
        self.write_audited(
            |writer, _| Ok(writer.put(PRODUCTS, product.id(), &product)?),
            draft,
        )?;
        Ok(product)
    }
}
