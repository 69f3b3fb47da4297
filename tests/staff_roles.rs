//! Changing an account's role or display name: manager only, after a fresh code, audited; the
//! last active manager can be neither demoted nor disabled, even by two managers acting at once.

mod common;

use std::sync::{Arc, Barrier};

use common::{ClockExt, Shop, audit_actions, open_shop, phone_code};
use frontdesk::audit::AuditAction;
use frontdesk::domain::access::Role;
use frontdesk::ids::RecordId;
use frontdesk::service::{NewStaff, ServiceError, Session};
use frontdesk::store::ReadAccess;
use secrecy::ExposeSecret;

const DEPUTY: &str = "deputy";
const DEPUTY_PASSWORD: &str = "copper heron meadow tide";

/// A second account with `role`, enrolled with its own password. Returns its id and TOTP
/// secret.
fn add_deputy(shop: &Shop, manager: &Session, role: Role) -> (RecordId, Vec<u8>) {
    let login = shop
        .service
        .create_staff(
            manager,
            NewStaff {
                username: DEPUTY.to_owned(),
                display_name: "Deputy".to_owned(),
                role,
            },
        )
        .expect("create deputy");
    let secret = shop.enrol(DEPUTY, login.password.expose_secret(), DEPUTY_PASSWORD);
    (login.staff_id, secret)
}

fn deputy(shop: &Shop, secret: &[u8]) -> Session {
    let code = phone_code(secret, shop.clock.now_for_tests());
    let session = shop
        .login(DEPUTY, DEPUTY_PASSWORD, &code)
        .expect("deputy login");
    shop.next_step();
    session
}

/// A login counts as a step-up for five minutes; let that lapse while keeping the sessions
/// from idling, so a refusal can only come from the missing fresh code.
fn let_step_up_lapse(shop: &Shop, sessions: &[&Session]) {
    for _ in 0..2 {
        shop.clock.advance(chrono::Duration::minutes(3));
        for session in sessions {
            shop.service.list_services(session).expect("session alive");
        }
    }
}

fn step_up(shop: &Shop, session: &Session, secret: &[u8]) {
    let code = phone_code(secret, shop.clock.now_for_tests());
    shop.service.step_up(session, &code).expect("step-up");
}

fn manager_id(shop: &Shop, session: &Session) -> RecordId {
    shop.service
        .session_info(session)
        .expect("session")
        .staff_id
}

/// Active managers as stored, read without a session (the test's sessions may have ended).
fn active_managers(shop: &Shop) -> usize {
    shop.service
        .store()
        .read()
        .expect("read")
        .all_staff()
        .expect("staff")
        .iter()
        .filter(|staff| staff.role == Role::Manager && !staff.disabled)
        .count()
}

#[test]
fn a_role_change_needs_a_fresh_code_and_ends_the_persons_sessions_at_once() {
    let shop = open_shop();
    let manager = shop.manager();
    let (deputy_id, secret) = add_deputy(&shop, &manager, Role::Cashier);
    let cashier = deputy(&shop, &secret);
    let_step_up_lapse(&shop, &[&manager, &cashier]);

    // A manager without a fresh code, and a cashier at all, are refused.
    assert!(matches!(
        shop.service
            .change_staff_role(&manager, deputy_id, Role::Manager),
        Err(ServiceError::StepUpRequired)
    ));
    assert!(matches!(
        shop.service
            .change_staff_role(&cashier, deputy_id, Role::Manager),
        Err(ServiceError::Forbidden { .. })
    ));

    step_up(&shop, &manager, &shop.manager_secret);
    shop.service
        .change_staff_role(&manager, deputy_id, Role::Manager)
        .expect("promote");
    // The cashier's session ended; the next login carries the new role.
    assert!(matches!(
        shop.service.list_services(&cashier),
        Err(ServiceError::SessionEnded)
    ));
    let promoted = deputy(&shop, &secret);
    assert_eq!(
        shop.service.session_info(&promoted).expect("session").role,
        Role::Manager
    );
    shop.service
        .list_staff(&promoted)
        .expect("a manager's screen");

    // Back to cashier: the manager's screens close at once.
    shop.service
        .change_staff_role(&manager, deputy_id, Role::Cashier)
        .expect("demote");
    assert!(matches!(
        shop.service.list_staff(&promoted),
        Err(ServiceError::SessionEnded)
    ));
    let demoted = deputy(&shop, &secret);
    assert!(matches!(
        shop.service.list_staff(&demoted),
        Err(ServiceError::Forbidden { .. })
    ));

    // Asking for the role someone already has changes nothing, and says so.
    assert!(matches!(
        shop.service
            .change_staff_role(&manager, deputy_id, Role::Cashier),
        Err(ServiceError::InvalidInput(_))
    ));
    // Nobody changes their own role.
    let own = manager_id(&shop, &manager);
    assert!(matches!(
        shop.service.change_staff_role(&manager, own, Role::Cashier),
        Err(ServiceError::InvalidInput(_))
    ));

    let actions = audit_actions(shop.service.store());
    assert_eq!(
        actions
            .iter()
            .filter(|a| **a == AuditAction::StaffRoleChanged)
            .count(),
        2
    );
}

#[test]
fn the_role_change_entry_names_the_field_and_the_direction_but_no_personal_value() {
    let shop = open_shop();
    let manager = shop.manager();
    let (deputy_id, _) = add_deputy(&shop, &manager, Role::Cashier);
    step_up(&shop, &manager, &shop.manager_secret);
    shop.service
        .change_staff_role(&manager, deputy_id, Role::Manager)
        .expect("promote");
    let page = shop
        .service
        .audit_log(
            &manager,
            &frontdesk::service::AuditFilter {
                action_prefix: Some("staff.role_changed".into()),
                ..Default::default()
            },
        )
        .expect("audit page");
    let entry = page.entries.first().expect("the entry");
    assert_eq!(entry.objects, vec![deputy_id.to_string()]);
    assert_eq!(entry.fields, vec!["role".to_owned()]);
    assert_eq!(entry.detail.as_deref(), Some("role: cashier -> manager"));
}

#[test]
fn a_display_name_is_sanitised_checked_audited_and_leaves_sessions_alone() {
    let shop = open_shop();
    let manager = shop.manager();
    let (deputy_id, secret) = add_deputy(&shop, &manager, Role::Cashier);
    let cashier = deputy(&shop, &secret);
    let_step_up_lapse(&shop, &[&manager, &cashier]);

    assert!(matches!(
        shop.service.rename_staff(&manager, deputy_id, "Li Wei"),
        Err(ServiceError::StepUpRequired)
    ));
    assert!(matches!(
        shop.service.rename_staff(&cashier, deputy_id, "Li Wei"),
        Err(ServiceError::Forbidden { .. })
    ));
    step_up(&shop, &manager, &shop.manager_secret);
    // Control, bidi and zero-width characters never reach a screen; runs of space fold.
    shop.service
        .rename_staff(
            &manager,
            deputy_id,
            "  Li\u{200B} \u{202E}Wei\u{1b}[2J\t 李伟 ",
        )
        .expect("rename");
    let listed = shop.service.list_staff(&manager).expect("list");
    let renamed = listed.iter().find(|s| s.id == deputy_id).expect("deputy");
    assert_eq!(renamed.display_name, "Li Wei[2J 李伟");
    assert_eq!(renamed.username, DEPUTY, "the login name stays");

    for bad in ["", " \u{200B}\u{202E} ", &"名".repeat(61)] {
        assert!(
            matches!(
                shop.service.rename_staff(&manager, deputy_id, bad),
                Err(ServiceError::InvalidInput(_))
            ),
            "{bad:?}"
        );
    }
    shop.service
        .rename_staff(&manager, deputy_id, &"名".repeat(60))
        .expect("sixty characters fit");
    // A manager may rename themselves.
    let own = manager_id(&shop, &manager);
    shop.service
        .rename_staff(&manager, own, "Owner")
        .expect("own name");

    // A new name is not a new permission: the cashier carries on.
    shop.service
        .list_services(&cashier)
        .expect("still logged in");

    let page = shop
        .service
        .audit_log(
            &manager,
            &frontdesk::service::AuditFilter {
                action_prefix: Some("staff.updated".into()),
                ..Default::default()
            },
        )
        .expect("audit page");
    assert_eq!(page.entries.len(), 3);
    for entry in &page.entries {
        assert_eq!(entry.fields, vec!["display_name".to_owned()]);
        let text = format!("{entry:?}");
        assert!(!text.contains("Wei") && !text.contains('名') && !text.contains("Owner"));
    }
}

/// Two managers, each with a fresh code, acting against each other on two threads released
/// together. Whatever the order, one manager remains.
fn race(
    act: impl Fn(&Shop, &Session, RecordId) -> Result<(), ServiceError> + Send + Sync + 'static,
) {
    let act = Arc::new(act);
    for round in 0..2 {
        let shop = Arc::new(open_shop());
        let manager = shop.manager();
        let (deputy_id, secret) = add_deputy(&shop, &manager, Role::Manager);
        let second = deputy(&shop, &secret);
        step_up(&shop, &manager, &shop.manager_secret);
        step_up(&shop, &second, &secret);
        let owner_id = manager_id(&shop, &manager);
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = [(manager, deputy_id), (second, owner_id)]
            .into_iter()
            .map(|(session, target)| {
                let shop = Arc::clone(&shop);
                let barrier = Arc::clone(&barrier);
                let act = Arc::clone(&act);
                std::thread::spawn(move || {
                    barrier.wait();
                    act(&shop, &session, target)
                })
            })
            .collect();
        let results: Vec<_> = handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect();
        assert_eq!(active_managers(&shop), 1, "round {round}: {results:?}");
        assert_eq!(
            results.iter().filter(|r| r.is_ok()).count(),
            1,
            "round {round}: {results:?}"
        );
    }
}

#[test]
fn two_managers_demoting_each_other_at_once_leave_one_manager() {
    race(|shop, session, target| {
        shop.service
            .change_staff_role(session, target, Role::Cashier)
    });
}

#[test]
fn two_managers_disabling_each_other_at_once_leave_one_manager() {
    race(|shop, session, target| shop.service.disable_staff(session, target));
}

#[test]
fn one_demoting_while_the_other_disables_leaves_one_manager() {
    race(|shop, session, target| {
        // The first manager demotes; the second disables.
        if shop
            .service
            .session_info(session)
            .is_some_and(|info| info.username == common::MANAGER)
        {
            shop.service
                .change_staff_role(session, target, Role::Cashier)
        } else {
            shop.service.disable_staff(session, target)
        }
    });
}

#[test]
fn a_demoted_manager_cannot_act_on_the_authority_they_just_lost() {
    let shop = open_shop();
    let manager = shop.manager();
    let (_, secret) = add_deputy(&shop, &manager, Role::Manager);
    let second = deputy(&shop, &secret);
    step_up(&shop, &second, &secret);
    let owner_id = manager_id(&shop, &manager);
    // The deputy demotes the owner; the owner's session ends with the change.
    shop.service
        .change_staff_role(&second, owner_id, Role::Cashier)
        .expect("demote the owner");
    assert!(matches!(
        shop.service.list_staff(&manager),
        Err(ServiceError::SessionEnded)
    ));
    // And now the deputy is the last manager: nobody can take that away.
    assert_eq!(active_managers(&shop), 1);
}
