//! Personal data at rest: whatever a member's fields were — written, updated, cleared,
//! vehicles removed, file compacted — none of it is ever in the redb file in plaintext.

mod common;

use chrono::NaiveDate;
use common::*;
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::service::{Change, MemberInput, MemberUpdate, VehicleInput};

fn contains(haystack: &[u8], needle: &str) -> bool {
    let needle = needle.as_bytes();
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

#[test]
fn no_personal_field_ever_reaches_the_file_in_plaintext() {
    let mut shop = open_shop();
    let session = shop.manager();
    let first = [
        "Quintessa Marlowe-Vantongeren",
        "+1 604 555 0199",
        "6045550199",
        "quintessa.marlowe@example.org",
        "1987-04-12",
        "Prefers the ceramic wax, allergic to citrus foam",
        "ZQXV 917",
        "ZQXV917",
    ];
    let member = shop
        .service
        .create_member(
            &session,
            MemberInput {
                name: first[0].to_owned(),
                phone: Some(first[1].to_owned()),
                email: Some(first[3].to_owned()),
                birthday: NaiveDate::from_ymd_opt(1987, 4, 12),
                notes: Some(first[5].to_owned()),
            },
        )
        .unwrap();
    let vehicle = shop
        .service
        .add_vehicle(
            &session,
            member.id,
            VehicleInput {
                plate: first[6].to_owned(),
                kind: VehicleKind::Suv,
                make_model: Some("Subaru Outback".to_owned()),
                colour: Some("green".to_owned()),
            },
        )
        .unwrap();
    let second = [
        "欧阳娜娜",
        "+86 138 1234 5678",
        "13812345678",
        "nana.ouyang@example.cn",
        "苏AD12345",
        "Always asks for the interior vacuum",
    ];
    shop.service
        .update_member(
            &session,
            member.id,
            MemberUpdate {
                name: Some(second[0].to_owned()),
                phone: Change::Set(second[1].to_owned()),
                email: Change::Set(second[3].to_owned()),
                birthday: Change::Set(NaiveDate::from_ymd_opt(1990, 8, 1).unwrap()),
                notes: Change::Set(second[5].to_owned()),
            },
        )
        .unwrap();
    shop.service
        .update_vehicle(
            &session,
            vehicle.id,
            VehicleInput {
                plate: second[4].to_owned(),
                kind: VehicleKind::Sedan,
                make_model: None,
                colour: None,
            },
        )
        .unwrap();
    // The member is still findable by what they are now, and not by what they were.
    assert_eq!(
        shop.service
            .search_members(&session, "13812345678")
            .unwrap()
            .members
            .len(),
        1
    );
    assert_eq!(
        shop.service
            .search_members(&session, "5678")
            .unwrap()
            .members
            .len(),
        1
    );
    assert_eq!(
        shop.service
            .search_members(&session, "苏AD12345")
            .unwrap()
            .members
            .len(),
        1
    );
    assert!(
        shop.service
            .search_members(&session, "6045550199")
            .unwrap()
            .members
            .is_empty()
    );
    assert!(
        shop.service
            .search_members(&session, "ZQXV917")
            .unwrap()
            .members
            .is_empty()
    );
    shop.service
        .update_member(
            &session,
            member.id,
            MemberUpdate {
                phone: Change::Clear,
                email: Change::Clear,
                birthday: Change::Clear,
                notes: Change::Clear,
                ..MemberUpdate::default()
            },
        )
        .unwrap();
    shop.service.remove_vehicle(&session, vehicle.id).unwrap();

    let path = frontdesk::store::Store::file_in(shop.dir.path());
    let check = |stage: &str| {
        let bytes = std::fs::read(&path).unwrap();
        for value in first.iter().chain(second.iter()) {
            assert!(
                !contains(&bytes, value),
                "{stage}: a personal value is in the file in plaintext"
            );
        }
        // Fragments long enough to identify someone.
        for fragment in [
            "Quintessa",
            "Marlowe",
            "Vantongeren",
            "ceramic wax",
            "欧阳",
            // Its pinyin keys, which exist only in the in-memory name index.
            "ouyangnana",
            "5550199",
            "12345678",
            "example.org",
        ] {
            assert!(
                !contains(&bytes, fragment),
                "{stage}: a fragment of personal data is in the file"
            );
        }
    };
    check("after changes");
    // Compaction rewrites the file; nothing may resurface from old pages either.
    let store_dir = shop.dir.path().to_path_buf();
    let service = std::mem::replace(&mut shop.service, {
        let dir = tempfile::tempdir().unwrap();
        let store = frontdesk::store::Store::create(dir.path()).unwrap();
        std::mem::forget(dir);
        std::sync::Arc::new(frontdesk::service::Service::new(
            store,
            shop.clock.clone(),
            std::sync::Arc::new(frontdesk::entropy::OsEntropy),
        ))
    });
    drop(service);
    let mut store = frontdesk::store::Store::open(&store_dir).unwrap();
    store.compact().unwrap();
    drop(store);
    check("after compaction");
}
