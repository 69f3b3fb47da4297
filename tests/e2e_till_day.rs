//! A day at the till, in the real binary on an 80×24 pseudo-terminal, as the cashier: open the
//! drawer with a float, sell a plan from the price list, a walk-in wash paid part by points and
//! the rest in cash (change and cash rounding on screen), a partial refund approved by a
//! manager at the cashier's screen and given back in cash, a reprinted receipt, the drawer
//! closed with a count, and the end-of-day report with no over/short. Afterwards the store's
//! receipts run 1, 2, 3 without a gap and `frontdesk verify` passes.
//!
//! The shop itself (taxes, services, the price list, the cashier, the member) is set up through
//! the service before the binary starts, as a manager would have done on an earlier day.
//!
//! The figures, worked out by hand from the rules in `src/domain/tax.rs`, `tender.rs` and
//! `refund.rs` (BC: GST 5 % and PST 7 % on top, cash rounded to 0.05 CAD):
//!
//! - Plan "Interior unlimited", 39.99 a month: GST 2.00 + PST 2.80 = 44.79, in cash 44.80.
//! - Walk-in: Exterior wash 20.00 + Tyre shine 5.00, 333 points (3.33) off before tax, shared
//!   2.66 / 0.67, so bases 17.34 + 4.33 = 21.67; GST 1.08, PST 1.52; 24.27 due, 24.25 in cash
//!   (rounding -0.02); 30.00 handed over, 5.75 change.
//! - Refund of the Tyre shine: 4.33 + GST 0.21 + PST 0.30 = 4.84, in cash 4.85.
//! - Drawer: 150.00 float + 44.80 + 24.25 - 4.85 = 214.20 expected.

mod common;
mod pty;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use common::binary::{printed, run_frontdesk};
use common::{phone_code, secret_from_base32};
use frontdesk::audit::Origin;
use frontdesk::clock::ManualClock;
use frontdesk::domain::access::Role;
use frontdesk::domain::catalog::ServiceCategory;
use frontdesk::domain::money::Money;
use frontdesk::domain::price_list::{PlanProduct, Product};
use frontdesk::domain::receipt::ReceiptLanguage;
use frontdesk::domain::tax::{TaxClass, TaxRate, TaxSettings};
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::entropy::SeededEntropy;
use frontdesk::ids::RecordId;
use frontdesk::service::{
    BayInput, LoginRequest, MemberInput, NewStaff, SecondFactor, Service, ServiceInput,
    VehicleInput,
};
use frontdesk::store::records::{ReceiptFor, TillSettings};
use frontdesk::store::{ReadAccess, Store};
use pty::{INIT_PASSWORD as OWNER_PASSWORD, Terminal, init_shop};
use secrecy::{ExposeSecret, SecretString};

const CASHIER: &str = "cashier";
const CASHIER_PASSWORD: &str = "foam cannon violet harbour";
/// The last digits of the member's phone, which the cashier searches by.
const MEMBER_PHONE_TAIL: &str = "4821";

const RIGHT: &[u8] = b"\x1b[C";
const PAGE_DOWN: &[u8] = b"\x1b[6~";

/// What the set-up leaves for the day: the secrets the staff's phones hold.
struct Prepared {
    owner_secret: Vec<u8>,
    /// The 30-second step of the owner's set-up login: an approval must use a later one.
    owner_used_step: i64,
    /// What the manager hands the cashier for their first login.
    cashier_temporary: String,
}

fn totp_step(at: chrono::DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(30)
}

/// A BC shop: taxes and cash rounding, three services in one bay, a monthly plan on the price
/// list, a cashier who has not logged in yet, and a member with a car and 500 points.
fn prepare_shop(data: &std::path::Path) -> Prepared {
    let owner_secret = init_shop(data);
    let started = Utc::now();
    let clock = Arc::new(ManualClock::new(started));
    let service = Service::new(
        Store::open(data).expect("open the store"),
        clock,
        Arc::new(SeededEntropy::new(11)),
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
    service
        .update_till_settings(
            &manager,
            TillSettings {
                tax: TaxSettings {
                    prices_include_tax: false,
                    taxes: vec![TaxRate::new("GST", 500), TaxRate::new("PST", 700)],
                },
                cash_unit: Some(Money::from_minor(5)),
                tips: false,
                receipt_language: ReceiptLanguage::English,
                print_command: None,
            },
        )
        .expect("BC taxes and cash rounding");
    let add_service = |name: &str, category: ServiceCategory, price: i64| -> RecordId {
        service
            .save_service(
                &manager,
                ServiceInput {
                    id: None,
                    name: name.to_owned(),
                    category,
                    duration_minutes: 30,
                    price: Money::from_minor(price),
                    earns_points: true,
                    active: true,
                    tax_class: TaxClass::Standard,
                },
            )
            .expect("service")
            .id
    };
    let exterior = add_service("Exterior wash", ServiceCategory::Exterior, 2000);
    let interior = add_service("Interior clean", ServiceCategory::Interior, 3000);
    let shine = add_service("Tyre shine", ServiceCategory::AddOn, 500);
    service
        .save_bay(
            &manager,
            BayInput {
                id: None,
                name: "Bay 1".to_owned(),
                services: vec![exterior, interior, shine],
                active: true,
            },
        )
        .expect("bay");
    // The plan covers the interior only, so the walk-in's exterior wash is paid for.
    service
        .save_product(
            &manager,
            Product::Plan(PlanProduct {
                id: RecordId::NEW,
                name: "Interior unlimited".to_owned(),
                services: vec![interior],
                months_per_term: 1,
                price_per_term: Money::from_minor(3999),
                washes_per_day: 1,
                tax_class: TaxClass::Standard,
                active: true,
            }),
        )
        .expect("plan on the price list");
    let cashier = service
        .create_staff(
            &manager,
            NewStaff {
                username: CASHIER.to_owned(),
                display_name: "Counter".to_owned(),
                role: Role::Cashier,
            },
        )
        .expect("cashier account");
    let member = service
        .create_member(
            &manager,
            MemberInput {
                name: "Ada Lovelace".to_owned(),
                phone: Some(format!("+1 604 555 {MEMBER_PHONE_TAIL}")),
                ..MemberInput::default()
            },
        )
        .expect("member")
        .id;
    service
        .add_vehicle(
            &manager,
            member,
            VehicleInput {
                plate: "ABC 123".to_owned(),
                kind: VehicleKind::Sedan,
                make_model: None,
                colour: None,
            },
        )
        .expect("vehicle");
    service
        .adjust_points(&manager, member, 500, "welcome bonus")
        .expect("points");
    service.logout(&manager).expect("owner logs out");
    Prepared {
        owner_secret,
        owner_used_step: totp_step(started),
        cashier_temporary: cashier.password.expose_secret().to_owned(),
    }
}

/// The day's drawer and report are the shop's today (Vancouver): a run that started just
/// before the shop's midnight would see its morning and its close on different days.
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

/// Whether one line of `screen` holds every part, in any order (labels and figures are
/// padded apart by a width that depends on the screen).
fn line_with(screen: &str, parts: &[&str]) -> bool {
    screen
        .lines()
        .any(|line| parts.iter().all(|part| line.contains(part)))
}

/// Waits until one line of the screen holds every part; panics with the screen if none does.
fn wait_for_line(term: &Terminal, parts: &[&str]) -> String {
    let start = Instant::now();
    loop {
        let screen = term.screen();
        if line_with(&screen, parts) {
            return screen;
        }
        if start.elapsed() > Duration::from_secs(90) {
            panic!("waited for a line with {parts:?}; the screen shows:\n{screen}");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Presses `key` until one line holds every part, at most `times` times.
fn press_until_line(term: &mut Terminal, key: &[u8], parts: &[&str], times: usize) -> String {
    for _ in 0..times {
        let screen = term.screen();
        if line_with(&screen, parts) {
            return screen;
        }
        term.send(key);
        std::thread::sleep(Duration::from_millis(500));
    }
    wait_for_line(term, parts)
}

/// The owner's code for a step after `used`, and not in a step's last two seconds, so it is
/// neither a replay of the set-up login nor stale by the time it is checked.
fn fresh_code(secret: &[u8], used: i64) -> String {
    loop {
        let now = Utc::now();
        let into_step = now.timestamp().rem_euclid(30);
        if totp_step(now) > used && into_step < 28 {
            return phone_code(secret, now);
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn a_day_at_the_till_from_float_to_end_of_day() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data = dir.path().join("data");
    let config = dir.path().join("config");
    std::fs::create_dir_all(&config).expect("config dir");
    wait_out_midnight_in_the_shop();
    let prepared = prepare_shop(&data);

    let mut term = Terminal::spawn(&[], &data, &config, 80, 24);

    // The cashier's first login: the temporary password and no code, then a password and
    // an authenticator of their own, and the recovery codes once.
    term.wait_for("Log in");
    term.type_text(CASHIER);
    term.enter();
    term.type_text(&prepared.cashier_temporary);
    term.enter();
    term.enter();
    term.wait_for("Your own password");
    term.type_text(CASHIER_PASSWORD);
    term.tab();
    term.type_text(CASHIER_PASSWORD);
    term.enter();
    let screen = term.wait_for("Secret key");
    assert!(!screen.contains(CASHIER_PASSWORD));
    let secret = secret_from_base32(&secret_on_screen(&screen));
    term.type_text(&phone_code(&secret, Utc::now()));
    term.enter();
    term.wait_for("Your recovery codes");
    term.type_text("y");
    term.enter();
    term.wait_for("cashier (cashier)");

    // 1. The drawer opens with a float.
    term.f_key(4);
    term.wait_for("Open your drawer");
    term.type_text("150.00");
    term.enter();
    term.wait_for("Your open drawer");
    wait_for_line(&term, &["Float", "150.00"]);

    // 2. A plan from the price list, paid in cash: receipt #1.
    term.f_key(3);
    term.wait_for("Find");
    term.type_text(MEMBER_PHONE_TAIL);
    term.wait_for("#100001");
    term.enter();
    term.wait_for("Profile");
    term.type_text("p");
    term.wait_for("Sell a monthly plan");
    term.wait_for("Interior unlimited");
    term.enter(); // vehicle
    term.enter(); // plan
    term.enter(); // terms: 1
    term.send(RIGHT); // card → cash
    wait_for_line(&term, &["▸Payment", "◂ cash ▸"]);
    term.enter(); // payment
    term.wait_for("List price");
    term.enter(); // the list price: sells
    term.wait_for("Plan sold");
    term.wait_for("Receipt #1.");
    term.f_key(4);
    term.wait_for("Your open drawer");
    wait_for_line(&term, &["Cash sales", "44.80"]);

    // 3. A walk-in for the member: exterior wash and tyre shine, 333 points off, the rest in
    //    cash with 30.00 handed over.
    term.f_key(3);
    term.wait_for("Find");
    term.type_text(MEMBER_PHONE_TAIL);
    term.wait_for("#100001");
    term.enter();
    term.wait_for("Profile");
    term.type_text("c");
    term.wait_for("Services");
    wait_for_line(&term, &["▶", "Exterior wash"]);
    term.type_text("a");
    wait_for_line(&term, &["Subtotal", "20.00"]);
    term.down();
    term.down();
    wait_for_line(&term, &["▶", "Tyre shine"]);
    term.type_text("a");
    wait_for_line(&term, &["Subtotal", "25.00"]);
    term.type_text("r");
    term.wait_for("points to spend");
    term.type_text("333");
    term.enter();
    term.wait_for("Points applied to the bill.");
    wait_for_line(&term, &["Total due", "24.27"]);
    // Card, then mobile, then cash.
    term.type_text("pp");
    wait_for_line(&term, &["Pay by", "Cash"]);
    term.ctrl('s');
    term.wait_for("Take payment");
    term.wait_for("Handed over");
    term.type_text("30.00");
    wait_for_line(&term, &["Cash rounding", "-0.02"]);
    wait_for_line(&term, &["Cash due", "24.25"]);
    term.enter();
    let paid = term.wait_for("Receipt #2");
    assert!(line_with(&paid, &["Payment taken."]), "{paid}");
    assert!(line_with(&paid, &["Cash rounding", "-0.02"]), "{paid}");
    assert!(line_with(&paid, &["Points balance", "188"]), "{paid}");
    // The change, on the receipt and in large figures beside it.
    assert!(line_with(&paid, &["Change", "5.75"]), "{paid}");
    assert!(line_with(&paid, &["Change to give"]), "{paid}");
    assert!(shows_big_figure(&paid, "5.75"), "{paid}");
    assert!(!paid.contains("Ada"), "the receipt names no one:\n{paid}");
    term.enter();

    // 4. A refund of the tyre shine: the cashier asks, the owner approves at this screen with
    //    a fresh code, and the money goes back in cash.
    term.f_key(3);
    term.wait_for("Find");
    term.type_text(MEMBER_PHONE_TAIL);
    term.wait_for("#100001");
    term.enter();
    term.wait_for("Profile");
    // The visit: 21.67 before tax, 21 points earned and 333 redeemed; it is selected.
    for _ in 0..4 {
        term.tab();
    }
    wait_for_line(
        &term,
        &["▶", "Exterior wash, Tyre shine", "21.67", "+21/-333"],
    );
    term.type_text("R");
    term.wait_for("Approve a refund");
    term.type_text("owner");
    term.enter();
    term.type_text(OWNER_PASSWORD);
    term.enter();
    term.type_text(&fresh_code(
        &prepared.owner_secret,
        prepared.owner_used_step,
    ));
    term.enter();
    term.wait_for("Approved by owner");
    term.wait_for("Refund a visit");
    term.wait_for("Chosen lines");
    // Mode, then the lines: the exterior wash, then the tyre shine.
    term.down();
    term.down();
    wait_for_line(&term, &["▸", "Tyre shine"]);
    term.type_text("1");
    term.down();
    term.send(RIGHT);
    term.wait_for("All in cash");
    term.down();
    term.type_text("tyre shine missed");
    term.enter();
    term.wait_for("This refund gives back:");
    wait_for_line(&term, &["1× Tyre shine"]);
    wait_for_line(&term, &["Money back", "4.85 CAD"]);
    term.enter();
    let refunded = term.wait_for("Refund made.");
    assert!(line_with(&refunded, &["#3"]), "{refunded}");
    assert!(
        line_with(&refunded, &["Hand over in cash", "4.85 CAD"]),
        "{refunded}"
    );
    // 4 of the 21 points earned taken back, 66 of the 333 redeemed given back.
    assert!(
        line_with(&refunded, &["Points balance", "250"]),
        "{refunded}"
    );
    term.enter();

    // 5. The visit's receipt again, from the member's visits, where the visit now says what
    //    was refunded; printed, it is saved as a file (no printer is set up).
    wait_for_line(&term, &["▶", "[refunded 4.85]"]);
    term.type_text("r");
    let reprint = term.wait_for("*** REPRINT ***");
    assert!(line_with(&reprint, &["Receipt #2"]), "{reprint}");
    assert!(line_with(&reprint, &["Change", "5.75"]), "{reprint}");
    term.type_text("p");
    term.wait_for("No printer is set up");
    let saved = saved_receipts(&data);
    assert_eq!(saved.len(), 1, "one receipt saved: {saved:?}");
    let text = std::fs::read_to_string(&saved[0]).expect("saved receipt");
    assert!(text.contains("REPRINT"), "{text}");
    assert!(text.contains("#2"), "{text}");
    assert!(!text.contains("Ada"), "the receipt names no one:\n{text}");
    term.esc();

    // 6. The drawer closes with a count equal to what it should hold.
    term.f_key(4);
    term.wait_for("Your open drawer");
    wait_for_line(&term, &["Cash refunds", "-4.85"]);
    wait_for_line(&term, &["Expected now", "214.20"]);
    // Paid-out, then drop, then count and close.
    term.send(RIGHT);
    term.send(RIGHT);
    wait_for_line(&term, &["Record", "◂ Count and close ▸"]);
    term.down();
    term.send(RIGHT); // note by note → as one total
    wait_for_line(&term, &["Count by", "◂ As one total ▸"]);
    term.down();
    // "Cash counted", cut to fit the label column at 80 columns.
    wait_for_line(&term, &["▸Cash count"]);
    term.type_text("214.20");
    term.enter();
    term.wait_for("Close the drawer?");
    term.type_text("y");
    term.wait_for("Your last drawer, closed");
    wait_for_line(&term, &["Expected", "214.20"]);
    wait_for_line(&term, &["Counted", "214.20"]);
    wait_for_line(&term, &["Over/short", "0.00 CAD (balanced)"]);

    // 7. End of day: the drawer's row shows no over/short.
    term.f_key(8);
    term.wait_for("End of day");
    // The report is added up in the background; scroll once it is there.
    let start = Instant::now();
    while term.screen().contains("Adding up the day") || !term.screen().contains("Total") {
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "{}",
            term.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let report = press_until_line(&mut term, PAGE_DOWN, &["150.00", "214.20"], 6);
    let drawer_row: Vec<&str> = report
        .lines()
        .find(|line| line.contains("150.00") && line.contains("214.20"))
        .unwrap_or_default()
        .trim_matches(|c: char| c == '│' || c.is_whitespace())
        .split_whitespace()
        .collect();
    // Staff, opened, float, expected, counted, over/short.
    assert_eq!(
        drawer_row.get(2..),
        Some(&["150.00", "214.20", "214.20", "0.00"][..]),
        "the drawer balances:\n{report}"
    );
    // Each tax by name: the plan's and the visit's, less the refund's.
    assert!(
        line_with(&report, &["GST", "3.08", "0.21", "2.87"]),
        "{report}"
    );
    assert!(
        line_with(&report, &["PST", "4.32", "0.30", "4.02"]),
        "{report}"
    );

    term.ctrl('q');
    term.wait_for("Quit frontdesk?");
    term.send(b"y");
    assert!(term.wait_exit(), "frontdesk exits cleanly");
    drop(term);

    // The receipts run 1, 2, 3: the plan sale, the visit and its refund.
    let store = Store::open(&data).expect("open the store after the day");
    let mut issued = Vec::new();
    store
        .read()
        .expect("read")
        .scan_receipts(&mut |number, bytes| {
            let of: ReceiptFor =
                frontdesk::store::decode_record("receipt", bytes).expect("receipt record");
            issued.push((number, of));
            true
        })
        .expect("scan receipts");
    drop(store);
    let numbers: Vec<u64> = issued.iter().map(|(n, _)| *n).collect();
    assert_eq!(numbers, vec![1, 2, 3], "{issued:?}");
    assert!(matches!(issued[0].1, ReceiptFor::Sale(_)), "{issued:?}");
    let ReceiptFor::Visit(visit) = issued[1].1 else {
        panic!("receipt 2 is the visit's: {issued:?}");
    };
    assert!(
        matches!(issued[2].1, ReceiptFor::Refund { visit: of, .. } if of == visit),
        "{issued:?}"
    );

    let verified = run_frontdesk(&data, &["verify"], "");
    assert!(verified.status.success(), "{}", printed(&verified));
}

/// Whether `figure` is drawn in the payment screens' three-row digits: its middle row, as
/// `src/ui/screens/checkout/payment.rs` draws it, is on one line of the screen.
fn shows_big_figure(screen: &str, figure: &str) -> bool {
    let middle: Vec<&str> = figure
        .chars()
        .map(|c| match c {
            '0' => "┃ ┃",
            '1' => " ┃ ",
            '2' => "┏━┛",
            '3' => "╺━┫",
            '4' => "┗━┫",
            '5' => "┗━┓",
            '6' => "┣━┓",
            '7' => "  ┃",
            '8' => "┣━┫",
            '9' => "┗━┫",
            _ => " ",
        })
        .collect();
    let row = middle.join(" ");
    screen.lines().any(|line| line.contains(&row))
}

/// The receipt files saved under the data directory (no printer is set up).
fn saved_receipts(data: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![data.to_path_buf()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if path
                .file_name()
                .is_some_and(|name| name.to_string_lossy().starts_with("receipt-"))
            {
                found.push(path);
            }
        }
    }
    found
}

/// The base32 secret as the enrolment draws it: groups of four after the "Secret key" label.
fn secret_on_screen(screen: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.contains("Secret key"))
        .expect("secret label");
    let mut secret = String::new();
    for line in &lines[start + 1..] {
        let groups: Vec<&str> = line
            .split_whitespace()
            .filter(|w| {
                w.len() == 4
                    && w.chars()
                        .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c))
            })
            .collect();
        if groups.is_empty() {
            break;
        }
        secret.extend(groups);
    }
    secret
}
