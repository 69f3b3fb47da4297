//! Opening hours past midnight and around the clock, through the service: bookings that cross
//! midnight, the night's tail on the next calendar day, and overlaps with the next day refused.

mod common;

use chrono::{Duration, NaiveDateTime, NaiveTime};
use common::*;
use frontdesk::domain::schedule::{BookingRules, OpeningHours};
use frontdesk::ids::RecordId;
use frontdesk::service::{BookingRequest, LocalStart, ServiceError};
use frontdesk::store::records::ScheduleSettings;

fn t(hour: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(hour, 0, 0).unwrap()
}

fn local(text: &str) -> LocalStart {
    LocalStart {
        local: NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap(),
        fold: None,
    }
}

fn book(
    shop: &Shop,
    session: &frontdesk::service::Session,
    service: RecordId,
    start: &str,
) -> Result<frontdesk::service::BookingView, ServiceError> {
    shop.service.create_booking(
        session,
        BookingRequest {
            member: None,
            vehicle: None,
            service,
            bay: None,
            start: local(start),
        },
    )
}

fn set_hours(shop: &Shop, session: &frontdesk::service::Session, hours: OpeningHours) {
    shop.service
        .update_schedule(
            session,
            ScheduleSettings {
                hours,
                closures: Vec::new(),
                rules: BookingRules::default(),
            },
        )
        .unwrap();
}

#[test]
fn a_night_shop_books_across_midnight() {
    // Monday 2026-11-23 09:00 in Vancouver.
    let shop = open_shop();
    let manager = shop.manager();
    let wash = shop.exterior_wash_in_one_bay(&manager);
    set_hours(
        &shop,
        &manager,
        OpeningHours::new(std::array::from_fn(|_| vec![(t(22), t(2))])).unwrap(),
    );
    let across = book(&shop, &manager, wash, "2026-11-23 23:45").unwrap();
    assert_eq!(across.start_local, "2026-11-23 23:45");
    assert_eq!(across.end_local, "2026-11-24 00:15");
    // After the first car and its buffer, the night goes on past midnight.
    let offer = shop
        .service
        .first_free_slot(&manager, wash, local("2026-11-23 23:30"))
        .unwrap()
        .unwrap();
    assert_eq!(offer.start_local, "2026-11-24 00:30");
    // Tuesday 01:00 is still Monday night; the bay is free again after the buffer.
    let tail = book(&shop, &manager, wash, "2026-11-24 01:00").unwrap();
    assert_eq!(tail.end_local, "2026-11-24 01:30");
    let clash = book(&shop, &manager, wash, "2026-11-24 00:15").unwrap_err();
    assert!(clash.to_string().contains("busy"), "{clash}");
    let late = book(&shop, &manager, wash, "2026-11-24 01:45").unwrap_err();
    assert!(late.to_string().contains("closes at 02:00"), "{late}");
    let daytime = book(&shop, &manager, wash, "2026-11-24 12:00").unwrap_err();
    assert!(
        daytime.to_string().contains("22:00–02:00 (next day)"),
        "{daytime}"
    );
    // Nothing fits between 00:15 and 01:00 with the buffers, nor after 01:30 before closing.
    let offer = shop
        .service
        .first_free_slot(&manager, wash, local("2026-11-23 23:30"))
        .unwrap()
        .unwrap();
    assert_eq!(offer.start_local, "2026-11-24 22:00");

    // A walk-in at 00:20 on Tuesday goes in at once, between the two night bookings.
    shop.clock.set(across.start + Duration::minutes(35));
    // Past the 12-hour session limit: the night shift logs in afresh.
    let night_shift = shop.manager();
    let walk_in = shop
        .service
        .walk_in(&night_shift, None, None, wash)
        .unwrap();
    assert_eq!(walk_in.start_local, "2026-11-24 00:20");
}

#[test]
fn a_24_hour_shop_books_over_midnight_and_hours_may_not_overlap_the_next_day() {
    let shop = open_shop();
    let manager = shop.manager();
    let wash = shop.exterior_wash_in_one_bay(&manager);
    // Typed `00:00-24:00`: a whole day, every day.
    set_hours(
        &shop,
        &manager,
        OpeningHours::new(std::array::from_fn(|_| vec![(t(0), t(0))])).unwrap(),
    );
    let night = book(&shop, &manager, wash, "2026-11-23 23:45").unwrap();
    assert_eq!(night.end_local, "2026-11-24 00:15");

    let mut week: [Vec<(NaiveTime, NaiveTime)>; 7] = Default::default();
    week[0] = vec![(t(22), t(2))];
    week[1] = vec![(t(1), t(9))];
    let error = OpeningHours::new(week).unwrap_err();
    assert!(error.to_string().contains("runs into Tuesday"), "{error}");
}
