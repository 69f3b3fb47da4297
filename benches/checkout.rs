//! What a durable checkout costs (issue 15, BENCHMARKS.md): frontdesk's checkout commit beside
//! the same logical rows committed by SQLite (WAL, synchronous=FULL) and a raw write+fdatasync
//! on the same disk, in one run.
//!
//! ```sh
//! cargo bench --bench checkout                      # a fresh 2,000-member demo store
//! FRONTDESK_BENCH_STORE=/tmp/demo1m FRONTDESK_BENCH_PASSWORD='…' FRONTDESK_BENCH_TOTP='…' \
//!     cargo bench --bench checkout                  # the 1M-member benchmark store
//! ```
//!
//! Each round times, one after the other, one frontdesk checkout (a walk-in already on a bay,
//! paid by card: visit, ledger entry, booking completed, member statistics, receipt number,
//! daily totals, audit entry — one write transaction), one SQLite transaction with the same
//! logical rows (visit, ledger entry, booking update, member balance, an audit row chained by
//! SHA-256) and one 4 KiB write + fdatasync. Interleaving puts the machine's noise on all three
//! alike; criterion's one-function-at-a-time runs would not. The figures are printed, never
//! judged. The walk-in that precedes each checkout is not timed.
//!
//! frontdesk runs twice: with the store held alone (as the command-line tools hold it) and
//! shared (as the counter and `serve` hold it, redb's multi-process mode, which records the
//! allocator state on every commit). FRONTDESK_BENCH_ROUNDS (default 300) sets the rounds per
//! mode; FRONTDESK_BENCH_MEMBERS (default 2000) the fresh store's size; the SQLite database is
//! filled with as many members, and ten visits and ledger entries each, unless
//! FRONTDESK_BENCH_SQLITE_VISITS says otherwise. The benchmark store gains the checkouts it
//! makes (a few hundred visits yesterday and the day before); the manager logs in at the real
//! time, so the store's own logins keep working afterwards.
//!
//! With FRONTDESK_BENCH_POSTGRES set to a PostgreSQL admin address (`.ci/postgres-cluster
//! start DIR` prints one), a fourth column times the same checkout by frontdesk on PostgreSQL:
//! the bench's store is copied into a fresh database first (`copy_into_postgres`, what
//! `frontdesk migrate --to` runs), and each round then also books a walk-in there and times its
//! checkout, interleaved with the other three. The database is dropped afterwards. Without the
//! variable the column is left out and the bench says so.

use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use frontdesk::audit::Origin;
use frontdesk::auth::totp::{TotpSecret, code_at};
use frontdesk::clock::{Clock, ManualClock, SystemClock};
use frontdesk::domain::catalog::PaymentMethod;
use frontdesk::domain::money::Money;
use frontdesk::entropy::OsEntropy;
use frontdesk::ids::RecordId;
use frontdesk::service::{
    CheckoutInput, DemoOptions, LoginRequest, SecondFactor, Service, Session,
};
use frontdesk::store::records::BookingState;
use frontdesk::store::{ReadAccess, Store};
use rusqlite::{Connection, params};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

struct Credentials {
    password: String,
    secret: TotpSecret,
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    // `cargo test --benches` runs every bench binary with `--test`: nothing to check here.
    if std::env::args().any(|arg| arg == "--test") {
        return;
    }
    let rounds = env_number("FRONTDESK_BENCH_ROUNDS", 300).max(10) as usize;
    let scratch = tempfile::tempdir().expect("temp dir");
    let (data, credentials) = match std::env::var("FRONTDESK_BENCH_STORE") {
        Ok(dir) => (PathBuf::from(dir), given_credentials()),
        Err(_) => fresh_demo(scratch.path()),
    };
    let (members, timezone) = sample_members(&data);
    eprintln!(
        "checkout: store {} ({:.2} GB), {} sample members, {rounds} rounds per mode",
        data.display(),
        file_gb(&Store::file_in(&data)),
        members.len()
    );
    // SQLite and the fsync loop live on the store's own disk.
    let side = tempfile::tempdir_in(data.parent().unwrap_or(Path::new("."))).expect("side dir");
    let member_count = env_number("FRONTDESK_BENCH_SQLITE_MEMBERS", member_total(&data));
    let visits = env_number("FRONTDESK_BENCH_SQLITE_VISITS", member_count * 10);
    let mut sqlite = SqliteTill::create(&side.path().join("till.sqlite"), member_count, visits);
    let mut fsync = FsyncLoop::create(&side.path().join("fsync.bin"));

    let start = first_opening(&timezone);
    let mut last_step = None;
    let postgres = PostgresTill::create(&data, &credentials, &mut last_step);
    for (day, (mode, shared)) in [("held alone", false), ("shared (counter, serve)", true)]
        .into_iter()
        .enumerate()
    {
        // The login is at the real time, so the manager's spent code stays in step with the
        // world and later logins to this store still work. The checkouts then happen from
        // 10:00 on a day already past (yesterday, then the day before): moving the clock back
        // keeps the session fresh, where moving it forward would lock it as idle.
        let clock = Arc::new(ManualClock::new(next_login_time(&mut last_step)));
        let store = if shared {
            Store::open_shared(&data)
        } else {
            Store::open(&data)
        }
        .expect("open the store");
        let service = Service::new(store, clock.clone(), Arc::new(OsEntropy));
        let session = login(&service, &credentials, clock.now());
        clock.set(start - chrono::Duration::days(day as i64));
        let service_id = quickest_service(&service, &session);
        if let Some(pg) = &postgres {
            pg.clock.set(start - chrono::Duration::days(day as i64));
        }
        let (mut ours, mut theirs, mut floor) = (Vec::new(), Vec::new(), Vec::new());
        let mut on_postgres = Vec::new();
        for round in 0..rounds {
            clock.advance(chrono::Duration::minutes(1));
            let member = members[round % members.len()];
            if let Some(pg) = &postgres {
                pg.clock.advance(chrono::Duration::minutes(1));
                on_postgres.push(pg.checkout(member));
            }
            let booking = walk_in(&service, &session, &clock, member, service_id);
            let started = Instant::now();
            service
                .checkout(&session, card_checkout(booking.id, member))
                .expect("checkout");
            ours.push(started.elapsed());
            theirs.push(sqlite.checkout(round as u64 % member_count.max(1)));
            floor.push(fsync.once());
        }
        report(mode, &mut ours, &mut theirs, &mut floor, &mut on_postgres);
        drop(service);
    }
}

/// frontdesk on PostgreSQL: the bench's store copied into a fresh database, one manager
/// session on it, walk-ins and checkouts as on the redb store.
struct PostgresTill {
    _local: tempfile::TempDir,
    admin: String,
    database: String,
    service: Service,
    session: Session,
    clock: Arc<ManualClock>,
    service_id: RecordId,
}

impl PostgresTill {
    /// `None` (having said why) when FRONTDESK_BENCH_POSTGRES is not set.
    fn create(
        data: &Path,
        credentials: &Credentials,
        last_step: &mut Option<i64>,
    ) -> Option<PostgresTill> {
        let Ok(admin) = std::env::var("FRONTDESK_BENCH_POSTGRES") else {
            eprintln!(
                "checkout: no PostgreSQL column: set FRONTDESK_BENCH_POSTGRES to an admin address (`.ci/postgres-cluster start DIR` prints one) to add it"
            );
            return None;
        };
        let database = format!("fd_bench_checkout_{}", std::process::id());
        let mut client = postgres::Client::connect(&admin, postgres::NoTls)
            .expect("FRONTDESK_BENCH_POSTGRES is set but the server refused");
        client
            .batch_execute(&format!("CREATE DATABASE {database}"))
            .expect("create the bench database");
        let base = admin
            .rsplit_once('/')
            .map(|(base, _)| base.to_owned())
            .expect("the address ends with /DATABASE");
        let address = format!("{base}/{database}");
        let copying = Instant::now();
        let copied = Store::open(data)
            .expect("open the store")
            .copy_into_postgres(&address)
            .expect("copy the store into PostgreSQL");
        let rows: u64 = copied.iter().map(|(_, rows)| rows).sum();
        eprintln!(
            "checkout: store copied into PostgreSQL database {database} ({rows} rows) in {:.1?}",
            copying.elapsed()
        );
        let local = tempfile::tempdir().expect("local dir");
        let clock = Arc::new(ManualClock::new(next_login_time(last_step)));
        let service = Service::new(
            Store::open_postgres(&address, local.path()).expect("open the PostgreSQL store"),
            clock.clone(),
            Arc::new(OsEntropy),
        );
        let session = login(&service, credentials, clock.now());
        let service_id = quickest_service(&service, &session);
        Some(PostgresTill {
            _local: local,
            admin,
            database,
            service,
            session,
            clock,
            service_id,
        })
    }

    fn checkout(&self, member: RecordId) -> Duration {
        let booking = walk_in(
            &self.service,
            &self.session,
            &self.clock,
            member,
            self.service_id,
        );
        let started = Instant::now();
        self.service
            .checkout(&self.session, card_checkout(booking.id, member))
            .expect("checkout on PostgreSQL");
        started.elapsed()
    }
}

impl Drop for PostgresTill {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.database
            ));
        }
    }
}

/// A walk-in's checkout, paid by card.
fn card_checkout(booking: RecordId, member: RecordId) -> CheckoutInput {
    CheckoutInput {
        booking: Some(booking),
        member: Some(member),
        vehicle: None,
        lines: Vec::new(),
        discount: None,
        adjustment_reason: None,
        points: None,
        payment: PaymentMethod::Card,
        tenders: Vec::new(),
        tip: Money::from_minor(0),
    }
}

/// A walk-in on a bay now. When the day's own bookings hold every bay, the offered later slot
/// is given back and the clock moves on to it, where the bay is then free.
fn walk_in(
    service: &Service,
    session: &Session,
    clock: &ManualClock,
    member: RecordId,
    service_id: RecordId,
) -> frontdesk::service::BookingView {
    for _ in 0..100 {
        let booking = service
            .walk_in(session, Some(member), None, service_id)
            .expect("walk-in");
        if matches!(booking.state, BookingState::CheckedIn { .. }) {
            return booking;
        }
        service
            .cancel_booking(session, booking.id, "bench: every bay busy")
            .expect("give the slot back");
        clock.set(
            booking
                .start
                .max(clock.now() + chrono::Duration::minutes(1)),
        );
    }
    panic!("no bay came free for a walk-in");
}

fn given_credentials() -> Credentials {
    let password = std::env::var("FRONTDESK_BENCH_PASSWORD").unwrap_or_default();
    let secret = std::env::var("FRONTDESK_BENCH_TOTP").unwrap_or_default();
    let bytes = data_encoding::BASE32_NOPAD
        .decode(secret.trim().as_bytes())
        .expect("FRONTDESK_BENCH_TOTP is base32");
    Credentials {
        password,
        secret: TotpSecret::from_bytes(&bytes).expect("a 20-byte TOTP secret"),
    }
}

fn fresh_demo(dir: &Path) -> (PathBuf, Credentials) {
    let data = dir.join("data");
    let scratch = dir.join("scratch");
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    let report = Service::create_demo(
        Store::create(&data).expect("store"),
        Arc::new(SystemClock),
        Arc::new(OsEntropy),
        &DemoOptions {
            members: env_number("FRONTDESK_BENCH_MEMBERS", 2000),
            seed: Some(5),
        },
        &scratch,
        &mut |_| {},
    )
    .expect("demo store");
    let login = &report.logins[0];
    let bytes = data_encoding::BASE32_NOPAD
        .decode(login.credentials.enrolment.secret_base32.as_bytes())
        .expect("base32");
    (
        data,
        Credentials {
            password: login.password.expose_secret().to_owned(),
            secret: TotpSecret::from_bytes(&bytes).expect("secret"),
        },
    )
}

/// Up to 500 members spread over the store, and the shop's time zone, read before the service
/// opens the store.
fn sample_members(data: &Path) -> (Vec<RecordId>, String) {
    let store = Store::open(data).expect("open the store");
    let reader = store.read().expect("read");
    let step = (reader.member_count().expect("count members") / 500).max(1);
    let mut members = Vec::new();
    let mut seen = 0u64;
    reader
        .scan_by_id(frontdesk::store::schema::MEMBERS, &mut |id, _| {
            if seen.is_multiple_of(step) && members.len() < 500 {
                members.push(RecordId::from_u128(id));
            }
            seen += 1;
            Ok(())
        })
        .expect("scan members");
    let timezone = reader
        .settings()
        .expect("settings")
        .expect("a set-up shop")
        .timezone;
    (members, timezone)
}

fn member_total(data: &Path) -> u64 {
    Store::open(data)
        .and_then(|store| store.read()?.member_count())
        .expect("count members")
}

/// 10:00 shop time yesterday (the second mode takes the day before).
fn first_opening(timezone: &str) -> DateTime<Utc> {
    let zone: chrono_tz::Tz = timezone.parse().expect("the shop's time zone");
    let day = Utc::now().with_timezone(&zone).date_naive() - chrono::Duration::days(1);
    let ten = day.and_time(NaiveTime::from_hms_opt(10, 0, 0).expect("10:00"));
    zone.from_local_datetime(&ten)
        .single()
        .expect("10:00 is unambiguous")
        .with_timezone(&Utc)
}

/// Now, or the start of the next 30-s step when this one's code is already spent.
fn next_login_time(last_step: &mut Option<i64>) -> DateTime<Utc> {
    loop {
        let now = Utc::now();
        let step = now.timestamp() / 30;
        if *last_step != Some(step) {
            *last_step = Some(step);
            return now;
        }
        std::thread::sleep(Duration::from_millis(500));
    }
}

fn login(service: &Service, credentials: &Credentials, now: DateTime<Utc>) -> Session {
    service
        .login(LoginRequest {
            username: "manager".to_owned(),
            password: SecretString::from(credentials.password.clone()),
            second_factor: SecondFactor::Totp(code_at(
                &credentials.secret,
                now.timestamp().unsigned_abs(),
            )),
            origin: Origin::Local,
            ssh_key: None,
        })
        .expect("manager login")
}

fn quickest_service(service: &Service, session: &Session) -> RecordId {
    service
        .list_services(session)
        .expect("services")
        .into_iter()
        .filter(|s| s.active && s.earns_points)
        .min_by_key(|s| s.duration_minutes)
        .expect("an active service that earns points")
        .id
}

fn file_gb(path: &Path) -> f64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0) as f64 / 1e9
}

/// The same logical rows as a frontdesk checkout, in SQLite as a shop might set it up for a
/// till that must not lose a sale: WAL journal, synchronous=FULL.
struct SqliteTill {
    db: Connection,
    next_visit: u64,
    bookings: u64,
}

impl SqliteTill {
    fn create(path: &Path, members: u64, visits: u64) -> Self {
        let started = Instant::now();
        let db = Connection::open(path).expect("sqlite open");
        // Filled without a journal, indexes built afterwards; then the till's own settings.
        db.execute_batch(
            "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;
             CREATE TABLE members(id INTEGER PRIMARY KEY, points INTEGER NOT NULL, visits INTEGER NOT NULL);
             CREATE TABLE visits(id INTEGER PRIMARY KEY, member INTEGER NOT NULL, at INTEGER NOT NULL,
                 receipt INTEGER NOT NULL, amount INTEGER NOT NULL, body BLOB NOT NULL);
             CREATE TABLE ledger(id INTEGER PRIMARY KEY, member INTEGER NOT NULL, visit INTEGER,
                 points INTEGER NOT NULL, at INTEGER NOT NULL, expires INTEGER);
             CREATE TABLE bookings(id INTEGER PRIMARY KEY, bay INTEGER NOT NULL, start INTEGER NOT NULL,
                 end INTEGER NOT NULL, state INTEGER NOT NULL, visit INTEGER);
             CREATE TABLE audit(seq INTEGER PRIMARY KEY, prev BLOB NOT NULL, hash BLOB NOT NULL, body BLOB NOT NULL);",
        )
        .expect("sqlite schema");
        let body = vec![7u8; 160];
        {
            let tx = db.unchecked_transaction().expect("fill");
            {
                let mut member = tx
                    .prepare("INSERT INTO members VALUES (?1, 100, 10)")
                    .expect("prepare");
                for id in 0..members {
                    member.execute(params![id as i64]).expect("member");
                }
                let mut visit = tx
                    .prepare("INSERT INTO visits VALUES (?1, ?2, ?3, ?1, 4500, ?4)")
                    .expect("prepare");
                let mut entry = tx
                    .prepare("INSERT INTO ledger VALUES (?1, ?2, ?1, 45, ?3, NULL)")
                    .expect("prepare");
                for id in 0..visits {
                    let member = (id * 7919) % members.max(1);
                    visit
                        .execute(params![id as i64, member as i64, id as i64, body])
                        .expect("visit");
                    entry
                        .execute(params![id as i64, member as i64, id as i64])
                        .expect("ledger");
                }
            }
            tx.execute(
                "INSERT INTO audit VALUES (0, zeroblob(32), zeroblob(32), x'00')",
                [],
            )
            .expect("audit");
            tx.commit().expect("fill commit");
        }
        db.execute_batch(
            "CREATE INDEX visits_member ON visits(member);
             CREATE INDEX ledger_member ON ledger(member);
             PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;",
        )
        .expect("sqlite indexes and WAL");
        eprintln!(
            "checkout: SQLite filled with {members} members, {visits} visits and ledger entries in {:.1?} ({:.2} GB)",
            started.elapsed(),
            file_gb(path)
        );
        SqliteTill {
            db,
            next_visit: visits,
            bookings: 0,
        }
    }

    fn checkout(&mut self, member: u64) -> Duration {
        // The booking exists before the checkout, as the walk-in does on our side.
        self.db
            .execute(
                "INSERT INTO bookings VALUES (?1, 1, ?1, ?1 + 600, 1, NULL)",
                params![self.bookings as i64],
            )
            .expect("booking");
        let started = Instant::now();
        let visit = self.next_visit as i64;
        let tx = self.db.transaction().expect("begin");
        tx.execute(
            "INSERT INTO visits VALUES (?1, ?2, ?1, ?1, 4500, ?3)",
            params![visit, member as i64, vec![7u8; 160]],
        )
        .expect("visit");
        tx.execute(
            "INSERT INTO ledger VALUES (?1, ?2, ?1, 45, ?1, NULL)",
            params![visit, member as i64],
        )
        .expect("ledger");
        tx.execute(
            "UPDATE bookings SET state = 3, visit = ?1 WHERE id = ?2",
            params![visit, self.bookings as i64],
        )
        .expect("booking");
        tx.execute(
            "UPDATE members SET points = points + 45, visits = visits + 1 WHERE id = ?1",
            params![member as i64],
        )
        .expect("balance");
        let (seq, prev): (i64, Vec<u8>) = tx
            .query_row(
                "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
                [],
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .expect("audit head");
        let body = format!("visit.checked_out {visit} member {member}").into_bytes();
        let mut hasher = Sha256::new();
        hasher.update(&prev);
        hasher.update(&body);
        let hash = hasher.finalize().to_vec();
        tx.execute(
            "INSERT INTO audit VALUES (?1, ?2, ?3, ?4)",
            params![seq + 1, prev, hash, body],
        )
        .expect("audit");
        tx.commit().expect("commit");
        let elapsed = started.elapsed();
        self.next_visit += 1;
        self.bookings += 1;
        elapsed
    }
}

/// The floor: one 4 KiB write into an already allocated file and fdatasync.
struct FsyncLoop {
    file: File,
    round: u64,
}

impl FsyncLoop {
    fn create(path: &Path) -> Self {
        let mut file = File::create(path).expect("fsync file");
        file.write_all(&vec![0u8; 1 << 20]).expect("preallocate");
        file.sync_all().expect("sync");
        FsyncLoop { file, round: 0 }
    }

    fn once(&mut self) -> Duration {
        let block = [self.round as u8; 4096];
        let started = Instant::now();
        self.file
            .write_all_at(&block, (self.round % 256) * 4096)
            .expect("write");
        self.file.sync_data().expect("fdatasync");
        self.round += 1;
        started.elapsed()
    }
}

fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    sorted[(sorted.len() - 1) * percent / 100]
}

fn report(
    mode: &str,
    ours: &mut [Duration],
    theirs: &mut [Duration],
    floor: &mut [Duration],
    on_postgres: &mut [Duration],
) {
    for times in [&mut *ours, &mut *theirs, &mut *floor, &mut *on_postgres] {
        times.sort_unstable();
    }
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let line = |label: &str, times: &[Duration]| {
        eprintln!(
            "checkout [{mode}] {label:<28} p50 {:>7.3} ms  p90 {:>7.3} ms  p99 {:>7.3} ms  min {:>7.3}  max {:>7.3}",
            ms(percentile(times, 50)),
            ms(percentile(times, 90)),
            ms(percentile(times, 99)),
            ms(times[0]),
            ms(times[times.len() - 1]),
        )
    };
    line("frontdesk checkout", ours);
    line("SQLite WAL+FULL, same rows", theirs);
    line("write 4 KiB + fdatasync", floor);
    if !on_postgres.is_empty() {
        line("frontdesk on PostgreSQL", on_postgres);
    }
    let p50 = |times: &[Duration]| ms(percentile(times, 50));
    eprintln!(
        "checkout [{mode}] p50 ratios: frontdesk / SQLite {:.2}×, frontdesk / fdatasync {:.2}×, SQLite / fdatasync {:.2}×",
        p50(ours) / p50(theirs),
        p50(ours) / p50(floor),
        p50(theirs) / p50(floor)
    );
    if !on_postgres.is_empty() {
        eprintln!(
            "checkout [{mode}] p50 ratios: PostgreSQL / frontdesk-on-redb {:.2}×, PostgreSQL / SQLite {:.2}×, PostgreSQL / fdatasync {:.2}×",
            p50(on_postgres) / p50(ours),
            p50(on_postgres) / p50(theirs),
            p50(on_postgres) / p50(floor)
        );
    }
}
