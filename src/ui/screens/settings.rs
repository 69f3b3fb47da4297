//! Shop settings (manager only), one section per tab: the shop itself, opening hours with
//! closures and booking rules, bays, services and prices, the price list of plans and packages,
//! the till (taxes, cash rounding, tips, receipts), the points policy, and security.
//! Each section is a table; Enter edits the selected row in a form, `n` adds and `d` removes
//! (or, on the price list, retires) where a section holds a list.

use std::sync::Arc;

use chrono::Weekday;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Tabs, Wrap};

use super::price_list::{ProductEdit, ProductFormView, product_cells};
use super::settings_form::{EditKind, SettingsFormView};
use super::till_settings::{
    TillEdit, TillFormView, items_naming_tax, percent_text, receipt_language_name, tax_class_text,
    tax_in_use_message,
};
use crate::domain::access::Operation;
use crate::domain::alerts::AlertThresholds;
use crate::domain::backup_schedule::BackupSchedule;
use crate::domain::catalog::{Bay, ServiceItem};
use crate::domain::currency::Currency;
use crate::domain::loyalty::PointsPolicy;
use crate::domain::money::Money;
use crate::domain::price_list::Product;
use crate::domain::tax::{MAX_TAXES, TaxClass};
use crate::service::{BackupPhase, BackupProgress, BackupRunReport, BackupStatus, ServiceError};
use crate::store::records::{ScheduleSettings, ShopSettings, TillSettings};
use crate::ui::actions::Action;
use crate::ui::i18n::Language;
use crate::ui::keymap::KeyContext;
use crate::ui::tasks::Task;
use crate::ui::text::{opening_hours_text, safe};
use crate::ui::view::{Cx, Handled, Prompt, PromptAnswer, RenderCx, View, ViewTaskOutput};
use crate::ui::widgets::hints::footer_hints;
use crate::ui::widgets::table::RowCursor;

pub const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

pub fn weekday_word(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Shop,
    Hours,
    Bays,
    Services,
    PriceList,
    Till,
    Points,
    Security,
}

impl Tab {
    const ALL: [Tab; 8] = [
        Tab::Shop,
        Tab::Hours,
        Tab::Bays,
        Tab::Services,
        Tab::PriceList,
        Tab::Till,
        Tab::Points,
        Tab::Security,
    ];

    /// Short enough that all eight fit an 80-column screen in either language.
    fn label(self) -> &'static str {
        match self {
            Tab::Shop => "Shop",
            Tab::Hours => "Hours",
            Tab::Bays => "Bays",
            Tab::Services => "Services",
            Tab::PriceList => "Price list",
            Tab::Till => "Till",
            Tab::Points => "Points",
            Tab::Security => "Security",
        }
    }

    fn index(self) -> usize {
        Tab::ALL.iter().position(|t| *t == self).unwrap_or(0)
    }
}

/// What a row stands for: what Enter edits, `n` adds next to, `d` removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Shop,
    Day(usize),
    Rules,
    ClosuresHeading,
    Closure(usize),
    Bay(usize),
    Service(usize),
    PlansHeading,
    PackagesHeading,
    /// A product by its position in the price list.
    Product(usize),
    TillGeneral,
    TaxesHeading,
    Tax(usize),
    PointsGeneral,
    TiersHeading,
    Tier(usize),
    RewardsHeading,
    Reward(usize),
    IdleLock,
    Retention,
    Backups,
    LastBackup,
    AlertRules,
}

struct SettingRow {
    target: Target,
    cells: Vec<String>,
    heading: bool,
}

impl SettingRow {
    fn new(target: Target, cells: Vec<String>) -> Self {
        Self {
            target,
            cells,
            heading: false,
        }
    }

    fn heading(target: Target, text: &str) -> Self {
        Self {
            target,
            cells: vec![text.to_owned()],
            heading: true,
        }
    }
}

pub fn yes_no(lang: Language, yes: bool) -> &'static str {
    if yes { lang.tr("yes") } else { lang.tr("no") }
}

pub struct SettingsView {
    tab: Tab,
    cursors: [RowCursor; 8],
    shop: Option<ShopSettings>,
    schedule: ScheduleSettings,
    bays: Vec<Bay>,
    services: Vec<ServiceItem>,
    /// Plans and packages, retired ones too, by name.
    products: Vec<Product>,
    till: TillSettings,
    policy: PointsPolicy,
    /// Months without a visit or booking before a retention run anonymises a member.
    retention_months: u32,
    backups: BackupSchedule,
    backup_status: BackupStatus,
    alert_thresholds: AlertThresholds,
    /// A "back up now" under way, whose progress the Security tab shows.
    backing_up: Option<Arc<BackupProgress>>,
    /// What a removal prompt is about.
    pending_removal: Option<Target>,
}

/// What a "back up now" run came to.
struct BackedUp(Result<BackupRunReport, ServiceError>);

impl Default for SettingsView {
    fn default() -> Self {
        Self::new()
    }
}

impl SettingsView {
    pub fn new() -> Self {
        Self {
            tab: Tab::Shop,
            cursors: [RowCursor::new(0); 8],
            shop: None,
            schedule: ScheduleSettings::default(),
            bays: Vec::new(),
            services: Vec::new(),
            products: Vec::new(),
            till: TillSettings::default(),
            policy: PointsPolicy::default(),
            retention_months: crate::domain::retention::DEFAULT_RETENTION_MONTHS,
            backups: BackupSchedule::default(),
            backup_status: BackupStatus::default(),
            alert_thresholds: AlertThresholds::default(),
            backing_up: None,
            pending_removal: None,
        }
    }

    fn currency(&self) -> Currency {
        self.shop
            .as_ref()
            .map(|s| s.currency.clone())
            .unwrap_or_default()
    }

    fn load(&mut self, cx: &mut Cx) {
        let loaded = (|| {
            let shop = cx.service.settings()?;
            let schedule = cx.service.schedule_settings()?;
            let services = cx.service.list_services(cx.session)?;
            let bays = cx.service.list_bays(cx.session)?;
            let policy = cx.service.points_policy()?;
            let products = cx.service.price_list()?;
            let till = cx.service.till_settings()?;
            let retention = cx.service.retention_policy()?;
            Ok::<_, crate::service::ServiceError>((
                shop, schedule, services, bays, policy, products, till, retention,
            ))
        })();
        match loaded {
            Ok((shop, schedule, mut services, mut bays, policy, products, till, retention)) => {
                self.retention_months = retention.months;
                services.sort_by(|a, b| a.name.cmp(&b.name));
                bays.sort_by(|a, b| a.name.cmp(&b.name));
                self.shop = Some(shop);
                self.schedule = schedule;
                self.services = services;
                self.bays = bays;
                self.policy = policy;
                self.products = products;
                self.till = till;
            }
            Err(err) => cx.fail(&err),
        }
        let backups = (|| {
            let schedule = cx.service.backup_schedule()?;
            let status = cx.service.backup_status(cx.session)?;
            Ok::<_, ServiceError>((schedule, status))
        })();
        if let Ok((schedule, status)) = backups {
            self.backups = schedule;
            self.backup_status = status;
        }
        if let Ok(thresholds) = cx.service.alert_thresholds(cx.session) {
            self.alert_thresholds = thresholds;
        }
        for tab in Tab::ALL {
            let len = self.rows_for(tab, cx.lang).len();
            self.cursors[tab.index()].set_len(len);
        }
    }

    fn cursor(&mut self) -> &mut RowCursor {
        &mut self.cursors[self.tab.index()]
    }

    fn selected_target(&self, lang: Language) -> Option<Target> {
        let rows = self.rows_for(self.tab, lang);
        self.cursors[self.tab.index()]
            .selected()
            .and_then(|i| rows.get(i))
            .map(|row| row.target)
    }

    fn money(&self, minor: i64) -> String {
        Money::from_minor(minor).format(&self.currency())
    }

    fn rows_for(&self, tab: Tab, lang: Language) -> Vec<SettingRow> {
        match tab {
            Tab::Shop => {
                let Some(shop) = &self.shop else {
                    return Vec::new();
                };
                vec![
                    SettingRow::new(
                        Target::Shop,
                        vec![
                            lang.tr("Shop name").to_owned(),
                            safe(&shop.shop_name).into_owned(),
                        ],
                    ),
                    SettingRow::new(
                        Target::Shop,
                        vec![
                            lang.tr("Time zone").to_owned(),
                            safe(&shop.timezone).into_owned(),
                        ],
                    ),
                    SettingRow::new(
                        Target::Shop,
                        vec![
                            lang.tr("Currency").to_owned(),
                            shop.currency.code().to_owned(),
                        ],
                    ),
                ]
            }
            Tab::Hours => {
                let mut rows: Vec<SettingRow> = WEEK
                    .iter()
                    .enumerate()
                    .map(|(index, day)| {
                        let hours = opening_hours_text(self.schedule.hours.periods(*day), lang);
                        SettingRow::new(
                            Target::Day(index),
                            vec![lang.tr(weekday_word(*day)).to_owned(), hours],
                        )
                    })
                    .collect();
                let rules = self.schedule.rules;
                rows.push(SettingRow::heading(Target::Rules, lang.tr("Booking rules")));
                for (label, value) in [
                    ("Slot length", rules.slot_minutes, "min"),
                    ("Minimum notice", rules.min_notice_minutes, "min"),
                    ("Book ahead up to", rules.horizon_days, "days"),
                    ("Buffer between cars", rules.buffer_minutes, "min"),
                ]
                .map(|(label, value, unit)| (label, format!("{value} {}", lang.tr(unit))))
                {
                    rows.push(SettingRow::new(
                        Target::Rules,
                        vec![lang.tr(label).to_owned(), value],
                    ));
                }
                rows.push(SettingRow::heading(
                    Target::ClosuresHeading,
                    lang.tr("Closed days"),
                ));
                for (index, closure) in self.schedule.closures.iter().enumerate() {
                    rows.push(SettingRow::new(
                        Target::Closure(index),
                        vec![
                            closure.date.format("%Y-%m-%d").to_string(),
                            safe(&closure.reason).into_owned(),
                        ],
                    ));
                }
                rows
            }
            Tab::Bays => self
                .bays
                .iter()
                .enumerate()
                .map(|(index, bay)| {
                    let serves: Vec<String> = self
                        .services
                        .iter()
                        .filter(|s| bay.services.contains(&s.id))
                        .map(|s| safe(&s.name).into_owned())
                        .collect();
                    SettingRow::new(
                        Target::Bay(index),
                        vec![
                            safe(&bay.name).into_owned(),
                            yes_no(lang, bay.active).to_owned(),
                            serves.join(", "),
                        ],
                    )
                })
                .collect(),
            Tab::Services => self
                .services
                .iter()
                .enumerate()
                .map(|(index, item)| {
                    SettingRow::new(
                        Target::Service(index),
                        vec![
                            safe(&item.name).into_owned(),
                            lang.tr(item.category.as_str()).to_owned(),
                            format!("{} {}", item.duration_minutes, lang.tr("min")),
                            item.price.format(&self.currency()),
                            tax_class_text(lang, &item.tax_class),
                            yes_no(lang, item.earns_points).to_owned(),
                            yes_no(lang, item.active).to_owned(),
                        ],
                    )
                })
                .collect(),
            Tab::PriceList => self.price_list_rows(lang),
            Tab::Till => self.till_rows(lang),
            Tab::Points => {
                let policy = &self.policy;
                let mut rows = vec![
                    SettingRow::new(
                        Target::PointsGeneral,
                        vec![
                            lang.tr("Spend per point").to_owned(),
                            self.money(policy.earn_unit_minor()),
                        ],
                    ),
                    SettingRow::new(
                        Target::PointsGeneral,
                        vec![
                            lang.tr("Points expire after").to_owned(),
                            lang.fill(
                                "{n} months",
                                &[("n", &policy.lot_expiry_months().to_string())],
                            ),
                        ],
                    ),
                    SettingRow::new(
                        Target::PointsGeneral,
                        vec![
                            lang.tr("One point is worth").to_owned(),
                            self.money(policy.point_value_minor()),
                        ],
                    ),
                    SettingRow::heading(Target::TiersHeading, lang.tr("Tiers")),
                ];
                for (index, tier) in policy.tiers().iter().enumerate() {
                    rows.push(SettingRow::new(
                        Target::Tier(index),
                        vec![
                            lang.tr_dynamic(&safe(&tier.name)).to_owned(),
                            lang.fill(
                                "from {amount} in 12 months, ×{multiplier}",
                                &[
                                    ("amount", &self.money(tier.min_rolling_spend_minor)),
                                    ("multiplier", &multiplier_text(tier.multiplier_percent)),
                                ],
                            ),
                        ],
                    ));
                }
                rows.push(SettingRow::heading(
                    Target::RewardsHeading,
                    lang.tr("Rewards"),
                ));
                for (index, reward) in policy.rewards().iter().enumerate() {
                    let service = reward
                        .service
                        .and_then(|id| self.services.iter().find(|s| s.id == id))
                        .map(|s| safe(&s.name).into_owned());
                    let cost = lang.fill("{n} points", &[("n", &reward.points_cost.to_string())]);
                    let value = match service {
                        Some(name) => format!("{cost} → {name}"),
                        None => cost,
                    };
                    rows.push(SettingRow::new(
                        Target::Reward(index),
                        vec![safe(&reward.name).into_owned(), value],
                    ));
                }
                rows
            }
            Tab::Security => {
                let minutes = self.shop.as_ref().map(|s| s.idle_lock_minutes).unwrap_or(0);
                vec![
                    SettingRow::new(
                        Target::IdleLock,
                        vec![
                            lang.tr("Lock the screen after").to_owned(),
                            lang.fill("{n} idle minutes", &[("n", &minutes.to_string())]),
                        ],
                    ),
                    SettingRow::new(
                        Target::Retention,
                        vec![
                            lang.tr("Anonymise members after").to_owned(),
                            lang.fill(
                                "{n} months without a visit",
                                &[("n", &self.retention_months.to_string())],
                            ),
                        ],
                    ),
                    SettingRow::new(
                        Target::Backups,
                        vec![lang.tr("Daily backup").to_owned(), self.schedule_text(lang)],
                    ),
                    SettingRow::new(
                        Target::Backups,
                        vec![
                            lang.tr("Backup folder").to_owned(),
                            match &self.backups.folder {
                                Some(folder) => safe(folder).into_owned(),
                                None => lang.tr("backups/ in the data folder").to_owned(),
                            },
                        ],
                    ),
                    SettingRow::new(
                        Target::Backups,
                        vec![
                            lang.tr("Second folder").to_owned(),
                            match &self.backups.second_folder {
                                Some(folder) => safe(folder).into_owned(),
                                None => lang.tr("none").to_owned(),
                            },
                        ],
                    ),
                    SettingRow::new(
                        Target::LastBackup,
                        vec![
                            lang.tr("Last backup").to_owned(),
                            self.last_backup_text(lang),
                        ],
                    ),
                    SettingRow::new(
                        Target::AlertRules,
                        vec![
                            lang.tr("Alert rules").to_owned(),
                            lang.fill(
                                "{n} openings/{m} min, {p} points, {f} failed logins",
                                &[
                                    ("n", &self.alert_thresholds.access_count.to_string()),
                                    (
                                        "m",
                                        &self.alert_thresholds.access_window_minutes.to_string(),
                                    ),
                                    ("p", &self.alert_thresholds.points_adjustment.to_string()),
                                    ("f", &self.alert_thresholds.failed_login_count.to_string()),
                                ],
                            ),
                        ],
                    ),
                ]
            }
        }
    }

    /// Plans, then packages, each under its heading; `n` adds to the section the cursor is in.
    fn price_list_rows(&self, lang: Language) -> Vec<SettingRow> {
        let currency = self.currency();
        let yes_no_text = |yes: bool| yes_no(lang, yes).to_owned();
        let mut rows = Vec::new();
        for (is_plan, heading_target, heading, empty) in [
            (
                true,
                Target::PlansHeading,
                "Plans",
                "No plans yet; n adds one.",
            ),
            (
                false,
                Target::PackagesHeading,
                "Packages",
                "No packages yet; n adds one.",
            ),
        ] {
            rows.push(SettingRow::heading(heading_target, lang.tr(heading)));
            let before = rows.len();
            for (index, product) in self.products.iter().enumerate() {
                if matches!(product, Product::Plan(_)) == is_plan {
                    rows.push(SettingRow::new(
                        Target::Product(index),
                        product_cells(lang, product, &self.services, &currency, yes_no_text),
                    ));
                }
            }
            if rows.len() == before {
                rows.push(SettingRow::new(
                    heading_target,
                    vec![lang.tr(empty).to_owned()],
                ));
            }
        }
        rows
    }

    fn till_rows(&self, lang: Language) -> Vec<SettingRow> {
        let till = &self.till;
        let currency = self.currency();
        let general = |label: &'static str, value: String| {
            SettingRow::new(Target::TillGeneral, vec![lang.tr(label).to_owned(), value])
        };
        let mut rows = vec![
            general(
                "Prices include tax",
                yes_no(lang, till.tax.prices_include_tax).to_owned(),
            ),
            general(
                "Cash rounding",
                till.cash_unit
                    .map_or_else(|| lang.tr("none").to_owned(), |unit| unit.format(&currency)),
            ),
            general("Tips", yes_no(lang, till.tips).to_owned()),
            general(
                "Receipt language",
                receipt_language_name(till.receipt_language).to_owned(),
            ),
            general(
                "Print command",
                till.print_command.as_deref().map_or_else(
                    || lang.tr("none: receipts are saved as text files").to_owned(),
                    |command| safe(command).into_owned(),
                ),
            ),
            SettingRow::heading(Target::TaxesHeading, lang.tr("Taxes")),
        ];
        for (index, tax) in till.tax.taxes.iter().enumerate() {
            rows.push(SettingRow::new(
                Target::Tax(index),
                vec![
                    safe(&tax.name).into_owned(),
                    format!("{} %", percent_text(tax.basis_points)),
                ],
            ));
        }
        if till.tax.taxes.is_empty() {
            rows.push(SettingRow::new(
                Target::TaxesHeading,
                vec![lang.tr("No taxes; n adds one.").to_owned()],
            ));
        }
        rows
    }

    /// Every service and product with its tax class, to keep a tax that some still name.
    fn tax_users(&self) -> Vec<(String, TaxClass)> {
        self.services
            .iter()
            .map(|s| (s.name.clone(), s.tax_class.clone()))
            .chain(self.products.iter().map(|p| {
                let class = match p {
                    Product::Plan(plan) => plan.tax_class.clone(),
                    Product::Package(package) => package.tax_class.clone(),
                };
                (p.name().to_owned(), class)
            }))
            .collect()
    }

    fn edit(&mut self, cx: &mut Cx) {
        let Some(target) = self.selected_target(cx.lang) else {
            return;
        };
        let kind = match target {
            Target::Shop => EditKind::Shop,
            Target::Day(index) => EditKind::Day(index),
            Target::Rules => EditKind::Rules,
            Target::Closure(index) => EditKind::Closure(Some(index)),
            Target::ClosuresHeading => EditKind::Closure(None),
            Target::Bay(index) => match self.bays.get(index) {
                Some(bay) => EditKind::Bay(Some(bay.id)),
                None => return,
            },
            Target::Service(index) => match self.services.get(index) {
                Some(item) => EditKind::Service(Some(item.id)),
                None => return,
            },
            Target::PlansHeading => return self.open_product(ProductEdit::Plan(None), cx),
            Target::PackagesHeading => return self.open_product(ProductEdit::Package(None), cx),
            Target::Product(index) => {
                let edit = match self.products.get(index) {
                    Some(Product::Plan(plan)) => ProductEdit::Plan(Some(plan.id)),
                    Some(Product::Package(package)) => ProductEdit::Package(Some(package.id)),
                    None => return,
                };
                return self.open_product(edit, cx);
            }
            Target::TillGeneral => return self.open_till(TillEdit::General, cx),
            Target::TaxesHeading => return self.open_till(TillEdit::Tax(None), cx),
            Target::Tax(index) => return self.open_till(TillEdit::Tax(Some(index)), cx),
            Target::PointsGeneral => EditKind::PointsGeneral,
            Target::Tier(index) => EditKind::Tier(Some(index)),
            Target::TiersHeading => EditKind::Tier(None),
            Target::Reward(index) => EditKind::Reward(Some(index)),
            Target::RewardsHeading => EditKind::Reward(None),
            Target::IdleLock => EditKind::IdleLock,
            Target::Retention => EditKind::Retention(self.retention_months),
            Target::Backups | Target::LastBackup => EditKind::Backups,
            Target::AlertRules => EditKind::AlertRules,
        };
        self.open(kind, cx);
    }

    /// Settings are the manager's; the app keeps cashiers off this screen, and this says no
    /// before a form is filled in should any other way in appear.
    fn may_change(&self, cx: &mut Cx) -> bool {
        let allowed = cx.service.can(cx.session, Operation::ChangeSettings);
        if !allowed {
            cx.notice(cx.tr("Only a manager may do that; ask a manager."));
        }
        allowed
    }

    fn open(&mut self, kind: EditKind, cx: &mut Cx) {
        if !self.may_change(cx) {
            return;
        }
        let Some(shop) = &self.shop else {
            return;
        };
        let form = SettingsFormView::new(
            kind,
            shop,
            &self.schedule,
            &self.bays,
            &self.services,
            &self.policy,
            cx.lang,
        )
        .with_taxes(&self.till.tax)
        .with_backup_schedule(&self.backups, cx.lang)
        .with_alert_thresholds(&self.alert_thresholds, cx.lang);
        cx.push(form);
    }

    fn open_product(&mut self, edit: ProductEdit, cx: &mut Cx) {
        if !self.may_change(cx) {
            return;
        }
        if self.services.is_empty() {
            cx.notice(cx.tr("Add a service first: plans and packages are sold for services."));
            return;
        }
        let form = ProductFormView::new(
            edit,
            &self.products,
            &self.services,
            &self.till.tax,
            &self.currency(),
            cx.lang,
        );
        cx.push(form);
    }

    fn open_till(&mut self, edit: TillEdit, cx: &mut Cx) {
        if !self.may_change(cx) {
            return;
        }
        if edit == TillEdit::Tax(None) && self.till.tax.taxes.len() >= MAX_TAXES {
            cx.notice(cx.lang.fill(
                "A shop has at most {n} taxes; change or remove one.",
                &[("n", &MAX_TAXES.to_string())],
            ));
            return;
        }
        let form = TillFormView::new(
            edit,
            &self.till,
            &self.currency(),
            self.tax_users(),
            cx.lang,
        );
        cx.push(form);
    }

    /// "at 22:00, keeping the newest 14", or off.
    fn schedule_text(&self, lang: Language) -> String {
        if !self.backups.enabled {
            return lang.tr("off: only when b is pressed").to_owned();
        }
        lang.fill(
            "at {time}, keeping the newest {n}",
            &[
                ("time", &self.backups.daily_at.format("%H:%M").to_string()),
                ("n", &self.backups.keep.to_string()),
            ],
        )
    }

    /// The last good backup (time, size, drill) and, after it, a failure if there was one.
    fn last_backup_text(&self, lang: Language) -> String {
        let zone = self.zone();
        let when = |at: chrono::DateTime<chrono::Utc>| {
            at.with_timezone(&zone).format("%Y-%m-%d %H:%M").to_string()
        };
        let mut text = match &self.backup_status.last_success {
            Some(run) => lang.fill(
                "{when}, {size}, restore drill passed",
                &[("when", &when(run.at)), ("size", &size_text(run.bytes))],
            ),
            None => lang.tr("none yet").to_owned(),
        };
        if self.backup_status.last_run_failed()
            && let Some(failure) = &self.backup_status.last_failure
        {
            text.push_str(" — ");
            text.push_str(&lang.fill(
                "FAILED {when}: {reason}",
                &[
                    ("when", &when(failure.at)),
                    ("reason", &safe(&failure.reason)),
                ],
            ));
        }
        text
    }

    fn zone(&self) -> chrono_tz::Tz {
        self.shop
            .as_ref()
            .and_then(|shop| shop.timezone.parse().ok())
            .unwrap_or(chrono_tz::UTC)
    }

    /// Starts a whole backup run off the screen's thread; its progress shows on this tab.
    fn back_up_now(&mut self, cx: &mut Cx) {
        if !cx.service.can(cx.session, Operation::MakeBackup) {
            cx.notice(cx.tr("Only a manager may do that; ask a manager."));
            return;
        }
        if self.backing_up.is_some() {
            cx.notice(cx.tr("A backup is already running; wait for it to finish."));
            return;
        }
        self.tab = Tab::Security;
        let progress = Arc::new(BackupProgress::default());
        self.backing_up = Some(progress.clone());
        let service = cx.service.clone();
        let session = cx.session.clone();
        cx.run(Task::ForView {
            label: "Backing up…",
            work: Box::new(move || {
                Box::new(BackedUp(service.back_up_now(&session, &progress))) as ViewTaskOutput
            }),
        });
    }

    fn add(&mut self, cx: &mut Cx) {
        let kind = match (self.tab, self.selected_target(cx.lang)) {
            (Tab::Hours, _) => EditKind::Closure(None),
            (Tab::Bays, _) => EditKind::Bay(None),
            (Tab::Services, _) => EditKind::Service(None),
            (Tab::PriceList, Some(Target::PackagesHeading)) => {
                return self.open_product(ProductEdit::Package(None), cx);
            }
            (Tab::PriceList, Some(Target::Product(index)))
                if matches!(self.products.get(index), Some(Product::Package(_))) =>
            {
                return self.open_product(ProductEdit::Package(None), cx);
            }
            (Tab::PriceList, _) => return self.open_product(ProductEdit::Plan(None), cx),
            (Tab::Till, _) => return self.open_till(TillEdit::Tax(None), cx),
            (Tab::Points, Some(Target::RewardsHeading | Target::Reward(_))) => {
                EditKind::Reward(None)
            }
            (Tab::Points, _) => EditKind::Tier(None),
            _ => {
                cx.notice(cx.tr("Nothing to add in this section."));
                return;
            }
        };
        self.open(kind, cx);
    }

    fn ask_removal(&mut self, cx: &mut Cx) {
        let target = self.selected_target(cx.lang);
        let message = match target {
            Some(Target::Closure(index)) => self.schedule.closures.get(index).map(|c| {
                cx.lang
                    .fill("Open again on {date}?", &[("date", &c.date.to_string())])
            }),
            Some(Target::Tier(index)) => self.policy.tiers().get(index).map(|t| {
                cx.lang
                    .fill("Remove the tier {name}?", &[("name", &safe(&t.name))])
            }),
            Some(Target::Reward(index)) => self.policy.rewards().get(index).map(|r| {
                cx.lang
                    .fill("Remove the reward {name}?", &[("name", &safe(&r.name))])
            }),
            Some(Target::Tax(index)) => {
                let Some(tax) = self.till.tax.taxes.get(index) else {
                    return;
                };
                let users = items_naming_tax(&tax.name, &self.tax_users());
                if !users.is_empty() {
                    cx.notice(tax_in_use_message(cx.lang, &tax.name, &users));
                    return;
                }
                Some(cx.lang.fill(
                    "Remove the tax {name}? Sales from now on no longer charge it; past receipts keep it.",
                    &[("name", &safe(&tax.name))],
                ))
            }
            Some(Target::Product(index)) => {
                let Some(product) = self.products.get(index) else {
                    return;
                };
                let name = safe(product.name()).into_owned();
                if !product.active() {
                    cx.notice(cx.lang.fill(
                        "{name} is already retired; edit it to sell it again.",
                        &[("name", &name)],
                    ));
                    return;
                }
                if !self.may_change(cx) {
                    return;
                }
                self.pending_removal = target;
                cx.prompt(Prompt::confirm(
                    "settings.retire",
                    "Retire?",
                    cx.lang.fill(
                        "Stop selling {name}? Plans and packages already sold keep their terms.",
                        &[("name", &name)],
                    ),
                ));
                return;
            }
            _ => None,
        };
        let Some(message) = message else {
            cx.notice(cx.tr(
                "Only closed days, taxes, tiers and rewards can be removed; take bays, services and products out of use by editing them.",
            ));
            return;
        };
        if !self.may_change(cx) {
            return;
        }
        self.pending_removal = target;
        cx.prompt(Prompt::confirm("settings.remove", "Remove?", message));
    }

    /// Takes a product off sale; it stays on file for the plans and packages sold from it.
    fn retire(&mut self, index: usize, cx: &mut Cx) {
        let Some(product) = self.products.get(index).cloned() else {
            return;
        };
        let retired = match product {
            Product::Plan(mut plan) => {
                plan.active = false;
                Product::Plan(plan)
            }
            Product::Package(mut package) => {
                package.active = false;
                Product::Package(package)
            }
        };
        match cx.service.save_product(cx.session, retired) {
            Ok(_) => {
                cx.notice(cx.tr("Retired."));
                cx.changed();
            }
            Err(err) => cx.fail(&err),
        }
        self.load(cx);
    }

    fn remove(&mut self, target: Target, cx: &mut Cx) {
        let result = match target {
            Target::Tax(index) => cx.service.till_settings().and_then(|mut till| {
                if index < till.tax.taxes.len() {
                    till.tax.taxes.remove(index);
                }
                cx.service.update_till_settings(cx.session, till)
            }),
            Target::Closure(index) => cx.service.schedule_settings().and_then(|mut schedule| {
                if index < schedule.closures.len() {
                    schedule.closures.remove(index);
                }
                cx.service.update_schedule(cx.session, schedule)
            }),
            Target::Tier(index) | Target::Reward(index) => {
                let mut settings = cx.service.points_policy().map(|p| p.settings());
                if let Ok(settings) = &mut settings {
                    match target {
                        Target::Tier(_) if index < settings.tiers.len() => {
                            settings.tiers.remove(index);
                        }
                        Target::Reward(_) if index < settings.rewards.len() => {
                            settings.rewards.remove(index);
                        }
                        _ => {}
                    }
                }
                settings.and_then(|settings| cx.service.update_points_policy(cx.session, settings))
            }
            _ => return,
        };
        match result {
            Ok(()) => {
                cx.notice(cx.tr("Removed."));
                cx.changed();
            }
            Err(err) => cx.fail(&err),
        }
        self.load(cx);
    }
}

/// `1.25` for 125 %.
pub fn multiplier_text(percent: u32) -> String {
    let whole = percent / 100;
    let rest = percent % 100;
    if rest == 0 {
        whole.to_string()
    } else if rest.is_multiple_of(10) {
        format!("{whole}.{}", rest / 10)
    } else {
        format!("{whole}.{rest:02}")
    }
}

impl View for SettingsView {
    fn title(&self) -> &'static str {
        "Settings"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Settings, KeyContext::List]
    }

    fn refresh(&mut self, cx: &mut Cx) {
        self.load(cx);
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        if self.cursor().on_action(action, 10) {
            return Handled::Yes;
        }
        match action {
            Action::NextTab | Action::PrevTab => {
                let n = Tab::ALL.len();
                let step = if action == Action::NextTab { 1 } else { n - 1 };
                self.tab = Tab::ALL[(self.tab.index() + step) % n];
            }
            Action::Edit | Action::Select => self.edit(cx),
            Action::AddEntry => self.add(cx),
            Action::RemoveEntry => self.ask_removal(cx),
            Action::BackUpNow => self.back_up_now(cx),
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn on_task(&mut self, output: ViewTaskOutput, cx: &mut Cx) {
        let Ok(done) = output.downcast::<BackedUp>() else {
            return;
        };
        self.backing_up = None;
        match done.0 {
            Ok(report) => {
                let mut message = cx.lang.fill(
                    "Backed up to {file} and checked: it restores.",
                    &[(
                        "file",
                        &safe(
                            &report
                                .file
                                .file_name()
                                .map(|name| name.to_string_lossy().into_owned())
                                .unwrap_or_default(),
                        ),
                    )],
                );
                if let Some(Err(reason)) = &report.second_copy {
                    message.push(' ');
                    message.push_str(&cx.lang.fill(
                        "The second copy failed: {reason}",
                        &[("reason", &safe(reason))],
                    ));
                }
                cx.notice(message);
            }
            Err(err) => cx.fail(&err),
        }
        self.load(cx);
    }

    fn on_prompt(&mut self, tag: &'static str, _answer: PromptAnswer, cx: &mut Cx) {
        match (tag, self.pending_removal.take()) {
            ("settings.remove", Some(target)) => self.remove(target, cx),
            ("settings.retire", Some(Target::Product(index))) => self.retire(index, cx),
            _ => {}
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", rx.tr("Settings")),
                rx.theme.title,
            ))
            .border_style(rx.theme.border);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [tabs_area, note_area, table_area, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Length(1),
            Constraint::Min(3),
            Constraint::Length(1),
        ])
        .areas(inner);
        let tabs = Tabs::new(Tab::ALL.iter().map(|t| rx.tr(t.label())))
            .select(self.tab.index())
            .style(rx.theme.muted)
            .highlight_style(rx.theme.selection)
            .divider("│")
            .padding(" ", " ");
        frame.render_widget(tabs, tabs_area);
        let note = match self.tab {
            Tab::Shop => "The currency cannot change once money has been taken in it.",
            Tab::Hours => "Times are the shop's local time.",
            Tab::Bays => "Each bay takes one car at a time, for the services it serves.",
            Tab::Services => "Prices apply to checkouts from now on.",
            Tab::PriceList => {
                "The counter sells these at list price; what was sold keeps its terms."
            }
            Tab::Till => "Applies to sales from now on; past receipts keep their tax.",
            Tab::Points => "Changes apply from now on; points already earned keep their expiry.",
            Tab::Security => "Applies at the next idle period of every session.",
        };
        let note = match (&self.backing_up, self.tab) {
            (Some(progress), Tab::Security) => {
                Span::styled(backup_progress_text(progress, rx.lang), rx.theme.accent)
            }
            _ => Span::styled(rx.tr(note), rx.theme.muted),
        };
        frame.render_widget(Paragraph::new(note), note_area);
        let table_area = if self.tab == Tab::Security {
            let [table_area, ssh_area] =
                Layout::vertical([Constraint::Min(3), Constraint::Length(5)]).areas(table_area);
            render_ssh_access(frame, ssh_area, rx);
            table_area
        } else {
            table_area
        };
        let rows = self.rows_for(self.tab, rx.lang);
        let (headers, widths): (Vec<&str>, Vec<Constraint>) = match self.tab {
            Tab::Bays => (
                vec!["Bay", "In use", "Serves"],
                vec![
                    Constraint::Length(16),
                    Constraint::Length(7),
                    Constraint::Min(10),
                ],
            ),
            Tab::Services => (
                vec![
                    "Service", "Category", "Length", "Price", "Tax", "Points", "In use",
                ],
                vec![
                    Constraint::Min(14),
                    Constraint::Length(13),
                    Constraint::Length(8),
                    Constraint::Length(12),
                    Constraint::Length(9),
                    Constraint::Length(6),
                    Constraint::Length(6),
                ],
            ),
            Tab::PriceList => (
                vec!["Product", "Details", "Price", "Tax", "In use"],
                vec![
                    Constraint::Fill(2),
                    Constraint::Fill(3),
                    Constraint::Length(11),
                    Constraint::Length(8),
                    Constraint::Length(6),
                ],
            ),
            _ => (
                vec!["Setting", "Value"],
                vec![Constraint::Length(24), Constraint::Min(10)],
            ),
        };
        let header = Row::new(headers.iter().map(|h| Cell::from(rx.tr(h)))).style(rx.theme.header);
        let table_rows = rows.iter().map(|row| {
            if row.heading {
                Row::new(vec![Cell::from(Span::styled(
                    row.cells.first().cloned().unwrap_or_default(),
                    rx.theme.accent,
                ))])
            } else {
                Row::new(row.cells.iter().map(|c| Cell::from(c.clone())))
            }
        });
        let table = Table::new(table_rows, widths)
            .header(header)
            .row_highlight_style(rx.theme.selection)
            .highlight_symbol("▶ ");
        let mut state =
            TableState::default().with_selected(self.cursors[self.tab.index()].selected());
        frame.render_stateful_widget(table, table_area, &mut state);
        if rows.is_empty() {
            let empty = match self.tab {
                Tab::Bays => "No bays yet.",
                Tab::Services => "No services yet.",
                _ => "",
            };
            if !empty.is_empty() {
                let [_, below] =
                    Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(table_area);
                frame.render_widget(
                    Paragraph::new(Span::styled(rx.tr(empty), rx.theme.muted)),
                    below,
                );
            }
        }
        let mut hints = vec![(Action::NextTab, "section"), (Action::Edit, "edit")];
        if matches!(
            self.tab,
            Tab::Hours | Tab::Bays | Tab::Services | Tab::PriceList | Tab::Till | Tab::Points
        ) {
            hints.push((Action::AddEntry, "add"));
        }
        if matches!(self.tab, Tab::Hours | Tab::Till | Tab::Points) {
            hints.push((Action::RemoveEntry, "remove"));
        }
        if self.tab == Tab::PriceList {
            hints.push((Action::RemoveEntry, "retire"));
        }
        if self.tab == Tab::Security {
            hints.push((Action::BackUpNow, "back up now"));
        }
        frame.render_widget(
            Paragraph::new(Line::from(footer_hints(rx, self.contexts(), &hints))),
            footer,
        );
    }
}

/// "Backing up: writing (3.4 MB)…", from the run's shared progress.
fn backup_progress_text(progress: &BackupProgress, lang: Language) -> String {
    let step = match progress.phase() {
        BackupPhase::Writing => "writing",
        BackupPhase::ReadingBack => "reading it back",
        BackupPhase::SecondCopy => "copying to the second folder",
        BackupPhase::RestoreDrill => "test-restoring it",
        BackupPhase::Pruning => "removing old backups",
    };
    lang.fill(
        "Backing up: {step} ({size})…",
        &[
            ("step", lang.tr(step)),
            ("size", &size_text(progress.bytes_written())),
        ],
    )
}

/// A file size as a person reads it: 912 KB, 3.4 MB, 1.2 GB.
pub fn size_text(bytes: u64) -> String {
    const KB: u64 = 1000;
    const MB: u64 = KB * 1000;
    const GB: u64 = MB * 1000;
    match bytes {
        b if b >= GB => format!("{}.{} GB", b / GB, (b % GB) / (GB / 10)),
        b if b >= MB => format!("{}.{} MB", b / MB, (b % MB) / (MB / 10)),
        b => format!("{} KB", b.div_ceil(KB)),
    }
}

/// The Security tab's SSH part: the host key staff should see on their first connection, or
/// how to start serving. Only a process that serves SSH knows its key, so it comes from the
/// render context rather than the store.
fn render_ssh_access(frame: &mut Frame, area: Rect, rx: &RenderCx) {
    let status = match rx.ssh_server {
        Some(server) => {
            let fingerprint = safe(&server.host_key_fingerprint);
            let listen = safe(&server.listen);
            Line::from(Span::raw(rx.lang.fill(
                "SSH host key {fingerprint}  listening on {listen}",
                &[("fingerprint", &fingerprint), ("listen", &listen)],
            )))
        }
        None => Line::from(Span::styled(
            rx.tr("Not serving SSH — start `frontdesk serve` to let staff connect over SSH."),
            rx.theme.warning,
        )),
    };
    let mut lines = vec![
        Line::from(Span::styled(rx.tr("SSH access"), rx.theme.accent)),
        status,
    ];
    if rx.ssh_server.is_some() {
        lines.push(Line::from(Span::styled(
            rx.tr("Staff should see this fingerprint the first time their SSH client connects; if it differs, they must not go on."),
            rx.theme.muted,
        )));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), area);
}
