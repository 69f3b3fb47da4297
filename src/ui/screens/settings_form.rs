//! The form behind each settings row: it starts from the current values, checks what it can
//! next to the field (numbers, times, money typed as decimal text in the shop's currency), and
//! sends the change to the service, which checks everything again and audits it.

use chrono::{NaiveDate, NaiveTime};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;

use super::settings::{WEEK, multiplier_text, weekday_word};
use crate::domain::alerts::AlertThresholds;
use crate::domain::backup_schedule::BackupSchedule;
use crate::domain::catalog::{Bay, ServiceCategory, ServiceItem};
use crate::domain::currency::Currency;
use crate::domain::loyalty::{PointsPolicy, PointsPolicySettings, PolicyError, Reward, Tier};
use crate::domain::money::Money;
use crate::domain::schedule::{BookingRules, Closure, OpeningHours, ScheduleError};
use crate::domain::tax::{TaxClass, TaxSettings};
use crate::ids::RecordId;
use crate::service::{BayInput, ServiceError, ServiceInput};
use crate::store::records::{ScheduleSettings, ShopSettings};
use crate::ui::actions::Action;
use crate::ui::i18n::Language;
use crate::ui::keymap::KeyContext;
use crate::ui::text::safe;
use crate::ui::view::{Cx, Handled, RenderCx, View};
use crate::ui::widgets::form::{
    FieldKind, Form, SavingForm, saving_form_action, settings_form_areas,
};
use crate::ui::widgets::input::TextInput;

/// Which setting the form edits; `None` inside means a new entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditKind {
    Shop,
    /// A weekday, Monday = 0.
    Day(usize),
    Rules,
    Closure(Option<usize>),
    Bay(Option<RecordId>),
    Service(Option<RecordId>),
    PointsGeneral,
    Tier(Option<usize>),
    Reward(Option<usize>),
    IdleLock,
    /// The retention period, with the months it is set to now.
    Retention(u32),
    /// The backup schedule; the form is filled by [`SettingsFormView::with_backup_schedule`].
    Backups,
    /// The alert rules' thresholds; filled by [`SettingsFormView::with_alert_thresholds`].
    AlertRules,
}

impl EditKind {
    fn title(self) -> &'static str {
        match self {
            EditKind::Shop => "The shop",
            EditKind::Day(_) => "Opening hours",
            EditKind::Rules => "Booking rules",
            EditKind::Closure(None) => "New closed day",
            EditKind::Closure(Some(_)) => "Closed day",
            EditKind::Bay(None) => "New bay",
            EditKind::Bay(Some(_)) => "Bay",
            EditKind::Service(None) => "New service",
            EditKind::Service(Some(_)) => "Service",
            EditKind::PointsGeneral => "Points policy",
            EditKind::Tier(None) => "New tier",
            EditKind::Tier(Some(_)) => "Tier",
            EditKind::Reward(None) => "New reward",
            EditKind::Reward(Some(_)) => "Reward",
            EditKind::IdleLock | EditKind::Retention(_) => "Security",
            EditKind::Backups => "Backups",
            EditKind::AlertRules => "Alert rules",
        }
    }
}

/// A form-local problem: which field, and the message (already translated or sanitised).
type FieldProblem = (&'static str, String);

pub struct SettingsFormView {
    kind: EditKind,
    form: Form,
    currency: Currency,
    /// Catalog services in the order the bay checklist and the reward choice show them.
    services: Vec<(RecordId, String)>,
    /// Index of the first service checkbox in a bay form.
    checklist_start: usize,
    /// The shop's taxes, which a service's tax class must name.
    tax: TaxSettings,
}

fn yes_no_options(lang: Language) -> Vec<String> {
    vec![lang.tr("yes").to_owned(), lang.tr("no").to_owned()]
}

/// The alert rules' thresholds, one field each; a rule that is on or off is a yes/no choice.
fn alert_form(thresholds: &AlertThresholds, currency: &Currency, lang: Language) -> Form {
    let choice = |on: bool| usize::from(!on);
    Form::new()
        .text(
            "access",
            "Openings by one",
            number_input(thresholds.access_count),
        )
        .text(
            "access_window",
            "…within (min)",
            number_input(thresholds.access_window_minutes),
        )
        .text(
            "points",
            "Points adjustment >",
            number_input(thresholds.points_adjustment),
        )
        .text(
            "shift_count",
            "Voids & refunds >",
            number_input(thresholds.shift_adjustment_count),
        )
        .text(
            "shift_amount",
            "…or amount >",
            TextInput::new()
                .with_max(12)
                .with_value(&money_text(thresholds.shift_adjustment_minor, currency)),
        )
        .hint("In one shift: voids, refunds and discounts together.")
        .choice(
            "off_list",
            "Off-list sales",
            yes_no_options(lang),
            choice(thresholds.off_list_sales),
        )
        .choice(
            "outside_hours",
            "Logins when closed",
            yes_no_options(lang),
            choice(thresholds.outside_hours),
        )
        .text(
            "grace",
            "…grace (min)",
            number_input(thresholds.outside_hours_grace_minutes),
        )
        .text(
            "failed",
            "Failed logins",
            number_input(thresholds.failed_login_count),
        )
        .text(
            "failed_window",
            "…within (min)",
            number_input(thresholds.failed_login_window_minutes),
        )
}

/// The backup schedule's form: on or off, the time, the folders and how many to keep.
fn backup_form(schedule: &BackupSchedule, lang: Language) -> Form {
    let folder = |value: &Option<String>| {
        TextInput::new()
            .with_max(200)
            .with_value(value.as_deref().unwrap_or_default())
    };
    Form::new()
        .choice(
            "enabled",
            "Daily backup",
            yes_no_options(lang),
            usize::from(!schedule.enabled),
        )
        .text(
            "time",
            "At (shop time)",
            TextInput::new()
                .with_max(5)
                .with_value(&schedule.daily_at.format("%H:%M").to_string()),
        )
        .text("folder", "Folder", folder(&schedule.folder))
        .hint("Empty: the backups folder in the data directory. Another disk is safer.")
        .text("keep", "Keep (newest)", number_input(schedule.keep))
        .hint("1 to 400 backups kept in each folder; older ones are removed after a good backup.")
        .text("second", "Second folder", folder(&schedule.second_folder))
        .hint("Optional: a USB stick or network share, given by its full path.")
}

fn number_input(value: impl ToString) -> TextInput {
    TextInput::new().with_max(9).with_value(&value.to_string())
}

fn money_text(minor: i64, currency: &Currency) -> String {
    Money::from_minor(minor).format_amount(currency)
}

/// The day's periods as they are typed: a period closing at midnight shows `24:00`, so
/// `00:00-24:00` and `18:00-24:00` read back as typed.
fn periods_text(hours: &OpeningHours, day: usize) -> String {
    WEEK.get(day)
        .map(|weekday| {
            hours
                .periods(*weekday)
                .iter()
                .map(|p| {
                    let close = if p.closes_next_day() && p.close == NaiveTime::MIN {
                        "24:00".to_owned()
                    } else {
                        p.close.format("%H:%M").to_string()
                    };
                    format!("{}-{close}", p.open.format("%H:%M"))
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default()
}

/// `08:00-12:00, 13:00-19:00` (an en dash works too); empty means closed. A closing time at or
/// before the opening time is on the next day (`22:00-02:00`); `24:00` is midnight at the end
/// of the day, so `00:00-24:00` is open all day.
pub fn parse_periods(text: &str) -> Result<Vec<(NaiveTime, NaiveTime)>, &'static str> {
    let text = text.trim();
    if text.is_empty() || text.eq_ignore_ascii_case("closed") {
        return Ok(Vec::new());
    }
    text.split([',', '，'])
        .map(|period| {
            let (open, close) = period
                .split_once(['-', '–'])
                .ok_or("Write each period as 08:00-19:00, separated by commas.")?;
            let time = |t: &str| {
                let t = t.trim();
                if t == "24:00" {
                    return Ok(NaiveTime::MIN);
                }
                NaiveTime::parse_from_str(t, "%H:%M")
                    .map_err(|_| "Write times as HH:MM, e.g. 08:00-19:00.")
            };
            Ok((time(open)?, time(close)?))
        })
        .collect()
}

/// Which days a saved opening-hours form applies to, in the order the form offers them.
const APPLY_TO: [&str; 3] = ["this day only", "every day", "Monday to Friday"];

/// The weekdays (Monday = 0) the form's "apply to" choice covers.
fn days_to_apply(choice: usize, day: usize) -> Vec<usize> {
    match choice {
        1 => (0..7).collect(),
        2 => (0..5).collect(),
        _ => vec![day],
    }
}

/// `1.25`, `1.5`, `2` or `125%` as a percentage.
pub fn parse_multiplier(text: &str) -> Option<u32> {
    let text = text.trim().trim_start_matches(['×', 'x']);
    if let Some(percent) = text.strip_suffix('%') {
        return percent.trim().parse().ok();
    }
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    if fraction.len() > 2 || !fraction.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let whole: u32 = whole.parse().ok()?;
    let fraction: u32 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<2}").parse().ok()?
    };
    whole.checked_mul(100)?.checked_add(fraction)
}

impl SettingsFormView {
    pub fn new(
        kind: EditKind,
        shop: &ShopSettings,
        schedule: &ScheduleSettings,
        bays: &[Bay],
        services: &[ServiceItem],
        policy: &PointsPolicy,
        lang: Language,
    ) -> Self {
        let currency = shop.currency.clone();
        let catalog: Vec<(RecordId, String)> = services
            .iter()
            .map(|s| (s.id, safe(&s.name).into_owned()))
            .collect();
        let mut checklist_start = 0;
        let form = match kind {
            EditKind::Shop => Form::new()
                .text(
                    "name",
                    "Shop name",
                    TextInput::new().with_max(60).with_value(&shop.shop_name),
                )
                .text(
                    "tz",
                    "Time zone",
                    TextInput::new().with_max(64).with_value(&shop.timezone),
                )
                .hint("An IANA name, e.g. America/Vancouver or Asia/Shanghai.")
                .text(
                    "currency",
                    "Currency",
                    TextInput::new()
                        .with_max(3)
                        .with_value(shop.currency.code()),
                )
                .hint("ISO code, e.g. CAD or CNY; fixed once money has been taken."),
            EditKind::Day(day) => Form::new()
                .text(
                    "hours",
                    "Open",
                    TextInput::new()
                        .with_max(80)
                        .with_value(&periods_text(&schedule.hours, day))
                        .with_placeholder("closed"),
                )
                .hint("e.g. 08:00-12:00, 13:00-19:00; leave empty for closed.")
                .choice(
                    "apply",
                    "Apply to",
                    APPLY_TO.iter().map(|o| lang.tr(o).to_owned()).collect(),
                    0,
                )
                .hint("All day: 00:00-24:00; overnight: 22:00-02:00."),
            EditKind::Rules => {
                let rules = schedule.rules;
                Form::new()
                    .text(
                        "slot",
                        "Slot length (min)",
                        number_input(rules.slot_minutes),
                    )
                    .hint("Divides an hour: 10, 15, 20 or 30.")
                    .text(
                        "notice",
                        "Minimum notice (min)",
                        number_input(rules.min_notice_minutes),
                    )
                    .text(
                        "horizon",
                        "Book ahead (days)",
                        number_input(rules.horizon_days),
                    )
                    .text("buffer", "Buffer (min)", number_input(rules.buffer_minutes))
                    .hint("Free time on a bay after each car.")
            }
            EditKind::Closure(index) => {
                let closure = index.and_then(|i| schedule.closures.get(i));
                Form::new()
                    .text(
                        "date",
                        "Date",
                        TextInput::new()
                            .with_max(10)
                            .with_value(
                                &closure
                                    .map(|c| c.date.format("%Y-%m-%d").to_string())
                                    .unwrap_or_default(),
                            )
                            .with_placeholder("YYYY-MM-DD"),
                    )
                    .text(
                        "reason",
                        "Reason",
                        TextInput::new()
                            .with_max(60)
                            .with_value(closure.map(|c| c.reason.as_str()).unwrap_or_default()),
                    )
            }
            EditKind::Bay(id) => {
                let bay = id.and_then(|id| bays.iter().find(|b| b.id == id));
                let mut form = Form::new()
                    .text(
                        "name",
                        "Bay name",
                        TextInput::new()
                            .with_max(40)
                            .with_value(bay.map(|b| b.name.as_str()).unwrap_or_default()),
                    )
                    .choice(
                        "active",
                        "In use",
                        yes_no_options(lang),
                        usize::from(bay.is_some_and(|b| !b.active)),
                    );
                checklist_start = form.fields.len();
                for (position, (service_id, name)) in catalog.iter().enumerate() {
                    // A new bay serves everything until told otherwise: most bays wash any car.
                    let serves = bay.is_none_or(|b| b.services.contains(service_id));
                    let label = if position == 0 { "Serves" } else { "" };
                    form = form.choice(
                        "serves",
                        label,
                        vec![format!("[x] {name}"), format!("[ ] {name}")],
                        usize::from(!serves),
                    );
                }
                form.hint("←/→ ticks or clears a service.")
            }
            EditKind::Service(id) => {
                let item = id.and_then(|id| services.iter().find(|s| s.id == id));
                let category = item
                    .and_then(|i| ServiceCategory::ALL.iter().position(|c| *c == i.category))
                    .unwrap_or(0);
                Form::new()
                    .text(
                        "name",
                        "Service name",
                        TextInput::new()
                            .with_max(40)
                            .with_value(item.map(|i| i.name.as_str()).unwrap_or_default()),
                    )
                    .choice(
                        "category",
                        "Category",
                        ServiceCategory::ALL
                            .iter()
                            .map(|c| lang.tr(c.as_str()).to_owned())
                            .collect(),
                        category,
                    )
                    .text(
                        "length",
                        "Length (min)",
                        number_input(item.map(|i| i.duration_minutes).unwrap_or(30)),
                    )
                    .hint("5 to 480 minutes, in steps of 5.")
                    .text(
                        "price",
                        "Price",
                        TextInput::new().with_max(14).with_value(
                            &item
                                .map(|i| i.price.format_amount(&currency))
                                .unwrap_or_default(),
                        ),
                    )
                    .hint("An amount such as 25.00, in the shop's currency.")
                    .text(
                        "tax",
                        "Tax class",
                        TextInput::new()
                            .with_max(60)
                            .with_value(&item.map(|i| i.tax_class.label()).unwrap_or_default())
                            .with_placeholder("standard"),
                    )
                    .hint("standard, exempt, or tax names such as GST+PST.")
                    .choice(
                        "earns",
                        "Earns points",
                        yes_no_options(lang),
                        usize::from(item.is_some_and(|i| !i.earns_points)),
                    )
                    .choice(
                        "active",
                        "In use",
                        yes_no_options(lang),
                        usize::from(item.is_some_and(|i| !i.active)),
                    )
            }
            EditKind::PointsGeneral => Form::new()
                .text(
                    "earn",
                    "Spend per point",
                    TextInput::new()
                        .with_max(14)
                        .with_value(&money_text(policy.earn_unit_minor(), &currency)),
                )
                .hint("e.g. 1.00 earns one point per 1.00 spent.")
                .text(
                    "expiry",
                    "Expire after (months)",
                    number_input(policy.lot_expiry_months()),
                )
                .text(
                    "value",
                    "Point value",
                    TextInput::new()
                        .with_max(14)
                        .with_value(&money_text(policy.point_value_minor(), &currency)),
                )
                .hint("What one point takes off a bill, e.g. 0.01."),
            EditKind::Tier(index) => {
                let tier = index.and_then(|i| policy.tiers().get(i));
                Form::new()
                    .text(
                        "name",
                        "Tier name",
                        TextInput::new()
                            .with_max(30)
                            .with_value(tier.map(|t| t.name.as_str()).unwrap_or_default()),
                    )
                    .text(
                        "spend",
                        "From 12-month spend",
                        TextInput::new().with_max(14).with_value(
                            &tier
                                .map(|t| money_text(t.min_rolling_spend_minor, &currency))
                                .unwrap_or_default(),
                        ),
                    )
                    .hint("The first tier starts at 0.")
                    .text(
                        "multiplier",
                        "Points multiplier",
                        TextInput::new().with_max(8).with_value(
                            &tier
                                .map(|t| multiplier_text(t.multiplier_percent))
                                .unwrap_or_else(|| "1".to_owned()),
                        ),
                    )
                    .hint("1 to 10, e.g. 1.25.")
            }
            EditKind::Reward(index) => {
                let reward = index.and_then(|i| policy.rewards().get(i));
                let mut options = vec![lang.tr("none (a discount)").to_owned()];
                options.extend(catalog.iter().map(|(_, name)| name.clone()));
                let selected = reward
                    .and_then(|r| r.service)
                    .and_then(|id| catalog.iter().position(|(s, _)| *s == id))
                    .map_or(0, |p| p + 1);
                Form::new()
                    .text(
                        "name",
                        "Reward name",
                        TextInput::new()
                            .with_max(40)
                            .with_value(reward.map(|r| r.name.as_str()).unwrap_or_default()),
                    )
                    .text(
                        "cost",
                        "Points cost",
                        number_input(reward.map(|r| r.points_cost).unwrap_or(100)),
                    )
                    .choice("service", "Free service", options, selected)
            }
            EditKind::IdleLock => Form::new()
                .text(
                    "minutes",
                    "Idle lock (min)",
                    number_input(shop.idle_lock_minutes),
                )
                .hint("1 to 120 minutes without a key press."),
            EditKind::Retention(months) => Form::new()
                .text("months", "Retention (months)", number_input(months))
                .hint("1 to 240 months without a visit or booking; a retention run then anonymises the member."),
            EditKind::Backups => backup_form(&BackupSchedule::default(), lang),
            EditKind::AlertRules => alert_form(&AlertThresholds::default(), &currency, lang),
        };
        Self {
            kind,
            form,
            currency,
            services: catalog,
            checklist_start,
            tax: TaxSettings::default(),
        }
    }

    /// The schedule a backups form starts from (the form of any other kind is left alone).
    pub fn with_backup_schedule(mut self, schedule: &BackupSchedule, lang: Language) -> Self {
        if self.kind == EditKind::Backups {
            self.form = backup_form(schedule, lang);
        }
        self
    }

    /// The thresholds an alert-rules form starts from (other kinds are left alone).
    pub fn with_alert_thresholds(mut self, thresholds: &AlertThresholds, lang: Language) -> Self {
        if self.kind == EditKind::AlertRules {
            self.form = alert_form(thresholds, &self.currency, lang);
        }
        self
    }

    /// The thresholds as typed, or the field that is wrong.
    fn alert_thresholds(&self, lang: Language) -> Result<AlertThresholds, FieldProblem> {
        Ok(AlertThresholds {
            access_count: self.number("access", lang)?,
            access_window_minutes: self.number("access_window", lang)?,
            points_adjustment: self.number("points", lang)?,
            shift_adjustment_count: self.number("shift_count", lang)?,
            shift_adjustment_minor: self.money("shift_amount")?.minor_units(),
            off_list_sales: self.yes("off_list"),
            outside_hours: self.yes("outside_hours"),
            outside_hours_grace_minutes: self.number("grace", lang)?,
            failed_login_count: self.number("failed", lang)?,
            failed_login_window_minutes: self.number("failed_window", lang)?,
        })
    }

    /// The schedule as typed, or the field that is wrong.
    fn backup_schedule(&self, lang: Language) -> Result<BackupSchedule, FieldProblem> {
        let daily_at =
            NaiveTime::parse_from_str(self.form.value("time").trim(), "%H:%M").map_err(|_| {
                (
                    "time",
                    lang.tr("Type a time as HH:MM, for example 22:00.")
                        .to_owned(),
                )
            })?;
        let folder = |key: &str| {
            let typed = self.form.value(key).trim();
            (!typed.is_empty()).then(|| typed.to_owned())
        };
        Ok(BackupSchedule {
            enabled: self.yes("enabled"),
            daily_at,
            folder: folder("folder"),
            keep: self.number("keep", lang)?,
            second_folder: folder("second"),
        })
    }

    /// The shop's taxes, which a service's tax class is read against; without them only
    /// standard and exempt are understood.
    pub fn with_taxes(mut self, tax: &TaxSettings) -> Self {
        self.tax = tax.clone();
        self
    }

    fn number<T: std::str::FromStr>(
        &self,
        key: &'static str,
        lang: Language,
    ) -> Result<T, FieldProblem> {
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

    fn yes(&self, key: &str) -> bool {
        self.form.choice_index(key) == 0
    }

    /// Sends the change; a problem with one field comes back to be shown next to it.
    fn save(&self, cx: &mut Cx) -> Result<(), FieldProblem> {
        let lang = cx.lang;
        let service = cx.service.clone();
        let session = cx.session;
        let outcome: Result<(), ServiceError> = match self.kind {
            EditKind::Shop => service.update_shop(
                session,
                self.form.value("name"),
                self.form.value("tz"),
                &self.form.value("currency").trim().to_ascii_uppercase(),
            ),
            EditKind::Day(day) => {
                let periods = parse_periods(self.form.value("hours"))
                    .map_err(|m| ("hours", lang.tr(m).to_owned()))?;
                let mut schedule = service
                    .schedule_settings()
                    .map_err(|e| ("hours", e.to_string()))?;
                let days = days_to_apply(self.form.choice_index("apply"), day);
                let week: [Vec<(NaiveTime, NaiveTime)>; 7] = std::array::from_fn(|index| {
                    if days.contains(&index) {
                        periods.clone()
                    } else {
                        schedule
                            .hours
                            .periods(WEEK[index])
                            .iter()
                            .map(|p| (p.open, p.close))
                            .collect()
                    }
                });
                schedule.hours = OpeningHours::new(week)
                    .map_err(|e| ("hours", safe(&e.to_string()).into_owned()))?;
                service.update_schedule(session, schedule)
            }
            EditKind::Rules => {
                let rules = BookingRules::new(
                    self.number("slot", lang)?,
                    self.number("notice", lang)?,
                    self.number("horizon", lang)?,
                    self.number("buffer", lang)?,
                )
                .map_err(|err| {
                    let key = match err {
                        ScheduleError::HorizonDays(_) => "horizon",
                        ScheduleError::NoticeMinutes(_) => "notice",
                        ScheduleError::BufferMinutes(_) => "buffer",
                        _ => "slot",
                    };
                    (key, safe(&err.to_string()).into_owned())
                })?;
                let mut schedule = service
                    .schedule_settings()
                    .map_err(|e| ("slot", e.to_string()))?;
                schedule.rules = rules;
                service.update_schedule(session, schedule)
            }
            EditKind::Closure(index) => {
                let date = NaiveDate::parse_from_str(self.form.value("date").trim(), "%Y-%m-%d")
                    .map_err(|_| ("date", lang.tr("Enter the date as YYYY-MM-DD.").to_owned()))?;
                let reason = self.form.value("reason").trim().to_owned();
                if reason.is_empty() {
                    return Err((
                        "reason",
                        lang.tr("Say why, e.g. a public holiday.").to_owned(),
                    ));
                }
                let mut schedule = service
                    .schedule_settings()
                    .map_err(|e| ("date", e.to_string()))?;
                let clash = schedule
                    .closures
                    .iter()
                    .enumerate()
                    .any(|(i, c)| c.date == date && Some(i) != index);
                if clash {
                    return Err(("date", lang.tr("That day is already closed.").to_owned()));
                }
                let closure = Closure { date, reason };
                match index.filter(|i| *i < schedule.closures.len()) {
                    Some(i) => schedule.closures[i] = closure,
                    None => schedule.closures.push(closure),
                }
                schedule.closures.sort_by_key(|c| c.date);
                service.update_schedule(session, schedule)
            }
            EditKind::Bay(id) => {
                let services = self
                    .services
                    .iter()
                    .enumerate()
                    .filter(|(position, _)| {
                        matches!(
                            self.form
                                .fields
                                .get(self.checklist_start + position)
                                .map(|f| &f.kind),
                            Some(FieldKind::Choice { selected: 0, .. })
                        )
                    })
                    .map(|(_, (service_id, _))| *service_id)
                    .collect();
                service
                    .save_bay(
                        session,
                        BayInput {
                            id,
                            name: self.form.value("name").to_owned(),
                            services,
                            active: self.yes("active"),
                        },
                    )
                    .map(|_| ())
            }
            EditKind::Service(id) => {
                let duration_minutes = self.number("length", lang)?;
                let price = self.money("price")?;
                let tax_class = TaxClass::parse(self.form.value("tax"), &self.tax)
                    .map_err(|err| ("tax", safe(&err.to_string()).into_owned()))?;
                let category = ServiceCategory::ALL
                    .get(self.form.choice_index("category"))
                    .copied()
                    .unwrap_or(ServiceCategory::Exterior);
                service
                    .save_service(
                        session,
                        ServiceInput {
                            id,
                            name: self.form.value("name").to_owned(),
                            category,
                            duration_minutes,
                            price,
                            earns_points: self.yes("earns"),
                            active: self.yes("active"),
                            tax_class,
                        },
                    )
                    .map(|_| ())
            }
            EditKind::PointsGeneral | EditKind::Tier(_) | EditKind::Reward(_) => {
                let mut settings = service
                    .points_policy()
                    .map_err(|e| ("name", e.to_string()))?
                    .settings();
                self.apply_points(&mut settings, cx)?;
                check_policy(self.kind, &settings)?;
                service.update_points_policy(session, settings)
            }
            EditKind::IdleLock => {
                service.set_idle_lock_minutes(session, self.number("minutes", lang)?)
            }
            EditKind::Retention(_) => service
                .set_retention_months(session, self.number("months", lang)?)
                .map(drop),
            EditKind::Backups => service
                .set_backup_schedule(session, self.backup_schedule(lang)?)
                .map(drop),
            EditKind::AlertRules => {
                service.set_alert_thresholds(session, self.alert_thresholds(lang)?)
            }
        };
        match outcome {
            Ok(()) => Ok(()),
            Err(ServiceError::InvalidInput(message)) => {
                Err((self.field_for(&message), safe(&message).into_owned()))
            }
            Err(err) => {
                cx.fail(&err);
                Err(("", String::new()))
            }
        }
    }

    fn apply_points(
        &self,
        settings: &mut PointsPolicySettings,
        cx: &Cx,
    ) -> Result<(), FieldProblem> {
        let lang = cx.lang;
        match self.kind {
            EditKind::PointsGeneral => {
                settings.earn_unit_minor = self.money("earn")?.minor_units();
                settings.lot_expiry_months = self.number("expiry", lang)?;
                settings.point_value_minor = self.money("value")?.minor_units();
            }
            EditKind::Tier(index) => {
                let multiplier = parse_multiplier(self.form.value("multiplier")).ok_or((
                    "multiplier",
                    lang.tr("Enter a multiplier such as 1.25.").to_owned(),
                ))?;
                let tier = Tier {
                    name: self.form.value("name").trim().to_owned(),
                    min_rolling_spend_minor: self.money("spend")?.minor_units(),
                    multiplier_percent: multiplier,
                };
                match index.filter(|i| *i < settings.tiers.len()) {
                    Some(i) => settings.tiers[i] = tier,
                    None => settings.tiers.push(tier),
                }
                settings.tiers.sort_by_key(|t| t.min_rolling_spend_minor);
            }
            EditKind::Reward(index) => {
                let service = self
                    .form
                    .choice_index("service")
                    .checked_sub(1)
                    .and_then(|i| self.services.get(i))
                    .map(|(id, _)| *id);
                let points_cost = self.number("cost", lang)?;
                let name = self.form.value("name").trim().to_owned();
                match index.filter(|i| *i < settings.rewards.len()) {
                    Some(i) => {
                        let reward = &mut settings.rewards[i];
                        reward.name = name;
                        reward.points_cost = points_cost;
                        reward.service = service;
                    }
                    None => {
                        // A reward id only has to be unique within the policy; the next id
                        // after the highest keeps the time-ordered layout.
                        let next = settings
                            .rewards
                            .iter()
                            .map(|r| r.id.as_u128())
                            .max()
                            .map_or_else(
                                || {
                                    (u128::try_from(cx.now.timestamp_millis()).unwrap_or(0) << 80)
                                        | 1
                                },
                                |highest| highest.wrapping_add(1),
                            );
                        settings.rewards.push(Reward {
                            id: RecordId::from_u128(next),
                            name,
                            points_cost,
                            service,
                        });
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Which field a service message is about, from the field name it starts with.
    fn field_for(&self, message: &str) -> &'static str {
        let lower = message.to_ascii_lowercase();
        let first = self.form.fields.first().map_or("name", |f| f.key);
        match self.kind {
            EditKind::Shop if lower.starts_with("timezone") => "tz",
            EditKind::Shop if lower.contains("currency") => "currency",
            EditKind::Service(_) if lower.starts_with("price") => "price",
            EditKind::Service(_) if lower.starts_with("duration") => "length",
            EditKind::Service(_) if lower.starts_with("tax") => "tax",
            EditKind::Backups if lower.starts_with("second") => "second",
            EditKind::Backups if lower.starts_with("folder") => "folder",
            EditKind::Backups if lower.starts_with("keep") => "keep",
            _ => first,
        }
    }
}

/// The policy's own check, reported next to the field it is about.
fn check_policy(kind: EditKind, settings: &PointsPolicySettings) -> Result<(), FieldProblem> {
    let Err(err) = settings.clone().validate() else {
        return Ok(());
    };
    let key = match (&err, kind) {
        (PolicyError::EarnUnitNotPositive(_), _) => "earn",
        (PolicyError::LotExpiryOutOfRange(_), _) => "expiry",
        (PolicyError::PointValueNotPositive(_), _) => "value",
        (
            PolicyError::FirstTierNotZero(_) | PolicyError::TiersNotAscending { .. },
            EditKind::Tier(_),
        ) => "spend",
        (PolicyError::MultiplierOutOfRange { .. }, EditKind::Tier(_)) => "multiplier",
        (PolicyError::RewardCostNotPositive { .. }, EditKind::Reward(_)) => "cost",
        (_, EditKind::PointsGeneral) => "earn",
        _ => "name",
    };
    Err((key, safe(&err.to_string()).into_owned()))
}

impl SavingForm for SettingsFormView {
    fn form_mut(&mut self) -> &mut Form {
        &mut self.form
    }

    fn save(&self, cx: &mut Cx) -> Result<(), FieldProblem> {
        SettingsFormView::save(self, cx)
    }
}

impl View for SettingsFormView {
    fn title(&self) -> &'static str {
        self.kind.title()
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
        let title = rx.tr(self.kind.title());
        let [intro, form_area, footer] = settings_form_areas(frame, area, rx, title);
        let heading = match self.kind {
            EditKind::Day(day) => WEEK
                .get(day)
                .map(|d| rx.tr(weekday_word(*d)))
                .unwrap_or_default(),
            _ => rx.tr("Change the values, then Enter to save."),
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
