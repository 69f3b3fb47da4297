//! Shop settings (manager only), one section per tab: the shop itself, opening hours with
//! closures and booking rules, bays, services and prices, the points policy, and security.
//! Each section is a table; Enter edits the selected row in a form, `n` adds and `d` removes
//! where a section holds a list.

use chrono::Weekday;
use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState, Tabs, Wrap};

use super::settings_form::{EditKind, SettingsFormView};
use super::staff::footer_hints;
use crate::domain::catalog::{Bay, ServiceItem};
use crate::domain::currency::Currency;
use crate::domain::loyalty::PointsPolicy;
use crate::domain::money::Money;
use crate::store::records::{ScheduleSettings, ShopSettings};
use crate::ui::actions::Action;
use crate::ui::i18n::Language;
use crate::ui::keymap::KeyContext;
use crate::ui::text::safe;
use crate::ui::view::{Cx, Handled, Prompt, PromptAnswer, RenderCx, View};
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
    Points,
    Security,
}

impl Tab {
    const ALL: [Tab; 6] = [
        Tab::Shop,
        Tab::Hours,
        Tab::Bays,
        Tab::Services,
        Tab::Points,
        Tab::Security,
    ];

    fn label(self) -> &'static str {
        match self {
            Tab::Shop => "Shop",
            Tab::Hours => "Hours & booking",
            Tab::Bays => "Bays",
            Tab::Services => "Services & prices",
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
    PointsGeneral,
    TiersHeading,
    Tier(usize),
    RewardsHeading,
    Reward(usize),
    IdleLock,
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
    cursors: [RowCursor; 6],
    shop: Option<ShopSettings>,
    schedule: ScheduleSettings,
    bays: Vec<Bay>,
    services: Vec<ServiceItem>,
    policy: PointsPolicy,
    /// What a removal prompt is about.
    pending_removal: Option<Target>,
}

impl Default for SettingsView {
    fn default() -> Self {
        Self::new()
    }
}

impl SettingsView {
    pub fn new() -> Self {
        Self {
            tab: Tab::Shop,
            cursors: [RowCursor::new(0); 6],
            shop: None,
            schedule: ScheduleSettings::default(),
            bays: Vec::new(),
            services: Vec::new(),
            policy: PointsPolicy::default(),
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
            Ok::<_, crate::service::ServiceError>((shop, schedule, services, bays, policy))
        })();
        match loaded {
            Ok((shop, schedule, mut services, mut bays, policy)) => {
                services.sort_by(|a, b| a.name.cmp(&b.name));
                bays.sort_by(|a, b| a.name.cmp(&b.name));
                self.shop = Some(shop);
                self.schedule = schedule;
                self.services = services;
                self.bays = bays;
                self.policy = policy;
            }
            Err(err) => cx.fail(&err),
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
                        let periods = self.schedule.hours.periods(*day);
                        let hours = if periods.is_empty() {
                            lang.tr("closed").to_owned()
                        } else {
                            self.schedule.hours.describe(*day)
                        };
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
                            yes_no(lang, item.earns_points).to_owned(),
                            yes_no(lang, item.active).to_owned(),
                        ],
                    )
                })
                .collect(),
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
                            safe(&tier.name).into_owned(),
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
                vec![SettingRow::new(
                    Target::IdleLock,
                    vec![
                        lang.tr("Lock the screen after").to_owned(),
                        lang.fill("{n} idle minutes", &[("n", &minutes.to_string())]),
                    ],
                )]
            }
        }
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
            Target::PointsGeneral => EditKind::PointsGeneral,
            Target::Tier(index) => EditKind::Tier(Some(index)),
            Target::TiersHeading => EditKind::Tier(None),
            Target::Reward(index) => EditKind::Reward(Some(index)),
            Target::RewardsHeading => EditKind::Reward(None),
            Target::IdleLock => EditKind::IdleLock,
        };
        self.open(kind, cx);
    }

    fn open(&mut self, kind: EditKind, cx: &mut Cx) {
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
        );
        cx.push(form);
    }

    fn add(&mut self, cx: &mut Cx) {
        let kind = match (self.tab, self.selected_target(cx.lang)) {
            (Tab::Hours, _) => EditKind::Closure(None),
            (Tab::Bays, _) => EditKind::Bay(None),
            (Tab::Services, _) => EditKind::Service(None),
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
            _ => None,
        };
        let Some(message) = message else {
            cx.notice(cx.tr(
                "Only closed days, tiers and rewards can be removed; take bays and services out of use by editing them.",
            ));
            return;
        };
        self.pending_removal = target;
        cx.prompt(Prompt::confirm("settings.remove", "Remove?", message));
    }

    fn remove(&mut self, target: Target, cx: &mut Cx) {
        let result = match target {
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
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn on_prompt(&mut self, tag: &'static str, _answer: PromptAnswer, cx: &mut Cx) {
        if tag == "settings.remove"
            && let Some(target) = self.pending_removal.take()
        {
            self.remove(target, cx);
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
            Tab::Points => "Changes apply from now on; points already earned keep their expiry.",
            Tab::Security => "Applies at the next idle period of every session.",
        };
        frame.render_widget(
            Paragraph::new(Span::styled(rx.tr(note), rx.theme.muted)),
            note_area,
        );
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
                vec!["Service", "Category", "Length", "Price", "Points", "In use"],
                vec![
                    Constraint::Min(14),
                    Constraint::Length(13),
                    Constraint::Length(8),
                    Constraint::Length(12),
                    Constraint::Length(6),
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
            Tab::Hours | Tab::Bays | Tab::Services | Tab::Points
        ) {
            hints.push((Action::AddEntry, "add"));
        }
        if matches!(self.tab, Tab::Hours | Tab::Points) {
            hints.push((Action::RemoveEntry, "remove"));
        }
        frame.render_widget(
            Paragraph::new(Line::from(footer_hints(rx, self.contexts(), &hints))),
            footer,
        );
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
