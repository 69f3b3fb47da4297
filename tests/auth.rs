//! Staff authentication through the service layer: TOTP skew and replay, identical failures,
//! throttling across origins, recovery codes, idle lock, expiry, and password changes.

mod common;

use chrono::Duration;
use common::*;
use frontdesk::audit::Origin;
use frontdesk::service::{LoginRequest, SecondFactor, ServiceError, SessionStatus};
use secrecy::SecretString;

#[test]
fn a_code_from_an_independent_authenticator_logs_the_manager_in() {
    let shop = open_shop();
    let session = shop.manager();
    let info = shop.service.session_info(&session).unwrap();
    assert_eq!(info.username, MANAGER);
    assert_eq!(info.status, SessionStatus::Active);
}

#[test]
fn codes_one_step_off_are_accepted_and_two_steps_off_refused() {
    let shop = open_shop();
    let now = shop.clock.now_for_tests();
    let behind = phone_code(&shop.manager_secret, now - Duration::seconds(30));
    assert!(shop.login(MANAGER, MANAGER_PASSWORD, &behind).is_ok());
    shop.next_step();
    let now = shop.clock.now_for_tests();
    let ahead = phone_code(&shop.manager_secret, now + Duration::seconds(30));
    assert!(shop.login(MANAGER, MANAGER_PASSWORD, &ahead).is_ok());
    shop.clock.advance(Duration::seconds(120));
    let now = shop.clock.now_for_tests();
    for skew in [-60, 60] {
        let far = phone_code(&shop.manager_secret, now + Duration::seconds(skew));
        let err = shop.login(MANAGER, MANAGER_PASSWORD, &far).unwrap_err();
        assert!(
            matches!(err, ServiceError::InvalidCredentials),
            "{skew}: {err}"
        );
    }
}

#[test]
fn a_code_is_accepted_only_once() {
    let shop = open_shop();
    let code = phone_code(&shop.manager_secret, shop.clock.now_for_tests());
    shop.login(MANAGER, MANAGER_PASSWORD, &code).unwrap();
    let replay = shop.login(MANAGER, MANAGER_PASSWORD, &code).unwrap_err();
    assert!(matches!(replay, ServiceError::InvalidCredentials));
}

#[test]
fn unknown_user_wrong_password_and_wrong_code_fail_identically() {
    let shop = open_shop();
    let code = phone_code(&shop.manager_secret, shop.clock.now_for_tests());
    let unknown = shop.login("nobody", MANAGER_PASSWORD, &code).unwrap_err();
    let password = shop
        .login(MANAGER, "not the password at all", &code)
        .unwrap_err();
    let wrong_code = shop.login(MANAGER, MANAGER_PASSWORD, "000000").unwrap_err();
    assert_eq!(unknown.to_string(), password.to_string());
    assert_eq!(password.to_string(), wrong_code.to_string());
    assert!(!unknown.to_string().contains("nobody"));
}

#[test]
fn repeated_failures_are_throttled_across_origins_and_the_refusal_reveals_nothing() {
    let shop = open_shop();
    let ssh = Origin::Ssh {
        peer: "127.0.0.1:50022".to_owned(),
    };
    for attempt in 0..5 {
        let origin = if attempt % 2 == 0 {
            Origin::Local
        } else {
            ssh.clone()
        };
        let err = shop
            .login_from(MANAGER, "wrong password here", "123456", origin)
            .unwrap_err();
        assert!(
            matches!(err, ServiceError::InvalidCredentials),
            "attempt {attempt}: {err}"
        );
    }
    // The sixth failure starts a delay; the right credentials are refused during it.
    let _ = shop.login(MANAGER, "wrong password here", "123456");
    let code = phone_code(&shop.manager_secret, shop.clock.now_for_tests());
    let throttled = shop
        .login_from(MANAGER, MANAGER_PASSWORD, &code, ssh)
        .unwrap_err();
    assert!(
        matches!(throttled, ServiceError::Throttled(_)),
        "{throttled}"
    );

    // An unknown name is throttled the same way, so throttling does not reveal accounts.
    for _ in 0..6 {
        let _ = shop.login("ghost", "wrong password here", "123456");
    }
    let ghost = shop
        .login("ghost", "wrong password here", "123456")
        .unwrap_err();
    assert!(matches!(ghost, ServiceError::Throttled(_)), "{ghost}");

    // After the delay has passed the manager gets in.
    shop.clock.advance(Duration::minutes(20));
    let code = phone_code(&shop.manager_secret, shop.clock.now_for_tests());
    shop.login(MANAGER, MANAGER_PASSWORD, &code).unwrap();
}

#[test]
fn a_recovery_code_works_once_in_place_of_the_authenticator() {
    let shop = open_shop();
    let code = shop.manager_recovery_codes[3].clone();
    let request = |code: &str| LoginRequest {
        username: MANAGER.to_owned(),
        password: SecretString::from(MANAGER_PASSWORD.to_owned()),
        second_factor: SecondFactor::RecoveryCode(SecretString::from(code.to_owned())),
        origin: Origin::Local,
        ssh_key: None,
    };
    shop.service.login(request(&code)).unwrap();
    let again = shop.service.login(request(&code)).unwrap_err();
    assert!(matches!(again, ServiceError::InvalidCredentials));
    // Typed in lowercase without dashes it is the same code (already used).
    let sloppy = code.replace('-', "").to_lowercase();
    assert!(shop.service.login(request(&sloppy)).is_err());
    let another = shop.manager_recovery_codes[7]
        .replace('-', " ")
        .to_lowercase();
    shop.service.login(request(&another)).unwrap();
}

#[test]
fn an_idle_session_locks_unlocks_with_the_password_and_expires_after_twelve_hours() {
    let shop = open_shop();
    let session = shop.manager();
    shop.clock.advance(Duration::minutes(6));
    let locked = shop
        .service
        .search_members(&session, "anything")
        .unwrap_err();
    assert!(matches!(locked, ServiceError::SessionLocked));
    let wrong = shop
        .service
        .unlock(&session, &SecretString::from("not my password!".to_owned()));
    assert!(wrong.is_err());
    shop.service
        .unlock(&session, &SecretString::from(MANAGER_PASSWORD.to_owned()))
        .unwrap();
    shop.service.search_members(&session, "anything").unwrap();

    shop.clock.advance(Duration::hours(12));
    let ended = shop
        .service
        .search_members(&session, "anything")
        .unwrap_err();
    assert!(matches!(
        ended,
        ServiceError::SessionEnded | ServiceError::SessionLocked
    ));
    let unlock = shop
        .service
        .unlock(&session, &SecretString::from(MANAGER_PASSWORD.to_owned()));
    assert!(matches!(unlock, Err(ServiceError::SessionEnded)));
}

#[test]
fn disabling_an_account_ends_its_sessions() {
    let shop = open_shop();
    let manager = shop.manager();
    let secret = shop.add_cashier(&manager);
    let cashier = shop.cashier(&secret);
    shop.service.search_members(&cashier, "x").unwrap();
    let staff = shop.service.list_staff(&manager).unwrap();
    let cashier_id = staff.iter().find(|s| s.username == CASHIER).unwrap().id;
    shop.service.disable_staff(&manager, cashier_id).unwrap();
    let ended = shop.service.search_members(&cashier, "x").unwrap_err();
    assert!(matches!(ended, ServiceError::SessionEnded));
    let code = phone_code(&secret, shop.clock.now_for_tests());
    assert!(shop.login(CASHIER, CASHIER_PASSWORD, &code).is_err());
}

#[test]
fn a_changed_password_rewraps_the_store_key_and_the_old_one_stops_working() {
    let shop = open_shop();
    let session = shop.manager();
    let new_password = "lantern meadow pebble orchard";
    shop.service
        .change_own_password(
            &session,
            &SecretString::from(MANAGER_PASSWORD.to_owned()),
            &SecretString::from(new_password.to_owned()),
        )
        .unwrap();
    let store_dir = shop.dir.path().to_path_buf();
    let secret = shop.manager_secret.clone();
    let clock = shop.clock.clone();
    drop(shop.service);

    // A fresh process: the store is locked and only the new password unlocks it.
    let service = frontdesk::service::Service::new(
        reopen_store(&store_dir, shop.database.as_ref()),
        clock.clone(),
        std::sync::Arc::new(frontdesk::entropy::SeededEntropy::new(9)),
    );
    let login = |password: &str| {
        clock.advance(Duration::seconds(30));
        service.login(LoginRequest {
            username: MANAGER.to_owned(),
            password: SecretString::from(password.to_owned()),
            second_factor: SecondFactor::Totp(phone_code(&secret, clock.now_for_tests())),
            origin: Origin::Local,
            ssh_key: None,
        })
    };
    assert!(matches!(
        login(MANAGER_PASSWORD),
        Err(ServiceError::InvalidCredentials)
    ));
    let session = login(new_password).unwrap();
    service.search_members(&session, "x").unwrap();
}

#[test]
fn a_weak_new_password_is_refused_with_a_reason() {
    let shop = open_shop();
    let session = shop.manager();
    let err = shop
        .service
        .change_own_password(
            &session,
            &SecretString::from(MANAGER_PASSWORD.to_owned()),
            &SecretString::from("password123".to_owned()),
        )
        .unwrap_err();
    assert!(matches!(err, ServiceError::WeakPassword(_)), "{err}");
    assert!(!err.to_string().contains("password123"));
}

#[test]
fn a_weak_stored_hash_is_upgraded_at_the_next_login() {
    use argon2::{Algorithm, Argon2, Params, PasswordHasher, Version};
    use frontdesk::store::ReadAccess;

    let shop = open_shop();
    let params = Params::new(8192, 1, 1, None).unwrap();
    let weak = Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_with_salt(MANAGER_PASSWORD.as_bytes(), b"an-old-salt-1234")
        .unwrap()
        .to_string();
    {
        let mut writer = shop.service.store().write().unwrap();
        let mut staff = writer.staff_by_username(MANAGER).unwrap().unwrap();
        staff.password_hash = weak.clone();
        writer.put_staff(&staff).unwrap();
        writer.commit().unwrap();
    }
    shop.manager();
    let staff = shop
        .service
        .store()
        .read()
        .unwrap()
        .staff_by_username(MANAGER)
        .unwrap()
        .unwrap();
    assert_ne!(staff.password_hash, weak);
    assert!(
        staff
            .password_hash
            .starts_with("$argon2id$v=19$m=65536,t=3,p=1$"),
        "{}",
        staff.password_hash
    );
    assert_eq!(staff.store_key_wrap.params.memory_kib, 65536);
    // And the upgraded hash still logs in.
    shop.manager();
}
