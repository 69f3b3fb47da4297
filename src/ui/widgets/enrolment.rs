//! Showing a new authenticator enrolment and recovery codes, once: the QR code drawn in the
//! terminal, the base32 secret grouped for typing, the otpauth link as a fallback, and the
//! recovery codes. Used by the setup wizard and by the staff screen.
//!
//! Everything here borrows from the zeroizing `Enrolment` and `RecoveryCode` values, so no
//! extra copy of a secret is made on the heap; only the terminal's own buffer holds one.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use crate::auth::recovery::RecoveryCode;
use crate::auth::totp::Enrolment;
use crate::domain::receipt::char_width;
use crate::ui::text::width;
use crate::ui::view::RenderCx;

/// Which half of the enrolment has the screen when the QR code and the text do not both fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EnrolmentView {
    #[default]
    Qr,
    Text,
}

impl EnrolmentView {
    pub fn toggled(self) -> Self {
        match self {
            EnrolmentView::Qr => EnrolmentView::Text,
            EnrolmentView::Text => EnrolmentView::Qr,
        }
    }
}

/// The narrowest column worth putting beside the QR code (instructions and the secret).
pub const SIDE_MIN_WIDTH: u16 = 30;
/// Base32 characters per group when the secret is shown for typing.
const GROUP_CHARS: usize = 4;

/// The QR code's light modules must be light whatever the theme, or phones cannot read it on
/// a light background: this is the one place a colour is fixed rather than taken from the theme.
pub fn qr_style() -> Style {
    Style::new().fg(Color::White).bg(Color::Black)
}

/// The QR picture's size in terminal cells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QrSize {
    pub width: u16,
    pub height: u16,
    /// The height when the last line, which holds only the lower half of the bottom quiet zone,
    /// is left out: one module of quiet zone still separates the code from what is below.
    pub min_height: u16,
}

pub fn qr_size(enrolment: &Enrolment) -> QrSize {
    let lines: Vec<&str> = enrolment.qr_text.lines().collect();
    let width = lines.first().map_or(0, |line| line.chars().count());
    let height = lines.len();
    let last_is_quiet = lines
        .last()
        .is_some_and(|line| !line.is_empty() && line.chars().all(|c| c == '▀'));
    let min_height = if last_is_quiet && height > 1 {
        height - 1
    } else {
        height
    };
    let cells = |n: usize| u16::try_from(n).unwrap_or(u16::MAX);
    QrSize {
        width: cells(width),
        height: cells(height),
        min_height: cells(min_height),
    }
}

/// Whether the QR code and a side column fit in `area`.
pub fn qr_fits(enrolment: &Enrolment, area: Rect) -> bool {
    let size = qr_size(enrolment);
    size.width.saturating_add(1).saturating_add(SIDE_MIN_WIDTH) <= area.width
        && size.min_height <= area.height
}

/// The smallest terminal (with the app's header and status lines) that shows the QR code.
pub fn qr_terminal_size(enrolment: &Enrolment) -> (u16, u16) {
    let size = qr_size(enrolment);
    (
        size.width.saturating_add(1).saturating_add(SIDE_MIN_WIDTH),
        size.min_height.saturating_add(2),
    )
}

/// Draws the QR code at the top left of `area`, light on dark, leaving out the last line of
/// quiet zone only when the area is one line short.
pub fn render_qr(frame: &mut Frame, area: Rect, enrolment: &Enrolment) {
    let size = qr_size(enrolment);
    let height = size.height.min(area.height);
    if height < size.min_height || size.width > area.width {
        return;
    }
    let lines: Vec<Line> = enrolment
        .qr_text
        .lines()
        .take(usize::from(height))
        .map(|line| Line::from(Span::styled(line, qr_style())))
        .collect();
    frame.render_widget(
        Paragraph::new(lines).style(qr_style()),
        Rect::new(area.x, area.y, size.width, height),
    );
}

/// The secret as groups of four, as many groups a line as fit in `cells` (8, 4, 2 or 1), each
/// group a slice of the secret itself.
pub fn secret_lines<'a>(secret: &'a str, cells: usize, style: Style) -> Vec<Line<'a>> {
    let groups: Vec<&str> = secret
        .as_bytes()
        .chunks(GROUP_CHARS)
        .filter_map(|chunk| std::str::from_utf8(chunk).ok())
        .collect();
    let per_line = [8usize, 4, 2, 1]
        .into_iter()
        .find(|n| n * (GROUP_CHARS + 1) - 1 <= cells)
        .unwrap_or(1);
    groups
        .chunks(per_line)
        .map(|line| {
            let mut spans = Vec::with_capacity(line.len() * 2);
            for (index, group) in line.iter().enumerate() {
                if index > 0 {
                    spans.push(Span::raw(" "));
                }
                spans.push(Span::styled(*group, style));
            }
            Line::from(spans)
        })
        .collect()
}

/// The otpauth link cut into lines of `cells` characters (it is ASCII): a link cannot be
/// word-wrapped.
pub fn uri_lines<'a>(uri: &'a str, cells: usize, style: Style) -> Vec<Line<'a>> {
    let cells = cells.max(1);
    uri.as_bytes()
        .chunks(cells)
        .filter_map(|chunk| std::str::from_utf8(chunk).ok())
        .map(|part| Line::from(Span::styled(part, style)))
        .collect()
}

/// Word-wraps `text` to `cells` terminal cells. Wide (CJK) characters break anywhere; other
/// words break at spaces, or anywhere when a word is longer than a line.
pub fn wrap(text: &str, cells: usize) -> Vec<String> {
    let cells = cells.max(2);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut used = 0;
    let mut tokens: Vec<&str> = Vec::new();
    let mut start = 0;
    for (index, c) in text.char_indices() {
        let wide = char_width(c) > 1;
        if c == ' ' || wide {
            if start < index {
                tokens.push(&text[start..index]);
            }
            tokens.push(&text[index..index + c.len_utf8()]);
            start = index + c.len_utf8();
        }
    }
    if start < text.len() {
        tokens.push(&text[start..]);
    }
    for token in tokens {
        let token_cells = width(token);
        if token == " " {
            if used > 0 && used < cells {
                line.push(' ');
                used += 1;
            }
            continue;
        }
        if used + token_cells > cells && used > 0 {
            lines.push(std::mem::take(&mut line).trim_end().to_owned());
            used = 0;
        }
        if token_cells <= cells {
            line.push_str(token);
            used += token_cells;
            continue;
        }
        for c in token.chars() {
            let w = char_width(c);
            if used + w > cells {
                lines.push(std::mem::take(&mut line));
                used = 0;
            }
            line.push(c);
            used += w;
        }
    }
    if !line.trim_end().is_empty() || lines.is_empty() {
        lines.push(line.trim_end().to_owned());
    }
    lines
}

/// A paragraph to draw above or beside the secret: English-independent text (already
/// translated and safe) in a style.
pub struct Para<'a> {
    pub text: &'a str,
    pub style: Style,
}

fn push_wrapped(lines: &mut Vec<Line<'_>>, paragraphs: &[Para], cells: usize) {
    for para in paragraphs {
        if para.text.is_empty() {
            lines.push(Line::from(""));
            continue;
        }
        for part in wrap(para.text, cells) {
            lines.push(Line::from(Span::styled(part, para.style)));
        }
    }
}

/// What [`render_enrolment`] drew, and the room it left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnrolmentDrawn {
    /// Below the enrolment, for the caller's own lines (the code field, hints).
    pub rest: Rect,
    pub qr_shown: bool,
    /// Whether the QR code fits this area at all (when it does not, only text is shown).
    pub qr_fits: bool,
}

/// Draws an enrolment. In the QR view (when the code fits) the QR is at the left and the
/// `header`, the secret and, room permitting, the link are beside it; otherwise the header,
/// the secret and the link run across the whole area. `reserve` rows are kept free below for
/// the caller, in the column that is returned as `rest`.
pub fn render_enrolment(
    frame: &mut Frame,
    area: Rect,
    enrolment: &Enrolment,
    view: EnrolmentView,
    header: &[Para],
    reserve: u16,
    rx: &RenderCx,
) -> EnrolmentDrawn {
    let fits = qr_fits(enrolment, area);
    let secret_style = rx.theme.title.add_modifier(Modifier::BOLD);
    let label_style = rx.theme.muted;
    if fits && view == EnrolmentView::Qr {
        let size = qr_size(enrolment);
        // A column of margin when there is room, so the quiet zone does not touch the edge.
        let margin = u16::from(area.width >= size.width + 2 + SIDE_MIN_WIDTH);
        let qr_area = Rect::new(
            area.x + margin,
            area.y,
            size.width,
            area.height.min(size.height),
        );
        render_qr(frame, qr_area, enrolment);
        let side_x = qr_area.right() + 1 + margin;
        let side = Rect::new(
            side_x,
            area.y,
            area.right().saturating_sub(side_x),
            area.height,
        );
        let cells = usize::from(side.width);
        let mut lines: Vec<Line> = Vec::new();
        push_wrapped(&mut lines, header, cells);
        lines.push(Line::from(""));
        lines.push(Line::from(Span::styled(
            rx.tr("Secret key, to type in by hand:"),
            label_style,
        )));
        lines.extend(secret_lines(
            enrolment.secret_base32.as_str(),
            cells,
            secret_style,
        ));
        let uri = uri_lines(enrolment.otpauth_uri.as_str(), cells, rx.theme.muted);
        let used = u16::try_from(lines.len()).unwrap_or(u16::MAX);
        let with_uri = used
            .saturating_add(2)
            .saturating_add(u16::try_from(uri.len()).unwrap_or(u16::MAX))
            .saturating_add(reserve)
            <= side.height;
        if with_uri {
            lines.push(Line::from(""));
            lines.push(Line::from(Span::styled(
                rx.tr("Or the setup link:"),
                label_style,
            )));
            lines.extend(uri);
        }
        let used = u16::try_from(lines.len())
            .unwrap_or(u16::MAX)
            .min(side.height);
        frame.render_widget(
            Paragraph::new(lines),
            Rect::new(side.x, side.y, side.width, used),
        );
        let rest_y = side.y + used + u16::from(used < side.height);
        return EnrolmentDrawn {
            rest: Rect::new(
                side.x,
                rest_y,
                side.width,
                side.bottom().saturating_sub(rest_y),
            ),
            qr_shown: true,
            qr_fits: true,
        };
    }
    let cells = usize::from(area.width);
    let mut lines: Vec<Line> = Vec::new();
    push_wrapped(&mut lines, header, cells);
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        rx.tr("Secret key, to type in by hand:"),
        label_style,
    )));
    lines.extend(
        secret_lines(
            enrolment.secret_base32.as_str(),
            cells.saturating_sub(2),
            secret_style,
        )
        .into_iter()
        .map(|mut line| {
            line.spans.insert(0, Span::raw("  "));
            line
        }),
    );
    lines.push(Line::from(""));
    lines.push(Line::from(Span::styled(
        rx.tr("Or the setup link:"),
        label_style,
    )));
    lines.extend(uri_lines(
        enrolment.otpauth_uri.as_str(),
        cells,
        rx.theme.muted,
    ));
    if !fits {
        let (w, h) = qr_terminal_size(enrolment);
        let note = rx.lang.fill(
            "The QR code needs a window of at least {width}×{height}; make it larger, or type the key.",
            &[("width", &w.to_string()), ("height", &h.to_string())],
        );
        lines.push(Line::from(""));
        for part in wrap(&note, cells) {
            lines.push(Line::from(Span::styled(part, rx.theme.warning)));
        }
    }
    let used = u16::try_from(lines.len())
        .unwrap_or(u16::MAX)
        .min(area.height);
    frame.render_widget(
        Paragraph::new(lines),
        Rect::new(area.x, area.y, area.width, used),
    );
    let rest_y = area.y + used + u16::from(used < area.height);
    EnrolmentDrawn {
        rest: Rect::new(
            area.x,
            rest_y,
            area.width,
            area.bottom().saturating_sub(rest_y),
        ),
        qr_shown: false,
        qr_fits: fits,
    }
}

/// Rows [`render_recovery_codes`] needs at `cells` wide.
pub fn recovery_codes_height(codes: &[RecoveryCode], cells: u16) -> u16 {
    let columns = recovery_columns(codes, cells);
    u16::try_from(codes.len().div_ceil(columns)).unwrap_or(u16::MAX)
}

fn recovery_columns(codes: &[RecoveryCode], cells: u16) -> usize {
    let cell = recovery_cell_width(codes);
    if usize::from(cells) >= cell * 2 + 4 {
        2
    } else {
        1
    }
}

/// "10. XXXX-XXXX-XXXX-XXXX"
fn recovery_cell_width(codes: &[RecoveryCode]) -> usize {
    let number = codes.len().to_string().len();
    let code = codes.iter().map(|c| c.expose().len()).max().unwrap_or(0);
    number + 2 + code
}

/// The recovery codes, numbered, in two columns when they fit (numbered down the columns, so
/// they read in order on paper too).
pub fn render_recovery_codes(frame: &mut Frame, area: Rect, codes: &[RecoveryCode], rx: &RenderCx) {
    let columns = recovery_columns(codes, area.width);
    let rows = codes.len().div_ceil(columns);
    let number_cells = codes.len().to_string().len();
    let code_style = rx.theme.title.add_modifier(Modifier::BOLD);
    let mut lines: Vec<Line> = Vec::with_capacity(rows);
    for row in 0..rows {
        let mut spans = Vec::new();
        for column in 0..columns {
            let index = column * rows + row;
            let Some(code) = codes.get(index) else {
                continue;
            };
            if column > 0 {
                spans.push(Span::raw("    "));
            }
            spans.push(Span::styled(
                format!("{:>number_cells$}. ", index + 1),
                rx.theme.muted,
            ));
            spans.push(Span::styled(code.expose(), code_style));
        }
        lines.push(Line::from(spans));
    }
    frame.render_widget(Paragraph::new(lines), area);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrap_breaks_words_and_cjk() {
        assert_eq!(wrap("scan the code now", 9), vec!["scan the", "code now"]);
        assert_eq!(wrap("扫描二维码", 6), vec!["扫描二", "维码"]);
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(wrap("", 10), vec![""]);
    }

    #[test]
    fn secret_groups_by_four() {
        let style = Style::new();
        let text =
            |lines: Vec<Line>| -> Vec<String> { lines.iter().map(|l| l.to_string()).collect() };
        let secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
        assert_eq!(
            text(secret_lines(secret, 80, style)),
            vec!["GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"]
        );
        assert_eq!(
            text(secret_lines(secret, 30, style)),
            vec!["GEZD GNBV GY3T QOJQ", "GEZD GNBV GY3T QOJQ"]
        );
    }
}
