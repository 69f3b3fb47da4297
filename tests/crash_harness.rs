//! Crash harness: a worker process takes checkouts, bookings, cancellations and refunds on a
//! real store on disk through the service, printing one `ACK …` line for every commit the
//! service acknowledged; this test SIGKILLs it at seeded-random moments, reopens the store the
//! way the app does after each kill, and checks that nothing acknowledged was lost and that
//! the shop's books still hold: balances equal ledgers, no bay is double-booked, receipt
//! numbers have no gaps, the audit chain verifies. Then the next worker carries on on the
//! same store.
//!
//! The worker is this same test binary run again with `--exact crash_worker` and
//! `FRONTDESK_CRASH_WORKER` set. `FRONTDESK_CRASH_KILLS` sets the number of kills (12 by
//! default); the full run is
//! `FRONTDESK_CRASH_KILLS=200 cargo test --release --test crash_harness -- --nocapture`.
//! `FRONTDESK_CRASH_SEED` picks another kill schedule.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::binary::printed;
use common::*;
use frontdesk::audit::Origin;
use frontdesk::clock::ManualClock;
use frontdesk::domain::catalog::{PaymentMethod, ServiceCategory};
use frontdesk::domain::loyalty::LedgerEntry;
use frontdesk::domain::money::Money;
use frontdesk::domain::refund::RefundRequest;
use frontdesk::entropy::SeededEntropy;
use frontdesk::ids::RecordId;
use frontdesk::service::integrity::verify_store;
use frontdesk::service::{
    BayInput, BookingRequest, CheckoutInput, CheckoutLine, LocalStart, MemberInput, PointsUse,
    RefundInput, Service, ServiceError, ServiceInput, Session,
};
use frontdesk::store::records::{BookingRecord, BookingState, ReceiptFor, VisitRecord};
use frontdesk::store::schema::{BOOKINGS, VISITS};
use frontdesk::store::{ReadAccess, Store, decode_record};
use secrecy::SecretString;

/// Set in the worker's environment: the data directory it works on.
const WORKER_ENV: &str = "FRONTDESK_CRASH_WORKER";
const ROUND_ENV: &str = "FRONTDESK_CRASH_ROUND";
const SECRET_ENV: &str = "FRONTDESK_CRASH_TOTP";
const MEMBERS_ENV: &str = "FRONTDESK_CRASH_MEMBERS";

/// Actions one worker takes at most before it stops by itself (it is nearly always killed
/// first).
const WORKER_ACTIONS: u32 = 150;
/// How long the parent waits for a worker to log in or acknowledge something before calling
/// it stuck.
const STUCK: Duration = Duration::from_secs(300);

/// SplitMix64: a tiny seeded generator, so the kill schedule and the worker's choices are
/// the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) => text
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name} must be a whole number, not {text:?}")),
        Err(_) => default,
    }
}

/// The instant a worker's round starts: a day per round after the shop was set up, 09:00 in
/// Vancouver, so every round logs in with a fresh TOTP step and takes walk-ins in opening hours.
fn round_start(round: u64) -> DateTime<Utc> {
    start_time() + chrono::Duration::days(round as i64)
}

// ---------------------------------------------------------------------------------------
// The worker.

/// One line on standard output, flushed before the next action starts.
fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "{line}").expect("stdout");
    out.flush().expect("flush stdout");
}

/// Refusals the shop's own rules make (a slot taken, nothing left to refund, too few
/// points): not acknowledged, not a failure. Anything else stops the worker loudly.
fn refused(what: &str, err: ServiceError) {
    match err {
        ServiceError::InvalidInput(_) | ServiceError::NotFound(_) => {
            eprintln!("refused {what}: {err}")
        }
        other => {
            eprintln!("WORKER FAILED {what}: {other}");
            std::process::exit(3);
        }
    }
}

fn member_field(member: Option<RecordId>) -> String {
    member.map_or_else(|| "guest".to_owned(), |id| id.to_string())
}

fn points_field(points: Option<i64>) -> String {
    points.map_or_else(|| "-".to_owned(), |p| p.to_string())
}

struct Worker {
    service: Service,
    clock: Arc<ManualClock>,
    session: Session,
    rng: Rng,
    members: Vec<RecordId>,
    services: Vec<RecordId>,
    bays: Vec<RecordId>,
    /// This round's acknowledged visits that may still be refunded.
    visits: Vec<(RecordId, Option<RecordId>)>,
    /// This round's acknowledged future bookings that may still be cancelled.
    bookings: Vec<RecordId>,
}

impl Worker {
    fn checkout(&mut self, booking: Option<RecordId>, member: Option<RecordId>) {
        let lines = if booking.is_some() {
            Vec::new()
        } else {
            (0..=self.rng.below(2))
                .map(|_| CheckoutLine {
                    service: *self.rng.pick(&self.services),
                    quantity: 1 + self.rng.below(2) as u32,
                    price_override: None,
                })
                .collect()
        };
        let points = match member {
            Some(member) if booking.is_none() && self.rng.below(4) == 0 => {
                match self.service.member_points(&self.session, member) {
                    Ok(view) if view.balance >= 10 => Some(PointsUse::Points(view.balance.min(40))),
                    Ok(_) => None,
                    Err(err) => return refused("points", err),
                }
            }
            _ => None,
        };
        let input = CheckoutInput {
            booking,
            member: if booking.is_some() { None } else { member },
            vehicle: None,
            lines,
            discount: None,
            adjustment_reason: None,
            points,
            payment: PaymentMethod::Card,
            tenders: Vec::new(),
            tip: Money::from_minor(0),
        };
        match self.service.checkout(&self.session, input) {
            Ok(receipt) => {
                say(&format!(
                    "ACK checkout receipt={} visit={} member={} points={}",
                    receipt.receipt_number,
                    receipt.visit,
                    member_field(member),
                    points_field(receipt.points_balance)
                ));
                self.visits.push((receipt.visit, member));
            }
            Err(err) => refused("checkout", err),
        }
    }

    fn walk_in(&mut self, member: Option<RecordId>) {
        let service = *self.rng.pick(&self.services);
        match self.service.walk_in(&self.session, member, None, service) {
            Ok(view) => {
                say(&format!(
                    "ACK booking id={} bay={} start={}",
                    view.id,
                    view.bay,
                    view.start.timestamp()
                ));
                if matches!(view.state, BookingState::CheckedIn { .. }) {
                    self.checkout(Some(view.id), member);
                } else {
                    self.bookings.push(view.id);
                }
            }
            Err(err) => refused("walk-in", err),
        }
    }

    fn book_ahead(&mut self, member: Option<RecordId>) {
        let tz = chrono_tz::America::Vancouver;
        let service = *self.rng.pick(&self.services);
        let from =
            self.clock.now_for_tests() + chrono::Duration::hours(1 + self.rng.below(24 * 6) as i64);
        let local = from.with_timezone(&tz).naive_local();
        // Half the time the first free slot; otherwise a chosen bay at a chosen time, which
        // the schedule may refuse (taken, closed).
        let (bay, local) = if self.rng.below(2) == 0 {
            match self.service.first_free_slot(
                &self.session,
                service,
                LocalStart { local, fold: None },
            ) {
                Ok(Some(offer)) => (
                    Some(offer.bay),
                    offer.start.with_timezone(&tz).naive_local(),
                ),
                Ok(None) => return,
                Err(err) => return refused("free slot", err),
            }
        } else {
            let rounded = local
                .date()
                .and_hms_opt(chrono::Timelike::hour(&local), 0, 0)
                .unwrap_or(local);
            (Some(*self.rng.pick(&self.bays)), rounded)
        };
        let request = BookingRequest {
            member,
            vehicle: None,
            service,
            bay,
            start: LocalStart { local, fold: None },
        };
        match self.service.create_booking(&self.session, request) {
            Ok(view) => {
                say(&format!(
                    "ACK booking id={} bay={} start={}",
                    view.id,
                    view.bay,
                    view.start.timestamp()
                ));
                self.bookings.push(view.id);
            }
            Err(err) => refused("booking", err),
        }
    }

    fn cancel(&mut self) {
        if self.bookings.is_empty() {
            return;
        }
        let at = self.rng.below(self.bookings.len() as u64) as usize;
        let booking = self.bookings.swap_remove(at);
        match self
            .service
            .cancel_booking(&self.session, booking, "customer phoned to cancel")
        {
            Ok(_) => say(&format!("ACK cancel booking={booking}")),
            Err(err) => refused("cancel", err),
        }
    }

    fn refund(&mut self) {
        if self.visits.is_empty() {
            return;
        }
        let at = self.rng.below(self.visits.len() as u64) as usize;
        let (visit, member) = self.visits[at];
        let whole = self.rng.below(2) == 0;
        let request = if whole {
            RefundRequest::Whole
        } else {
            RefundRequest::Amount(Money::from_minor(500))
        };
        let input = RefundInput {
            visit,
            request,
            reason: "wheels not clean".to_owned(),
            to_method: None,
        };
        match self.service.refund_visit(&self.session, input) {
            Ok(receipt) => {
                say(&format!(
                    "ACK refund receipt={} refund={} visit={} member={} points={}",
                    receipt.receipt_number,
                    receipt.refund,
                    visit,
                    member_field(member),
                    points_field(receipt.points_balance)
                ));
                if whole {
                    self.visits.swap_remove(at);
                }
            }
            Err(err) => refused("refund", err),
        }
    }

    fn member(&mut self) -> Option<RecordId> {
        if self.rng.below(5) == 0 {
            None
        } else {
            Some(*self.rng.pick(&self.members))
        }
    }

    fn act(&mut self) {
        self.clock.advance(chrono::Duration::seconds(20));
        let member = self.member();
        match self.rng.below(10) {
            0..=3 => self.checkout(None, member),
            4 | 5 => self.walk_in(member),
            6 | 7 => self.book_ahead(member),
            8 => self.refund(),
            _ => self.cancel(),
        }
    }
}

fn run_worker(dir: &Path) {
    let round = env_number(ROUND_ENV, 1);
    let secret = data_encoding::HEXLOWER
        .decode(std::env::var(SECRET_ENV).expect("TOTP secret").as_bytes())
        .expect("hex secret");
    let members: Vec<RecordId> = std::env::var(MEMBERS_ENV)
        .expect("members")
        .split(',')
        .map(|id| id.parse().expect("member id"))
        .collect();
    let clock = Arc::new(ManualClock::new(round_start(round)));
    // The same open the app makes: recovery after the previous worker's kill happens here.
    let store = Store::open(dir).expect("the store opens after a kill");
    let service = Service::new(store, clock.clone(), Arc::new(SeededEntropy::new(round)));
    let code = phone_code(&secret, clock.now_for_tests());
    let session = service
        .login(frontdesk::service::LoginRequest {
            username: MANAGER.to_owned(),
            password: SecretString::from(MANAGER_PASSWORD.to_owned()),
            second_factor: frontdesk::service::SecondFactor::Totp(code),
            origin: Origin::Local,
            ssh_key: None,
        })
        .expect("manager login");
    let services = service
        .list_services(&session)
        .expect("services")
        .into_iter()
        .map(|s| s.id)
        .collect();
    let bays = service
        .list_bays(&session)
        .expect("bays")
        .into_iter()
        .map(|b| b.id)
        .collect();
    let mut worker = Worker {
        service,
        clock,
        session,
        rng: Rng(round.wrapping_mul(7919)),
        members,
        services,
        bays,
        visits: Vec::new(),
        bookings: Vec::new(),
    };
    // libtest may have written `test crash_worker ... ` on this line already.
    say("READY");
    for _ in 0..WORKER_ACTIONS {
        worker.act();
    }
    say("DONE");
}

/// The worker: does nothing unless the harness started it.
#[test]
#[ignore = "run by crash_harness in a child process"]
fn crash_worker() {
    if let Ok(dir) = std::env::var(WORKER_ENV) {
        run_worker(Path::new(&dir));
    }
}

// ---------------------------------------------------------------------------------------
// The parent.

/// One acknowledged commit, as the worker printed it.
#[derive(Debug, Clone)]
enum Ack {
    Checkout {
        receipt: u64,
        visit: RecordId,
        member: Option<RecordId>,
        points: Option<i64>,
    },
    Booking {
        id: RecordId,
        bay: RecordId,
        start: i64,
    },
    Cancel {
        booking: RecordId,
    },
    Refund {
        receipt: u64,
        refund: RecordId,
        visit: RecordId,
        member: Option<RecordId>,
        points: Option<i64>,
    },
}

fn parse_ack(line: &str) -> Ack {
    let mut words = line.split_whitespace();
    assert_eq!(words.next(), Some("ACK"));
    let kind = words.next().expect("kind");
    let fields: BTreeMap<&str, &str> = words
        .map(|word| word.split_once('=').expect("key=value"))
        .collect();
    let id = |key: &str| -> RecordId { fields[key].parse().expect("record id") };
    let member = || match fields["member"] {
        "guest" => None,
        id => Some(id.parse().expect("member id")),
    };
    let points = || match fields["points"] {
        "-" => None,
        n => Some(n.parse().expect("points")),
    };
    let number = |key: &str| -> u64 { fields[key].parse().expect("number") };
    match kind {
        "checkout" => Ack::Checkout {
            receipt: number("receipt"),
            visit: id("visit"),
            member: member(),
            points: points(),
        },
        "booking" => Ack::Booking {
            id: id("id"),
            bay: id("bay"),
            start: fields["start"].parse().expect("start"),
        },
        "cancel" => Ack::Cancel {
            booking: id("booking"),
        },
        "refund" => Ack::Refund {
            receipt: number("receipt"),
            refund: id("refund"),
            visit: id("visit"),
            member: member(),
            points: points(),
        },
        other => panic!("unknown acknowledgement {other}: {line}"),
    }
}

/// The shop the workers share: two services, three bays, six members; the manager's TOTP
/// secret and the members for the workers.
fn set_up_shop(dir: &Path) -> (Vec<u8>, Vec<RecordId>) {
    let clock = Arc::new(ManualClock::new(start_time()));
    let store = Store::create(dir).expect("create store");
    let (service, credentials) = Service::initialise(
        store,
        clock.clone(),
        Arc::new(SeededEntropy::new(42)),
        usual_setup(),
        Origin::Local,
    )
    .expect("initialise");
    let secret = credentials_secret(&credentials);
    let code = phone_code(&secret, clock.now_for_tests());
    let manager = service
        .login(frontdesk::service::LoginRequest {
            username: MANAGER.to_owned(),
            password: SecretString::from(MANAGER_PASSWORD.to_owned()),
            second_factor: frontdesk::service::SecondFactor::Totp(code),
            origin: Origin::Local,
            ssh_key: None,
        })
        .expect("manager login");
    let services: Vec<RecordId> = [("Exterior wash", 30, 2000), ("Full detail", 60, 8950)]
        .into_iter()
        .map(|(name, minutes, price)| {
            service
                .save_service(
                    &manager,
                    ServiceInput {
                        id: None,
                        name: name.to_owned(),
                        category: ServiceCategory::Exterior,
                        duration_minutes: minutes,
                        price: Money::from_minor(price),
                        earns_points: true,
                        active: true,
                        tax_class: Default::default(),
                    },
                )
                .expect("service")
                .id
        })
        .collect();
    for n in 1..=3 {
        service
            .save_bay(
                &manager,
                BayInput {
                    id: None,
                    name: format!("Bay {n}"),
                    services: services.clone(),
                    active: true,
                },
            )
            .expect("bay");
    }
    let members = (1..=6)
        .map(|n| {
            service
                .create_member(
                    &manager,
                    MemberInput {
                        name: format!("Crash Member {n}"),
                        phone: Some(format!("+1 604 555 01{n:02}")),
                        ..MemberInput::default()
                    },
                )
                .expect("member")
                .id
        })
        .collect();
    service.logout(&manager).expect("logout");
    service.wait_for_name_index();
    (secret, members)
}

/// What a worker's standard output brings: its lines, then the end of the pipe.
fn lines_of(child: &mut Child) -> Receiver<String> {
    let stdout = child.stdout.take().expect("piped stdout");
    let (send, receive) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

fn spawn_worker(dir: &Path, round: u64, secret: &[u8], members: &[RecordId]) -> Child {
    Command::new(std::env::current_exe().expect("test binary"))
        .args([
            "--exact",
            "crash_worker",
            "--nocapture",
            "--include-ignored",
            "--test-threads=1",
        ])
        .env(WORKER_ENV, dir)
        .env(ROUND_ENV, round.to_string())
        .env(SECRET_ENV, data_encoding::HEXLOWER.encode(secret))
        .env(
            MEMBERS_ENV,
            members
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(","),
        )
        .env("FRONTDESK_BACKUP_SCHEDULE", "off")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the worker starts")
}

/// Where one round was killed.
#[derive(Debug, Clone, Copy)]
enum KillPoint {
    /// While the worker opened the store (recovering from the last kill) or logged in.
    Starting { after: Duration },
    /// After this many acknowledgements, and then a little more.
    Working { acks: u64, after: Duration },
}

fn kill_point(rng: &mut Rng) -> KillPoint {
    if rng.below(8) == 0 {
        KillPoint::Starting {
            after: Duration::from_millis(rng.below(60)),
        }
    } else {
        KillPoint::Working {
            acks: rng.below(12),
            after: Duration::from_micros(rng.below(4000)),
        }
    }
}

/// Runs one worker until the kill point, kills it, and returns what it acknowledged.
fn run_round(
    dir: &Path,
    round: u64,
    secret: &[u8],
    members: &[RecordId],
    point: KillPoint,
) -> Vec<String> {
    let mut child = spawn_worker(dir, round, secret, members);
    let lines = lines_of(&mut child);
    // Drained as it comes, so a chatty worker never blocks on a full pipe.
    let mut stderr_pipe = child.stderr.take().expect("piped stderr");
    let stderr_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr_pipe, &mut text);
        text
    });
    let mut seen = Vec::new();
    let wait_for = |wanted: &dyn Fn(&str) -> bool, seen: &mut Vec<String>| -> bool {
        let deadline = Instant::now() + STUCK;
        loop {
            match lines.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                Ok(line) => {
                    let hit = wanted(&line);
                    let done = line == "DONE";
                    seen.push(line);
                    if hit {
                        return true;
                    }
                    if done {
                        return false;
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return false,
                Err(RecvTimeoutError::Timeout) => panic!("worker {round} is stuck"),
            }
        }
    };
    match point {
        KillPoint::Starting { after } => std::thread::sleep(after),
        KillPoint::Working { acks, after } => {
            let mut finished = !wait_for(&|line: &str| line.ends_with("READY"), &mut seen);
            let mut counted = 0;
            while !finished && counted < acks {
                finished = !wait_for(&|line: &str| line.starts_with("ACK "), &mut seen);
                counted += 1;
            }
            std::thread::sleep(after);
        }
    }
    // SIGKILL: no destructor, no flush, no close.
    let _ = child.kill();
    let status = child.wait().expect("worker reaped");
    // Whatever it printed before dying was acknowledged too.
    seen.extend(lines.iter());
    let stderr = stderr_reader.join().expect("stderr reader");
    assert!(
        !stderr.contains("WORKER FAILED") && !stderr.contains("panicked"),
        "worker {round} failed on its own (status {status}):\n{stderr}"
    );
    if status.success() {
        assert!(
            seen.iter().any(|line| line == "DONE"),
            "worker {round} exited without finishing:\n{stderr}"
        );
    }
    seen.into_iter()
        .filter(|line| line.starts_with("ACK "))
        .collect()
}

/// Every acknowledged commit is in the reopened store, as it was acknowledged.
fn check_acks(reader: &impl ReadAccess, acks: &[Ack]) {
    let mut receipts = BTreeMap::new();
    reader
        .scan_receipts(&mut |number, bytes| {
            let what: ReceiptFor = decode_record("receipt", bytes).expect("receipt decodes");
            receipts.insert(number, what);
            true
        })
        .expect("receipts");
    let visit = |id: RecordId| -> VisitRecord {
        reader
            .get::<VisitRecord>(VISITS, id, "visit")
            .expect("read visit")
            .unwrap_or_else(|| panic!("acknowledged visit {id} is missing"))
    };
    for ack in acks {
        match ack {
            Ack::Checkout {
                receipt,
                visit: id,
                member,
                points,
            } => {
                assert_eq!(
                    receipts.get(receipt),
                    Some(&ReceiptFor::Visit(*id)),
                    "acknowledged receipt {receipt} for visit {id}"
                );
                let stored = visit(*id);
                assert_eq!(stored.receipt_number, Some(*receipt));
                assert_eq!(stored.member, *member, "visit {id}'s member");
                check_balance_then(reader, *member, *points, *id, ack);
            }
            Ack::Booking { id, bay, start } => {
                let booking: BookingRecord = reader
                    .get(BOOKINGS, *id, "booking")
                    .expect("read booking")
                    .unwrap_or_else(|| panic!("acknowledged booking {id} is missing"));
                assert_eq!((booking.bay, booking.start.timestamp()), (*bay, *start));
            }
            Ack::Cancel { booking } => {
                let booking: BookingRecord = reader
                    .get(BOOKINGS, *booking, "booking")
                    .expect("read booking")
                    .expect("cancelled booking is kept");
                assert!(
                    matches!(booking.state, BookingState::Cancelled { .. }),
                    "acknowledged cancellation of {} is lost: {:?}",
                    booking.id,
                    booking.state
                );
            }
            Ack::Refund {
                receipt,
                refund,
                visit: id,
                member,
                points,
            } => {
                assert_eq!(
                    receipts.get(receipt),
                    Some(&ReceiptFor::Refund {
                        visit: *id,
                        refund: *refund
                    }),
                    "acknowledged refund receipt {receipt}"
                );
                let stored = visit(*id);
                assert!(
                    stored
                        .refunds
                        .iter()
                        .any(|r| r.id == *refund && r.receipt_number == *receipt),
                    "acknowledged refund {refund} is not on visit {id}"
                );
                check_balance_then(reader, *member, *points, *id, ack);
            }
        }
    }
}

/// The balance the worker was told right after a commit on `visit` is the member's ledger
/// summed up to one of that visit's entries: the entries were committed with the answer.
fn check_balance_then(
    reader: &impl ReadAccess,
    member: Option<RecordId>,
    points: Option<i64>,
    visit: RecordId,
    ack: &Ack,
) {
    let (Some(member), Some(points)) = (member, points) else {
        return;
    };
    let ledger: Vec<LedgerEntry> = reader.ledger(member).expect("ledger");
    let mut sum = 0;
    let mut sums_for_visit = Vec::new();
    for entry in &ledger {
        sum += entry.points;
        if entry.visit == Some(visit) {
            sums_for_visit.push(sum);
        }
    }
    // A visit that earned and used no points leaves no entry: nothing to compare.
    assert!(
        sums_for_visit.is_empty() || sums_for_visit.contains(&points),
        "{ack:?}: the acknowledged balance {points} is no prefix of the ledger ({sums_for_visit:?})"
    );
}

struct Figures {
    kills: u64,
    starting_kills: u64,
    acks: BTreeMap<&'static str, u64>,
    reopen: Vec<Duration>,
}

fn kind(ack: &Ack) -> &'static str {
    match ack {
        Ack::Checkout { .. } => "checkouts",
        Ack::Booking { .. } => "bookings",
        Ack::Cancel { .. } => "cancellations",
        Ack::Refund { .. } => "refunds",
    }
}

/// Opens the store the way the app does, times it, runs `frontdesk verify`'s checks and the
/// acknowledgement checks.
fn reopen_and_check(dir: &Path, acks: &[Ack], figures: &mut Figures) {
    let started = Instant::now();
    let mut store = Store::open(dir).expect("the store opens after a kill");
    figures.reopen.push(started.elapsed());
    let report = verify_store(&mut store, None).expect("verify runs");
    if !report.is_ok() {
        let reader = store.read().expect("read");
        for (bay, start, id) in reader.bay_holdings().expect("holdings") {
            let booking: BookingRecord = reader
                .get(BOOKINGS, RecordId::from_u128(id), "booking")
                .expect("read")
                .expect("booking");
            eprintln!(
                "bay {} start {} booking {} {}..{} walk_in {} {:?}",
                RecordId::from_u128(bay),
                start,
                booking.id,
                booking.start,
                booking.end,
                booking.walk_in,
                booking.state
            );
        }
    }
    assert!(
        report.is_ok(),
        "verify after kill {}:\n{}",
        figures.kills,
        report.lines().join("\n")
    );
    check_acks(&store.read().expect("read"), acks);
}

#[test]
fn acknowledged_commits_survive_sigkill_and_the_books_still_balance() {
    if std::env::var(WORKER_ENV).is_ok() {
        return;
    }
    let kills = env_number("FRONTDESK_CRASH_KILLS", 12);
    let mut schedule = Rng(env_number("FRONTDESK_CRASH_SEED", 15));
    let dir = tempfile::tempdir().expect("temp dir");
    let (secret, members) = set_up_shop(dir.path());
    let mut all = Vec::new();
    let mut figures = Figures {
        kills: 0,
        starting_kills: 0,
        acks: BTreeMap::new(),
        reopen: Vec::new(),
    };
    for round in 1..=kills {
        let point = kill_point(&mut schedule);
        if matches!(point, KillPoint::Starting { .. }) {
            figures.starting_kills += 1;
        }
        let acked: Vec<Ack> = run_round(dir.path(), round, &secret, &members, point)
            .iter()
            .map(|line| parse_ack(line))
            .collect();
        figures.kills += 1;
        for ack in &acked {
            *figures.acks.entry(kind(ack)).or_default() += 1;
        }
        // Each reopen checks this round's acknowledgements; every 25th, and the last, all of
        // them since the start.
        all.extend(acked.iter().cloned());
        let check = if round % 25 == 0 || round == kills {
            &all[..]
        } else {
            &acked[..]
        };
        reopen_and_check(dir.path(), check, &mut figures);
    }

    // The real binary agrees, from a cold start.
    let verified = std::process::Command::new(env!("CARGO_BIN_EXE_frontdesk"))
        .arg("--data")
        .arg(dir.path())
        .arg("verify")
        .env("FRONTDESK_BACKUP_SCHEDULE", "off")
        .env_remove("FRONTDESK_DATA")
        .output()
        .expect("frontdesk verify runs");
    assert!(verified.status.success(), "{}", printed(&verified));
    assert!(printed(&verified).contains("verify: OK"));

    figures.reopen.sort();
    let max = figures.reopen.last().copied().unwrap_or_default();
    let median = figures.reopen[figures.reopen.len() / 2];
    let total: u64 = figures.acks.values().sum();
    println!(
        "crash harness: {} kills ({} while starting), {} acknowledged commits {:?}, reopen after kill median {:?} max {:?}, no failures",
        figures.kills, figures.starting_kills, total, figures.acks, median, max
    );
}
