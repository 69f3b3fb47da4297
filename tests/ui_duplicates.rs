//! The duplicate panel: a new member, an edit or a vehicle with a phone, email or plate already
//! on another member opens a panel naming that member (masked for a cashier), with keys to open
//! them, save anyway (a manager; a cashier with a manager's approval), or go back to the form
//! with everything typed still there.

mod common;

use common::ui::Desk;
use common::*;
use crossterm::event::KeyCode;
use frontdesk::audit::AuditAction;
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::service::{
    MemberDetail, MemberInput, NewMember, OnDuplicate, Session, StaffPreferences, VehicleInput,
};
use frontdesk::store::ReadAccess;

const CHEN_PHONE: &str = "+86 138 1234 5678";
const CHEN_PLATE: &str = "沪E54205";

struct Counter {
    shop: Shop,
    manager: Session,
    cashier_secret: Vec<u8>,
    chen: MemberDetail,
    ana: MemberDetail,
}

fn register(shop: &Shop, session: &Session, name: &str, phone: &str, plate: &str) -> MemberDetail {
    shop.service
        .register_member(
            session,
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
        .expect("member")
}

fn counter() -> Counter {
    let shop = open_shop();
    let manager = shop.manager();
    let cashier_secret = shop.add_cashier(&manager);
    let chen = register(&shop, &manager, "陈小明", CHEN_PHONE, CHEN_PLATE);
    let ana = register(&shop, &manager, "Ana Souza", "6045550199", "BC 123 AB");
    shop.service.wait_for_name_index();
    Counter {
        shop,
        manager,
        cashier_secret,
        chen,
        ana,
    }
}

impl Counter {
    fn cashier_desk(&self) -> Desk {
        let mut desk = self.shop.cashier_desk(&self.cashier_secret);
        desk.tick();
        desk
    }

    fn chinese_manager_desk(&self) -> Desk {
        self.shop
            .service
            .set_my_preferences(
                &self.manager,
                StaffPreferences {
                    language: Some("zh-CN".to_owned()),
                    theme: None,
                },
            )
            .expect("preferences");
        let mut desk = self.shop.manager_desk();
        desk.tick();
        desk
    }

    fn member_count(&self) -> u64 {
        self.shop
            .service
            .store()
            .read()
            .unwrap()
            .member_count()
            .unwrap()
    }
}

/// The new-member form with a name and phone (and a plate) typed, then saved.
fn new_member(desk: &mut Desk, name: &str, phone: &str, plate: &str) {
    desk.key(KeyCode::F(3));
    desk.ctrl('n');
    assert_eq!(desk.app.screen_title(), "New member");
    desk.type_text(name);
    desk.enter();
    desk.type_text(phone);
    // Email, birthday, notes, then the plate.
    for _ in 0..4 {
        desk.enter();
    }
    desk.type_text(plate);
    save_form(desk);
}

/// Enter through the remaining fields; on the last one the form saves.
fn save_form(desk: &mut Desk) {
    for _ in 0..7 {
        if desk.app.screen_title() != "New member" {
            return;
        }
        desk.enter();
    }
}

#[test]
fn a_cashier_is_shown_the_member_masked_goes_back_with_the_form_intact_and_needs_a_manager() {
    let counter = counter();
    let before = counter.member_count();
    let mut desk = counter.cashier_desk();
    desk.resize(80, 24);
    // The same number as Chen's, without the country code.
    new_member(&mut desk, "Li Lei", "138 1234 5678", "");
    assert_eq!(desk.app.screen_title(), "Duplicate", "{}", desk.screen());
    let screen = desk.screen();
    assert!(screen.contains("陈**"), "{screen}");
    assert!(screen.contains("+86 138****5678"), "{screen}");
    assert!(!screen.contains("陈小明"), "{screen}");
    assert!(!screen.contains("54205"), "{screen}");
    insta::assert_snapshot!("duplicate_cashier_80x24", screen);
    assert_eq!(counter.member_count(), before);

    // Esc: back to the form, everything typed still there.
    desk.esc();
    assert_eq!(desk.app.screen_title(), "New member");
    let screen = desk.screen();
    assert!(screen.contains("Li Lei"), "{screen}");
    assert!(screen.contains("138 1234 5678"), "{screen}");

    // o: Chen's record opens above the form; Esc returns to the form.
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Duplicate");
    desk.key(KeyCode::Char('o'));
    assert_eq!(desk.app.screen_title(), "Member");
    assert!(
        desk.screen()
            .contains(&format!("#{}", counter.chen.member_number))
    );
    desk.esc();
    assert_eq!(desk.app.screen_title(), "New member");
    assert!(desk.screen().contains("Li Lei"));

    // m: a manager approves at the cashier's screen, and the member is saved.
    desk.enter();
    desk.key(KeyCode::Char('m'));
    assert_eq!(desk.app.screen_title(), "Manager approval");
    let code = phone_code(
        &counter.shop.manager_secret,
        counter.shop.clock.now_for_tests(),
    );
    counter.shop.next_step();
    desk.type_text(MANAGER);
    desk.enter();
    desk.type_text(MANAGER_PASSWORD);
    desk.enter();
    desk.type_text(&code);
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Member", "{}", desk.screen());
    assert_eq!(counter.member_count(), before + 1);
    assert!(
        audit_actions(counter.shop.service.store()).contains(&AuditAction::DuplicateMemberSaved)
    );
}

#[test]
fn a_manager_in_chinese_sees_the_member_in_full_and_saves_anyway() {
    let counter = counter();
    let before = counter.member_count();
    let mut desk = counter.chinese_manager_desk();
    desk.resize(80, 24);
    new_member(&mut desk, "李雷", "13900001111", "沪e 54205");
    assert_eq!(desk.app.screen_title(), "Duplicate");
    let screen = desk.screen();
    assert!(screen.contains("陈小明"), "{screen}");
    assert!(screen.contains(CHEN_PLATE), "{screen}");
    insta::assert_snapshot!("duplicate_manager_zh_80x24", screen);
    desk.key(KeyCode::Char('m'));
    assert_eq!(desk.app.screen_title(), "Member", "{}", desk.screen());
    assert_eq!(counter.member_count(), before + 1);
    assert!(
        audit_actions(counter.shop.service.store()).contains(&AuditAction::DuplicateMemberSaved)
    );
}

#[test]
fn a_vehicle_plate_and_an_edited_phone_on_another_member_open_the_panel() {
    let counter = counter();
    let mut desk = counter.cashier_desk();
    desk.resize(200, 50);
    desk.key(KeyCode::F(3));
    desk.type_text("6045550199");
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Member");
    desk.key(KeyCode::Char('v'));
    assert_eq!(desk.app.screen_title(), "Add vehicle");
    desk.type_text(CHEN_PLATE);
    for _ in 0..4 {
        desk.enter();
    }
    assert_eq!(desk.app.screen_title(), "Duplicate");
    insta::assert_snapshot!("duplicate_vehicle_cashier_200x50", desk.screen());
    desk.esc();
    assert_eq!(desk.app.screen_title(), "Add vehicle");
    assert!(desk.screen().contains(CHEN_PLATE));
    desk.esc();

    // The contact form: a cashier types only what changes.
    desk.key(KeyCode::Char('e'));
    assert_eq!(desk.app.screen_title(), "Edit member");
    desk.enter();
    desk.type_text("13812345678");
    for _ in 0..4 {
        desk.enter();
    }
    assert_eq!(desk.app.screen_title(), "Duplicate");
    desk.esc();
    assert_eq!(desk.app.screen_title(), "Edit member");
    let ana = counter
        .shop
        .service
        .open_member(&counter.manager, counter.ana.id)
        .unwrap();
    assert_eq!(ana.phone.unwrap().as_str(), "6045550199");
    assert_eq!(ana.vehicles.len(), 1);
}
