//! The demo store (`frontdesk demo`): a shop flagged DEMO with invented members, cars, three
//! years of visits, points, plans and packages, a busy bay calendar around today, and two
//! staff accounts ready to log in.
//!
//! It is written in bulk, not one service call per record, so a million members take minutes:
//! generator threads build and seal each member's records exactly as the service would (same
//! record layouts, per-member keys, field contexts and blind-index tokens) and the calling
//! thread inserts them, many thousand members per write transaction, in key order. Tables whose
//! keys would arrive in random order (visits, blind-index tokens, plan usage) go through an
//! external sort in the scratch directory first. Intermediate commits are not durable; the
//! last one is. The audit log gets the usual setup entries and one `store.demo_generated`
//! entry, not one per record.
//!
//! Randomness: the seed (given, or drawn from the OS and reported) drives every choice of
//! *data* — people, cars, visit times, bookings, record ids — so the same seed on the same day
//! gives the same members, numbers and sample lookups. The day is the only other input: the
//! history runs up to the start of today in the shop's zone, never up to the moment of the
//! build, and nothing depends on how many threads generate it or in which order they finish.
//! Key material never comes from the seed: the store key, member keys, nonces, salts, staff
//! passwords and TOTP secrets always come from the injected OS entropy, so knowing a seed
//! never helps to open a demo store's file.

mod dice;
mod history;
mod people;
mod shop;
mod spool;
mod till;

use std::collections::{BTreeMap, HashMap};
use std::ops::AddAssign;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};

use chrono::{DateTime, Months, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use redb::Durability;
use secrecy::SecretString;

use self::dice::{Dice, Stream};
use self::history::{Outcome, PlannedBooking};
use self::people::{NameStyle, Person};
use self::shop::{Calendar, Shop};
use self::spool::{SpoolKind, SpoolWriter, drain_bucket};
use super::setup::{InitialSetup, StaffCredentials};
use super::staff::{NewStaff, new_staff_record};
use super::{Service, ServiceError, system_draft};
use crate::audit::{AuditAction, Origin};
use crate::clock::Clock;
use crate::domain::access::Role;
use crate::domain::catalog::PaymentMethod;
use crate::domain::drawer::{CashFlows, Shift, ShiftClosing, expected_cash};
use crate::domain::money::Money;
use crate::domain::price_list::Product;
use crate::entropy::{Entropy, EntropyError};
use crate::ids::RecordId;
use crate::store::records::{
    BookingRecord, BookingState, ReceiptFor, SaleRecord, ScheduleSettings, VisitRecord,
};
use crate::store::schema::{
    BAYS, BLIND_INDEX, BOOKINGS, LEDGER, MEMBER_BOOKINGS, MEMBER_PACKAGES, MEMBER_PLANS,
    MEMBER_STATS, MEMBER_VEHICLES, MEMBER_VISITS, MEMBERS, META, META_NEXT_RECEIPT_NUMBER,
    META_POINTS_POLICY, META_SCHEDULE, META_TILL, PACKAGES, PLAN_USAGE, PLANS, PRODUCTS, RECEIPTS,
    SALES, SERVICES, SHIFTS, VEHICLE_VISITS, VEHICLES, VISITS,
};
use crate::store::{ReadAccess, Store, StoreError, StoreWriter};
use crate::store::{decode_record, encode_record};
use crate::vault::UnlockedVault;

/// Members per generated chunk; each chunk is one write transaction.
const CHUNK_MEMBERS: u64 = 5_000;
/// How far generator threads may run ahead of the writer, in chunks (bounds memory).
const AHEAD_CHUNKS: u64 = 3;
const VISIT_BUCKETS: usize = 128;
const TOKEN_BUCKETS: usize = 16;
/// The most members a demo may have; beyond it the file outgrows any shop's.
pub const MAX_DEMO_MEMBERS: u64 = 5_000_000;
/// How far back the visit history goes.
const HISTORY_MONTHS: u32 = 36;

/// The first byte of a spooled takings record: a visit or a plan/package sale.
const VISIT_TAG: u8 = 0;
const SALE_TAG: u8 = 1;

const VISIT_SPOOL: SpoolKind = SpoolKind {
    name: "visits",
    key_len: 16,
    buckets: VISIT_BUCKETS,
};
const TOKEN_SPOOL: SpoolKind = SpoolKind {
    name: "tokens",
    key_len: 32,
    buckets: TOKEN_BUCKETS,
};
const USAGE_SPOOL: SpoolKind = SpoolKind {
    name: "plan-usage",
    key_len: 20,
    buckets: 1,
};

#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub members: u64,
    /// `None`: a seed is drawn from the OS and reported, so the run can be repeated.
    pub seed: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DemoStage {
    /// Members with their cars, points and links; `done`/`total` count members.
    Members,
    /// Visits, search index and plan usage sorted into place; `done`/`total` count visits.
    Visits,
}

#[derive(Debug, Clone, Copy)]
pub struct DemoProgress {
    pub stage: DemoStage,
    pub done: u64,
    pub total: u64,
    pub visits: u64,
}

/// A staff account of the demo store with what it takes to log in. Shown once, never stored
/// in this form.
pub struct DemoLogin {
    pub username: String,
    pub role: Role,
    pub password: SecretString,
    pub credentials: StaffCredentials,
}

impl std::fmt::Debug for DemoLogin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoLogin")
            .field("username", &self.username)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LookupKind {
    Phone,
    Last4,
    Plate,
    Name,
    /// A Chinese name in pinyin, surname and given name apart (`chen xiaoming`).
    Pinyin,
    /// A Chinese name's pinyin initials (`cxm`).
    Initials,
    /// A Chinese plate typed without its province character (`A12345`).
    PlateTail,
}

impl LookupKind {
    pub fn as_str(self) -> &'static str {
        match self {
            LookupKind::Phone => "phone",
            LookupKind::Last4 => "last 4",
            LookupKind::Plate => "plate",
            LookupKind::Name => "name",
            LookupKind::Pinyin => "pinyin",
            LookupKind::Initials => "initials",
            LookupKind::PlateTail => "plate tail",
        }
    }
}

/// Something to type into the search box and the member it finds. The query is an invented
/// value printed on purpose; Debug leaves it out all the same.
#[derive(Clone)]
pub struct DemoLookup {
    pub kind: LookupKind,
    pub query: String,
    pub member_number: u64,
}

impl std::fmt::Debug for DemoLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoLookup")
            .field("kind", &self.kind)
            .field("member_number", &self.member_number)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DemoCounts {
    pub members: u64,
    pub vehicles: u64,
    pub visits: u64,
    pub bookings: u64,
    pub ledger_entries: u64,
    pub redemptions: u64,
    pub expiries: u64,
    pub plans: u64,
    pub packages: u64,
}

impl AddAssign for DemoCounts {
    fn add_assign(&mut self, other: Self) {
        self.members += other.members;
        self.vehicles += other.vehicles;
        self.visits += other.visits;
        self.bookings += other.bookings;
        self.ledger_entries += other.ledger_entries;
        self.redemptions += other.redemptions;
        self.expiries += other.expiries;
        self.plans += other.plans;
        self.packages += other.packages;
    }
}

#[derive(Debug)]
pub struct DemoReport {
    pub shop_name: String,
    pub timezone: String,
    pub currency: String,
    pub seed: u64,
    /// The shop's day the data was made for: the history runs up to its start, and the same
    /// seed on this day makes the same data.
    pub data_date: NaiveDate,
    pub counts: DemoCounts,
    /// The manager first, then the cashier.
    pub logins: Vec<DemoLogin>,
    pub lookups: Vec<DemoLookup>,
}

/// Everything the generator threads share.
pub(super) struct Context<'a> {
    seed: u64,
    members: u64,
    number_base: u64,
    shop: &'a Shop,
    calendar: &'a Calendar,
    history_start_ms: i64,
    bucket_ms: i64,
    /// Where the invented history ends: the start of `today` in the shop's zone.
    as_of: DateTime<Utc>,
    today: NaiveDate,
    vault: &'a UnlockedVault,
    /// Key material: member keys and nonces. Never the seeded stream.
    keys: &'a dyn Entropy,
    cashier: RecordId,
    manager: RecordId,
    bookings: &'a [PlannedBooking],
    bookings_of: &'a HashMap<u64, Vec<usize>>,
    scratch: &'a Path,
}

/// A planned booking's member, car and (when completed) visit, once they exist.
pub(super) struct BookingLink {
    booking: usize,
    member: RecordId,
    vehicle: Option<RecordId>,
    visit: Option<RecordId>,
}

/// One chunk of members, encoded and in key order for each member-keyed table.
#[derive(Default)]
pub(super) struct ChunkOut {
    members: Vec<(u128, Vec<u8>)>,
    vehicles: Vec<(u128, Vec<u8>)>,
    member_vehicles: Vec<(u128, u128)>,
    stats: Vec<(u128, Vec<u8>)>,
    member_visits: Vec<(u128, u128)>,
    vehicle_visits: Vec<(u128, u128)>,
    ledger: Vec<(u128, u64, Vec<u8>)>,
    plans: Vec<(u128, Vec<u8>)>,
    member_plans: Vec<(u128, u128)>,
    packages: Vec<(u128, Vec<u8>)>,
    member_packages: Vec<(u128, u128)>,
    booked: Vec<BookingLink>,
    counts: DemoCounts,
}

/// One generator thread's scratch files.
pub(super) struct Spools {
    visits: SpoolWriter,
    tokens: SpoolWriter,
    usage: SpoolWriter,
}

impl Spools {
    fn new(dir: &Path, worker: usize) -> Self {
        Self {
            visits: SpoolWriter::new(dir, VISIT_SPOOL, worker),
            tokens: SpoolWriter::new(dir, TOKEN_SPOOL, worker),
            usage: SpoolWriter::new(dir, USAGE_SPOOL, worker),
        }
    }

    fn token(&mut self, token: &[u8; 32], member: RecordId) -> Result<(), ServiceError> {
        let bucket = usize::from(token[0]) * TOKEN_BUCKETS / 256;
        self.tokens.push(bucket, token, &member.to_bytes())
    }

    /// Spools a visit or a sale (tagged), keyed by its time-ordered id, so both come back in
    /// the order the till took them and receive receipt numbers in that order.
    fn visit(
        &mut self,
        ctx: &Context<'_>,
        at_ms: i64,
        visit: &VisitRecord,
    ) -> Result<(), ServiceError> {
        self.push_takings(ctx, at_ms, visit.id, VISIT_TAG, &encode_record(visit)?)
    }

    fn sale(
        &mut self,
        ctx: &Context<'_>,
        at_ms: i64,
        sale: &SaleRecord,
    ) -> Result<(), ServiceError> {
        self.push_takings(ctx, at_ms, sale.id, SALE_TAG, &encode_record(sale)?)
    }

    fn push_takings(
        &mut self,
        ctx: &Context<'_>,
        at_ms: i64,
        id: RecordId,
        tag: u8,
        bytes: &[u8],
    ) -> Result<(), ServiceError> {
        let bucket = (at_ms - ctx.history_start_ms).max(0) / ctx.bucket_ms.max(1);
        let mut tagged = Vec::with_capacity(bytes.len() + 1);
        tagged.push(tag);
        tagged.extend_from_slice(bytes);
        self.visits.push(
            usize::try_from(bucket).unwrap_or(0),
            &id.to_bytes(),
            &tagged,
        )
    }

    fn plan_usage(&mut self, plan: RecordId, day: u32, washes: u32) -> Result<(), ServiceError> {
        let mut key = [0u8; 20];
        key[..16].copy_from_slice(&plan.to_bytes());
        key[16..].copy_from_slice(&day.to_be_bytes());
        self.usage.push(0, &key, &washes.to_le_bytes())
    }

    fn finish(self) -> Result<(), ServiceError> {
        self.visits.finish()?;
        self.tokens.finish()?;
        self.usage.finish()
    }
}

fn store_error<E>(err: E) -> ServiceError
where
    StoreError: From<E>,
{
    ServiceError::from(StoreError::from(err))
}

/// A write transaction whose commit is not made durable; the last commit of the build is.
fn bulk_writer(store: &Store) -> Result<StoreWriter, ServiceError> {
    let mut writer = store.write()?;
    writer
        .raw_transaction()?
        .set_durability(Durability::None)
        .map_err(|err| ServiceError::Store(StoreError::Io(err.to_string())))?;
    Ok(writer)
}

fn os_passphrase(keys: &dyn Entropy) -> Result<SecretString, EntropyError> {
    let mut draw = |bound: u64| -> Result<u64, EntropyError> {
        let mut bytes = [0u8; 8];
        keys.fill(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes) % bound.max(1))
    };
    Ok(SecretString::from(people::passphrase(&mut draw)?))
}

/// The start of `today` in the shop's zone (or the first moment of it, where the clocks skip
/// midnight).
fn data_as_of(tz: Tz, today: NaiveDate) -> Result<DateTime<Utc>, ServiceError> {
    shop::local_instant(tz, today, NaiveTime::MIN).ok_or_else(|| bug("the start of today"))
}

fn bug(what: &str) -> ServiceError {
    ServiceError::invalid(format!(
        "the demo generator lost track of {what}; this is a bug, please report it"
    ))
}

impl Service {
    /// Builds a demo store in the empty `store`: settings flagged DEMO, a manager and a
    /// cashier, and `options.members` members with their history. `scratch` is a private
    /// directory on the same disk for the external sort (emptied again). `progress` is called
    /// from this thread now and then.
    pub fn create_demo(
        store: Store,
        clock: Arc<dyn Clock>,
        keys: Arc<dyn Entropy>,
        options: &DemoOptions,
        scratch: &Path,
        progress: &mut dyn FnMut(DemoProgress),
    ) -> Result<DemoReport, ServiceError> {
        if !(1..=MAX_DEMO_MEMBERS).contains(&options.members) {
            return Err(ServiceError::invalid(format!(
                "--members: choose between 1 and {MAX_DEMO_MEMBERS}"
            )));
        }
        let seed = match options.seed {
            Some(seed) => seed,
            // Shown to the user so the same data can be made again; small enough to type.
            None => u64::from_le_bytes(keys.as_ref().array::<8>()?) % 1_000_000,
        };
        let manager_password = os_passphrase(keys.as_ref())?;
        let cashier_password = os_passphrase(keys.as_ref())?;
        let origin = Origin::Cli {
            command: "demo".to_owned(),
        };
        let setup = InitialSetup {
            shop_name: shop::SHOP_NAME.to_owned(),
            timezone: shop::TIMEZONE.to_owned(),
            currency: shop::CURRENCY.to_owned(),
            manager_username: "manager".to_owned(),
            manager_password: manager_password.clone(),
            demo: true,
        };
        let (service, manager_credentials) =
            Service::initialise(store, clock, keys, setup, origin.clone())?;
        let mut logins = vec![DemoLogin {
            username: "manager".to_owned(),
            role: Role::Manager,
            password: manager_password,
            credentials: manager_credentials,
        }];
        let result = service.populate_demo(
            seed,
            options.members,
            cashier_password,
            &origin,
            scratch,
            progress,
            &mut logins,
        );
        // The name index thread started at setup read an empty store; let it finish so the
        // file is closed when this returns.
        service.wait_for_name_index();
        drop(service);
        let (counts, lookups, data_date) = result?;
        Ok(DemoReport {
            shop_name: shop::SHOP_NAME.to_owned(),
            timezone: shop::TIMEZONE.to_owned(),
            currency: shop::CURRENCY.to_owned(),
            seed,
            data_date,
            counts,
            logins,
            lookups,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn populate_demo(
        &self,
        seed: u64,
        members: u64,
        cashier_password: SecretString,
        origin: &Origin,
        scratch: &Path,
        progress: &mut dyn FnMut(DemoProgress),
        logins: &mut Vec<DemoLogin>,
    ) -> Result<(DemoCounts, Vec<DemoLookup>, NaiveDate), ServiceError> {
        let vault = self.unlocked_vault()?;
        let keys = self.entropy.as_ref();
        let now = self.clock.now();
        let tz = self.shop_zone()?;
        let today = now.with_timezone(&tz).date_naive();
        // The invented history runs up to the start of today, not up to this moment: every
        // draw that scales with "how long the shop has been open" would otherwise change with
        // the second the demo is built, and with it the data a seed makes.
        let as_of = data_as_of(tz, today)?;
        let first_day = today
            .checked_sub_months(Months::new(HISTORY_MONTHS))
            .ok_or_else(|| bug("the calendar"))?;
        let schedule = ScheduleSettings::default();
        let calendar = Calendar::new(tz, &schedule.hours, first_day, as_of);
        if calendar.total() <= 0 {
            return Err(bug("the opening hours"));
        }
        let history_start_ms = calendar.instant(0);
        let shop = Shop::new(
            &Dice::new(seed, Stream::Shop),
            shop::at_ms(history_start_ms),
        )?;

        // The cashier, ready to log in like the manager (no temporary password).
        let (cashier, cashier_credentials) = new_staff_record(
            &vault,
            &NewStaff {
                username: "cashier".to_owned(),
                display_name: "Demo Cashier".to_owned(),
                role: Role::Cashier,
            },
            &cashier_password,
            shop::SHOP_NAME,
            now,
            keys,
        )?;
        let manager = self
            .store
            .read()?
            .staff_by_username("manager")?
            .ok_or(ServiceError::NotFound("staff member"))?;
        logins.push(DemoLogin {
            username: cashier.username.clone(),
            role: Role::Cashier,
            password: cashier_password,
            credentials: cashier_credentials,
        });

        let number_base = {
            let mut writer = bulk_writer(&self.store)?;
            writer.put_staff(&cashier)?;
            let mut created = system_draft(origin.clone(), AuditAction::StaffCreated);
            created.objects = vec![cashier.id.to_string()];
            created.detail = Some(format!("role: {}", cashier.role));
            writer.append_audit(created, now)?;
            for service in &shop.services {
                writer.put(SERVICES, service.id, service)?;
            }
            for bay in &shop.bays {
                writer.put(BAYS, bay.id, bay)?;
            }
            writer.put_meta_record(META_SCHEDULE, &schedule)?;
            writer.put_meta_record(META_POINTS_POLICY, &shop.policy)?;
            writer.put_meta_record(META_TILL, &shop.till)?;
            // Every vehicle gets its plate-tail token as it is generated: nothing to backfill.
            writer.put_meta_record(crate::store::schema::META_PLATE_TAILS, &1u8)?;
            for product in &shop.plan_products {
                let product = Product::Plan(product.clone());
                writer.put(PRODUCTS, product.id(), &product)?;
            }
            for product in &shop.package_products {
                let product = Product::Package(product.clone());
                writer.put(PRODUCTS, product.id(), &product)?;
            }
            let base = writer.reserve_member_numbers(members)?;
            writer.commit()?;
            base
        };

        let bookings = history::plan_bookings(
            &shop,
            &schedule.hours,
            schedule.rules.buffer_minutes,
            &calendar,
            seed,
            members,
            as_of,
            today,
        )?;
        let bookings_of = history::bookings_by_member(&bookings);
        let span = as_of.timestamp_millis() - history_start_ms + 1;
        let context = Context {
            seed,
            members,
            number_base,
            shop: &shop,
            calendar: &calendar,
            history_start_ms,
            bucket_ms: span / VISIT_BUCKETS as i64 + 1,
            as_of,
            today,
            vault: &vault,
            keys,
            cashier: cashier.id,
            manager: manager.id,
            bookings: &bookings,
            bookings_of: &bookings_of,
            scratch,
        };
        let workers = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
            .clamp(1, 4);
        let (mut counts, links) = self.write_members(&context, workers, progress)?;
        counts.bookings = self.write_bookings(&context, links)?;
        // Every plan and package was sold once, and each sale is spooled with the visits.
        let takings = counts.visits + counts.plans + counts.packages;
        self.write_spooled(&context, workers, takings, progress)?;

        let mut writer = self.store.write()?;
        // The history was written in bulk, so the reports' daily totals are added up from it
        // once, in the transaction that marks the store generated.
        writer.rebuild_daily_totals()?;
        let mut draft = system_draft(origin.clone(), AuditAction::DemoStoreGenerated);
        draft.detail = Some(format!(
            "seed {seed}; {} members, {} vehicles, {} visits, {} bookings, {} ledger entries, {} plans, {} packages",
            counts.members,
            counts.vehicles,
            counts.visits,
            counts.bookings,
            counts.ledger_entries,
            counts.plans,
            counts.packages
        ));
        writer.append_audit(draft, self.clock.now())?;
        writer.commit()?;
        Ok((counts, sample_lookups(&context)?, today))
    }

    /// Generates members on `workers` threads and writes them here, one transaction per chunk,
    /// in member order.
    fn write_members(
        &self,
        ctx: &Context<'_>,
        workers: usize,
        progress: &mut dyn FnMut(DemoProgress),
    ) -> Result<(DemoCounts, Vec<BookingLink>), ServiceError> {
        let chunks = ctx.members.div_ceil(CHUNK_MEMBERS);
        let next_chunk = AtomicU64::new(0);
        let written = AtomicU64::new(0);
        let abort = AtomicBool::new(false);
        let (sender, receiver) = sync_channel::<(u64, Result<ChunkOut, ServiceError>)>(workers);
        std::thread::scope(|scope| {
            let mut handles = Vec::with_capacity(workers);
            for worker in 0..workers {
                let sender = sender.clone();
                let (next_chunk, written, abort) = (&next_chunk, &written, &abort);
                handles.push(scope.spawn(move || -> Result<(), ServiceError> {
                    let mut spools = Spools::new(ctx.scratch, worker);
                    loop {
                        let chunk = next_chunk.fetch_add(1, Ordering::SeqCst);
                        if chunk >= chunks {
                            break;
                        }
                        while chunk >= written.load(Ordering::SeqCst) + AHEAD_CHUNKS {
                            if abort.load(Ordering::SeqCst) {
                                return spools.finish();
                            }
                            std::thread::sleep(std::time::Duration::from_millis(2));
                        }
                        if abort.load(Ordering::SeqCst) {
                            break;
                        }
                        let first = chunk * CHUNK_MEMBERS;
                        let last = (first + CHUNK_MEMBERS).min(ctx.members);
                        let mut out = ChunkOut::default();
                        let result = (first..last)
                            .try_for_each(|index| {
                                history::generate_member(ctx, index, &mut out, &mut spools)
                            })
                            .map(|()| out);
                        let failed = result.is_err();
                        if sender.send((chunk, result)).is_err() || failed {
                            break;
                        }
                    }
                    spools.finish()
                }));
            }
            drop(sender);
            let outcome = self.receive_members(ctx, chunks, &receiver, &written, progress);
            abort.store(true, Ordering::SeqCst);
            drop(receiver);
            let mut worker_error = None;
            for handle in handles {
                match handle.join() {
                    Ok(Ok(())) => {}
                    Ok(Err(err)) => worker_error = worker_error.or(Some(err)),
                    Err(_) => worker_error = worker_error.or(Some(bug("a generator thread"))),
                }
            }
            let result = outcome?;
            match worker_error {
                Some(err) => Err(err),
                None => Ok(result),
            }
        })
    }

    fn receive_members(
        &self,
        ctx: &Context<'_>,
        chunks: u64,
        receiver: &Receiver<(u64, Result<ChunkOut, ServiceError>)>,
        written: &AtomicU64,
        progress: &mut dyn FnMut(DemoProgress),
    ) -> Result<(DemoCounts, Vec<BookingLink>), ServiceError> {
        let mut pending: BTreeMap<u64, Result<ChunkOut, ServiceError>> = BTreeMap::new();
        let mut counts = DemoCounts::default();
        let mut links = Vec::new();
        let mut next = 0;
        while next < chunks {
            let Some(result) = pending.remove(&next) else {
                let (chunk, result) = receiver
                    .recv()
                    .map_err(|_| bug("a generator thread that stopped"))?;
                pending.insert(chunk, result);
                continue;
            };
            let mut out = result?;
            self.write_chunk(&out)?;
            counts += out.counts;
            links.append(&mut out.booked);
            next += 1;
            written.store(next, Ordering::SeqCst);
            progress(DemoProgress {
                stage: DemoStage::Members,
                done: counts.members,
                total: ctx.members,
                visits: counts.visits,
            });
        }
        Ok((counts, links))
    }

    /// Inserts one chunk; member-keyed rows arrive in key order, so each insert appends.
    fn write_chunk(&self, out: &ChunkOut) -> Result<(), ServiceError> {
        let mut writer = bulk_writer(&self.store)?;
        let tx = writer.raw_transaction()?;
        let ids = |table, rows: &[(u128, Vec<u8>)]| -> Result<(), ServiceError> {
            let mut table = tx.open_table(table).map_err(store_error)?;
            for (id, bytes) in rows {
                table.insert(*id, bytes.as_slice()).map_err(store_error)?;
            }
            Ok(())
        };
        ids(MEMBERS, &out.members)?;
        ids(VEHICLES, &out.vehicles)?;
        ids(MEMBER_STATS, &out.stats)?;
        ids(PLANS, &out.plans)?;
        ids(PACKAGES, &out.packages)?;
        for (table, rows) in [
            (MEMBER_VEHICLES, &out.member_vehicles),
            (MEMBER_VISITS, &out.member_visits),
            (VEHICLE_VISITS, &out.vehicle_visits),
            (MEMBER_PLANS, &out.member_plans),
            (MEMBER_PACKAGES, &out.member_packages),
        ] {
            let mut table = tx.open_multimap_table(table).map_err(store_error)?;
            for (key, value) in rows {
                table.insert(*key, *value).map_err(store_error)?;
            }
        }
        {
            let mut ledger = tx.open_table(LEDGER).map_err(store_error)?;
            for (member, seq, bytes) in &out.ledger {
                ledger
                    .insert((*member, *seq), bytes.as_slice())
                    .map_err(store_error)?;
            }
        }
        writer.commit()?;
        Ok(())
    }

    /// The bookings, now that their members, cars and visits have ids.
    fn write_bookings(
        &self,
        ctx: &Context<'_>,
        mut links: Vec<BookingLink>,
    ) -> Result<u64, ServiceError> {
        links.sort_by_key(|link| ctx.bookings[link.booking].id);
        let mut writer = bulk_writer(&self.store)?;
        for link in &links {
            let planned = &ctx.bookings[link.booking];
            let (state, updated_at) = match (&planned.outcome, link.visit) {
                (Outcome::Booked, _) => (BookingState::Booked, planned.created_at),
                (Outcome::CheckedIn { at }, _) => (BookingState::CheckedIn { at: *at }, *at),
                (Outcome::Completed { checkout_at }, Some(visit)) => {
                    (BookingState::Completed { visit }, *checkout_at)
                }
                (Outcome::Completed { .. }, None) => return Err(bug("a completed booking")),
                (Outcome::NoShow { at }, _) => (BookingState::NoShow { at: *at }, *at),
                (Outcome::Cancelled { at, reason }, _) => (
                    BookingState::Cancelled {
                        at: *at,
                        reason: (*reason).to_owned(),
                    },
                    *at,
                ),
            };
            let record = BookingRecord {
                id: planned.id,
                member: Some(link.member),
                vehicle: link.vehicle,
                bay: ctx.shop.bays[planned.bay].id,
                service: ctx.shop.services[planned.service].id,
                start: planned.start,
                end: planned.end,
                walk_in: planned.walk_in,
                state,
                created_by: if planned.by_manager {
                    ctx.manager
                } else {
                    ctx.cashier
                },
                created_at: planned.created_at,
                updated_at,
            };
            writer.put(BOOKINGS, record.id, &record)?;
            if record.state.holds_bay() {
                writer.hold_bay(record.bay, record.start.timestamp_millis(), record.id)?;
            }
            writer.link(MEMBER_BOOKINGS, link.member, record.id)?;
        }
        writer.commit()?;
        if links.len() != ctx.bookings.len() {
            return Err(bug("the bookings"));
        }
        Ok(links.len() as u64)
    }

    /// Sorts the spooled visits, index tokens and plan usage into their tables.
    fn write_spooled(
        &self,
        ctx: &Context<'_>,
        workers: usize,
        visits: u64,
        progress: &mut dyn FnMut(DemoProgress),
    ) -> Result<(), ServiceError> {
        let report = |done: u64, progress: &mut dyn FnMut(DemoProgress)| {
            progress(DemoProgress {
                stage: DemoStage::Visits,
                done,
                total: visits,
                visits,
            })
        };
        let mut done = 0u64;
        let mut next_receipt = 1u64;
        // Per drawer: cash taken, cash refunded.
        let mut drawers: BTreeMap<RecordId, (Money, Money)> = BTreeMap::new();
        for bucket in 0..VISIT_BUCKETS {
            let mut writer = bulk_writer(&self.store)?;
            {
                let tx = writer.raw_transaction()?;
                let mut visit_table = tx.open_table(VISITS).map_err(store_error)?;
                let mut sale_table = tx.open_table(SALES).map_err(store_error)?;
                let mut receipts = tx.open_table(RECEIPTS).map_err(store_error)?;
                let count = drain_bucket(
                    ctx.scratch,
                    VISIT_SPOOL,
                    workers,
                    bucket,
                    &mut |key, value| {
                        let id =
                            u128::from_be_bytes(key.try_into().map_err(|_| bug("a visit id"))?);
                        let number = next_receipt;
                        next_receipt += 1;
                        let (receipt, shift, cash) = match value.split_first() {
                            Some((&VISIT_TAG, bytes)) => {
                                let mut visit: VisitRecord = decode_record("visit", bytes)?;
                                visit.receipt_number = Some(number);
                                // A refund made at the counter right after the visit takes the
                                // next numbers, and its cash comes out of the same drawer.
                                for refund in &mut visit.refunds {
                                    refund.receipt_number = next_receipt;
                                    next_receipt += 1;
                                    receipts
                                        .insert(
                                            refund.receipt_number,
                                            encode_record(&ReceiptFor::Refund {
                                                visit: visit.id,
                                                refund: refund.id,
                                            })?
                                            .as_slice(),
                                        )
                                        .map_err(store_error)?;
                                    if let Some(shift) = refund.shift {
                                        let cash = Money::checked_sum(
                                            refund
                                                .tenders
                                                .iter()
                                                .filter(|t| t.method == PaymentMethod::Cash)
                                                .map(|t| t.amount),
                                        )
                                        .map_err(|_| bug("drawer cash"))?;
                                        let drawer = drawers.entry(shift).or_default();
                                        drawer.1 = drawer
                                            .1
                                            .checked_add(cash)
                                            .map_err(|_| bug("drawer cash"))?;
                                    }
                                }
                                visit_table
                                    .insert(id, encode_record(&visit)?.as_slice())
                                    .map_err(store_error)?;
                                (
                                    ReceiptFor::Visit(visit.id),
                                    visit.shift,
                                    visit.settlement.cash_taken(),
                                )
                            }
                            Some((&SALE_TAG, bytes)) => {
                                let mut sale: SaleRecord = decode_record("sale", bytes)?;
                                sale.receipt_number = Some(number);
                                sale_table
                                    .insert(id, encode_record(&sale)?.as_slice())
                                    .map_err(store_error)?;
                                (
                                    ReceiptFor::Sale(sale.id),
                                    sale.shift,
                                    sale.settlement.cash_taken(),
                                )
                            }
                            _ => return Err(bug("a spooled takings record")),
                        };
                        receipts
                            .insert(number, encode_record(&receipt)?.as_slice())
                            .map_err(store_error)?;
                        if let Some(shift) = shift {
                            let drawer = drawers.entry(shift).or_default();
                            drawer.0 =
                                drawer.0.checked_add(cash).map_err(|_| bug("drawer cash"))?;
                        }
                        Ok(())
                    },
                )?;
                done += count as u64;
            }
            writer.commit()?;
            report(done, progress);
        }
        self.write_demo_shifts(ctx, &drawers, next_receipt)?;
        if done != visits {
            return Err(bug("the visits"));
        }
        for bucket in 0..TOKEN_BUCKETS {
            let mut writer = bulk_writer(&self.store)?;
            {
                let mut table = writer
                    .raw_transaction()?
                    .open_multimap_table(BLIND_INDEX)
                    .map_err(store_error)?;
                drain_bucket(
                    ctx.scratch,
                    TOKEN_SPOOL,
                    workers,
                    bucket,
                    &mut |key, value| {
                        let token: &[u8; 32] = key.try_into().map_err(|_| bug("a token"))?;
                        let member =
                            u128::from_be_bytes(value.try_into().map_err(|_| bug("a member id"))?);
                        table.insert(token, member).map_err(store_error)?;
                        Ok(())
                    },
                )?;
            }
            writer.commit()?;
        }
        let mut writer = bulk_writer(&self.store)?;
        {
            let mut table = writer
                .raw_transaction()?
                .open_table(PLAN_USAGE)
                .map_err(store_error)?;
            drain_bucket(ctx.scratch, USAGE_SPOOL, workers, 0, &mut |key, value| {
                let (plan, day) = key.split_at(16);
                let plan = u128::from_be_bytes(plan.try_into().map_err(|_| bug("a plan id"))?);
                let day = u32::from_be_bytes(day.try_into().map_err(|_| bug("a day"))?);
                let washes = u32::from_le_bytes(value.try_into().map_err(|_| bug("washes"))?);
                table.insert((plan, day), washes).map_err(store_error)?;
                Ok(())
            })?;
        }
        if writer.count(MEMBERS)? != ctx.members {
            return Err(bug("the members"));
        }
        writer.commit()?;
        Ok(())
    }
}

impl Service {
    /// One closed drawer shift per staff member per day they took money, each balanced by its
    /// float and the cash the visits and sales put in it (a rare day counted a nickel short),
    /// and the receipt counter set past the last receipt written.
    fn write_demo_shifts(
        &self,
        ctx: &Context<'_>,
        drawers: &BTreeMap<RecordId, (Money, Money)>,
        next_receipt: u64,
    ) -> Result<(), ServiceError> {
        let tz = ctx.shop.tz;
        let mut writer = bulk_writer(&self.store)?;
        for (&id, &(cash_sales, cash_refunds)) in drawers {
            let (till, day) = till::shift_owner(id).ok_or_else(|| bug("a drawer shift"))?;
            let staff = till::staff_of(ctx, till);
            let expected = expected_cash(&CashFlows {
                float: till::FLOAT,
                cash_sales,
                cash_refunds,
                ..CashFlows::default()
            })
            .map_err(|_| bug("drawer cash"))?;
            let short = if mix_u128(id.as_u128()).is_multiple_of(40) {
                5
            } else {
                0
            };
            let counted = Money::from_minor(expected.minor_units() - short);
            let shift = Shift {
                id,
                staff,
                opened_at: till::shift_opened(tz, day)?,
                float: till::FLOAT,
                movements: Vec::new(),
                closed: Some(ShiftClosing {
                    at: till::shift_closed(tz, day)?,
                    by: staff,
                    counted,
                    count_lines: Vec::new(),
                    cash_sales,
                    cash_refunds,
                    expected,
                }),
            };
            writer.put(SHIFTS, id, &shift)?;
        }
        writer
            .raw_transaction()?
            .open_table(META)
            .map_err(store_error)?
            .insert(
                META_NEXT_RECEIPT_NUMBER,
                next_receipt.to_le_bytes().as_slice(),
            )
            .map_err(store_error)?;
        writer.commit()?;
        Ok(())
    }
}

fn mix_u128(value: u128) -> u64 {
    dice::mix((value as u64) ^ ((value >> 64) as u64))
}

/// Search-box samples: a Chinese member (their +86 phone, plate and name) and an English-named
/// one (last four digits, BC plate, name), regenerated from the seed, so they are the values
/// that were sealed. They are the longest-standing such members: the most history to look at,
/// and searches that match many members (a common name, four digits) list older members
/// first, so the sample is always among the results shown.
fn sample_lookups(ctx: &Context<'_>) -> Result<Vec<DemoLookup>, ServiceError> {
    let person_at = |index: u64| -> Result<Person, ServiceError> {
        people::person(&Dice::new(ctx.seed, Stream::Member(index)), ctx.today)
    };
    let first_where =
        |wanted: &dyn Fn(&Person) -> bool| -> Result<Option<(u64, Person)>, ServiceError> {
            for index in (0..ctx.members).take(20_000) {
                let person = person_at(index)?;
                if wanted(&person) {
                    return Ok(Some((index, person)));
                }
            }
            Ok(None)
        };
    let chinese = first_where(&|p| {
        p.style == NameStyle::Chinese && p.chinese_phone && p.cars.iter().any(|c| c.chinese_plate)
    })?;
    let english = first_where(&|p| {
        p.style == NameStyle::English
            && p.phone.is_some()
            && !p.chinese_phone
            && p.cars.iter().any(|c| !c.chinese_plate)
    })?;
    let fallback = match (&chinese, &english) {
        (None, None) => Some((ctx.members - 1, person_at(ctx.members - 1)?)),
        _ => None,
    };
    let mut lookups = Vec::new();
    let mut add = |kind: LookupKind, query: Option<String>, index: u64| {
        if let Some(query) = query {
            lookups.push(DemoLookup {
                kind,
                query,
                member_number: ctx.number_base + index,
            });
        }
    };
    for (index, person) in chinese.iter().chain(english.iter()).chain(fallback.iter()) {
        let chinese_sample = person.style == NameStyle::Chinese;
        if chinese_sample || english.is_none() {
            add(LookupKind::Phone, person.phone_shown.clone(), *index);
        }
        if !chinese_sample || chinese.is_none() {
            add(
                LookupKind::Last4,
                person.phone.as_ref().map(|p| p.last4().to_owned()),
                *index,
            );
        }
        let plate = person
            .cars
            .iter()
            .find(|c| c.chinese_plate == chinese_sample)
            .or(person.cars.first());
        add(
            LookupKind::Plate,
            plate.map(|c| c.plate_shown.clone()),
            *index,
        );
        add(LookupKind::Name, Some(person.name.clone()), *index);
        if chinese_sample {
            let keys = crate::domain::name::pinyin_keys(&person.name);
            let full = keys.first().map(|key| key.text.clone());
            let given = keys.iter().find(|key| !key.whole_allowed && key.shown == 0);
            let spaced = full.as_deref().map(|full| match given {
                Some(given) => match full.strip_suffix(given.text.as_str()) {
                    Some(surname) => format!("{surname} {}", given.text),
                    None => full.to_owned(),
                },
                None => full.to_owned(),
            });
            add(LookupKind::Pinyin, spaced, *index);
            let initials = keys
                .iter()
                .rev()
                .find(|key| !key.whole_allowed && key.shown > 0);
            add(
                LookupKind::Initials,
                initials.map(|key| key.text.clone()),
                *index,
            );
            add(
                LookupKind::PlateTail,
                plate
                    .and_then(|car| crate::domain::plate::plate_without_province(&car.plate))
                    .map(str::to_owned),
                *index,
            );
        }
    }
    Ok(lookups)
}
