//! A customer who just drove in: choose the service, optionally find them as a member, and the
//! service gives the next free bay — now, or the first moment one frees up.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Span;
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::booking::{CustomerPicker, LOOKUP, natural_cmp};
use crate::domain::catalog::ServiceItem;
use crate::store::records::BookingState;
use crate::ui::actions::Action;
use crate::ui::keymap::KeyContext;
use crate::ui::text::safe;
use crate::ui::view::{Cx, Handled, RenderCx, View};
use crate::ui::widgets::form::{Form, FormEvent};
use crate::ui::widgets::input::TextInput;

const SERVICE: &str = "service";
const CUSTOMER: &str = "customer";

pub struct WalkInView {
    form: Form,
    picker: CustomerPicker,
    services: Vec<ServiceItem>,
    loaded: bool,
    /// See the booking editor: Enter after a lookup moves on, otherwise it takes the bay.
    lookup_pending: bool,
}

impl Default for WalkInView {
    fn default() -> Self {
        Self::new()
    }
}

impl WalkInView {
    pub fn new() -> Self {
        Self {
            form: Form::new(),
            picker: CustomerPicker::default(),
            services: Vec::new(),
            loaded: false,
            lookup_pending: false,
        }
    }

    fn load(&mut self, cx: &mut Cx) {
        let bays = match cx.service.list_bays(cx.session) {
            Ok(bays) => bays,
            Err(err) => return cx.fail(&err),
        };
        match cx.service.list_services(cx.session) {
            Ok(services) => {
                self.services = services.into_iter().filter(|s| s.active).collect();
                self.services.sort_by(|a, b| natural_cmp(&a.name, &b.name));
                let options = self
                    .services
                    .iter()
                    .map(|s| {
                        cx.lang.fill(
                            "{name} ({minutes} min)",
                            &[
                                ("name", &safe(&s.name)),
                                ("minutes", &s.duration_minutes.to_string()),
                            ],
                        )
                    })
                    .collect();
                // Open on a service a bay can take now, not one the walk-in would refuse.
                let placeable = self
                    .services
                    .iter()
                    .position(|s| bays.iter().any(|bay| bay.serves(s.id)));
                let form = Form::new().choice(SERVICE, "Service", options, placeable.unwrap_or(0));
                self.form = CustomerPicker::add_fields(form);
                self.picker.sync_choices(&mut self.form, cx.lang, 0);
                if placeable.is_none() && !self.services.is_empty() {
                    self.form.set_error(
                        SERVICE,
                        cx.tr("No bay does these services yet; see Settings."),
                    );
                }
                self.loaded = true;
            }
            Err(err) => cx.fail(&err),
        }
    }

    fn take_walk_in(&mut self, cx: &mut Cx) {
        let Some(service) = self.services.get(self.form.choice_index(SERVICE)) else {
            self.form
                .set_error(SERVICE, cx.tr("Set up a service first (Settings)."));
            return;
        };
        let (member, vehicle) = self.picker.chosen(&self.form);
        match cx.service.walk_in(cx.session, member, vehicle, service.id) {
            Ok(booking) => {
                cx.changed();
                // The service's clock placed it, a moment after the screen's `now`: a car
                // checked in on the spot is "now" even when the two straddle a second.
                let on_the_spot = matches!(booking.state, BookingState::CheckedIn { .. });
                let text = if on_the_spot {
                    cx.lang.fill(
                        "Walk-in: {bay} now ({service}).",
                        &[
                            ("bay", &safe(&booking.bay_name)),
                            ("service", &safe(&booking.service_name)),
                        ],
                    )
                } else {
                    cx.lang.fill(
                        "Walk-in: {bay} at {time} ({service}).",
                        &[
                            ("bay", &safe(&booking.bay_name)),
                            (
                                "time",
                                &booking
                                    .start
                                    .with_timezone(&cx.shop.tz)
                                    .format("%H:%M")
                                    .to_string(),
                            ),
                            ("service", &safe(&booking.service_name)),
                        ],
                    )
                };
                cx.notice(text);
                cx.back();
            }
            Err(err) => cx.fail(&err),
        }
    }
}

impl View for WalkInView {
    fn title(&self) -> &'static str {
        "Walk-in"
    }

    fn contexts(&self) -> &'static [KeyContext] {
        &[KeyContext::Form]
    }

    fn focused_input(&mut self) -> Option<&mut TextInput> {
        self.form.focused_input()
    }

    fn on_input_changed(&mut self, cx: &mut Cx) {
        if self.form.focused_key() == Some(LOOKUP) {
            self.lookup_pending = true;
            self.picker.on_lookup_changed(&mut self.form, cx);
        }
    }

    fn refresh(&mut self, cx: &mut Cx) {
        if !self.loaded {
            self.load(cx);
        }
    }

    fn on_action(&mut self, action: Action, cx: &mut Cx) -> Handled {
        let focused = self.form.focused_key();
        match self.form.on_action(action) {
            FormEvent::Changed => {
                if focused == Some(CUSTOMER) {
                    self.picker.on_choice_changed(&mut self.form, cx);
                }
                Handled::Yes
            }
            FormEvent::Ignored => Handled::No,
            FormEvent::Submit if focused == Some(LOOKUP) && self.lookup_pending => {
                self.lookup_pending = false;
                self.form.on_action(Action::NextField);
                Handled::Yes
            }
            FormEvent::Submit => {
                self.form.clear_errors();
                self.take_walk_in(cx);
                Handled::Yes
            }
        }
    }

    fn render(&self, frame: &mut Frame, area: Rect, rx: &RenderCx) {
        let block = Block::bordered()
            .title(Span::styled(
                format!(" {} ", rx.tr("Walk-in")),
                rx.theme.title,
            ))
            .border_style(rx.theme.border_focused);
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let [intro, form_area, picker_area, _, footer] = Layout::vertical([
            Constraint::Length(2),
            Constraint::Length(self.form.height_in(inner.width, rx)),
            Constraint::Length(self.picker.height()),
            Constraint::Min(0),
            Constraint::Length(1),
        ])
        .areas(inner);
        frame.render_widget(
            Paragraph::new(Span::styled(
                rx.tr("The next free bay that does the service, now if one is free. A member is optional."),
                rx.theme.muted,
            ))
            .wrap(Wrap { trim: true }),
            intro,
        );
        self.form.render(frame, form_area, rx, true);
        self.picker.render(frame, picker_area, rx, &self.form);
        let keys = [(Action::Submit, "take the bay"), (Action::Back, "back")]
            .iter()
            .filter_map(|(action, word)| {
                rx.key_hint(self.contexts(), *action)
                    .map(|key| format!("{key} {}", rx.tr(word)))
            })
            .collect::<Vec<_>>()
            .join("   ");
        frame.render_widget(Paragraph::new(Span::styled(keys, rx.theme.muted)), footer);
    }
}
