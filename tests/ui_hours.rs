//! The opening-hours form: "apply to every day" so a shop types its week once, and hours of a
//! whole day (`00:00-24:00`) or past midnight (`22:00-02:00`) accepted and shown as such.

mod common;

use chrono::Weekday;
use common::ui::Desk;
use common::*;
use crossterm::event::KeyCode;
use frontdesk::service::StaffPreferences;

const SETTINGS: KeyCode = KeyCode::F(6);

fn hours_form(shop: &Shop) -> Desk {
    let mut desk = shop.manager_desk();
    desk.key(SETTINGS);
    desk.tab(); // Hours & booking; Monday is selected
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Opening hours");
    desk
}

fn chinese_manager(shop: &Shop) {
    let session = shop.manager();
    shop.service
        .set_my_preferences(
            &session,
            StaffPreferences {
                language: Some("zh-CN".to_owned()),
                theme: None,
            },
        )
        .expect("preferences");
    shop.service.logout(&session).expect("logout");
}

#[test]
fn past_midnight_hours_copied_to_every_day() {
    let shop = open_shop();
    let mut desk = hours_form(&shop);
    desk.ctrl('u');
    desk.type_text("22:00-02:00");
    desk.tab();
    desk.key(KeyCode::Right); // every day
    for (width, height) in [(80, 24), (200, 50)] {
        desk.resize(width, height);
        insta::assert_snapshot!(
            format!("hours_form_every_day_{width}x{height}"),
            desk.screen()
        );
    }
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Settings", "{}", desk.screen());
    let hours = shop.service.schedule_settings().expect("schedule").hours;
    for day in [Weekday::Mon, Weekday::Thu, Weekday::Sun] {
        assert_eq!(hours.describe(day), "22:00–02:00 (next day)");
    }
    desk.resize(80, 24);
    insta::assert_snapshot!("hours_tab_past_midnight_80x24", desk.screen());
}

#[test]
fn a_whole_day_on_weekdays_reads_back_as_typed() {
    let shop = open_shop();
    let mut desk = hours_form(&shop);
    desk.ctrl('u');
    desk.type_text("00:00-24:00");
    desk.tab();
    desk.key(KeyCode::Right);
    desk.key(KeyCode::Right); // Monday to Friday
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Settings", "{}", desk.screen());
    let hours = shop.service.schedule_settings().expect("schedule").hours;
    assert_eq!(hours.describe(Weekday::Fri), "00:00–24:00");
    assert_eq!(hours.describe(Weekday::Sat), "08:00–19:00");
    // Opening Friday again shows what was typed.
    for _ in 0..4 {
        desk.key(KeyCode::Down);
    }
    desk.enter();
    assert!(desk.screen().contains("00:00-24:00"), "{}", desk.screen());
}

#[test]
fn a_night_that_runs_into_the_next_morning_is_refused_next_to_the_field() {
    let shop = open_shop();
    let mut desk = hours_form(&shop);
    desk.ctrl('u');
    // Tuesday opens at 08:00, so Monday may not run to 09:00.
    desk.type_text("22:00-09:00");
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Opening hours");
    assert!(
        desk.screen().contains("runs into Tuesday"),
        "{}",
        desk.screen()
    );
}

#[test]
fn the_hours_form_in_chinese() {
    let shop = open_shop();
    chinese_manager(&shop);
    let mut desk = hours_form(&shop);
    desk.ctrl('u');
    desk.type_text("22:00-02:00");
    desk.tab();
    desk.key(KeyCode::Right);
    desk.resize(80, 24);
    insta::assert_snapshot!("hours_form_every_day_80x24_zh", desk.screen());
    desk.enter();
    insta::assert_snapshot!("hours_tab_past_midnight_80x24_zh", desk.screen());
}

#[test]
fn the_today_grid_of_a_night_shop_runs_past_midnight() {
    let shop = open_shop();
    let manager = shop.manager();
    shop.exterior_wash_in_one_bay(&manager);
    let mut schedule = shop.service.schedule_settings().expect("schedule");
    let t = |hour| chrono::NaiveTime::from_hms_opt(hour, 0, 0).unwrap();
    schedule.hours = frontdesk::domain::schedule::OpeningHours::new(std::array::from_fn(|_| {
        vec![(t(22), t(2))]
    }))
    .unwrap();
    shop.service
        .update_schedule(&manager, schedule)
        .expect("hours");
    let mut desk = shop.manager_desk();
    desk.tick();
    desk.resize(80, 24);
    let screen = desk.screen();
    assert!(screen.contains("22:00–02:00 (next day)"), "{screen}");
    assert!(
        screen.contains("00:00"),
        "the grid runs past midnight:\n{screen}"
    );
    insta::assert_snapshot!("today_night_shop_80x24", screen);
}
