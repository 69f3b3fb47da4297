//! The chain's sites: the registry (a META record), the site this process works at, which
//! site a visit, sale, booking, shift or bay belongs to, and which sites a staff account may
//! log in at. A store without a registry is a chain of one: the first site, named after the
//! shop, whose records carry no site at all.

use std::collections::BTreeMap;

use super::{Service, ServiceError, Session};
use crate::audit::AuditAction;
use crate::domain::access::Operation;
use crate::domain::site::{FIRST_SITE, Site, SiteError, SiteIndex, SiteRegistry};
use crate::ids::RecordId;
use crate::store::records::{BookingRecord, ReceiptFor, SaleRecord, VisitRecord};
use crate::store::schema::{
    BAYS, BOOKINGS, META_BAY_SITES, META_SHIFT_SITE_PREFIX, META_SITES, META_STAFF_SITES, SALES,
    VISITS,
};
use crate::store::{ReadAccess, StoreWriter, decode_record};

/// Staff id → the sites that account may log in at.
type StaffSites = BTreeMap<RecordId, Vec<SiteIndex>>;

impl From<SiteError> for ServiceError {
    fn from(err: SiteError) -> Self {
        ServiceError::InvalidInput(capitalised(&err.to_string()))
    }
}

fn capitalised(sentence: &str) -> String {
    let mut chars = sentence.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect::<String>() + ".",
        None => String::new(),
    }
}

/// The chain's sites as stored, or the implicit single site named after the shop.
pub(super) fn registry_in(
    service: &Service,
    reader: &impl ReadAccess,
) -> Result<SiteRegistry, ServiceError> {
    if let Some(registry) = reader.meta_record::<SiteRegistry>(META_SITES)? {
        return Ok(registry);
    }
    let settings = service.settings()?;
    Ok(SiteRegistry::implicit(
        &settings.shop_name,
        settings.created_at,
    ))
}

/// Every site index of the chain, in order (the first alone for a single shop).
pub(super) fn chain_site_indexes<R: ReadAccess + ?Sized>(
    reader: &R,
) -> Result<Vec<SiteIndex>, ServiceError> {
    Ok(reader.meta_record::<SiteRegistry>(META_SITES)?.map_or_else(
        || vec![FIRST_SITE],
        |registry| registry.sites.iter().map(|site| site.index).collect(),
    ))
}

/// Bay id → site, for bays not at the first site.
type BaySites = BTreeMap<RecordId, SiteIndex>;

/// The site a bay belongs to (a bay not in the map is the first site's).
pub(super) fn bay_site<R: ReadAccess + ?Sized>(
    reader: &R,
    bay: RecordId,
) -> Result<SiteIndex, ServiceError> {
    let bays: BaySites = reader.meta_record(META_BAY_SITES)?.unwrap_or_default();
    Ok(bays.get(&bay).copied().unwrap_or(FIRST_SITE))
}

/// Records that a new bay belongs to `site`, in the caller's transaction (nothing for the
/// first site, so a single shop writes nothing more than before).
pub(super) fn mark_bay_site(
    writer: &mut StoreWriter,
    site: SiteIndex,
    bay: RecordId,
) -> Result<(), ServiceError> {
    if site != FIRST_SITE {
        let mut bays: BaySites = writer.meta_record(META_BAY_SITES)?.unwrap_or_default();
        bays.insert(bay, site);
        writer.put_meta_record(META_BAY_SITES, &bays)?;
    }
    Ok(())
}

fn shift_site_key(shift: RecordId) -> String {
    format!("{META_SHIFT_SITE_PREFIX}{shift}")
}

/// The site a cash-drawer shift was opened at.
pub(super) fn shift_site<R: ReadAccess + ?Sized>(
    reader: &R,
    shift: RecordId,
) -> Result<SiteIndex, ServiceError> {
    Ok(reader
        .meta_record::<SiteIndex>(&shift_site_key(shift))?
        .unwrap_or(FIRST_SITE))
}

/// Records that a new shift is at `site`, in the caller's transaction (nothing for the first
/// site).
pub(super) fn mark_shift_site(
    writer: &mut StoreWriter,
    site: SiteIndex,
    shift: RecordId,
) -> Result<(), ServiceError> {
    if site != FIRST_SITE {
        writer.put_meta_record(&shift_site_key(shift), &site)?;
    }
    Ok(())
}

/// The site whose receipt `number` was issued for `what`: each site numbers its own
/// receipts, so a visit, sale or refund is at the site whose receipt it carries. Records
/// without a receipt (made before receipts were numbered) are the first site's.
pub(super) fn receipt_site<R: ReadAccess + ?Sized>(
    reader: &R,
    number: Option<u64>,
    what: &ReceiptFor,
) -> Result<SiteIndex, ServiceError> {
    let Some(number) = number else {
        return Ok(FIRST_SITE);
    };
    for site in chain_site_indexes(reader)? {
        if let Some(bytes) = reader.receipt_bytes_at(site, number)?
            && decode_record::<ReceiptFor>("receipt", &bytes)? == *what
        {
            return Ok(site);
        }
    }
    Ok(FIRST_SITE)
}

/// The META key of a per-site setting: the first site keeps the key a single shop always had
/// (`schedule`, `till`); another site's is `key/site`.
fn site_key(key: &str, site: SiteIndex) -> String {
    if site == FIRST_SITE {
        key.to_owned()
    } else {
        format!("{key}/{site}")
    }
}

/// A per-site setting of `site`: its own once set, until then the first site's (a new site
/// starts with the hours, closures and till of the first), else the default.
pub(super) fn site_setting<T: serde::de::DeserializeOwned + Default, R: ReadAccess + ?Sized>(
    reader: &R,
    key: &str,
    site: SiteIndex,
) -> Result<T, ServiceError> {
    if site != FIRST_SITE
        && let Some(own) = reader.meta_record::<T>(&site_key(key, site))?
    {
        return Ok(own);
    }
    Ok(reader.meta_record::<T>(key)?.unwrap_or_default())
}

/// Saves `site`'s own copy of a per-site setting, in the caller's transaction.
pub(super) fn put_site_setting<T: serde::Serialize>(
    writer: &mut StoreWriter,
    key: &str,
    site: SiteIndex,
    value: &T,
) -> Result<(), ServiceError> {
    writer.put_meta_record(&site_key(key, site), value)?;
    Ok(())
}

/// What [`Service::site_of`] is asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SiteOf {
    Visit(RecordId),
    Sale(RecordId),
    Booking(RecordId),
    Shift(RecordId),
    Bay(RecordId),
}

impl Service {
    /// Makes this service work at the site called `name` (`None`: the first site). Called
    /// once at startup, before any login; an unknown name is refused naming the known sites.
    pub fn at_site(mut self, name: Option<&str>) -> Result<Self, ServiceError> {
        let Some(name) = name.map(str::trim).filter(|name| !name.is_empty()) else {
            return Ok(self);
        };
        let reader = self.store.read()?;
        let registry = registry_in(&self, &reader)?;
        self.site = registry.find(name)?.index;
        Ok(self)
    }

    /// Another service on the same store, working at the site called `name`: what a second
    /// site's process is in a chain on one database (for tools and tests in one process).
    /// It has sessions of its own; nothing is unlocked until a staff member logs in there.
    pub fn sibling_at_site(&self, name: &str) -> Result<Service, ServiceError> {
        Service::new_shared(self.store.clone(), self.clock.clone(), self.entropy.clone())
            .at_site(Some(name))
    }

    /// The bays of this process's site, in id order: the only ones it books, walks in to
    /// and shows on its board.
    pub(super) fn site_bays(
        &self,
        reader: &impl ReadAccess,
    ) -> Result<Vec<crate::domain::catalog::Bay>, ServiceError> {
        let mut bays = Vec::new();
        for bay in reader.all::<crate::domain::catalog::Bay>(BAYS, "bay")? {
            if bay_site(reader, bay.id)? == self.site {
                bays.push(bay);
            }
        }
        Ok(bays)
    }

    /// The site of the chain a visit, sale, booking, shift or bay belongs to (any staff).
    pub fn site_of(&self, session: &Session, of: SiteOf) -> Result<SiteIndex, ServiceError> {
        self.authorize(session, Operation::SearchMembers)?;
        let reader = self.store.read()?;
        match of {
            SiteOf::Visit(id) => {
                let visit = reader
                    .get::<VisitRecord>(VISITS, id, "visit")?
                    .ok_or(ServiceError::NotFound("visit"))?;
                receipt_site(&reader, visit.receipt_number, &ReceiptFor::Visit(id))
            }
            SiteOf::Sale(id) => {
                let sale = reader
                    .get::<SaleRecord>(SALES, id, "sale")?
                    .ok_or(ServiceError::NotFound("sale"))?;
                receipt_site(&reader, sale.receipt_number, &ReceiptFor::Sale(id))
            }
            SiteOf::Booking(id) => {
                let booking = reader
                    .get::<BookingRecord>(BOOKINGS, id, "booking")?
                    .ok_or(ServiceError::NotFound("booking"))?;
                bay_site(&reader, booking.bay)
            }
            SiteOf::Shift(id) => shift_site(&reader, id),
            SiteOf::Bay(id) => bay_site(&reader, id),
        }
    }

    /// The staff member's open drawer when it is at this site: cash taken here never goes
    /// into a drawer left open at another site of the chain.
    pub(super) fn site_shift(
        &self,
        reader: &impl ReadAccess,
        staff: RecordId,
    ) -> Result<Option<RecordId>, ServiceError> {
        match reader.open_shift_id(staff)? {
            Some(shift) if shift_site(reader, shift)? == self.site => Ok(Some(shift)),
            _ => Ok(None),
        }
    }

    /// The site this process works at.
    pub fn site(&self) -> SiteIndex {
        self.site
    }

    /// The name of the site this process works at, when the chain has more than one site
    /// (front ends show it in their header); `None` for a single shop.
    pub fn chain_site_name(&self) -> Result<Option<String>, ServiceError> {
        let registry = registry_in(self, &self.store.read()?)?;
        Ok(registry
            .is_chain()
            .then(|| registry.get(self.site).map(|site| site.name.clone()))
            .flatten())
    }

    /// Every site of the chain, in index order (manager).
    pub fn sites(&self, session: &Session) -> Result<Vec<Site>, ServiceError> {
        self.authorize(session, Operation::ManageSites)?;
        Ok(registry_in(self, &self.store.read()?)?.sites)
    }

    /// Adds a site to the chain (manager). The first site keeps the shop's name.
    pub fn add_site(&self, session: &Session, name: &str) -> Result<Site, ServiceError> {
        let caller = self.authorize(session, Operation::ManageSites)?;
        let now = self.clock.now();
        let draft = caller.draft(AuditAction::SiteAdded);
        self.write_audited(
            |writer, draft| {
                let mut registry = registry_in(self, writer)?;
                let site = registry.add(name, now)?;
                writer.put_meta_record(META_SITES, &registry)?;
                draft.objects.push(format!("site {}", site.index));
                Ok(site)
            },
            draft,
        )
    }

    /// Limits a staff account to some sites (manager); `None` lets it work at every site.
    /// Names are the sites' names; an unknown one is refused naming the known sites.
    pub fn limit_staff_sites(
        &self,
        session: &Session,
        username: &str,
        sites: Option<&[String]>,
    ) -> Result<Option<Vec<SiteIndex>>, ServiceError> {
        let caller = self.authorize(session, Operation::ManageSites)?;
        let mut draft = caller.draft(AuditAction::StaffSitesChanged);
        draft.fields.push("sites".to_owned());
        self.write_audited(
            |writer, draft| {
                let staff = writer
                    .staff_by_username(username.trim())?
                    .ok_or(ServiceError::NotFound("staff account"))?;
                let registry = registry_in(self, writer)?;
                let chosen = match sites {
                    None => None,
                    Some(names) => {
                        let mut indexes = names
                            .iter()
                            .map(|name| registry.find(name).map(|site| site.index))
                            .collect::<Result<Vec<_>, _>>()?;
                        indexes.sort_unstable();
                        indexes.dedup();
                        if indexes.is_empty() {
                            return Err(ServiceError::invalid(
                                "Name at least one site, or use --all to let the account work at every site.",
                            ));
                        }
                        Some(indexes)
                    }
                };
                let mut limits: StaffSites =
                    writer.meta_record(META_STAFF_SITES)?.unwrap_or_default();
                match &chosen {
                    Some(indexes) => limits.insert(staff.id, indexes.clone()),
                    None => limits.remove(&staff.id),
                };
                writer.put_meta_record(META_STAFF_SITES, &limits)?;
                draft.objects.push(staff.id.to_string());
                draft.add_detail(match &chosen {
                    Some(indexes) => format!(
                        "sites: {}",
                        indexes
                            .iter()
                            .map(u16::to_string)
                            .collect::<Vec<_>>()
                            .join(",")
                    ),
                    None => "sites: all".to_owned(),
                });
                Ok(chosen)
            },
            draft,
        )
    }

    /// The sites a staff account may log in at; `None` is every site.
    pub(super) fn staff_sites_in(
        reader: &impl ReadAccess,
        staff: RecordId,
    ) -> Result<Option<Vec<SiteIndex>>, ServiceError> {
        let limits: StaffSites = reader.meta_record(META_STAFF_SITES)?.unwrap_or_default();
        Ok(limits.get(&staff).cloned())
    }

    /// The refusal for an account limited to other sites, naming where it may log in.
    pub(super) fn site_refusal(
        &self,
        reader: &impl ReadAccess,
        allowed: &[SiteIndex],
    ) -> Result<ServiceError, ServiceError> {
        let registry = registry_in(self, reader)?;
        let name_of = |index: SiteIndex| {
            registry
                .get(index)
                .map_or_else(|| format!("site {index}"), |site| site.name.clone())
        };
        Ok(ServiceError::WrongSite {
            here: name_of(self.site),
            allowed: allowed
                .iter()
                .map(|index| name_of(*index))
                .collect::<Vec<_>>()
                .join(", "),
        })
    }
}
