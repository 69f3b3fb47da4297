//! Timings on a real demo store (the 1M-member benchmark dataset): the first login that
//! unlocks the store, the name-index build after it, and search by each kind of lookup.
//!
//! ```sh
//! cargo run --release -- --data /tmp/demo1m demo --members 1000000 --seed 11
//! FRONTDESK_BENCH_STORE=/tmp/demo1m FRONTDESK_BENCH_PASSWORD='…manager password…' \
//! FRONTDESK_BENCH_TOTP='…manager base32 secret…' \
//! FRONTDESK_BENCH_QUERIES='+86 198 2107 3691|7053|粤YD60654|YD60654|JM6 44N|邱红|qiu hong|qh|Chloe Thomas' \
//!     cargo bench --bench demo_store
//! ```
//! The demo prints sample lookups for its store, pinyin (`qiu hong`), initials (`qh`) and a
//! plate without its province (`YD60654`) among them; put those in FRONTDESK_BENCH_QUERIES.
//! Each query's p50 and p99 over FRONTDESK_BENCH_SAMPLES single searches (default 2000) are
//! printed before criterion's own measurement, and the same for the query typed key by key (one
//! search per keystroke, every prefix) (SPEC §10 asks p99 ≤ 2 ms at 1M members).
//! Without FRONTDESK_BENCH_STORE it says how to run and measures nothing.
//!
//! The first unlock of a store without a saved name index builds it from every member and
//! saves it; later unlocks load it. Run twice (30 s apart: a TOTP code is accepted once) to
//! see both; "after unlock" prints resident memory (VmRSS) and its peak (VmHWM).

use std::hint::black_box;
use std::sync::Arc;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use frontdesk::audit::Origin;
use frontdesk::auth::totp::{TotpSecret, code_at};
use frontdesk::clock::{Clock, SystemClock};
use frontdesk::entropy::OsEntropy;
use frontdesk::service::{LoginRequest, SecondFactor, Service};
use frontdesk::store::Store;
use secrecy::SecretString;

fn benches(c: &mut Criterion) {
    let Ok(dir) = std::env::var("FRONTDESK_BENCH_STORE") else {
        eprintln!(
            "demo_store: set FRONTDESK_BENCH_STORE, FRONTDESK_BENCH_PASSWORD, FRONTDESK_BENCH_TOTP and FRONTDESK_BENCH_QUERIES (see benches/demo_store.rs); nothing measured"
        );
        return;
    };
    let password = std::env::var("FRONTDESK_BENCH_PASSWORD").unwrap_or_default();
    let secret = std::env::var("FRONTDESK_BENCH_TOTP").unwrap_or_default();
    let queries = std::env::var("FRONTDESK_BENCH_QUERIES").unwrap_or_default();
    let secret_bytes = data_encoding::BASE32_NOPAD
        .decode(secret.trim().as_bytes())
        .expect("FRONTDESK_BENCH_TOTP is base32");
    let secret = TotpSecret::from_bytes(&secret_bytes).expect("a 20-byte TOTP secret");

    let opened = Instant::now();
    let service = Service::new(
        Store::open(std::path::Path::new(&dir)).expect("open the store"),
        Arc::new(SystemClock),
        Arc::new(OsEntropy),
    );
    let open_time = opened.elapsed();
    let started = Instant::now();
    let session = service
        .login(LoginRequest {
            username: "manager".to_owned(),
            password: SecretString::from(password),
            second_factor: SecondFactor::Totp(code_at(
                &secret,
                SystemClock.now().timestamp() as u64,
            )),
            origin: Origin::Local,
            ssh_key: None,
        })
        .expect("manager login (wait 30 s between runs: a code is accepted once)");
    let login_time = started.elapsed();
    service.wait_for_name_index();
    let index_time = started.elapsed();
    eprintln!(
        "demo_store: open {open_time:?}; first login (password + TOTP + key unwrap) {login_time:?}; name index ready {index_time:?} after login started"
    );
    eprintln!("demo_store: after unlock {}", memory());

    let samples: usize = std::env::var("FRONTDESK_BENCH_SAMPLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000)
        .max(1);
    for query in queries.split('|').filter(|q| !q.trim().is_empty()) {
        let mut times: Vec<std::time::Duration> = (0..samples)
            .map(|_| {
                let started = Instant::now();
                black_box(service.search_members(&session, query).expect("search"));
                started.elapsed()
            })
            .collect();
        times.sort_unstable();
        let at = |percent: usize| times[(times.len() - 1) * percent / 100];
        eprintln!(
            "demo_store: `{query}` p50 {:?} p99 {:?} over {samples} searches",
            at(50),
            at(99)
        );
        // As typed at the desk: one search per keystroke, every prefix of the query.
        let prefixes: Vec<&str> = query
            .char_indices()
            .map(|(at, c)| &query[..at + c.len_utf8()])
            .collect();
        let rounds = (samples / prefixes.len()).max(1);
        let mut typed: Vec<std::time::Duration> = Vec::with_capacity(rounds * prefixes.len());
        for _ in 0..rounds {
            for prefix in &prefixes {
                let started = Instant::now();
                black_box(service.search_members(&session, prefix).expect("search"));
                typed.push(started.elapsed());
            }
        }
        typed.sort_unstable();
        let at = |percent: usize| typed[(typed.len() - 1) * percent / 100];
        eprintln!(
            "demo_store: `{query}` typed key by key: p50 {:?} p99 {:?} over {} keystrokes",
            at(50),
            at(99),
            typed.len()
        );
    }

    let mut group = c.benchmark_group("search on the demo store");
    for query in queries.split('|').filter(|q| !q.trim().is_empty()) {
        let found = service
            .search_members(&session, query)
            .expect("search")
            .members
            .len();
        eprintln!("demo_store: `{query}` finds {found} member(s)");
        group.bench_function(query.to_owned(), |b| {
            b.iter(|| black_box(service.search_members(&session, query).expect("search")))
        });
    }
    group.finish();
    reports(c, &service, &session);
}

/// Resident memory now and at its peak (Linux `/proc/self/status`; empty elsewhere).
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .filter(|line| line.starts_with("VmRSS") || line.starts_with("VmHWM"))
        .map(|line| line.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A month's and a year's report (every section: they are added up together) ending today,
/// timed once each and then by criterion (SPEC §10: < 1 s and a few seconds at 1M members).
fn reports(c: &mut Criterion, service: &Service, session: &frontdesk::service::Session) {
    use frontdesk::service::Period;
    let today = SystemClock.now().date_naive();
    let month = Period::month(today).expect("a month");
    let year = Period::custom(today - chrono::Duration::days(364), today).expect("a year");
    for (label, period) in [("month", month), ("year", year)] {
        let started = Instant::now();
        let report = service.range_report(session, period).expect("report");
        eprintln!(
            "demo_store: {label} report {} to {} ({} visits) in {:?}",
            period.first,
            period.last,
            report.figures.totals.visits,
            started.elapsed()
        );
    }
    let mut group = c.benchmark_group("reports on the demo store");
    group.sample_size(10);
    group.bench_function("month report", |b| {
        b.iter(|| black_box(service.range_report(session, month).expect("report")))
    });
    group.bench_function("year report", |b| {
        b.iter(|| black_box(service.range_report(session, year).expect("report")))
    });
    group.finish();
}

criterion_group!(demo_store, benches);
criterion_main!(demo_store);
