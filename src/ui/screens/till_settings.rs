//! The Till section of Settings (manager only): whether prices include tax, the shop's named
//! taxes, cash rounding, tips, the receipt language and the print command. The forms check
//! what they can beside the field; the service checks everything again and audits the change.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Span;
use ratatui::widgets::Paragraph;

use crate::domain::currency::Currency;
use crate::domain::money::Money;
use crate::domain::receipt::ReceiptLanguage;
use crate::domain::tax::{MAX_BASIS_POINTS, MAX_TAX_NAME_CHARS, TaxClass, TaxRate};
use crate::service::ServiceError;
use crate::store::records::TillSettings;
use crate::ui::actions::Action;
use crate::ui::i18n::Language;
use crate::ui::keymap::KeyContext;
use crate::ui::text::safe;
use crate::ui::view::{Cx, Handled, RenderCx, View};
use crate::ui::widgets::form::{Form, SavingForm, saving_form_action, settings_form_areas};
use crate::ui::widgets::input::TextInput;

/// Basis points in one percent: rates are typed as percentages and kept in basis points.
const BASIS_POINTS_PER_PERCENT: u32 = 100;

/// Which part of the till the form edits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TillEdit {
    /// Tax inclusion, cash rounding, tips, receipt language and printer.
    General,
    /// One of the shop's taxes by position; `None` adds one.
    Tax(Option<usize>),
}

impl TillEdit {
    fn title(self) -> &'static str {
        match self {
            TillEdit::General => "Till",
            TillEdit::Tax(None) => "New tax",
            TillEdit::Tax(Some(_)) => "Tax",
        }
    }
}

/// Reads a percentage typed as `5`, `7.5`, `0.6` or `12.25 %` into basis points (500, 750, 60,
/// 1225), in integers: at most two decimal places, since a basis point is 0.01 %.
pub fn parse_percent(text: &str) -> Option<u32> {
    let text = text.trim().trim_end_matches('%').trim_end();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits_only = |part: &str| part.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty() {
        return None;
    }
    if fraction.len() > 2 || !digits_only(whole) || !digits_only(fraction) {
        return None;
    }
    let whole: u32 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let hundredths: u32 = if fraction.is_empty() {
        0
    } else {
        format!("{fraction:0<2}").parse().ok()?
    };
    whole
        .checked_mul(BASIS_POINTS_PER_PERCENT)?
        .checked_add(hundredths)
}

/// `5`, `7.5`, `0.6`, `12.25`: basis points as the percentage a manager would type.
pub fn percent_text(basis_points: u32) -> String {
    let whole = basis_points / BASIS_POINTS_PER_PERCENT;
    let rest = basis_points % BASIS_POINTS_PER_PERCENT;
    if rest == 0 {
        whole.to_string()
    } else if rest.is_multiple_of(10) {
        format!("{whole}.{}", rest / 10)
    } else {
        format!("{whole}.{rest:02}")
    }
}

/// A receipt language by its own name, as the customer would read it.
pub fn receipt_language_name(language: ReceiptLanguage) -> &'static str {
    match language {
        ReceiptLanguage::English => "English",
        ReceiptLanguage::SimplifiedChinese => "简体中文",
    }
}

/// A tax class for a table cell: the two class words translated, tax names as the shop spells them.
pub fn tax_class_text(lang: Language, class: &TaxClass) -> String {
    match class {
        TaxClass::Standard => lang.tr("standard").to_owned(),
        TaxClass::Exempt => lang.tr("exempt").to_owned(),
        TaxClass::Only(names) if names.is_empty() => lang.tr("exempt").to_owned(),
        TaxClass::Only(_) => safe(&class.label()).into_owned(),
    }
}

/// The services and products whose tax class names `tax` (ignoring case, as the tax maths
/// does). Renaming or removing such a tax would leave them silently untaxed.
pub fn items_naming_tax(tax: &str, items: &[(String, TaxClass)]) -> Vec<String> {
    let wanted = tax.to_lowercase();
    items
        .iter()
        .filter(|(_, class)| match class {
            TaxClass::Only(names) => names.iter().any(|name| name.to_lowercase() == wanted),
            _ => false,
        })
        .map(|(name, _)| safe(name).into_owned())
        .collect()
}

/// The message refusing to rename or remove a tax that items still name.
pub fn tax_in_use_message(lang: Language, tax: &str, items: &[String]) -> String {
    lang.fill(
        "{items} name {tax} in their tax class; give them another tax class first.",
        &[("items", &items.join(", ")), ("tax", &safe(tax))],
    )
}

/// A form-local problem: which field, and the message (already translated or sanitised).
type FieldProblem = (&'static str, String);

pub struct TillFormView {
    edit: TillEdit,
    form: Form,
    currency: Currency,
    /// Every service and product with its tax class, to refuse renaming a tax still named.
    tax_users: Vec<(String, TaxClass)>,
}

fn yes_no_options(lang: Language) -> Vec<String> {
    vec![lang.tr("yes").to_owned(), lang.tr("no").to_owned()]
}

impl TillFormView {
    pub fn new(
        edit: TillEdit,
        till: &TillSettings,
        currency: &Currency,
        tax_users: Vec<(String, TaxClass)>,
        lang: Language,
    ) -> Self {
        let form = match edit {
            TillEdit::General => Form::new()
                .choice(
                    "included",
                    "Prices include tax",
                    yes_no_options(lang),
                    usize::from(!till.tax.prices_include_tax),
                )
                .hint("Yes: tax is inside prices. No: it is added on top.")
                .text(
                    "cash_unit",
                    "Cash rounding",
                    TextInput::new()
                        .with_max(10)
                        .with_value(
                            &till
                                .cash_unit
                                .map(|unit| unit.format_amount(currency))
                                .unwrap_or_default(),
                        )
                        .with_placeholder("none"),
                )
                .hint("Cash totals round to this, e.g. 0.05; empty for none.")
                .choice(
                    "tips",
                    "Tips",
                    yes_no_options(lang),
                    usize::from(!till.tips),
                )
                .choice(
                    "receipt_language",
                    "Receipt language",
                    ReceiptLanguage::ALL
                        .iter()
                        .map(|language| receipt_language_name(*language).to_owned())
                        .collect(),
                    ReceiptLanguage::ALL
                        .iter()
                        .position(|language| *language == till.receipt_language)
                        .unwrap_or(0),
                )
                .text(
                    "print",
                    "Print command",
                    TextInput::new()
                        .with_max(200)
                        .with_value(till.print_command.as_deref().unwrap_or_default())
                        .with_placeholder("save receipts as text files"),
                )
                .hint("Gets the receipt on standard input, e.g. lp -d receipt."),
            TillEdit::Tax(index) => {
                let tax = index.and_then(|i| till.tax.taxes.get(i));
                Form::new()
                    .text(
                        "name",
                        "Tax name",
                        TextInput::new()
                            .with_max(MAX_TAX_NAME_CHARS)
                            .with_value(tax.map(|t| t.name.as_str()).unwrap_or_default()),
                    )
                    .hint("As printed on receipts, e.g. GST, PST or 增值税.")
                    .text(
                        "rate",
                        "Rate (%)",
                        TextInput::new().with_max(8).with_value(
                            &tax.map(|t| percent_text(t.basis_points))
                                .unwrap_or_default(),
                        ),
                    )
                    .hint("A percentage such as 5, 7.5 or 0.6.")
            }
        };
        Self {
            edit,
            form,
            currency: currency.clone(),
            tax_users,
        }
    }

    /// Sends the change; a problem with one field comes back to be shown next to it.
    fn save(&self, cx: &mut Cx) -> Result<(), FieldProblem> {
        let lang = cx.lang;
        let service = cx.service.clone();
        let mut till = match service.till_settings() {
            Ok(till) => till,
            Err(err) => {
                cx.fail(&err);
                return Err(("", String::new()));
            }
        };
        match self.edit {
            TillEdit::General => self.apply_general(&mut till, lang)?,
            TillEdit::Tax(index) => self.apply_tax(&mut till, index, lang)?,
        }
        match service.update_till_settings(cx.session, till) {
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

    fn apply_general(&self, till: &mut TillSettings, lang: Language) -> Result<(), FieldProblem> {
        let unit_text = self.form.value("cash_unit").trim();
        till.cash_unit = if unit_text.is_empty() {
            None
        } else {
            let unit = Money::parse(unit_text, &self.currency)
                .map_err(|err| ("cash_unit", safe(&err.to_string()).into_owned()))?;
            if unit.minor_units() <= 0 {
                return Err((
                    "cash_unit",
                    lang.tr("Enter the smallest coin, such as 0.05, or leave it empty.")
                        .to_owned(),
                ));
            }
            Some(unit)
        };
        till.tax.prices_include_tax = self.form.choice_index("included") == 0;
        till.tips = self.form.choice_index("tips") == 0;
        till.receipt_language = ReceiptLanguage::ALL
            .get(self.form.choice_index("receipt_language"))
            .copied()
            .unwrap_or_default();
        // The service drops an empty command, which means "save receipts as text files".
        till.print_command = Some(self.form.value("print").trim().to_owned());
        Ok(())
    }

    fn apply_tax(
        &self,
        till: &mut TillSettings,
        index: Option<usize>,
        lang: Language,
    ) -> Result<(), FieldProblem> {
        let name = self.form.value("name");
        if name.trim().is_empty() {
            return Err((
                "name",
                lang.tr("Enter the tax's name, e.g. GST.").to_owned(),
            ));
        }
        let basis_points = parse_percent(self.form.value("rate"))
            .filter(|basis_points| *basis_points <= MAX_BASIS_POINTS)
            .ok_or((
                "rate",
                lang.tr("Enter a percentage from 0 to 100, such as 5, 7.5 or 0.6.")
                    .to_owned(),
            ))?;
        let rate = TaxRate::new(name, basis_points);
        match index.filter(|i| *i < till.tax.taxes.len()) {
            Some(i) => {
                let old = &till.tax.taxes[i].name;
                if old.to_lowercase() != rate.name.to_lowercase() {
                    let users = items_naming_tax(old, &self.tax_users);
                    if !users.is_empty() {
                        return Err(("name", tax_in_use_message(lang, old, &users)));
                    }
                }
                till.tax.taxes[i] = rate;
            }
            None => till.tax.taxes.push(rate),
        }
        till.tax.validate().map_err(|err| {
            let key = if err.reason().contains("rate") {
                "rate"
            } else {
                "name"
            };
            (key, safe(err.reason()).into_owned())
        })
    }

    /// Which field a service message is about.
    fn field_for(&self, message: &str) -> &'static str {
        let lower = message.to_ascii_lowercase();
        match self.edit {
            TillEdit::General if lower.contains("cash") => "cash_unit",
            TillEdit::General if lower.contains("print") => "print",
            TillEdit::General => "included",
            TillEdit::Tax(_) if lower.contains("rate") => "rate",
            TillEdit::Tax(_) => "name",
        }
    }
}

impl SavingForm for TillFormView {
    fn form_mut(&mut self) -> &mut Form {
        &mut self.form
    }

    fn save(&self, cx: &mut Cx) -> Result<(), FieldProblem> {
        TillFormView::save(self, cx)
    }
}

impl View for TillFormView {
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
            TillEdit::General => {
                rx.tr("Sales from now on follow these; past receipts keep theirs.")
            }
            TillEdit::Tax(_) => {
                rx.tr("Services and products name taxes in their tax class, e.g. GST+PST.")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_become_basis_points_without_floats() {
        for (typed, basis_points) in [
            ("5", 500),
            ("7.5", 750),
            ("0.6", 60),
            (".5", 50),
            ("12.25", 1225),
            ("13 %", 1300),
            ("100", 10_000),
            ("0", 0),
        ] {
            assert_eq!(parse_percent(typed), Some(basis_points), "{typed}");
        }
        for bad in ["", "%", ".", "7.125", "-5", "5,5", "five", "1e2"] {
            assert_eq!(parse_percent(bad), None, "{bad}");
        }
    }

    #[test]
    fn basis_points_read_back_as_typed() {
        for basis_points in [0, 60, 500, 750, 1225, 10_000] {
            assert_eq!(
                parse_percent(&percent_text(basis_points)),
                Some(basis_points)
            );
        }
        assert_eq!(percent_text(750), "7.5");
        assert_eq!(percent_text(60), "0.6");
        assert_eq!(percent_text(1205), "12.05");
    }

    #[test]
    fn items_naming_a_tax_are_found_ignoring_case() {
        let items = vec![
            ("Detail".to_owned(), TaxClass::Only(vec!["PST".to_owned()])),
            ("Wash".to_owned(), TaxClass::Standard),
            ("Plan".to_owned(), TaxClass::Exempt),
        ];
        assert_eq!(items_naming_tax("pst", &items), vec!["Detail".to_owned()]);
        assert!(items_naming_tax("GST", &items).is_empty());
    }
}
