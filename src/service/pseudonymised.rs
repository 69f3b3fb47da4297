//! The pseudonymised analysis export (issue 13): one CSV row per live member with a keyed
//! pseudonym instead of any identifier, the tier, the month they joined, visits per month,
//! a spend band, vehicle kinds and consent flags — nothing that names, reaches or recognises
//! the customer. A manager only, after a fresh code; audited with the row count, the months
//! and whether the export is linkable, never a value.
//!
//! Pseudonyms are HMAC-SHA256 of the member id under a key derived (HKDF) from the store key
//! with the export's salt. By default the salt is fresh and random and never stored, so two
//! exports cannot be joined. A named series keeps its salt in the store, so the exports of
//! that series share pseudonyms (the manager asked for linkable exports).
//!
//! Nothing personal is decrypted: every column comes from plain operational records, read in
//! one snapshot. Rows are sorted by pseudonym, never by member number or joining order, which
//! would re-identify them.

use std::collections::HashMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::reports::{CLOCK_SLACK, first_id_at};
use super::{Caller, Service, ServiceError, Session};
use crate::audit::AuditAction;
use crate::domain::access::Operation;
use crate::domain::analysis_export::{
    Month, SpendBand, check_months, months_ending, normalize_series_name,
};
use crate::domain::loyalty::tier_for;
use crate::domain::sanitize::{neutralise_formula, sanitize_line};
use crate::domain::schedule::local_time::local_day_span;
use crate::domain::vehicle::VehicleKind;
use crate::ids::RecordId;
use crate::private_file::{self, Existing, PrivateFile, PrivateFileError};
use crate::store::records::{
    ConsentPurpose, ConsentRecord, MemberRecord, MemberStats, SaleRecord, VehicleRecord,
    VisitRecord,
};
use crate::store::schema::{CONSENTS, MEMBER_STATS, MEMBERS, SALES, VEHICLES, VISITS};
use crate::store::{ReadAccess, StoreError, decode_record};
use crate::vault::{ExportSalt, Pseudonymiser};

/// What the export's audit entry names as exported (column kinds, never values).
const EXPORTED_FIELDS: &[&str] = &[
    "tier",
    "member_since",
    "visits_by_month",
    "spend_band",
    "vehicle_types",
    "consents",
];

/// The META key a series' salt is kept under.
fn series_key(series: &str) -> String {
    format!("pseudonym_series.{series}")
}

/// `pseudonymised-2026-11-23.csv`: the name the desk suggests.
pub fn pseudonymised_file_name(date: chrono::NaiveDate) -> String {
    format!("pseudonymised-{}.csv", date.format("%Y-%m-%d"))
}

/// What to export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PseudonymisedRequest {
    /// Calendar months (shop time) of visit counts and spend, ending with the current one.
    pub months: u32,
    /// A series name for exports that share pseudonyms; `None`: unlinkable to any other.
    pub series: Option<String>,
}

impl Default for PseudonymisedRequest {
    fn default() -> Self {
        Self {
            months: crate::domain::analysis_export::DEFAULT_MONTHS,
            series: None,
        }
    }
}

/// The export written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PseudonymisedExport {
    pub path: PathBuf,
    /// Member rows (the header not counted).
    pub rows: u64,
    pub months: u32,
    /// The series it belongs to, when linkable.
    pub series: Option<String>,
    /// Whether this export started its series (the series' salt was made now).
    pub series_created: bool,
    pub bytes: u64,
}

/// One member's row while it is gathered.
struct Row {
    id: RecordId,
    since: Month,
    /// Index into the tier names.
    tier: usize,
    spend_minor: i64,
    /// Bit `i` set: a vehicle of kind `VehicleKind::ALL[i]`.
    vehicles: u8,
    consents: [bool; ConsentPurpose::ALL.len()],
}

fn kind_bit(kind: VehicleKind) -> u8 {
    let position = VehicleKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(VehicleKind::ALL.len() - 1);
    1 << position
}

fn purpose_index(purpose: ConsentPurpose) -> usize {
    ConsentPurpose::ALL
        .iter()
        .position(|p| *p == purpose)
        .unwrap_or(0)
}

fn write_error(path: &Path) -> impl Fn(std::io::Error) -> ServiceError + '_ {
    move |err| {
        ServiceError::File(PrivateFileError::Io {
            doing: "write",
            path: path.to_path_buf(),
            reason: err.to_string(),
        })
    }
}

fn csv_error(path: &Path) -> impl Fn(csv::Error) -> ServiceError + '_ {
    move |err| {
        ServiceError::File(PrivateFileError::Io {
            doing: "write",
            path: path.to_path_buf(),
            reason: err.to_string(),
        })
    }
}

/// Everything read for the export, from one snapshot.
struct Gathered {
    rows: Vec<Row>,
    /// Flat: `visits[row * months + month]`.
    visits: Vec<u32>,
    tiers: Vec<String>,
    /// The months covered, oldest first.
    covered: Vec<Month>,
    /// Decimals of the shop currency, for the spend bands.
    minor_digits: u8,
}

impl Service {
    /// Whether this session may write the pseudonymised export now (a manager within a few
    /// minutes of a fresh code). A refusal by role is audited.
    pub fn check_pseudonymised_export(&self, session: &Session) -> Result<(), ServiceError> {
        self.authorize(session, Operation::ExportPseudonymised)
            .map(drop)
    }

    /// Writes the pseudonymised export of every live member to `destination` as a new private
    /// file (0600; an existing file is replaced only with [`Existing::Replace`]). A destination
    /// inside [`Service::exports_dir`] gets that folder made when missing. Audited before the
    /// file takes its name.
    pub fn export_pseudonymised(
        &self,
        session: &Session,
        request: &PseudonymisedRequest,
        destination: &Path,
        existing: Existing,
    ) -> Result<PseudonymisedExport, ServiceError> {
        let caller = self.authorize(session, Operation::ExportPseudonymised)?;
        let months = check_months(request.months).map_err(ServiceError::invalid)?;
        let series = request
            .series
            .as_deref()
            .map(normalize_series_name)
            .transpose()
            .map_err(ServiceError::invalid)?;
        let vault = self.unlocked_vault()?;
        // The file is claimed before the long read, so a taken name fails at once.
        if destination.parent() == Some(self.exports_dir().as_path()) {
            private_file::create_private_dir(&self.exports_dir())?;
        }
        let mut file = PrivateFile::create(destination, existing)?;
        let (salt, series_created) = match &series {
            Some(name) => self.series_salt(&caller, name)?,
            None => (ExportSalt::from_bytes(self.entropy.array::<32>()?), false),
        };
        let pseudonymiser = Pseudonymiser::new(vault.store_key(), &salt);

        let gathered = self.gather_pseudonymised(months)?;
        let mut order: Vec<(String, usize)> = gathered
            .rows
            .iter()
            .enumerate()
            .map(|(index, row)| (pseudonymiser.pseudonym(row.id), index))
            .collect();
        order.sort_unstable();

        let partial = file.partial().to_path_buf();
        let bytes = {
            let mut counted = CountingWriter {
                inner: BufWriter::with_capacity(1 << 20, &mut file),
                bytes: 0,
            };
            write_csv(&mut counted, &gathered, &order).map_err(csv_error(&partial))?;
            counted.flush().map_err(write_error(&partial))?;
            counted.bytes
        };
        let rows = u64::try_from(order.len()).unwrap_or(u64::MAX);
        let mut draft = caller
            .draft(AuditAction::PseudonymisedExported)
            .with_fields(EXPORTED_FIELDS);
        if let Some(name) = &series {
            draft = draft.with_object(format!("series:{name}"));
        }
        draft.add_detail(format!(
            "rows: {rows}; months: {months}; linkable: {}",
            if series.is_some() { "yes" } else { "no" }
        ));
        self.audit_alone(draft)?;
        file.commit()?;
        Ok(PseudonymisedExport {
            path: destination.to_path_buf(),
            rows,
            months,
            series,
            series_created,
            bytes,
        })
    }

    /// The salt of a named series, made (and audited) at its first use in one write
    /// transaction, so two first exports at once still share one salt.
    fn series_salt(&self, caller: &Caller, name: &str) -> Result<(ExportSalt, bool), ServiceError> {
        let key = series_key(name);
        if let Some(bytes) = self.store.read()?.meta_record::<[u8; 32]>(&key)? {
            return Ok((ExportSalt::from_bytes(bytes), false));
        }
        let fresh: [u8; 32] = self.entropy.array::<32>()?;
        let draft = caller
            .draft(AuditAction::PseudonymSeriesCreated)
            .with_object(format!("series:{name}"));
        let mut writer = self.store.write()?;
        if let Some(bytes) = writer.meta_record::<[u8; 32]>(&key)? {
            return Ok((ExportSalt::from_bytes(bytes), false));
        }
        writer.put_meta_record(&key, &fresh)?;
        writer.append_audit(draft, self.clock.now())?;
        writer.commit()?;
        Ok((ExportSalt::from_bytes(fresh), true))
    }

    /// Reads every column from one snapshot, without opening any personal field.
    fn gather_pseudonymised(&self, months: u32) -> Result<Gathered, ServiceError> {
        let tz: Tz = self.shop_zone()?;
        let minor_digits = self.settings()?.currency.minor_digits();
        let policy = self.points_policy()?;
        let now = self.clock.now();
        let today = now.with_timezone(&tz).date_naive();
        let covered = months_ending(today, months);
        let first = covered.first().copied().unwrap_or(Month::of(today));
        let from: DateTime<Utc> = first
            .first_day()
            .and_then(|day| local_day_span(tz, day))
            .map(|(start, _)| start)
            .ok_or_else(|| {
                ServiceError::invalid("those months are out of range; ask for fewer months")
            })?;
        let width = covered.len();
        // Each covered month's first instant, so a visit finds its month by a search rather
        // than a time-zone conversion per visit.
        let starts: Vec<DateTime<Utc>> = covered
            .iter()
            .map(|month| {
                month
                    .first_day()
                    .and_then(|day| local_day_span(tz, day))
                    .map(|(start, _)| start)
                    .ok_or_else(|| {
                        ServiceError::invalid("those months are out of range; ask for fewer months")
                    })
            })
            .collect::<Result<_, _>>()?;

        let tiers: Vec<String> = policy
            .tiers()
            .iter()
            .map(|tier| sanitize_line(&tier.name))
            .collect();
        let base_tier = tier_index(&policy, 0);

        let reader = self.store.read()?;
        let mut rows: Vec<Row> = Vec::new();
        let mut index: HashMap<u128, usize> = HashMap::new();
        reader.scan_by_id(MEMBERS, &mut |id, bytes| {
            let member: MemberRecord = decode_record("member", bytes)?;
            index.insert(id, rows.len());
            rows.push(Row {
                id: member.id,
                since: Month::of(member.created_at.with_timezone(&tz).date_naive()),
                tier: base_tier,
                spend_minor: 0,
                vehicles: 0,
                consents: [false; ConsentPurpose::ALL.len()],
            });
            Ok(())
        })?;
        let mut visits = vec![0u32; rows.len().saturating_mul(width)];

        reader.scan_by_id(MEMBER_STATS, &mut |id, bytes| {
            if let Some(&row) = index.get(&id) {
                let stats: MemberStats = decode_record("member stats", bytes)?;
                rows[row].tier = tier_index(&policy, stats.spend.total(now));
            }
            Ok(())
        })?;
        reader.scan_by_id(VEHICLES, &mut |_, bytes| {
            let vehicle: VehicleRecord = decode_record("vehicle", bytes)?;
            if let Some(&row) = index.get(&vehicle.member_id.as_u128()) {
                rows[row].vehicles |= kind_bit(vehicle.kind);
            }
            Ok(())
        })?;
        // In append order, so the last change per purpose is the member's current choice.
        reader.scan_appended(CONSENTS, &mut |member, bytes| {
            if let Some(&row) = index.get(&member) {
                let consent: ConsentRecord = decode_record("consent", bytes)?;
                rows[row].consents[purpose_index(consent.purpose)] = consent.granted;
            }
            Ok(())
        })?;

        // Ids carry their creation time, so the period's visits and sales are one id range;
        // each record's own time decides its month.
        let (low, high) = (first_id_at(from - CLOCK_SLACK), u128::MAX);
        let mut overflow = false;
        reader.scan_id_range(VISITS, low, high, &mut |_, bytes| {
            let visit: VisitRecord = decode_record("visit", bytes)?;
            let Some(member) = visit.member else {
                return Ok(());
            };
            if visit.voided.is_some() || visit.at < from || visit.at > now {
                return Ok(());
            }
            let Some(&row) = index.get(&member.as_u128()) else {
                return Ok(());
            };
            // The last month that starts at or before the visit (the visit is after `from`).
            let offset = starts.partition_point(|start| *start <= visit.at);
            if let Some(offset) = offset.checked_sub(1)
                && offset < width
            {
                let cell = &mut visits[row * width + offset];
                *cell = cell.saturating_add(1);
            }
            let refunded: i64 = visit
                .refunds
                .iter()
                .map(|refund| refund.amount.minor_units())
                .fold(0i64, i64::saturating_add);
            let paid = visit
                .priced
                .amount_due
                .minor_units()
                .saturating_sub(refunded)
                .max(0);
            let spend = &mut rows[row].spend_minor;
            *spend = spend.checked_add(paid).unwrap_or_else(|| {
                overflow = true;
                i64::MAX
            });
            Ok(())
        })?;
        reader.scan_id_range(SALES, low, high, &mut |_, bytes| {
            let sale: SaleRecord = decode_record("sale", bytes)?;
            if sale.at < from || sale.at > now {
                return Ok(());
            }
            if let Some(&row) = index.get(&sale.member.as_u128()) {
                let spend = &mut rows[row].spend_minor;
                *spend = spend.saturating_add(sale.amount.minor_units().max(0));
            }
            Ok(())
        })?;
        if overflow {
            // Saturated sums still fall in the top band, which is all the export shows.
            return Err(StoreError::Corrupt(
                "a member's spend does not fit in 64 bits; run `frontdesk verify`".to_owned(),
            )
            .into());
        }
        Ok(Gathered {
            rows,
            visits,
            tiers,
            covered,
            minor_digits,
        })
    }
}

/// The position of the member's tier in the policy's list.
fn tier_index(policy: &crate::domain::loyalty::PointsPolicy, rolling_spend_minor: i64) -> usize {
    let tier = tier_for(rolling_spend_minor, policy);
    policy
        .tiers()
        .iter()
        .position(|t| std::ptr::eq(t, tier))
        .unwrap_or(0)
}

/// Counts the bytes written, for the summary.
struct CountingWriter<W: Write> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.bytes = self
            .bytes
            .saturating_add(u64::try_from(written).unwrap_or(u64::MAX));
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The header and one row per member, in pseudonym order; every cell neutralised.
fn write_csv<W: Write>(
    out: W,
    gathered: &Gathered,
    order: &[(String, usize)],
) -> Result<(), csv::Error> {
    let covered = &gathered.covered;
    let width = covered.len();
    let mut writer = csv::WriterBuilder::new().from_writer(out);
    let mut header: Vec<String> = vec!["pseudonym".into(), "tier".into(), "member_since".into()];
    header.extend(covered.iter().map(|month| month.visits_column()));
    header.push("spend_band".into());
    header.push("vehicle_types".into());
    header.extend(
        ConsentPurpose::ALL
            .iter()
            .map(|purpose| format!("consent_{}", purpose.as_str())),
    );
    writer.write_record(
        header
            .iter()
            .map(|cell| neutralise_formula(cell).into_owned()),
    )?;
    let mut record = csv::StringRecord::with_capacity(64, header.len());
    for (pseudonym, index) in order {
        let row = &gathered.rows[*index];
        record.clear();
        record.push_field(&neutralise_formula(pseudonym));
        record.push_field(&neutralise_formula(
            gathered.tiers.get(row.tier).map_or("", String::as_str),
        ));
        record.push_field(&row.since.to_dashed());
        for count in &gathered.visits[index * width..(index + 1) * width] {
            record.push_field(&count.to_string());
        }
        record.push_field(SpendBand::of(row.spend_minor, gathered.minor_digits).as_str());
        let kinds: Vec<&str> = VehicleKind::ALL
            .iter()
            .filter(|kind| row.vehicles & kind_bit(**kind) != 0)
            .map(|kind| kind.as_str())
            .collect();
        record.push_field(&kinds.join(";"));
        for granted in row.consents {
            record.push_field(if granted { "yes" } else { "no" });
        }
        writer.write_record(&record)?;
    }
    writer.flush()?;
    Ok(())
}
