//! Service-layer timings: login (store already unlocked, and the first login that unlocks
//! it) and member search by each kind of lookup, pinyin and plates without their province
//! included.
//!
//! `cargo bench --bench service` — set FRONTDESK_BENCH_MEMBERS to change the store size
//! (default 2000; members are created through the service, one durable commit each).

use std::hint::black_box;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use frontdesk::audit::Origin;
use frontdesk::auth::totp::{TotpSecret, code_at};
use frontdesk::clock::{Clock, ManualClock};
use frontdesk::domain::name::pinyin_keys;
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::entropy::OsEntropy;
use frontdesk::service::{
    InitialSetup, LoginRequest, MemberInput, SecondFactor, Service, Session, VehicleInput,
};
use frontdesk::store::Store;
use secrecy::SecretString;

const PASSWORD: &str = "bench marks the wash bay";

struct Fixture {
    dir: tempfile::TempDir,
    clock: Arc<ManualClock>,
    secret: TotpSecret,
}

impl Fixture {
    fn login(&self, service: &Service) -> Session {
        self.clock.advance(Duration::seconds(30));
        let code = code_at(&self.secret, self.clock.now().timestamp() as u64);
        service
            .login(LoginRequest {
                username: "manager".to_owned(),
                password: SecretString::from(PASSWORD.to_owned()),
                second_factor: SecondFactor::Totp(code),
                origin: Origin::Local,
                ssh_key: None,
            })
            .expect("bench login")
    }
}

/// The name of member `n` when `n` is even: 王 and one of the first 2000 Han characters.
fn chinese_name(n: usize) -> String {
    format!(
        "王{}",
        char::from_u32(0x4e00 + (n % 2000) as u32).unwrap_or('伟')
    )
}

fn setup(members: usize) -> (Fixture, Service) {
    let dir = tempfile::tempdir().expect("temp dir");
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 23, 17, 0, 0)
            .single()
            .expect("instant"),
    ));
    let (service, credentials) = Service::initialise(
        Store::create(dir.path()).expect("store"),
        clock.clone(),
        Arc::new(OsEntropy),
        InitialSetup {
            shop_name: "Bench Wash".to_owned(),
            timezone: "Asia/Shanghai".to_owned(),
            currency: "CNY".to_owned(),
            manager_username: "manager".to_owned(),
            manager_password: SecretString::from(PASSWORD.to_owned()),
            demo: true,
        },
        Origin::Local,
    )
    .expect("initialise");
    let bytes = data_encoding::BASE32_NOPAD
        .decode(credentials.enrolment.secret_base32.as_bytes())
        .expect("base32");
    let fixture = Fixture {
        dir,
        clock,
        secret: TotpSecret::from_bytes(&bytes).expect("secret"),
    };
    let session = fixture.login(&service);
    for n in 0..members {
        let member = service
            .create_member(
                &session,
                MemberInput {
                    name: if n % 2 == 0 {
                        chinese_name(n)
                    } else {
                        format!("Alex Member{n}")
                    },
                    phone: Some(format!("+86 139{:08}", n)),
                    ..MemberInput::default()
                },
            )
            .expect("member");
        service
            .add_vehicle(
                &session,
                member.id,
                VehicleInput {
                    plate: format!("苏A{:05}", n),
                    kind: VehicleKind::Sedan,
                    make_model: None,
                    colour: None,
                },
            )
            .expect("vehicle");
    }
    service.wait_for_name_index();
    (fixture, service)
}

fn benches(c: &mut Criterion) {
    let members = std::env::var("FRONTDESK_BENCH_MEMBERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let (fixture, service) = setup(members);
    let session = fixture.login(&service);
    let mut group = c.benchmark_group("login");
    group.sample_size(10);
    group.bench_function("password+totp, store unlocked", |b| {
        b.iter(|| black_box(fixture.login(&service)))
    });
    let dir = fixture.dir.path().to_path_buf();
    drop(service);
    group.bench_function("first login: password+totp+unwrap store key", |b| {
        b.iter_custom(|iterations| {
            let mut total = std::time::Duration::ZERO;
            for _ in 0..iterations {
                let service = Service::new(
                    Store::open(&dir).expect("reopen"),
                    fixture.clock.clone(),
                    Arc::new(OsEntropy),
                );
                let started = std::time::Instant::now();
                black_box(fixture.login(&service));
                total += started.elapsed();
                // The name index builds on a thread holding the store; let it finish first.
                service.wait_for_name_index();
            }
            total
        })
    });
    group.finish();

    let service = Service::new(
        Store::open(&dir).expect("reopen"),
        fixture.clock.clone(),
        Arc::new(OsEntropy),
    );
    let _ = session;
    let session = fixture.login(&service);
    service.wait_for_name_index();
    let mut group = c.benchmark_group(format!("search ({members} members)"));
    let last = members.saturating_sub(1);
    // The newest member with a Chinese name, for the pinyin cases.
    let chinese = pinyin_keys(&chinese_name(last - last % 2));
    let full_pinyin = chinese
        .first()
        .map(|key| key.text.clone())
        .unwrap_or_default();
    let initials = chinese
        .last()
        .map(|key| key.text.clone())
        .unwrap_or_default();
    for (label, query) in [
        ("full phone", format!("139{:08}", last)),
        ("last 4", format!("{:04}", last % 10000)),
        ("plate", format!("苏A{:05}", last)),
        ("plate without province", format!("A{:05}", last)),
        ("member number", (100_001 + last).to_string()),
        ("name prefix", "alex member1".to_owned()),
        ("cjk name prefix", "王".to_owned()),
        // Every other member is a 王: the prefix scan stops at a screenful.
        ("pinyin surname", "wang".to_owned()),
        ("pinyin full name", full_pinyin),
        ("pinyin initials", initials),
    ] {
        group.bench_function(label, |b| {
            b.iter(|| black_box(service.search_members(&session, &query).expect("search")))
        });
    }
    group.finish();
}

criterion_group!(service_benches, benches);
criterion_main!(service_benches);
