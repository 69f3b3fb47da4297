//! First run: the setup wizard (being written; see the helper brief).

use ratatui::Frame;
use ratatui::layout::Rect;
use secrecy::SecretString;

use crate::service::{InitialSetup, ServiceError, Session, StaffCredentials};
use crate::ui::actions::Action;
use crate::ui::i18n::Language;
use crate::ui::view::RenderCx;
use crate::ui::widgets::input::TextInput;

pub enum SetupStep {
    Stay,
    Quit,
    SetLanguage(Language),
    CreateShop(Box<InitialSetup>),
    ConfirmCode {
        username: String,
        password: SecretString,
        code: String,
    },
    Finished(Session),
}

pub struct SetupWizard {
    data_dir: String,
}

impl SetupWizard {
    pub fn new(data_dir: String) -> Self {
        Self { data_dir }
    }

    pub fn focused_input(&mut self) -> Option<&mut TextInput> {
        None
    }

    pub fn on_input_changed(&mut self) {}

    pub fn on_action(&mut self, _action: Action, _lang: Language) -> SetupStep {
        SetupStep::Stay
    }

    pub fn on_shop_created(&mut self, _result: Result<StaffCredentials, String>) {}

    pub fn on_login(
        &mut self,
        _result: Result<Session, ServiceError>,
        _lang: Language,
    ) -> SetupStep {
        SetupStep::Stay
    }

    pub fn render(&self, frame: &mut Frame, area: Rect, _rx: &RenderCx) {
        frame.render_widget(
            ratatui::widgets::Paragraph::new(self.data_dir.clone()),
            area,
        );
    }
}
