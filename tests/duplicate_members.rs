//! Duplicate members: a phone, email or plate already on another member is refused on create,
//! edit, and adding or correcting a vehicle, naming that member masked for the caller's role.
//! Saving the duplicate anyway needs a manager (or a manager's approval at a cashier's screen)
//! and is audited. The check and the write share one transaction.

mod common;

use std::sync::{Arc, Barrier};

use common::*;
use frontdesk::audit::{AuditAction, AuditEntry};
use frontdesk::domain::access::Operation;
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::ids::RecordId;
use frontdesk::service::{
    Change, DuplicateField, DuplicateReport, MemberDetail, MemberInput, MemberUpdate, NewMember,
    OnDuplicate, ServiceError, Session, VehicleInput,
};
use frontdesk::store::ReadAccess;
use secrecy::SecretString;

const CHEN_NAME: &str = "陈小明";
const CHEN_PHONE: &str = "+86 138 1234 5678";
const CHEN_EMAIL: &str = "chen.xiaoming@example.cn";
const CHEN_PLATE: &str = "沪E54205";

struct Desk {
    shop: Shop,
    manager: Session,
    cashier: Session,
    chen: MemberDetail,
}

fn car(plate: &str) -> VehicleInput {
    VehicleInput {
        plate: plate.to_owned(),
        kind: VehicleKind::Sedan,
        make_model: None,
        colour: None,
    }
}

fn person(name: &str, phone: Option<&str>, email: Option<&str>) -> MemberInput {
    MemberInput {
        name: name.to_owned(),
        phone: phone.map(str::to_owned),
        email: email.map(str::to_owned),
        ..MemberInput::default()
    }
}

/// A shop where 陈小明 is registered with a phone, an email and a car, and a cashier is at
/// the counter.
fn desk() -> Desk {
    let shop = open_shop();
    let manager = shop.manager();
    let secret = shop.add_cashier(&manager);
    let cashier = shop.cashier(&secret);
    let chen = shop
        .service
        .register_member(
            &manager,
            NewMember {
                member: person(CHEN_NAME, Some(CHEN_PHONE), Some(CHEN_EMAIL)),
                vehicle: Some(car(CHEN_PLATE)),
                on_duplicate: OnDuplicate::Refuse,
            },
        )
        .expect("the first member");
    Desk {
        shop,
        manager,
        cashier,
        chen,
    }
}

impl Desk {
    fn member_count(&self) -> u64 {
        self.shop
            .service
            .store()
            .read()
            .unwrap()
            .member_count()
            .unwrap()
    }

    fn approve(&self, session: &Session) {
        let code = phone_code(&self.shop.manager_secret, self.shop.clock.now_for_tests());
        self.shop.next_step();
        self.shop
            .service
            .approve(
                session,
                Operation::SaveDuplicateMember,
                MANAGER,
                &SecretString::from(MANAGER_PASSWORD.to_owned()),
                &code,
            )
            .expect("the manager approves");
    }

    fn other_member(&self) -> MemberDetail {
        self.shop
            .service
            .register_member(
                &self.cashier,
                NewMember {
                    member: person("Ana Souza", Some("6045550199"), Some("ana@example.com")),
                    vehicle: Some(car("BC 123 AB")),
                    on_duplicate: OnDuplicate::Refuse,
                },
            )
            .expect("a member with values of her own")
    }

    fn audit_entries(&self) -> Vec<AuditEntry> {
        let reader = self.shop.service.store().read().unwrap();
        reader
            .audit_stream()
            .unwrap()
            .map(|(_, bytes)| frontdesk::audit::decode(&bytes).unwrap())
            .collect()
    }
}

fn duplicate(result: Result<impl std::fmt::Debug, ServiceError>) -> DuplicateReport {
    match result {
        Err(ServiceError::DuplicateMember(report)) => *report,
        other => panic!("expected a duplicate refusal, got {other:?}"),
    }
}

fn only_match(report: &DuplicateReport) -> (&[DuplicateField], RecordId, u64) {
    assert_eq!(report.matches.len(), 1, "{report:?}");
    let found = &report.matches[0];
    (&found.fields, found.member.id, found.member.member_number)
}

#[test]
fn a_new_member_with_the_same_phone_in_another_form_is_refused_and_nothing_is_saved() {
    let desk = desk();
    let before = desk.member_count();
    // No country code, dashes: the same national number.
    let report = duplicate(
        desk.shop
            .service
            .create_member(&desk.cashier, person("Li Lei", Some("138-1234-5678"), None)),
    );
    let (fields, id, number) = only_match(&report);
    assert_eq!(fields, [DuplicateField::Phone]);
    assert_eq!(id, desk.chen.id);
    assert_eq!(number, desk.chen.member_number);
    assert_eq!(desk.member_count(), before);
}

#[test]
fn a_cashier_is_shown_the_other_member_only_as_search_shows_them() {
    let desk = desk();
    let report = duplicate(
        desk.shop
            .service
            .create_member(&desk.cashier, person("Li Lei", Some("13812345678"), None)),
    );
    let shown = &report.matches[0].member;
    assert!(shown.masked);
    assert_eq!(shown.name.as_str(), "陈**");
    assert_eq!(shown.phone.as_ref().unwrap().as_str(), "+86 138****5678");
    assert_eq!(shown.plates.len(), 1);
    assert_eq!(shown.plates[0].as_str(), "沪E****5");
    let search = desk
        .shop
        .service
        .search_members(&desk.cashier, "13812345678")
        .unwrap();
    let found = &search.members[0];
    assert_eq!(found.name, shown.name);
    assert_eq!(found.phone, shown.phone);
    assert_eq!(found.plates, shown.plates);
    // The sentence carries a member number and field names, never a personal value.
    let message = ServiceError::DuplicateMember(Box::new(report)).to_string();
    assert!(message.contains(&format!("#{}", desk.chen.member_number)));
    assert!(message.contains("phone"));
    for secret in ["5678", "陈", "1234", "example", "E54205"] {
        assert!(!message.contains(secret), "{message}");
    }
}

#[test]
fn a_manager_is_shown_the_other_member_in_full() {
    let desk = desk();
    let report = duplicate(
        desk.shop
            .service
            .create_member(&desk.manager, person("Li Lei", Some("13812345678"), None)),
    );
    let shown = &report.matches[0].member;
    assert!(!shown.masked);
    assert_eq!(shown.name.as_str(), CHEN_NAME);
    assert_eq!(shown.plates[0].as_str(), CHEN_PLATE);
}

#[test]
fn a_plate_on_another_member_refuses_the_whole_registration() {
    let desk = desk();
    let before = desk.member_count();
    let report = duplicate(desk.shop.service.register_member(
        &desk.cashier,
        NewMember {
            member: person("Li Lei", Some("13900001111"), None),
            // Typed in lower case with a space: the same plate once normalised.
            vehicle: Some(car("沪e 54205")),
            on_duplicate: OnDuplicate::Refuse,
        },
    ));
    let (fields, id, _) = only_match(&report);
    assert_eq!(fields, [DuplicateField::Plate]);
    assert_eq!(id, desk.chen.id);
    // Neither the member nor the vehicle was saved.
    assert_eq!(desk.member_count(), before);
    let search = desk
        .shop
        .service
        .search_members(&desk.manager, "13900001111")
        .unwrap();
    assert!(search.members.is_empty());
}

#[test]
fn an_email_is_compared_case_folded() {
    let desk = desk();
    let report = duplicate(desk.shop.service.create_member(
        &desk.cashier,
        person("Li Lei", None, Some("  Chen.XiaoMing@Example.CN ")),
    ));
    let (fields, id, _) = only_match(&report);
    assert_eq!(fields, [DuplicateField::Email]);
    assert_eq!(id, desk.chen.id);
}

#[test]
fn every_value_on_one_member_is_reported_together() {
    let desk = desk();
    let report = duplicate(desk.shop.service.register_member(
        &desk.cashier,
        NewMember {
            member: person("Li Lei", Some("13812345678"), Some(CHEN_EMAIL)),
            vehicle: Some(car(CHEN_PLATE)),
            on_duplicate: OnDuplicate::Refuse,
        },
    ));
    let (fields, _, _) = only_match(&report);
    assert_eq!(
        fields,
        [
            DuplicateField::Phone,
            DuplicateField::Email,
            DuplicateField::Plate
        ]
    );
}

#[test]
fn an_edit_to_another_members_phone_or_email_is_refused_and_changes_nothing() {
    let desk = desk();
    let ana = desk.other_member();
    let update = |phone: Change<String>, email: Change<String>| MemberUpdate {
        phone,
        email,
        ..MemberUpdate::default()
    };
    let report = duplicate(desk.shop.service.update_member(
        &desk.cashier,
        ana.id,
        update(Change::Set("+86 13812345678".to_owned()), Change::Keep),
    ));
    assert_eq!(only_match(&report).0, [DuplicateField::Phone]);
    let report = duplicate(desk.shop.service.update_member(
        &desk.cashier,
        ana.id,
        update(
            Change::Keep,
            Change::Set("CHEN.xiaoming@example.cn".to_owned()),
        ),
    ));
    assert_eq!(only_match(&report).0, [DuplicateField::Email]);
    // Ana's own phone is still hers, and still finds her only.
    let search = desk
        .shop
        .service
        .search_members(&desk.manager, "6045550199")
        .unwrap();
    assert_eq!(search.members.len(), 1);
    assert_eq!(search.members[0].id, ana.id);
    // A member's own values are never a duplicate of themselves.
    desk.shop
        .service
        .update_member(
            &desk.manager,
            desk.chen.id,
            update(Change::Set("13812345678".to_owned()), Change::Keep),
        )
        .expect("Chen keeps his own number");
}

#[test]
fn adding_or_correcting_a_vehicle_to_another_members_plate_is_refused() {
    let desk = desk();
    let ana = desk.other_member();
    let report = duplicate(
        desk.shop
            .service
            .add_vehicle(&desk.cashier, ana.id, car(CHEN_PLATE)),
    );
    assert_eq!(
        only_match(&report),
        (
            [DuplicateField::Plate].as_slice(),
            desk.chen.id,
            desk.chen.member_number
        )
    );
    let ana_car = ana.vehicles[0].id;
    let report = duplicate(desk.shop.service.update_vehicle(
        &desk.cashier,
        ana_car,
        car(CHEN_PLATE),
    ));
    assert_eq!(only_match(&report).0, [DuplicateField::Plate]);
    // Correcting the colour keeps the plate, which is no one else's.
    let mut same = car("BC 123 AB");
    same.colour = Some("Red".to_owned());
    desk.shop
        .service
        .update_vehicle(&desk.cashier, ana_car, same)
        .expect("a colour correction");
    let search = desk
        .shop
        .service
        .search_members(&desk.manager, CHEN_PLATE)
        .unwrap();
    assert_eq!(search.members.len(), 1);
    assert_eq!(search.members[0].id, desk.chen.id);
}

#[test]
fn a_manager_saves_a_duplicate_anyway_and_the_override_is_audited() {
    let desk = desk();
    let before = desk.member_count();
    let twin = desk
        .shop
        .service
        .register_member(
            &desk.manager,
            NewMember {
                member: person("Chen Xiaoming (fleet)", Some("13812345678"), None),
                vehicle: Some(car(CHEN_PLATE)),
                on_duplicate: OnDuplicate::SaveAnyway,
            },
        )
        .expect("the manager saves it anyway");
    assert_eq!(desk.member_count(), before + 1);
    assert_eq!(twin.vehicles.len(), 1);
    let entries = desk.audit_entries();
    let saved: Vec<&AuditEntry> = entries
        .iter()
        .filter(|e| e.action == AuditAction::DuplicateMemberSaved)
        .collect();
    assert_eq!(saved.len(), 1);
    let entry = saved[0];
    assert!(entry.objects.contains(&twin.id.to_string()));
    assert!(
        entry
            .objects
            .contains(&format!("duplicate of member:{}", desk.chen.member_number))
    );
    assert_eq!(entry.fields, ["phone", "plate"]);
    // Field names and numbers only: no value of either member.
    let text = format!("{:?} {:?} {:?}", entry.objects, entry.fields, entry.detail);
    for secret in ["5678", "E54205", "陈", "Chen"] {
        assert!(!text.contains(secret), "{text}");
    }
}

#[test]
fn saving_anyway_with_no_duplicate_writes_no_override_entry() {
    let desk = desk();
    desk.shop
        .service
        .create_member(&desk.manager, person("Li Lei", Some("13900001111"), None))
        .expect("no duplicate at all");
    desk.shop
        .service
        .add_vehicle_with(
            &desk.manager,
            desk.chen.id,
            car("沪A00001"),
            OnDuplicate::SaveAnyway,
        )
        .expect("a second car of his own");
    assert!(!audit_actions(desk.shop.service.store()).contains(&AuditAction::DuplicateMemberSaved));
}

#[test]
fn a_cashier_saves_a_duplicate_only_once_a_manager_approved_it_once() {
    let desk = desk();
    let ana = desk.other_member();
    let twin = || person("Li Lei", Some("13812345678"), None);
    let refused = desk.shop.service.register_member(
        &desk.cashier,
        NewMember {
            member: twin(),
            vehicle: None,
            on_duplicate: OnDuplicate::SaveAnyway,
        },
    );
    assert!(
        matches!(refused, Err(ServiceError::Forbidden { .. })),
        "{refused:?}"
    );
    assert!(
        !desk
            .shop
            .service
            .can(&desk.cashier, Operation::SaveDuplicateMember)
    );
    desk.approve(&desk.cashier);
    assert!(
        desk.shop
            .service
            .can(&desk.cashier, Operation::SaveDuplicateMember)
    );
    desk.shop
        .service
        .register_member(
            &desk.cashier,
            NewMember {
                member: twin(),
                vehicle: None,
                on_duplicate: OnDuplicate::SaveAnyway,
            },
        )
        .expect("approved once");
    let entries = desk.audit_entries();
    let entry = entries
        .iter()
        .find(|e| e.action == AuditAction::DuplicateMemberSaved)
        .expect("the override is audited");
    assert_eq!(entry.detail.as_deref(), Some("approved by manager manager"));
    // The approval was used up: the next duplicate needs another.
    let again = desk.shop.service.add_vehicle_with(
        &desk.cashier,
        ana.id,
        car(CHEN_PLATE),
        OnDuplicate::SaveAnyway,
    );
    assert!(
        matches!(again, Err(ServiceError::Forbidden { .. })),
        "{again:?}"
    );
    // An approval also covers an edit.
    desk.approve(&desk.cashier);
    desk.shop
        .service
        .update_member_with(
            &desk.cashier,
            ana.id,
            MemberUpdate {
                email: Change::Set(CHEN_EMAIL.to_owned()),
                ..MemberUpdate::default()
            },
            OnDuplicate::SaveAnyway,
        )
        .expect("approved edit");
}

#[test]
fn eight_counters_registering_one_phone_at_once_create_exactly_one_member() {
    let desk = desk();
    let before = desk.member_count();
    let threads = 8;
    let barrier = Arc::new(Barrier::new(threads));
    let results: Vec<Result<MemberDetail, ServiceError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|n| {
                let barrier = barrier.clone();
                let service = desk.shop.service.clone();
                let session = if n % 2 == 0 {
                    desk.manager.clone()
                } else {
                    desk.cashier.clone()
                };
                scope.spawn(move || {
                    barrier.wait();
                    service.create_member(
                        &session,
                        person(&format!("Walk In {n}"), Some("+1 604 555 0000"), None),
                    )
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let created = results.iter().filter(|r| r.is_ok()).count();
    let refused = results
        .iter()
        .filter(|r| matches!(r, Err(ServiceError::DuplicateMember(_))))
        .count();
    assert_eq!((created, refused), (1, threads - 1), "{results:?}");
    assert_eq!(desk.member_count(), before + 1);
}
