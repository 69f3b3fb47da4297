//! The audit trail: what gets recorded, that it names fields but never values, and that
//! `verify` catches a changed, deleted, reordered or truncated entry.

mod common;

use common::*;
use frontdesk::audit::{AuditAction, Checkpoint, Outcome, decode, encode};
use frontdesk::service::integrity::verify_store;
use frontdesk::service::{MemberInput, ServiceError};
use frontdesk::store::{ReadAccess, Store};

fn entries(store: &Store) -> Vec<(u64, Vec<u8>)> {
    store.read().unwrap().audit_stream().unwrap().collect()
}

/// The shop's directory and database (kept alive with the store) and the store reopened.
fn shop_with_history() -> ((tempfile::TempDir, Option<pg::TestDatabase>), Store) {
    let shop = open_shop();
    let manager = shop.manager();
    let secret = shop.add_cashier(&manager);
    let cashier = shop.cashier(&secret);
    let member = shop
        .service
        .create_member(
            &cashier,
            MemberInput {
                name: "Harriet Oduya".to_owned(),
                phone: Some("604 555 0142".to_owned()),
                ..MemberInput::default()
            },
        )
        .unwrap();
    shop.service.open_member(&manager, member.id).unwrap();
    let denied = shop.service.list_staff(&cashier).unwrap_err();
    assert!(matches!(denied, ServiceError::Forbidden { .. }));
    let dir = shop.dir;
    drop(shop.service);
    let store = reopen_store(dir.path(), shop.database.as_ref());
    ((dir, shop.database), store)
}

#[test]
fn actions_are_recorded_with_field_names_and_never_values() {
    let (_dir, store) = shop_with_history();
    let decoded: Vec<_> = entries(&store)
        .iter()
        .map(|(_, bytes)| decode(bytes).unwrap())
        .collect();
    let actions: Vec<_> = decoded.iter().map(|e| e.action).collect();
    for expected in [
        AuditAction::StoreInitialised,
        AuditAction::LoginSucceeded,
        AuditAction::StaffCreated,
        AuditAction::MemberCreated,
        AuditAction::MemberOpened,
        AuditAction::PermissionDenied,
    ] {
        assert!(actions.contains(&expected), "missing {expected:?}");
    }
    let created = decoded
        .iter()
        .find(|e| e.action == AuditAction::MemberCreated)
        .unwrap();
    assert_eq!(created.fields, vec!["name".to_owned(), "phone".to_owned()]);
    let denied = decoded
        .iter()
        .find(|e| e.action == AuditAction::PermissionDenied)
        .unwrap();
    assert_eq!(denied.outcome, Outcome::Denied);
    for (_, bytes) in entries(&store) {
        for value in ["Harriet", "Oduya", "6045550142", "0142"] {
            assert!(!bytes.windows(value.len()).any(|w| w == value.as_bytes()));
        }
    }
}

#[test]
fn an_untouched_log_verifies_and_reports_its_checkpoint() {
    let (_dir, mut store) = shop_with_history();
    let count = entries(&store).len() as u64;
    let report = verify_store(&mut store, None).unwrap();
    assert!(report.is_ok(), "{:?}", report.lines());
    assert_eq!(report.audit_head.count, count);
    let again = verify_store(&mut store, Some(&report.audit_head)).unwrap();
    assert!(again.is_ok());
}

fn tamper(store: &Store, seq: u64, bytes: Option<&[u8]>) {
    let mut writer = store.write().unwrap();
    writer.overwrite_audit_bytes_for_tests(seq, bytes).unwrap();
    writer.commit().unwrap();
}

#[test]
fn a_flipped_byte_is_caught_at_its_entry() {
    let (_dir, mut store) = shop_with_history();
    let (seq, mut bytes) = entries(&store)[3].clone();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x01;
    tamper(&store, seq, Some(&bytes));
    let report = verify_store(&mut store, None).unwrap();
    assert!(!report.is_ok());
    let problem = report.audit_problem.unwrap();
    assert!(problem.contains(&seq.to_string()), "{problem}");
}

#[test]
fn a_deleted_entry_is_caught() {
    let (_dir, mut store) = shop_with_history();
    tamper(&store, 4, None);
    let report = verify_store(&mut store, None).unwrap();
    assert!(report.audit_problem.is_some());
}

#[test]
fn reordered_entries_are_caught() {
    let (_dir, mut store) = shop_with_history();
    let all = entries(&store);
    let (a, b) = (all[2].clone(), all[3].clone());
    tamper(&store, a.0, Some(&b.1));
    tamper(&store, b.0, Some(&a.1));
    let report = verify_store(&mut store, None).unwrap();
    assert!(report.audit_problem.is_some());
}

#[test]
fn a_rewritten_entry_with_a_recomputed_chain_is_caught_by_the_checkpoint() {
    let (_dir, mut store) = shop_with_history();
    let checkpoint = verify_store(&mut store, None).unwrap().audit_head;
    // Truncation: drop the newest entries; the rest still chains, so only the checkpoint
    // kept elsewhere can tell.
    let count = checkpoint.count;
    tamper(&store, count, None);
    tamper(&store, count - 1, None);
    let without = verify_store(&mut store, None).unwrap();
    assert!(
        without.audit_problem.is_none(),
        "a shortened chain is self-consistent"
    );
    let with = verify_store(&mut store, Some(&checkpoint)).unwrap();
    assert!(with.audit_problem.is_some());
    // A checkpoint parses back from the form the end-of-day screen shows.
    let text = checkpoint.to_string();
    assert_eq!(text.parse::<Checkpoint>().unwrap(), checkpoint);
    let _ = encode;
    let _ = store.read().unwrap().audit_head().unwrap();
}

#[test]
fn the_log_viewer_finds_a_member_by_bare_number_as_by_member_colon_number() {
    let shop = open_shop();
    let manager = shop.manager();
    let member = shop
        .service
        .create_member(
            &manager,
            MemberInput {
                name: "Harriet Oduya".to_owned(),
                ..MemberInput::default()
            },
        )
        .unwrap();
    shop.service.open_member(&manager, member.id).unwrap();
    let number = member.member_number.to_string();
    let actions_for = |object: String| -> Vec<String> {
        shop.service
            .audit_log(
                &manager,
                &frontdesk::service::AuditFilter {
                    object: Some(object),
                    ..Default::default()
                },
            )
            .unwrap()
            .entries
            .into_iter()
            .map(|e| e.action)
            .collect()
    };
    let expected = ["member.opened", "member.created"];
    assert_eq!(actions_for(number.clone()), expected);
    assert_eq!(actions_for(format!("member:{number}")), expected);
    assert!(actions_for(format!("{number}9")).is_empty());
}
