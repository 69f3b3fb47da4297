//! A bay is held by the car on it, not by the plan: checked-out, cancelled and missed bookings
//! free their bay at once, a car that overruns keeps it, and check-in and checkout act on
//! today's bookings only. Refusals name the bay, the time in the way and free alternatives.

mod common;

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use common::*;
use frontdesk::domain::catalog::{PaymentMethod, ServiceCategory};
use frontdesk::domain::money::Money;
use frontdesk::ids::RecordId;
use frontdesk::service::{
    BayInput, BookingRequest, BookingView, CheckoutInput, LocalStart, ServiceError, ServiceInput,
    Session,
};
use frontdesk::store::records::BookingState;

struct Desk {
    shop: Shop,
    manager: Session,
    exterior: RecordId,
    full: RecordId,
    bay1: RecordId,
    bay2: RecordId,
}

/// Vancouver wall-clock time on Monday 2026-11-23 (the test clock starts at 09:00).
fn at(time: &str) -> DateTime<Utc> {
    chrono_tz::America::Vancouver
        .from_local_datetime(&local(time).local)
        .single()
        .expect("unambiguous")
        .with_timezone(&Utc)
}

fn local(time: &str) -> LocalStart {
    let text = if time.len() == 5 {
        format!("2026-11-23 {time}")
    } else {
        time.to_owned()
    };
    LocalStart {
        local: NaiveDateTime::parse_from_str(&text, "%Y-%m-%d %H:%M").expect("valid time"),
        fold: None,
    }
}

/// Bay 1 does both services, Bay 2 only the 30-minute exterior wash; 5 minutes between cars,
/// 30 minutes' notice (the defaults).
fn desk() -> Desk {
    let shop = open_shop();
    let manager = shop.manager();
    let service = |name: &str, minutes: u32, category| {
        shop.service
            .save_service(
                &manager,
                ServiceInput {
                    id: None,
                    name: name.to_owned(),
                    category,
                    duration_minutes: minutes,
                    price: Money::from_minor(2000),
                    earns_points: true,
                    active: true,
                    tax_class: Default::default(),
                },
            )
            .expect("service")
            .id
    };
    let exterior = service("Exterior wash", 30, ServiceCategory::Exterior);
    let full = service("Full service", 60, ServiceCategory::FullService);
    let bay = |name: &str, services: Vec<RecordId>| {
        shop.service
            .save_bay(
                &manager,
                BayInput {
                    id: None,
                    name: name.to_owned(),
                    services,
                    active: true,
                },
            )
            .expect("bay")
            .id
    };
    let bay1 = bay("Bay 1", vec![exterior, full]);
    let bay2 = bay("Bay 2", vec![exterior]);
    Desk {
        shop,
        manager,
        exterior,
        full,
        bay1,
        bay2,
    }
}

impl Desk {
    /// Moves the clock forward to `time` today in steps shorter than the idle lock, the desk
    /// busy all along.
    fn now(&self, time: &str) {
        let target = at(time);
        while self.shop.clock.now_for_tests() < target {
            let step = (target - self.shop.clock.now_for_tests()).min(chrono::Duration::minutes(4));
            self.shop.clock.advance(step);
            self.shop
                .service
                .day_bookings(&self.manager, target.date_naive())
                .expect("the desk stays unlocked");
        }
    }

    fn book(
        &self,
        service: RecordId,
        bay: RecordId,
        time: &str,
    ) -> Result<BookingView, ServiceError> {
        self.shop.service.create_booking(
            &self.manager,
            BookingRequest {
                member: None,
                vehicle: None,
                service,
                bay: Some(bay),
                start: local(time),
            },
        )
    }

    fn check_in(&self, booking: &BookingView) -> Result<BookingView, ServiceError> {
        self.shop.service.check_in(&self.manager, booking.id)
    }

    fn checkout(&self, booking: &BookingView) -> Result<(), ServiceError> {
        self.shop
            .service
            .checkout(
                &self.manager,
                CheckoutInput {
                    booking: Some(booking.id),
                    member: None,
                    vehicle: None,
                    lines: Vec::new(),
                    discount: None,
                    adjustment_reason: None,
                    points: None,
                    payment: PaymentMethod::Card,
                    tenders: Vec::new(),
                    tip: Default::default(),
                },
            )
            .map(|_| ())
    }

    fn walk_in(&self) -> BookingView {
        self.shop
            .service
            .walk_in(&self.manager, None, None, self.exterior)
            .expect("walk-in")
    }
}

#[test]
fn a_walk_in_takes_a_bay_freed_by_a_checkout_minutes_ago() {
    let desk = desk();
    let long = desk.book(desk.full, desk.bay1, "10:00").expect("bay 1");
    let short = desk.book(desk.exterior, desk.bay2, "10:00").expect("bay 2");
    desk.now("10:00");
    desk.check_in(&long).expect("check in");
    desk.check_in(&short).expect("check in");
    // Both cars are done early and paid for; the bays stand empty.
    desk.now("10:13");
    desk.checkout(&long).expect("checkout");
    desk.now("10:16");
    desk.checkout(&short).expect("checkout");
    desk.now("10:21");
    let walk_in = desk.walk_in();
    assert_eq!(walk_in.bay, desk.bay1, "the first bay is free again");
    assert_eq!(walk_in.start, at("10:21"), "it starts now, not at 11:05");
    assert!(matches!(walk_in.state, BookingState::CheckedIn { .. }));
    // The first free slot for the full service (Bay 1 only) follows the walk-in, not the
    // paid-for booking's planned hour.
    let offer = desk
        .shop
        .service
        .first_free_slot(&desk.manager, desk.full, local("10:21"))
        .expect("search")
        .expect("a slot");
    assert_eq!((offer.bay, offer.start), (desk.bay1, at("11:00")));
}

#[test]
fn cancelled_and_missed_bookings_free_their_bay_entirely() {
    let desk = desk();
    let cancelled = desk.book(desk.full, desk.bay1, "10:00").expect("booking");
    desk.shop
        .service
        .cancel_booking(&desk.manager, cancelled.id, "customer called")
        .expect("cancel");
    desk.book(desk.full, desk.bay1, "10:00")
        .expect("the cancelled booking's slot, buffer and all, is free");

    let missed = desk.book(desk.exterior, desk.bay2, "10:00").expect("bay 2");
    desk.now("10:05");
    desk.shop
        .service
        .mark_no_show(&desk.manager, missed.id)
        .expect("no-show");
    let walk_in = desk.walk_in();
    assert_eq!(
        (walk_in.bay, walk_in.start),
        (desk.bay2, at("10:05")),
        "Bay 1 is taken, so the walk-in takes the missed booking's bay now"
    );
}

#[test]
fn a_car_still_on_the_bay_after_its_planned_end_keeps_the_bay() {
    let desk = desk();
    let first = desk.book(desk.exterior, desk.bay1, "10:00").expect("bay 1");
    let second = desk.book(desk.exterior, desk.bay2, "10:00").expect("bay 2");
    desk.now("10:00");
    desk.check_in(&first).expect("check in");
    desk.check_in(&second).expect("check in");
    // Planned to leave at 10:30; at 10:40 both are still on their bays, not yet paid.
    desk.now("10:40");
    let walk_in = desk.walk_in();
    assert_eq!(
        (walk_in.bay, walk_in.start),
        (desk.bay1, at("10:45")),
        "the next car waits for the current one plus the buffer"
    );
    assert_eq!(walk_in.state, BookingState::Booked);
}

#[test]
fn check_in_and_checkout_act_on_todays_bookings_only() {
    let desk = desk();
    let tomorrow = desk
        .book(desk.exterior, desk.bay1, "2026-11-24 10:00")
        .expect("tomorrow");
    let refused = desk
        .check_in(&tomorrow)
        .expect_err("another day's check-in");
    assert_eq!(
        refused.to_string(),
        "that booking is for 2026-11-24, not today; check in on its day or move it"
    );
    let refused = desk
        .checkout(&tomorrow)
        .expect_err("another day's checkout");
    assert_eq!(
        refused.to_string(),
        "that booking is for 2026-11-24, not today; check out on its day or move it"
    );
    // An early arrival for a booking later today is fine, and so is paying for it.
    let later_today = desk.book(desk.exterior, desk.bay2, "14:00").expect("today");
    desk.check_in(&later_today).expect("early arrival");
    desk.checkout(&later_today).expect("checkout today");
}

#[test]
fn a_refusal_names_the_bay_the_time_in_the_way_and_free_alternatives() {
    let desk = desk();
    desk.book(desk.exterior, desk.bay1, "10:00").expect("bay 1");
    let refused = desk
        .book(desk.exterior, desk.bay1, "10:15")
        .expect_err("Bay 1 is busy");
    assert_eq!(
        refused.to_string(),
        "Bay 1 is busy 10:00–10:35 (with 5 minutes between cars); \
         free: Bay 2 at 10:15, Bay 1 at 10:45"
    );

    // Moving a booking (`m`) onto the busy bay says the same, leaving itself out.
    let other = desk.book(desk.exterior, desk.bay2, "11:00").expect("bay 2");
    let refused = desk
        .shop
        .service
        .reschedule_booking(&desk.manager, other.id, local("10:15"), Some(desk.bay1))
        .expect_err("Bay 1 is busy");
    assert_eq!(
        refused.to_string(),
        "Bay 1 is busy 10:00–10:35 (with 5 minutes between cars); \
         free: Bay 2 at 10:15, Bay 1 at 10:45"
    );
}

/// The Today grid offers exactly what the service accepts: every open start it is given takes a
/// booking of the bay's shortest service, on a day with a car on a bay, a paid-for one, a
/// cancelled one and bookings later on.
#[test]
fn every_start_the_grid_offers_is_accepted_by_create_booking() {
    let desk = desk();
    let paid = desk.book(desk.full, desk.bay1, "10:00").expect("bay 1");
    let on_bay = desk.book(desk.exterior, desk.bay2, "10:00").expect("bay 2");
    let cancelled = desk.book(desk.exterior, desk.bay2, "12:00").expect("bay 2");
    desk.book(desk.full, desk.bay1, "13:15").expect("bay 1");
    desk.book(desk.exterior, desk.bay2, "15:10")
        .expect_err("off the slot grid");
    desk.book(desk.exterior, desk.bay2, "15:15").expect("bay 2");
    desk.now("10:00");
    desk.check_in(&paid).expect("check in");
    desk.check_in(&on_bay).expect("check in");
    desk.now("10:20");
    desk.checkout(&paid).expect("checkout");
    desk.shop
        .service
        .cancel_booking(&desk.manager, cancelled.id, "customer called")
        .expect("cancel");
    desk.now("10:41");

    let days = desk
        .shop
        .service
        .bay_days(&desk.manager, at("10:41").date_naive())
        .expect("the day");
    let bay1 = days.iter().find(|d| d.bay == desk.bay1).expect("bay 1");
    let bay2 = days.iter().find(|d| d.bay == desk.bay2).expect("bay 2");
    // Bay 1 is free from its checkout; the notice makes 11:15 the first start.
    assert_eq!(bay1.open_starts.first().map(|o| o.start), Some(at("11:15")));
    // Bay 2's car overran: held until now plus the buffer, and the cancelled 12:00 is free.
    let held_on_bay2 = bay2.held.iter().find(|h| h.booking == on_bay.id);
    assert_eq!(held_on_bay2.map(|h| h.ready_at), Some(at("10:46")));
    assert!(bay2.open_starts.iter().any(|o| o.start == at("12:00")));
    // Before Bay 1's 13:15 booking: the last start for a 30-minute wash is 12:30.
    let before_next = bay1
        .open_starts
        .iter()
        .find(|o| o.start == at("12:30"))
        .expect("12:30 on bay 1");
    assert_eq!(before_next.latest_end, at("13:10"));
    assert!(!bay1.open_starts.iter().any(|o| o.start == at("12:45")));

    let mut offered = 0;
    for (day, bay) in [(bay1, desk.bay1), (bay2, desk.bay2)] {
        for open in &day.open_starts {
            let fits =
                |minutes: i64| open.latest_end - open.start >= chrono::Duration::minutes(minutes);
            let service = if bay == desk.bay1 && fits(60) {
                desk.full
            } else {
                desk.exterior
            };
            assert!(fits(30), "every open start fits the bay's shortest service");
            let time = open
                .start
                .with_timezone(&chrono_tz::America::Vancouver)
                .format("%H:%M")
                .to_string();
            let booked = desk
                .book(service, bay, &time)
                .unwrap_or_else(|err| panic!("{time} offered but refused: {err}"));
            desk.shop
                .service
                .cancel_booking(&desk.manager, booked.id, "test")
                .expect("cancel");
            offered += 1;
        }
    }
    assert!(offered > 30, "{offered}");
}

#[test]
fn verify_agrees_that_a_checked_out_car_freed_its_bay_for_the_next_one() {
    let desk = desk();
    let long = desk.book(desk.full, desk.bay1, "10:00").expect("bay 1");
    desk.now("10:00");
    desk.check_in(&long).expect("check in");
    desk.now("10:13");
    desk.checkout(&long).expect("checkout");
    desk.now("10:21");
    let walk_in = desk.walk_in();
    assert_eq!(
        walk_in.bay, desk.bay1,
        "inside the paid-for booking's planned hour"
    );
    desk.shop.service.logout(&desk.manager).expect("logout");
    desk.shop.service.wait_for_name_index();
    let service = std::sync::Arc::try_unwrap(desk.shop.service)
        .unwrap_or_else(|_| panic!("the test holds the only service"));
    let mut store = service.into_store().expect("the store");
    let report =
        frontdesk::service::integrity::verify_store(&mut store, None).expect("verify runs");
    // Before, verify compared the planned hour and called the two bookings overlapping.
    assert!(report.is_ok(), "{}", report.lines().join("\n"));
}
