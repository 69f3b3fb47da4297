//! A full disk under a running service: one change fails and says so, logins say so instead of
//! "wrong credentials", and once space is back the same service carries on (no restart) with
//! everything acknowledged before still there. Also over SSH, where many sessions share the
//! one service.

mod common;

use std::sync::Barrier;
use std::thread;

use common::ssh::{Client, serve};
use common::*;
use frontdesk::service::{MemberInput, ServiceError, Session};
use frontdesk::store::testing::DiskSwitch;
use frontdesk::ui::i18n::Language;
use frontdesk::ui::view::describe_error;
use russh::client::KeyboardInteractiveAuthResponse;

const DISK_FULL: &str =
    "The disk is full: nothing of this change was saved; free space on the disk and try again.";

fn phone(n: u32) -> String {
    format!("+86 138000000{n:02}")
}

fn add_member(shop: &Shop, session: &Session, n: u32) -> Result<(), ServiceError> {
    shop.service
        .create_member(
            session,
            MemberInput {
                name: format!("Member {n}"),
                phone: Some(phone(n)),
                ..MemberInput::default()
            },
        )
        .map(|_| ())
}

fn is_member(shop: &Shop, session: &Session, n: u32) -> bool {
    !shop
        .service
        .search_members(session, &phone(n))
        .expect("search")
        .members
        .is_empty()
}

/// The manager logged in, with the name index built so no background reader is running.
fn manager(shop: &Shop) -> Session {
    let session = shop.manager();
    shop.service.wait_for_name_index();
    session
}

#[test]
fn a_full_disk_fails_one_change_and_the_same_service_carries_on_once_space_is_back() {
    let disk = DiskSwitch::new();
    let shop = open_shop_on_disk(&disk);
    let manager = manager(&shop);
    add_member(&shop, &manager, 1).expect("member 1");
    add_member(&shop, &manager, 2).expect("member 2");

    disk.fill();
    let failed = add_member(&shop, &manager, 3).expect_err("no room for member 3");
    assert!(matches!(failed, ServiceError::DiskFull), "{failed}");
    assert_eq!(failed.to_string(), DISK_FULL);
    // Every later action says the same, rather than redb's "close and re-open the database".
    let again = add_member(&shop, &manager, 4).expect_err("still no room");
    assert!(matches!(again, ServiceError::DiskFull), "{again}");

    disk.free();
    add_member(&shop, &manager, 5).expect("the same service saves again, no restart");
    for kept in [1, 2, 5] {
        assert!(
            is_member(&shop, &manager, kept),
            "member {kept} was acknowledged"
        );
    }
    for lost in [3, 4] {
        assert!(
            !is_member(&shop, &manager, lost),
            "member {lost} was refused"
        );
    }
    let chain = shop
        .service
        .verify_audit_chain(&manager)
        .expect("verify the audit chain");
    assert_eq!(chain.problem, None, "the audit chain is whole");
}

#[test]
fn a_login_during_a_full_disk_says_so_whether_or_not_the_password_was_right() {
    let disk = DiskSwitch::new();
    let shop = open_shop_on_disk(&disk);
    let manager = manager(&shop);
    add_member(&shop, &manager, 1).expect("member 1");

    disk.fill();
    assert!(matches!(
        add_member(&shop, &manager, 2),
        Err(ServiceError::DiskFull)
    ));
    let code = phone_code(&shop.manager_secret, shop.clock.now_for_tests());
    let right = shop
        .login(MANAGER, MANAGER_PASSWORD, &code)
        .expect_err("a login must be recorded, and cannot be");
    assert!(matches!(right, ServiceError::DiskFull), "{right}");
    let wrong = shop
        .login(MANAGER, "not the password at all", &code)
        .expect_err("refused");
    assert!(
        matches!(wrong, ServiceError::DiskFull),
        "a failure that cannot be recorded is not reported as wrong credentials: {wrong}"
    );

    disk.free();
    let again = shop
        .login(MANAGER, MANAGER_PASSWORD, &code)
        .expect("the same code works once the disk has room: it was never used");
    assert!(is_member(&shop, &again, 1));
    assert!(!is_member(&shop, &again, 2));
}

#[test]
fn sessions_sharing_one_service_all_hear_of_the_full_disk_and_none_is_told_wrong_credentials() {
    let disk = DiskSwitch::new();
    let shop = open_shop_on_disk(&disk);
    let manager = manager(&shop);
    add_member(&shop, &manager, 1).expect("member 1");
    let code = phone_code(&shop.manager_secret, shop.clock.now_for_tests());

    disk.fill();
    let start = Barrier::new(4);
    let outcomes: Vec<Result<(), ServiceError>> = thread::scope(|scope| {
        let attempts: Vec<_> = (0..4u32)
            .map(|n| {
                let (shop, manager, code, start) = (&shop, &manager, &code, &start);
                scope.spawn(move || {
                    start.wait();
                    match n {
                        0 | 1 => add_member(shop, manager, 10 + n),
                        2 => shop.login(MANAGER, MANAGER_PASSWORD, code).map(|_| ()),
                        _ => shop.login(MANAGER, "not the password", code).map(|_| ()),
                    }
                })
            })
            .collect();
        attempts
            .into_iter()
            .map(|attempt| attempt.join().expect("no session panics"))
            .collect()
    });
    for (n, outcome) in outcomes.iter().enumerate() {
        match outcome {
            Err(err) => assert!(
                err.is_storage_failure(),
                "session {n} is told about the disk: {err}"
            ),
            Ok(()) => panic!("session {n} claims a change saved on a full disk"),
        }
    }

    disk.free();
    add_member(&shop, &manager, 20).expect("saves again");
    let again = shop
        .login(MANAGER, MANAGER_PASSWORD, &code)
        .expect("no failure was counted against the account while the disk was full");
    assert!(is_member(&shop, &again, 1) && is_member(&shop, &again, 20));
    assert!(!is_member(&shop, &again, 10) && !is_member(&shop, &again, 11));
}

#[test]
fn the_desk_shows_a_full_disk_in_the_staff_members_language() {
    assert_eq!(
        describe_error(&ServiceError::DiskFull, Language::English),
        DISK_FULL
    );
    assert_eq!(
        describe_error(&ServiceError::DiskFull, Language::SimplifiedChinese),
        "磁盘已满：本次更改未保存任何内容；请清理磁盘空间后重试。"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ssh_login_during_a_full_disk_is_told_so_and_goes_through_once_space_is_back() {
    let disk = DiskSwitch::new();
    let shop = open_shop_on_disk(&disk);
    {
        let manager = manager(&shop);
        disk.fill();
        assert!(matches!(
            add_member(&shop, &manager, 1),
            Err(ServiceError::DiskFull)
        ));
    }
    let served = serve(&shop);
    let mut client = Client::connect(served.addr).await;
    let code = phone_code(&shop.manager_secret, shop.clock.now_for_tests());
    let form = client
        .handle
        .authenticate_keyboard_interactive_start(MANAGER, None)
        .await
        .expect("keyboard-interactive starts");
    assert!(matches!(
        form,
        KeyboardInteractiveAuthResponse::InfoRequest { .. }
    ));
    let answer = client
        .handle
        .authenticate_keyboard_interactive_respond(vec![MANAGER_PASSWORD.to_owned(), code.clone()])
        .await
        .expect("answers are taken");
    let KeyboardInteractiveAuthResponse::InfoRequest {
        instructions,
        prompts,
        ..
    } = answer
    else {
        panic!("a full disk is not a refusal: expected the form again, got {answer:?}");
    };
    assert_eq!(instructions, DISK_FULL);
    assert_eq!(prompts.len(), 2, "password and code are asked for again");

    disk.free();
    let answer = client
        .handle
        .authenticate_keyboard_interactive_respond(vec![MANAGER_PASSWORD.to_owned(), code])
        .await
        .expect("answers are taken");
    assert!(
        matches!(answer, KeyboardInteractiveAuthResponse::Success),
        "{answer:?}"
    );
}
