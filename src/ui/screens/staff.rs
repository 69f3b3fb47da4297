//! Staff accounts (manager only): who can log in, with which role, whether their
//! authenticator is set up and how many recovery codes they have left. New accounts, disabling
//! and enabling, the two resets a lost password or phone needs (both after a fresh code), and
//! each account's SSH keys.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, TableState};

use super::staff_credentials::{CredentialsView, StaffSecrets};
use super::staff_form::NewStaffView;
use super::staff_rename::RenameStaffView;
use super::staff_ssh_keys::SshKeysScreen;
use crate::domain::access::Role;
use crate::service::StaffSummary;
use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::text::safe;
use crate::ui::view::{Cx, Handled, Prompt, PromptAnswer, RenderCx, View};
use crate::ui::widgets::hints::footer_hints;
use crate::ui::widgets::table::RowCursor;

const DISABLE: &str = "staff.disable";
const ENABLE: &str = "staff.enable";
const RESET_PASSWORD: &str = "staff.reset_password";
const RESET_AUTHENTICATOR: &str = "staff.reset_authenticator";
const CHANGE_ROLE: &str = "staff.change_role";

pub struct StaffView {
    staff: Vec<StaffSummary>,
    cursor: RowCursor,
    /// The account a prompt is about, so a list reload under the prompt cannot retarget it.
    pending: Option<StaffSummary>,
}

impl Default for StaffView {
    fn default() -> Self {
        Self::new()
    }
}

impl StaffView {
    pub fn new() -> Self {
        Self {
            staff: Vec::new(),
            cursor: RowCursor::new(0),
            pending: None,
        }
    }

    fn selected(&self) -> Option<&StaffSummary> {
        self.cursor
            .selected()
            .and_then(|index| self.staff.get(index))
    }

    fn load(&mut self, cx: &mut Cx) {
        match cx.service.list_staff(cx.session) {
            Ok(staff) => {
                self.staff = staff;
                self.cursor.set_len(self.staff.len());
            }
            Err(err) => cx.fail(&err),
        }
    }

    /// Asks about the selected account; `None` when the list is empty.
    fn ask(&mut self, cx: &mut Cx, tag: &'static str) {
        let Some(person) = self.selected().cloned() else {
            cx.notice(cx.tr("No staff account is selected."));
            return;
        };
        let user = safe(&person.username).into_owned();
        let prompt = match tag {
            DISABLE => {
                if person.disabled {
                    cx.notice(cx.tr("That account is already disabled."));
                    return;
                }
                Prompt::confirm(
                    DISABLE,
                    "Disable account?",
                    cx.lang.fill(
                        "Disable {user}? Their sessions end at their next key press.",
                        &[("user", &user)],
                    ),
                )
            }
            ENABLE => {
                if !person.disabled {
                    cx.notice(cx.tr("That account is already active."));
                    return;
                }
                let mut prompt = Prompt::confirm(
                    ENABLE,
                    "Enable account?",
                    cx.lang
                        .fill("Let {user} log in again?", &[("user", &user)]),
                );
                prompt.destructive = false;
                prompt
            }
            CHANGE_ROLE => match person.role {
                Role::Cashier => Prompt::confirm(
                    CHANGE_ROLE,
                    "Make manager?",
                    cx.lang.fill(
                        "Make {user} a manager? They will see full personal data and manage staff, prices and settings. Their sessions end now. Enter your own authenticator code.",
                        &[("user", &user)],
                    ),
                ),
                Role::Manager => Prompt::confirm(
                    CHANGE_ROLE,
                    "Make cashier?",
                    cx.lang.fill(
                        "Make {user} a cashier? Their sessions end now; they log in again with a cashier's rights. Enter your own authenticator code.",
                        &[("user", &user)],
                    ),
                ),
            }
            .with_code(),
            RESET_PASSWORD => Prompt::confirm(
                RESET_PASSWORD,
                "Reset password?",
                cx.lang.fill(
                    "Give {user} a new temporary password? Their password, authenticator and recovery codes stop working, their sessions end, and they set up new ones at their next login. Enter your own authenticator code.",
                    &[("user", &user)],
                ),
            )
            .with_code(),
            _ => Prompt::confirm(
                RESET_AUTHENTICATOR,
                "Reset authenticator?",
                cx.lang.fill(
                    "Give {user} a new temporary password? Their password, authenticator and recovery codes stop working, their sessions end, and they set up new ones at their next login. Enter your own authenticator code.",
                    &[("user", &user)],
                ),
            )
            .with_code(),
        };
        self.pending = Some(person);
        cx.prompt(prompt);
    }
}

impl View for StaffView {
    fn title(&self) -> &'static str {
        "Staff"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Staff, KeyContext::List]
    }

    fn refresh(&mut self, cx: &mut Cx) {
        self.load(cx);
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        if self.cursor.on_action(action, 10) {
            return Handled::Yes;
        }
        match action {
            Action::NewStaff => cx.push(NewStaffView::new()),
            Action::DisableStaff => self.ask(cx, DISABLE),
            Action::EnableStaff => self.ask(cx, ENABLE),
            Action::ResetPassword => self.ask(cx, RESET_PASSWORD),
            Action::ResetAuthenticator => self.ask(cx, RESET_AUTHENTICATOR),
            Action::ChangeStaffRole => self.ask(cx, CHANGE_ROLE),
            Action::RenameStaff => match self.selected() {
                Some(person) => cx.push(RenameStaffView::new(
                    person.id,
                    &person.username,
                    &person.display_name,
                )),
                None => cx.notice(cx.tr("No staff account is selected.")),
            },
            Action::StaffSshKeys => match self.selected() {
                Some(person) => cx.push(SshKeysScreen::new(person.id, &person.username)),
                None => cx.notice(cx.tr("No staff account is selected.")),
            },
            _ => return Handled::No,
        }
        Handled::Yes
    }

    fn on_prompt(&mut self, tag: &'static str, answer: PromptAnswer, cx: &mut Cx) {
        let Some(person) = self.pending.take() else {
            return;
        };
        let user = safe(&person.username).into_owned();
        match tag {
            DISABLE => match cx.service.disable_staff(cx.session, person.id) {
                Ok(()) => {
                    cx.notice(cx.lang.fill("{user} is disabled.", &[("user", &user)]));
                    cx.changed();
                }
                Err(err) => cx.fail(&err),
            },
            ENABLE => match cx.service.enable_staff(cx.session, person.id) {
                Ok(()) => {
                    cx.notice(cx.lang.fill("{user} may log in again.", &[("user", &user)]));
                    cx.changed();
                }
                Err(err) => cx.fail(&err),
            },
            RESET_PASSWORD => {
                if !cx.step_up(&answer.code) {
                    return;
                }
                match cx.service.reset_staff_password(cx.session, person.id) {
                    Ok(login) => {
                        cx.changed();
                        cx.push(CredentialsView::new(
                            &person.username,
                            StaffSecrets::Reset(login),
                        ));
                    }
                    Err(err) => cx.fail(&err),
                }
            }
            CHANGE_ROLE => {
                if !cx.step_up(&answer.code) {
                    return;
                }
                let role = match person.role {
                    Role::Cashier => Role::Manager,
                    Role::Manager => Role::Cashier,
                };
                match cx.service.change_staff_role(cx.session, person.id, role) {
                    Ok(()) => {
                        cx.notice(cx.lang.fill(
                            "{user} is now a {role}; their sessions have ended.",
                            &[("user", &user), ("role", cx.tr(role_word(role)))],
                        ));
                        cx.changed();
                    }
                    Err(err) => cx.fail(&err),
                }
            }
            RESET_AUTHENTICATOR => {
                if !cx.step_up(&answer.code) {
                    return;
                }
                match cx.service.reset_staff_authenticator(cx.session, person.id) {
                    Ok(login) => {
                        cx.changed();
                        cx.push(CredentialsView::new(
                            &person.username,
                            StaffSecrets::Reset(login),
                        ));
                    }
                    Err(err) => cx.fail(&err),
                }
            }
            _ => {}
        }
        self.load(cx);
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", rx.tr("Staff")),
                rx.theme.title,
            ))
            .border_style(rx.theme.border);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let hints = [
            (Action::NewStaff, "new"),
            (Action::DisableStaff, "disable"),
            (Action::EnableStaff, "enable"),
            (Action::ResetPassword, "password"),
            (Action::ResetAuthenticator, "authenticator"),
            (Action::StaffSshKeys, "SSH keys"),
            (Action::ChangeStaffRole, "role"),
            (Action::RenameStaff, "name"),
        ];
        let footer_lines = hint_lines(
            footer_hints(rx, self.contexts(), &hints),
            usize::from(inner.width),
        );
        let footer_height = u16::try_from(footer_lines.len()).unwrap_or(1);
        let [table_area, footer] =
            Layout::vertical([Constraint::Min(3), Constraint::Length(footer_height)]).areas(inner);
        let wide = inner.width >= 100;
        let header = Row::new(
            [
                "User",
                "Name",
                "Role",
                "Status",
                "Authenticator",
                "Codes",
                "Created",
            ]
            .iter()
            .map(|h| Cell::from(rx.tr(h))),
        )
        .style(rx.theme.header);
        let rows = self.staff.iter().map(|person| {
            let status = if person.disabled {
                Span::styled(rx.tr("disabled"), rx.theme.error)
            } else {
                Span::styled(rx.tr("active"), rx.theme.ok)
            };
            let authenticator = if person.authenticator_active {
                Span::styled(rx.tr("on"), rx.theme.ok)
            } else {
                Span::styled(rx.tr("not set up"), rx.theme.warning)
            };
            let codes_style = if person.recovery_codes_left <= 2 {
                rx.theme.warning
            } else {
                rx.theme.base
            };
            let created = if wide {
                rx.date_time(person.created_at)
            } else {
                rx.date_time(person.created_at).chars().take(10).collect()
            };
            Row::new(vec![
                Cell::from(safe(&person.username).into_owned()),
                Cell::from(safe(&person.display_name).into_owned()),
                Cell::from(rx.tr(role_word(person.role))),
                Cell::from(status),
                Cell::from(authenticator),
                Cell::from(Span::styled(
                    person.recovery_codes_left.to_string(),
                    codes_style,
                )),
                Cell::from(created),
            ])
        });
        let widths = [
            Constraint::Length(12),
            Constraint::Min(10),
            Constraint::Length(8),
            Constraint::Length(8),
            Constraint::Length(13),
            Constraint::Length(5),
            Constraint::Length(if wide { 16 } else { 10 }),
        ];
        let table = Table::new(rows, widths)
            .header(header)
            .row_highlight_style(rx.theme.selection)
            .highlight_symbol("▶ ");
        let mut state = TableState::default().with_selected(self.cursor.selected());
        frame.render_stateful_widget(table, table_area, &mut state);
        frame.render_widget(Paragraph::new(footer_lines), footer);
    }
}

/// Key hints (key and word span pairs) laid out on as many lines as `width` needs, never
/// parting a key from its word, so none is cut off on a narrow terminal.
fn hint_lines(spans: Vec<Span<'static>>, width: usize) -> Vec<Line<'static>> {
    let mut lines = vec![Line::default()];
    let mut used = 0;
    let mut spans = spans.into_iter();
    while let Some(key) = spans.next() {
        let word = spans.next().unwrap_or_default();
        let cells = key.width() + word.width();
        if used > 0 && used + cells > width {
            lines.push(Line::default());
            used = 0;
        }
        if let Some(line) = lines.last_mut() {
            line.spans.push(key);
            line.spans.push(word);
        }
        used += cells;
    }
    lines
}

pub fn role_word(role: Role) -> &'static str {
    match role {
        Role::Cashier => "cashier",
        Role::Manager => "manager",
    }
}
