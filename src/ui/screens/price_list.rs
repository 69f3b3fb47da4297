//! The Price list section of Settings (manager only): the plan and package products the counter
//! sells, at these prices. A product is edited in a form here; retiring one takes it off sale
//! while plans and packages already sold keep the terms they were sold under.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;

use super::till_settings::tax_class_text;
use crate::domain::catalog::ServiceItem;
use crate::domain::currency::Currency;
use crate::domain::money::Money;
use crate::domain::price_list::{PackageProduct, PlanProduct, Product};
use crate::domain::tax::{TaxClass, TaxSettings};
use crate::ids::RecordId;
use crate::service::ServiceError;
use crate::ui::actions::Action;
use crate::ui::i18n::Language;
use crate::ui::keymap::KeyContext;
use crate::ui::text::safe;
use crate::ui::view::{Cx, Handled, RenderCx, View};
use crate::ui::widgets::form::{
    FieldKind, Form, SavingForm, saving_form_action, settings_form_areas,
};
use crate::ui::widgets::input::TextInput;

/// What the product form edits; `None` inside means a new product of that kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProductEdit {
    Plan(Option<RecordId>),
    Package(Option<RecordId>),
}

impl ProductEdit {
    fn title(self) -> &'static str {
        match self {
            ProductEdit::Plan(None) => "New plan",
            ProductEdit::Plan(Some(_)) => "Plan",
            ProductEdit::Package(None) => "New package",
            ProductEdit::Package(Some(_)) => "Package",
        }
    }
}

/// The services a plan covers, for a table cell: "every service" when it covers the whole
/// catalog, otherwise their names.
fn covered_text(lang: Language, plan: &PlanProduct, services: &[ServiceItem]) -> String {
    let covers_all = !services.is_empty() && services.iter().all(|s| plan.services.contains(&s.id));
    if covers_all {
        return lang.tr("every service").to_owned();
    }
    services
        .iter()
        .filter(|s| plan.services.contains(&s.id))
        .map(|s| safe(&s.name).into_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

fn service_name(services: &[ServiceItem], id: RecordId) -> String {
    services
        .iter()
        .find(|s| s.id == id)
        .map(|s| safe(&s.name).into_owned())
        .unwrap_or_else(|| "?".to_owned())
}

/// One row of the price list: name, terms, price, tax class, in use.
pub fn product_cells(
    lang: Language,
    product: &Product,
    services: &[ServiceItem],
    currency: &Currency,
    yes_no: impl Fn(bool) -> String,
) -> Vec<String> {
    match product {
        Product::Plan(plan) => vec![
            safe(&plan.name).into_owned(),
            lang.fill(
                "{months} mo, {washes}/day, {services}",
                &[
                    ("months", &plan.months_per_term.to_string()),
                    ("washes", &plan.washes_per_day.to_string()),
                    ("services", &covered_text(lang, plan, services)),
                ],
            ),
            plan.price_per_term.format(currency),
            tax_class_text(lang, &plan.tax_class),
            yes_no(plan.active),
        ],
        Product::Package(package) => {
            let validity = match package.valid_months {
                Some(months) => lang.fill("valid {n} mo", &[("n", &months.to_string())]),
                None => lang.tr("no expiry").to_owned(),
            };
            vec![
                safe(&package.name).into_owned(),
                lang.fill(
                    "{washes} × {service}, {validity}",
                    &[
                        ("washes", &package.washes.to_string()),
                        ("service", &service_name(services, package.service)),
                        ("validity", &validity),
                    ],
                ),
                package.price.format(currency),
                tax_class_text(lang, &package.tax_class),
                yes_no(package.active),
            ]
        }
    }
}

/// A form-local problem: which field, and the message (already translated or sanitised).
type FieldProblem = (&'static str, String);

pub struct ProductFormView {
    edit: ProductEdit,
    form: Form,
    currency: Currency,
    /// The shop's taxes, which a tax class typed here must name.
    tax: TaxSettings,
    /// The catalog in the order the checklist and the service choice show it.
    services: Vec<(RecordId, String)>,
    /// Index of the first service checkbox in a plan form.
    checklist_start: usize,
}

fn yes_no_options(lang: Language) -> Vec<String> {
    vec![lang.tr("yes").to_owned(), lang.tr("no").to_owned()]
}

fn number_input(value: impl ToString) -> TextInput {
    TextInput::new().with_max(4).with_value(&value.to_string())
}

fn tax_input(class: Option<&TaxClass>) -> TextInput {
    TextInput::new()
        .with_max(60)
        .with_value(&class.map(TaxClass::label).unwrap_or_default())
        .with_placeholder("standard")
}

const TAX_HINT: &str = "standard, exempt, or tax names such as GST+PST.";

impl ProductFormView {
    pub fn new(
        edit: ProductEdit,
        products: &[Product],
        services: &[ServiceItem],
        tax: &TaxSettings,
        currency: &Currency,
        lang: Language,
    ) -> Self {
        let catalog: Vec<(RecordId, String)> = services
            .iter()
            .map(|s| (s.id, safe(&s.name).into_owned()))
            .collect();
        let find = |id: Option<RecordId>| id.and_then(|id| products.iter().find(|p| p.id() == id));
        let mut checklist_start = 0;
        let form = match edit {
            ProductEdit::Plan(id) => {
                let plan = match find(id) {
                    Some(Product::Plan(plan)) => Some(plan),
                    _ => None,
                };
                let covers_all =
                    plan.is_none_or(|p| catalog.iter().all(|(s, _)| p.services.contains(s)));
                let mut form = Form::new()
                    .text(
                        "name",
                        "Plan name",
                        TextInput::new()
                            .with_max(40)
                            .with_value(plan.map(|p| p.name.as_str()).unwrap_or_default()),
                    )
                    .text(
                        "price",
                        "Price per term",
                        TextInput::new().with_max(14).with_value(
                            &plan
                                .map(|p| p.price_per_term.format_amount(currency))
                                .unwrap_or_default(),
                        ),
                    )
                    .hint("An amount such as 39.99, in the shop's currency.")
                    .text(
                        "months",
                        "Months per term",
                        number_input(plan.map_or(1, |p| p.months_per_term)),
                    )
                    .text(
                        "washes",
                        "Washes a day",
                        number_input(plan.map_or(1, |p| p.washes_per_day)),
                    )
                    .text("tax", "Tax class", tax_input(plan.map(|p| &p.tax_class)))
                    .hint(TAX_HINT)
                    .choice(
                        "active",
                        "In use",
                        yes_no_options(lang),
                        usize::from(plan.is_some_and(|p| !p.active)),
                    )
                    .choice(
                        "covers",
                        "Covers",
                        vec![
                            lang.tr("every service").to_owned(),
                            lang.tr("the ticked services").to_owned(),
                        ],
                        usize::from(!covers_all),
                    )
                    .hint("Below, ←/→ ticks or clears a service.");
                checklist_start = form.fields.len();
                for (service_id, name) in &catalog {
                    let ticked = plan.is_none_or(|p| p.services.contains(service_id));
                    form = form.choice(
                        "covered",
                        "",
                        vec![format!("[x] {name}"), format!("[ ] {name}")],
                        usize::from(!ticked),
                    );
                }
                form
            }
            ProductEdit::Package(id) => {
                let package = match find(id) {
                    Some(Product::Package(package)) => Some(package),
                    _ => None,
                };
                let service = package
                    .and_then(|p| catalog.iter().position(|(s, _)| *s == p.service))
                    .unwrap_or(0);
                Form::new()
                    .text(
                        "name",
                        "Package name",
                        TextInput::new()
                            .with_max(40)
                            .with_value(package.map(|p| p.name.as_str()).unwrap_or_default()),
                    )
                    .choice(
                        "service",
                        "Service",
                        catalog.iter().map(|(_, name)| name.clone()).collect(),
                        service,
                    )
                    .text(
                        "washes",
                        "Washes",
                        number_input(package.map_or(10, |p| p.washes)),
                    )
                    .text(
                        "price",
                        "Price",
                        TextInput::new().with_max(14).with_value(
                            &package
                                .map(|p| p.price.format_amount(currency))
                                .unwrap_or_default(),
                        ),
                    )
                    .hint("An amount such as 99.00, in the shop's currency.")
                    .text(
                        "valid",
                        "Valid (months)",
                        TextInput::new()
                            .with_max(3)
                            .with_value(
                                &package
                                    .and_then(|p| p.valid_months)
                                    .map(|months| months.to_string())
                                    .unwrap_or_default(),
                            )
                            .with_placeholder("no expiry"),
                    )
                    .hint("1 to 60 months after the sale; empty for no expiry.")
                    .text("tax", "Tax class", tax_input(package.map(|p| &p.tax_class)))
                    .hint(TAX_HINT)
                    .choice(
                        "active",
                        "In use",
                        yes_no_options(lang),
                        usize::from(package.is_some_and(|p| !p.active)),
                    )
            }
        };
        Self {
            edit,
            form,
            currency: currency.clone(),
            tax: tax.clone(),
            services: catalog,
            checklist_start,
        }
    }

    fn number(&self, key: &'static str, lang: Language) -> Result<u32, FieldProblem> {
        self.form
            .value(key)
            .trim()
            .parse()
            .map_err(|_| (key, lang.tr("Enter a whole number.").to_owned()))
    }

    fn money(&self, key: &'static str) -> Result<Money, FieldProblem> {
        Money::parse(self.form.value(key), &self.currency)
            .map_err(|err| (key, safe(&err.to_string()).into_owned()))
    }

    fn tax_class(&self) -> Result<TaxClass, FieldProblem> {
        TaxClass::parse(self.form.value("tax"), &self.tax)
            .map_err(|err| ("tax", safe(&err.to_string()).into_owned()))
    }

    /// The services ticked in a plan form, or all of them for "every service".
    fn covered(&self) -> Vec<RecordId> {
        let every = self.form.choice_index("covers") == 0;
        self.services
            .iter()
            .enumerate()
            .filter(|(position, _)| {
                every
                    || matches!(
                        self.form
                            .fields
                            .get(self.checklist_start + position)
                            .map(|f| &f.kind),
                        Some(FieldKind::Choice { selected: 0, .. })
                    )
            })
            .map(|(_, (service_id, _))| *service_id)
            .collect()
    }

    /// The product as the form reads it, checked by the price list's own rules.
    fn product(&self, lang: Language) -> Result<Product, FieldProblem> {
        let active = self.form.choice_index("active") == 0;
        let name = self.form.value("name").to_owned();
        let product = match self.edit {
            ProductEdit::Plan(id) => Product::Plan(PlanProduct {
                id: id.unwrap_or(RecordId::NEW),
                name,
                services: self.covered(),
                months_per_term: self.number("months", lang)?,
                price_per_term: self.money("price")?,
                washes_per_day: self.number("washes", lang)?,
                tax_class: self.tax_class()?,
                active,
            }),
            ProductEdit::Package(id) => {
                let service = self
                    .services
                    .get(self.form.choice_index("service"))
                    .map(|(service_id, _)| *service_id)
                    .ok_or((
                        "service",
                        lang.tr("Add a service first; a package holds washes of one service.")
                            .to_owned(),
                    ))?;
                let valid_text = self.form.value("valid").trim();
                let valid_months = if valid_text.is_empty() {
                    None
                } else {
                    Some(self.number("valid", lang)?)
                };
                Product::Package(PackageProduct {
                    id: id.unwrap_or(RecordId::NEW),
                    name,
                    service,
                    washes: self.number("washes", lang)?,
                    price: self.money("price")?,
                    valid_months,
                    tax_class: self.tax_class()?,
                    active,
                })
            }
        };
        product.clone().normalised().map_err(|err| {
            let key = match err.field() {
                "services" => "covers",
                "months" => "months",
                "price" => "price",
                "washes" | "washes_per_day" => "washes",
                "valid_months" => "valid",
                _ => "name",
            };
            (key, safe(err.reason()).into_owned())
        })?;
        Ok(product)
    }

    /// Sends the change; a problem with one field comes back to be shown next to it.
    fn save(&self, cx: &mut Cx) -> Result<(), FieldProblem> {
        let product = self.product(cx.lang)?;
        match cx.service.save_product(cx.session, product) {
            Ok(_) => Ok(()),
            Err(ServiceError::InvalidInput(message)) => {
                let lower = message.to_ascii_lowercase();
                let key = if lower.starts_with("tax") {
                    "tax"
                } else {
                    "name"
                };
                Err((key, safe(&message).into_owned()))
            }
            Err(err) => {
                cx.fail(&err);
                Err(("", String::new()))
            }
        }
    }
}

impl SavingForm for ProductFormView {
    fn form_mut(&mut self) -> &mut Form {
        &mut self.form
    }

    fn save(&self, cx: &mut Cx) -> Result<(), FieldProblem> {
        ProductFormView::save(self, cx)
    }
}

impl View for ProductFormView {
    fn title(&self) -> &'static str {
        self.edit.title()
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Form]
    }

    fn focused_input(&mut self) -> Option<&mut TextInput> {
        self.form.focused_input()
    }

    fn on_input_changed(&mut self, _cx: &mut Cx) {
        self.form.clear_errors();
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        saving_form_action(self, action, cx)
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let title = rx.tr(self.edit.title());
        let [intro, form_area, footer] = settings_form_areas(frame, area, rx, title);
        let heading = match self.edit {
            ProductEdit::Plan(_) => {
                rx.tr("Sold per term for one vehicle; plans already sold keep their terms.")
            }
            ProductEdit::Package(_) => {
                rx.tr("Prepaid washes of one service; packages already sold keep their terms.")
            }
        };
        frame.render_widget(Paragraph::new(Span::styled(heading, rx.theme.muted)), intro);
        self.form.render(frame, form_area, rx, true);
        frame.render_widget(
            Paragraph::new(Span::styled(
                rx.tr("Tab: next field   Enter: save   Esc: cancel"),
                rx.theme.muted,
            )),
            footer,
        );
    }
}
