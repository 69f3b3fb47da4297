//! Typed access to the tables inside one transaction. Reads are written once, in
//! [`ReadAccess`], and serve both read and write transactions.

use chrono::{DateTime, Utc};
use redb::{
    ReadTransaction, ReadableMultimapTable, ReadableTable, ReadableTableMetadata, WriteTransaction,
};

use std::sync::Arc;

use super::StoreError;
use super::file::FileHealth;
use super::postgres::PgTransaction;
use super::postgres::tables as pgt;
use redb::{MultimapTableHandle, TableHandle};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::codec::{decode, encode};
use super::records::{
    ConsentRecord, ErasureRecord, MemberRecord, MemberStats, MemberTombstone,
    PendingEnrolmentRecord, ShopSettings, StaffRecord, StaffSshKeysRecord, UnfinishedSetupRecord,
    VehicleRecord,
};
use super::schema::*;
use crate::audit::{self, AuditDraft, AuditEntry};
use crate::auth::throttle::LoginThrottle;
use crate::domain::loyalty::LedgerEntry;
use crate::ids::RecordId;

/// Called with each record's id and stored bytes during a table scan.
pub type RecordVisitor<'a> = dyn FnMut(u128, &[u8]) -> Result<(), StoreError> + 'a;

/// The primitive reads each transaction kind provides; typed reads are built on them.
pub trait ReadAccess {
    fn bytes_by_id(
        &self,
        table: redb::TableDefinition<u128, &[u8]>,
        id: u128,
    ) -> Result<Option<Vec<u8>>, StoreError>;
    fn bytes_by_name(
        &self,
        table: redb::TableDefinition<&str, &[u8]>,
        key: &str,
    ) -> Result<Option<Vec<u8>>, StoreError>;
    fn staff_id_by_username(&self, username: &str) -> Result<Option<RecordId>, StoreError>;
    fn ids_for_token(&self, token: &[u8; 32]) -> Result<Vec<RecordId>, StoreError>;
    /// The ids linked to `key` in a one-to-many table (member → vehicles, visits, …).
    fn linked_ids(
        &self,
        table: redb::MultimapTableDefinition<u128, u128>,
        key: RecordId,
    ) -> Result<Vec<RecordId>, StoreError>;
    /// Bookings holding `bay` whose start lies in `from_ms..to_ms` (Unix milliseconds).
    fn bay_bookings_starting(
        &self,
        bay: RecordId,
        from_ms: i64,
        to_ms: i64,
    ) -> Result<Vec<RecordId>, StoreError>;
    fn plan_usage(&self, plan: RecordId, day: u32) -> Result<u32, StoreError>;
    /// The lowest id linked to `key` (ids are time-ordered: the earliest).
    fn first_linked(
        &self,
        table: redb::MultimapTableDefinition<u128, u128>,
        key: RecordId,
    ) -> Result<Option<RecordId>, StoreError>;
    /// One day's stored totals (key `yyyymmdd`).
    fn daily_totals_bytes(&self, day: u32) -> Result<Option<Vec<u8>>, StoreError>;
    /// The stored daily totals with keys in `from..=to`, in date order.
    fn daily_totals_between(&self, from: u32, to: u32) -> Result<Vec<(u32, Vec<u8>)>, StoreError>;
    /// The stored bytes under one receipt key (see [`receipt_key`]).
    fn receipt_bytes_by_key(&self, key: u64) -> Result<Option<Vec<u8>>, StoreError>;
    /// Receipt keys in `from..to` with their stored bytes, in key order; the visitor returns
    /// `false` to stop early.
    fn scan_receipt_keys(
        &self,
        from: u64,
        to: u64,
        visit: &mut dyn FnMut(u64, &[u8]) -> bool,
    ) -> Result<(), StoreError>;
    /// The staff member's open cash-drawer shift.
    fn open_shift_id(&self, staff: RecordId) -> Result<Option<RecordId>, StoreError>;
    /// A member's ledger entries' stored bytes, in append order.
    fn ledger_bytes(&self, member: RecordId) -> Result<Vec<Vec<u8>>, StoreError>;
    /// The stored bytes under `key` in an append-only (key, sequence) table, in append order.
    fn appended_bytes(
        &self,
        table: redb::TableDefinition<(u128, u64), &[u8]>,
        key: RecordId,
    ) -> Result<Vec<Vec<u8>>, StoreError>;
    /// Every row of an append-only (key, sequence) table, in key then append order; stops at
    /// the first error.
    fn scan_appended(
        &self,
        table: redb::TableDefinition<(u128, u64), &[u8]>,
        visit: &mut RecordVisitor<'_>,
    ) -> Result<(), StoreError>;
    /// Every record in an id-keyed table, in id (creation) order; stops at the first error.
    fn scan_by_id(
        &self,
        table: redb::TableDefinition<u128, &[u8]>,
        visit: &mut RecordVisitor<'_>,
    ) -> Result<(), StoreError>;
    /// The records of an id-keyed table whose ids lie in `from..to`, in id order. Ids are
    /// time-ordered, so this reads the records created in a span of time.
    fn scan_id_range(
        &self,
        table: redb::TableDefinition<u128, &[u8]>,
        from: u128,
        to: u128,
        visit: &mut RecordVisitor<'_>,
    ) -> Result<(), StoreError>;
    /// Up to `limit` records of an id-keyed table from id `from` on, in id order: one batch
    /// of a long walk done in several transactions.
    fn id_page(
        &self,
        table: redb::TableDefinition<u128, &[u8]>,
        from: u128,
        limit: usize,
    ) -> Result<Vec<(u128, Vec<u8>)>, StoreError>;
    fn count(&self, table: redb::TableDefinition<u128, &[u8]>) -> Result<u64, StoreError>;
    /// Sequence number and stored bytes of the newest audit entry.
    fn last_audit(&self) -> Result<Option<(u64, Vec<u8>)>, StoreError>;
    /// Audit entries with sequence numbers in `from..`, in order; the visitor returns `false`
    /// to stop early.
    fn scan_audit(
        &self,
        from: u64,
        visit: &mut dyn FnMut(u64, &[u8]) -> bool,
    ) -> Result<(), StoreError>;
    /// Audit entries with sequence numbers below `before` (all of them for `None`), newest
    /// first; the visitor returns `false` to stop early.
    fn scan_audit_back(
        &self,
        before: Option<u64>,
        visit: &mut dyn FnMut(u64, &[u8]) -> bool,
    ) -> Result<(), StoreError>;

    /// The stored bytes of what the first site's receipt `number` was issued for.
    fn receipt_bytes(&self, number: u64) -> Result<Option<Vec<u8>>, StoreError> {
        self.receipt_bytes_at(FIRST_SITE, number)
    }

    /// The stored bytes of what receipt `number` of `site` was issued for.
    fn receipt_bytes_at(&self, site: u16, number: u64) -> Result<Option<Vec<u8>>, StoreError> {
        match receipt_key(site, number) {
            Some(key) => self.receipt_bytes_by_key(key),
            None => Ok(None),
        }
    }

    /// Every receipt number the first site issued, with its stored bytes, in number order.
    fn scan_receipts(&self, visit: &mut dyn FnMut(u64, &[u8]) -> bool) -> Result<(), StoreError> {
        self.scan_receipts_at(FIRST_SITE, visit)
    }

    /// Every receipt number `site` issued, with its stored bytes, in number order.
    fn scan_receipts_at(
        &self,
        site: u16,
        visit: &mut dyn FnMut(u64, &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        let from = u64::from(site) << RECEIPT_SITE_SHIFT;
        let to = from + RECEIPT_NUMBER_MASK + 1;
        self.scan_receipt_keys(from, to, &mut |key, bytes| {
            visit(key & RECEIPT_NUMBER_MASK, bytes)
        })
    }

    /// The number the first site's next receipt will get (1 when none was issued yet).
    fn next_receipt_number(&self) -> Result<u64, StoreError> {
        self.next_receipt_number_at(FIRST_SITE)
    }

    /// The number `site`'s next receipt will get (1 when none was issued yet).
    fn next_receipt_number_at(&self, site: u16) -> Result<u64, StoreError> {
        match self.bytes_by_name(META, &receipt_counter_key(site))? {
            Some(bytes) => decode_counter(&bytes, "receipt number"),
            None => Ok(1),
        }
    }

    /// Any record in an id-keyed table, decoded.
    fn get<T: DeserializeOwned>(
        &self,
        table: redb::TableDefinition<u128, &[u8]>,
        id: RecordId,
        what: &str,
    ) -> Result<Option<T>, StoreError> {
        self.bytes_by_id(table, id.as_u128())?
            .map(|bytes| decode(what, &bytes))
            .transpose()
    }

    /// Every record linked to `key` through `links`, decoded from `table`.
    fn get_linked<T: DeserializeOwned>(
        &self,
        links: redb::MultimapTableDefinition<u128, u128>,
        table: redb::TableDefinition<u128, &[u8]>,
        key: RecordId,
        what: &str,
    ) -> Result<Vec<T>, StoreError> {
        let mut records = Vec::new();
        for id in self.linked_ids(links, key)? {
            if let Some(record) = self.get(table, id, what)? {
                records.push(record);
            }
        }
        Ok(records)
    }

    /// A member's points ledger, decoded, in append order.
    fn ledger<T: DeserializeOwned>(&self, member: RecordId) -> Result<Vec<T>, StoreError> {
        self.ledger_bytes(member)?
            .iter()
            .map(|bytes| decode("ledger entry", bytes))
            .collect()
    }

    /// A setting stored under its own META key.
    fn meta_record<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        self.bytes_by_name(META, key)?
            .map(|bytes| decode(key, &bytes))
            .transpose()
    }

    /// Every record of an id-keyed table, decoded, in id order.
    fn all<T: DeserializeOwned>(
        &self,
        table: redb::TableDefinition<u128, &[u8]>,
        what: &str,
    ) -> Result<Vec<T>, StoreError> {
        let mut records = Vec::new();
        self.scan_by_id(table, &mut |_, bytes| {
            records.push(decode(what, bytes)?);
            Ok(())
        })?;
        Ok(records)
    }

    fn settings(&self) -> Result<Option<ShopSettings>, StoreError> {
        self.bytes_by_name(META, META_SETTINGS)?
            .map(|bytes| decode("settings", &bytes))
            .transpose()
    }

    fn staff(&self, id: RecordId) -> Result<Option<StaffRecord>, StoreError> {
        self.bytes_by_id(STAFF, id.as_u128())?
            .map(|bytes| decode("staff", &bytes))
            .transpose()
    }

    fn staff_by_username(&self, username: &str) -> Result<Option<StaffRecord>, StoreError> {
        match self.staff_id_by_username(username)? {
            Some(id) => self.staff(id),
            None => Ok(None),
        }
    }

    /// A staff member's SSH keys; none (and not required) when nothing was ever stored.
    fn staff_ssh_keys(&self, staff: RecordId) -> Result<StaffSshKeysRecord, StoreError> {
        Ok(self
            .get(STAFF_SSH_KEYS, staff, "staff SSH keys")?
            .unwrap_or_default())
    }

    /// What a staff member still has to do to finish enrolling; `None` once enrolled.
    fn staff_enrolment(
        &self,
        staff: RecordId,
    ) -> Result<Option<PendingEnrolmentRecord>, StoreError> {
        self.get(STAFF_ENROLMENTS, staff, "staff enrolment")
    }

    /// Set while the setup wizard's owner has not finished enrolling.
    fn unfinished_setup(&self) -> Result<Option<UnfinishedSetupRecord>, StoreError> {
        self.meta_record(META_SETUP_UNFINISHED)
    }

    fn all_staff(&self) -> Result<Vec<StaffRecord>, StoreError> {
        let mut staff = Vec::new();
        self.scan_by_id(STAFF, &mut |_, bytes| {
            staff.push(decode("staff", bytes)?);
            Ok(())
        })?;
        Ok(staff)
    }

    fn login_throttle(&self, username: &str) -> Result<LoginThrottle, StoreError> {
        Ok(self
            .bytes_by_name(LOGIN_THROTTLE, username)?
            .map(|bytes| decode("login throttle", &bytes))
            .transpose()?
            .unwrap_or_default())
    }

    fn member(&self, id: RecordId) -> Result<Option<MemberRecord>, StoreError> {
        self.bytes_by_id(MEMBERS, id.as_u128())?
            .map(|bytes| decode("member", &bytes))
            .transpose()
    }

    /// What is left of a member who is gone (erased, anonymised or merged).
    fn member_tombstone(&self, id: RecordId) -> Result<Option<MemberTombstone>, StoreError> {
        self.get(MEMBER_TOMBSTONES, id, "member tombstone")
    }

    /// The tombstone with this member number. Tombstones are few (a shop erases a handful of
    /// members a year), so they are scanned rather than indexed.
    fn member_tombstone_by_number(
        &self,
        number: u64,
    ) -> Result<Option<MemberTombstone>, StoreError> {
        let mut found = None;
        self.scan_by_id(MEMBER_TOMBSTONES, &mut |_, bytes| {
            if found.is_none() {
                let tombstone: MemberTombstone = decode("member tombstone", bytes)?;
                if tombstone.member_number == number {
                    found = Some(tombstone);
                }
            }
            Ok(())
        })?;
        Ok(found)
    }

    /// A member's number whether the member is live or a tombstone.
    fn member_number_of(&self, id: RecordId) -> Result<Option<u64>, StoreError> {
        if let Some(member) = self.member(id)? {
            return Ok(Some(member.member_number));
        }
        Ok(self.member_tombstone(id)?.map(|t| t.member_number))
    }

    /// The erasure ledger: every member erased or anonymised, with when.
    fn erasures(&self) -> Result<Vec<ErasureRecord>, StoreError> {
        self.all(ERASURES, "erasure")
    }

    fn member_count(&self) -> Result<u64, StoreError> {
        self.count(MEMBERS)
    }

    fn vehicle(&self, id: RecordId) -> Result<Option<VehicleRecord>, StoreError> {
        self.bytes_by_id(VEHICLES, id.as_u128())?
            .map(|bytes| decode("vehicle", &bytes))
            .transpose()
    }

    fn vehicles_of(&self, member: RecordId) -> Result<Vec<VehicleRecord>, StoreError> {
        self.get_linked(MEMBER_VEHICLES, VEHICLES, member, "vehicle")
    }

    /// A member's consent changes, oldest first.
    fn consents(&self, member: RecordId) -> Result<Vec<ConsentRecord>, StoreError> {
        self.appended_bytes(CONSENTS, member)?
            .iter()
            .map(|bytes| decode("consent", bytes))
            .collect()
    }

    fn audit_head(&self) -> Result<Option<(u64, [u8; 32])>, StoreError> {
        match self.last_audit()? {
            Some((seq, bytes)) => {
                let entry = audit::decode(&bytes).map_err(|err| {
                    StoreError::Corrupt(format!("the newest audit entry cannot be read: {err}"))
                })?;
                Ok(Some((seq, entry.hash)))
            }
            None => Ok(None),
        }
    }
}

fn get_by_id(
    table: &impl ReadableTable<u128, &'static [u8]>,
    id: u128,
) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(table.get(id)?.map(|value| value.value().to_vec()))
}

fn get_by_name(
    table: &impl ReadableTable<&'static str, &'static [u8]>,
    key: &str,
) -> Result<Option<Vec<u8>>, StoreError> {
    Ok(table.get(key)?.map(|value| value.value().to_vec()))
}

fn scan_table(
    table: &impl ReadableTable<u128, &'static [u8]>,
    visit: &mut RecordVisitor<'_>,
) -> Result<(), StoreError> {
    for item in table.iter()? {
        let (key, value) = item?;
        visit(key.value(), value.value())?;
    }
    Ok(())
}

fn scan_audit_table(
    table: &impl ReadableTable<u64, &'static [u8]>,
    from: u64,
    visit: &mut dyn FnMut(u64, &[u8]) -> bool,
) -> Result<(), StoreError> {
    for item in table.range(from..)? {
        let (key, value) = item?;
        if !visit(key.value(), value.value()) {
            break;
        }
    }
    Ok(())
}

fn scan_audit_table_back(
    table: &impl ReadableTable<u64, &'static [u8]>,
    before: Option<u64>,
    visit: &mut dyn FnMut(u64, &[u8]) -> bool,
) -> Result<(), StoreError> {
    let range = match before {
        Some(before) => table.range(..before)?,
        None => table.range(0..)?,
    };
    for item in range.rev() {
        let (key, value) = item?;
        if !visit(key.value(), value.value()) {
            break;
        }
    }
    Ok(())
}

fn scan_range(
    table: &impl ReadableTable<u128, &'static [u8]>,
    from: u128,
    to: u128,
    visit: &mut RecordVisitor<'_>,
) -> Result<(), StoreError> {
    if from >= to {
        return Ok(());
    }
    for item in table.range(from..to)? {
        let (key, value) = item?;
        visit(key.value(), value.value())?;
    }
    Ok(())
}

fn appended_in(
    table: &impl ReadableTable<(u128, u64), &'static [u8]>,
    key: RecordId,
) -> Result<Vec<Vec<u8>>, StoreError> {
    let key = key.as_u128();
    let mut entries = Vec::new();
    for item in table.range((key, 0)..=(key, u64::MAX))? {
        entries.push(item?.1.value().to_vec());
    }
    Ok(entries)
}

fn last_of(
    table: &impl ReadableTable<u64, &'static [u8]>,
) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
    Ok(table
        .last()?
        .map(|(key, value)| (key.value(), value.value().to_vec())))
}

fn bookings_in(
    table: &impl ReadableTable<(u128, i64), u128>,
    bay: RecordId,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<RecordId>, StoreError> {
    let mut ids = Vec::new();
    if from_ms >= to_ms {
        return Ok(ids);
    }
    for item in table.range((bay.as_u128(), from_ms)..(bay.as_u128(), to_ms))? {
        let (_, booking) = item?;
        ids.push(RecordId::from_u128(booking.value()));
    }
    Ok(ids)
}

fn multimap_ids(values: redb::MultimapValue<'_, u128>) -> Result<Vec<RecordId>, StoreError> {
    let mut ids = Vec::new();
    for value in values {
        ids.push(RecordId::from_u128(value?.value()));
    }
    Ok(ids)
}

/// The site a single shop is: its receipts keep the keys they had before sites existed.
pub const FIRST_SITE: u16 = 0;

/// A receipt key is the site in the high bits and the site's own receipt number below, so
/// each site numbers gaplessly from 1 and the first site's keys are plain numbers.
const RECEIPT_SITE_SHIFT: u32 = 40;
const RECEIPT_NUMBER_MASK: u64 = (1 << RECEIPT_SITE_SHIFT) - 1;

/// The receipts-table key of `site`'s receipt `number`; `None` when the number is too large.
pub fn receipt_key(site: u16, number: u64) -> Option<u64> {
    (number <= RECEIPT_NUMBER_MASK).then(|| (u64::from(site) << RECEIPT_SITE_SHIFT) | number)
}

fn receipt_counter_key(site: u16) -> String {
    if site == FIRST_SITE {
        META_NEXT_RECEIPT_NUMBER.to_owned()
    } else {
        format!("{META_NEXT_RECEIPT_NUMBER}/{site}")
    }
}

fn decode_counter(bytes: &[u8], what: &str) -> Result<u64, StoreError> {
    let raw: [u8; 8] = bytes
        .try_into()
        .map_err(|_| StoreError::Corrupt(format!("the {what} counter is unreadable")))?;
    Ok(u64::from_le_bytes(raw))
}

/// A consistent snapshot for reading.
pub struct StoreReader {
    pub(super) tx: ReadTx,
}

/// The engine under a read transaction.
pub(super) enum ReadTx {
    Redb(ReadTransaction),
    Postgres(Box<PgTransaction>),
}

/// The engine under a write transaction.
pub(super) enum WriteTx {
    Redb(Box<WriteTransaction>),
    Postgres(Box<PgTransaction>),
}

/// One transaction's engine, borrowed: redb's transaction (read or write) or PostgreSQL's.
pub(super) enum Engine<'a, T> {
    Redb(&'a T),
    Postgres(&'a PgTransaction),
}

impl StoreReader {
    pub(super) fn new(tx: ReadTransaction) -> Self {
        Self {
            tx: ReadTx::Redb(tx),
        }
    }

    pub(super) fn on_postgres(tx: PgTransaction) -> Self {
        Self {
            tx: ReadTx::Postgres(Box::new(tx)),
        }
    }

    pub(super) fn engine(&self) -> Engine<'_, ReadTransaction> {
        match &self.tx {
            ReadTx::Redb(tx) => Engine::Redb(tx),
            ReadTx::Postgres(pg) => Engine::Postgres(pg),
        }
    }
}

fn pg_ids(values: Vec<Vec<u8>>) -> Result<Vec<RecordId>, StoreError> {
    values
        .iter()
        .map(|value| pgt::read_u128(value).map(RecordId::from_u128))
        .collect()
}

/// Both transaction kinds open tables by the same names, so one body serves both; each
/// primitive reads redb's tables or the PostgreSQL rows holding the same bytes.
macro_rules! impl_read_access {
    ($transaction:ty) => {
        impl ReadAccess for $transaction {
            fn bytes_by_id(
                &self,
                table: redb::TableDefinition<u128, &[u8]>,
                id: u128,
            ) -> Result<Option<Vec<u8>>, StoreError> {
                match self.engine() {
                    Engine::Redb(tx) => get_by_id(&tx.open_table(table)?, id),
                    Engine::Postgres(pg) => pg.get(table.name(), &pgt::u128_key(id)),
                }
            }

            fn bytes_by_name(
                &self,
                table: redb::TableDefinition<&str, &[u8]>,
                key: &str,
            ) -> Result<Option<Vec<u8>>, StoreError> {
                match self.engine() {
                    Engine::Redb(tx) => get_by_name(&tx.open_table(table)?, key),
                    Engine::Postgres(pg) => pg.get(table.name(), key.as_bytes()),
                }
            }

            fn staff_id_by_username(&self, username: &str) -> Result<Option<RecordId>, StoreError> {
                match self.engine() {
                    Engine::Redb(tx) => {
                        let table = tx.open_table(STAFF_BY_USERNAME)?;
                        Ok(table
                            .get(username)?
                            .map(|value| RecordId::from_u128(value.value())))
                    }
                    Engine::Postgres(pg) => pg
                        .get(STAFF_BY_USERNAME.name(), username.as_bytes())?
                        .map(|bytes| pgt::read_u128_value(&bytes).map(RecordId::from_u128))
                        .transpose(),
                }
            }

            fn ids_for_token(&self, token: &[u8; 32]) -> Result<Vec<RecordId>, StoreError> {
                match self.engine() {
                    Engine::Redb(tx) => {
                        multimap_ids(tx.open_multimap_table(BLIND_INDEX)?.get(token)?)
                    }
                    Engine::Postgres(pg) => pg_ids(pg.multi_get(BLIND_INDEX.name(), token)?),
                }
            }

            fn linked_ids(
                &self,
                table: redb::MultimapTableDefinition<u128, u128>,
                key: RecordId,
            ) -> Result<Vec<RecordId>, StoreError> {
                match self.engine() {
                    Engine::Redb(tx) => {
                        multimap_ids(tx.open_multimap_table(table)?.get(key.as_u128())?)
                    }
                    Engine::Postgres(pg) => {
                        pg_ids(pg.multi_get(table.name(), &pgt::u128_key(key.as_u128()))?)
                    }
                }
            }

            fn bay_bookings_starting(
                &self,
                bay: RecordId,
                from_ms: i64,
                to_ms: i64,
            ) -> Result<Vec<RecordId>, StoreError> {
                match self.engine() {
                    Engine::Redb(tx) => {
                        bookings_in(&tx.open_table(BAY_SCHEDULE)?, bay, from_ms, to_ms)
                    }
                    Engine::Postgres(pg) => {
                        let mut ids = Vec::new();
                        if from_ms >= to_ms {
                            return Ok(ids);
                        }
                        let from = pgt::pair_i64_key(bay.as_u128(), from_ms);
                        let to = pgt::pair_i64_key(bay.as_u128(), to_ms);
                        pg.scan(
                            BAY_SCHEDULE.name(),
                            Some(&from),
                            Some(&to),
                            false,
                            &mut |_, value| {
                                ids.push(RecordId::from_u128(pgt::read_u128_value(value)?));
                                Ok(true)
                            },
                        )?;
                        Ok(ids)
                    }
                }
            }

            fn ledger_bytes(&self, member: RecordId) -> Result<Vec<Vec<u8>>, StoreError> {
                self.appended_bytes(LEDGER, member)
            }

            fn appended_bytes(
                &self,
                table: redb::TableDefinition<(u128, u64), &[u8]>,
                key: RecordId,
            ) -> Result<Vec<Vec<u8>>, StoreError> {
                match self.engine() {
                    Engine::Redb(tx) => appended_in(&tx.open_table(table)?, key),
                    Engine::Postgres(pg) => {
                        let mut entries = Vec::new();
                        let from = pgt::pair_u64_key(key.as_u128(), 0);
                        let to = pgt::pair_u64_key(key.as_u128(), u64::MAX);
                        pg.scan(table.name(), Some(&from), None, false, &mut |k, value| {
                            if k > to.as_slice() {
                                return Ok(false);
                            }
                            entries.push(value.to_vec());
                            Ok(true)
                        })?;
                        Ok(entries)
                    }
                }
            }

            fn scan_appended(
                &self,
                table: redb::TableDefinition<(u128, u64), &[u8]>,
                visit: &mut RecordVisitor<'_>,
            ) -> Result<(), StoreError> {
                match self.engine() {
                    Engine::Redb(tx) => {
                        for item in tx.open_table(table)?.iter()? {
                            let (key, value) = item?;
                            visit(key.value().0, value.value())?;
                        }
                        Ok(())
                    }
                    Engine::Postgres(pg) => {
                        pg.scan(table.name(), None, None, false, &mut |key, value| {
                            visit(pgt::read_pair_u64(key)?.0, value)?;
                            Ok(true)
                        })
                    }
                }
            }

            fn plan_usage(&self, plan: RecordId, day: u32) -> Result<u32, StoreError> {
                match self.engine() {
                    Engine::Redb(tx) => Ok(tx
                        .open_table(PLAN_USAGE)?
                        .get((plan.as_u128(), day))?
                        .map(|v| v.value())
                        .unwrap_or(0)),
                    Engine::Postgres(pg) => Ok(pg
                        .get(PLAN_USAGE.name(), &pgt::pair_u32_key(plan.as_u128(), day))?
                        .map(|bytes| pgt::read_u32_value(&bytes))
                        .transpose()?
                        .unwrap_or(0)),
                }
            }

            fn first_linked(
                &self,
                table: redb::MultimapTableDefinition<u128, u128>,
                key: RecordId,
            ) -> Result<Option<RecordId>, StoreError> {
                match self.engine() {
                    Engine::Redb(tx) => {
                        let table = tx.open_multimap_table(table)?;
                        let mut values = table.get(key.as_u128())?;
                        Ok(match values.next() {
                            Some(first) => Some(RecordId::from_u128(first?.value())),
                            None => None,
                        })
                    }
                    Engine::Postgres(_) => Ok(self.linked_ids(table, key)?.into_iter().next()),
                }
            }

            fn daily_totals_bytes(&self, day: u32) -> Result<Option<Vec<u8>>, StoreError> {
                match self.engine() {
                    Engine::Redb(tx) => Ok(tx
                        .open_table(DAILY_TOTALS)?
                        .get(day)?
                        .map(|v| v.value().to_vec())),
                    Engine::Postgres(pg) => pg.get(DAILY_TOTALS.name(), &pgt::u32_key(day)),
                }
            }

            fn daily_totals_between(
                &self,
                from: u32,
                to: u32,
            ) -> Result<Vec<(u32, Vec<u8>)>, StoreError> {
                let mut rows = Vec::new();
                match self.engine() {
                    Engine::Redb(tx) => {
                        let table = tx.open_table(DAILY_TOTALS)?;
                        for row in table.range(from..=to)? {
                            let (key, value) = row?;
                            rows.push((key.value(), value.value().to_vec()));
                        }
                    }
                    Engine::Postgres(pg) => {
                        if from > to {
                            return Ok(rows);
                        }
                        let lower = pgt::u32_key(from);
                        let upper = pgt::u32_key(to);
                        pg.scan(
                            DAILY_TOTALS.name(),
                            Some(&lower),
                            None,
                            false,
                            &mut |k, v| {
                                if k > upper.as_slice() {
                                    return Ok(false);
                                }
                                rows.push((pgt::read_u32(k)?, v.to_vec()));
                                Ok(true)
                            },
                        )?;
                    }
                }
                Ok(rows)
            }

            fn receipt_bytes_by_key(&self, key: u64) -> Result<Option<Vec<u8>>, StoreError> {
                match self.engine() {
                    Engine::Redb(tx) => Ok(tx
                        .open_table(RECEIPTS)?
                        .get(key)?
                        .map(|v| v.value().to_vec())),
                    Engine::Postgres(pg) => pg.get(RECEIPTS.name(), &pgt::u64_key(key)),
                }
            }

            fn scan_receipt_keys(
                &self,
                from: u64,
                to: u64,
                visit: &mut dyn FnMut(u64, &[u8]) -> bool,
            ) -> Result<(), StoreError> {
                if from >= to {
                    return Ok(());
                }
                match self.engine() {
                    Engine::Redb(tx) => {
                        for row in tx.open_table(RECEIPTS)?.range(from..to)? {
                            let (key, bytes) = row?;
                            if !visit(key.value(), bytes.value()) {
                                break;
                            }
                        }
                        Ok(())
                    }
                    Engine::Postgres(pg) => {
                        let lower = pgt::u64_key(from);
                        let upper = pgt::u64_key(to);
                        pg.scan(
                            RECEIPTS.name(),
                            Some(&lower),
                            Some(&upper),
                            false,
                            &mut |k, v| Ok(visit(pgt::read_u64(k)?, v)),
                        )
                    }
                }
            }

            fn open_shift_id(&self, staff: RecordId) -> Result<Option<RecordId>, StoreError> {
                match self.engine() {
                    Engine::Redb(tx) => Ok(tx
                        .open_table(OPEN_SHIFTS)?
                        .get(staff.as_u128())?
                        .map(|v| RecordId::from_u128(v.value()))),
                    Engine::Postgres(pg) => pg
                        .get(OPEN_SHIFTS.name(), &pgt::u128_key(staff.as_u128()))?
                        .map(|bytes| pgt::read_u128_value(&bytes).map(RecordId::from_u128))
                        .transpose(),
                }
            }

            fn scan_by_id(
                &self,
                table: redb::TableDefinition<u128, &[u8]>,
                visit: &mut RecordVisitor<'_>,
            ) -> Result<(), StoreError> {
                match self.engine() {
                    Engine::Redb(tx) => scan_table(&tx.open_table(table)?, visit),
                    Engine::Postgres(pg) => {
                        pg.scan(table.name(), None, None, false, &mut |key, value| {
                            visit(pgt::read_u128(key)?, value)?;
                            Ok(true)
                        })
                    }
                }
            }

            fn scan_id_range(
                &self,
                table: redb::TableDefinition<u128, &[u8]>,
                from: u128,
                to: u128,
                visit: &mut RecordVisitor<'_>,
            ) -> Result<(), StoreError> {
                match self.engine() {
                    Engine::Redb(tx) => scan_range(&tx.open_table(table)?, from, to, visit),
                    Engine::Postgres(pg) => {
                        if from >= to {
                            return Ok(());
                        }
                        let lower = pgt::u128_key(from);
                        let upper = pgt::u128_key(to);
                        pg.scan(
                            table.name(),
                            Some(&lower),
                            Some(&upper),
                            false,
                            &mut |k, v| {
                                visit(pgt::read_u128(k)?, v)?;
                                Ok(true)
                            },
                        )
                    }
                }
            }

            fn id_page(
                &self,
                table: redb::TableDefinition<u128, &[u8]>,
                from: u128,
                limit: usize,
            ) -> Result<Vec<(u128, Vec<u8>)>, StoreError> {
                let mut rows = Vec::new();
                if limit == 0 {
                    return Ok(rows);
                }
                match self.engine() {
                    Engine::Redb(tx) => {
                        for row in tx.open_table(table)?.range(from..)? {
                            let (id, bytes) = row?;
                            rows.push((id.value(), bytes.value().to_vec()));
                            if rows.len() == limit {
                                break;
                            }
                        }
                    }
                    Engine::Postgres(pg) => {
                        let lower = pgt::u128_key(from);
                        pg.scan(table.name(), Some(&lower), None, false, &mut |k, v| {
                            rows.push((pgt::read_u128(k)?, v.to_vec()));
                            Ok(rows.len() < limit)
                        })?;
                    }
                }
                Ok(rows)
            }

            fn count(&self, table: redb::TableDefinition<u128, &[u8]>) -> Result<u64, StoreError> {
                match self.engine() {
                    Engine::Redb(tx) => Ok(tx.open_table(table)?.len()?),
                    Engine::Postgres(pg) => pg.count(table.name()),
                }
            }

            fn last_audit(&self) -> Result<Option<(u64, Vec<u8>)>, StoreError> {
                match self.engine() {
                    Engine::Redb(tx) => last_of(&tx.open_table(AUDIT)?),
                    Engine::Postgres(pg) => pg
                        .last(AUDIT.name())?
                        .map(|(key, value)| Ok((pgt::read_u64(&key)?, value)))
                        .transpose(),
                }
            }

            fn scan_audit(
                &self,
                from: u64,
                visit: &mut dyn FnMut(u64, &[u8]) -> bool,
            ) -> Result<(), StoreError> {
                match self.engine() {
                    Engine::Redb(tx) => scan_audit_table(&tx.open_table(AUDIT)?, from, visit),
                    Engine::Postgres(pg) => {
                        let lower = pgt::u64_key(from);
                        pg.scan(AUDIT.name(), Some(&lower), None, false, &mut |k, v| {
                            Ok(visit(pgt::read_u64(k)?, v))
                        })
                    }
                }
            }

            fn scan_audit_back(
                &self,
                before: Option<u64>,
                visit: &mut dyn FnMut(u64, &[u8]) -> bool,
            ) -> Result<(), StoreError> {
                match self.engine() {
                    Engine::Redb(tx) => {
                        scan_audit_table_back(&tx.open_table(AUDIT)?, before, visit)
                    }
                    Engine::Postgres(pg) => {
                        let upper = before.map(pgt::u64_key);
                        pg.scan(AUDIT.name(), None, upper.as_deref(), true, &mut |k, v| {
                            Ok(visit(pgt::read_u64(k)?, v))
                        })
                    }
                }
            }
        }
    };
}

impl_read_access!(StoreReader);
impl_read_access!(StoreWriter);

/// Members new to the store with everything that comes with them, for
/// [`StoreWriter::insert_new_members`]. Consents and ledger entries are listed per member in
/// the order they happened.
#[derive(Default)]
pub struct NewMembers {
    pub members: Vec<MemberRecord>,
    pub vehicles: Vec<VehicleRecord>,
    /// Blind-index token and the member it points at.
    pub index_tokens: Vec<([u8; 32], RecordId)>,
    pub consents: Vec<(RecordId, ConsentRecord)>,
    pub ledger: Vec<(RecordId, LedgerEntry)>,
    pub stats: Vec<(RecordId, MemberStats)>,
}

/// `(member, sequence)` keys for histories of new members: 0, 1, … per member in list order,
/// the rows then sorted by key.
fn sequenced<T>(rows: Vec<(RecordId, T)>) -> Vec<((u128, u64), T)> {
    let mut next: std::collections::HashMap<RecordId, u64> = std::collections::HashMap::new();
    let mut keyed: Vec<((u128, u64), T)> = rows
        .into_iter()
        .map(|(member, row)| {
            let seq = next.entry(member).or_insert(0);
            let key = (member.as_u128(), *seq);
            *seq += 1;
            (key, row)
        })
        .collect();
    keyed.sort_unstable_by_key(|(key, _)| *key);
    keyed
}

/// One atomic change. Audit entries appended here commit together with the change they
/// describe, or not at all.
pub struct StoreWriter {
    pub(super) tx: WriteTx,
    /// The redb file's health, to explain a failed commit; none on PostgreSQL.
    health: Option<Arc<FileHealth>>,
    /// Facts the service noted for the alert rules, used up by the next audit entry.
    pub(super) alert_signals: Vec<crate::domain::alerts::AlertSignal>,
}

/// A key/value pair for [`StoreWriter::table_put`]: redb's typed values or PostgreSQL's bytes.
macro_rules! on_engine {
    ($self:ident, $redb:ident => $on_redb:expr, $pg:ident => $on_pg:expr) => {
        match &$self.tx {
            WriteTx::Redb($redb) => $on_redb,
            WriteTx::Postgres($pg) => $on_pg,
        }
    };
}

impl StoreWriter {
    pub(super) fn new(tx: WriteTransaction, health: Arc<FileHealth>) -> Self {
        Self {
            tx: WriteTx::Redb(Box::new(tx)),
            health: Some(health),
            alert_signals: Vec::new(),
        }
    }

    pub(super) fn on_postgres(tx: PgTransaction) -> Self {
        Self {
            tx: WriteTx::Postgres(Box::new(tx)),
            health: None,
            alert_signals: Vec::new(),
        }
    }

    pub(super) fn engine(&self) -> Engine<'_, WriteTransaction> {
        match &self.tx {
            WriteTx::Redb(tx) => Engine::Redb(tx),
            WriteTx::Postgres(pg) => Engine::Postgres(pg),
        }
    }

    pub fn commit(self) -> Result<(), StoreError> {
        match self.tx {
            WriteTx::Redb(tx) => {
                let health = self.health;
                tx.commit().map_err(|err| match &health {
                    Some(health) => health.explain(StoreError::from(err)),
                    None => StoreError::from(err),
                })
            }
            WriteTx::Postgres(pg) => pg.commit(),
        }
    }

    /// The underlying redb transaction, for bulk loaders inside the crate that insert many
    /// rows per opened table (and may lower the durability of intermediate commits). They
    /// must write exactly the layouts the typed methods here write. A PostgreSQL store has
    /// none: those loaders work on a redb file.
    pub(crate) fn raw_transaction(&mut self) -> Result<&mut WriteTransaction, StoreError> {
        match &mut self.tx {
            WriteTx::Redb(tx) => Ok(tx),
            WriteTx::Postgres(_) => Err(StoreError::Postgres(
                "this step works on a store file only, not on a PostgreSQL store".to_owned(),
            )),
        }
    }

    /// Inserts or replaces a record in an id-keyed table.
    pub fn put<T: Serialize>(
        &mut self,
        table: redb::TableDefinition<u128, &[u8]>,
        id: RecordId,
        record: &T,
    ) -> Result<(), StoreError> {
        let bytes = encode(record)?;
        self.put_bytes(table, id.as_u128(), &bytes)
    }

    fn put_bytes(
        &mut self,
        table: redb::TableDefinition<u128, &[u8]>,
        id: u128,
        bytes: &[u8],
    ) -> Result<(), StoreError> {
        on_engine!(self,
            tx => { tx.open_table(table)?.insert(id, bytes)?; },
            pg => pg.insert(table.name(), &pgt::u128_key(id), bytes)?
        );
        Ok(())
    }

    /// Removes a record from an id-keyed table.
    pub fn delete(
        &mut self,
        table: redb::TableDefinition<u128, &[u8]>,
        id: RecordId,
    ) -> Result<(), StoreError> {
        on_engine!(self,
            tx => { tx.open_table(table)?.remove(id.as_u128())?; },
            pg => { pg.remove(table.name(), &pgt::u128_key(id.as_u128()))?; }
        );
        Ok(())
    }

    pub(super) fn put_named(
        &mut self,
        table: redb::TableDefinition<&str, &[u8]>,
        key: &str,
        bytes: &[u8],
    ) -> Result<(), StoreError> {
        on_engine!(self,
            tx => { tx.open_table(table)?.insert(key, bytes)?; },
            pg => pg.insert(table.name(), key.as_bytes(), bytes)?
        );
        Ok(())
    }

    pub(super) fn remove_named(
        &mut self,
        table: redb::TableDefinition<&str, &[u8]>,
        key: &str,
    ) -> Result<(), StoreError> {
        on_engine!(self,
            tx => { tx.open_table(table)?.remove(key)?; },
            pg => { pg.remove(table.name(), key.as_bytes())?; }
        );
        Ok(())
    }

    pub(super) fn put_by_number(
        &mut self,
        table: redb::TableDefinition<u64, &[u8]>,
        key: u64,
        bytes: &[u8],
    ) -> Result<(), StoreError> {
        on_engine!(self,
            tx => { tx.open_table(table)?.insert(key, bytes)?; },
            pg => pg.insert(table.name(), &pgt::u64_key(key), bytes)?
        );
        Ok(())
    }

    pub fn link(
        &mut self,
        table: redb::MultimapTableDefinition<u128, u128>,
        key: RecordId,
        value: RecordId,
    ) -> Result<(), StoreError> {
        on_engine!(self,
            tx => { tx.open_multimap_table(table)?.insert(key.as_u128(), value.as_u128())?; },
            pg => pg.multi_insert(
                table.name(),
                &pgt::u128_key(key.as_u128()),
                &pgt::u128_key(value.as_u128()),
            )?
        );
        Ok(())
    }

    /// Appends one entry to the end of a member's ledger.
    pub fn append_ledger<T: Serialize>(
        &mut self,
        member: RecordId,
        entry: &T,
    ) -> Result<(), StoreError> {
        self.append_to(LEDGER, member, entry)
    }

    /// Appends one consent change to a member's consent history.
    pub fn append_consent(
        &mut self,
        member: RecordId,
        consent: &ConsentRecord,
    ) -> Result<(), StoreError> {
        self.append_to(CONSENTS, member, consent)
    }

    /// Replaces a member's whole points ledger with `entries`, in order (two records of one
    /// person merged).
    pub fn replace_ledger<T: Serialize>(
        &mut self,
        member: RecordId,
        entries: &[T],
    ) -> Result<(), StoreError> {
        self.replace_appended(LEDGER, member, entries)
    }

    /// Replaces a member's whole consent history with `consents`, in order.
    pub fn replace_consents(
        &mut self,
        member: RecordId,
        consents: &[ConsentRecord],
    ) -> Result<(), StoreError> {
        self.replace_appended(CONSENTS, member, consents)
    }

    /// Every entry under `key` removed; returns how many there were.
    fn clear_appended(
        &mut self,
        table: redb::TableDefinition<(u128, u64), &[u8]>,
        key: RecordId,
    ) -> Result<u64, StoreError> {
        let key = key.as_u128();
        match &self.tx {
            WriteTx::Redb(tx) => {
                let mut table = tx.open_table(table)?;
                let mut sequences = Vec::new();
                for row in table.range((key, 0)..=(key, u64::MAX))? {
                    sequences.push(row?.0.value().1);
                }
                for sequence in &sequences {
                    table.remove((key, *sequence))?;
                }
                Ok(sequences.len() as u64)
            }
            WriteTx::Postgres(pg) => {
                let mut keys = Vec::new();
                let from = pgt::pair_u64_key(key, 0);
                let to = pgt::pair_u64_key(key, u64::MAX);
                pg.scan(table.name(), Some(&from), None, false, &mut |k, _| {
                    if k > to.as_slice() {
                        return Ok(false);
                    }
                    keys.push(k.to_vec());
                    Ok(true)
                })?;
                for k in &keys {
                    pg.remove(table.name(), k)?;
                }
                Ok(keys.len() as u64)
            }
        }
    }

    fn replace_appended<T: Serialize>(
        &mut self,
        table: redb::TableDefinition<(u128, u64), &[u8]>,
        key: RecordId,
        entries: &[T],
    ) -> Result<(), StoreError> {
        self.clear_appended(table, key)?;
        for (sequence, entry) in (0u64..).zip(entries) {
            self.put_appended(table, key.as_u128(), sequence, &encode(entry)?)?;
        }
        Ok(())
    }

    fn put_appended(
        &mut self,
        table: redb::TableDefinition<(u128, u64), &[u8]>,
        key: u128,
        sequence: u64,
        bytes: &[u8],
    ) -> Result<(), StoreError> {
        on_engine!(self,
            tx => { tx.open_table(table)?.insert((key, sequence), bytes)?; },
            pg => pg.insert(table.name(), &pgt::pair_u64_key(key, sequence), bytes)?
        );
        Ok(())
    }

    /// Moves every link of `from` in a one-to-many table to `to`; returns the linked ids.
    pub fn move_links(
        &mut self,
        table: redb::MultimapTableDefinition<u128, u128>,
        from: RecordId,
        to: RecordId,
    ) -> Result<Vec<RecordId>, StoreError> {
        match &self.tx {
            WriteTx::Redb(tx) => {
                let mut links = tx.open_multimap_table(table)?;
                let ids: Vec<RecordId> = multimap_ids(links.remove_all(from.as_u128())?)?;
                for id in &ids {
                    links.insert(to.as_u128(), id.as_u128())?;
                }
                Ok(ids)
            }
            WriteTx::Postgres(pg) => {
                let ids =
                    pg_ids(pg.multi_remove_all(table.name(), &pgt::u128_key(from.as_u128()))?)?;
                let target = pgt::u128_key(to.as_u128());
                for id in &ids {
                    pg.multi_insert(table.name(), &target, &pgt::u128_key(id.as_u128()))?;
                }
                Ok(ids)
            }
        }
    }

    /// Appends `entry` after the last one under `key` in an append-only table.
    fn append_to<T: Serialize>(
        &mut self,
        table: redb::TableDefinition<(u128, u64), &[u8]>,
        key: RecordId,
        entry: &T,
    ) -> Result<(), StoreError> {
        let bytes = encode(entry)?;
        let key = key.as_u128();
        let next = match &self.tx {
            WriteTx::Redb(tx) => {
                let table = tx.open_table(table)?;
                match table.range((key, 0)..=(key, u64::MAX))?.next_back() {
                    Some(last) => last?.0.value().1 + 1,
                    None => 0,
                }
            }
            WriteTx::Postgres(pg) => {
                let from = pgt::pair_u64_key(key, 0);
                let to = pgt::pair_u64_key(key, u64::MAX);
                let mut last = None;
                pg.scan(table.name(), Some(&from), Some(&to), true, &mut |k, _| {
                    last = Some(pgt::read_pair_u64(k)?.1);
                    Ok(false)
                })?;
                last.map_or(0, |sequence| sequence + 1)
            }
        };
        self.put_appended(table, key, next, &bytes)
    }

    pub fn put_meta_record<T: Serialize>(
        &mut self,
        key: &str,
        record: &T,
    ) -> Result<(), StoreError> {
        let bytes = encode(record)?;
        self.put_named(META, key, &bytes)
    }

    /// Marks `booking` as holding `bay` from `start_ms`.
    pub fn hold_bay(
        &mut self,
        bay: RecordId,
        start_ms: i64,
        booking: RecordId,
    ) -> Result<(), StoreError> {
        on_engine!(self,
            tx => {
                tx.open_table(BAY_SCHEDULE)?
                    .insert((bay.as_u128(), start_ms), booking.as_u128())?;
            },
            pg => pg.insert(
                BAY_SCHEDULE.name(),
                &pgt::pair_i64_key(bay.as_u128(), start_ms),
                &pgt::u128_value(booking.as_u128()),
            )?
        );
        Ok(())
    }

    pub fn release_bay(&mut self, bay: RecordId, start_ms: i64) -> Result<(), StoreError> {
        on_engine!(self,
            tx => { tx.open_table(BAY_SCHEDULE)?.remove((bay.as_u128(), start_ms))?; },
            pg => { pg.remove(BAY_SCHEDULE.name(), &pgt::pair_i64_key(bay.as_u128(), start_ms))?; }
        );
        Ok(())
    }

    pub fn set_plan_usage(
        &mut self,
        plan: RecordId,
        day: u32,
        washes: u32,
    ) -> Result<(), StoreError> {
        on_engine!(self,
            tx => { tx.open_table(PLAN_USAGE)?.insert((plan.as_u128(), day), washes)?; },
            pg => pg.insert(
                PLAN_USAGE.name(),
                &pgt::pair_u32_key(plan.as_u128(), day),
                &pgt::u32_value(washes),
            )?
        );
        Ok(())
    }

    /// Replaces one day's totals (already encoded).
    pub fn put_daily_totals(&mut self, day: u32, bytes: &[u8]) -> Result<(), StoreError> {
        on_engine!(self,
            tx => { tx.open_table(DAILY_TOTALS)?.insert(day, bytes)?; },
            pg => pg.insert(DAILY_TOTALS.name(), &pgt::u32_key(day), bytes)?
        );
        Ok(())
    }

    /// Removes one day's totals.
    pub(super) fn delete_daily_totals(&mut self, day: u32) -> Result<(), StoreError> {
        on_engine!(self,
            tx => { tx.open_table(DAILY_TOTALS)?.remove(day)?; },
            pg => { pg.remove(DAILY_TOTALS.name(), &pgt::u32_key(day))?; }
        );
        Ok(())
    }

    /// Rebuilds every day's totals from the stored visits and sales, in this transaction.
    pub fn rebuild_daily_totals(&mut self) -> Result<u64, StoreError> {
        match &self.tx {
            WriteTx::Redb(tx) => super::daily_totals::rebuild(tx),
            WriteTx::Postgres(_) => super::daily_totals::rebuild_through(self),
        }
    }

    pub fn put_settings(&mut self, settings: &ShopSettings) -> Result<(), StoreError> {
        let bytes = encode(settings)?;
        self.put_named(META, META_SETTINGS, &bytes)
    }

    /// Takes the next member number (100001, 100002, …).
    pub fn next_member_number(&mut self) -> Result<u64, StoreError> {
        self.reserve_member_numbers(1)
    }

    /// Takes `count` member numbers at once from the same counter as
    /// [`StoreWriter::next_member_number`] and returns the first (for bulk loaders).
    pub fn reserve_member_numbers(&mut self, count: u64) -> Result<u64, StoreError> {
        let current = match self.bytes_by_name(META, META_NEXT_MEMBER_NUMBER)? {
            Some(bytes) => decode_counter(&bytes, "member number")?,
            None => 100_001,
        };
        let next = current.checked_add(count).ok_or_else(|| {
            StoreError::Corrupt("the member number counter is out of range".to_owned())
        })?;
        self.put_named(META, META_NEXT_MEMBER_NUMBER, &next.to_le_bytes())?;
        Ok(current)
    }

    /// Issues the first site's next receipt number for `what`; see
    /// [`StoreWriter::issue_receipt_at`].
    pub fn issue_receipt<T: Serialize>(&mut self, what: &T) -> Result<u64, StoreError> {
        self.issue_receipt_at(FIRST_SITE, what)
    }

    /// Issues `site`'s next receipt number (1, 2, 3, …) for `what`. Called inside the sale's
    /// or refund's own transaction, so a number is used exactly when the sale commits: no
    /// gaps, no repeats, even with several sessions selling at once. Each site counts on its
    /// own.
    pub fn issue_receipt_at<T: Serialize>(
        &mut self,
        site: u16,
        what: &T,
    ) -> Result<u64, StoreError> {
        let counter = receipt_counter_key(site);
        let number = self.next_receipt_number_at(site)?;
        let out_of_range =
            || StoreError::Corrupt("the receipt number counter is out of range".to_owned());
        let next = number
            .checked_add(1)
            .filter(|next| *next <= RECEIPT_NUMBER_MASK)
            .ok_or_else(out_of_range)?;
        let key = receipt_key(site, number).ok_or_else(out_of_range)?;
        self.put_named(META, &counter, &next.to_le_bytes())?;
        let bytes = encode(what)?;
        on_engine!(self,
            tx => { tx.open_table(RECEIPTS)?.insert(key, bytes.as_slice())?; },
            pg => pg.insert(RECEIPTS.name(), &pgt::u64_key(key), &bytes)?
        );
        Ok(number)
    }

    /// Marks `shift` as the staff member's open drawer, or clears it with `None`.
    pub fn set_open_shift(
        &mut self,
        staff: RecordId,
        shift: Option<RecordId>,
    ) -> Result<(), StoreError> {
        match (&self.tx, shift) {
            (WriteTx::Redb(tx), Some(shift)) => {
                tx.open_table(OPEN_SHIFTS)?
                    .insert(staff.as_u128(), shift.as_u128())?;
            }
            (WriteTx::Redb(tx), None) => {
                tx.open_table(OPEN_SHIFTS)?.remove(staff.as_u128())?;
            }
            (WriteTx::Postgres(pg), Some(shift)) => pg.insert(
                OPEN_SHIFTS.name(),
                &pgt::u128_key(staff.as_u128()),
                &pgt::u128_value(shift.as_u128()),
            )?,
            (WriteTx::Postgres(pg), None) => {
                pg.remove(OPEN_SHIFTS.name(), &pgt::u128_key(staff.as_u128()))?;
            }
        }
        Ok(())
    }

    /// Inserts or replaces a staff record and keeps the username index in step.
    pub fn put_staff(&mut self, staff: &StaffRecord) -> Result<(), StoreError> {
        let bytes = encode(staff)?;
        let previous = self.staff(staff.id)?;
        let renamed_from = previous
            .filter(|previous| previous.username != staff.username)
            .map(|previous| previous.username);
        match &self.tx {
            WriteTx::Redb(tx) => {
                let mut by_name = tx.open_table(STAFF_BY_USERNAME)?;
                if let Some(old) = &renamed_from {
                    by_name.remove(old.as_str())?;
                }
                by_name.insert(staff.username.as_str(), staff.id.as_u128())?;
            }
            WriteTx::Postgres(pg) => {
                if let Some(old) = &renamed_from {
                    pg.remove(STAFF_BY_USERNAME.name(), old.as_bytes())?;
                }
                pg.insert(
                    STAFF_BY_USERNAME.name(),
                    staff.username.as_bytes(),
                    &pgt::u128_value(staff.id.as_u128()),
                )?;
            }
        }
        self.put_bytes(STAFF, staff.id.as_u128(), &bytes)
    }

    /// Records (or with `None`, clears) the enrolment a staff member still has to finish.
    pub fn put_staff_enrolment(
        &mut self,
        staff: RecordId,
        pending: Option<&PendingEnrolmentRecord>,
    ) -> Result<(), StoreError> {
        match pending {
            Some(pending) => self.put(STAFF_ENROLMENTS, staff, pending),
            None => self.delete(STAFF_ENROLMENTS, staff),
        }
    }

    /// Marks setup unfinished (with `Some`) or finished.
    pub fn put_unfinished_setup(
        &mut self,
        unfinished: Option<&UnfinishedSetupRecord>,
    ) -> Result<(), StoreError> {
        match unfinished {
            Some(record) => self.put_meta_record(META_SETUP_UNFINISHED, record),
            None => self.remove_named(META, META_SETUP_UNFINISHED),
        }
    }

    /// Replaces a staff member's SSH keys; an empty, unrequired set leaves no row behind.
    pub fn put_staff_ssh_keys(
        &mut self,
        staff: RecordId,
        keys: &StaffSshKeysRecord,
    ) -> Result<(), StoreError> {
        if keys.keys.is_empty() && !keys.required {
            return self.delete(STAFF_SSH_KEYS, staff);
        }
        self.put(STAFF_SSH_KEYS, staff, keys)
    }

    pub fn put_login_throttle(
        &mut self,
        username: &str,
        throttle: &LoginThrottle,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if throttle.is_stale(now) {
            self.remove_named(LOGIN_THROTTLE, username)
        } else {
            let bytes = encode(throttle)?;
            self.put_named(LOGIN_THROTTLE, username, &bytes)
        }
    }

    pub fn put_member(&mut self, member: &MemberRecord) -> Result<(), StoreError> {
        let bytes = encode(member)?;
        self.put_bytes(MEMBERS, member.id.as_u128(), &bytes)?;
        self.note_names_changed([member.id.as_u128()])
    }

    /// Asks for the file to be compacted when it is next held alone (see
    /// [`super::Store::compact_if_due`]), so erased ciphertext leaves the freed pages.
    pub fn mark_compaction_due(&mut self) -> Result<(), StoreError> {
        self.put_named(META, META_COMPACTION_DUE, &[1u8])
    }

    /// Deletes a member's record (sealed fields and wrapped key) from the members table.
    /// The caller removes the blind-index tokens it listed and leaves a tombstone.
    pub fn delete_member(&mut self, member: RecordId) -> Result<(), StoreError> {
        self.delete(MEMBERS, member)?;
        self.note_names_changed([member.as_u128()])
    }

    pub fn put_member_tombstone(&mut self, tombstone: &MemberTombstone) -> Result<(), StoreError> {
        self.put(MEMBER_TOMBSTONES, tombstone.id, tombstone)
    }

    /// Adds one erasure to the ledger (kept when the member was already in it).
    pub fn record_erasure(&mut self, erasure: &ErasureRecord) -> Result<(), StoreError> {
        if self
            .bytes_by_id(ERASURES, erasure.member.as_u128())?
            .is_none()
        {
            self.put(ERASURES, erasure.member, erasure)?;
        }
        Ok(())
    }

    /// Drops every consent change of a member (they name the staff and policy only, but
    /// belong to a person who is gone).
    pub fn delete_consents(&mut self, member: RecordId) -> Result<u64, StoreError> {
        self.clear_appended(CONSENTS, member)
    }

    /// Removes a link from a one-to-many table.
    pub fn unlink(
        &mut self,
        table: redb::MultimapTableDefinition<u128, u128>,
        key: RecordId,
        value: RecordId,
    ) -> Result<(), StoreError> {
        on_engine!(self,
            tx => { tx.open_multimap_table(table)?.remove(key.as_u128(), value.as_u128())?; },
            pg => pg.multi_remove(
                table.name(),
                &pgt::u128_key(key.as_u128()),
                &pgt::u128_key(value.as_u128()),
            )?
        );
        Ok(())
    }

    pub fn put_vehicle(&mut self, vehicle: &VehicleRecord) -> Result<(), StoreError> {
        let bytes = encode(vehicle)?;
        self.put_bytes(VEHICLES, vehicle.id.as_u128(), &bytes)?;
        self.link(MEMBER_VEHICLES, vehicle.member_id, vehicle.id)
    }

    /// Inserts many new members at once (an import), in the layouts `put_member`,
    /// `put_vehicle`, `add_index_token`, `append_consent`, `append_ledger` and
    /// `put(MEMBER_STATS, …)` write: each table opened once and its rows inserted in key
    /// order, which in one large transaction is several times faster than row by row. The
    /// members must be new: their consent and ledger histories start at sequence 0.
    pub fn insert_new_members(&mut self, new: NewMembers) -> Result<(), StoreError> {
        let NewMembers {
            mut members,
            mut vehicles,
            mut index_tokens,
            consents,
            ledger,
            mut stats,
        } = new;
        members.sort_unstable_by_key(|member| member.id);
        vehicles.sort_unstable_by_key(|vehicle| vehicle.id);
        let mut owners: Vec<(u128, u128)> = vehicles
            .iter()
            .map(|v| (v.member_id.as_u128(), v.id.as_u128()))
            .collect();
        owners.sort_unstable();
        index_tokens.sort_unstable();
        stats.sort_unstable_by_key(|(member, _)| *member);
        let consents = sequenced(consents);
        let ledger = sequenced(ledger);
        match &self.tx {
            WriteTx::Redb(tx) => {
                {
                    let mut table = tx.open_table(MEMBERS)?;
                    for member in &members {
                        table.insert(member.id.as_u128(), encode(member)?.as_slice())?;
                    }
                }
                {
                    let mut table = tx.open_table(VEHICLES)?;
                    for vehicle in &vehicles {
                        table.insert(vehicle.id.as_u128(), encode(vehicle)?.as_slice())?;
                    }
                }
                {
                    let mut table = tx.open_multimap_table(MEMBER_VEHICLES)?;
                    for (member, vehicle) in &owners {
                        table.insert(*member, *vehicle)?;
                    }
                }
                {
                    let mut table = tx.open_multimap_table(BLIND_INDEX)?;
                    for (token, member) in &index_tokens {
                        table.insert(token, member.as_u128())?;
                    }
                }
                {
                    let mut table = tx.open_table(CONSENTS)?;
                    for (key, consent) in &consents {
                        table.insert(*key, encode(consent)?.as_slice())?;
                    }
                }
                {
                    let mut table = tx.open_table(LEDGER)?;
                    for (key, entry) in &ledger {
                        table.insert(*key, encode(entry)?.as_slice())?;
                    }
                }
                {
                    let mut table = tx.open_table(MEMBER_STATS)?;
                    for (member, stats) in &stats {
                        table.insert(member.as_u128(), encode(stats)?.as_slice())?;
                    }
                }
            }
            WriteTx::Postgres(pg) => {
                let by_id = |id: u128, bytes: Vec<u8>| (pgt::u128_key(id), bytes);
                let rows: Result<Vec<_>, StoreError> = members
                    .iter()
                    .map(|m| Ok(by_id(m.id.as_u128(), encode(m)?)))
                    .collect();
                pg.insert_many(MEMBERS.name(), &rows?)?;
                let rows: Result<Vec<_>, StoreError> = vehicles
                    .iter()
                    .map(|v| Ok(by_id(v.id.as_u128(), encode(v)?)))
                    .collect();
                pg.insert_many(VEHICLES.name(), &rows?)?;
                let links: Vec<_> = owners
                    .iter()
                    .map(|(m, v)| (pgt::u128_key(*m), pgt::u128_key(*v)))
                    .collect();
                pg.multi_insert_many(MEMBER_VEHICLES.name(), &links)?;
                let tokens: Vec<_> = index_tokens
                    .iter()
                    .map(|(token, m)| (token.to_vec(), pgt::u128_key(m.as_u128())))
                    .collect();
                pg.multi_insert_many(BLIND_INDEX.name(), &tokens)?;
                let rows: Result<Vec<_>, StoreError> = consents
                    .iter()
                    .map(|((m, seq), c)| Ok((pgt::pair_u64_key(*m, *seq), encode(c)?)))
                    .collect();
                pg.insert_many(CONSENTS.name(), &rows?)?;
                let rows: Result<Vec<_>, StoreError> = ledger
                    .iter()
                    .map(|((m, seq), e)| Ok((pgt::pair_u64_key(*m, *seq), encode(e)?)))
                    .collect();
                pg.insert_many(LEDGER.name(), &rows?)?;
                let rows: Result<Vec<_>, StoreError> = stats
                    .iter()
                    .map(|(m, s)| Ok(by_id(m.as_u128(), encode(s)?)))
                    .collect();
                pg.insert_many(MEMBER_STATS.name(), &rows?)?;
            }
        }
        self.note_names_changed(members.iter().map(|member| member.id.as_u128()))
    }

    pub fn delete_vehicle(&mut self, vehicle: &VehicleRecord) -> Result<(), StoreError> {
        self.delete(VEHICLES, vehicle.id)?;
        self.unlink(MEMBER_VEHICLES, vehicle.member_id, vehicle.id)
    }

    pub fn add_index_token(
        &mut self,
        token: &[u8; 32],
        member: RecordId,
    ) -> Result<(), StoreError> {
        on_engine!(self,
            tx => { tx.open_multimap_table(BLIND_INDEX)?.insert(token, member.as_u128())?; },
            pg => pg.multi_insert(BLIND_INDEX.name(), token, &pgt::u128_key(member.as_u128()))?
        );
        Ok(())
    }

    pub fn remove_index_token(
        &mut self,
        token: &[u8; 32],
        member: RecordId,
    ) -> Result<(), StoreError> {
        on_engine!(self,
            tx => { tx.open_multimap_table(BLIND_INDEX)?.remove(token, member.as_u128())?; },
            pg => pg.multi_remove(BLIND_INDEX.name(), token, &pgt::u128_key(member.as_u128()))?
        );
        Ok(())
    }

    /// Seals `draft` onto the end of the hash chain, in this transaction, and runs the alert
    /// rules over it (their state and any alert they raise commit with it).
    pub fn append_audit(
        &mut self,
        draft: AuditDraft,
        at: DateTime<Utc>,
    ) -> Result<AuditEntry, StoreError> {
        let previous = self.audit_head()?;
        let entry = audit::seal_next(previous, draft, at);
        let bytes = audit::encode(&entry);
        self.put_audit_bytes(entry.seq, Some(&bytes))?;
        self.evaluate_alerts(&entry)?;
        Ok(entry)
    }

    fn put_audit_bytes(&mut self, seq: u64, bytes: Option<&[u8]>) -> Result<(), StoreError> {
        match (&self.tx, bytes) {
            (WriteTx::Redb(tx), Some(bytes)) => {
                tx.open_table(AUDIT)?.insert(seq, bytes)?;
            }
            (WriteTx::Redb(tx), None) => {
                tx.open_table(AUDIT)?.remove(seq)?;
            }
            (WriteTx::Postgres(pg), Some(bytes)) => {
                pg.insert(AUDIT.name(), &pgt::u64_key(seq), bytes)?
            }
            (WriteTx::Postgres(pg), None) => {
                pg.remove(AUDIT.name(), &pgt::u64_key(seq))?;
            }
        }
        Ok(())
    }

    /// Raw access to the audit table, for tamper-detection tests only.
    #[doc(hidden)]
    pub fn overwrite_audit_bytes_for_tests(
        &mut self,
        seq: u64,
        bytes: Option<&[u8]>,
    ) -> Result<(), StoreError> {
        self.put_audit_bytes(seq, bytes)
    }
}

/// Streams the audit log in sequence order without loading it all into memory. An I/O
/// error ends the stream and is kept in [`AuditStream::error`].
pub struct AuditStream<'a> {
    source: AuditSource<'a>,
    error: Option<StoreError>,
}

enum AuditSource<'a> {
    Redb(Box<redb::Range<'static, u64, &'static [u8]>>),
    /// Pages of entries read in sequence order from `next` on.
    Postgres {
        tx: &'a PgTransaction,
        next: u64,
        page: std::collections::VecDeque<(u64, Vec<u8>)>,
        done: bool,
    },
}

/// Audit entries read per round trip when streaming from PostgreSQL.
const AUDIT_PAGE: usize = 1000;

impl AuditStream<'_> {
    pub fn error(&mut self) -> Option<StoreError> {
        self.error.take()
    }
}

impl Iterator for AuditStream<'_> {
    type Item = (u64, Vec<u8>);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.source {
            AuditSource::Redb(range) => match range.next()? {
                Ok((key, value)) => Some((key.value(), value.value().to_vec())),
                Err(err) => {
                    self.error = Some(err.into());
                    None
                }
            },
            AuditSource::Postgres {
                tx,
                next,
                page,
                done,
            } => {
                if page.is_empty() && !*done {
                    let from = pgt::u64_key(*next);
                    let filled = tx.scan(AUDIT.name(), Some(&from), None, false, &mut |k, v| {
                        page.push_back((pgt::read_u64(k)?, v.to_vec()));
                        Ok(page.len() < AUDIT_PAGE)
                    });
                    if let Err(err) = filled {
                        self.error = Some(err);
                        *done = true;
                        return None;
                    }
                    match page.back() {
                        Some((last, _)) if page.len() == AUDIT_PAGE => *next = last + 1,
                        _ => *done = true,
                    }
                }
                page.pop_front()
            }
        }
    }
}

impl StoreReader {
    pub fn audit_stream(&self) -> Result<AuditStream<'_>, StoreError> {
        let source = match &self.tx {
            ReadTx::Redb(tx) => AuditSource::Redb(Box::new(tx.open_table(AUDIT)?.range(0..)?)),
            ReadTx::Postgres(pg) => AuditSource::Postgres {
                tx: pg,
                next: 0,
                page: std::collections::VecDeque::new(),
                done: false,
            },
        };
        Ok(AuditStream {
            source,
            error: None,
        })
    }

    /// Every member id some blind-index token points at.
    pub fn indexed_member_ids(&self) -> Result<std::collections::HashSet<u128>, StoreError> {
        let mut ids = std::collections::HashSet::new();
        match &self.tx {
            ReadTx::Redb(tx) => {
                let table = tx.open_multimap_table(BLIND_INDEX)?;
                for item in table.iter()? {
                    let (_, values) = item?;
                    for value in values {
                        ids.insert(value?.value());
                    }
                }
            }
            ReadTx::Postgres(pg) => pg.multi_scan(BLIND_INDEX.name(), &mut |_, value| {
                ids.insert(pgt::read_u128(value)?);
                Ok(true)
            })?,
        }
        Ok(ids)
    }
}

impl StoreReader {
    /// Every (bay, start in ms, booking) holding a bay, in bay then start order.
    pub fn bay_holdings(&self) -> Result<Vec<(u128, i64, u128)>, StoreError> {
        let mut rows = Vec::new();
        match &self.tx {
            ReadTx::Redb(tx) => {
                let table = tx.open_table(BAY_SCHEDULE)?;
                for item in table.iter()? {
                    let (key, booking) = item?;
                    let (bay, start) = key.value();
                    rows.push((bay, start, booking.value()));
                }
            }
            ReadTx::Postgres(pg) => {
                pg.scan(BAY_SCHEDULE.name(), None, None, false, &mut |k, v| {
                    let (bay, start) = pgt::read_pair_i64(k)?;
                    rows.push((bay, start, pgt::read_u128_value(v)?));
                    Ok(true)
                })?
            }
        }
        Ok(rows)
    }
}
