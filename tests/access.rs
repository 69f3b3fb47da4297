//! Roles through the service layer: what a cashier may do, what they see (masked), what a
//! manager sees, and that refusals are audited.

mod common;

use chrono::NaiveDate;
use common::*;
use frontdesk::audit::{AuditAction, decode};
use frontdesk::domain::access::Role;
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::service::{BirthdayView, MemberInput, NewStaff, ServiceError, VehicleInput};
use secrecy::{ExposeSecret, SecretString};

fn denied_entries(shop: &Shop) -> usize {
    shop.service
        .store()
        .read()
        .unwrap()
        .audit_stream()
        .unwrap()
        .filter(|(_, bytes)| decode(bytes).unwrap().action == AuditAction::PermissionDenied)
        .count()
}

#[test]
fn a_cashier_is_refused_every_manager_only_call_and_each_refusal_is_audited() {
    let shop = open_shop();
    let manager = shop.manager();
    let secret = shop.add_cashier(&manager);
    let cashier = shop.cashier(&secret);
    let manager_id = shop.service.session_info(&manager).unwrap().staff_id;

    let results: Vec<Result<(), ServiceError>> = vec![
        shop.service.list_staff(&cashier).map(drop),
        shop.service
            .create_staff(
                &cashier,
                NewStaff {
                    username: "sneaky".to_owned(),
                    display_name: String::new(),
                    role: Role::Manager,
                },
            )
            .map(drop),
        shop.service.disable_staff(&cashier, manager_id),
        shop.service
            .reset_staff_authenticator(&cashier, manager_id)
            .map(drop),
    ];
    for result in &results {
        let err = result.as_ref().unwrap_err();
        assert!(
            matches!(
                err,
                ServiceError::Forbidden {
                    role: Role::Cashier,
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("ask a manager"));
    }
    assert_eq!(denied_entries(&shop), results.len());
    // Refusal did not log the cashier out.
    shop.service.search_members(&cashier, "x").unwrap();
}

#[test]
fn resetting_a_colleague_authenticator_needs_a_fresh_step_up() {
    let shop = open_shop();
    let manager = shop.manager();
    let secret = shop.add_cashier(&manager);
    let cashier_id = shop
        .service
        .list_staff(&manager)
        .unwrap()
        .iter()
        .find(|s| s.username == CASHIER)
        .unwrap()
        .id;
    shop.clock.advance(chrono::Duration::minutes(4));
    shop.service.search_members(&manager, "x").unwrap();
    shop.clock.advance(chrono::Duration::minutes(4));
    let err = shop
        .service
        .reset_staff_authenticator(&manager, cashier_id)
        .unwrap_err();
    assert!(matches!(err, ServiceError::StepUpRequired), "{err}");
    let code = phone_code(&shop.manager_secret, shop.clock.now_for_tests());
    shop.service.step_up(&manager, &code).unwrap();
    let fresh = shop
        .service
        .reset_staff_authenticator(&manager, cashier_id)
        .unwrap();
    let renewed = shop.enrol(
        CASHIER,
        fresh.password.expose_secret(),
        "brass lantern meadow quiet",
    );
    assert_ne!(renewed, secret);
}

fn sample_member(shop: &Shop, session: &frontdesk::service::Session) -> frontdesk::ids::RecordId {
    let member = shop
        .service
        .create_member(
            session,
            MemberInput {
                name: "John Smith".to_owned(),
                phone: Some("+86 138 1234 5678".to_owned()),
                email: Some("john.smith@example.com".to_owned()),
                birthday: NaiveDate::from_ymd_opt(1980, 11, 2),
                notes: Some("Likes the tyre shine".to_owned()),
            },
        )
        .unwrap();
    shop.service
        .add_vehicle(
            session,
            member.id,
            VehicleInput {
                plate: "苏A12345".to_owned(),
                kind: VehicleKind::Sedan,
                make_model: Some("Toyota Camry".to_owned()),
                colour: Some("white".to_owned()),
            },
        )
        .unwrap();
    member.id
}

#[test]
fn a_cashier_sees_masked_fields_and_a_manager_sees_them_in_full() {
    let shop = open_shop();
    let manager = shop.manager();
    let secret = shop.add_cashier(&manager);
    let cashier = shop.cashier(&secret);
    let id = sample_member(&shop, &cashier);

    let masked = shop.service.open_member(&cashier, id).unwrap();
    assert!(masked.masked);
    assert_eq!(masked.name.as_str(), "John S.");
    assert_eq!(masked.phone.as_ref().unwrap().as_str(), "+86 138****5678");
    assert_eq!(masked.email.as_ref().unwrap().as_str(), "j***@example.com");
    assert_eq!(masked.vehicles[0].plate.as_str(), "苏A****5");
    // Today is 2026-11-23 in the shop's zone: a November birthday is this month.
    assert_eq!(
        masked.birthday,
        Some(BirthdayView::Hidden { this_month: true })
    );
    assert_eq!(
        masked.notes.as_ref().unwrap().as_str(),
        "Likes the tyre shine"
    );

    let full = shop.service.open_member(&manager, id).unwrap();
    assert!(!full.masked);
    assert_eq!(full.name.as_str(), "John Smith");
    assert_eq!(full.phone.as_ref().unwrap().as_str(), "+86 13812345678");
    assert_eq!(
        full.email.as_ref().unwrap().as_str(),
        "john.smith@example.com"
    );
    assert_eq!(full.vehicles[0].plate.as_str(), "苏A12345");
    assert_eq!(
        full.birthday,
        Some(BirthdayView::Date(
            NaiveDate::from_ymd_opt(1980, 11, 2).unwrap()
        ))
    );

    // Search results carry the same masking.
    let hits = shop.service.search_members(&cashier, "5678").unwrap();
    assert_eq!(hits.members.len(), 1);
    assert_eq!(hits.members[0].name.as_str(), "John S.");
    assert_eq!(hits.members[0].plates[0].as_str(), "苏A****5");

    // Views cannot leak through Debug.
    let debug = format!("{full:?} {hits:?}");
    for secret in [
        "John",
        "Smith",
        "13812345678",
        "john.smith",
        "苏A12345",
        "tyre",
    ] {
        assert!(!debug.contains(secret), "Debug output leaks personal data");
    }
}

#[test]
fn members_are_found_by_every_kind_of_lookup() {
    let shop = open_shop();
    let manager = shop.manager();
    let id = sample_member(&shop, &manager);
    let other = shop
        .service
        .create_member(
            &manager,
            MemberInput {
                name: "欧阳娜娜".to_owned(),
                phone: Some("(604) 555-1234".to_owned()),
                ..MemberInput::default()
            },
        )
        .unwrap();
    shop.service.wait_for_name_index();
    let number = shop
        .service
        .open_member(&manager, id)
        .unwrap()
        .member_number;
    let find = |query: &str| -> Vec<frontdesk::ids::RecordId> {
        shop.service
            .search_members(&manager, query)
            .unwrap()
            .members
            .iter()
            .map(|m| m.id)
            .collect()
    };
    assert_eq!(find(&number.to_string()), vec![id]);
    assert_eq!(find("13812345678"), vec![id]);
    assert_eq!(find("+86 138 1234 5678"), vec![id]);
    assert_eq!(find("5678"), vec![id]);
    assert_eq!(find("苏a 12345"), vec![id]);
    assert_eq!(find("JOHN.SMITH@example.com"), vec![id]);
    assert_eq!(find("joh"), vec![id]);
    assert_eq!(find("smi"), vec![id]);
    assert_eq!(find("欧阳"), vec![other.id]);
    assert_eq!(find("6045551234"), vec![other.id]);
    assert_eq!(find("1234"), vec![other.id]);
    assert!(find("nobody").is_empty());
}

#[test]
fn a_cashier_cannot_spell_out_a_masked_name_by_searching_letter_by_letter() {
    let shop = open_shop();
    let manager = shop.manager();
    let secret = shop.add_cashier(&manager);
    let cashier = shop.cashier(&secret);
    let zebulon = shop
        .service
        .create_member(
            &manager,
            MemberInput {
                name: "Zebulon Quinby".to_owned(),
                ..MemberInput::default()
            },
        )
        .unwrap();
    let wang = shop
        .service
        .create_member(
            &manager,
            MemberInput {
                name: "王小明".to_owned(),
                ..MemberInput::default()
            },
        )
        .unwrap();
    shop.service.wait_for_name_index();
    let find =
        |session: &frontdesk::service::Session, query: &str| -> Vec<frontdesk::ids::RecordId> {
            shop.service
                .search_members(session, query)
                .unwrap()
                .members
                .iter()
                .map(|m| m.id)
                .collect()
        };
    // The attack: each next letter of the hidden family name, tried in turn.
    for query in [
        "Zebulon Qa",
        "Zebulon Qu",
        "Zebulon Qui",
        "Zebulon Quin",
        "qu",
        "quinb",
    ] {
        assert!(find(&cashier, query).is_empty(), "{query}");
    }
    for query in ["王小", "小明", "小"] {
        assert!(find(&cashier, query).is_empty(), "{query}");
    }
    // What the cashier is shown ("Zebulon Q.", "王**") and whole names still find them.
    for query in ["zeb", "Zebulon", "Zebulon Q", "Quinby", "Zebulon Quinby"] {
        assert_eq!(find(&cashier, query), vec![zebulon.id], "{query}");
    }
    for query in ["王", "王小明"] {
        assert_eq!(find(&cashier, query), vec![wang.id], "{query}");
    }
    // A manager sees names in full, so prefixes are no secret.
    assert_eq!(find(&manager, "Zebulon Qu"), vec![zebulon.id]);
    assert_eq!(find(&manager, "王小"), vec![wang.id]);
}

#[test]
fn searches_are_counted_per_session_and_never_written_down() {
    let shop = open_shop();
    let manager = shop.manager();
    let secret = shop.add_cashier(&manager);
    let cashier = shop.cashier(&secret);
    sample_member(&shop, &manager);
    for query in ["5678", "Smith", "john", "  "] {
        shop.service.search_members(&cashier, query).unwrap();
    }
    shop.service.logout(&cashier).unwrap();
    let reader = shop.service.store().read().unwrap();
    let mut logout_detail = None;
    let mut texts = String::new();
    for (_, bytes) in reader.audit_stream().unwrap() {
        let entry = frontdesk::audit::decode(&bytes).unwrap();
        texts.push_str(&format!("{:?}\n", entry.detail));
        if entry.action == frontdesk::audit::AuditAction::Logout {
            logout_detail = entry.detail.clone();
        }
    }
    assert_eq!(logout_detail.as_deref(), Some("member searches: 3"));
    for query in ["5678", "Smith", "john"] {
        assert!(!texts.contains(query), "{query} written to the audit log");
    }
}

#[test]
fn the_name_index_is_rebuilt_after_a_restart() {
    let shop = open_shop();
    let manager = shop.manager();
    let id = sample_member(&shop, &manager);
    let dir = shop.dir.path().to_path_buf();
    let clock = shop.clock.clone();
    let secret = shop.manager_secret.clone();
    drop(shop.service);
    let service = frontdesk::service::Service::new(
        reopen_store(&dir, shop.database.as_ref()),
        clock.clone(),
        std::sync::Arc::new(frontdesk::entropy::SeededEntropy::new(5)),
    );
    let session = service
        .login(frontdesk::service::LoginRequest {
            username: MANAGER.to_owned(),
            password: SecretString::from(MANAGER_PASSWORD.to_owned()),
            second_factor: frontdesk::service::SecondFactor::Totp(phone_code(
                &secret,
                clock.now_for_tests(),
            )),
            origin: frontdesk::audit::Origin::Local,
            ssh_key: None,
        })
        .unwrap();
    service.wait_for_name_index();
    let hits = service.search_members(&session, "John").unwrap();
    assert!(hits.names_complete);
    assert_eq!(
        hits.members.iter().map(|m| m.id).collect::<Vec<_>>(),
        vec![id]
    );
}
