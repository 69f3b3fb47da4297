//! A chain on one PostgreSQL database (issue 16, BENCHMARKS.md): two real `frontdesk serve
//! --headless --store ADDRESS` processes on two loopback ports, 25 SSH sessions on each typing
//! the demo's sample lookups into the member search for 60 s, while desk workers book walk-ins
//! for a few shared members on the same bays and check them out, through a `Service` of this
//! process on the same database. Keystroke to frame is reported per site and overall. Then
//! cross-site news: a member is created at the desk and an SSH session at site B, sitting on
//! the member search with a query that matches the new name, is timed until a frame shows it.
//! Afterwards the servers stop and `frontdesk verify --store ADDRESS` must pass.
//!
//! ```sh
//! .ci/postgres-cluster start /tmp/pgb                 # prints the admin address
//! cargo build --release                               # the servers are the release binary
//! FRONTDESK_BENCH_POSTGRES='postgres://…/postgres' cargo bench --bench chain_sites
//! FRONTDESK_BENCH_POSTGRES='postgres://…/postgres' cargo bench --bench chain_sites -- --test
//! ```
//!
//! The servers are the `frontdesk` binary: FRONTDESK_BIN if set, else the one cargo built for
//! this bench (`CARGO_BIN_EXE_frontdesk`, when cargo provides it), else `frontdesk` beside
//! this bench's own directory (`target/release/frontdesk`, from `cargo build --release`).
//! Without FRONTDESK_BENCH_POSTGRES the bench says why and does nothing.
//!
//! The shop: a demo store (`Service::create_demo`, as `frontdesk demo`) with extra cashiers so
//! that every session can log in with its own authenticator code within one or two 30-s steps
//! (a code is accepted once per staff member per step, chain-wide), moved into a fresh database
//! with `frontdesk migrate --to`. The database is dropped afterwards.
//!
//! FRONTDESK_BENCH_MEMBERS (2000), FRONTDESK_BENCH_SESSIONS (per site, 25),
//! FRONTDESK_BENCH_KEYS (per session, 600), FRONTDESK_BENCH_KEY_INTERVAL_MS (100),
//! FRONTDESK_BENCH_DESK_WORKERS (one per session), FRONTDESK_BENCH_DESK_PACE_MS (1000),
//! FRONTDESK_BENCH_NEWS_ROUNDS (20). FRONTDESK_BENCH_QUICK=1 is `--test`: 2 sessions a site,
//! 16 keys, 3 news rounds. Both servers run as the chain's first site: `--site` is not on this
//! branch yet ([`SITES`] is where a site name per server goes).

mod ssh_client;

use std::collections::BTreeMap;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use chrono::{DateTime, NaiveTime, TimeZone, Utc};
use frontdesk::audit::Origin;
use frontdesk::auth::totp::{TotpSecret, code_at};
use frontdesk::clock::{Clock, ManualClock};
use frontdesk::domain::access::Role;
use frontdesk::entropy::OsEntropy;
use frontdesk::ids::RecordId;
use frontdesk::service::{
    DemoLookup, DemoOptions, LoginRequest, MemberInput, NewStaff, SecondFactor, Service, Session,
};
use frontdesk::store::Store;
use secrecy::SecretString;
use ssh_client::*;
use tokio::sync::Barrier;
use tokio::time::Instant;

/// The two servers: a label, and the site each serves (`None`: the chain's first site, the
/// only one this branch knows; a name here becomes `--site NAME` once that flag exists).
const SITES: [(&str, Option<&str>); 2] = [("A", None), ("B", None)];

struct Settings {
    quick: bool,
    members: u64,
    sessions_per_site: usize,
    keys_per_session: usize,
    key_interval: Duration,
    desk_workers: usize,
    desk_pace: Duration,
    news_rounds: usize,
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|v| v.trim().parse().ok())
}

impl Settings {
    fn from_env() -> Self {
        let quick = std::env::args().any(|arg| arg == "--test")
            || std::env::var("FRONTDESK_BENCH_QUICK").is_ok_and(|v| v == "1");
        let (members, sessions, keys, rounds) = if quick {
            (200, 2, 16, 3)
        } else {
            (2000, 25, 600, 20)
        };
        let sessions_per_site = env_number("FRONTDESK_BENCH_SESSIONS")
            .map_or(sessions, |n| n as usize)
            .max(1);
        Self {
            quick,
            members: env_number("FRONTDESK_BENCH_MEMBERS").unwrap_or(members),
            sessions_per_site,
            keys_per_session: env_number("FRONTDESK_BENCH_KEYS")
                .map_or(keys, |n| n as usize)
                .max(1),
            key_interval: Duration::from_millis(
                env_number("FRONTDESK_BENCH_KEY_INTERVAL_MS").unwrap_or(100),
            ),
            desk_workers: env_number("FRONTDESK_BENCH_DESK_WORKERS")
                .map_or(sessions_per_site * SITES.len(), |n| n as usize),
            desk_pace: Duration::from_millis(
                env_number("FRONTDESK_BENCH_DESK_PACE_MS").unwrap_or(1000),
            ),
            news_rounds: env_number("FRONTDESK_BENCH_NEWS_ROUNDS")
                .map_or(rounds, |n| n as usize)
                .max(1),
        }
    }

    fn total_sessions(&self) -> usize {
        self.sessions_per_site * SITES.len()
    }

    fn pace(&self) -> Pace {
        Pace {
            sessions: self.total_sessions(),
            keys_per_session: self.keys_per_session,
            key_interval: self.key_interval,
        }
    }
}

/// The `frontdesk` binary the servers run.
fn frontdesk_binary() -> BenchResult<PathBuf> {
    if let Ok(path) = std::env::var("FRONTDESK_BIN") {
        return Ok(PathBuf::from(path));
    }
    if let Some(path) = option_env!("CARGO_BIN_EXE_frontdesk") {
        return Ok(PathBuf::from(path));
    }
    // target/release/deps/chain_sites-HASH → target/release/frontdesk
    let beside = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("frontdesk")));
    match beside {
        Some(path) if path.is_file() => Ok(path),
        _ => Err(
            "no frontdesk binary: run `cargo build --release` first, or set FRONTDESK_BIN"
                .to_owned(),
        ),
    }
}

/// A fresh database on the server FRONTDESK_BENCH_POSTGRES names, dropped afterwards.
struct Database {
    admin: String,
    name: String,
    address: String,
}

impl Database {
    fn create(admin: String) -> BenchResult<Self> {
        let name = format!("fd_bench_chain_{}", std::process::id());
        let mut client = postgres::Client::connect(&admin, postgres::NoTls).map_err(|err| {
            format!("FRONTDESK_BENCH_POSTGRES is set but the server refused: {err}")
        })?;
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .map_err(|err| format!("creating the bench database: {err}"))?;
        let base = admin
            .rsplit_once('/')
            .map(|(base, _)| base.to_owned())
            .ok_or("FRONTDESK_BENCH_POSTGRES must end with /DATABASE")?;
        Ok(Self {
            address: format!("{base}/{name}"),
            admin,
            name,
        })
    }
}

impl Drop for Database {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// The staff who log in over SSH (the demo's two and extra cashiers), and the desk's own.
struct People {
    ssh: Vec<Staff>,
    desk: Staff,
    news: Staff,
    lookups: Arc<Vec<DemoLookup>>,
    timezone: String,
}

/// The demo store in `data` (redb), with the idle lock at its longest and enough enrolled
/// cashiers. Everything here happens at a clock 20 minutes behind the real one, so every
/// authenticator step it spends is over before the real logins start.
fn prepare_shop(settings: &Settings, data: &Path, scratch: &Path) -> BenchResult<People> {
    let clock = Arc::new(ManualClock::new(Utc::now() - chrono::Duration::minutes(20)));
    let report = Service::create_demo(
        Store::create(data).map_err(|err| format!("store: {err}"))?,
        clock.clone(),
        Arc::new(OsEntropy),
        &DemoOptions {
            members: settings.members,
            seed: Some(5),
        },
        scratch,
        &mut |_| {},
    )
    .map_err(|err| format!("demo store: {err}"))?;
    let lookups: Vec<DemoLookup> = report
        .lookups
        .iter()
        .filter(|lookup| !lookup.query.is_empty())
        .cloned()
        .collect();
    let mut ssh: Vec<Staff> = report
        .logins
        .iter()
        .map(|login| Staff {
            username: login.username.clone(),
            password: login.password.clone(),
            secret: secret_from_base32(&login.credentials.enrolment.secret_base32),
        })
        .collect();
    let service = Service::new(
        Store::open(data).map_err(|err| format!("reopen the demo store: {err}"))?,
        clock.clone(),
        Arc::new(OsEntropy),
    );
    let manager = login(&service, &ssh[0], clock.now(), Origin::Local)?;
    service
        .set_idle_lock_minutes(&manager, 120)
        .map_err(|err| format!("idle lock setting: {err}"))?;
    // Half the sessions plus one: every session logs in within two 30-s steps.
    let extra = (settings.total_sessions() / 2 + 1).saturating_sub(ssh.len());
    for n in 0..extra {
        ssh.push(enrol_cashier(
            &service,
            &manager,
            &clock,
            &format!("desk{n}"),
        )?);
    }
    let desk = enrol_cashier(&service, &manager, &clock, "deskworker")?;
    let news = enrol_cashier(&service, &manager, &clock, "newsreader")?;
    service
        .logout(&manager)
        .map_err(|err| format!("logout: {err}"))?;
    Ok(People {
        ssh,
        desk,
        news,
        lookups: Arc::new(lookups),
        timezone: report.timezone,
    })
}

fn secret_from_base32(text: &str) -> TotpSecret {
    let bytes = data_encoding::BASE32_NOPAD
        .decode(text.as_bytes())
        .expect("the TOTP secret is base32");
    TotpSecret::from_bytes(&bytes).expect("a TOTP secret")
}

/// A cashier account made by the manager and enrolled at its first login, as staff do.
fn enrol_cashier(
    service: &Service,
    manager: &Session,
    clock: &ManualClock,
    username: &str,
) -> BenchResult<Staff> {
    let temporary = service
        .create_staff(
            manager,
            NewStaff {
                username: username.to_owned(),
                display_name: format!("Bench {username}"),
                role: Role::Cashier,
            },
        )
        .map_err(|err| format!("create {username}: {err}"))?;
    let first = service
        .login(LoginRequest {
            username: username.to_owned(),
            password: temporary.password.clone(),
            second_factor: SecondFactor::Absent,
            origin: Origin::Local,
            ssh_key: None,
        })
        .map_err(|err| format!("first login of {username}: {err}"))?;
    let password = SecretString::from(format!("harbour lantern mosaic {username} quietly"));
    service
        .choose_enrolment_password(&first, &password)
        .map_err(|err| format!("{username}'s password: {err}"))?;
    let enrolment = service
        .begin_authenticator_enrolment(&first)
        .map_err(|err| format!("{username}'s authenticator: {err}"))?;
    let secret = secret_from_base32(&enrolment.secret_base32);
    service
        .finish_enrolment(&first, &code_at(&secret, unix(clock.now())))
        .map_err(|err| format!("{username}'s enrolment: {err}"))?;
    service
        .logout(&first)
        .map_err(|err| format!("logout: {err}"))?;
    Ok(Staff {
        username: username.to_owned(),
        password,
        secret,
    })
}

fn unix(at: DateTime<Utc>) -> u64 {
    at.timestamp().unsigned_abs()
}

fn login(
    service: &Service,
    staff: &Staff,
    at: DateTime<Utc>,
    origin: Origin,
) -> BenchResult<Session> {
    service
        .login(LoginRequest {
            username: staff.username.clone(),
            password: staff.password.clone(),
            second_factor: SecondFactor::Totp(code_at(&staff.secret, unix(at))),
            origin,
            ssh_key: None,
        })
        .map_err(|err| format!("{}'s login: {err}", staff.username))
}

/// Runs the binary to completion; its output on failure.
fn run_binary(binary: &Path, args: &[&str]) -> BenchResult<String> {
    let output = Command::new(binary)
        .args(args)
        .env_remove("FRONTDESK_STORE")
        .env_remove("FRONTDESK_DATA")
        .stdin(Stdio::null())
        .output()
        .map_err(|err| format!("running {}: {err}", binary.display()))?;
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    if output.status.success() {
        Ok(printed)
    } else {
        Err(format!("frontdesk {} failed:\n{printed}", args.join(" ")))
    }
}

/// One `frontdesk serve --headless` process.
struct Server {
    label: &'static str,
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Server {
    fn start(
        binary: &Path,
        label: &'static str,
        site: Option<&str>,
        address: &str,
        dir: &Path,
        sessions: usize,
    ) -> BenchResult<Self> {
        let data = dir.join(format!("site-{label}"));
        std::fs::create_dir_all(&data).map_err(|err| format!("site dir: {err}"))?;
        // A free loopback port: bound, read, let go.
        let addr = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .map_err(|err| format!("a free port: {err}"))?;
        let log = dir.join(format!("serve-{label}.log"));
        let log_file = std::fs::File::create(&log).map_err(|err| format!("log: {err}"))?;
        let log_err = log_file.try_clone().map_err(|err| format!("log: {err}"))?;
        let limit = (sessions + 8).to_string();
        let mut command = Command::new(binary);
        command
            .arg("--data")
            .arg(&data)
            .args(["--store", address, "serve", "--headless"])
            .args(["--listen", &addr.to_string()])
            .args(["--max-sessions", &limit, "--connections-per-minute", &limit])
            .env_remove("FRONTDESK_STORE")
            .env_remove("FRONTDESK_DATA")
            .env("FRONTDESK_BACKUP_SCHEDULE", "off")
            .stdin(Stdio::null())
            .stdout(log_file)
            .stderr(log_err);
        if let Some(site) = site {
            command.args(["--site", site]);
        }
        let child = command
            .spawn()
            .map_err(|err| format!("starting {}: {err}", binary.display()))?;
        let mut server = Server {
            label,
            child,
            addr,
            log,
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(addr).is_err() {
            if std::time::Instant::now() > deadline
                || server.child.try_wait().ok().flatten().is_some()
            {
                return Err(format!(
                    "site {label}'s server did not listen on {addr}:\n{}",
                    server.log_text()
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Ok(server)
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, as a service manager stops it; SIGKILL if it has not ended in 15 s.
    fn stop(&mut self) -> BenchResult<()> {
        // SAFETY: kill(2) on our own child's pid with a valid signal number.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM);
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(15);
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) => return Ok(()),
                Ok(None) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                _ => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    return Err(format!(
                        "site {}'s server did not stop within 15 s of SIGTERM",
                        self.label
                    ));
                }
            }
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Hands out the staff for SSH logins: each member's code once per real 30-s step, chain-wide.
struct Logins<'a> {
    staff: &'a [Staff],
    step: i64,
    used: usize,
}

impl<'a> Logins<'a> {
    fn new(staff: &'a [Staff]) -> Self {
        Self {
            staff,
            step: 0,
            used: 0,
        }
    }

    /// The next staff member and their code now, waiting for a new step when each has had one.
    async fn take(&mut self) -> (&'a Staff, String) {
        loop {
            let now = Utc::now();
            let step = now.timestamp() / 30;
            if step != self.step {
                (self.step, self.used) = (step, 0);
            }
            if self.used < self.staff.len() {
                let staff = &self.staff[self.used];
                self.used += 1;
                return (staff, code_at(&staff.secret, unix(now)));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

/// 10:00 shop time yesterday: the desk books there, on a day already past, so its walk-ins
/// never meet the shop's closing time whenever the bench runs.
fn yesterday_ten(timezone: &str) -> BenchResult<DateTime<Utc>> {
    let zone: chrono_tz::Tz = timezone
        .parse()
        .map_err(|_| "the shop's time zone".to_owned())?;
    let day = Utc::now().with_timezone(&zone).date_naive() - chrono::Duration::days(1);
    let ten = day.and_time(NaiveTime::from_hms_opt(10, 0, 0).ok_or("10:00")?);
    zone.from_local_datetime(&ten)
        .single()
        .map(|at| at.with_timezone(&Utc))
        .ok_or_else(|| "10:00 is ambiguous".to_owned())
}

/// The desk: a service of this process on the chain's database, logged in as its own cashier,
/// booking on yesterday's day (see [`yesterday_ten`]).
struct Desk {
    _dir: tempfile::TempDir,
    service: Arc<Service>,
    session: Session,
    members: Vec<RecordId>,
    service_id: RecordId,
}

fn open_desk(address: &str, people: &People) -> BenchResult<Desk> {
    let dir = tempfile::tempdir().map_err(|err| format!("desk dir: {err}"))?;
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let service = Arc::new(Service::new(
        Store::open_postgres(address, dir.path()).map_err(|err| format!("desk store: {err}"))?,
        clock.clone(),
        Arc::new(OsEntropy),
    ));
    let session = login(&service, &people.desk, clock.now(), Origin::Local)?;
    clock.set(yesterday_ten(&people.timezone)?);
    service.wait_for_name_index();
    let mut members = Vec::new();
    for lookup in people.lookups.iter() {
        let found = service
            .search_members(&session, &lookup.query)
            .map_err(|err| format!("search: {err}"))?;
        members.extend(found.members.iter().take(2).map(|member| member.id));
    }
    members.sort_unstable();
    members.dedup();
    if members.is_empty() {
        return Err("the sample lookups found no member".to_owned());
    }
    let service_id = service
        .list_services(&session)
        .map_err(|err| format!("services: {err}"))?
        .into_iter()
        .filter(|s| s.active && s.earns_points)
        .min_by_key(|s| s.duration_minutes)
        .ok_or("the demo has no active service that earns points")?
        .id;
    Ok(Desk {
        _dir: dir,
        service,
        session,
        members,
        service_id,
    })
}

/// Letters for round `n` (a, b, …, z, ba, bb, …): names take no digits.
fn letters(mut n: usize) -> String {
    let mut out = Vec::new();
    loop {
        out.push(b'a' + (n % 26) as u8);
        n /= 26;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// Cross-site news: `terminal` (at site B) searches for a surname nobody has; the desk then
/// creates a member with it; timed from the start of that call to the frame showing the new
/// member's given name. Returns (news, the desk's commit) per round.
async fn cross_site_news(
    mut terminal: Terminal,
    desk: &Desk,
    rounds: usize,
) -> BenchResult<Vec<(Duration, Duration)>> {
    terminal.settle().await?;
    terminal.press(b"/").await?;
    terminal.frame_showing("Members").await?;
    terminal.settle().await?;
    let mut typed = 0;
    let mut figures = Vec::new();
    for round in 0..rounds {
        let tag = letters(round + 27);
        let surname = format!("Quorvex{tag}");
        let given = format!("Vela{tag}");
        for _ in 0..typed {
            terminal.press(&[BACKSPACE]).await?;
            terminal.next_frame().await?;
        }
        for character in surname.chars() {
            terminal.press(character.to_string().as_bytes()).await?;
            terminal.next_frame().await?;
        }
        typed = surname.chars().count();
        terminal.settle().await?;
        if terminal.screen.screen().contents().contains(&given) {
            return Err(format!(
                "round {round}: {given} shows before it was created"
            ));
        }
        let (service, session) = (desk.service.clone(), desk.session.clone());
        let name = format!("{given} {surname}");
        let started = Instant::now();
        let create = tokio::task::spawn_blocking(move || {
            let called = Instant::now();
            service
                .create_member(
                    &session,
                    MemberInput {
                        name,
                        phone: None,
                        email: None,
                        birthday: None,
                        notes: None,
                    },
                )
                .map(|_| called.elapsed())
                .map_err(|err| format!("create member: {err}"))
        });
        let shown = loop {
            let (arrived, _) = terminal.next_frame().await?;
            if terminal.screen.screen().contents().contains(&given) {
                break arrived - started;
            }
        };
        let commit = create
            .await
            .map_err(|err| format!("the desk's call failed: {err}"))??;
        figures.push((shown, commit));
    }
    Ok(figures)
}

fn summary(label: &str, figures: &mut [Duration]) {
    figures.sort_unstable();
    if figures.is_empty() {
        println!("  {label:<22} no figures");
        return;
    }
    println!(
        "  {label:<22} p50 {}  p90 {}  p99 {}  max {}  ({} keystrokes)",
        millis(percentile(figures, 0.50)),
        millis(percentile(figures, 0.90)),
        millis(percentile(figures, 0.99)),
        millis(percentile(figures, 1.0)),
        figures.len()
    );
}

/// The PostgreSQL client and the services block, so they run on this thread; the SSH clients
/// run on `runtime`.
fn run(settings: Settings, admin: String, runtime: &tokio::runtime::Runtime) -> BenchResult<()> {
    let binary = frontdesk_binary()?;
    let dir = tempfile::tempdir().map_err(|err| format!("temp dir: {err}"))?;
    let data = dir.path().join("data");
    let scratch = dir.path().join("scratch");
    std::fs::create_dir_all(&scratch).map_err(|err| format!("scratch: {err}"))?;
    let prepared = std::time::Instant::now();
    let people = prepare_shop(&settings, &data, &scratch)?;
    let database = Database::create(admin)?;
    let data_arg = data.to_string_lossy().into_owned();
    run_binary(
        &binary,
        &["--data", &data_arg, "migrate", "--to", &database.address],
    )?;
    eprintln!(
        "chain_sites: demo store with {} members and {} staff moved into PostgreSQL database {} in {:.1?}; binary {}",
        settings.members,
        people.ssh.len() + 2,
        database.name,
        prepared.elapsed(),
        binary.display()
    );

    let mut servers = Vec::new();
    for (label, site) in SITES {
        servers.push(Server::start(
            &binary,
            label,
            site,
            &database.address,
            dir.path(),
            settings.sessions_per_site + 1,
        )?);
    }

    // Sessions alternate between the sites.
    let logging_in = std::time::Instant::now();
    let terminals = runtime.block_on(async {
        let mut logins = Logins::new(&people.ssh);
        let mut terminals: Vec<(&'static str, Terminal)> = Vec::new();
        for index in 0..settings.total_sessions() {
            let server = &servers[index % servers.len()];
            let (staff, code) = logins.take().await;
            let terminal = Terminal::open(server.addr, index, staff, &code).await?;
            terminals.push((server.label, terminal));
        }
        BenchResult::Ok(terminals)
    })?;
    eprintln!(
        "chain_sites: {} sessions logged in over SSH at {} sites in {:.1?}",
        settings.total_sessions(),
        servers.len(),
        logging_in.elapsed()
    );

    let desk = open_desk(&database.address, &people)?;
    let stop = Arc::new(AtomicBool::new(false));
    let members = Arc::new(desk.members.clone());
    let workers: Vec<std::thread::JoinHandle<DeskTally>> = (0..settings.desk_workers)
        .map(|index| {
            let (service, session) = (desk.service.clone(), desk.session.clone());
            let (members, stop, service_id) = (members.clone(), stop.clone(), desk.service_id);
            let pace = settings.desk_pace;
            std::thread::spawn(move || {
                desk_worker(&service, &session, &members, service_id, index, pace, &stop)
            })
        })
        .collect();

    let ready = Arc::new(Barrier::new(terminals.len()));
    let typing = std::time::Instant::now();
    let _entered = runtime.enter();
    let tasks: Vec<_> = terminals
        .into_iter()
        .map(|(label, terminal)| {
            let task = tokio::spawn(type_concurrently(
                terminal,
                settings.pace(),
                people.lookups.clone(),
                ready.clone(),
            ));
            (label, task)
        })
        .collect();
    let mut by_site: BTreeMap<&str, Vec<Duration>> = BTreeMap::new();
    let mut unasked_bytes = 0;
    for (label, task) in tasks {
        let typed = runtime
            .block_on(task)
            .map_err(|err| format!("a session task failed: {err}"))??;
        by_site.entry(label).or_default().extend(&typed.latencies);
        unasked_bytes += typed.unasked_bytes;
    }
    let typing_time = typing.elapsed();
    stop.store(true, Ordering::Relaxed);
    let mut tally = DeskTally::default();
    for worker in workers {
        let done = worker
            .join()
            .map_err(|_| "a desk worker panicked".to_owned())?;
        tally.checkouts += done.checkouts;
        tally.waits += done.waits;
        tally.errors.extend(done.errors);
    }

    // The news reader at site B logs in now (a staff member of its own, so its code is fresh).
    let news_at = servers.last().ok_or("no server")?;
    let news_code = code_at(&people.news.secret, unix(Utc::now()));
    let mut news = runtime.block_on(async {
        let terminal = Terminal::open(
            news_at.addr,
            settings.total_sessions(),
            &people.news,
            &news_code,
        )
        .await?;
        cross_site_news(terminal, &desk, settings.news_rounds).await
    })?;
    drop(desk);
    for server in &mut servers {
        server.stop()?;
    }
    let verified = run_binary(
        &binary,
        &["--data", &data_arg, "verify", "--store", &database.address],
    )
    .map_err(|err| format!("verify failed after the run: {err}"))?;

    println!(
        "chain_sites: two `frontdesk serve --headless` on one PostgreSQL database, keystroke to frame over SSH, {}×{}, {} members, a key every {} ms per session{}",
        COLUMNS,
        ROWS,
        settings.members,
        settings.key_interval.as_millis(),
        if settings.quick { " (smoke run)" } else { "" }
    );
    println!(
        "  sessions              {} per site; both servers serve the first site",
        settings.sessions_per_site
    );
    let mut overall = Vec::new();
    for (label, figures) in &mut by_site {
        overall.extend(figures.iter().copied());
        summary(&format!("site {label}"), figures);
    }
    summary("overall", &mut overall);
    println!("  typing took           {typing_time:.1?}");
    if unasked_bytes > 0 {
        println!("  note: {unasked_bytes} bytes arrived between keystrokes (redraws on news)");
    }
    println!(
        "  desk load             {} workers, one walk-in and checkout each per {} ms",
        settings.desk_workers,
        settings.desk_pace.as_millis()
    );
    println!(
        "  checkouts             {} ({:.1}/s), {} walk-ins waited for a bay (given back)",
        tally.checkouts,
        tally.checkouts as f64 / typing_time.as_secs_f64(),
        tally.waits
    );
    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    for error in &tally.errors {
        *kinds.entry(error.clone()).or_default() += 1;
    }
    for (error, count) in kinds {
        println!("  refused ×{count:<5}      {error}");
    }
    let mut shown: Vec<Duration> = news.iter().map(|(shown, _)| *shown).collect();
    shown.sort_unstable();
    news.sort_unstable_by_key(|(_, commit)| *commit);
    println!(
        "  cross-site news       created at the desk → frame at site B: p50 {}  max {}  ({} rounds; the desk's create_member p50 {}); target < 1 s",
        millis(percentile(&shown, 0.50)),
        millis(percentile(&shown, 1.0)),
        shown.len(),
        millis(news[news.len() / 2].1)
    );
    for line in verified.lines() {
        println!("  verify: {line}");
    }
    drop(database);
    Ok(())
}

fn main() {
    let settings = Settings::from_env();
    let Ok(admin) = std::env::var("FRONTDESK_BENCH_POSTGRES") else {
        eprintln!(
            "chain_sites: skipped: set FRONTDESK_BENCH_POSTGRES to a PostgreSQL admin address (`.ci/postgres-cluster start DIR` prints one)"
        );
        return;
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("bench-ssh-client")
        .enable_all()
        .build()
        .expect("the client runtime starts");
    if let Err(err) = run(settings, admin, &runtime) {
        eprintln!("chain_sites: {err}");
        std::process::exit(1);
    }
}
