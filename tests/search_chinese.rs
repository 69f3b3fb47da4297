//! Search as Chinese shops type: plates without their province character, names by full
//! pinyin and by initials, what a cashier (who sees names masked) may find that way, the
//! one-time backfill of plate-tail tokens in a store written before they existed, and pinyin
//! keys never reaching the file.

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use common::*;
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::ids::RecordId;
use frontdesk::service::{LoginRequest, MemberInput, SecondFactor, Service, Session, VehicleInput};
use frontdesk::store::Store;
use secrecy::SecretString;

fn member(shop: &Shop, session: &Session, name: &str, plates: &[&str]) -> RecordId {
    let created = shop
        .service
        .create_member(
            session,
            MemberInput {
                name: name.to_owned(),
                ..MemberInput::default()
            },
        )
        .expect("member");
    for plate in plates {
        add_plate(shop, session, created.id, plate);
    }
    created.id
}

fn add_plate(shop: &Shop, session: &Session, member: RecordId, plate: &str) -> RecordId {
    shop.service
        .add_vehicle(session, member, vehicle(plate))
        .expect("vehicle")
        .id
}

fn vehicle(plate: &str) -> VehicleInput {
    VehicleInput {
        plate: plate.to_owned(),
        kind: VehicleKind::Sedan,
        make_model: None,
        colour: None,
    }
}

fn found(service: &Service, session: &Session, query: &str) -> Vec<RecordId> {
    service
        .search_members(session, query)
        .expect("search")
        .members
        .iter()
        .map(|m| m.id)
        .collect()
}

#[test]
fn a_plate_is_found_without_its_province_character() {
    let shop = open_shop();
    let manager = shop.manager();
    let chen = member(&shop, &manager, "陈小明", &["苏A12345"]);
    let li = member(&shop, &manager, "李娜", &["沪A12345"]);
    let smith = member(&shop, &manager, "John Smith", &["A12345"]);
    let other = member(&shop, &manager, "王伟", &["苏B54321"]);

    for query in ["A12345", "a12345", "A 12345", "a-12345", "Ａ１２３４５"] {
        let hits: HashSet<RecordId> = found(&shop.service, &manager, query).into_iter().collect();
        assert_eq!(hits, HashSet::from([chen, li, smith]), "{query}");
    }
    // With the province the plate is exact.
    assert_eq!(found(&shop.service, &manager, "苏A12345"), [chen]);
    assert_eq!(found(&shop.service, &manager, "B54321"), [other]);
    // Only whole plates match, as before.
    assert!(found(&shop.service, &manager, "A1234").is_empty());

    // A cashier finds the car the same way, masked.
    let cashier_secret = shop.add_cashier(&manager);
    let cashier = shop.cashier(&cashier_secret);
    let results = shop.service.search_members(&cashier, "A12345").unwrap();
    assert_eq!(results.members.len(), 3);
    assert!(results.members.iter().all(|m| m.masked));
}

#[test]
fn plate_tail_tokens_follow_edits_and_removals() {
    let shop = open_shop();
    let manager = shop.manager();
    let chen = member(&shop, &manager, "陈小明", &[]);
    let first = add_plate(&shop, &manager, chen, "苏A12345");
    // Same letters and digits in another province, on the same member.
    let second = add_plate(&shop, &manager, chen, "沪A12345");
    assert_eq!(found(&shop.service, &manager, "A12345"), [chen]);

    // Removing one keeps the member findable through the other.
    shop.service.remove_vehicle(&manager, first).unwrap();
    assert_eq!(found(&shop.service, &manager, "A12345"), [chen]);

    // Editing the plate moves its tail token.
    shop.service
        .update_vehicle(&manager, second, vehicle("京C77777"))
        .unwrap();
    assert!(found(&shop.service, &manager, "A12345").is_empty());
    assert_eq!(found(&shop.service, &manager, "C77777"), [chen]);

    // A plate without a province gets no tail token of its own.
    shop.service
        .update_vehicle(&manager, second, vehicle("C77777"))
        .unwrap();
    assert_eq!(found(&shop.service, &manager, "C77777"), [chen]);
    shop.service.remove_vehicle(&manager, second).unwrap();
    assert!(found(&shop.service, &manager, "C77777").is_empty());
}

#[test]
fn a_manager_finds_chinese_names_by_pinyin_and_initials() {
    let shop = open_shop();
    let manager = shop.manager();
    let chen = member(&shop, &manager, "陈小明", &[]);
    let cheng = member(&shop, &manager, "程晓", &[]);
    let ouyang = member(&shop, &manager, "欧阳娜娜", &[]);
    let zeng = member(&shop, &manager, "曾国藩", &[]);
    shop.service.wait_for_name_index();

    for query in [
        "chen",
        "xiaoming",
        "chen xiaoming",
        "chenxiaoming",
        "Chen Xiaoming",
        "cxm",
        "CXM",
    ] {
        assert!(
            found(&shop.service, &manager, query).contains(&chen),
            "{query}"
        );
    }
    assert_eq!(found(&shop.service, &manager, "cxm"), [chen]);
    assert_eq!(found(&shop.service, &manager, "chen xiaoming"), [chen]);
    // `chen` is also how `cheng` starts.
    let chens: HashSet<RecordId> = found(&shop.service, &manager, "chen").into_iter().collect();
    assert_eq!(chens, HashSet::from([chen, cheng]));
    assert_eq!(found(&shop.service, &manager, "ouyang"), [ouyang]);
    assert_eq!(found(&shop.service, &manager, "oynn"), [ouyang]);
    assert_eq!(found(&shop.service, &manager, "nana"), [ouyang]);
    // A surname read as a surname.
    assert_eq!(found(&shop.service, &manager, "zeng guofan"), [zeng]);
    assert!(found(&shop.service, &manager, "ming").is_empty());

    // Renaming re-keys the name in the index.
    shop.service
        .update_member(
            &manager,
            chen,
            frontdesk::service::MemberUpdate {
                name: Some("陈大明".to_owned()),
                ..Default::default()
            },
        )
        .unwrap();
    assert!(found(&shop.service, &manager, "cxm").is_empty());
    assert_eq!(found(&shop.service, &manager, "cdm"), [chen]);
}

#[test]
fn a_cashier_finds_by_the_whole_reading_or_the_shown_surname_but_not_by_initials() {
    let shop = open_shop();
    let manager = shop.manager();
    let chen = member(&shop, &manager, "陈小明", &[]);
    let cashier_secret = shop.add_cashier(&manager);
    let cashier = shop.cashier(&cashier_secret);
    shop.service.wait_for_name_index();

    // The cashier sees `陈**`: its reading, or the whole name typed out, finds it.
    for query in ["chen", "c", "chen xiaoming", "chenxiaoming"] {
        let results = shop.service.search_members(&cashier, query).unwrap();
        assert!(results.names_masked);
        assert_eq!(
            results.members.iter().map(|m| m.id).collect::<Vec<_>>(),
            [chen],
            "{query}"
        );
        assert_eq!(results.members[0].name.as_str(), "陈**");
    }
    // Given-name readings and initials would spell out the hidden characters letter by
    // letter, so they find nothing for a cashier (the manager finds by them).
    for query in ["xiaoming", "xiao", "chenx", "cxm", "cx"] {
        assert!(found(&shop.service, &cashier, query).is_empty(), "{query}");
        assert_eq!(found(&shop.service, &manager, query), [chen], "{query}");
    }
}

#[test]
fn given_names_read_like_a_surname_do_not_crowd_out_a_cashiers_search() {
    let shop = open_shop();
    let manager = shop.manager();
    // More members whose given name reads `chen` (晨) than a masked search checks.
    for _ in 0..210 {
        member(&shop, &manager, "李晨", &[]);
    }
    let chen = member(&shop, &manager, "陈小明", &[]);
    let cashier_secret = shop.add_cashier(&manager);
    let cashier = shop.cashier(&cashier_secret);
    shop.service.wait_for_name_index();
    assert_eq!(found(&shop.service, &cashier, "chen"), [chen]);
    // The manager finds both kinds, a screenful at most.
    let hits = found(&shop.service, &manager, "chen");
    assert!(hits.contains(&chen));
    assert_eq!(hits.len(), 50);
}

/// Turns the store back into what the code before plate-tail tokens wrote: the blind index
/// holds only the members' own tokens and their plates' full tokens, and the store is not
/// marked as backfilled. Returns how many rows went.
fn strip_plate_tail_tokens(dir: &std::path::Path) -> usize {
    use frontdesk::store::decode_record;
    use frontdesk::store::records::{MemberRecord, VehicleRecord};
    use frontdesk::store::schema::{BLIND_INDEX, MEMBERS, META, META_PLATE_TAILS, VEHICLES};
    use redb::{ReadableMultimapTable, ReadableTable};

    let db = redb::Database::create(Store::file_in(dir)).unwrap();
    let tx = db.begin_write().unwrap();
    let mut kept: HashSet<([u8; 32], u128)> = HashSet::new();
    for row in tx.open_table(MEMBERS).unwrap().iter().unwrap() {
        let (_, bytes) = row.unwrap();
        let member: MemberRecord = decode_record("member", bytes.value()).unwrap();
        for token in member.index_tokens {
            kept.insert((token, member.id.as_u128()));
        }
    }
    for row in tx.open_table(VEHICLES).unwrap().iter().unwrap() {
        let (_, bytes) = row.unwrap();
        let vehicle: VehicleRecord = decode_record("vehicle", bytes.value()).unwrap();
        kept.insert((vehicle.plate_token, vehicle.member_id.as_u128()));
    }
    let mut gone = Vec::new();
    {
        let index = tx.open_multimap_table(BLIND_INDEX).unwrap();
        for row in index.iter().unwrap() {
            let (token, members) = row.unwrap();
            let token = *token.value();
            for member in members {
                let member = member.unwrap().value();
                if !kept.contains(&(token, member)) {
                    gone.push((token, member));
                }
            }
        }
    }
    {
        let mut index = tx.open_multimap_table(BLIND_INDEX).unwrap();
        for (token, member) in &gone {
            index.remove(token, *member).unwrap();
        }
    }
    tx.open_table(META)
        .unwrap()
        .remove(META_PLATE_TAILS)
        .unwrap();
    tx.commit().unwrap();
    gone.len()
}

fn marked_backfilled(dir: &std::path::Path) -> bool {
    use frontdesk::store::schema::{META, META_PLATE_TAILS};
    use redb::ReadableDatabase;
    let db = redb::Database::open(Store::file_in(dir)).unwrap();
    let tx = db.begin_read().unwrap();
    tx.open_table(META)
        .unwrap()
        .get(META_PLATE_TAILS)
        .unwrap()
        .is_some()
}

#[test]
fn an_old_store_gets_its_plate_tail_tokens_after_the_first_unlock() {
    let shop = open_shop();
    let manager = shop.manager();
    let mut expected = HashSet::new();
    // More vehicles than one backfill batch, so the batches join up.
    for n in 0..520u32 {
        let plate = format!("苏A{n:05}");
        let member = member(&shop, &manager, &format!("Member {n}"), &[&plate]);
        if [0, 511, 512, 519].contains(&n) {
            expected.insert((n, member));
        }
    }
    shop.service.wait_for_name_index();
    let dir = shop.dir.path().to_path_buf();
    let clock = shop.clock.clone();
    let secret = shop.manager_secret.clone();
    drop(shop.service);

    // One tail token per vehicle was written, and now they are gone.
    assert_eq!(strip_plate_tail_tokens(&dir), 520);
    assert!(!marked_backfilled(&dir));

    let service = Service::new(
        Store::open(&dir).unwrap(),
        clock.clone(),
        Arc::new(frontdesk::entropy::SeededEntropy::new(9)),
    );
    let session = service
        .login(LoginRequest {
            username: MANAGER.to_owned(),
            password: SecretString::from(MANAGER_PASSWORD.to_owned()),
            second_factor: SecondFactor::Totp(phone_code(&secret, clock.now_for_tests())),
            origin: frontdesk::audit::Origin::Local,
            ssh_key: None,
        })
        .unwrap();
    service.wait_for_name_index();
    for (n, member) in &expected {
        assert_eq!(
            found(&service, &session, &format!("A{n:05}")),
            [*member],
            "vehicle {n}"
        );
        assert_eq!(found(&service, &session, &format!("苏A{n:05}")), [*member]);
    }
    drop(service);
    assert!(marked_backfilled(&dir));
}

#[test]
fn pinyin_keys_never_reach_the_file() {
    let shop = open_shop();
    let manager = shop.manager();
    let chen = member(&shop, &manager, "陈小明", &["苏A12345"]);
    member(&shop, &manager, "欧阳娜娜", &[]);
    shop.service.wait_for_name_index();
    // Searching by them (audited as a search) leaves them nowhere either.
    for query in [
        "chenxiaoming",
        "chen xiaoming",
        "cxm",
        "ouyangnana",
        "A12345",
    ] {
        assert!(!found(&shop.service, &manager, query).is_empty(), "{query}");
    }
    assert_eq!(found(&shop.service, &manager, "chenxiaoming"), [chen]);
    let dir = shop.dir.path().to_path_buf();
    drop(shop.service);
    let bytes = std::fs::read(Store::file_in(&dir)).unwrap();
    let contains = |needle: &str| {
        bytes
            .windows(needle.len())
            .any(|window| window == needle.as_bytes())
    };
    for key in ["chenxiaoming", "xiaoming", "ouyangnana", "ouyang", "A12345"] {
        assert!(!contains(key), "`{key}` is in the file");
    }
}
