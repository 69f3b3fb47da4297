//! Table definitions and the schema version with its forward migrations.

use redb::{MultimapTableDefinition, ReadableTable, TableDefinition, WriteTransaction};

use super::StoreError;

/// Bumped whenever a table or record layout changes; each bump adds a step to [`migrate`].
pub const SCHEMA_VERSION: u32 = 10;

pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
pub const STAFF: TableDefinition<u128, &[u8]> = TableDefinition::new("staff");
pub const STAFF_BY_USERNAME: TableDefinition<&str, u128> =
    TableDefinition::new("staff_by_username");
pub const LOGIN_THROTTLE: TableDefinition<&str, &[u8]> = TableDefinition::new("login_throttle");
pub const MEMBERS: TableDefinition<u128, &[u8]> = TableDefinition::new("members");
pub const VEHICLES: TableDefinition<u128, &[u8]> = TableDefinition::new("vehicles");
pub const MEMBER_VEHICLES: MultimapTableDefinition<u128, u128> =
    MultimapTableDefinition::new("member_vehicles");
/// Blind-index token → member id. Tokens are keyed HMACs, never the values themselves.
pub const BLIND_INDEX: MultimapTableDefinition<&[u8; 32], u128> =
    MultimapTableDefinition::new("blind_index");
pub const AUDIT: TableDefinition<u64, &[u8]> = TableDefinition::new("audit");

// Added in schema 2: the front-desk day.
pub const BAYS: TableDefinition<u128, &[u8]> = TableDefinition::new("bays");
pub const SERVICES: TableDefinition<u128, &[u8]> = TableDefinition::new("services");
pub const BOOKINGS: TableDefinition<u128, &[u8]> = TableDefinition::new("bookings");
/// (bay, start in Unix milliseconds) → booking, for every booking that holds its bay.
/// The overlap check reads a bay's neighbours here inside the write transaction.
pub const BAY_SCHEDULE: TableDefinition<(u128, i64), u128> = TableDefinition::new("bay_schedule");
pub const MEMBER_BOOKINGS: MultimapTableDefinition<u128, u128> =
    MultimapTableDefinition::new("member_bookings");
pub const VISITS: TableDefinition<u128, &[u8]> = TableDefinition::new("visits");
pub const MEMBER_VISITS: MultimapTableDefinition<u128, u128> =
    MultimapTableDefinition::new("member_visits");
pub const VEHICLE_VISITS: MultimapTableDefinition<u128, u128> =
    MultimapTableDefinition::new("vehicle_visits");
/// Points ledger entries, immutable once written, keyed (member, sequence) so each
/// member's ledger reads back in exactly the order it was appended.
pub const LEDGER: TableDefinition<(u128, u64), &[u8]> = TableDefinition::new("ledger");
pub const MEMBER_STATS: TableDefinition<u128, &[u8]> = TableDefinition::new("member_stats");
pub const PLANS: TableDefinition<u128, &[u8]> = TableDefinition::new("plans");
pub const PACKAGES: TableDefinition<u128, &[u8]> = TableDefinition::new("packages");
pub const MEMBER_PLANS: MultimapTableDefinition<u128, u128> =
    MultimapTableDefinition::new("member_plans");
pub const MEMBER_PACKAGES: MultimapTableDefinition<u128, u128> =
    MultimapTableDefinition::new("member_packages");
/// (plan, shop-local day as yyyymmdd) → washes used that day, for the daily cap.
pub const PLAN_USAGE: TableDefinition<(u128, u32), u32> = TableDefinition::new("plan_usage");

// Added in schema 3: takings from plan and package sales, and marketing consents.
/// Plan and package sales and renewals, keyed by a time-ordered id so a day's sales are one
/// range read.
pub const SALES: TableDefinition<u128, &[u8]> = TableDefinition::new("sales");
/// Consent changes, append-only, keyed (member, sequence) so erasure can find and drop a
/// member's whole history in one range and the latest per purpose is the last one read.
pub const CONSENTS: TableDefinition<(u128, u64), &[u8]> = TableDefinition::new("consents");

// Added in schema 4: staff SSH public keys.
/// Staff id → that staff member's SSH keys and whether one is required. Kept apart from the
/// staff record, whose encoding is not self-describing, so older staff records still decode.
pub const STAFF_SSH_KEYS: TableDefinition<u128, &[u8]> = TableDefinition::new("staff_ssh_keys");

// Added in schema 5: the till — price list, receipts, cash drawers.
/// Plan and package products the manager prices; cashiers sell only these.
pub const PRODUCTS: TableDefinition<u128, &[u8]> = TableDefinition::new("products");
/// Receipt number → what it was issued for. Numbers come from one counter in the same
/// transaction as the sale or refund, so they have no gaps and no repeats.
pub const RECEIPTS: TableDefinition<u64, &[u8]> = TableDefinition::new("receipts");
/// Cash-drawer shifts, keyed by a time-ordered id so a day's shifts are one range read.
pub const SHIFTS: TableDefinition<u128, &[u8]> = TableDefinition::new("shifts");
/// Staff id → that staff member's open shift, so a sale finds its drawer in one read.
pub const OPEN_SHIFTS: TableDefinition<u128, u128> = TableDefinition::new("open_shifts");

// Added in schema 6: staff who enrol themselves.
/// Staff id → the enrolment that staff member still has to finish (a temporary password to
/// replace, an authenticator to set up). Kept apart from the staff record, whose encoding is
/// not self-describing, so older staff records still decode; no row means enrolled.
pub const STAFF_ENROLMENTS: TableDefinition<u128, &[u8]> = TableDefinition::new("staff_enrolments");

// Added in schema 7: members that are gone, and the erasure ledger.
/// Member id → [`super::records::MemberTombstone`]: an erased, anonymised or merged member's
/// number and why it is gone. The member's own record is deleted from [`MEMBERS`].
pub const MEMBER_TOMBSTONES: TableDefinition<u128, &[u8]> =
    TableDefinition::new("member_tombstones");
/// Member id → [`super::records::ErasureRecord`]: every erasure (and retention
/// anonymisation), ids and times only, re-applied when an older backup is restored.
pub const ERASURES: TableDefinition<u128, &[u8]> = TableDefinition::new("erasures");

// Added in schema 8: reports.
/// Shop-local day as yyyymmdd → [`crate::domain::reports::DayTotals`]: that day's figures,
/// kept in the same transaction as each visit, void, refund and sale, so a report over a
/// range reads one row per day.
pub const DAILY_TOTALS: TableDefinition<u32, &[u8]> = TableDefinition::new("daily_totals");
// Added in schema 9: anomaly alerts.
/// Alert number → [`super::alerts::AlertRecord`].
pub const ALERTS: TableDefinition<u64, &[u8]> = TableDefinition::new("alerts");
/// A rule's small running state by key (`access:<staff>`, `failed_address:<ip>`,
/// `shift:<shift>`, …): sliding windows and per-shift tallies, updated with each audit entry.
pub const ALERT_STATE: TableDefinition<&str, &[u8]> = TableDefinition::new("alert_state");
// Added in schema 10: the saved name index.
/// The name index as it was last saved, sealed under a key derived from the store key: row 0
/// is a small plain header (format, chunk count, plaintext length), rows 1.. the sealed
/// chunks. A header with no chunks means "no snapshot, but changes are being tracked".
/// Derived data: not backed up; a restored store rebuilds it on its first unlock.
pub const NAME_INDEX_SNAPSHOT: TableDefinition<u32, &[u8]> =
    TableDefinition::new("name_index_snapshot");
/// Members written since the snapshot was saved (written in the same transaction as each
/// change to [`MEMBERS`] while a header exists): the next unlock re-reads only these.
pub const NAME_INDEX_DIRTY: TableDefinition<u128, ()> = TableDefinition::new("name_index_dirty");

pub const META_SCHEMA_VERSION: &str = "schema_version";
/// Present while the setup wizard has created the shop but the owner has not yet set up
/// their authenticator; the next start resumes the wizard instead of showing a login.
pub const META_SETUP_UNFINISHED: &str = "setup_unfinished";
pub const META_SETTINGS: &str = "settings";
pub const META_NEXT_MEMBER_NUMBER: &str = "next_member_number";
pub const META_SCHEDULE: &str = "schedule";
pub const META_POINTS_POLICY: &str = "points_policy";
pub const META_TILL: &str = "till";
pub const META_NEXT_RECEIPT_NUMBER: &str = "next_receipt_number";
/// Present once every vehicle's plate-tail blind token (the plate without its province) is in
/// the blind index: set by the one-time backfill after the first unlock (it needs the vault,
/// which a migration does not have; on a new store it finds nothing to do) or by the demo
/// generator, which writes the tokens itself. Not set at creation: a restore creates a store
/// and then loads a backup's rows into it, and a backup from before these tokens must still
/// be backfilled.
pub const META_PLATE_TAILS: &str = "plate_tail_tokens";
/// Present after a member was erased or anonymised while the file was shared: the freed pages
/// still hold their ciphertext until the next compaction, which clears this.
pub const META_COMPACTION_DUE: &str = "compaction_due";
/// The retention period ([`crate::domain::retention::RetentionPolicy`]); absent means the
/// default of 36 months.
pub const META_RETENTION: &str = "retention";
/// The backup schedule ([`crate::domain::backup_schedule::BackupSchedule`]); absent means the
/// default one.
pub const META_BACKUP_SCHEDULE: &str = "backup_schedule";
/// What the last backup runs did (`service::BackupStatus`).
pub const META_BACKUP_STATUS: &str = "backup_status";

/// The alert rules' thresholds ([`crate::domain::alerts::AlertThresholds`]); absent means the
/// defaults.
pub const META_ALERT_RULES: &str = "alert_rules";
/// Open and raised alert counts ([`super::alerts::AlertCounts`]), polled by every manager's
/// screen: one small read.
pub const META_ALERT_COUNTS: &str = "alert_counts";
/// The chain's sites ([`crate::domain::site::SiteRegistry`]); absent for a single shop.
pub const META_SITES: &str = "sites";
/// Staff id → the sites that account may log in at; an account not named works at every site.
pub const META_STAFF_SITES: &str = "staff_sites";
/// Bay id → its site, for bays of a site other than the first (a bay not named is the first
/// site's). A booking is at its bay's site; a visit, sale or refund at the site whose receipt
/// numbers it carries.
pub const META_BAY_SITES: &str = "bay_sites";
/// Prefix of `shift_site/<shift id>` → the site of a cash-drawer shift opened at a site other
/// than the first (one small row per such shift; none for the first site's).
pub const META_SHIFT_SITE_PREFIX: &str = "shift_site/";

pub fn read_version(bytes: &[u8]) -> Result<u32, StoreError> {
    let raw: [u8; 4] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt("the schema version is unreadable".to_owned()))?;
    Ok(u32::from_le_bytes(raw))
}

/// Creates every table so later readers never meet a missing one, and records the version.
pub fn create_all(tx: &WriteTransaction) -> Result<(), StoreError> {
    tx.open_table(META)?;
    tx.open_table(STAFF)?;
    tx.open_table(STAFF_BY_USERNAME)?;
    tx.open_table(LOGIN_THROTTLE)?;
    tx.open_table(MEMBERS)?;
    tx.open_table(VEHICLES)?;
    tx.open_multimap_table(MEMBER_VEHICLES)?;
    tx.open_multimap_table(BLIND_INDEX)?;
    tx.open_table(AUDIT)?;
    create_front_desk_tables(tx)?;
    create_takings_and_consent_tables(tx)?;
    create_staff_ssh_key_table(tx)?;
    create_till_tables(tx)?;
    create_enrolment_table(tx)?;
    create_tombstone_tables(tx)?;
    tx.open_table(DAILY_TOTALS)?;
    create_alert_tables(tx)?;
    create_name_index_tables(tx)?;
    tx.open_table(META)?
        .insert(META_SCHEMA_VERSION, SCHEMA_VERSION.to_le_bytes().as_slice())?;
    Ok(())
}

fn create_front_desk_tables(tx: &WriteTransaction) -> Result<(), StoreError> {
    tx.open_table(BAYS)?;
    tx.open_table(SERVICES)?;
    tx.open_table(BOOKINGS)?;
    tx.open_table(BAY_SCHEDULE)?;
    tx.open_multimap_table(MEMBER_BOOKINGS)?;
    tx.open_table(VISITS)?;
    tx.open_multimap_table(MEMBER_VISITS)?;
    tx.open_multimap_table(VEHICLE_VISITS)?;
    tx.open_table(LEDGER)?;
    tx.open_table(MEMBER_STATS)?;
    tx.open_table(PLANS)?;
    tx.open_table(PACKAGES)?;
    tx.open_multimap_table(MEMBER_PLANS)?;
    tx.open_multimap_table(MEMBER_PACKAGES)?;
    tx.open_table(PLAN_USAGE)?;
    Ok(())
}

fn create_takings_and_consent_tables(tx: &WriteTransaction) -> Result<(), StoreError> {
    tx.open_table(SALES)?;
    tx.open_table(CONSENTS)?;
    Ok(())
}

fn create_staff_ssh_key_table(tx: &WriteTransaction) -> Result<(), StoreError> {
    tx.open_table(STAFF_SSH_KEYS)?;
    Ok(())
}

fn create_till_tables(tx: &WriteTransaction) -> Result<(), StoreError> {
    tx.open_table(PRODUCTS)?;
    tx.open_table(RECEIPTS)?;
    tx.open_table(SHIFTS)?;
    tx.open_table(OPEN_SHIFTS)?;
    Ok(())
}

fn create_enrolment_table(tx: &WriteTransaction) -> Result<(), StoreError> {
    tx.open_table(STAFF_ENROLMENTS)?;
    Ok(())
}

fn create_tombstone_tables(tx: &WriteTransaction) -> Result<(), StoreError> {
    tx.open_table(MEMBER_TOMBSTONES)?;
    tx.open_table(ERASURES)?;
    Ok(())
}

fn create_alert_tables(tx: &WriteTransaction) -> Result<(), StoreError> {
    tx.open_table(ALERTS)?;
    tx.open_table(ALERT_STATE)?;
    Ok(())
}

fn create_name_index_tables(tx: &WriteTransaction) -> Result<(), StoreError> {
    tx.open_table(NAME_INDEX_SNAPSHOT)?;
    tx.open_table(NAME_INDEX_DIRTY)?;
    Ok(())
}

/// Brings an older file up to [`SCHEMA_VERSION`] inside the caller's transaction, returning
/// the version found. A newer file is refused rather than misread.
pub fn migrate(tx: &WriteTransaction) -> Result<u32, StoreError> {
    let found = {
        let meta = tx.open_table(META)?;
        let stored = meta.get(META_SCHEMA_VERSION)?;
        match stored {
            Some(bytes) => read_version(bytes.value())?,
            None => {
                return Err(StoreError::Corrupt(
                    "the store has no schema version".to_owned(),
                ));
            }
        }
    };
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerVersion {
            found,
            supported: SCHEMA_VERSION,
        });
    }
    // One step per version, oldest first; each leaves the file valid for the next.
    if found < 2 {
        // Schema 2 adds the front-desk tables; shop rules start from their defaults
        // (written by the service layer when it finds none).
        create_front_desk_tables(tx)?;
    }
    if found < 3 {
        // Schema 3 only adds tables: sales made before it were never recorded as takings,
        // and no consent was recorded, so there is nothing to back-fill.
        create_takings_and_consent_tables(tx)?;
    }
    if found < 4 {
        // Schema 4 only adds the staff SSH key table: no staff member had a key before it,
        // so every account starts without one and without the requirement.
        create_staff_ssh_key_table(tx)?;
    }
    if found < 5 {
        // Schema 5 adds tax classes to services, terms to plans, and tax, tenders and receipt
        // numbers to visits and sales: those records are rewritten in the new layout. Older
        // visits and sales keep no receipt number (numbering starts at 1 with the next sale).
        create_till_tables(tx)?;
        super::legacy::upgrade_records_to_5(tx)?;
    }
    if found < 6 {
        // Schema 6 only adds the pending-enrolment table: every account in an older file was
        // enrolled when it was created (the manager saw its secret), so none is pending.
        create_enrolment_table(tx)?;
    }
    if found < 7 {
        // Schema 7 only adds the tombstone and erasure-ledger tables: no member was erased or
        // merged before it (erasure did not exist), so both start empty.
        create_tombstone_tables(tx)?;
    }
    if found < 8 {
        // Schema 8 adds the daily totals that reports read, built here from every visit,
        // refund and sale already stored; from now on each is added as it is written.
        tx.open_table(DAILY_TOTALS)?;
        super::daily_totals::rebuild(tx)?;
    }
    if found < 9 {
        // Schema 9 only adds the alert tables: nothing was ever evaluated before it, so no
        // alert is raised for older history and every rule starts with empty state.
        create_alert_tables(tx)?;
    }
    if found < 10 {
        // Schema 10 only adds the saved name index and its change list: both start empty, so
        // the first unlock builds the index from the members and saves it.
        create_name_index_tables(tx)?;
    }
    if found < SCHEMA_VERSION {
        tx.open_table(META)?
            .insert(META_SCHEMA_VERSION, SCHEMA_VERSION.to_le_bytes().as_slice())?;
    }
    Ok(found)
}
