//! The saved name index (issue 15): unlock loads the sealed snapshot plus the members changed
//! since instead of decrypting every name; a damaged or missing snapshot is rebuilt.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::*;
use frontdesk::clock::ManualClock;
use frontdesk::ids::RecordId;
use frontdesk::service::{
    Change, LoginRequest, MemberInput, MemberUpdate, SecondFactor, Service, Session,
};
use frontdesk::store::Store;
use secrecy::SecretString;

fn add(shop: &Shop, manager: &Session, name: &str) -> RecordId {
    shop.service
        .create_member(
            manager,
            MemberInput {
                name: name.to_owned(),
                ..MemberInput::default()
            },
        )
        .expect("member")
        .id
}

fn found(service: &Service, session: &Session, query: &str) -> Vec<RecordId> {
    let hits = service.search_members(session, query).expect("search");
    assert!(hits.names_complete);
    hits.members.iter().map(|member| member.id).collect()
}

/// Closes the shop's service and opens the same store in a new one, logged in as manager.
fn reopen(
    service: Arc<Service>,
    dir: &Path,
    clock: &Arc<ManualClock>,
    secret: &[u8],
) -> (Service, Session) {
    let store = Arc::try_unwrap(service)
        .expect("the only holder")
        .into_store()
        .expect("store handed back");
    drop(store);
    clock.advance(chrono::Duration::seconds(30));
    let service = Service::new(
        Store::open(dir).expect("reopen"),
        clock.clone(),
        Arc::new(frontdesk::entropy::SeededEntropy::new(7)),
    );
    let session = service
        .login(LoginRequest {
            username: MANAGER.to_owned(),
            password: SecretString::from(MANAGER_PASSWORD.to_owned()),
            second_factor: SecondFactor::Totp(phone_code(secret, clock.now_for_tests())),
            origin: frontdesk::audit::Origin::Local,
            ssh_key: None,
        })
        .expect("manager login");
    service.wait_for_name_index();
    (service, session)
}

#[test]
fn a_second_unlock_loads_the_snapshot_and_rereads_only_the_changes_since() {
    let shop = open_shop();
    let manager = shop.manager();
    let alice = add(&shop, &manager, "Alice Example");
    let bob = add(&shop, &manager, "Bob Sample");
    shop.service.wait_for_name_index();
    assert!(shop.service.save_name_index().unwrap());
    assert_eq!(
        shop.service.saved_name_index_search("alice"),
        Some(vec![alice])
    );

    // Changed after the save: a rename and a new member, only in the change list.
    shop.service
        .update_member(
            &manager,
            bob,
            MemberUpdate {
                name: Some("Robert Sample".to_owned()),
                phone: Change::Keep,
                ..MemberUpdate::default()
            },
        )
        .unwrap();
    let carol = add(&shop, &manager, "Carol Newcomer");
    assert_eq!(shop.service.saved_name_index_search("carol"), Some(vec![]));

    let Shop {
        dir,
        service,
        clock,
        manager_secret,
        ..
    } = shop;
    let (service, session) = reopen(service, dir.path(), &clock, &manager_secret);
    assert_eq!(found(&service, &session, "Alice"), vec![alice]);
    assert_eq!(found(&service, &session, "Robert"), vec![bob]);
    assert!(found(&service, &session, "Bob").is_empty());
    assert_eq!(found(&service, &session, "Carol"), vec![carol]);
    // Loaded, not rebuilt: a rebuild would have saved a snapshot that finds Carol.
    assert_eq!(service.saved_name_index_search("carol"), Some(vec![]));
    assert_eq!(service.saved_name_index_search("bob"), Some(vec![bob]));

    // Saving folds the changes in.
    assert!(service.save_name_index().unwrap());
    assert_eq!(service.saved_name_index_search("carol"), Some(vec![carol]));
    assert!(service.saved_name_index_search("bob").unwrap().is_empty());
}

#[test]
fn a_damaged_snapshot_is_rebuilt_from_the_members() {
    let shop = open_shop();
    let manager = shop.manager();
    let alice = add(&shop, &manager, "Alice Example");
    shop.service.wait_for_name_index();
    assert!(shop.service.save_name_index().unwrap());
    let Shop {
        dir,
        service,
        clock,
        manager_secret,
        ..
    } = shop;
    let store = Arc::try_unwrap(service)
        .expect("the only holder")
        .into_store()
        .expect("store handed back");
    let mut writer = store.write().unwrap();
    writer.put_name_snapshot(40, &[vec![1u8; 64]], &[]).unwrap();
    writer.commit().unwrap();
    drop(store);
    let reopened = Service::new(
        Store::open(dir.path()).unwrap(),
        clock.clone(),
        Arc::new(frontdesk::entropy::SeededEntropy::new(8)),
    );
    let (service, session) = reopen(Arc::new(reopened), dir.path(), &clock, &manager_secret);
    assert_eq!(found(&service, &session, "Alice"), vec![alice]);
    assert_eq!(service.saved_name_index_search("alice"), Some(vec![alice]));
}

#[test]
fn a_store_without_a_snapshot_builds_and_saves_one_at_unlock() {
    let shop = open_shop();
    let manager = shop.manager();
    let alice = add(&shop, &manager, "Alice Example");
    shop.service.wait_for_name_index();
    let Shop {
        dir,
        service,
        clock,
        manager_secret,
        ..
    } = shop;
    let (service, session) = reopen(service, dir.path(), &clock, &manager_secret);
    assert_eq!(found(&service, &session, "Alice"), vec![alice]);
    // The build at setup saved an empty snapshot; Alice came later, so this unlock re-read
    // her from the change list.
    assert!(service.save_name_index().unwrap());
    assert_eq!(service.saved_name_index_search("alic"), Some(vec![alice]));
}
