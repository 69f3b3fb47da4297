//! A day at the car wash through the service layer: bookings (overlaps, buffers, DST, notice,
//! horizon, closures, walk-ins, concurrency), checkout with points, plans and packages, voids,
//! expiry, and every manager-only action refused for a cashier.

mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use common::*;
use frontdesk::audit::{AuditAction, decode};
use frontdesk::domain::catalog::{PaymentMethod, ServiceCategory};
use frontdesk::domain::checkout::Discount;
use frontdesk::domain::loyalty::PointsPolicySettings;
use frontdesk::domain::money::Money;
use frontdesk::domain::schedule::{BookingRules, Closure, FoldChoice, OpeningHours};
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::ids::RecordId;
use frontdesk::service::{
    BayInput, BookingRequest, CheckoutInput, CheckoutLine, LocalStart, MemberInput, PackageSale,
    PlanSale, PointsUse, ServiceError, ServiceInput, Session, VehicleInput,
};
use frontdesk::store::records::{BookingState, ScheduleSettings};

/// A booking's start and end.
type Span = (DateTime<Utc>, DateTime<Utc>);

struct Desk {
    shop: Shop,
    manager: Session,
    exterior: RecordId,
    full: RecordId,
    bay1: RecordId,
    bay2: RecordId,
}

fn service(
    desk_shop: &Shop,
    manager: &Session,
    name: &str,
    minutes: u32,
    price: i64,
    category: ServiceCategory,
) -> RecordId {
    desk_shop
        .service
        .save_service(
            manager,
            ServiceInput {
                id: None,
                name: name.to_owned(),
                category,
                duration_minutes: minutes,
                price: Money::from_minor(price),
                earns_points: true,
                active: true,
                tax_class: Default::default(),
            },
        )
        .unwrap()
        .id
}

/// A shop with two services and two bays, at `now` (Monday 2026-11-23 09:00 in Vancouver
/// unless moved first).
fn desk_at(now: Option<DateTime<Utc>>) -> Desk {
    let shop = open_shop();
    if let Some(now) = now {
        shop.clock.set(now);
    }
    let manager = shop.manager();
    let exterior = service(
        &shop,
        &manager,
        "Exterior wash",
        30,
        2000,
        ServiceCategory::Exterior,
    );
    let full = service(
        &shop,
        &manager,
        "Full service",
        60,
        4500,
        ServiceCategory::FullService,
    );
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
            .unwrap()
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

/// A one-line card sale of `service`, to adjust with struct-update syntax.
fn sale(member: Option<RecordId>, vehicle: Option<RecordId>, service: RecordId) -> CheckoutInput {
    CheckoutInput {
        booking: None,
        member,
        vehicle,
        lines: vec![CheckoutLine {
            service,
            quantity: 1,
            price_override: None,
        }],
        discount: None,
        adjustment_reason: None,
        points: None,
        payment: PaymentMethod::Card,
        tenders: Vec::new(),
        tip: Default::default(),
    }
}

fn desk() -> Desk {
    desk_at(None)
}

fn local(text: &str) -> LocalStart {
    LocalStart {
        local: NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap(),
        fold: None,
    }
}

impl Desk {
    fn book(
        &self,
        service: RecordId,
        bay: Option<RecordId>,
        start: LocalStart,
    ) -> Result<frontdesk::service::BookingView, ServiceError> {
        self.shop.service.create_booking(
            &self.manager,
            BookingRequest {
                member: None,
                vehicle: None,
                service,
                bay,
                start,
            },
        )
    }

    fn member_with_car(&self, name: &str, plate: &str) -> (RecordId, RecordId) {
        let member = self
            .shop
            .service
            .create_member(
                &self.manager,
                MemberInput {
                    name: name.to_owned(),
                    ..MemberInput::default()
                },
            )
            .unwrap();
        let vehicle = self
            .shop
            .service
            .add_vehicle(
                &self.manager,
                member.id,
                VehicleInput {
                    plate: plate.to_owned(),
                    kind: VehicleKind::Sedan,
                    make_model: None,
                    colour: None,
                },
            )
            .unwrap();
        (member.id, vehicle.id)
    }

    fn pay(
        &self,
        session: &Session,
        member: Option<RecordId>,
        vehicle: Option<RecordId>,
        service: RecordId,
    ) -> Result<frontdesk::service::CheckoutReceipt, ServiceError> {
        self.shop
            .service
            .checkout(session, sale(member, vehicle, service))
    }

    /// Every bay's bookings that hold it, over the next days, as UTC intervals.
    fn holdings(&self, days: i64) -> BTreeMap<RecordId, Vec<Span>> {
        let mut by_bay: BTreeMap<RecordId, Vec<_>> = BTreeMap::new();
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        for offset in -1..days {
            let day = today + Duration::days(offset);
            for booking in self.shop.service.day_bookings(&self.manager, day).unwrap() {
                by_bay
                    .entry(booking.bay)
                    .or_default()
                    .push((booking.start, booking.end));
            }
        }
        by_bay
    }
}

fn assert_no_overlaps(desk: &Desk, buffer_minutes: i64) {
    for (bay, mut intervals) in desk.holdings(35) {
        intervals.sort();
        for pair in intervals.windows(2) {
            let (a, b) = (pair[0], pair[1]);
            assert!(
                a.1 + Duration::minutes(buffer_minutes) <= b.0,
                "bay {bay}: {a:?} overlaps {b:?}"
            );
        }
    }
}

#[test]
fn a_bay_is_never_double_booked_and_the_next_suitable_bay_is_used() {
    let desk = desk();
    let first = desk
        .book(desk.exterior, Some(desk.bay1), local("2026-11-24 10:00"))
        .unwrap();
    assert_eq!(first.bay, desk.bay1);
    assert_eq!(first.start_local, "2026-11-24 10:00");
    let clash = desk
        .book(desk.exterior, Some(desk.bay1), local("2026-11-24 10:00"))
        .unwrap_err();
    assert_eq!(
        clash.to_string(),
        "Bay 1 is busy 10:00–10:35 (with 5 minutes between cars); \
         free: Bay 2 at 10:00, Bay 1 at 10:45",
    );
    let second = desk
        .book(desk.exterior, None, local("2026-11-24 10:00"))
        .unwrap();
    assert_eq!(second.bay, desk.bay2);
    assert!(
        desk.book(desk.exterior, None, local("2026-11-24 10:00"))
            .is_err()
    );
    // The five-minute buffer after each car keeps 10:30 closed; 10:45 is free.
    assert!(
        desk.book(desk.exterior, Some(desk.bay1), local("2026-11-24 10:30"))
            .is_err()
    );
    let offer = desk
        .shop
        .service
        .first_free_slot(&desk.manager, desk.exterior, local("2026-11-24 10:00"))
        .unwrap()
        .unwrap();
    assert_eq!(offer.start_local, "2026-11-24 10:45");
    // A full service only fits bay 1.
    let full = desk
        .book(desk.full, None, local("2026-11-24 12:00"))
        .unwrap();
    assert_eq!(full.bay, desk.bay1);
    assert_no_overlaps(&desk, 5);
}

#[test]
fn booking_states_move_as_the_desk_expects() {
    let desk = desk();
    let booking = desk
        .book(desk.exterior, Some(desk.bay1), local("2026-11-23 11:00"))
        .unwrap();
    assert!(
        desk.shop
            .service
            .cancel_booking(&desk.manager, booking.id, "  ")
            .is_err()
    );
    let early = desk
        .shop
        .service
        .mark_no_show(&desk.manager, booking.id)
        .unwrap_err();
    assert!(early.to_string().contains("not started"), "{early}");
    let moved = desk
        .shop
        .service
        .reschedule_booking(&desk.manager, booking.id, local("2026-11-23 14:00"), None)
        .unwrap();
    assert_eq!(moved.start_local, "2026-11-23 14:00");
    // The old slot is free again.
    desk.book(desk.exterior, Some(desk.bay1), local("2026-11-23 11:00"))
        .unwrap();
    // A reason may name the customer: it is shown to staff but sealed in the file.
    let cancelled = desk
        .shop
        .service
        .cancel_booking(&desk.manager, booking.id, "Mrs Quixotely called")
        .unwrap();
    assert!(matches!(
        &cancelled.state,
        BookingState::Cancelled { reason, .. } if reason == "Mrs Quixotely called"
    ));
    let file = common::bytes_at_rest(desk.shop.dir.path(), desk.shop.database.as_ref());
    assert!(
        !file.windows(9).any(|w| w == b"Quixotely"),
        "the cancel reason is in the store file in plain text"
    );
    desk.book(desk.exterior, Some(desk.bay1), local("2026-11-23 14:00"))
        .unwrap();

    let late = desk
        .book(desk.exterior, Some(desk.bay2), local("2026-11-23 10:00"))
        .unwrap();
    desk.shop.clock.advance(Duration::hours(2));
    // Two idle hours lock the screen; the manager unlocks with their password.
    desk.shop
        .service
        .unlock(
            &desk.manager,
            &secrecy::SecretString::from(MANAGER_PASSWORD.to_owned()),
        )
        .unwrap();
    let no_show = desk
        .shop
        .service
        .mark_no_show(&desk.manager, late.id)
        .unwrap();
    assert!(matches!(no_show.state, BookingState::NoShow { .. }));
    assert!(desk.shop.service.check_in(&desk.manager, late.id).is_err());
}

#[test]
fn notice_horizon_hours_grid_and_closures_are_enforced() {
    let desk = desk();
    let mut schedule = desk.shop.service.schedule_settings().unwrap();
    schedule.closures.push(Closure {
        date: NaiveDate::from_ymd_opt(2026, 11, 25).unwrap(),
        reason: "Staff training".to_owned(),
    });
    desk.shop
        .service
        .update_schedule(&desk.manager, schedule)
        .unwrap();
    let notice = desk
        .book(desk.exterior, None, local("2026-11-23 09:15"))
        .unwrap_err();
    assert!(notice.to_string().contains("notice"), "{notice}");
    let horizon = desk
        .book(desk.exterior, None, local("2027-01-05 10:00"))
        .unwrap_err();
    assert!(
        horizon.to_string().contains("last bookable day") || horizon.to_string().contains("ahead"),
        "{horizon}"
    );
    let closed = desk
        .book(desk.exterior, None, local("2026-11-25 10:00"))
        .unwrap_err();
    assert!(
        closed.to_string().contains("closed") || closed.to_string().contains("Staff training"),
        "{closed}"
    );
    let late = desk
        .book(desk.exterior, None, local("2026-11-24 18:45"))
        .unwrap_err();
    assert!(late.to_string().contains("closes"), "{late}");
    let off_grid = desk
        .book(desk.exterior, None, local("2026-11-24 10:07"))
        .unwrap_err();
    assert!(off_grid.to_string().contains("10:00"), "{off_grid}");
    // First free slot skips the closed day.
    let offer = desk
        .shop
        .service
        .first_free_slot(&desk.manager, desk.exterior, local("2026-11-25 08:00"))
        .unwrap()
        .unwrap();
    assert_eq!(offer.start_local, "2026-11-26 08:00");
}

fn open_around_the_clock(desk: &Desk) {
    let day = vec![(
        NaiveTime::from_hms_opt(0, 0, 0).unwrap(),
        NaiveTime::from_hms_opt(23, 45, 0).unwrap(),
    )];
    let hours = OpeningHours::new(std::array::from_fn(|_| day.clone())).unwrap();
    desk.shop
        .service
        .update_schedule(
            &desk.manager,
            ScheduleSettings {
                hours,
                closures: Vec::new(),
                rules: BookingRules::default(),
            },
        )
        .unwrap();
}

#[test]
fn spring_forward_gap_is_refused_and_a_booking_across_it_has_its_true_length() {
    let desk = desk_at(Some(
        Utc.with_ymd_and_hms(2026, 3, 1, 17, 0, 0).single().unwrap(),
    ));
    open_around_the_clock(&desk);
    let gap = desk
        .book(desk.exterior, None, local("2026-03-08 02:30"))
        .unwrap_err();
    assert!(gap.to_string().contains("does not exist"), "{gap}");
    let across = desk
        .book(desk.exterior, None, local("2026-03-08 01:30"))
        .unwrap();
    assert_eq!(across.end - across.start, Duration::minutes(30));
    assert_eq!(across.end_local, "2026-03-08 03:00");
}

#[test]
fn the_repeated_fall_back_hour_must_be_chosen_and_is_shown_with_its_offset() {
    let desk = desk_at(Some(
        Utc.with_ymd_and_hms(2026, 10, 25, 17, 0, 0)
            .single()
            .unwrap(),
    ));
    open_around_the_clock(&desk);
    let ambiguous = desk
        .book(desk.exterior, None, local("2026-11-01 01:30"))
        .unwrap_err();
    assert!(ambiguous.to_string().contains("twice"), "{ambiguous}");
    let mut later = local("2026-11-01 01:30");
    later.fold = Some(FoldChoice::Later);
    let mut earlier = local("2026-11-01 01:30");
    earlier.fold = Some(FoldChoice::Earlier);
    let pst = desk.book(desk.exterior, Some(desk.bay1), later).unwrap();
    let pdt = desk.book(desk.exterior, Some(desk.bay1), earlier).unwrap();
    assert_eq!(
        pst.start,
        Utc.with_ymd_and_hms(2026, 11, 1, 9, 30, 0)
            .single()
            .unwrap()
    );
    assert_eq!(
        pdt.start,
        Utc.with_ymd_and_hms(2026, 11, 1, 8, 30, 0)
            .single()
            .unwrap()
    );
    assert!(pst.start_local.contains("PST"), "{}", pst.start_local);
    assert!(pdt.start_local.contains("PDT"), "{}", pdt.start_local);
}

#[test]
fn a_walk_in_takes_a_free_bay_now_and_is_checked_in() {
    let desk = desk();
    let walk_in = desk
        .shop
        .service
        .walk_in(&desk.manager, None, None, desk.exterior)
        .unwrap();
    assert_eq!(walk_in.start, desk.shop.clock.now_for_tests());
    assert!(matches!(walk_in.state, BookingState::CheckedIn { .. }));
    let second = desk
        .shop
        .service
        .walk_in(&desk.manager, None, None, desk.exterior)
        .unwrap();
    assert_ne!(second.bay, walk_in.bay);
    // Both bays busy: the third car gets the first bay to free up, after its buffer.
    let third = desk
        .shop
        .service
        .walk_in(&desk.manager, None, None, desk.exterior)
        .unwrap();
    assert_eq!(third.start, walk_in.start + Duration::minutes(35));
    assert_eq!(third.state, BookingState::Booked);
    assert_no_overlaps(&desk, 5);
}

#[test]
fn concurrent_sessions_cannot_double_book() {
    let desk = desk();
    let successes = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                scope.spawn(|| {
                    desk.book(desk.exterior, None, local("2026-11-24 15:00"))
                        .is_ok()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(|ok| *ok)
            .count()
    });
    assert_eq!(successes, 2, "two bays, so exactly two bookings");
    assert_no_overlaps(&desk, 5);
}

#[test]
fn random_booking_sequences_from_several_threads_never_overlap() {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, TestRunner};

    #[derive(Debug, Clone)]
    enum Op {
        Book {
            day: i64,
            slot: u32,
            full: bool,
            bay: Option<bool>,
        },
        Move {
            index: usize,
            day: i64,
            slot: u32,
        },
        Cancel {
            index: usize,
        },
        WalkIn,
    }
    let op = prop_oneof![
        (
            1i64..4,
            0u32..40,
            any::<bool>(),
            proptest::option::of(any::<bool>())
        )
            .prop_map(|(day, slot, full, bay)| Op::Book {
                day,
                slot,
                full,
                bay
            }),
        (0usize..50, 1i64..4, 0u32..40).prop_map(|(index, day, slot)| Op::Move {
            index,
            day,
            slot
        }),
        (0usize..50).prop_map(|index| Op::Cancel { index }),
        Just(Op::WalkIn),
    ];
    let desk = desk();
    let mut runner = TestRunner::new(Config {
        cases: 12,
        ..Config::default()
    });
    runner
        .run(&proptest::collection::vec(op, 1..24), |ops| {
            let booked = std::sync::Mutex::new(Vec::new());
            let run = |ops: &[Op]| {
                for op in ops {
                    let at = |day: i64, slot: u32| {
                        let date =
                            NaiveDate::from_ymd_opt(2026, 11, 23).unwrap() + Duration::days(day);
                        LocalStart {
                            local: date.and_hms_opt(8 + slot / 4, (slot % 4) * 15, 0).unwrap(),
                            fold: None,
                        }
                    };
                    match op {
                        Op::Book {
                            day,
                            slot,
                            full,
                            bay,
                        } => {
                            let service = if *full { desk.full } else { desk.exterior };
                            let bay = bay.map(|first| if first { desk.bay1 } else { desk.bay2 });
                            if let Ok(view) = desk.book(service, bay, at(*day, *slot)) {
                                booked.lock().unwrap().push(view.id);
                            }
                        }
                        Op::Move { index, day, slot } => {
                            let id = booked.lock().unwrap().get(*index).copied();
                            if let Some(id) = id {
                                let _ = desk.shop.service.reschedule_booking(
                                    &desk.manager,
                                    id,
                                    at(*day, *slot),
                                    None,
                                );
                            }
                        }
                        Op::Cancel { index } => {
                            let id = booked.lock().unwrap().get(*index).copied();
                            if let Some(id) = id {
                                let _ = desk.shop.service.cancel_booking(&desk.manager, id, "test");
                            }
                        }
                        Op::WalkIn => {
                            let _ =
                                desk.shop
                                    .service
                                    .walk_in(&desk.manager, None, None, desk.exterior);
                        }
                    }
                }
            };
            let (left, right) = ops.split_at(ops.len() / 2);
            std::thread::scope(|scope| {
                scope.spawn(|| run(left));
                scope.spawn(|| run(right));
            });
            assert_no_overlaps(&desk, 5);
            Ok(())
        })
        .unwrap();
}

#[test]
fn checkout_earns_points_completes_the_booking_and_updates_statistics() {
    let desk = desk();
    let (member, vehicle) = desk.member_with_car("Mei Lin", "苏A12345");
    let booking = desk
        .shop
        .service
        .create_booking(
            &desk.manager,
            BookingRequest {
                member: Some(member),
                vehicle: Some(vehicle),
                service: desk.full,
                bay: None,
                start: local("2026-11-23 10:00"),
            },
        )
        .unwrap();
    desk.shop
        .service
        .check_in(&desk.manager, booking.id)
        .unwrap();
    let receipt = desk
        .shop
        .service
        .checkout(
            &desk.manager,
            CheckoutInput {
                booking: Some(booking.id),
                member: None,
                vehicle: None,
                lines: Vec::new(),
                discount: None,
                adjustment_reason: None,
                points: None,
                payment: PaymentMethod::Cash,
                tenders: Vec::new(),
                tip: Default::default(),
            },
        )
        .unwrap();
    assert_eq!(receipt.priced.total, Money::from_minor(4500));
    assert_eq!(receipt.points_earned, 45);
    assert_eq!(receipt.points_balance, Some(45));
    assert!(receipt.receipt.contains("45.00"), "{}", receipt.receipt);
    assert!(!receipt.receipt.contains("Mei"), "the receipt names no one");
    let bookings = desk
        .shop
        .service
        .member_bookings(&desk.manager, member)
        .unwrap();
    assert!(matches!(bookings[0].state, BookingState::Completed { .. }));
    let stats = desk
        .shop
        .service
        .member_stats(&desk.manager, member)
        .unwrap();
    assert_eq!(
        (
            stats.visits,
            stats.spend.total(desk.shop.clock.now_for_tests())
        ),
        (1, 4500)
    );
    assert_eq!(
        desk.shop
            .service
            .member_visits(&desk.manager, member)
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        desk.shop
            .service
            .vehicle_visits(&desk.manager, vehicle)
            .unwrap()
            .len(),
        1
    );
    // A completed booking cannot be paid twice.
    let again = desk.shop.service.checkout(
        &desk.manager,
        CheckoutInput {
            booking: Some(booking.id),
            member: None,
            vehicle: None,
            lines: Vec::new(),
            discount: None,
            adjustment_reason: None,
            points: None,
            payment: PaymentMethod::Cash,
            tenders: Vec::new(),
            tip: Default::default(),
        },
    );
    assert!(again.is_err());
}

fn balance_equals_ledger(desk: &Desk, member: RecordId) -> i64 {
    let points = desk
        .shop
        .service
        .member_points(&desk.manager, member)
        .unwrap();
    let sum: i64 = points.entries.iter().map(|e| e.points).sum();
    assert_eq!(points.balance, sum, "balance must equal the ledger sum");
    points.balance
}

#[test]
fn points_are_redeemed_within_limits_and_a_void_puts_everything_back() {
    let desk = desk();
    let (member, vehicle) = desk.member_with_car("Gary Oak", "ABC 123");
    desk.shop
        .service
        .adjust_points(&desk.manager, member, 500, "welcome bonus")
        .unwrap();
    let too_many = desk.shop.service.checkout(
        &desk.manager,
        CheckoutInput {
            points: Some(PointsUse::Points(600)),
            ..sale(Some(member), Some(vehicle), desk.exterior)
        },
    );
    assert!(too_many.is_err(), "more points than the balance");
    let receipt = desk
        .shop
        .service
        .checkout(
            &desk.manager,
            CheckoutInput {
                points: Some(PointsUse::Points(300)),
                ..sale(Some(member), Some(vehicle), desk.exterior)
            },
        )
        .unwrap();
    assert_eq!(receipt.priced.total, Money::from_minor(1700));
    assert_eq!(receipt.points_earned, 17);
    assert_eq!(balance_equals_ledger(&desk, member), 500 - 300 + 17);

    desk.shop
        .service
        .void_visit(&desk.manager, receipt.visit, "rang up the wrong car")
        .unwrap();
    assert_eq!(balance_equals_ledger(&desk, member), 500);
    assert!(
        desk.shop
            .service
            .void_visit(&desk.manager, receipt.visit, "again")
            .is_err()
    );
    let stats = desk
        .shop
        .service
        .member_stats(&desk.manager, member)
        .unwrap();
    assert_eq!(stats.visits, 0);
    assert!(
        desk.shop
            .service
            .member_visits(&desk.manager, member)
            .unwrap()[0]
            .voided
    );
}

#[test]
fn a_plan_covers_one_wash_a_day_and_never_applies_when_suspended() {
    let desk = desk();
    let (member, vehicle) = desk.member_with_car("Ana Souza", "XYZ 789");
    let plan = desk
        .shop
        .service
        .sell_plan(
            &desk.manager,
            PlanSale {
                member,
                vehicle,
                product: common::plan_product(
                    &desk.shop.service,
                    &desk.manager,
                    vec![desk.exterior],
                    1,
                    3999,
                    1,
                ),
                terms: 1,
                price_override: None,
                override_reason: None,
                payment: PaymentMethod::Card,
                tenders: Vec::new(),
            },
        )
        .unwrap();
    let first = desk
        .pay(&desk.manager, Some(member), Some(vehicle), desk.exterior)
        .unwrap();
    assert_eq!(first.priced.total, Money::ZERO);
    let second = desk
        .pay(&desk.manager, Some(member), Some(vehicle), desk.exterior)
        .unwrap();
    assert_eq!(
        second.priced.total,
        Money::from_minor(2000),
        "daily cap reached"
    );
    desk.shop.clock.advance(Duration::days(1));
    let manager = desk.shop.manager();
    let next_day = desk
        .pay(&manager, Some(member), Some(vehicle), desk.exterior)
        .unwrap();
    assert_eq!(next_day.priced.total, Money::ZERO);
    // Voiding gives the day's wash back.
    desk.shop
        .service
        .void_visit(&manager, next_day.visit, "test")
        .unwrap();
    assert_eq!(
        desk.pay(&manager, Some(member), Some(vehicle), desk.exterior)
            .unwrap()
            .priced
            .total,
        Money::ZERO
    );
    desk.shop.clock.advance(Duration::days(1));
    let manager = desk.shop.manager();
    desk.shop
        .service
        .suspend_plan(&manager, plan.plan.id)
        .unwrap();
    assert_eq!(
        desk.pay(&manager, Some(member), Some(vehicle), desk.exterior)
            .unwrap()
            .priced
            .total,
        Money::from_minor(2000)
    );
    // Another vehicle is never covered.
    let other = desk
        .shop
        .service
        .add_vehicle(
            &manager,
            member,
            VehicleInput {
                plate: "OTHER 1".to_owned(),
                kind: VehicleKind::Van,
                make_model: None,
                colour: None,
            },
        )
        .unwrap();
    desk.shop
        .service
        .resume_plan(&manager, plan.plan.id)
        .unwrap();
    assert_eq!(
        desk.pay(&manager, Some(member), Some(other.id), desk.exterior)
            .unwrap()
            .priced
            .total,
        Money::from_minor(2000)
    );
}

#[test]
fn a_package_counts_down_and_then_charges() {
    let desk = desk();
    let (member, vehicle) = desk.member_with_car("Ravi Patel", "RAV 123");
    let package = desk
        .shop
        .service
        .sell_package(
            &desk.manager,
            PackageSale {
                member,
                product: common::package_product(
                    &desk.shop.service,
                    &desk.manager,
                    desk.full,
                    2,
                    8000,
                    Some(6),
                ),
                price_override: None,
                override_reason: None,
                payment: PaymentMethod::Cash,
                tenders: Vec::new(),
            },
        )
        .unwrap();
    for _ in 0..2 {
        assert_eq!(
            desk.pay(&desk.manager, Some(member), Some(vehicle), desk.full)
                .unwrap()
                .priced
                .total,
            Money::ZERO
        );
    }
    assert_eq!(
        desk.pay(&desk.manager, Some(member), Some(vehicle), desk.full)
            .unwrap()
            .priced
            .total,
        Money::from_minor(4500)
    );
    let (_, packages) = desk
        .shop
        .service
        .member_plans(&desk.manager, member)
        .unwrap();
    assert_eq!(
        packages
            .iter()
            .find(|p| p.id == package.package.id)
            .unwrap()
            .remaining,
        0
    );
}

#[test]
fn expired_lots_leave_by_the_expiry_job_and_policy_changes_do_not_redate_them() {
    let desk = desk();
    let (member, _) = desk.member_with_car("Lena Berg", "LEN 555");
    desk.shop
        .service
        .adjust_points(&desk.manager, member, 100, "goodwill")
        .unwrap();
    let expiry_before = desk
        .shop
        .service
        .member_points(&desk.manager, member)
        .unwrap()
        .lots[0]
        .0;
    let policy = PointsPolicySettings {
        lot_expiry_months: 6,
        ..PointsPolicySettings::default()
    };
    desk.shop
        .service
        .update_points_policy(&desk.manager, policy)
        .unwrap();
    assert_eq!(
        desk.shop
            .service
            .member_points(&desk.manager, member)
            .unwrap()
            .lots[0]
            .0,
        expiry_before
    );
    desk.shop.clock.set(expiry_before + Duration::days(1));
    let manager = desk.shop.manager();
    assert_eq!(desk.shop.service.run_points_expiry(&manager).unwrap(), 100);
    let points = desk.shop.service.member_points(&manager, member).unwrap();
    assert_eq!(points.balance, 0);
    assert_eq!(points.entries.iter().map(|e| e.points).sum::<i64>(), 0);
}

#[test]
fn every_manager_only_action_is_refused_for_a_cashier_and_audited() {
    let desk = desk();
    let secret = desk.shop.add_cashier(&desk.manager);
    let cashier = desk.shop.cashier(&secret);
    let (member, vehicle) = desk.member_with_car("Sam Hill", "SAM 001");
    let plan = desk
        .shop
        .service
        .sell_plan(
            &cashier,
            PlanSale {
                member,
                vehicle,
                product: common::plan_product(
                    &desk.shop.service,
                    &desk.manager,
                    vec![desk.exterior],
                    1,
                    3000,
                    1,
                ),
                terms: 1,
                price_override: None,
                override_reason: None,
                payment: PaymentMethod::Card,
                tenders: Vec::new(),
            },
        )
        .unwrap();
    let visit = desk
        .pay(&cashier, Some(member), Some(vehicle), desk.full)
        .unwrap()
        .visit;
    let line = |price_override| CheckoutLine {
        service: desk.full,
        quantity: 1,
        price_override,
    };
    let refusals: Vec<Result<(), ServiceError>> = vec![
        desk.shop
            .service
            .checkout(
                &cashier,
                CheckoutInput {
                    booking: None,
                    member: None,
                    vehicle: None,
                    lines: vec![line(Some(Money::from_minor(100)))],
                    discount: None,
                    adjustment_reason: Some("friend".into()),
                    points: None,
                    payment: PaymentMethod::Cash,
                    tenders: Vec::new(),
                    tip: Default::default(),
                },
            )
            .map(drop),
        desk.shop
            .service
            .checkout(
                &cashier,
                CheckoutInput {
                    booking: None,
                    member: None,
                    vehicle: None,
                    lines: vec![line(None)],
                    discount: Some(Discount::Percent(10)),
                    adjustment_reason: Some("friend".into()),
                    points: None,
                    payment: PaymentMethod::Cash,
                    tenders: Vec::new(),
                    tip: Default::default(),
                },
            )
            .map(drop),
        desk.shop.service.void_visit(&cashier, visit, "oops"),
        desk.shop
            .service
            .adjust_points(&cashier, member, 50, "nice")
            .map(drop),
        desk.shop
            .service
            .suspend_plan(&cashier, plan.plan.id)
            .map(drop),
        desk.shop
            .service
            .cancel_plan(&cashier, plan.plan.id)
            .map(drop),
        desk.shop.service.run_points_expiry(&cashier).map(drop),
        desk.shop
            .service
            .update_schedule(&cashier, ScheduleSettings::default()),
        desk.shop
            .service
            .update_points_policy(&cashier, PointsPolicySettings::default()),
        desk.shop.service.set_idle_lock_minutes(&cashier, 30),
        desk.shop
            .service
            .save_bay(
                &cashier,
                BayInput {
                    id: None,
                    name: "Bay 9".into(),
                    services: vec![],
                    active: true,
                },
            )
            .map(drop),
    ];
    for result in &refusals {
        assert!(
            matches!(result, Err(ServiceError::Forbidden { .. })),
            "{result:?}"
        );
    }
    let denied = desk
        .shop
        .service
        .store()
        .read()
        .unwrap()
        .audit_stream()
        .unwrap()
        .filter(|(_, bytes)| decode(bytes).unwrap().action == AuditAction::PermissionDenied)
        .count();
    assert_eq!(denied, refusals.len());
    // The manager can do each of them.
    desk.shop
        .service
        .void_visit(&desk.manager, visit, "test")
        .unwrap();
    desk.shop
        .service
        .adjust_points(&desk.manager, member, 50, "nice")
        .unwrap();
}

/// Closes the service and runs `verify` over the store it leaves behind.
fn verify_after(desk: Desk) -> frontdesk::service::integrity::IntegrityReport {
    desk.shop.service.wait_for_name_index();
    let dir = desk.shop.dir;
    let database = desk.shop.database;
    drop(desk.shop.service);
    let mut store = common::reopen_store(dir.path(), database.as_ref());
    let report = frontdesk::service::integrity::verify_store(&mut store, None).unwrap();
    drop(store);
    drop(dir);
    report
}

#[test]
fn verify_passes_after_a_busy_day_and_catches_a_balance_that_drifted_from_the_ledger() {
    let desk = desk();
    let (member, vehicle) = desk.member_with_car("Kim Ode", "KIM 42");
    desk.book(desk.exterior, None, local("2026-11-24 10:00"))
        .unwrap();
    desk.shop
        .service
        .walk_in(&desk.manager, Some(member), Some(vehicle), desk.exterior)
        .unwrap();
    let visit = desk
        .pay(&desk.manager, Some(member), Some(vehicle), desk.full)
        .unwrap()
        .visit;
    desk.shop
        .service
        .void_visit(&desk.manager, visit, "test")
        .unwrap();
    desk.pay(&desk.manager, Some(member), Some(vehicle), desk.exterior)
        .unwrap();
    let report = verify_after(desk);
    assert!(report.is_ok(), "{:?}", report.lines());
    assert_eq!(report.records.as_ref().unwrap().bookings, 2);

    // Tamper: the stored balance no longer matches the ledger.
    let desk = self::desk();
    let (member, _) = desk.member_with_car("Ida Ray", "IDA 7");
    desk.shop
        .service
        .adjust_points(&desk.manager, member, 40, "test")
        .unwrap();
    {
        use frontdesk::store::ReadAccess;
        let mut writer = desk.shop.service.store().write().unwrap();
        let mut stats: frontdesk::store::records::MemberStats = writer
            .get(
                frontdesk::store::schema::MEMBER_STATS,
                member,
                "member stats",
            )
            .unwrap()
            .unwrap();
        stats.points_balance += 1000;
        writer
            .put(frontdesk::store::schema::MEMBER_STATS, member, &stats)
            .unwrap();
        writer.commit().unwrap();
    }
    let report = verify_after(desk);
    assert!(!report.is_ok());
    assert!(report.records.unwrap_err().contains("ledger sum"));
}

#[test]
fn the_currency_is_fixed_once_money_has_been_taken() {
    let desk = desk();
    desk.shop
        .service
        .update_shop(
            &desk.manager,
            "Sparkle Wash Richmond",
            "America/Vancouver",
            "USD",
        )
        .unwrap();
    desk.pay(&desk.manager, None, None, desk.exterior).unwrap();
    let err = desk
        .shop
        .service
        .update_shop(&desk.manager, "Sparkle Wash", "Asia/Shanghai", "CNY")
        .unwrap_err();
    assert!(err.to_string().contains("currency"), "{err}");
    desk.shop
        .service
        .update_shop(&desk.manager, "Sparkle Wash", "Asia/Shanghai", "USD")
        .unwrap();
    assert_eq!(
        desk.shop.service.settings().unwrap().timezone,
        "Asia/Shanghai"
    );
}

#[test]
fn a_shop_in_shanghai_books_in_its_own_time_without_clock_changes() {
    let desk = desk();
    desk.shop
        .service
        .update_shop(&desk.manager, "闪亮洗车", "Asia/Shanghai", "CAD")
        .unwrap();
    // 2026-11-23 17:00 UTC is 2026-11-24 01:00 in Shanghai; book that afternoon.
    let booking = desk
        .book(desk.exterior, None, local("2026-11-24 14:00"))
        .unwrap();
    assert_eq!(
        booking.start,
        Utc.with_ymd_and_hms(2026, 11, 24, 6, 0, 0)
            .single()
            .unwrap()
    );
    assert_eq!(booking.start_local, "2026-11-24 14:00");
    // Shanghai has no DST: the dates that are odd in Vancouver are ordinary here.
    let offer = desk
        .shop
        .service
        .first_free_slot(&desk.manager, desk.exterior, local("2026-11-24 14:00"))
        .unwrap()
        .unwrap();
    assert_eq!(offer.start_local, "2026-11-24 14:00");
    assert_ne!(offer.bay, booking.bay);
}

#[test]
fn a_cashier_sells_only_from_the_price_list_and_at_its_price() {
    let desk = desk();
    let secret = desk.shop.add_cashier(&desk.manager);
    let cashier = desk.shop.cashier(&secret);
    let (member, vehicle) = desk.member_with_car("Ana Souza", "XYZ 789");
    let product = common::plan_product(
        &desk.shop.service,
        &desk.manager,
        vec![desk.exterior],
        1,
        3999,
        1,
    );
    let sale = |price_override: Option<i64>, reason: Option<&str>| PlanSale {
        member,
        vehicle,
        product,
        terms: 2,
        price_override: price_override.map(Money::from_minor),
        override_reason: reason.map(str::to_owned),
        payment: PaymentMethod::Card,
        tenders: Vec::new(),
    };
    // The list price, by anyone.
    let sold = desk
        .shop
        .service
        .sell_plan(&cashier, sale(None, None))
        .unwrap();
    assert_eq!(sold.plan.price_per_term, Money::from_minor(3999));
    assert_eq!(sold.receipt.charged, Money::from_minor(7998));
    assert!(
        sold.receipt.text.contains("Receipt #1"),
        "{}",
        sold.receipt.text
    );
    // The list price typed as an override is no override.
    desk.shop
        .service
        .sell_plan(&cashier, sale(Some(3999), None))
        .unwrap();
    // Any other price is a manager's, with a reason.
    assert!(matches!(
        desk.shop
            .service
            .sell_plan(&cashier, sale(Some(1), Some("friend"))),
        Err(ServiceError::Forbidden { .. })
    ));
    assert!(matches!(
        desk.shop
            .service
            .sell_plan(&desk.manager, sale(Some(1), None)),
        Err(ServiceError::InvalidInput(_))
    ));
    let off_list = desk
        .shop
        .service
        .sell_plan(&desk.manager, sale(Some(2999), Some("loyal customer")))
        .unwrap();
    assert_eq!(off_list.receipt.charged, Money::from_minor(5998));
    assert_eq!(off_list.receipt.receipt_number, 3);
    let actions = audit_actions(desk.shop.service.store());
    assert!(actions.contains(&AuditAction::PermissionDenied));
    // A retired product is no longer sold.
    let mut retired = desk
        .shop
        .service
        .price_list()
        .unwrap()
        .into_iter()
        .find(|p| p.id() == product)
        .unwrap();
    if let frontdesk::domain::price_list::Product::Plan(plan) = &mut retired {
        plan.active = false;
    }
    desk.shop
        .service
        .save_product(&desk.manager, retired)
        .unwrap();
    assert!(matches!(
        desk.shop.service.sell_plan(&cashier, sale(None, None)),
        Err(ServiceError::InvalidInput(_))
    ));
}

#[test]
fn a_plan_keeps_the_terms_it_was_sold_under_when_the_list_changes() {
    let desk = desk();
    let (member, vehicle) = desk.member_with_car("Ana Souza", "XYZ 789");
    let product = common::plan_product(
        &desk.shop.service,
        &desk.manager,
        vec![desk.exterior],
        3,
        10_999,
        2,
    );
    let sold = desk
        .shop
        .service
        .sell_plan(
            &desk.manager,
            PlanSale {
                member,
                vehicle,
                product,
                terms: 1,
                price_override: None,
                override_reason: None,
                payment: PaymentMethod::Card,
                tenders: Vec::new(),
            },
        )
        .unwrap();
    assert_eq!(sold.plan.months_per_term, 3);
    assert_eq!(sold.plan.washes_per_day, 2);
    let mut dearer = desk
        .shop
        .service
        .price_list()
        .unwrap()
        .into_iter()
        .find(|p| p.id() == product)
        .unwrap();
    if let frontdesk::domain::price_list::Product::Plan(plan) = &mut dearer {
        plan.price_per_term = Money::from_minor(12_999);
        plan.washes_per_day = 1;
    }
    desk.shop
        .service
        .save_product(&desk.manager, dearer)
        .unwrap();
    let renewed = desk
        .shop
        .service
        .renew_plan(&desk.manager, sold.plan.id, 2, PaymentMethod::Cash)
        .unwrap();
    assert_eq!(renewed.receipt.charged, Money::from_minor(21_998));
    assert_eq!(renewed.plan.washes_per_day, 2);
    assert_eq!(
        renewed.plan.valid_until,
        sold.plan
            .valid_until
            .checked_add_months(chrono::Months::new(6))
            .unwrap()
    );
}
