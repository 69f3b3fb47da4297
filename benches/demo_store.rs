//! Timings on a real demo store (the 1M-member benchmark dataset): the first login that
//! unlocks the store, the name-index build after it, and search by each kind of lookup.
//!
//! ```sh
//! cargo run --release -- --data /tmp/demo1m demo --members 1000000 --seed 11
//! FRONTDESK_BENCH_STORE=/tmp/demo1m FRONTDESK_BENCH_PASSWORD='…manager password…' \
//! FRONTDESK_BENCH_TOTP='…manager base32 secret…' \
//! FRONTDESK_BENCH_QUERIES='+86 198 2107 3691|7053|粤YD60654|JM6 44N|邱红|Chloe Thomas' \
//!     cargo bench --bench demo_store
//! ```
//! Without FRONTDESK_BENCH_STORE it says how to run and measures nothing.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

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

    let mut group = c.benchmark_group("search on the demo store");
    for query in queries.split('|').filter(|q| !q.trim().is_empty()) {
        let found = service
            .search_members(&session, query)
            .expect("search")
            .members
            .len();
        eprintln!("demo_store: `{query}` finds {found} member(s)");
        let (p50, p99, max) = percentiles(|| {
            black_box(service.search_members(&session, query).expect("search"));
        });
        eprintln!("demo_store: `{query}` p50 {p50:?} p99 {p99:?} max {max:?} over {SAMPLES} searches");
        group.bench_function(query.to_owned(), |b| {
            b.iter(|| black_box(service.search_members(&session, query).expect("search")))
        });
    }
    group.finish();
}

/// Searches timed one by one: criterion reports means, and the target (SPEC §10) is a p99.
const SAMPLES: usize = 2_000;

fn percentiles(mut run: impl FnMut()) -> (Duration, Duration, Duration) {
    for _ in 0..SAMPLES / 10 {
        run();
    }
    let mut times: Vec<Duration> = (0..SAMPLES)
        .map(|_| {
            let started = Instant::now();
            run();
            started.elapsed()
        })
        .collect();
    times.sort_unstable();
    let at = |fraction: f64| times[((times.len() - 1) as f64 * fraction) as usize];
    (at(0.50), at(0.99), times[times.len() - 1])
}

criterion_group!(demo_store, benches);
criterion_main!(demo_store);
