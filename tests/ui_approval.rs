//! A manager's approval at the cashier's screen, driven by key events: the dialog opens before
//! any manager-only form (points adjustment, void, a price off the list), a refusal keeps only
//! the name, and an approval lets the cashier do the action once.

mod common;

use common::ui::Desk;
use common::*;
use crossterm::event::KeyCode;
use frontdesk::domain::catalog::PaymentMethod;
use frontdesk::domain::money::Money;
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::ids::RecordId;
use frontdesk::service::{
    CheckoutInput, CheckoutLine, MemberInput, Session, StaffPreferences, VehicleInput,
};
use frontdesk::store::ReadAccess;
use frontdesk::store::records::{SaleRecord, VisitRecord};
use frontdesk::store::schema::{SALES, VISITS};

const PHONE: &str = "6045550142";
const WRONG_PASSWORD: &str = "wash bay sunset copper kettle";

/// A shop with a cashier, a wash, a plan on the price list and a member with a car and one
/// visit.
struct Counter {
    shop: Shop,
    manager: Session,
    cashier_secret: Vec<u8>,
    member: RecordId,
    visit: RecordId,
}

fn counter() -> Counter {
    let shop = open_shop();
    let manager = shop.manager();
    let cashier_secret = shop.add_cashier(&manager);
    let wash = shop.exterior_wash_in_one_bay(&manager);
    shop.plan_product(&manager, vec![wash], 1, 3900, 1);
    let member = shop
        .service
        .create_member(
            &manager,
            MemberInput {
                name: "John Smith".to_owned(),
                phone: Some(PHONE.to_owned()),
                email: None,
                birthday: None,
                notes: None,
            },
        )
        .expect("member")
        .id;
    let car = shop
        .service
        .add_vehicle(
            &manager,
            member,
            VehicleInput {
                plate: "ABC123".to_owned(),
                kind: VehicleKind::Sedan,
                make_model: Some("Toyota Corolla".to_owned()),
                colour: None,
            },
        )
        .expect("vehicle")
        .id;
    let visit = shop
        .service
        .checkout(
            &manager,
            CheckoutInput {
                booking: None,
                member: Some(member),
                vehicle: Some(car),
                lines: vec![CheckoutLine {
                    service: wash,
                    quantity: 1,
                    price_override: None,
                }],
                discount: None,
                adjustment_reason: None,
                points: None,
                payment: PaymentMethod::Card,
                tenders: Vec::new(),
                tip: Money::default(),
            },
        )
        .expect("checkout")
        .visit;
    Counter {
        shop,
        manager,
        cashier_secret,
        member,
        visit,
    }
}

impl Counter {
    fn cashier_desk(&self) -> Desk {
        let mut desk = self.shop.cashier_desk(&self.cashier_secret);
        desk.tick();
        desk
    }

    fn chinese_cashier_desk(&self) -> Desk {
        let session = self.shop.cashier(&self.cashier_secret);
        self.shop
            .service
            .set_my_preferences(
                &session,
                StaffPreferences {
                    language: Some("zh-CN".to_owned()),
                    theme: None,
                },
            )
            .expect("preferences");
        self.shop.service.logout(&session).expect("logout");
        self.cashier_desk()
    }

    fn balance(&self) -> i64 {
        self.shop
            .service
            .member_points(&self.manager, self.member)
            .expect("points")
            .balance
    }

    fn manager_code(&self) -> String {
        let code = phone_code(&self.shop.manager_secret, self.shop.clock.now_for_tests());
        self.shop.next_step();
        code
    }

    fn manager_id(&self) -> RecordId {
        self.shop
            .service
            .list_staff(&self.manager)
            .expect("staff")
            .into_iter()
            .find(|staff| staff.username == MANAGER)
            .expect("manager")
            .id
    }
}

/// Opens the member from the members screen.
fn open_member(desk: &mut Desk) {
    desk.key(KeyCode::F(3));
    desk.type_text(PHONE);
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Member", "{}", frame_text(desk));
}

/// The manager types at the cashier's screen: name, password, code, Enter between each.
fn type_approval(desk: &mut Desk, username: &str, password: &str, code: &str) {
    desk.type_text(username);
    desk.enter();
    desk.type_text(password);
    desk.enter();
    desk.type_text(code);
    desk.enter();
}

/// The approval dialog is on top and its title says what is approved.
fn assert_asked(desk: &Desk, what: &str) {
    assert_eq!(desk.app.screen_title(), "Manager approval");
    let screen = frame_text(desk);
    assert!(screen.contains(&format!("┌ {what} ")), "{screen}");
}

/// The frame as a person reads it: a wide (CJK) character's second cell is not a space.
fn frame_text(desk: &Desk) -> String {
    let buffer = desk.buffer();
    let area = buffer.area;
    let mut out = String::new();
    for y in 0..area.height {
        let mut line = String::new();
        let mut skip = 0;
        for x in 0..area.width {
            if skip > 0 {
                skip -= 1;
                continue;
            }
            let symbol = buffer[(x, y)].symbol();
            skip = unicode_width::UnicodeWidthStr::width(symbol).saturating_sub(1);
            line.push_str(symbol);
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[test]
fn the_dialog_at_both_sizes_in_both_languages() {
    let counter = counter();
    for (language, mut desk) in [
        ("en", counter.cashier_desk()),
        ("zh", counter.chinese_cashier_desk()),
    ] {
        open_member(&mut desk);
        desk.key(KeyCode::Char('a'));
        assert_eq!(desk.app.screen_title(), "Manager approval");
        desk.type_text(MANAGER);
        desk.enter();
        for (width, height) in [(80, 24), (200, 50)] {
            desk.resize(width, height);
            insta::assert_snapshot!(
                format!("dialog_{width}x{height}_{language}"),
                frame_text(&desk)
            );
        }
        desk.esc();
        assert_eq!(desk.app.screen_title(), "Member");
    }
}

#[test]
fn a_refusal_says_the_one_message_and_keeps_only_the_name() {
    let counter = counter();
    let mut desk = counter.cashier_desk();
    desk.resize(80, 24);
    open_member(&mut desk);
    desk.key(KeyCode::Char('a'));
    let code = counter.manager_code();
    type_approval(&mut desk, MANAGER, WRONG_PASSWORD, &code);
    assert_asked(&desk, "Approve a points adjustment");
    let screen = frame_text(&desk);
    assert!(screen.contains("Not approved"), "{screen}");
    // Password and code are cleared (no dots left), the name is kept.
    assert!(!screen.contains('•'), "{screen}");
    assert!(screen.contains(MANAGER), "{screen}");
    insta::assert_snapshot!("refused_80x24", screen);

    // The same message for a wrong code, and nothing is approved.
    desk.type_text(MANAGER_PASSWORD);
    desk.enter();
    desk.type_text("000000");
    desk.enter();
    assert!(frame_text(&desk).contains("Not approved"));
    desk.esc();
    assert_eq!(desk.app.screen_title(), "Member");
    desk.key(KeyCode::Char('a'));
    assert_asked(&desk, "Approve a points adjustment");
}

#[test]
fn after_approval_the_cashier_adjusts_points_once() {
    let counter = counter();
    let before = counter.balance();
    let mut desk = counter.cashier_desk();
    desk.resize(80, 24);
    open_member(&mut desk);
    desk.key(KeyCode::Char('a'));
    let code = counter.manager_code();
    type_approval(&mut desk, MANAGER, MANAGER_PASSWORD, &code);
    // Approved: the form the cashier asked for opens.
    assert_eq!(
        desk.app.screen_title(),
        "Adjust points",
        "{}",
        frame_text(&desk)
    );
    desk.type_text("25");
    desk.enter();
    desk.type_text("Goodwill for a long wait");
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Member", "{}", frame_text(&desk));
    assert_eq!(counter.balance(), before + 25);
    desk.tab();
    desk.tab();
    let screen = frame_text(&desk);
    assert!(screen.contains("Goodwill for a long wait"), "{screen}");
    insta::assert_snapshot!("member_after_approval_80x24", screen);

    // Used up: the next adjustment asks again.
    desk.key(KeyCode::Char('a'));
    assert_asked(&desk, "Approve a points adjustment");
    desk.esc();
    assert_eq!(counter.balance(), before + 25);
}

#[test]
fn after_approval_the_cashier_voids_a_visit_once() {
    let counter = counter();
    let mut desk = counter.cashier_desk();
    open_member(&mut desk);
    for _ in 0..4 {
        desk.tab();
    }
    desk.key(KeyCode::Char('V'));
    // Asked before the confirmation and its reason.
    assert_asked(&desk, "Approve a void");
    assert!(!desk.app.has_overlay());
    let code = counter.manager_code();
    type_approval(&mut desk, MANAGER, MANAGER_PASSWORD, &code);
    assert_eq!(desk.app.screen_title(), "Member");
    assert!(desk.app.has_overlay(), "{}", frame_text(&desk));
    desk.type_text("Charged twice");
    desk.enter();
    let visit = counter
        .shop
        .service
        .store()
        .read()
        .expect("read")
        .get::<VisitRecord>(VISITS, counter.visit, "visit")
        .expect("decode")
        .expect("visit");
    assert!(visit.voided.is_some(), "{}", frame_text(&desk));
    assert!(
        desk.app
            .notice_text()
            .is_some_and(|text| text.contains("voided")),
        "{:?}",
        desk.app.notice_text()
    );
}

/// Moves to the sale dialog's price choice (after vehicle, plan, terms and payment).
fn to_price_choice(desk: &mut Desk) {
    for _ in 0..4 {
        desk.tab();
    }
}

#[test]
fn a_cashier_sells_a_plan_off_the_list_after_approval() {
    let counter = counter();
    let mut desk = counter.cashier_desk();
    desk.resize(80, 24);
    open_member(&mut desk);
    desk.key(KeyCode::Char('p'));
    assert_eq!(desk.app.screen_title(), "Sell a monthly plan");
    let screen = frame_text(&desk);
    assert!(screen.contains("List price"), "{screen}");
    assert!(!screen.contains("Other price"), "{screen}");

    // Choosing another price asks a manager first; cancelled, the sale stays at list price.
    to_price_choice(&mut desk);
    desk.key(KeyCode::Right);
    assert_asked(&desk, "Approve an off-list price");
    desk.esc();
    assert_eq!(desk.app.screen_title(), "Sell a monthly plan");
    assert!(frame_text(&desk).contains("List price"));

    desk.key(KeyCode::Right);
    let code = counter.manager_code();
    type_approval(&mut desk, MANAGER, MANAGER_PASSWORD, &code);
    assert_eq!(desk.app.screen_title(), "Sell a monthly plan");
    let screen = frame_text(&desk);
    assert!(screen.contains("Other price (needs a manager)"), "{screen}");
    insta::assert_snapshot!("sell_plan_other_price_80x24", screen);

    desk.type_text("29.00");
    desk.enter();
    // No reason: refused next to the field, before the service spends the approval.
    desk.enter();
    assert!(
        frame_text(&desk).contains("Give a reason"),
        "{}",
        frame_text(&desk)
    );
    assert_eq!(desk.app.screen_title(), "Sell a monthly plan");
    desk.type_text("Matched a competitor's offer");
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Member", "{}", frame_text(&desk));

    let (plans, _) = counter
        .shop
        .service
        .member_plans(&counter.manager, counter.member)
        .expect("plans");
    assert_eq!(plans.len(), 1);
    assert_eq!(plans[0].price_per_term, Money::from_minor(2900));
    let mut sales = Vec::new();
    counter
        .shop
        .service
        .store()
        .read()
        .expect("read")
        .scan_by_id(SALES, &mut |_, bytes| {
            sales.push(frontdesk::store::decode_record::<SaleRecord>(
                "sale", bytes,
            )?);
            Ok(())
        })
        .expect("sales");
    assert_eq!(sales.len(), 1);
    assert_eq!(sales[0].approved_by, Some(counter.manager_id()));

    // Used up: another price asks again.
    desk.key(KeyCode::Char('p'));
    to_price_choice(&mut desk);
    desk.key(KeyCode::Right);
    assert_asked(&desk, "Approve an off-list price");
}

#[test]
fn a_manager_is_never_asked() {
    let counter = counter();
    let mut desk = counter.shop.manager_desk();
    desk.tick();
    open_member(&mut desk);
    desk.key(KeyCode::Char('a'));
    assert_eq!(desk.app.screen_title(), "Adjust points");
    desk.esc();
    desk.key(KeyCode::Char('p'));
    assert_eq!(desk.app.screen_title(), "Sell a monthly plan");
    // The manager's dialog has the price fields at once, and no "needs a manager" choice.
    let screen = frame_text(&desk);
    assert!(screen.contains("Other price"), "{screen}");
    assert!(!screen.contains("needs a manager"), "{screen}");
}
