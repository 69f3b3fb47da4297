//! Staff enrol themselves: the manager hands over a temporary password and never sees the
//! new person's second factor; the first login with it can only finish enrolling; the
//! temporary password works once and expires. A setup stopped before the owner enrolled
//! resumes instead of locking them out.

mod common;

use std::sync::Arc;

use common::*;
use frontdesk::audit::{AuditAction, Origin, decode};
use frontdesk::clock::ManualClock;
use frontdesk::domain::access::Role;
use frontdesk::entropy::SeededEntropy;
use frontdesk::service::{
    EnrolmentStep, InitialSetup, LoginRequest, NewStaff, SecondFactor, Service, ServiceError,
    TEMPORARY_PASSWORD_VALIDITY, TemporaryLogin, check_unfinished_setup_discardable,
};
use frontdesk::store::Store;
use secrecy::{ExposeSecret, SecretString};

const ZOE_PASSWORD: &str = "kettle harbour violet lantern";

fn first_login(
    shop: &Shop,
    username: &str,
    password: &str,
) -> Result<frontdesk::service::Session, ServiceError> {
    shop.service.login(LoginRequest {
        username: username.to_owned(),
        password: SecretString::from(password.to_owned()),
        second_factor: SecondFactor::Absent,
        origin: Origin::Local,
        ssh_key: None,
    })
}

fn create_zoe(shop: &Shop, manager: &frontdesk::service::Session) -> TemporaryLogin {
    shop.service
        .create_staff(
            manager,
            NewStaff {
                username: "Zoe".to_owned(),
                display_name: "Zoe".to_owned(),
                role: Role::Cashier,
            },
        )
        .expect("create zoe")
}

fn audit_actions(shop: &Shop) -> Vec<AuditAction> {
    let reader = shop.service.store().read().unwrap();
    reader
        .audit_stream()
        .unwrap()
        .map(|(_, bytes)| decode(&bytes).unwrap().action)
        .collect()
}

#[test]
fn the_manager_gets_only_a_temporary_password_never_the_second_factor() {
    let shop = open_shop();
    let manager = shop.manager();
    let login = create_zoe(&shop, &manager);
    // Every field, named: a second factor added to what the manager receives breaks this.
    let TemporaryLogin {
        staff_id,
        username,
        password,
        expires_at,
    } = &login;
    assert_eq!(username, "zoe");
    assert_eq!(
        *expires_at,
        start_time() + chrono::Duration::seconds(30) + TEMPORARY_PASSWORD_VALIDITY
    );
    let groups: Vec<&str> = password.expose_secret().split('-').collect();
    assert_eq!(groups.len(), 4);
    assert!(!format!("{login:?}").contains(password.expose_secret()));
    let listed = shop.service.list_staff(&manager).unwrap();
    let zoe = listed.iter().find(|s| s.id == *staff_id).unwrap();
    assert!(!zoe.authenticator_active);
    assert_eq!(zoe.recovery_codes_left, 0);
}

#[test]
fn a_first_login_can_only_enrol_and_the_temporary_password_works_once() {
    let shop = open_shop();
    let manager = shop.manager();
    let login = create_zoe(&shop, &manager);
    let temporary = login.password.expose_secret().to_owned();

    let session = first_login(&shop, "zoe", &temporary).unwrap();
    let info = shop.service.session_info(&session).unwrap();
    assert_eq!(info.enrolment, Some(EnrolmentStep::ChoosePassword));
    for refused in [
        shop.service.search_members(&session, "x").map(drop),
        shop.service.list_staff(&session).map(drop),
        shop.service.my_preferences(&session).map(drop),
        shop.service
            .change_own_password(
                &session,
                &SecretString::from(temporary.clone()),
                &SecretString::from(ZOE_PASSWORD.to_owned()),
            )
            .map(drop),
    ] {
        assert!(
            matches!(refused, Err(ServiceError::EnrolmentRequired)),
            "{refused:?}"
        );
    }
    // The authenticator comes after the password.
    assert!(
        shop.service
            .begin_authenticator_enrolment(&session)
            .is_err()
    );
    assert!(matches!(
        shop.service
            .choose_enrolment_password(&session, &SecretString::from("password1".to_owned())),
        Err(ServiceError::WeakPassword(_))
    ));
    shop.service
        .choose_enrolment_password(&session, &SecretString::from(ZOE_PASSWORD.to_owned()))
        .unwrap();
    let enrolment = shop
        .service
        .begin_authenticator_enrolment(&session)
        .unwrap();
    let secret = secret_from_base32(&enrolment.secret_base32);

    // A wrong code says so, and how to check the phone's clock; it is audited.
    let wrong = shop
        .service
        .finish_enrolment(&session, "000000")
        .unwrap_err();
    assert!(
        matches!(wrong, ServiceError::EnrolmentCodeMismatch),
        "{wrong}"
    );
    assert!(wrong.to_string().contains("did not match"));
    assert!(wrong.to_string().contains("clock"));
    assert!(!wrong.to_string().contains("Login failed"));
    assert!(shop.service.search_members(&session, "x").is_err());

    let code = phone_code(&secret, shop.clock.now_for_tests());
    let codes = shop.service.finish_enrolment(&session, &code).unwrap();
    assert_eq!(codes.len(), 10);
    shop.service.search_members(&session, "x").unwrap();
    assert_eq!(shop.service.session_info(&session).unwrap().enrolment, None);
    shop.service.logout(&session).unwrap();
    shop.next_step();

    // The temporary password is gone; the chosen one and the new authenticator log in.
    assert!(matches!(
        first_login(&shop, "zoe", &temporary),
        Err(ServiceError::InvalidCredentials)
    ));
    assert!(matches!(
        first_login(&shop, "zoe", ZOE_PASSWORD),
        Err(ServiceError::InvalidCredentials)
    ));
    let code = phone_code(&secret, shop.clock.now_for_tests());
    shop.login("zoe", ZOE_PASSWORD, &code).unwrap();

    let actions = audit_actions(&shop);
    for expected in [
        AuditAction::EnrolmentStarted,
        AuditAction::EnrolmentFailed,
        AuditAction::EnrolmentFinished,
        AuditAction::TotpActivated,
    ] {
        assert!(actions.contains(&expected), "{expected:?} in {actions:?}");
    }
}

#[test]
fn a_temporary_password_is_spent_by_its_first_login_even_unfinished() {
    let shop = open_shop();
    let manager = shop.manager();
    let login = create_zoe(&shop, &manager);
    let temporary = login.password.expose_secret().to_owned();
    let session = first_login(&shop, "zoe", &temporary).unwrap();
    shop.service.logout(&session).unwrap();
    assert!(matches!(
        first_login(&shop, "zoe", &temporary),
        Err(ServiceError::InvalidCredentials)
    ));
}

#[test]
fn a_temporary_password_expires() {
    let shop = open_shop();
    let manager = shop.manager();
    let login = create_zoe(&shop, &manager);
    shop.clock
        .advance(TEMPORARY_PASSWORD_VALIDITY + chrono::Duration::seconds(1));
    assert!(matches!(
        first_login(&shop, "zoe", login.password.expose_secret()),
        Err(ServiceError::InvalidCredentials)
    ));
}

#[test]
fn two_logins_racing_with_one_temporary_password_let_exactly_one_in() {
    let shop = open_shop();
    let manager = shop.manager();
    let login = create_zoe(&shop, &manager);
    let temporary = login.password.expose_secret().to_owned();
    let results: Vec<bool> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| scope.spawn(|| first_login(&shop, "zoe", &temporary).is_ok()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results.iter().filter(|ok| **ok).count(), 1, "{results:?}");
}

#[test]
fn an_enrolled_account_still_needs_its_code() {
    let shop = open_shop();
    assert!(matches!(
        shop.service.login(LoginRequest {
            username: MANAGER.to_owned(),
            password: SecretString::from(MANAGER_PASSWORD.to_owned()),
            second_factor: SecondFactor::Absent,
            origin: Origin::Local,
            ssh_key: None,
        }),
        Err(ServiceError::InvalidCredentials)
    ));
}

#[test]
fn a_reset_voids_password_authenticator_and_codes_and_ends_sessions() {
    let shop = open_shop();
    let manager = shop.manager();
    let secret = shop.add_cashier(&manager);
    let cashier = shop.cashier(&secret);
    let cashier_id = shop.service.session_info(&cashier).unwrap().staff_id;
    let login = shop
        .service
        .reset_staff_authenticator(&manager, cashier_id)
        .unwrap();
    assert!(matches!(
        shop.service.search_members(&cashier, "x"),
        Err(ServiceError::SessionEnded)
    ));
    let code = phone_code(&secret, shop.clock.now_for_tests());
    assert!(shop.login(CASHIER, CASHIER_PASSWORD, &code).is_err());
    shop.next_step();
    let renewed = shop.enrol(CASHIER, login.password.expose_secret(), ZOE_PASSWORD);
    assert_ne!(renewed, secret);
    let code = phone_code(&renewed, shop.clock.now_for_tests());
    shop.login(CASHIER, ZOE_PASSWORD, &code).unwrap();
    // A manager cannot reset their own login into enrolment.
    let me = shop.service.session_info(&manager).unwrap().staff_id;
    assert!(shop.service.reset_staff_password(&manager, me).is_err());
}

fn wizard_setup(dir: &std::path::Path, clock: Arc<ManualClock>) -> Service {
    Service::begin_setup(
        Store::create(dir).unwrap(),
        clock,
        Arc::new(SeededEntropy::new(9)),
        InitialSetup {
            shop_name: "Sparkle Car Wash".to_owned(),
            timezone: "America/Vancouver".to_owned(),
            currency: "CAD".to_owned(),
            manager_username: "Owner".to_owned(),
            manager_password: SecretString::from(MANAGER_PASSWORD.to_owned()),
            demo: false,
        },
        Origin::Local,
    )
    .unwrap()
}

#[test]
fn a_setup_stopped_before_the_authenticator_resumes_with_the_owner_password() {
    let dir = tempfile::tempdir().unwrap();
    let clock = Arc::new(ManualClock::new(start_time()));
    // Killed right after the shop was created: only the store file remains.
    let wizard = wizard_setup(dir.path(), clock.clone());
    wizard.wait_for_name_index();
    drop(wizard);
    let store = Store::open(dir.path()).unwrap();
    check_unfinished_setup_discardable(&store).unwrap();
    let service = Service::new(store, clock.clone(), Arc::new(SeededEntropy::new(10)));
    let unfinished = service
        .unfinished_setup()
        .unwrap()
        .expect("setup unfinished");
    assert_eq!(unfinished.owner_username, "owner");
    let request = |second_factor| LoginRequest {
        username: "owner".to_owned(),
        password: SecretString::from(MANAGER_PASSWORD.to_owned()),
        second_factor,
        origin: Origin::Local,
        ssh_key: None,
    };
    let session = service.login(request(SecondFactor::Absent)).unwrap();
    assert_eq!(
        service.session_info(&session).unwrap().enrolment,
        Some(EnrolmentStep::Authenticator)
    );
    let enrolment = service.begin_authenticator_enrolment(&session).unwrap();
    let secret = secret_from_base32(&enrolment.secret_base32);
    service
        .finish_enrolment(&session, &phone_code(&secret, clock.now_for_tests()))
        .unwrap();
    assert_eq!(service.unfinished_setup().unwrap(), None);
    assert!(check_unfinished_setup_discardable(service.store()).is_err());
    service.logout(&session).unwrap();
    clock.advance(chrono::Duration::seconds(30));
    assert!(service.login(request(SecondFactor::Absent)).is_err());
    let code = phone_code(&secret, clock.now_for_tests());
    service.login(request(SecondFactor::Totp(code))).unwrap();
}
