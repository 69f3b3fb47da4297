//! Sites of a chain: a small index and a name. Bays, hours, closures, drawers, receipt
//! numbering and taxes belong to a site; members, plans and staff belong to the chain.
//! A single shop is a chain of one site, the first (index 0), which every store already is.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::sanitize::sanitize_line;

/// A site's index in its chain. The first site is 0; it is never stored where it is implied.
pub type SiteIndex = u16;

/// The site every store is before a second one is added.
pub const FIRST_SITE: SiteIndex = 0;

/// The most sites a chain may hold (receipt keys keep the site in 16 bits).
pub const MAX_SITES: usize = 256;

/// The longest site name, in characters.
pub const SITE_NAME_MAX: usize = 40;

/// One site of the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Site {
    pub index: SiteIndex,
    pub name: String,
    pub added_at: DateTime<Utc>,
}

/// Every site of the chain, in index order. A store without one is a single site named after
/// the shop; see [`SiteRegistry::implicit`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteRegistry {
    pub sites: Vec<Site>,
}

/// Why a site could not be added or found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SiteError {
    #[error("a site name needs 1 to {SITE_NAME_MAX} characters; type a shorter or non-empty name")]
    BadName,
    #[error("there is already a site called `{0}`; choose another name")]
    Taken(String),
    #[error("the chain already has {MAX_SITES} sites, the most it can hold")]
    Full,
    #[error("there is no site called `{asked}`; the sites are: {known}")]
    Unknown { asked: String, known: String },
}

/// A site name as typed, cleaned: no control or bidi characters, single-spaced, trimmed.
pub fn normalize_site_name(input: &str) -> Result<String, SiteError> {
    let clean = sanitize_line(input);
    let name = clean.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() || name.chars().count() > SITE_NAME_MAX {
        return Err(SiteError::BadName);
    }
    Ok(name)
}

/// Site names compare without regard to case, so `North` and `north` are one site.
fn same_name(a: &str, b: &str) -> bool {
    a.to_lowercase() == b.to_lowercase()
}

impl SiteRegistry {
    /// The chain of one a store is before any site was added: the first site, named `name`
    /// (the shop's name).
    pub fn implicit(name: &str, since: DateTime<Utc>) -> Self {
        Self {
            sites: vec![Site {
                index: FIRST_SITE,
                name: name.to_owned(),
                added_at: since,
            }],
        }
    }

    /// Whether the chain has more than one site (front ends then show the site's name).
    pub fn is_chain(&self) -> bool {
        self.sites.len() > 1
    }

    pub fn get(&self, index: SiteIndex) -> Option<&Site> {
        self.sites.iter().find(|site| site.index == index)
    }

    /// The site called `name` (any case).
    pub fn find(&self, name: &str) -> Result<&Site, SiteError> {
        let wanted = name.trim();
        self.sites
            .iter()
            .find(|site| same_name(&site.name, wanted))
            .ok_or_else(|| SiteError::Unknown {
                asked: sanitize_line(wanted).chars().take(SITE_NAME_MAX).collect(),
                known: self.names().join(", "),
            })
    }

    pub fn names(&self) -> Vec<String> {
        self.sites.iter().map(|site| site.name.clone()).collect()
    }

    /// Adds a site with the next free index and returns it.
    pub fn add(&mut self, name: &str, at: DateTime<Utc>) -> Result<Site, SiteError> {
        let name = normalize_site_name(name)?;
        if self.sites.iter().any(|site| same_name(&site.name, &name)) {
            return Err(SiteError::Taken(name));
        }
        if self.sites.len() >= MAX_SITES {
            return Err(SiteError::Full);
        }
        let index = self
            .sites
            .iter()
            .map(|site| site.index)
            .max()
            .map_or(Some(FIRST_SITE), |max| max.checked_add(1))
            .ok_or(SiteError::Full)?;
        let site = Site {
            index,
            name,
            added_at: at,
        };
        self.sites.push(site.clone());
        Ok(site)
    }
}

/// Which sites a staff account may log in at: `None` is every site of the chain.
pub fn may_work_at(allowed: Option<&[SiteIndex]>, site: SiteIndex) -> bool {
    allowed.is_none_or(|sites| sites.contains(&site))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_225_600, 0).unwrap()
    }

    #[test]
    fn a_store_without_sites_is_a_chain_of_one_named_after_the_shop() {
        let registry = SiteRegistry::implicit("Sparkle Wash", at());
        assert!(!registry.is_chain());
        assert_eq!(registry.find("sparkle wash").unwrap().index, FIRST_SITE);
    }

    #[test]
    fn sites_get_the_next_index_and_names_are_unique_in_any_case() {
        let mut registry = SiteRegistry::implicit("Main", at());
        let north = registry.add("  North   Road ", at()).unwrap();
        assert_eq!((north.index, north.name.as_str()), (1, "North Road"));
        assert_eq!(
            registry.add("north road", at()),
            Err(SiteError::Taken("north road".into()))
        );
        assert_eq!(registry.add(" \u{202e} ", at()), Err(SiteError::BadName));
        assert_eq!(registry.add(&"x".repeat(41), at()), Err(SiteError::BadName));
        assert!(registry.is_chain());
        assert_eq!(registry.add("East", at()).unwrap().index, 2);
    }

    #[test]
    fn an_unknown_site_names_the_known_ones() {
        let mut registry = SiteRegistry::implicit("Main", at());
        registry.add("North", at()).unwrap();
        let err = registry.find("South").unwrap_err();
        assert_eq!(
            err.to_string(),
            "there is no site called `South`; the sites are: Main, North"
        );
    }

    #[test]
    fn a_limited_account_works_only_at_its_sites() {
        assert!(may_work_at(None, 3));
        assert!(may_work_at(Some(&[0, 2]), 2));
        assert!(!may_work_at(Some(&[0, 2]), 1));
    }
}
