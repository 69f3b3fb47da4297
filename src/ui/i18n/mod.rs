//! English and Simplified Chinese. Code is written with the English text, `lang.tr("Members")`;
//! the Chinese catalogs map that text to its translation. A test scans the UI sources so no
//! string is left untranslated.

use std::collections::HashMap;
use std::sync::LazyLock;

/// One catalog file per area, so screens can grow their strings without colliding.
const ZH_CATALOGS: &[(&str, &str)] = &[
    ("common", include_str!("zh-CN/common.toml")),
    ("keys", include_str!("zh-CN/keys.toml")),
    ("setup", include_str!("zh-CN/setup.toml")),
    ("today", include_str!("zh-CN/today.toml")),
    ("members", include_str!("zh-CN/members.toml")),
    ("checkout", include_str!("zh-CN/checkout.toml")),
    ("manager", include_str!("zh-CN/manager.toml")),
    ("approval", include_str!("zh-CN/approval.toml")),
    ("refunds", include_str!("zh-CN/refunds.toml")),
    ("drawer", include_str!("zh-CN/drawer.toml")),
    ("receipts", include_str!("zh-CN/receipts.toml")),
    ("duplicates", include_str!("zh-CN/duplicates.toml")),
    ("enrol", include_str!("zh-CN/enrol.toml")),
    ("hours", include_str!("zh-CN/hours.toml")),
    ("access", include_str!("zh-CN/access.toml")),
    ("erasure", include_str!("zh-CN/erasure.toml")),
    ("merge", include_str!("zh-CN/merge.toml")),
    ("pseudonymised", include_str!("zh-CN/pseudonymised.toml")),
    ("backups", include_str!("zh-CN/backups.toml")),
    ("reports", include_str!("zh-CN/reports.toml")),
    ("alerts", include_str!("zh-CN/alerts.toml")),
];

static ZH: LazyLock<HashMap<String, String>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for (_, text) in ZH_CATALOGS {
        // The catalogs are checked by a unit test; a broken one only leaves English showing.
        if let Ok(table) = toml::from_str::<HashMap<String, String>>(text) {
            map.extend(table);
        }
    }
    map
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Language {
    #[default]
    English,
    SimplifiedChinese,
}

impl Language {
    pub const ALL: [Language; 2] = [Language::English, Language::SimplifiedChinese];

    /// The code stored in a staff member's preferences.
    pub fn code(self) -> &'static str {
        match self {
            Language::English => "en",
            Language::SimplifiedChinese => "zh-CN",
        }
    }

    pub fn from_code(code: &str) -> Option<Language> {
        match code {
            "en" => Some(Language::English),
            "zh-CN" | "zh" | "zh-Hans" => Some(Language::SimplifiedChinese),
            _ => None,
        }
    }

    /// The language's own name, for the preferences screen.
    pub fn native_name(self) -> &'static str {
        match self {
            Language::English => "English",
            Language::SimplifiedChinese => "简体中文",
        }
    }

    pub fn tr(self, english: &'static str) -> &'static str {
        match self {
            Language::English => english,
            Language::SimplifiedChinese => ZH.get(english).map(String::as_str).unwrap_or(english),
        }
    }

    /// Like [`Language::tr`] for text not known at compile time (keymap descriptions).
    pub fn tr_dynamic(self, english: &str) -> &str {
        match self {
            Language::English => english,
            Language::SimplifiedChinese => match ZH.get(english) {
                Some(text) => text.as_str(),
                None => english,
            },
        }
    }

    /// Translates a template, then fills `{name}` placeholders.
    pub fn fill(self, english: &'static str, values: &[(&str, &str)]) -> String {
        let mut text = self.tr(english).to_owned();
        for (name, value) in values {
            text = text.replace(&format!("{{{name}}}"), value);
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogs_parse() {
        for (name, text) in ZH_CATALOGS {
            toml::from_str::<HashMap<String, String>>(text)
                .unwrap_or_else(|e| panic!("zh-CN/{name}.toml: {e}"));
        }
    }

    fn ui_sources(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                ui_sources(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push((
                    path.display().to_string(),
                    std::fs::read_to_string(&path).unwrap(),
                ));
            }
        }
    }

    /// Every literal passed to `tr(` or `fill(` in the UI has a Chinese translation, and so
    /// does every keymap description.
    #[test]
    fn every_ui_string_has_a_translation() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/ui");
        let mut files = Vec::new();
        ui_sources(&root, &mut files);
        let mut missing = Vec::new();
        for (path, text) in files {
            if path.ends_with("i18n/mod.rs") {
                continue;
            }
            for marker in [".tr(", ".fill("] {
                for (start, _) in text.match_indices(marker) {
                    let rest = text[start + marker.len()..].trim_start();
                    let Some(rest) = rest.strip_prefix('"') else {
                        continue;
                    };
                    let mut literal = String::new();
                    let mut chars = rest.chars();
                    while let Some(c) = chars.next() {
                        match c {
                            '"' => break,
                            '\\' => match chars.next() {
                                Some('n') => literal.push('\n'),
                                Some(other) => literal.push(other),
                                None => break,
                            },
                            other => literal.push(other),
                        }
                    }
                    if !ZH.contains_key(&literal) {
                        missing.push(format!("{path}: {literal:?}"));
                    }
                }
            }
        }
        let keymap = crate::ui::keymap::Keymap::defaults();
        for (_, binding) in keymap.all_bindings() {
            if !ZH.contains_key(&binding.desc) {
                missing.push(format!("keymap: {:?}", binding.desc));
            }
        }
        missing.sort();
        missing.dedup();
        assert!(
            missing.is_empty(),
            "untranslated strings:\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn fill_translates_then_substitutes() {
        let english = Language::English.fill("Hello, {name}", &[("name", "Li")]);
        assert_eq!(english, "Hello, Li");
    }
}
