//! The desk as staff live it, in the real binary on an 80×24 pseudo-terminal and on the real
//! clock: a shop open around the clock, where
//!
//! - the cashier places a walk-in, checks the car out, and the next walk-in gets the same bay
//!   at once (a bay is free from the moment its car leaves, not at the plan's end);
//! - the cashier types a new member with the phone of an existing one and is refused: the
//!   panel names that member masked, Esc goes back to the form with everything typed, and
//!   nothing is created;
//! - the owner finds 陈小明 by the initials `cxm` (initials are a manager's search), and the
//!   cashier by the full pinyin `chen xiaoming`.
//!
//! The cashier's first login with a temporary password is walked in `e2e_till_day.rs`; here
//! the cashier has enrolled through the service on an earlier day.

mod common;
mod pty;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveTime, Utc};
use common::phone_code;
use frontdesk::audit::Origin;
use frontdesk::clock::ManualClock;
use frontdesk::domain::access::Role;
use frontdesk::domain::catalog::ServiceCategory;
use frontdesk::domain::money::Money;
use frontdesk::domain::schedule::{BookingRules, OpeningHours};
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::entropy::SeededEntropy;
use frontdesk::service::{
    BayInput, LoginRequest, MemberInput, NewMember, NewStaff, OnDuplicate, SecondFactor, Service,
    ServiceInput, VehicleInput,
};
use frontdesk::store::records::ScheduleSettings;
use frontdesk::store::{ReadAccess, Store};
use pty::{INIT_PASSWORD as OWNER_PASSWORD, Terminal, init_shop};
use secrecy::{ExposeSecret, SecretString};

const CASHIER: &str = "cashier";
const CASHIER_PASSWORD: &str = "foam cannon violet harbour";
const ADA_PHONE: &str = "+1 604 555 4821";
const CHEN_PHONE: &str = "+86 138 1234 5678";

struct Prepared {
    owner_secret: Vec<u8>,
    /// The 30-second step of the owner's set-up login: the owner's next login must be later.
    owner_used_step: i64,
    cashier_secret: Vec<u8>,
    /// The step the cashier enrolled in.
    cashier_used_step: i64,
}

fn totp_step(at: chrono::DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(30)
}

/// A shop open 00:00–24:00 every day with one bay for a 30-minute wash, an enrolled cashier,
/// and two members: Ada (a Vancouver phone and a car) and 陈小明.
fn prepare_shop(data: &std::path::Path) -> Prepared {
    let owner_secret = init_shop(data);
    // The set-up happens "a minute ago", so that neither staff member's next code, on the real
    // clock, is a replay of a code used here.
    let started = Utc::now() - chrono::Duration::seconds(61);
    let clock = Arc::new(ManualClock::new(started));
    let service = Service::new(
        Store::open(data).expect("open the store"),
        clock.clone(),
        Arc::new(SeededEntropy::new(12)),
    );
    let manager = service
        .login(LoginRequest {
            username: "owner".to_owned(),
            password: SecretString::from(OWNER_PASSWORD.to_owned()),
            second_factor: SecondFactor::Totp(phone_code(&owner_secret, started)),
            origin: Origin::Local,
            ssh_key: None,
        })
        .expect("owner logs in to set up");
    let midnight = NaiveTime::MIN;
    service
        .update_schedule(
            &manager,
            ScheduleSettings {
                hours: OpeningHours::new(std::array::from_fn(|_| vec![(midnight, midnight)]))
                    .expect("open around the clock"),
                closures: Vec::new(),
                rules: BookingRules::default(),
            },
        )
        .expect("hours");
    let wash = service
        .save_service(
            &manager,
            ServiceInput {
                id: None,
                name: "Exterior wash".to_owned(),
                category: ServiceCategory::Exterior,
                duration_minutes: 30,
                price: Money::from_minor(2000),
                earns_points: true,
                active: true,
                tax_class: Default::default(),
            },
        )
        .expect("service")
        .id;
    service
        .save_bay(
            &manager,
            BayInput {
                id: None,
                name: "Bay 1".to_owned(),
                services: vec![wash],
                active: true,
            },
        )
        .expect("bay");
    for (name, phone, plate) in [
        ("Ada Lovelace", ADA_PHONE, "ABC 123"),
        ("陈小明", CHEN_PHONE, "沪E54205"),
    ] {
        service
            .register_member(
                &manager,
                NewMember {
                    member: MemberInput {
                        name: name.to_owned(),
                        phone: Some(phone.to_owned()),
                        ..MemberInput::default()
                    },
                    vehicle: Some(VehicleInput {
                        plate: plate.to_owned(),
                        kind: VehicleKind::Sedan,
                        make_model: None,
                        colour: None,
                    }),
                    on_duplicate: OnDuplicate::Refuse,
                },
            )
            .expect("member");
    }
    let login = service
        .create_staff(
            &manager,
            NewStaff {
                username: CASHIER.to_owned(),
                display_name: "Counter".to_owned(),
                role: Role::Cashier,
            },
        )
        .expect("cashier account");
    service.logout(&manager).expect("owner logs out");

    // The cashier's first login, on that earlier day.
    let first = service
        .login(LoginRequest {
            username: CASHIER.to_owned(),
            password: SecretString::from(login.password.expose_secret().to_owned()),
            second_factor: SecondFactor::Absent,
            origin: Origin::Local,
            ssh_key: None,
        })
        .expect("first login with the temporary password");
    service
        .choose_enrolment_password(&first, &SecretString::from(CASHIER_PASSWORD.to_owned()))
        .expect("own password");
    let enrolment = service
        .begin_authenticator_enrolment(&first)
        .expect("authenticator");
    let cashier_secret = common::secret_from_base32(&enrolment.secret_base32);
    service
        .finish_enrolment(&first, &phone_code(&cashier_secret, started))
        .expect("enrolled");
    service.logout(&first).expect("cashier logs out");
    Prepared {
        owner_secret,
        owner_used_step: totp_step(started),
        cashier_secret,
        cashier_used_step: totp_step(started),
    }
}

/// Check-in and checkout act on the shop's today (Vancouver): a run that starts just before the
/// shop's midnight would place its walk-in on one day and check it out on the next.
fn wait_out_midnight_in_the_shop() {
    use chrono::Timelike;
    loop {
        let local = Utc::now().with_timezone(&chrono_tz::America::Vancouver);
        let seconds_left = 86_400 - i64::from(local.num_seconds_from_midnight());
        if seconds_left > 300 {
            return;
        }
        std::thread::sleep(Duration::from_secs(5));
    }
}

/// A code for a step after `used`, and not in a step's last two seconds.
fn fresh_code(secret: &[u8], used: i64) -> String {
    loop {
        let now = Utc::now();
        if totp_step(now) > used && now.timestamp().rem_euclid(30) < 28 {
            return phone_code(secret, now);
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

fn log_in(term: &mut Terminal, username: &str, password: &str, code: &str) {
    term.wait_for("Log in");
    term.type_text(username);
    term.enter();
    term.type_text(password);
    term.enter();
    term.type_text(code);
    term.enter();
}

/// Waits until the notice line shows `text`; panics with the screen after 90 seconds.
fn wait_for_any(term: &Terminal, texts: &[&str]) -> String {
    let start = Instant::now();
    loop {
        let screen = term.screen();
        if texts.iter().any(|text| screen.contains(text)) {
            return screen;
        }
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "waited for one of {texts:?}; the screen shows:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn member_count(data: &std::path::Path) -> u64 {
    let store = Store::open(data).expect("open the store after the day");
    let count = store.read().expect("read").member_count().expect("count");
    drop(store);
    count
}

#[test]
fn a_day_at_the_desk_walk_ins_duplicates_and_chinese_names() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let config = dir.path().join("config");
    std::fs::create_dir_all(&config).expect("config dir");
    wait_out_midnight_in_the_shop();
    let prepared = prepare_shop(&data);

    let mut term = Terminal::spawn(&[], &data, &config, 80, 24);
    let code = fresh_code(&prepared.cashier_secret, prepared.cashier_used_step);
    log_in(&mut term, CASHIER, CASHIER_PASSWORD, &code);
    term.wait_for("cashier (cashier)");

    // 1. A walk-in takes the bay now; the car is washed and paid for at once.
    term.f_key(2);
    term.wait_for("Bay 1");
    term.type_text("w");
    term.wait_for("Walk-in");
    term.ctrl('s');
    term.wait_for("Walk-in: Bay 1 now (Exterior wash).");
    term.type_text("c");
    term.wait_for("Services");
    term.ctrl('s');
    term.wait_for("Take payment");
    term.enter();
    term.wait_for("Payment taken.");
    term.enter();
    term.f_key(2);
    term.wait_for("Bay 1");

    // 2. The next walk-in, a moment later: the bay the first car left is free now, not at the
    //    end of its planned half hour.
    term.type_text("w");
    term.wait_for("Walk-in");
    term.ctrl('s');
    let placed = wait_for_any(&term, &["Walk-in: Bay 1", "No bay"]);
    assert!(
        placed.contains("Walk-in: Bay 1 now (Exterior wash)."),
        "the bay freed by the checkout takes the next car now:\n{placed}"
    );

    // 3. A new member with Ada's phone, typed without the country code: refused for the
    //    cashier, Ada shown masked, and Esc goes back with everything typed.
    term.f_key(3);
    term.wait_for("Find");
    term.ctrl('n');
    term.wait_for("New member");
    term.type_text("Li Lei");
    term.enter();
    term.type_text("604 555 4821");
    // Email, birthday, notes, plate, vehicle type: Enter on the last field saves.
    for _ in 0..5 {
        term.enter();
    }
    let panel = term.press_until(b"\r", "Already on another member");
    assert!(panel.contains("Phone already on member #100001"), "{panel}");
    assert!(
        !panel.contains("Lovelace"),
        "Ada masked for the cashier:\n{panel}"
    );
    assert!(!panel.contains("555"), "{panel}");
    assert!(panel.contains("needs a manager"), "{panel}");
    term.esc();
    let form = term.wait_for("New member");
    assert!(form.contains("Li Lei"), "{form}");
    assert!(form.contains("604 555 4821"), "{form}");
    term.esc();

    // 4. The cashier finds 陈小明 by the full pinyin, masked.
    term.f_key(3);
    term.wait_for("Find");
    term.type_text("chen xiaoming");
    let found = term.wait_for("#100002");
    assert!(found.contains("陈**"), "{found}");
    assert!(!found.contains("陈小明"), "{found}");

    // 5. The owner, at the same desk, finds him by his initials.
    term.ctrl('x');
    let code = fresh_code(&prepared.owner_secret, prepared.owner_used_step);
    log_in(&mut term, "owner", OWNER_PASSWORD, &code);
    term.wait_for("owner (manager)");
    term.f_key(3);
    term.wait_for("Find");
    term.type_text("cxm");
    let found = term.wait_for("#100002");
    assert!(found.contains("陈小明"), "{found}");

    term.ctrl('q');
    term.wait_for("Quit frontdesk?");
    term.send(b"y");
    assert!(term.wait_exit(), "frontdesk exits cleanly");
    drop(term);

    assert_eq!(
        member_count(&data),
        2,
        "the refused duplicate created nothing"
    );
}
