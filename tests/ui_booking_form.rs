//! The booking form as the desk uses it: opened from a member it starts with that member and
//! car chosen, and its date field takes what staff type (`tomorrow`, `fri`, `明天`, `11-25`).

mod common;

use chrono::NaiveDate;
use common::ui::Desk;
use common::*;
use crossterm::event::KeyCode;
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::service::{MemberInput, StaffPreferences, VehicleInput};

const PHONE: &str = "13812340142";

struct Counter {
    shop: Shop,
    cashier_secret: Vec<u8>,
}

/// A shop with one wash in one bay, a cashier, and 王小明 with a car.
fn counter() -> Counter {
    let shop = open_shop();
    let manager = shop.manager();
    let cashier_secret = shop.add_cashier(&manager);
    shop.exterior_wash_in_one_bay(&manager);
    let member = shop
        .service
        .create_member(
            &manager,
            MemberInput {
                name: "王小明".to_owned(),
                phone: Some(PHONE.to_owned()),
                email: None,
                birthday: NaiveDate::from_ymd_opt(1990, 11, 2),
                notes: None,
            },
        )
        .expect("member");
    shop.service
        .add_vehicle(
            &manager,
            member.id,
            VehicleInput {
                plate: "苏A12345".to_owned(),
                kind: VehicleKind::Sedan,
                make_model: Some("Toyota Corolla".to_owned()),
                colour: Some("blue".to_owned()),
            },
        )
        .expect("vehicle");
    Counter {
        shop,
        cashier_secret,
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
}

fn open_member(desk: &mut Desk) {
    desk.key(KeyCode::F(3));
    desk.type_text(PHONE);
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Member", "{}", desk.screen());
}

/// The booking form from the member's screen, focused on the date field.
fn booking_from_member(desk: &mut Desk) {
    open_member(desk);
    desk.type_text("b");
    desk.tick();
    assert_eq!(desk.app.screen_title(), "New booking", "{}", desk.screen());
}

#[test]
fn a_booking_opened_from_a_member_starts_with_that_member_chosen() {
    let counter = counter();
    for (language, mut desk) in [
        ("en", counter.cashier_desk()),
        ("zh", counter.chinese_cashier_desk()),
    ] {
        booking_from_member(&mut desk);
        for (width, height) in [(80, 24), (200, 50)] {
            desk.resize(width, height);
            insta::assert_snapshot!(
                format!("from_member_{width}x{height}_{language}"),
                desk.screen()
            );
        }
        let screen = desk.screen();
        assert!(
            screen.contains("王*"),
            "the cashier sees the masked name:\n{screen}"
        );
        assert!(screen.contains("#"), "{screen}");
    }
}

/// Types `date` into the date field (the service field has the focus) and `time` after it.
fn type_date_and_time(desk: &mut Desk, date: &str, time: &str) {
    desk.tab(); // Date
    desk.ctrl('u');
    desk.type_text(date);
    desk.tab(); // Time
    desk.ctrl('u');
    desk.type_text(time);
}

#[test]
fn tomorrow_books_the_member_for_the_next_day() {
    let counter = counter();
    let mut desk = counter.cashier_desk();
    booking_from_member(&mut desk);
    type_date_and_time(&mut desk, "tomorrow", "10:00");
    // The word is read back as the day it means before saving.
    assert!(
        desk.screen().contains("Tuesday 2026-11-24"),
        "{}",
        desk.screen()
    );
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Member", "{}", desk.screen());
    let manager = counter.shop.manager();
    let member = counter
        .shop
        .service
        .search_members(&manager, PHONE)
        .expect("search")
        .members[0]
        .id;
    let bookings = counter
        .shop
        .service
        .member_bookings(&manager, member)
        .expect("bookings");
    assert_eq!(bookings.len(), 1);
    assert_eq!(bookings[0].start_local, "2026-11-24 10:00");
}

#[test]
fn chinese_words_and_weekdays_are_dates_too() {
    let counter = counter();
    let mut desk = counter.chinese_cashier_desk();
    booking_from_member(&mut desk);
    type_date_and_time(&mut desk, "周五", "11:00");
    desk.resize(80, 24);
    insta::assert_snapshot!("friday_typed_in_chinese_80x24", desk.screen());
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Member", "{}", desk.screen());
    let manager = counter.shop.manager();
    let member = counter
        .shop
        .service
        .search_members(&manager, PHONE)
        .expect("search")
        .members[0]
        .id;
    let bookings = counter
        .shop
        .service
        .member_bookings(&manager, member)
        .expect("bookings");
    assert_eq!(bookings[0].start_local, "2026-11-27 11:00");
}

#[test]
fn a_date_it_cannot_read_says_what_it_accepts() {
    let counter = counter();
    let mut desk = counter.cashier_desk();
    booking_from_member(&mut desk);
    type_date_and_time(&mut desk, "someday", "10:00");
    desk.enter();
    assert_eq!(desk.app.screen_title(), "New booking");
    desk.resize(80, 24);
    insta::assert_snapshot!("unreadable_date_80x24", desk.screen());
    let screen = desk.screen();
    for accepted in ["YYYY-MM-DD", "tomorrow", "weekday."] {
        assert!(screen.contains(accepted), "{screen}");
    }
}

#[test]
fn a_date_it_cannot_read_in_chinese() {
    let counter = counter();
    let mut desk = counter.chinese_cashier_desk();
    booking_from_member(&mut desk);
    type_date_and_time(&mut desk, "下下周", "10:00");
    desk.enter();
    assert_eq!(desk.app.screen_title(), "New booking");
    desk.resize(80, 24);
    insta::assert_snapshot!("unreadable_date_80x24_zh", desk.screen());
    assert!(
        desk.screen().contains("明天或周五等。"),
        "{}",
        desk.screen()
    );
}
