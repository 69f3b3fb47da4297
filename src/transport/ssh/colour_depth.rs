//! How many colours an SSH client's terminal can show, read from the TERM, COLORTERM and
//! NO_COLOR it sent, and a backend wrapper that brings every drawn cell down to that depth.
//!
//! Themes are written in 24-bit colour; a terminal that only knows 16 colours shows garbage
//! or nothing for them, so the reduction happens on the way out rather than in every theme.

use ratatui::backend::{Backend, ClearType, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use ratatui::style::Color;

/// The colours a client terminal can show, richest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColourDepth {
    TrueColour,
    Indexed256,
    Ansi16,
    /// NO_COLOR or a dumb terminal: attributes such as bold and reverse only.
    Mono,
}

/// Terminals known to draw 24-bit colour that do not say so in their TERM name; COLORTERM
/// rarely survives the trip over SSH, so TERM is often all there is.
const TRUECOLOUR_TERMS: &[&str] = &[
    "xterm-kitty",
    "alacritty",
    "foot",
    "foot-extra",
    "wezterm",
    "xterm-ghostty",
    "contour",
];

impl ColourDepth {
    /// Reads the client's environment as sent over SSH; each value is `None` when the client
    /// did not send it. An empty NO_COLOR does not count, as its specification says.
    pub fn detect(term: Option<&str>, colorterm: Option<&str>, no_color: Option<&str>) -> Self {
        let term = term.map(|term| term.trim().to_ascii_lowercase());
        let term = term.as_deref().unwrap_or("");
        if no_color.is_some_and(|value| !value.is_empty()) || term == "dumb" {
            return Self::Mono;
        }
        let colorterm = colorterm.map(|value| value.trim().to_ascii_lowercase());
        if matches!(colorterm.as_deref(), Some("truecolor" | "24bit"))
            || term.ends_with("-direct")
            || TRUECOLOUR_TERMS.contains(&term)
        {
            return Self::TrueColour;
        }
        if term.contains("256color") {
            return Self::Indexed256;
        }
        Self::Ansi16
    }

    /// The nearest colour this depth can show. Named colours and `Reset` pass through every
    /// depth but `Mono`; reducing twice gives the same as reducing once.
    pub fn reduce(self, colour: Color) -> Color {
        match (self, colour) {
            (Self::TrueColour, colour) => colour,
            (Self::Mono, _) => Color::Reset,
            (Self::Indexed256, Color::Rgb(r, g, b)) => Color::Indexed(nearest_xterm_256([r, g, b])),
            (Self::Indexed256, colour) => colour,
            (Self::Ansi16, Color::Rgb(r, g, b)) => nearest_ansi_16([r, g, b]),
            (Self::Ansi16, Color::Indexed(index)) => match ANSI_16.get(usize::from(index)) {
                Some(&(named, _)) => named,
                None => nearest_ansi_16(xterm_256_rgb(index)),
            },
            (Self::Ansi16, colour) => colour,
        }
    }

    /// Reduces one cell's colours, keeping its modifiers. When two different colours collapse
    /// into one, the text would vanish into its background, so it takes whichever of black
    /// and white stands out.
    pub fn reduce_cell(self, cell: &mut Cell) {
        let fg = self.reduce(cell.fg);
        let bg = self.reduce(cell.bg);
        cell.fg = if fg == bg && cell.fg != cell.bg && bg != Color::Reset {
            contrasting(bg)
        } else if fg == Color::Black && cell.fg != Color::Black && bg == Color::Reset {
            // A dim colour meant as quiet text would turn black, which vanishes on the dark
            // backgrounds most terminals have; dark grey stays quiet and readable on both.
            Color::DarkGray
        } else {
            fg
        };
        cell.bg = bg;
        cell.underline_color = self.reduce(cell.underline_color);
    }
}

/// The 16 named colours with xterm's default values for them, in palette order.
const ANSI_16: [(Color, [u8; 3]); 16] = [
    (Color::Black, [0, 0, 0]),
    (Color::Red, [205, 0, 0]),
    (Color::Green, [0, 205, 0]),
    (Color::Yellow, [205, 205, 0]),
    (Color::Blue, [0, 0, 238]),
    (Color::Magenta, [205, 0, 205]),
    (Color::Cyan, [0, 205, 205]),
    (Color::Gray, [229, 229, 229]),
    (Color::DarkGray, [127, 127, 127]),
    (Color::LightRed, [255, 0, 0]),
    (Color::LightGreen, [0, 255, 0]),
    (Color::LightYellow, [255, 255, 0]),
    (Color::LightBlue, [92, 92, 255]),
    (Color::LightMagenta, [255, 0, 255]),
    (Color::LightCyan, [0, 255, 255]),
    (Color::White, [255, 255, 255]),
];

/// The channel values of xterm's 6×6×6 colour cube.
const CUBE_LEVELS: [u8; 6] = [0, 95, 135, 175, 215, 255];

fn distance(a: [u8; 3], b: [u8; 3]) -> u32 {
    a.iter()
        .zip(b)
        .map(|(&x, y)| u32::from(x.abs_diff(y)).pow(2))
        .sum()
}

fn nearest_ansi_16(rgb: [u8; 3]) -> Color {
    ANSI_16
        .iter()
        .min_by_key(|(_, value)| distance(rgb, *value))
        .map_or(Color::Reset, |&(named, _)| named)
}

/// The nearest of the cube and the grey ramp (16–255). The first 16 are skipped on purpose:
/// every terminal theme redefines them, so their real value is unknown.
fn nearest_xterm_256(rgb: [u8; 3]) -> u8 {
    (16..=255)
        .min_by_key(|&index| distance(rgb, xterm_256_rgb(index)))
        .unwrap_or(16)
}

/// xterm's default value for a palette index.
fn xterm_256_rgb(index: u8) -> [u8; 3] {
    match index {
        0..=15 => ANSI_16[usize::from(index)].1,
        16..=231 => {
            let cube = index - 16;
            [
                CUBE_LEVELS[usize::from(cube / 36)],
                CUBE_LEVELS[usize::from(cube / 6 % 6)],
                CUBE_LEVELS[usize::from(cube % 6)],
            ]
        }
        232..=255 => {
            let level = 8 + (index - 232) * 10;
            [level; 3]
        }
    }
}

fn rgb_of(colour: Color) -> Option<[u8; 3]> {
    match colour {
        Color::Rgb(r, g, b) => Some([r, g, b]),
        Color::Indexed(index) => Some(xterm_256_rgb(index)),
        Color::Reset => None,
        named => ANSI_16
            .iter()
            .find(|(candidate, _)| *candidate == named)
            .map(|&(_, value)| value),
    }
}

fn contrasting(background: Color) -> Color {
    let [r, g, b] = rgb_of(background).unwrap_or([0; 3]);
    let luma = 299 * u32::from(r) + 587 * u32::from(g) + 114 * u32::from(b);
    if luma > 128_000 {
        Color::Black
    } else {
        Color::White
    }
}

/// A ratatui backend that draws through `inner` with every colour reduced to `depth`.
pub struct ColourDepthBackend<B: Backend> {
    inner: B,
    depth: ColourDepth,
    /// Reused between frames so a redraw does not allocate.
    reduced: Vec<(u16, u16, Cell)>,
}

impl<B: Backend> ColourDepthBackend<B> {
    pub fn new(inner: B, depth: ColourDepth) -> Self {
        Self {
            inner,
            depth,
            reduced: Vec::new(),
        }
    }

    pub fn depth(&self) -> ColourDepth {
        self.depth
    }

    pub fn inner(&self) -> &B {
        &self.inner
    }

    pub fn inner_mut(&mut self) -> &mut B {
        &mut self.inner
    }

    pub fn into_inner(self) -> B {
        self.inner
    }
}

impl<B: Backend> std::fmt::Debug for ColourDepthBackend<B> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ColourDepthBackend")
            .field("depth", &self.depth)
            .finish_non_exhaustive()
    }
}

impl<B: Backend> Backend for ColourDepthBackend<B> {
    type Error = B::Error;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        if self.depth == ColourDepth::TrueColour {
            return self.inner.draw(content);
        }
        self.reduced.clear();
        for (x, y, cell) in content {
            let mut cell = cell.clone();
            self.depth.reduce_cell(&mut cell);
            self.reduced.push((x, y, cell));
        }
        let result = self
            .inner
            .draw(self.reduced.iter().map(|(x, y, cell)| (*x, *y, cell)));
        self.reduced.clear();
        result
    }

    fn append_lines(&mut self, n: u16) -> Result<(), Self::Error> {
        self.inner.append_lines(n)
    }

    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(position)
    }

    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }

    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn quiet_text_reduced_to_sixteen_colours_stays_readable_on_the_terminals_background() {
        let mut cell = Cell::default();
        cell.fg = Color::Rgb(0x3a, 0x3a, 0x4a);
        ColourDepth::Ansi16.reduce_cell(&mut cell);
        assert_eq!(cell.fg, Color::DarkGray);
        let mut black = Cell::default();
        black.fg = Color::Black;
        black.bg = Color::Cyan;
        ColourDepth::Ansi16.reduce_cell(&mut black);
        assert_eq!(
            black.fg,
            Color::Black,
            "black chosen on purpose stays black"
        );
    }

    use super::*;
    use proptest::prelude::*;
    use ratatui::backend::TestBackend;
    use ratatui::buffer::Buffer;
    use ratatui::layout::Rect;
    use ratatui::style::Modifier;

    #[test]
    fn detect_reads_term_colorterm_and_no_color() {
        use ColourDepth::*;
        type Case<'a> = (
            Option<&'a str>,
            Option<&'a str>,
            Option<&'a str>,
            ColourDepth,
        );
        let table: &[Case] = &[
            (Some("xterm-256color"), None, Some("1"), Mono),
            (Some("xterm-256color"), Some("truecolor"), Some("yes"), Mono),
            (Some("xterm-256color"), None, Some(""), Indexed256),
            (Some("dumb"), None, None, Mono),
            (Some("DUMB"), Some("truecolor"), None, Mono),
            (Some("xterm"), Some("truecolor"), None, TrueColour),
            (Some("xterm"), Some("24bit"), None, TrueColour),
            (Some("xterm"), Some("TrueColor"), None, TrueColour),
            (Some("xterm-direct"), None, None, TrueColour),
            (Some("xterm-kitty"), None, None, TrueColour),
            (Some("alacritty"), None, None, TrueColour),
            (Some("xterm-256color"), None, None, Indexed256),
            (Some("screen-256color"), Some("yes"), None, Indexed256),
            (Some("tmux-256color"), None, None, Indexed256),
            (Some("xterm"), None, None, Ansi16),
            (Some("linux"), None, None, Ansi16),
            (Some("screen"), None, None, Ansi16),
            (Some("vt100"), None, None, Ansi16),
            (Some("something-unknown"), None, None, Ansi16),
            (Some(""), None, None, Ansi16),
            (None, None, None, Ansi16),
            (None, Some("truecolor"), None, TrueColour),
        ];
        for &(term, colorterm, no_color, expected) in table {
            assert_eq!(
                ColourDepth::detect(term, colorterm, no_color),
                expected,
                "TERM={term:?} COLORTERM={colorterm:?} NO_COLOR={no_color:?}"
            );
        }
    }

    #[test]
    fn reduce_picks_the_nearest_colour_the_depth_has() {
        use ColourDepth::*;
        let table: &[(ColourDepth, Color, Color)] = &[
            (TrueColour, Color::Rgb(1, 2, 3), Color::Rgb(1, 2, 3)),
            (Indexed256, Color::Rgb(255, 0, 0), Color::Indexed(196)),
            (Indexed256, Color::Rgb(0, 0, 0), Color::Indexed(16)),
            (Indexed256, Color::Rgb(255, 255, 255), Color::Indexed(231)),
            (
                Indexed256,
                Color::Rgb(0x30, 0x30, 0x30),
                Color::Indexed(236),
            ),
            (Indexed256, Color::Rgb(95, 135, 175), Color::Indexed(67)),
            (Indexed256, Color::Indexed(3), Color::Indexed(3)),
            (Indexed256, Color::Cyan, Color::Cyan),
            (Indexed256, Color::Reset, Color::Reset),
            (Ansi16, Color::Rgb(250, 10, 10), Color::LightRed),
            (Ansi16, Color::Rgb(0x30, 0x30, 0x40), Color::Black),
            (Ansi16, Color::Rgb(250, 250, 250), Color::White),
            (Ansi16, Color::Rgb(235, 235, 235), Color::Gray),
            (Ansi16, Color::Rgb(128, 128, 128), Color::DarkGray),
            (Ansi16, Color::Indexed(1), Color::Red),
            (Ansi16, Color::Indexed(15), Color::White),
            (Ansi16, Color::Indexed(196), Color::LightRed),
            (Ansi16, Color::Indexed(232), Color::Black),
            (Ansi16, Color::Yellow, Color::Yellow),
            (Ansi16, Color::Reset, Color::Reset),
            (Mono, Color::Rgb(9, 9, 9), Color::Reset),
            (Mono, Color::Indexed(9), Color::Reset),
            (Mono, Color::Cyan, Color::Reset),
            (Mono, Color::Reset, Color::Reset),
        ];
        for &(depth, colour, expected) in table {
            assert_eq!(depth.reduce(colour), expected, "{depth:?} {colour:?}");
        }
    }

    #[test]
    fn the_palette_matches_xterm() {
        assert_eq!(xterm_256_rgb(16), [0, 0, 0]);
        assert_eq!(xterm_256_rgb(67), [95, 135, 175]);
        assert_eq!(xterm_256_rgb(231), [255, 255, 255]);
        assert_eq!(xterm_256_rgb(232), [8, 8, 8]);
        assert_eq!(xterm_256_rgb(255), [238, 238, 238]);
        assert_eq!(xterm_256_rgb(12), [92, 92, 255]);
    }

    #[test]
    fn text_that_would_vanish_into_its_background_takes_a_contrasting_colour() {
        let mut cell = Cell::default();
        cell.fg = Color::Rgb(0x3a, 0x3a, 0x4a);
        cell.bg = Color::Rgb(0x20, 0x20, 0x28);
        ColourDepth::Ansi16.reduce_cell(&mut cell);
        assert_eq!((cell.fg, cell.bg), (Color::White, Color::Black));

        let mut cell = Cell::default();
        cell.fg = Color::Rgb(250, 250, 250);
        cell.bg = Color::Rgb(255, 255, 255);
        ColourDepth::Ansi16.reduce_cell(&mut cell);
        assert_eq!((cell.fg, cell.bg), (Color::Black, Color::White));

        // Deliberately equal colours (a blank bar) stay as they were.
        let mut cell = Cell::default();
        cell.fg = Color::Rgb(1, 1, 1);
        cell.bg = Color::Rgb(1, 1, 1);
        ColourDepth::Ansi16.reduce_cell(&mut cell);
        assert_eq!((cell.fg, cell.bg), (Color::Black, Color::Black));
    }

    fn draw_one(depth: ColourDepth, fg: Color, bg: Color, modifier: Modifier) -> Cell {
        let mut backend = ColourDepthBackend::new(TestBackend::new(3, 1), depth);
        let mut cell = Cell::new("x");
        cell.fg = fg;
        cell.bg = bg;
        cell.underline_color = fg;
        cell.modifier = modifier;
        backend.draw([(1, 0, &cell)].into_iter()).unwrap();
        backend.inner().buffer()[(1, 0)].clone()
    }

    #[test]
    fn the_backend_reduces_every_drawn_cell() {
        let selected = Modifier::REVERSED | Modifier::BOLD;
        let drawn = draw_one(
            ColourDepth::Mono,
            Color::Rgb(0, 0, 0),
            Color::Cyan,
            selected,
        );
        assert_eq!(
            (drawn.fg, drawn.bg, drawn.underline_color),
            (Color::Reset, Color::Reset, Color::Reset)
        );
        assert_eq!(drawn.modifier, selected);
        assert_eq!(drawn.symbol(), "x");

        let drawn = draw_one(
            ColourDepth::Indexed256,
            Color::Rgb(255, 0, 0),
            Color::Reset,
            Modifier::empty(),
        );
        assert_eq!(drawn.fg, Color::Indexed(196));

        let drawn = draw_one(
            ColourDepth::Ansi16,
            Color::Rgb(0, 200, 200),
            Color::Indexed(4),
            Modifier::UNDERLINED,
        );
        assert_eq!((drawn.fg, drawn.bg), (Color::Cyan, Color::Blue));
        assert_eq!(drawn.modifier, Modifier::UNDERLINED);

        let drawn = draw_one(
            ColourDepth::TrueColour,
            Color::Rgb(1, 2, 3),
            Color::Rgb(4, 5, 6),
            Modifier::empty(),
        );
        assert_eq!(
            (drawn.fg, drawn.bg),
            (Color::Rgb(1, 2, 3), Color::Rgb(4, 5, 6))
        );
    }

    #[test]
    fn the_backend_delegates_everything_else() {
        let mut backend = ColourDepthBackend::new(TestBackend::new(4, 2), ColourDepth::Mono);
        assert_eq!(backend.size().unwrap(), Size::new(4, 2));
        backend.set_cursor_position((2, 1)).unwrap();
        assert_eq!(backend.get_cursor_position().unwrap(), Position::new(2, 1));
        backend.hide_cursor().unwrap();
        backend.show_cursor().unwrap();
        backend.clear().unwrap();
        backend.clear_region(ClearType::All).unwrap();
        Backend::flush(&mut backend).unwrap();
        assert_eq!(backend.window_size().unwrap().columns_rows, Size::new(4, 2));
        assert_eq!(backend.depth(), ColourDepth::Mono);
        assert_eq!(
            backend.into_inner().buffer(),
            &Buffer::empty(Rect::new(0, 0, 4, 2))
        );
    }

    fn any_colour() -> impl Strategy<Value = Color> {
        prop_oneof![
            (0usize..17).prop_map(|index| {
                [Color::Reset]
                    .into_iter()
                    .chain(ANSI_16.iter().map(|&(named, _)| named))
                    .nth(index)
                    .unwrap_or(Color::Reset)
            }),
            any::<u8>().prop_map(Color::Indexed),
            any::<(u8, u8, u8)>().prop_map(|(r, g, b)| Color::Rgb(r, g, b)),
        ]
    }

    fn any_depth() -> impl Strategy<Value = ColourDepth> {
        prop_oneof![
            Just(ColourDepth::TrueColour),
            Just(ColourDepth::Indexed256),
            Just(ColourDepth::Ansi16),
            Just(ColourDepth::Mono),
        ]
    }

    proptest! {
        #[test]
        fn reduction_is_total_idempotent_and_within_the_depth(
            depth in any_depth(),
            colour in any_colour(),
        ) {
            let once = depth.reduce(colour);
            prop_assert_eq!(depth.reduce(once), once);
            match depth {
                ColourDepth::TrueColour => prop_assert_eq!(once, colour),
                ColourDepth::Indexed256 => prop_assert!(!matches!(once, Color::Rgb(..))),
                ColourDepth::Ansi16 => {
                    prop_assert!(!matches!(once, Color::Rgb(..) | Color::Indexed(_)));
                }
                ColourDepth::Mono => prop_assert_eq!(once, Color::Reset),
            }
        }

        #[test]
        fn cell_reduction_is_idempotent_and_keeps_modifiers(
            depth in any_depth(),
            fg in any_colour(),
            bg in any_colour(),
            bits in any::<u16>(),
        ) {
            let mut cell = Cell::new("x");
            cell.fg = fg;
            cell.bg = bg;
            cell.modifier = Modifier::from_bits_truncate(bits);
            depth.reduce_cell(&mut cell);
            let once = cell.clone();
            depth.reduce_cell(&mut cell);
            prop_assert_eq!(&cell, &once);
            prop_assert_eq!(once.modifier, Modifier::from_bits_truncate(bits));
        }
    }
}
