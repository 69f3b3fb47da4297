//! Turns the raw bytes an SSH client sends into the same [`Event`]s the local terminal
//! produces, so the UI cannot tell the two transports apart.
//!
//! `vte` does the byte-level work: streaming UTF-8 (a character split across two packets) and
//! CSI parameter lists. It is written for a terminal's *output*, though, so the small state
//! machine here decides where a key sequence starts and ends: left alone, vte would read
//! Alt-Shift-P as the start of a device control string and swallow every later key, and it
//! cannot tell a lone Esc from the start of a sequence. That last case needs time, which the
//! transport supplies by calling [`TerminalInput::flush`] once the client has gone quiet.

use std::fmt;
use std::mem;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use vte::{Params, Parser, Perform};
use zeroize::Zeroize;

use crate::ui::Event;

/// Pasted text beyond this is dropped: a form field never needs more, and a client must not
/// be able to make the server buffer without bound.
pub const PASTE_LIMIT_BYTES: usize = 64 * 1024;

const ESC: u8 = 0x1b;
const PASTE_END: &[u8] = b"\x1b[201~";

/// One SSH session's keyboard: bytes in, key and paste events out.
pub struct TerminalInput {
    vte: Parser,
    state: State,
    /// Continuation bytes still due for the UTF-8 character vte is holding.
    utf8_continuations_due: u8,
    /// A CR was the last byte, so an LF right after it is the same Enter (CRLF).
    after_cr: bool,
}

enum State {
    Ground,
    /// ESC seen: Esc itself, Alt plus a key, or the start of a sequence.
    Escape,
    /// ESC O: application-mode arrows, F1–F4 and the keypad.
    Ss3 {
        modifier: Option<u16>,
    },
    /// ESC [ handed to vte; the bytes after the bracket are counted and, while they are all
    /// digits, read as a number for the rxvt `ESC [ n $` form vte cannot finish.
    Csi(CsiProgress),
    /// ESC [ [: the Linux console's F1–F5.
    LinuxFunctionKey,
    /// An X10 mouse report carries three raw bytes after `ESC [ M`.
    MouseX10 {
        bytes_left: u8,
    },
    Paste(PasteBuffer),
}

#[derive(Clone, Copy)]
struct CsiProgress {
    bytes: usize,
    number: Option<u16>,
}

impl CsiProgress {
    fn new() -> Self {
        Self {
            bytes: 0,
            number: None,
        }
    }

    fn push(&mut self, byte: u8) {
        let digits_so_far = self.bytes == 0 || self.number.is_some();
        self.number = match byte {
            b'0'..=b'9' if digits_so_far => self
                .number
                .unwrap_or(0)
                .checked_mul(10)
                .and_then(|n| n.checked_add(u16::from(byte - b'0'))),
            _ => None,
        };
        self.bytes = self.bytes.saturating_add(1);
    }
}

impl Default for TerminalInput {
    fn default() -> Self {
        Self::new()
    }
}

/// Held bytes may be a password being pasted, so only the parser's position is shown.
impl fmt::Debug for TerminalInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.state {
            State::Ground => "ground",
            State::Escape => "escape",
            State::Ss3 { .. } => "ss3",
            State::Csi(_) => "csi",
            State::LinuxFunctionKey => "linux function key",
            State::MouseX10 { .. } => "x10 mouse report",
            State::Paste(_) => "paste",
        };
        f.debug_struct("TerminalInput")
            .field("state", &state)
            .field("has_pending", &self.has_pending())
            .finish_non_exhaustive()
    }
}

impl TerminalInput {
    pub fn new() -> Self {
        Self {
            vte: Parser::new(),
            state: State::Ground,
            utf8_continuations_due: 0,
            after_cr: false,
        }
    }

    /// Parses the next bytes from the client. Bytes of an unfinished sequence are kept for
    /// the next call, so the split between calls never matters.
    pub fn feed(&mut self, bytes: &[u8]) -> Vec<Event> {
        let mut events = Vec::new();
        for &byte in bytes {
            self.step(byte, &mut events);
        }
        events
    }

    /// Whether bytes are held that only [`flush`](Self::flush) can resolve: the transport
    /// should call it once no byte has arrived for ~30 ms. An unfinished bracketed paste does
    /// not count: it waits for its end marker however slowly the text arrives.
    pub fn has_pending(&self) -> bool {
        match self.state {
            State::Ground => self.utf8_continuations_due > 0,
            State::Paste(_) => false,
            _ => true,
        }
    }

    /// Bytes this parser holds for later: a bracketed paste in progress (capped at
    /// [`PASTE_LIMIT_BYTES`] plus a partly matched end marker). Everything else it keeps is
    /// fixed-size; the fuzz target `ssh_input` checks this never exceeds the cap.
    pub fn held_bytes(&self) -> usize {
        match &self.state {
            State::Paste(paste) => paste.bytes.len() + paste.end_matched,
            _ => 0,
        }
    }

    /// The client went quiet, so what is held is all there is: a lone ESC is the Esc key,
    /// `ESC [` and `ESC O` were Alt plus a key, and anything else unfinished is dropped.
    pub fn flush(&mut self) -> Vec<Event> {
        let mut events = Vec::new();
        self.after_cr = false;
        match mem::replace(&mut self.state, State::Ground) {
            State::Paste(paste) => {
                self.state = State::Paste(paste);
                return events;
            }
            State::Escape => events.push(key(KeyCode::Esc, KeyModifiers::NONE)),
            State::Ss3 { modifier: None } => events.push(char_key('O', KeyModifiers::ALT)),
            State::Csi(progress) if progress.bytes == 0 => {
                events.push(char_key('[', KeyModifiers::ALT));
            }
            _ => {}
        }
        self.reset_vte();
        events
    }

    fn step(&mut self, byte: u8, events: &mut Vec<Event>) {
        let after_cr = mem::take(&mut self.after_cr);
        match mem::replace(&mut self.state, State::Ground) {
            State::Ground => {
                if !(after_cr && byte == b'\n') {
                    self.ground(byte, events);
                }
            }
            State::Escape => self.after_escape(byte, events),
            State::Ss3 { modifier } => self.in_ss3(modifier, byte, events),
            State::Csi(progress) => self.in_csi(progress, byte, events),
            State::LinuxFunctionKey => match byte {
                b'A'..=b'E' => events.push(key(KeyCode::F(byte - b'A' + 1), KeyModifiers::NONE)),
                0x40..=0x7e => {}
                _ => self.ground(byte, events),
            },
            State::MouseX10 { bytes_left } => {
                if bytes_left > 1 {
                    self.state = State::MouseX10 {
                        bytes_left: bytes_left - 1,
                    };
                }
            }
            State::Paste(mut paste) => {
                if paste.push(byte) {
                    events.push(Event::Paste(paste.text()));
                } else {
                    self.state = State::Paste(paste);
                }
            }
        }
    }

    fn ground(&mut self, byte: u8, events: &mut Vec<Event>) {
        if byte == ESC {
            // A character cut short by ESC is malformed; vte must not glue it to later bytes.
            if self.utf8_continuations_due > 0 {
                self.reset_vte();
            }
            self.state = State::Escape;
            return;
        }
        self.after_cr = byte == b'\r';
        self.utf8_continuations_due = match byte {
            0xc2..=0xdf => 1,
            0xe0..=0xef => 2,
            0xf0..=0xf4 => 3,
            0x80..=0xbf => self.utf8_continuations_due.saturating_sub(1),
            _ => 0,
        };
        self.advance_vte(&[byte], events);
    }

    fn after_escape(&mut self, byte: u8, events: &mut Vec<Event>) {
        match byte {
            b'[' => {
                self.state = State::Csi(CsiProgress::new());
                self.advance_vte(b"\x1b[", events);
            }
            b'O' => self.state = State::Ss3 { modifier: None },
            ESC => {
                events.push(key(KeyCode::Esc, KeyModifiers::NONE));
                self.state = State::Escape;
            }
            0x20..=0x7e => events.push(char_key(char::from(byte), KeyModifiers::ALT)),
            0x00..=0x1f | 0x7f => {
                if let Some(mut alt) = control_key(byte) {
                    alt.modifiers |= KeyModifiers::ALT;
                    events.push(Event::Key(alt));
                }
            }
            // Alt with a non-ASCII character is not a shortcut anywhere; keep the character.
            _ => {
                events.push(key(KeyCode::Esc, KeyModifiers::NONE));
                self.ground(byte, events);
            }
        }
    }

    fn in_ss3(&mut self, modifier: Option<u16>, byte: u8, events: &mut Vec<Event>) {
        let modifiers = modifier.map_or(KeyModifiers::NONE, modifiers_from_param);
        let event = match byte {
            // Old xterms put a modifier parameter here too (`ESC O 5 A`).
            b'0'..=b'9' | b';' => {
                let number = match byte {
                    b';' => 0,
                    digit => modifier
                        .unwrap_or(0)
                        .saturating_mul(10)
                        .saturating_add(u16::from(digit - b'0')),
                };
                self.state = State::Ss3 {
                    modifier: Some(number),
                };
                return;
            }
            b'A'..=b'D' => arrow_key_code(byte).map(|code| key(code, modifiers)),
            // rxvt's Ctrl+arrows.
            b'a'..=b'd' => {
                arrow_key_code(byte).map(|code| key(code, modifiers | KeyModifiers::CONTROL))
            }
            b'H' => Some(key(KeyCode::Home, modifiers)),
            b'F' => Some(key(KeyCode::End, modifiers)),
            b'P'..=b'S' => Some(key(KeyCode::F(byte - b'P' + 1), modifiers)),
            b'M' => Some(key(KeyCode::Enter, modifiers)),
            // The application keypad: j..y are * + , - . / 0..9, X is =.
            b'j'..=b'y' => Some(char_key(char::from(byte - b'j' + b'*'), modifiers)),
            b'X' => Some(char_key('=', modifiers)),
            0x20..=0x7e => None,
            // A control byte cannot be inside a key sequence: that was Alt+Shift+O.
            _ => {
                if modifier.is_none() {
                    events.push(char_key('O', KeyModifiers::ALT));
                }
                self.ground(byte, events);
                None
            }
        };
        events.extend(event);
    }

    fn in_csi(&mut self, mut progress: CsiProgress, byte: u8, events: &mut Vec<Event>) {
        match byte {
            b'[' if progress.bytes == 0 => {
                self.reset_vte();
                self.state = State::LinuxFunctionKey;
            }
            // rxvt's Shift+Insert/Delete/Home/End/PgUp/PgDn; to vte `$` is an intermediate.
            b'$' if progress.number.is_some() => {
                self.reset_vte();
                if let Some(code) = progress.number.and_then(tilde_key_code) {
                    events.push(key(code, KeyModifiers::SHIFT));
                }
            }
            0x20..=0x3f => {
                progress.push(byte);
                self.state = State::Csi(progress);
                self.advance_vte(&[byte], events);
            }
            0x40..=0x7e => self.advance_vte(&[byte], events),
            // A control byte cannot be inside a key sequence: the sequence was cut short.
            _ => {
                self.reset_vte();
                if progress.bytes == 0 {
                    events.push(char_key('[', KeyModifiers::ALT));
                }
                self.ground(byte, events);
            }
        }
    }

    fn advance_vte(&mut self, bytes: &[u8], events: &mut Vec<Event>) {
        let mut sink = Sink { events, next: None };
        self.vte.advance(&mut sink, bytes);
        if let Some(next) = sink.next {
            self.state = next;
        }
    }

    fn reset_vte(&mut self) {
        self.vte = Parser::new();
        self.utf8_continuations_due = 0;
    }
}

/// Receives vte's decisions: characters, C0 controls and finished CSI sequences.
struct Sink<'a> {
    events: &'a mut Vec<Event>,
    /// A CSI sequence that changes what the following bytes mean.
    next: Option<State>,
}

impl Perform for Sink<'_> {
    fn print(&mut self, c: char) {
        match c {
            '\x7f' => self
                .events
                .push(key(KeyCode::Backspace, KeyModifiers::NONE)),
            // vte's stand-in for invalid UTF-8: noise, not something typed.
            char::REPLACEMENT_CHARACTER => {}
            c if c.is_control() => {}
            c => self.events.push(char_key(c, KeyModifiers::NONE)),
        }
    }

    fn execute(&mut self, byte: u8) {
        if let Some(key) = control_key(byte) {
            self.events.push(Event::Key(key));
        }
    }

    fn csi_dispatch(&mut self, params: &Params, intermediates: &[u8], ignore: bool, action: char) {
        // Intermediates and private markers (`<`, `?`) mean mouse reports and replies to
        // queries, never keys.
        if ignore || !intermediates.is_empty() {
            return;
        }
        let mut values = params
            .iter()
            .map(|param| param.first().copied().unwrap_or(0));
        let first = values.next().unwrap_or(0);
        let second = values.next();
        let third = values.next();
        let Ok(action) = u8::try_from(action) else {
            return;
        };
        match csi_meaning(action, first, second, third) {
            CsiMeaning::Key(key) => self.events.push(Event::Key(key)),
            CsiMeaning::PasteStart => self.next = Some(State::Paste(PasteBuffer::new())),
            CsiMeaning::MouseX10 => self.next = Some(State::MouseX10 { bytes_left: 3 }),
            CsiMeaning::Nothing => {}
        }
    }
}

enum CsiMeaning {
    Key(KeyEvent),
    PasteStart,
    MouseX10,
    Nothing,
}

fn csi_meaning(action: u8, first: u16, second: Option<u16>, third: Option<u16>) -> CsiMeaning {
    let modifiers = second.map_or(KeyModifiers::NONE, modifiers_from_param);
    let code = match action {
        b'A'..=b'D' => arrow_key_code(action),
        b'H' => Some(KeyCode::Home),
        b'F' => Some(KeyCode::End),
        // With a row above 1 this is a cursor position report, which is not a key.
        b'P'..=b'S' if first <= 1 => Some(KeyCode::F(action - b'P' + 1)),
        b'Z' => {
            return CsiMeaning::Key(KeyEvent::new(
                KeyCode::BackTab,
                modifiers | KeyModifiers::SHIFT,
            ));
        }
        // rxvt's Shift+arrows.
        b'a'..=b'd' if second.is_none() => {
            return arrow_key_code(action).map_or(CsiMeaning::Nothing, |code| {
                CsiMeaning::Key(KeyEvent::new(code, KeyModifiers::SHIFT))
            });
        }
        b'~' => match (first, third) {
            (200, _) => return CsiMeaning::PasteStart,
            // xterm's modifyOtherKeys: CSI 27 ; modifiers ; code ~
            (27, Some(code)) => return code_point_key(code, modifiers),
            _ => tilde_key_code(first),
        },
        // rxvt's Ctrl and Ctrl+Shift forms of the `~` keys.
        b'^' | b'@' => {
            let modifiers = if action == b'^' {
                KeyModifiers::CONTROL
            } else {
                KeyModifiers::CONTROL | KeyModifiers::SHIFT
            };
            return tilde_key_code(first).map_or(CsiMeaning::Nothing, |code| {
                CsiMeaning::Key(KeyEvent::new(code, modifiers))
            });
        }
        // fixterms / kitty: CSI code ; modifiers u
        b'u' => return code_point_key(first, modifiers),
        b'M' if first == 0 && second.is_none() => return CsiMeaning::MouseX10,
        _ => None,
    };
    code.map_or(CsiMeaning::Nothing, |code| {
        CsiMeaning::Key(KeyEvent::new(code, modifiers))
    })
}

/// The arrow a letter names: `A`–`D` in xterm's forms, `a`–`d` in rxvt's modified ones.
fn arrow_key_code(letter: u8) -> Option<KeyCode> {
    match letter.to_ascii_uppercase() {
        b'A' => Some(KeyCode::Up),
        b'B' => Some(KeyCode::Down),
        b'C' => Some(KeyCode::Right),
        b'D' => Some(KeyCode::Left),
        _ => None,
    }
}

/// The keys xterm, rxvt and the Linux console send as `CSI n ~`.
fn tilde_key_code(number: u16) -> Option<KeyCode> {
    let code = match number {
        1 | 7 => KeyCode::Home,
        2 => KeyCode::Insert,
        3 => KeyCode::Delete,
        4 | 8 => KeyCode::End,
        5 => KeyCode::PageUp,
        6 => KeyCode::PageDown,
        // F1–F20 skip the numbers 16, 22, 27 and 30.
        11..=15 => KeyCode::F(u8::try_from(number - 10).ok()?),
        17..=21 => KeyCode::F(u8::try_from(number - 11).ok()?),
        23..=26 => KeyCode::F(u8::try_from(number - 12).ok()?),
        28..=29 => KeyCode::F(u8::try_from(number - 13).ok()?),
        31..=34 => KeyCode::F(u8::try_from(number - 14).ok()?),
        _ => return None,
    };
    Some(code)
}

fn code_point_key(code: u16, modifiers: KeyModifiers) -> CsiMeaning {
    if let Ok(byte) = u8::try_from(code)
        && (byte < 0x20 || byte == 0x7f)
    {
        return match control_key(byte) {
            Some(mut key) => {
                key.modifiers |= modifiers;
                CsiMeaning::Key(key)
            }
            None => CsiMeaning::Nothing,
        };
    }
    match char::from_u32(u32::from(code)) {
        // Kitty numbers keys without a character (keypad, media) in the private use area.
        Some(c) if !c.is_control() && !('\u{e000}'..='\u{f8ff}').contains(&c) => {
            CsiMeaning::Key(char_event(c, modifiers))
        }
        _ => CsiMeaning::Nothing,
    }
}

/// xterm's modifier parameter: 1 + a bit mask, the same bits crossterm reads locally.
fn modifiers_from_param(param: u16) -> KeyModifiers {
    let mask = param.saturating_sub(1);
    let mut modifiers = KeyModifiers::NONE;
    for (bit, modifier) in [
        (1, KeyModifiers::SHIFT),
        (2, KeyModifiers::ALT),
        (4, KeyModifiers::CONTROL),
        (8, KeyModifiers::SUPER),
        (16, KeyModifiers::HYPER),
        (32, KeyModifiers::META),
    ] {
        if mask & bit != 0 {
            modifiers |= modifier;
        }
    }
    modifiers
}

/// The key a C0 control byte (or DEL) stands for, named the way crossterm names it.
fn control_key(byte: u8) -> Option<KeyEvent> {
    let (code, modifiers) = match byte {
        b'\r' | b'\n' => (KeyCode::Enter, KeyModifiers::NONE),
        b'\t' => (KeyCode::Tab, KeyModifiers::NONE),
        0x08 | 0x7f => (KeyCode::Backspace, KeyModifiers::NONE),
        ESC => (KeyCode::Esc, KeyModifiers::NONE),
        0x00 => (KeyCode::Char(' '), KeyModifiers::CONTROL),
        0x01..=0x1a => (
            KeyCode::Char(char::from(b'a' + byte - 1)),
            KeyModifiers::CONTROL,
        ),
        0x1c..=0x1f => (
            KeyCode::Char(char::from(b'4' + byte - 0x1c)),
            KeyModifiers::CONTROL,
        ),
        _ => return None,
    };
    Some(KeyEvent::new(code, modifiers))
}

fn key(code: KeyCode, modifiers: KeyModifiers) -> Event {
    Event::Key(KeyEvent::new(code, modifiers))
}

fn char_key(c: char, modifiers: KeyModifiers) -> Event {
    Event::Key(char_event(c, modifiers))
}

/// Like crossterm, an upper-case letter also carries Shift.
fn char_event(c: char, mut modifiers: KeyModifiers) -> KeyEvent {
    if c.is_uppercase() {
        modifiers |= KeyModifiers::SHIFT;
    }
    KeyEvent::new(KeyCode::Char(c), modifiers)
}

/// Bracketed paste text collected until `ESC [ 201 ~`, capped at [`PASTE_LIMIT_BYTES`].
struct PasteBuffer {
    /// Allocated once at full size so no reallocation leaves a copy of a pasted password
    /// behind; wiped on drop.
    bytes: Vec<u8>,
    /// How much of the end marker the latest bytes matched; held back until it is clear
    /// whether they are the marker or text.
    end_matched: usize,
}

impl PasteBuffer {
    fn new() -> Self {
        Self {
            bytes: Vec::with_capacity(PASTE_LIMIT_BYTES),
            end_matched: 0,
        }
    }

    /// Takes one byte; true once the end marker is complete.
    fn push(&mut self, byte: u8) -> bool {
        if PASTE_END.get(self.end_matched) == Some(&byte) {
            self.end_matched += 1;
            return self.end_matched == PASTE_END.len();
        }
        let held = mem::take(&mut self.end_matched);
        for &held_byte in &PASTE_END[..held] {
            self.keep(held_byte);
        }
        if byte == PASTE_END[0] {
            self.end_matched = 1;
        } else {
            self.keep(byte);
        }
        false
    }

    fn keep(&mut self, byte: u8) {
        if self.bytes.len() < PASTE_LIMIT_BYTES {
            self.bytes.push(byte);
        }
    }

    /// The text as the UI should see it: line breaks as `\n`, tabs kept, other controls and
    /// invalid UTF-8 (including a character cut by the cap) dropped.
    fn text(&self) -> String {
        let raw = String::from_utf8_lossy(&self.bytes);
        let mut text = String::with_capacity(raw.len());
        let mut chars = raw.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\r' => {
                    chars.next_if_eq(&'\n');
                    text.push('\n');
                }
                '\n' | '\t' => text.push(c),
                char::REPLACEMENT_CHARACTER => {}
                c if c.is_control() => {}
                c => text.push(c),
            }
        }
        text
    }
}

impl Drop for PasteBuffer {
    fn drop(&mut self) {
        self.bytes.zeroize();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::KeyEventKind;
    use proptest::prelude::*;

    /// Events compared by what the UI reads from them.
    #[derive(Debug, PartialEq, Eq)]
    enum Got {
        Key(KeyCode, KeyModifiers),
        Paste(String),
    }

    fn got(events: Vec<Event>) -> Vec<Got> {
        events
            .into_iter()
            .map(|event| match event {
                Event::Key(key) => {
                    assert_eq!(key.kind, KeyEventKind::Press);
                    Got::Key(key.code, key.modifiers)
                }
                Event::Paste(text) => Got::Paste(text),
                other => panic!("unexpected event {other:?}"),
            })
            .collect()
    }

    /// Feeds everything at once, then lets the client go quiet.
    fn parse(bytes: &[u8]) -> Vec<Got> {
        let mut input = TerminalInput::new();
        let mut events = input.feed(bytes);
        events.extend(input.flush());
        got(events)
    }

    const NONE: KeyModifiers = KeyModifiers::NONE;
    const SHIFT: KeyModifiers = KeyModifiers::SHIFT;
    const CTRL: KeyModifiers = KeyModifiers::CONTROL;
    const ALT: KeyModifiers = KeyModifiers::ALT;

    fn k(code: KeyCode, modifiers: KeyModifiers) -> Got {
        Got::Key(code, modifiers)
    }

    fn c(c: char) -> Got {
        Got::Key(KeyCode::Char(c), NONE)
    }

    #[test]
    fn every_listed_sequence_becomes_its_key() {
        use KeyCode::*;
        let table: Vec<(&[u8], Vec<Got>)> = vec![
            // Text
            (b"a", vec![c('a')]),
            (b"A", vec![k(Char('A'), SHIFT)]),
            (b" ~", vec![c(' '), c('~')]),
            (
                "é中文😀".as_bytes(),
                vec![c('é'), c('中'), c('文'), c('😀')],
            ),
            // Enter in every form, CRLF once
            (b"\r", vec![k(Enter, NONE)]),
            (b"\n", vec![k(Enter, NONE)]),
            (b"\r\n", vec![k(Enter, NONE)]),
            (b"\r\r", vec![k(Enter, NONE), k(Enter, NONE)]),
            (b"\n\n", vec![k(Enter, NONE), k(Enter, NONE)]),
            (b"\r\n\r\n", vec![k(Enter, NONE), k(Enter, NONE)]),
            // Editing keys
            (b"\t", vec![k(Tab, NONE)]),
            (b"\x1b[Z", vec![k(BackTab, SHIFT)]),
            (b"\x7f", vec![k(Backspace, NONE)]),
            (b"\x08", vec![k(Backspace, NONE)]),
            (b"\x1b", vec![k(Esc, NONE)]),
            (b"\x1b\x1b", vec![k(Esc, NONE), k(Esc, NONE)]),
            // Ctrl
            (b"\x01", vec![k(Char('a'), CTRL)]),
            (b"\x15", vec![k(Char('u'), CTRL)]),
            (b"\x1a", vec![k(Char('z'), CTRL)]),
            (b"\x00", vec![k(Char(' '), CTRL)]),
            (b"\x1c\x1f", vec![k(Char('4'), CTRL), k(Char('7'), CTRL)]),
            // Alt
            (b"\x1bx", vec![k(Char('x'), ALT)]),
            (b"\x1bX", vec![k(Char('X'), ALT | SHIFT)]),
            (b"\x1bP", vec![k(Char('P'), ALT | SHIFT)]),
            (b"\x1b]", vec![k(Char(']'), ALT)]),
            (b"\x1b\r", vec![k(Enter, ALT)]),
            (b"\x1b\x7f", vec![k(Backspace, ALT)]),
            (b"\x1b\x01", vec![k(Char('a'), CTRL | ALT)]),
            (b"\x1b[", vec![k(Char('['), ALT)]),
            (b"\x1bO", vec![k(Char('O'), ALT | SHIFT)]),
            (b"\x1bO\r", vec![k(Char('O'), ALT | SHIFT), k(Enter, NONE)]),
            ("\x1bé".as_bytes(), vec![k(Esc, NONE), c('é')]),
            // Arrows, CSI and SS3
            (
                b"\x1b[A\x1b[B\x1b[C\x1b[D",
                vec![k(Up, NONE), k(Down, NONE), k(Right, NONE), k(Left, NONE)],
            ),
            (
                b"\x1bOA\x1bOB\x1bOC\x1bOD",
                vec![k(Up, NONE), k(Down, NONE), k(Right, NONE), k(Left, NONE)],
            ),
            // Modifier parameters
            (b"\x1b[1;5A", vec![k(Up, CTRL)]),
            (b"\x1b[1;2B", vec![k(Down, SHIFT)]),
            (b"\x1b[1;3C", vec![k(Right, ALT)]),
            (b"\x1b[1;6D", vec![k(Left, CTRL | SHIFT)]),
            (b"\x1b[1;8H", vec![k(Home, CTRL | ALT | SHIFT)]),
            (b"\x1bO5A", vec![k(Up, CTRL)]),
            (b"\x1bO1;2P", vec![k(F(1), SHIFT)]),
            (b"\x1b[3;5~", vec![k(Delete, CTRL)]),
            (b"\x1b[15;2~", vec![k(F(5), SHIFT)]),
            (b"\x1b[1;5P", vec![k(F(1), CTRL)]),
            // rxvt's modified arrows
            (b"\x1b[a\x1b[d", vec![k(Up, SHIFT), k(Left, SHIFT)]),
            (b"\x1bOb\x1bOc", vec![k(Down, CTRL), k(Right, CTRL)]),
            // Home/End: xterm, SS3, vt220, rxvt
            (b"\x1b[H\x1b[F", vec![k(Home, NONE), k(End, NONE)]),
            (b"\x1bOH\x1bOF", vec![k(Home, NONE), k(End, NONE)]),
            (b"\x1b[1~\x1b[4~", vec![k(Home, NONE), k(End, NONE)]),
            (b"\x1b[7~\x1b[8~", vec![k(Home, NONE), k(End, NONE)]),
            // Insert/Delete/PgUp/PgDn
            (b"\x1b[2~\x1b[3~", vec![k(Insert, NONE), k(Delete, NONE)]),
            (b"\x1b[5~\x1b[6~", vec![k(PageUp, NONE), k(PageDown, NONE)]),
            (
                b"\x1b[5^\x1b[6@",
                vec![k(PageUp, CTRL), k(PageDown, CTRL | SHIFT)],
            ),
            (b"\x1b[3$\x1b[7$", vec![k(Delete, SHIFT), k(Home, SHIFT)]),
            // F1–F12
            (
                b"\x1bOP\x1bOQ\x1bOR\x1bOS",
                vec![k(F(1), NONE), k(F(2), NONE), k(F(3), NONE), k(F(4), NONE)],
            ),
            (
                b"\x1b[11~\x1b[12~\x1b[13~\x1b[14~\x1b[15~",
                vec![
                    k(F(1), NONE),
                    k(F(2), NONE),
                    k(F(3), NONE),
                    k(F(4), NONE),
                    k(F(5), NONE),
                ],
            ),
            (
                b"\x1b[17~\x1b[18~\x1b[19~\x1b[20~\x1b[21~",
                vec![
                    k(F(6), NONE),
                    k(F(7), NONE),
                    k(F(8), NONE),
                    k(F(9), NONE),
                    k(F(10), NONE),
                ],
            ),
            (b"\x1b[23~\x1b[24~", vec![k(F(11), NONE), k(F(12), NONE)]),
            (
                b"\x1b[[A\x1b[[B\x1b[[C\x1b[[D\x1b[[E",
                vec![
                    k(F(1), NONE),
                    k(F(2), NONE),
                    k(F(3), NONE),
                    k(F(4), NONE),
                    k(F(5), NONE),
                ],
            ),
            // Application keypad
            (
                b"\x1bOM\x1bOp\x1bOy\x1bOk",
                vec![k(Enter, NONE), c('0'), c('9'), c('+')],
            ),
            // fixterms / kitty and modifyOtherKeys
            (b"\x1b[97;5u", vec![k(Char('a'), CTRL)]),
            (b"\x1b[13;2u", vec![k(Enter, SHIFT)]),
            (b"\x1b[27;5;105~", vec![k(Char('i'), CTRL)]),
            (b"\x1b[57399u", vec![]),
            // Ignored: mouse reports, focus, replies, unknown sequences
            (b"\x1b[<0;12;5M\x1b[<0;12;5m", vec![]),
            (b"\x1b[M !!", vec![]),
            (b"\x1b[Mabcx", vec![c('x')]),
            (b"\x1b[I\x1b[O", vec![]),
            (b"\x1b[?1;2c", vec![]),
            (b"\x1b[12;40R", vec![]),
            (b"\x1b[99~\x1b[1;5X\x1bO~", vec![]),
            (b"\x1b[>1;2;3 q", vec![]),
            (b"\x1b[201~", vec![]),
            // A sequence cut short by a control byte does not swallow it
            (b"\x1b[1;\r", vec![k(Enter, NONE)]),
            (b"\x1b[1;\x1b[A", vec![k(Up, NONE)]),
            (b"\x1b[\x1b", vec![k(Char('['), ALT), k(Esc, NONE)]),
            // Controls never become characters, and invalid UTF-8 is dropped
            ("\u{85}\u{9b}".as_bytes(), vec![]),
            (b"\x80\xff\xc3a", vec![c('a')]),
            (b"\xe4\xb8", vec![]),
        ];
        for (bytes, expected) in table {
            assert_eq!(
                parse(bytes),
                expected,
                "input {:?}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn a_character_split_across_feeds_arrives_whole() {
        let mut input = TerminalInput::new();
        let bytes = "中".as_bytes();
        assert!(input.feed(&bytes[..1]).is_empty());
        assert!(input.has_pending());
        assert!(input.feed(&bytes[1..2]).is_empty());
        assert_eq!(got(input.feed(&bytes[2..])), vec![c('中')]);
        assert!(!input.has_pending());
    }

    #[test]
    fn a_lone_esc_waits_for_the_flush() {
        let mut input = TerminalInput::new();
        assert!(input.feed(b"\x1b").is_empty());
        assert!(input.has_pending());
        assert_eq!(got(input.flush()), vec![k(KeyCode::Esc, NONE)]);
        assert!(!input.has_pending());
        assert!(input.flush().is_empty());
    }

    #[test]
    fn a_sequence_split_across_feeds_is_one_key() {
        let mut input = TerminalInput::new();
        assert!(input.feed(b"\x1b").is_empty());
        assert!(input.feed(b"[1;").is_empty());
        assert!(input.has_pending());
        assert_eq!(got(input.feed(b"5A")), vec![k(KeyCode::Up, CTRL)]);
        assert!(!input.has_pending());
    }

    #[test]
    fn crlf_split_across_feeds_is_one_enter_but_a_flush_separates_them() {
        let mut input = TerminalInput::new();
        assert_eq!(got(input.feed(b"\r")), vec![k(KeyCode::Enter, NONE)]);
        assert!(input.feed(b"\n").is_empty());

        assert_eq!(got(input.feed(b"\r")), vec![k(KeyCode::Enter, NONE)]);
        assert!(input.flush().is_empty());
        assert_eq!(got(input.feed(b"\n")), vec![k(KeyCode::Enter, NONE)]);
    }

    #[test]
    fn an_unfinished_sequence_is_dropped_on_flush() {
        let mut input = TerminalInput::new();
        assert!(input.feed(b"\x1b[1;5").is_empty());
        assert!(input.flush().is_empty());
        assert_eq!(got(input.feed(b"A")), vec![k(KeyCode::Char('A'), SHIFT)]);
    }

    #[test]
    fn a_bracketed_paste_is_one_event_across_many_feeds() {
        let mut input = TerminalInput::new();
        let mut events = input.feed(b"x\x1b[20");
        events.extend(input.feed(b"0~hello\r\nw\x1b"));
        assert!(!input.has_pending(), "a paste waits however long it takes");
        assert!(input.flush().is_empty());
        events.extend(input.feed("orld 中\x1b[2".as_bytes()));
        events.extend(input.feed(b"01"));
        events.extend(input.feed(b"~y"));
        assert_eq!(
            got(events),
            vec![c('x'), Got::Paste("hello\nworld 中".to_owned()), c('y')]
        );
    }

    #[test]
    fn paste_text_keeps_line_breaks_and_tabs_but_no_other_controls() {
        assert_eq!(
            parse(b"\x1b[200~a\tb\rc\r\nd\ne\x00\x07\x1b[31mf\x7f\xff\x1b[201~"),
            vec![Got::Paste("a\tb\nc\nd\ne[31mf".to_owned())]
        );
        assert_eq!(
            parse(b"\x1b[200~\x1b[201~"),
            vec![Got::Paste(String::new())]
        );
    }

    #[test]
    fn a_paste_beyond_the_limit_is_cut_at_a_character_boundary() {
        let mut input = TerminalInput::new();
        let mut events = input.feed(b"\x1b[200~a");
        let chunk = "中".repeat(1000);
        for _ in 0..100 {
            events.extend(input.feed(chunk.as_bytes()));
        }
        events.extend(input.feed(b"\x1b[201~z"));
        let got = got(events);
        assert_eq!(got.len(), 2);
        let Got::Paste(text) = &got[0] else {
            panic!("expected a paste, got {got:?}");
        };
        assert!(text.len() <= PASTE_LIMIT_BYTES);
        assert!(text.len() > PASTE_LIMIT_BYTES - 4);
        assert!(text.starts_with("a中"));
        assert!(text[1..].chars().all(|c| c == '中'));
        assert_eq!(got[1], c('z'));
    }

    #[test]
    fn debug_shows_no_held_bytes() {
        let mut input = TerminalInput::new();
        input.feed(b"\x1b[200~hunter2");
        let shown = format!("{input:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(!shown.contains("104"), "{shown}");
        assert!(shown.contains("paste"), "{shown}");
    }

    /// Splits `bytes` at the given points (taken modulo its length).
    fn chunks(bytes: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
        let mut points: Vec<usize> = cuts.iter().map(|cut| cut % (bytes.len() + 1)).collect();
        points.push(0);
        points.push(bytes.len());
        points.sort_unstable();
        points
            .windows(2)
            .map(|pair| bytes[pair[0]..pair[1]].to_vec())
            .collect()
    }

    fn feed_chunks(bytes: &[u8], cuts: &[usize]) -> Vec<Event> {
        let mut input = TerminalInput::new();
        let mut events = Vec::new();
        for chunk in chunks(bytes, cuts) {
            events.extend(input.feed(&chunk));
        }
        events.extend(input.flush());
        events
    }

    proptest! {
        #[test]
        fn any_bytes_in_any_split_parse_the_same_and_never_yield_a_control_character(
            bytes in proptest::collection::vec(any::<u8>(), 0..300),
            cuts in proptest::collection::vec(any::<usize>(), 0..8),
        ) {
            let split = feed_chunks(&bytes, &cuts);
            for event in &split {
                if let Event::Key(key) = event {
                    prop_assert_eq!(key.kind, KeyEventKind::Press);
                    if let KeyCode::Char(c) = key.code {
                        prop_assert!(!c.is_control(), "control character {:?}", c);
                    }
                }
            }
            prop_assert_eq!(got(split), parse(&bytes));
        }

        #[test]
        fn escape_heavy_bytes_never_yield_a_control_character(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just(b"\x1b".to_vec()),
                    Just(b"\x1b[".to_vec()),
                    Just(b"\x1bO".to_vec()),
                    Just(b"\x1b[200~".to_vec()),
                    Just(b"\x1b[201~".to_vec()),
                    proptest::collection::vec(any::<u8>(), 0..4),
                    proptest::collection::vec(0x20u8..0x40, 0..4),
                ],
                0..40,
            ),
            cuts in proptest::collection::vec(any::<usize>(), 0..8),
        ) {
            let bytes = parts.concat();
            for event in feed_chunks(&bytes, &cuts) {
                if let Event::Key(KeyEvent { code: KeyCode::Char(c), .. }) = event {
                    prop_assert!(!c.is_control(), "control character {:?}", c);
                }
            }
        }

        #[test]
        fn text_in_any_split_yields_exactly_its_characters(
            text in "\\PC*",
            cuts in proptest::collection::vec(any::<usize>(), 0..8),
        ) {
            let text: String = text.chars().filter(|&c| c != char::REPLACEMENT_CHARACTER).collect();
            let expected: Vec<char> = text.chars().collect();
            let typed: Vec<char> = feed_chunks(text.as_bytes(), &cuts)
                .into_iter()
                .map(|event| match event {
                    Event::Key(KeyEvent { code: KeyCode::Char(c), modifiers, .. })
                        if (modifiers - KeyModifiers::SHIFT).is_empty() => c,
                    other => panic!("unexpected event {other:?}"),
                })
                .collect();
            prop_assert_eq!(typed, expected);
        }

        #[test]
        fn pasted_text_in_any_split_is_one_paste(
            text in "[^\u{0}-\u{1f}\u{7f}-\u{9f}\u{fffd}]*",
            cuts in proptest::collection::vec(any::<usize>(), 0..8),
        ) {
            let bytes = [b"\x1b[200~", text.as_bytes(), b"\x1b[201~"].concat();
            prop_assert_eq!(got(feed_chunks(&bytes, &cuts)), vec![Got::Paste(text)]);
        }
    }
}
