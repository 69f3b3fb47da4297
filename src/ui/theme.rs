//! Themes: TOML files of semantic roles (`selection`, `error`, `masked`…) rather than colours.
//! The four shipped themes are embedded; files in the config dir's `themes/` add or replace
//! them. A role a file leaves out falls back to the default theme.

use std::path::Path;
use std::str::FromStr;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

pub const BUILT_IN: &[(&str, &str)] = &[
    ("default", include_str!("../../themes/default.toml")),
    ("light", include_str!("../../themes/light.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
    ("mono", include_str!("../../themes/mono.toml")),
];

macro_rules! roles {
    ($($role:ident,)*) => {
        /// Styles by meaning. Screens ask for `theme.selection`, never for a colour.
        #[derive(Debug, Clone, PartialEq)]
        pub struct Theme {
            pub name: String,
            $(pub $role: Style,)*
        }

        #[derive(Debug, Default, Deserialize)]
        #[serde(deny_unknown_fields)]
        struct RawRoles {
            $($role: Option<RawStyle>,)*
        }

        impl Theme {
            fn from_raw(name: String, roles: RawRoles, fallback: &Theme) -> Result<Theme, String> {
                Ok(Theme {
                    name,
                    $($role: match roles.$role {
                        Some(raw) => raw.to_style().map_err(|e| format!("role `{}`: {e}", stringify!($role)))?,
                        None => fallback.$role,
                    },)*
                })
            }

            fn plain(name: &str) -> Theme {
                Theme { name: name.to_owned(), $($role: Style::default(),)* }
            }
        }
    };
}

roles! {
    base,
    muted,
    title,
    border,
    border_focused,
    header,
    selection,
    accent,
    key,
    ok,
    warning,
    error,
    banner,
    status,
    masked,
    input,
    input_focused,
    placeholder,
    booked,
    checked_in,
    completed,
    cancelled,
    no_show,
    free,
    now_line,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStyle {
    fg: Option<String>,
    bg: Option<String>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underlined: bool,
    #[serde(default)]
    reversed: bool,
}

impl RawStyle {
    fn to_style(&self) -> Result<Style, String> {
        let mut style = Style::default();
        if let Some(fg) = &self.fg {
            style = style.fg(parse_colour(fg)?);
        }
        if let Some(bg) = &self.bg {
            style = style.bg(parse_colour(bg)?);
        }
        for (on, modifier) in [
            (self.bold, Modifier::BOLD),
            (self.dim, Modifier::DIM),
            (self.italic, Modifier::ITALIC),
            (self.underlined, Modifier::UNDERLINED),
            (self.reversed, Modifier::REVERSED),
        ] {
            if on {
                style = style.add_modifier(modifier);
            }
        }
        Ok(style)
    }
}

fn parse_colour(text: &str) -> Result<Color, String> {
    Color::from_str(text).map_err(|_| {
        format!(
            "`{text}` is not a colour; use a name such as \"cyan\", \"#RRGGBB\" or an index 0-255"
        )
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTheme {
    name: Option<String>,
    #[serde(default)]
    roles: RawRoles,
}

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error("theme `{0}` not found; use one of: {1}, or put {0}.toml in {2}")]
    NotFound(String, String, String),
    #[error("theme file {path}: {message}. Using the default theme; fix the file and restart.")]
    Invalid { path: String, message: String },
}

impl Default for Theme {
    fn default() -> Self {
        Theme::built_in("default").unwrap_or_else(|| Theme::plain("default"))
    }
}

impl Theme {
    /// One of the embedded themes by name.
    pub fn built_in(name: &str) -> Option<Theme> {
        let (_, text) = BUILT_IN.iter().find(|(n, _)| *n == name)?;
        let fallback = Theme::plain("plain");
        // The embedded files are checked by a unit test.
        Theme::parse(text, name, &fallback).ok()
    }

    fn parse(text: &str, default_name: &str, fallback: &Theme) -> Result<Theme, String> {
        let raw: RawTheme =
            toml::from_str(text).map_err(|e| e.to_string().trim().replace('\n', " "))?;
        Theme::from_raw(
            raw.name.unwrap_or_else(|| default_name.to_owned()),
            raw.roles,
            fallback,
        )
    }

    /// Finds a theme by name: a file `NAME.toml` in `user_dir` first, then the built-ins.
    pub fn load(name: &str, user_dir: Option<&Path>) -> Result<Theme, ThemeError> {
        let default = Theme::default();
        if let Some(dir) = user_dir {
            let valid_name = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
            let path = dir.join(format!("{name}.toml"));
            if valid_name && path.is_file() {
                let text = std::fs::read_to_string(&path).map_err(|e| ThemeError::Invalid {
                    path: path.display().to_string(),
                    message: format!("cannot be read ({e})"),
                })?;
                return Theme::parse(&text, name, &default).map_err(|message| {
                    ThemeError::Invalid {
                        path: path.display().to_string(),
                        message,
                    }
                });
            }
        }
        Theme::built_in(name).ok_or_else(|| {
            ThemeError::NotFound(
                name.chars().take(40).collect(),
                BUILT_IN
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>()
                    .join(", "),
                user_dir
                    .map(|d| d.display().to_string())
                    .unwrap_or_else(|| "the config directory's themes/".into()),
            )
        })
    }

    pub fn names() -> Vec<&'static str> {
        BUILT_IN.iter().map(|(name, _)| *name).collect()
    }

    /// Whether this theme carries meaning without colour (used when `NO_COLOR` is set).
    pub fn is_colourless(&self) -> bool {
        let styles = [
            &self.selection,
            &self.input_focused,
            &self.error,
            &self.booked,
        ];
        styles.iter().all(|s| {
            matches!(s.fg, None | Some(Color::Reset)) && matches!(s.bg, None | Some(Color::Reset))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_built_in_theme_parses_with_every_role() {
        for (name, text) in BUILT_IN {
            let theme = Theme::parse(text, name, &Theme::plain("x"))
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(&theme.name, name);
            assert_ne!(
                theme.selection,
                Style::default(),
                "{name} must style the selection"
            );
        }
    }

    #[test]
    fn mono_marks_selection_without_colour() {
        let mono = Theme::built_in("mono").unwrap();
        assert!(mono.is_colourless());
        assert!(mono.selection.add_modifier.contains(Modifier::REVERSED));
        assert!(!Theme::default().is_colourless());
    }

    #[test]
    fn partial_user_theme_falls_back_to_default() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("shop.toml"),
            "[roles]\ntitle = { fg = \"magenta\" }\n",
        )
        .unwrap();
        let theme = Theme::load("shop", Some(dir.path())).unwrap();
        assert_eq!(theme.title.fg, Some(Color::Magenta));
        assert_eq!(theme.selection, Theme::default().selection);
        assert_eq!(theme.name, "shop");
    }

    #[test]
    fn bad_theme_files_name_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("bad.toml"),
            "[roles]\ntitle = { fg = \"blurple\" }\n",
        )
        .unwrap();
        let err = Theme::load("bad", Some(dir.path()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("role `title`"), "{err}");
        assert!(err.contains("`blurple` is not a colour"), "{err}");
        std::fs::write(
            dir.path().join("typo.toml"),
            "[roles]\ntitel = { fg = \"red\" }\n",
        )
        .unwrap();
        let err = Theme::load("typo", Some(dir.path()))
            .unwrap_err()
            .to_string();
        assert!(err.contains("titel"), "{err}");
        let err = Theme::load("nope", None).unwrap_err().to_string();
        assert!(err.contains("default, light, high-contrast, mono"), "{err}");
    }
}
