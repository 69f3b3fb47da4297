//! Keys as data: the embedded default keymap, a user's partial overrides, and the lookup
//! from a key press to an [`Action`] in the current screen's contexts.

use std::fmt;
use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

use super::actions::Action;

const DEFAULT_KEYMAP: &str = include_str!("keymap.toml");

/// A key with its modifiers, as written in a keymap file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl KeyChord {
    /// Shift is part of the character for printable keys (`G`, `?`), so it is ignored there;
    /// terminals disagree on whether they report it.
    pub fn from_event(event: &KeyEvent) -> Self {
        let mut modifiers =
            event.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match event.code {
            KeyCode::Char(c) => {
                modifiers.remove(KeyModifiers::SHIFT);
                if modifiers.contains(KeyModifiers::CONTROL) {
                    KeyCode::Char(c.to_ascii_lowercase())
                } else {
                    KeyCode::Char(c)
                }
            }
            KeyCode::BackTab => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        Self { code, modifiers }
    }

    pub fn parse(text: &str) -> Result<Self, String> {
        let mut chars = text.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            return Ok(Self {
                code: KeyCode::Char(c),
                modifiers: KeyModifiers::NONE,
            });
        }
        let inner = text
            .strip_prefix('<')
            .and_then(|rest| rest.strip_suffix('>'))
            .ok_or_else(|| format!("`{text}` is not a key; write one character or a name in angle brackets such as <C-k>"))?;
        let mut modifiers = KeyModifiers::NONE;
        let mut name = inner;
        loop {
            let (prefix, rest) = match name.split_once('-') {
                Some((prefix, rest)) if !rest.is_empty() && prefix.len() == 1 => (prefix, rest),
                _ => break,
            };
            match prefix {
                "C" | "c" => modifiers |= KeyModifiers::CONTROL,
                "A" | "a" | "M" | "m" => modifiers |= KeyModifiers::ALT,
                "S" | "s" => modifiers |= KeyModifiers::SHIFT,
                _ => {
                    return Err(format!(
                        "`{text}`: unknown modifier `{prefix}-`; use C-, A- or S-"
                    ));
                }
            }
            name = rest;
        }
        let code = match name.to_ascii_lowercase().as_str() {
            "enter" | "cr" | "return" => KeyCode::Enter,
            "esc" | "escape" => KeyCode::Esc,
            "tab" if modifiers.contains(KeyModifiers::SHIFT) => {
                modifiers.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pageup" => KeyCode::PageUp,
            "pagedown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "space" => KeyCode::Char(' '),
            "backspace" | "bs" => KeyCode::Backspace,
            "delete" | "del" => KeyCode::Delete,
            "insert" | "ins" => KeyCode::Insert,
            lower => {
                let mut chars = name.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => {
                        KeyCode::Char(if modifiers.contains(KeyModifiers::CONTROL) {
                            c.to_ascii_lowercase()
                        } else {
                            c
                        })
                    }
                    _ => match lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                        Some(n @ 1..=12) => KeyCode::F(n),
                        _ => return Err(format!("`{text}`: unknown key name `{name}`")),
                    },
                }
            }
        };
        if let KeyCode::Char(_) = code {
            modifiers.remove(KeyModifiers::SHIFT);
        }
        Ok(Self { code, modifiers })
    }
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.modifiers.contains(KeyModifiers::CONTROL) {
            f.write_str("Ctrl-")?;
        }
        if self.modifiers.contains(KeyModifiers::ALT) {
            f.write_str("Alt-")?;
        }
        if self.modifiers.contains(KeyModifiers::SHIFT) {
            f.write_str("Shift-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("Space"),
            KeyCode::Char(c) if self.modifiers.contains(KeyModifiers::CONTROL) => {
                write!(f, "{}", c.to_ascii_uppercase())
            }
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("Enter"),
            KeyCode::Esc => f.write_str("Esc"),
            KeyCode::Tab => f.write_str("Tab"),
            KeyCode::BackTab => f.write_str("Shift-Tab"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::Left => f.write_str("←"),
            KeyCode::Right => f.write_str("→"),
            KeyCode::PageUp => f.write_str("PgUp"),
            KeyCode::PageDown => f.write_str("PgDn"),
            KeyCode::Home => f.write_str("Home"),
            KeyCode::End => f.write_str("End"),
            KeyCode::Backspace => f.write_str("Backspace"),
            KeyCode::Delete => f.write_str("Del"),
            KeyCode::Insert => f.write_str("Ins"),
            KeyCode::F(n) => write!(f, "F{n}"),
            _ => f.write_str("?"),
        }
    }
}

/// Where a binding applies. A screen lists its contexts, most specific first; `Global` is
/// always consulted last.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyContext {
    Global,
    List,
    Form,
    Today,
    Members,
    Member,
    Booking,
    Checkout,
    Staff,
    SshKeys,
    Settings,
    Audit,
    EndOfDay,
    Reports,
    Receipt,
    /// The panel naming a member who already has the phone, email or plate just typed.
    Duplicate,
    /// Importing members from a CSV file.
    Import,
    /// Folding another record of the same person into a member.
    Merge,
    /// Anomaly alerts (manager).
    Alerts,
}

impl KeyContext {
    pub const ALL: &'static [KeyContext] = &[
        KeyContext::Global,
        KeyContext::List,
        KeyContext::Form,
        KeyContext::Today,
        KeyContext::Members,
        KeyContext::Member,
        KeyContext::Booking,
        KeyContext::Checkout,
        KeyContext::Staff,
        KeyContext::SshKeys,
        KeyContext::Settings,
        KeyContext::Audit,
        KeyContext::EndOfDay,
        KeyContext::Reports,
        KeyContext::Receipt,
        KeyContext::Duplicate,
        KeyContext::Import,
        KeyContext::Merge,
        KeyContext::Alerts,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            KeyContext::Global => "global",
            KeyContext::List => "list",
            KeyContext::Form => "form",
            KeyContext::Today => "today",
            KeyContext::Members => "members",
            KeyContext::Member => "member",
            KeyContext::Booking => "booking",
            KeyContext::Checkout => "checkout",
            KeyContext::Staff => "staff",
            KeyContext::SshKeys => "ssh_keys",
            KeyContext::Settings => "settings",
            KeyContext::Audit => "audit",
            KeyContext::EndOfDay => "end_of_day",
            KeyContext::Reports => "reports",
            KeyContext::Receipt => "receipt",
            KeyContext::Duplicate => "duplicate",
            KeyContext::Import => "import",
            KeyContext::Merge => "merge",
            KeyContext::Alerts => "alerts",
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .iter()
            .copied()
            .find(|context| context.as_str() == name)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub keys: Vec<KeyChord>,
    pub action: Action,
    /// English; the UI translates it when drawing help and the palette.
    pub desc: String,
}

#[derive(Debug, Clone)]
pub struct Keymap {
    sections: Vec<(KeyContext, Vec<Binding>)>,
}

#[derive(Debug, thiserror::Error)]
#[error("keymap file {path}: {message}. The default keys are in use; fix the file and restart.")]
pub struct KeymapError {
    pub path: String,
    pub message: String,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum KeySpec {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBinding {
    on: KeySpec,
    run: String,
    desc: Option<String>,
}

type RawKeymap = std::collections::BTreeMap<String, Vec<RawBinding>>;

fn parse_sections(text: &str) -> Result<Vec<(KeyContext, Vec<Binding>)>, String> {
    let raw: RawKeymap =
        toml::from_str(text).map_err(|e| e.to_string().trim().replace('\n', " "))?;
    let mut sections = Vec::new();
    for (section, entries) in raw {
        let context = KeyContext::from_name(&section).ok_or_else(|| {
            format!(
                "unknown section [[{section}]]; use one of: {}",
                KeyContext::ALL
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        })?;
        let mut bindings = Vec::new();
        for entry in entries {
            let action = Action::from_name(&entry.run)
                .ok_or_else(|| format!("[[{section}]]: unknown action `{}`", entry.run))?;
            let texts = match entry.on {
                KeySpec::One(text) => vec![text],
                KeySpec::Many(texts) => texts,
            };
            if texts.is_empty() {
                return Err(format!(
                    "[[{section}]] run = \"{}\": `on` names no key",
                    entry.run
                ));
            }
            let keys = texts
                .iter()
                .map(|text| {
                    KeyChord::parse(text)
                        .map_err(|e| format!("[[{section}]] run = \"{}\": {e}", entry.run))
                })
                .collect::<Result<Vec<_>, _>>()?;
            bindings.push(Binding {
                keys,
                action,
                desc: entry.desc.unwrap_or_default(),
            });
        }
        sections.push((context, bindings));
    }
    Ok(sections)
}

impl Default for Keymap {
    fn default() -> Self {
        Self::defaults()
    }
}

impl Keymap {
    /// The embedded keys. They are checked by a unit test, so a parse failure here is a
    /// build defect; an empty keymap still leaves Esc and Ctrl-C handled by the app.
    pub fn defaults() -> Self {
        Self {
            sections: parse_sections(DEFAULT_KEYMAP).unwrap_or_default(),
        }
    }

    /// Applies a user's overrides: each entry replaces the keys of the same action in the same
    /// section (keeping the default description unless it gives one), or adds a binding.
    pub fn with_overrides(mut self, text: &str, path: &Path) -> Result<Self, KeymapError> {
        let overrides = parse_sections(text).map_err(|message| KeymapError {
            path: path.display().to_string(),
            message,
        })?;
        for (context, bindings) in overrides {
            let section = match self.sections.iter_mut().find(|(c, _)| *c == context) {
                Some((_, section)) => section,
                None => {
                    self.sections.push((context, Vec::new()));
                    match self.sections.last_mut() {
                        Some((_, section)) => section,
                        None => continue,
                    }
                }
            };
            for binding in bindings {
                match section.iter_mut().find(|b| b.action == binding.action) {
                    Some(existing) => {
                        existing.keys = binding.keys;
                        if !binding.desc.is_empty() {
                            existing.desc = binding.desc;
                        }
                    }
                    None => section.push(binding),
                }
            }
        }
        Ok(self)
    }

    /// Loads `keymap.toml` from `dir` if there is one. A bad file keeps the defaults and
    /// returns the error to show.
    pub fn load(dir: Option<&Path>) -> (Self, Option<KeymapError>) {
        let defaults = Self::defaults();
        let Some(path) = dir.map(|dir| dir.join("keymap.toml")) else {
            return (defaults, None);
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => match defaults.clone().with_overrides(&text, &path) {
                Ok(keymap) => (keymap, None),
                Err(err) => (defaults, Some(err)),
            },
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => (defaults, None),
            Err(err) => (
                defaults,
                Some(KeymapError {
                    path: path.display().to_string(),
                    message: format!("cannot be read ({err})"),
                }),
            ),
        }
    }

    pub fn section(&self, context: KeyContext) -> &[Binding] {
        self.sections
            .iter()
            .find(|(c, _)| *c == context)
            .map(|(_, bindings)| bindings.as_slice())
            .unwrap_or(&[])
    }

    /// The action bound to `key` in the first of `contexts` that binds it, then globally.
    pub fn action_for(&self, contexts: &[KeyContext], key: &KeyEvent) -> Option<Action> {
        let chord = KeyChord::from_event(key);
        contexts
            .iter()
            .chain(std::iter::once(&KeyContext::Global))
            .find_map(|context| {
                self.section(*context)
                    .iter()
                    .find(|binding| binding.keys.contains(&chord))
                    .map(|binding| binding.action)
            })
    }

    /// The first binding of `action` in these contexts, for hints such as "F1 help".
    pub fn binding_for(&self, contexts: &[KeyContext], action: Action) -> Option<&Binding> {
        contexts
            .iter()
            .chain(std::iter::once(&KeyContext::Global))
            .find_map(|context| self.section(*context).iter().find(|b| b.action == action))
    }

    /// Every action with its description, for the command palette.
    pub fn all_bindings(&self) -> impl Iterator<Item = (KeyContext, &Binding)> {
        self.sections
            .iter()
            .flat_map(|(context, bindings)| bindings.iter().map(move |b| (*context, b)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn embedded_defaults_parse_and_describe_every_binding() {
        let sections = parse_sections(DEFAULT_KEYMAP).expect("embedded keymap parses");
        for (context, bindings) in sections {
            for binding in bindings {
                assert!(
                    !binding.desc.is_empty(),
                    "{} {} has no desc",
                    context.as_str(),
                    binding.action.as_str()
                );
            }
        }
    }

    #[test]
    fn no_key_is_bound_twice_in_one_section() {
        let keymap = Keymap::defaults();
        for context in KeyContext::ALL {
            let mut seen = std::collections::HashSet::new();
            for binding in keymap.section(*context) {
                for chord in &binding.keys {
                    assert!(
                        seen.insert(*chord),
                        "{} binds {chord} twice",
                        context.as_str()
                    );
                }
            }
        }
    }

    #[test]
    fn parses_key_names() {
        let ctrl_k = KeyChord::parse("<C-k>").unwrap();
        assert_eq!(
            ctrl_k,
            KeyChord::from_event(&key(KeyCode::Char('k'), KeyModifiers::CONTROL))
        );
        assert_eq!(KeyChord::parse("<S-Tab>").unwrap().code, KeyCode::BackTab);
        assert_eq!(KeyChord::parse("<F12>").unwrap().code, KeyCode::F(12));
        assert_eq!(
            KeyChord::parse("G").unwrap(),
            KeyChord::from_event(&key(KeyCode::Char('G'), KeyModifiers::SHIFT))
        );
        assert!(KeyChord::parse("<Hyper-x>").is_err());
        assert!(KeyChord::parse("<F13>").is_err());
        assert_eq!(ctrl_k.to_string(), "Ctrl-K");
    }

    #[test]
    fn screen_context_wins_over_global() {
        let keymap = Keymap::defaults();
        let w = key(KeyCode::Char('w'), KeyModifiers::NONE);
        assert_eq!(
            keymap.action_for(&[KeyContext::Today], &w),
            Some(Action::WalkIn)
        );
        assert_eq!(keymap.action_for(&[KeyContext::Members], &w), None);
        let f1 = key(KeyCode::F(1), KeyModifiers::NONE);
        assert_eq!(
            keymap.action_for(&[KeyContext::Today], &f1),
            Some(Action::Help)
        );
    }

    #[test]
    fn override_replaces_only_what_it_names() {
        let text = "[[today]]\non = \"W\"\nrun = \"walk_in\"\n";
        let keymap = Keymap::defaults()
            .with_overrides(text, Path::new("k.toml"))
            .unwrap();
        let big_w = key(KeyCode::Char('W'), KeyModifiers::SHIFT);
        assert_eq!(
            keymap.action_for(&[KeyContext::Today], &big_w),
            Some(Action::WalkIn)
        );
        let small_w = key(KeyCode::Char('w'), KeyModifiers::NONE);
        assert_eq!(keymap.action_for(&[KeyContext::Today], &small_w), None);
        let binding = keymap
            .binding_for(&[KeyContext::Today], Action::WalkIn)
            .unwrap();
        assert_eq!(binding.desc, "Walk-in: next free bay now");
        let n = key(KeyCode::Char('n'), KeyModifiers::NONE);
        assert_eq!(
            keymap.action_for(&[KeyContext::Today], &n),
            Some(Action::NewBooking)
        );
    }

    #[test]
    fn bad_files_name_the_problem() {
        let path = Path::new("/home/x/keymap.toml");
        let unknown =
            Keymap::defaults().with_overrides("[[today]]\non = \"w\"\nrun = \"fly\"\n", path);
        assert!(
            unknown
                .unwrap_err()
                .to_string()
                .contains("unknown action `fly`")
        );
        let section =
            Keymap::defaults().with_overrides("[[kitchen]]\non = \"w\"\nrun = \"help\"\n", path);
        assert!(
            section
                .unwrap_err()
                .to_string()
                .contains("unknown section [[kitchen]]")
        );
        let syntax = Keymap::defaults()
            .with_overrides("[[today]\n", path)
            .unwrap_err();
        assert!(
            syntax
                .to_string()
                .starts_with("keymap file /home/x/keymap.toml:")
        );
        assert!(syntax.to_string().contains("default keys are in use"));
    }

    #[test]
    fn unreadable_or_missing_file_keeps_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let (keymap, error) = Keymap::load(Some(dir.path()));
        assert!(error.is_none());
        assert!(keymap.binding_for(&[], Action::Help).is_some());
        std::fs::write(dir.path().join("keymap.toml"), "nonsense = 1").unwrap();
        let (keymap, error) = Keymap::load(Some(dir.path()));
        assert!(error.is_some());
        assert!(keymap.binding_for(&[], Action::Help).is_some());
    }
}
