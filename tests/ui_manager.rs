//! The manager screens driven by keys: staff accounts, settings, the audit log and the end of
//! the day, with snapshots of each for both roles where a cashier may open them.

mod common;

use chrono::Weekday;
use common::ui::Desk;
use common::*;
use crossterm::event::KeyCode;
use frontdesk::domain::access::Role;
use frontdesk::domain::catalog::{PaymentMethod, ServiceCategory};
use frontdesk::domain::money::Money;
use frontdesk::ids::RecordId;
use frontdesk::service::{
    BayInput, CheckoutInput, CheckoutLine, MemberInput, NewStaff, ServiceInput, Session,
};
use ratatui::style::Color;
use secrecy::SecretString;

const STAFF: KeyCode = KeyCode::F(5);
const SETTINGS: KeyCode = KeyCode::F(6);
const AUDIT: KeyCode = KeyCode::F(7);
const END_OF_DAY: KeyCode = KeyCode::F(8);

struct Catalog {
    exterior: RecordId,
    full: RecordId,
}

fn add_service(shop: &Shop, manager: &Session, name: &str, minutes: u32, price: i64) -> RecordId {
    shop.service
        .save_service(
            manager,
            ServiceInput {
                id: None,
                name: name.to_owned(),
                category: if minutes > 30 {
                    ServiceCategory::FullService
                } else {
                    ServiceCategory::Exterior
                },
                duration_minutes: minutes,
                price: Money::from_minor(price),
                earns_points: true,
                active: true,
                tax_class: Default::default(),
            },
        )
        .expect("service")
        .id
}

/// Two services and two bays.
fn catalog(shop: &Shop, manager: &Session) -> Catalog {
    let exterior = add_service(shop, manager, "Exterior wash", 30, 2000);
    let full = add_service(shop, manager, "Full service", 60, 4500);
    for (name, services) in [("Bay 1", vec![exterior, full]), ("Bay 2", vec![exterior])] {
        shop.service
            .save_bay(
                manager,
                BayInput {
                    id: None,
                    name: name.to_owned(),
                    services,
                    active: true,
                },
            )
            .expect("bay");
    }
    Catalog { exterior, full }
}

fn member(shop: &Shop, session: &Session, name: &str) -> RecordId {
    shop.service
        .create_member(
            session,
            MemberInput {
                name: name.to_owned(),
                ..MemberInput::default()
            },
        )
        .expect("member")
        .id
}

fn pay(shop: &Shop, session: &Session, member: RecordId, service: RecordId, method: PaymentMethod) {
    shop.service
        .checkout(
            session,
            CheckoutInput {
                booking: None,
                member: Some(member),
                vehicle: None,
                lines: vec![CheckoutLine {
                    service,
                    quantity: 1,
                    price_override: None,
                }],
                discount: None,
                adjustment_reason: None,
                points: None,
                payment: method,
                tenders: Vec::new(),
                tip: Default::default(),
            },
        )
        .expect("checkout");
}

/// A shop with a catalog, the cashier account, and two sales by the manager (王小明 by card,
/// Zoë Smith in cash) and one by the cashier.
fn busy_shop() -> (Shop, Vec<u8>) {
    let shop = open_shop();
    let manager = shop.manager();
    let items = catalog(&shop, &manager);
    let secret = shop.add_cashier(&manager);
    shop.service
        .create_staff(
            &manager,
            NewStaff {
                username: "wang".to_owned(),
                display_name: "王小明".to_owned(),
                role: Role::Manager,
            },
        )
        .expect("second manager");
    let wang = member(&shop, &manager, "王小明");
    let zoe = member(&shop, &manager, "Zoë Smith");
    pay(&shop, &manager, wang, items.exterior, PaymentMethod::Card);
    pay(&shop, &manager, zoe, items.full, PaymentMethod::Cash);
    let cashier = shop.cashier(&secret);
    pay(&shop, &cashier, wang, items.exterior, PaymentMethod::Mobile);
    (shop, secret)
}

fn clear_field(desk: &mut Desk) {
    desk.ctrl('u');
}

/// How many cells of the frame are drawn as the QR code: block characters, white on black.
fn qr_cells(desk: &Desk) -> usize {
    let buffer = desk.buffer();
    buffer
        .content()
        .iter()
        .filter(|cell| {
            matches!(cell.symbol(), "█" | "▀" | "▄")
                && cell.fg == Color::White
                && cell.bg == Color::Black
        })
        .count()
}

/// The base32 secret under its label, in groups of four (beside the QR code or in text).
fn secret_on_screen(screen: &str) -> String {
    let lines: Vec<&str> = screen.lines().collect();
    let Some(start) = lines
        .iter()
        .position(|line| line.contains("Secret key, to type in by hand:"))
    else {
        return String::new();
    };
    let mut secret = String::new();
    for line in &lines[start + 1..] {
        let groups: Vec<&str> = line
            .split_whitespace()
            .filter(|word| {
                word.len() == 4
                    && word
                        .chars()
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

// ---- Staff -------------------------------------------------------------------------------

#[test]
fn staff_list_snapshot_manager() {
    let (shop, _) = busy_shop();
    let mut desk = shop.manager_desk();
    desk.key(STAFF);
    assert_eq!(desk.app.screen_title(), "Staff");
    insta::assert_snapshot!(desk.screen());
}

#[test]
fn staff_list_fits_80_by_24() {
    let (shop, _) = busy_shop();
    let mut desk = shop.manager_desk();
    desk.resize(80, 24);
    desk.key(STAFF);
    insta::assert_snapshot!(desk.screen());
}

#[test]
fn a_cashier_is_refused_the_staff_screen() {
    let (shop, secret) = busy_shop();
    let mut desk = shop.cashier_desk(&secret);
    desk.key(STAFF);
    assert_eq!(desk.app.screen_title(), "Today");
    let screen = desk.screen();
    assert!(screen.contains("Only a manager may do that"), "{screen}");
    for key in [SETTINGS, AUDIT] {
        desk.key(key);
        assert_eq!(desk.app.screen_title(), "Today");
    }
    insta::assert_snapshot!(screen);
}

/// The temporary password on the "Shown once" screen, read off its line.
fn temporary_on_screen(screen: &str) -> String {
    screen
        .lines()
        .find_map(|line| line.split("Temporary password:").nth(1))
        .expect("temporary password line")
        .trim_matches(|c: char| c == '│' || c.is_whitespace())
        .to_owned()
}

#[test]
fn a_new_cashier_account_shows_a_temporary_password_once_and_the_cashier_enrols() {
    let shop = open_shop();
    let mut desk = shop.manager_desk();
    desk.resize(80, 24);
    desk.key(STAFF);
    desk.type_text("n");
    assert_eq!(desk.app.screen_title(), "New staff account");
    desk.type_text("Zoe");
    let screen = desk.screen();
    assert!(screen.contains("Will be saved as: zoe"), "{screen}");
    assert!(!screen.contains("Temporary password"), "{screen}");
    desk.tab();
    desk.type_text("Zoë Smith");
    desk.tab();
    // The role stays cashier.
    insta::assert_snapshot!("new_account_form", desk.screen());
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Shown once", "{}", desk.screen());
    let screen = desk.screen();
    // Only a temporary password: no authenticator secret, QR code or recovery codes.
    assert_eq!(qr_cells(&desk), 0, "{screen}");
    assert!(!screen.contains("otpauth"), "{screen}");
    assert!(!screen.contains("Secret key"), "{screen}");
    assert!(!screen.contains("Recovery codes"), "{screen}");
    assert!(screen.contains("72 hours"), "{screen}");
    insta::assert_snapshot!("new_account_shown_once", screen);
    let temporary = temporary_on_screen(&screen);
    assert_eq!(temporary.len(), 23, "{screen}");

    let manager = shop.manager();
    let staff = shop.service.list_staff(&manager).expect("list");
    let zoe = staff.iter().find(|s| s.username == "zoe").expect("zoe");
    assert_eq!(zoe.role, Role::Cashier);
    assert_eq!(zoe.display_name, "Zoë Smith");
    assert!(!zoe.authenticator_active);

    // Leaving the screen drops the password for good.
    desk.esc();
    assert_eq!(desk.app.screen_title(), "Staff");
    assert!(!desk.screen().contains(&temporary));

    // Zoe's first login: user name and the temporary password, no code.
    let mut first = Desk::at_login(&shop);
    first.resize(80, 24);
    first.log_in("zoe", &temporary, "");
    assert_eq!(
        first.app.screen_title(),
        "Set up your login",
        "{}",
        first.screen()
    );
    let screen = first.screen();
    assert!(screen.contains("Your own password"), "{screen}");
    insta::assert_snapshot!("first_login_password_80x24", screen);
    // Esc goes nowhere: enrolment comes first.
    first.esc();
    assert_eq!(first.app.screen_title(), "Set up your login");
    first.type_text("password1");
    first.tab();
    first.type_text("password1");
    first.enter();
    assert!(
        first.screen().contains("Too easy to guess"),
        "{}",
        first.screen()
    );
    clear_field(&mut first);
    first.type_text("kettle harbour violet lantern");
    first.tab();
    clear_field(&mut first);
    first.type_text("kettle harbour violet lantern");
    first.enter();
    let screen = first.screen();
    assert!(screen.contains("Secret key"), "{screen}");
    assert!(screen.contains("Code"), "{screen}");
    insta::assert_snapshot!("first_login_authenticator_80x24", screen);
    let secret = secret_from_base32(&secret_on_screen(&screen));
    let code = phone_code(&secret, shop.clock.now_for_tests());
    first.type_text(&code);
    first.enter();
    assert!(
        first.screen().contains("recovery codes"),
        "{}",
        first.screen()
    );
    first.type_text("y");
    first.enter();
    assert_eq!(first.app.screen_title(), "Today", "{}", first.screen());
}

#[test]
fn a_staff_member_still_enrolling_is_marked_in_the_list() {
    let shop = open_shop();
    let manager = shop.manager();
    shop.service
        .create_staff(
            &manager,
            NewStaff {
                username: "lili".to_owned(),
                display_name: "Lili".to_owned(),
                role: Role::Cashier,
            },
        )
        .expect("lili");
    let staff = shop.service.list_staff(&manager).expect("list");
    assert!(
        !staff
            .iter()
            .find(|s| s.username == "lili")
            .unwrap()
            .authenticator_active
    );
}

#[test]
fn disable_and_enable_a_cashier() {
    let shop = open_shop();
    let manager = shop.manager();
    shop.add_cashier(&manager);
    let mut desk = shop.manager_desk();
    desk.key(STAFF);
    // Sorted by user name: the cashier is first.
    desk.type_text("x");
    assert!(desk.screen().contains("Disable account?"));
    desk.type_text("y");
    let cashier = |shop: &Shop| {
        let manager = shop.manager();
        shop.service
            .list_staff(&manager)
            .expect("list")
            .into_iter()
            .find(|s| s.username == CASHIER)
            .expect("cashier")
    };
    assert!(cashier(&shop).disabled);
    assert!(desk.screen().contains("disabled"));
    desk.type_text("e");
    desk.type_text("y");
    assert!(!cashier(&shop).disabled, "{}", desk.screen());
}

#[test]
fn resetting_an_authenticator_needs_a_right_code_and_shows_a_temporary_password_once() {
    let shop = open_shop();
    let manager = shop.manager();
    let old_secret = shop.add_cashier(&manager);
    let mut desk = shop.manager_desk();
    desk.key(STAFF);
    desk.type_text("t");
    assert!(desk.screen().contains("Reset authenticator?"));
    desk.type_text("000000");
    desk.enter();
    let screen = desk.screen();
    assert!(screen.contains("That code is not right"), "{screen}");
    assert_eq!(desk.app.screen_title(), "Staff");
    // Nothing changed: the old authenticator still works.
    shop.cashier(&old_secret);

    desk.type_text("t");
    let code = phone_code(&shop.manager_secret, shop.clock.now_for_tests());
    desk.type_text(&code);
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Shown once", "{}", desk.screen());
    let screen = desk.screen();
    assert!(screen.contains("no longer work"), "{screen}");
    assert_eq!(
        qr_cells(&desk),
        0,
        "the manager never sees a secret: {screen}"
    );
    assert!(!temporary_on_screen(&screen).is_empty());
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Staff");
    shop.next_step();
    let stale = phone_code(&old_secret, shop.clock.now_for_tests());
    assert!(shop.login(CASHIER, CASHIER_PASSWORD, &stale).is_err());
}

#[test]
fn resetting_a_password_shows_a_temporary_one_that_starts_enrolment() {
    let shop = open_shop();
    let manager = shop.manager();
    let cashier_secret = shop.add_cashier(&manager);
    let mut desk = shop.manager_desk();
    desk.key(STAFF);
    desk.type_text("p");
    assert!(desk.screen().contains("Reset password?"));
    let code = phone_code(&shop.manager_secret, shop.clock.now_for_tests());
    desk.type_text(&code);
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Shown once", "{}", desk.screen());
    let screen = desk.screen();
    let temporary = temporary_on_screen(&screen);
    assert!(temporary.len() >= 10, "{screen}");
    desk.esc();
    assert!(!desk.screen().contains(&temporary));
    shop.next_step();
    let code = phone_code(&cashier_secret, shop.clock.now_for_tests());
    assert!(shop.login(CASHIER, CASHIER_PASSWORD, &code).is_err());
    shop.next_step();
    let session = shop
        .service
        .login(frontdesk::service::LoginRequest {
            username: CASHIER.to_owned(),
            password: SecretString::from(temporary),
            second_factor: frontdesk::service::SecondFactor::Absent,
            origin: frontdesk::audit::Origin::Local,
            ssh_key: None,
        })
        .expect("the temporary password works");
    let info = shop.service.session_info(&session).expect("session");
    assert_eq!(
        info.enrolment,
        Some(frontdesk::service::EnrolmentStep::ChoosePassword)
    );
}

// ---- Settings ----------------------------------------------------------------------------

fn settings_desk() -> (Shop, Desk) {
    let shop = open_shop();
    let manager = shop.manager();
    catalog(&shop, &manager);
    let mut desk = shop.manager_desk();
    desk.key(SETTINGS);
    assert_eq!(desk.app.screen_title(), "Settings");
    (shop, desk)
}

#[test]
fn settings_snapshots() {
    let (_shop, mut desk) = settings_desk();
    insta::assert_snapshot!("settings_shop", desk.screen());
    desk.tab();
    insta::assert_snapshot!("settings_hours", desk.screen());
    desk.tab();
    desk.tab();
    insta::assert_snapshot!("settings_services", desk.screen());
    desk.tab(); // Price list
    desk.tab(); // Till
    desk.tab();
    desk.resize(80, 24);
    insta::assert_snapshot!("settings_points_80x24", desk.screen());
}

#[test]
fn editing_a_service_price() {
    let (shop, mut desk) = settings_desk();
    desk.tab();
    desk.tab();
    desk.tab(); // Services & prices
    desk.enter(); // Exterior wash
    assert_eq!(desk.app.screen_title(), "Service");
    insta::assert_snapshot!("service_form", desk.screen());
    for _ in 0..3 {
        desk.tab();
    }
    clear_field(&mut desk);
    desk.type_text("12.5.0");
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Service", "a bad amount stays");
    assert!(
        desk.screen().contains("enter an amount"),
        "{}",
        desk.screen()
    );
    clear_field(&mut desk);
    desk.type_text("22.50");
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Settings", "{}", desk.screen());
    let manager = shop.manager();
    let services = shop.service.list_services(&manager).expect("services");
    let exterior = services
        .iter()
        .find(|s| s.name == "Exterior wash")
        .expect("exterior");
    assert_eq!(exterior.price, Money::from_minor(2250));
    assert!(desk.screen().contains("22.50 CAD"));
}

#[test]
fn changing_opening_hours() {
    let (shop, mut desk) = settings_desk();
    desk.tab(); // Hours & booking; Monday is selected
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Opening hours");
    clear_field(&mut desk);
    desk.type_text("09:00-12:00, 11:00-18:00");
    desk.enter();
    assert!(desk.screen().contains("overlap"), "{}", desk.screen());
    clear_field(&mut desk);
    desk.type_text("09:00-12:00, 13:00-18:00");
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Settings");
    let hours = shop.service.schedule_settings().expect("schedule").hours;
    assert_eq!(hours.describe(Weekday::Mon), "09:00–12:00, 13:00–18:00");
    assert_eq!(hours.describe(Weekday::Tue), "08:00–19:00");
    // Sunday closed.
    for _ in 0..6 {
        desk.key(KeyCode::Down);
    }
    desk.enter();
    clear_field(&mut desk);
    desk.enter();
    let hours = shop.service.schedule_settings().expect("schedule").hours;
    assert!(hours.periods(Weekday::Sun).is_empty());
    assert!(desk.screen().contains("closed"));
}

#[test]
fn a_closed_day_is_added_and_removed() {
    let (shop, mut desk) = settings_desk();
    desk.tab();
    desk.type_text("n");
    assert_eq!(desk.app.screen_title(), "New closed day");
    desk.type_text("2026-12-25");
    desk.tab();
    desk.type_text("Christmas Day");
    desk.enter();
    let closures = shop.service.schedule_settings().expect("schedule").closures;
    assert_eq!(closures.len(), 1);
    desk.key(KeyCode::End);
    desk.type_text("d");
    desk.type_text("y");
    assert!(
        shop.service
            .schedule_settings()
            .expect("schedule")
            .closures
            .is_empty()
    );
}

// ---- Audit log ---------------------------------------------------------------------------

#[test]
fn audit_log_snapshot_and_filter_by_action() {
    let (shop, _) = busy_shop();
    let mut desk = shop.manager_desk();
    desk.key(AUDIT);
    assert_eq!(desk.app.screen_title(), "Audit log");
    insta::assert_snapshot!("audit_manager", desk.screen());
    desk.type_text("/");
    desk.tab();
    desk.type_text("visit.");
    desk.enter();
    let screen = desk.screen();
    assert!(screen.contains("Filter: action: visit.*"), "{screen}");
    let rows: Vec<&str> = screen
        .lines()
        .filter(|line| line.contains(" local ") && !line.contains('·'))
        .collect();
    assert_eq!(rows.len(), 3, "{screen}");
    assert!(rows.iter().all(|row| row.contains("visit.checked_out")));
    insta::assert_snapshot!("audit_filtered", screen);
}

#[test]
fn verifying_the_chain_reports_ok_with_the_checkpoint() {
    let (shop, _) = busy_shop();
    let mut desk = shop.manager_desk();
    desk.key(AUDIT);
    desk.type_text("v");
    let screen = desk.screen();
    assert!(screen.contains("Chain OK"), "{screen}");
    let manager = shop.manager();
    let verification = shop.service.verify_audit_chain(&manager).expect("verify");
    assert!(verification.problem.is_none());
}

// ---- End of day --------------------------------------------------------------------------

#[test]
fn end_of_day_totals_for_the_manager() {
    let (shop, _) = busy_shop();
    let mut desk = shop.manager_desk();
    desk.key(END_OF_DAY);
    assert_eq!(desk.app.screen_title(), "End of day");
    let screen = desk.screen();
    // 20.00 card + 45.00 cash by the manager, 20.00 mobile by the cashier.
    assert!(screen.contains("85.00"), "{screen}");
    assert!(screen.contains("45.00"));
    assert!(screen.contains("The whole shop."));
    assert!(screen.contains("cashier"));
    let checkpoint_shown = screen.split_whitespace().any(|word| {
        word.trim_matches('│')
            .split_once(':')
            .is_some_and(|(count, hash)| {
                count.parse::<u64>().is_ok()
                    && hash.len() == 64
                    && hash.chars().all(|c| c.is_ascii_hexdigit())
            })
    });
    assert!(checkpoint_shown, "{screen}");
    insta::assert_snapshot!("end_of_day_manager", screen);
    desk.type_text("[");
    assert!(desk.screen().contains("Nothing taken."));
    desk.type_text("t");
    assert!(desk.screen().contains("85.00"));
    desk.type_text("v");
    assert!(desk.screen().contains("Chain OK"), "{}", desk.screen());
}

#[test]
fn end_of_day_for_a_cashier_is_their_own_takings() {
    let (shop, secret) = busy_shop();
    let mut desk = shop.cashier_desk(&secret);
    desk.resize(80, 24);
    desk.key(END_OF_DAY);
    assert_eq!(desk.app.screen_title(), "End of day");
    let screen = desk.screen();
    assert!(
        screen.contains("Your own takings only (cashier)."),
        "{screen}"
    );
    assert!(screen.contains("20.00"));
    assert!(!screen.contains("85.00"));
    assert!(!screen.contains("45.00"));
    insta::assert_snapshot!("end_of_day_cashier_80x24", screen);
}

// ---- Role and display name --------------------------------------------------------------

fn staff_row(shop: &Shop, manager: &Session, username: &str) -> frontdesk::service::StaffSummary {
    shop.service
        .list_staff(manager)
        .expect("list")
        .into_iter()
        .find(|s| s.username == username)
        .expect("account")
}

#[test]
fn a_manager_makes_the_cashier_a_manager_with_a_fresh_code_and_their_session_ends() {
    let shop = open_shop();
    let manager = shop.manager();
    let secret = shop.add_cashier(&manager);
    let counter = shop.cashier(&secret);
    let mut desk = shop.manager_desk();
    desk.resize(80, 24);
    desk.settle();
    desk.key(STAFF);
    let list = desk.screen();
    assert!(list.contains("r role"), "{list}");
    assert!(list.contains("d name"), "{list}");
    // Sorted by user name: the cashier is first.
    desk.type_text("r");
    let prompt = desk.screen();
    assert!(prompt.contains("Make manager?"), "{prompt}");
    insta::assert_snapshot!("staff_make_manager_prompt_80x24", prompt);
    desk.type_text("000000");
    desk.enter();
    assert!(desk.screen().contains("That code is not right"));
    assert_eq!(staff_row(&shop, &manager, CASHIER).role, Role::Cashier);

    desk.type_text("r");
    let code = phone_code(&shop.manager_secret, shop.clock.now_for_tests());
    desk.type_text(&code);
    desk.enter();
    let notice = desk.app.notice_text().unwrap_or_default().to_owned();
    assert_eq!(
        notice,
        "cashier is now a manager; their sessions have ended."
    );
    assert_eq!(staff_row(&shop, &manager, CASHIER).role, Role::Manager);
    assert!(matches!(
        shop.service.list_services(&counter),
        Err(frontdesk::service::ServiceError::SessionEnded)
    ));
    desk.resize(200, 50);
    insta::assert_snapshot!("staff_after_role_change_200x50", desk.screen());
}

#[test]
fn a_manager_renames_an_account_in_chinese_with_a_fresh_code() {
    let shop = open_shop();
    let manager = shop.manager();
    shop.add_cashier(&manager);
    shop.service
        .set_my_preferences(
            &manager,
            frontdesk::service::StaffPreferences {
                language: Some("zh-CN".to_owned()),
                theme: None,
            },
        )
        .expect("preferences");
    let mut desk = shop.manager_desk();
    desk.resize(80, 24);
    desk.settle();
    desk.key(STAFF);
    desk.type_text("d");
    assert_eq!(desk.app.screen_title(), "Display name");
    let form = desk.screen();
    assert!(form.contains("Counter"), "{form}");
    clear_field(&mut desk);
    desk.type_text("李伟");
    desk.enter();
    insta::assert_snapshot!("staff_rename_form_zh_80x24", desk.screen());
    let code = phone_code(&shop.manager_secret, shop.clock.now_for_tests());
    desk.type_text(&code);
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Staff", "{}", desk.screen());
    assert_eq!(
        desk.app.notice_text().unwrap_or_default(),
        "cashier 现在显示为 李伟。"
    );
    let row = staff_row(&shop, &manager, CASHIER);
    assert_eq!(row.display_name, "李伟");
    assert_eq!(row.role, Role::Cashier, "a new name is not a new role");
}
