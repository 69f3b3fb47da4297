//! Logins made in parallel, as an attacker with many connections makes them: the throttle,
//! the hourly cap and single use of codes hold exactly as they do one attempt at a time.

mod common;

use std::sync::{Arc, Barrier};

use chrono::Duration;
use common::*;
use frontdesk::audit::{AuditAction, Origin};
use frontdesk::service::{LoginRequest, SecondFactor, ServiceError, Session};
use secrecy::SecretString;

/// What one parallel attempt came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    LoggedIn,
    Refused,
    Throttled,
}

/// Sends `attempts` logins at the same instant, each from its own SSH peer address, and
/// returns how each ended.
fn at_once(shop: &Shop, attempts: Vec<(String, SecondFactor)>) -> Vec<Outcome> {
    let start = Arc::new(Barrier::new(attempts.len()));
    let workers: Vec<_> = attempts
        .into_iter()
        .enumerate()
        .map(|(index, (password, second_factor))| {
            let service = Arc::clone(&shop.service);
            let start = Arc::clone(&start);
            std::thread::spawn(move || {
                let request = LoginRequest {
                    username: MANAGER.to_owned(),
                    password: SecretString::from(password),
                    second_factor,
                    origin: Origin::Ssh {
                        peer: format!("127.0.0.{}:40{index:03}", index + 2),
                    },
                    ssh_key: None,
                };
                start.wait();
                service.login(request)
            })
        })
        .collect();
    workers
        .into_iter()
        .map(|worker| match worker.join().expect("login thread") {
            Ok(_) => Outcome::LoggedIn,
            Err(ServiceError::InvalidCredentials) => Outcome::Refused,
            Err(ServiceError::Throttled(_)) => Outcome::Throttled,
            Err(other) => panic!("unexpected login error: {other}"),
        })
        .collect()
}

fn count(outcomes: &[Outcome], wanted: Outcome) -> usize {
    outcomes.iter().filter(|&&o| o == wanted).count()
}

fn wrong_passwords(n: usize) -> Vec<(String, SecondFactor)> {
    (0..n)
        .map(|i| {
            (
                format!("not the password {i}"),
                SecondFactor::Totp("123456".to_owned()),
            )
        })
        .collect()
}

fn count_actions(shop: &Shop, wanted: AuditAction) -> usize {
    audit_actions(shop.service.store())
        .into_iter()
        .filter(|&action| action == wanted)
        .count()
}

#[test]
fn forty_wrong_passwords_at_once_get_exactly_the_sequential_allowance() {
    let shop = open_shop();
    let outcomes = at_once(&shop, wrong_passwords(40));
    // Five failures are free and the sixth starts the first delay, one at a time or not.
    assert_eq!(count(&outcomes, Outcome::Refused), 6, "{outcomes:?}");
    assert_eq!(count(&outcomes, Outcome::Throttled), 34, "{outcomes:?}");
    assert_eq!(count_actions(&shop, AuditAction::LoginFailed), 6);
    assert_eq!(count_actions(&shop, AuditAction::LoginThrottled), 34);
}

#[test]
fn parallel_bursts_never_get_more_than_the_hourly_cap_of_credential_checks() {
    let shop = open_shop();
    let mut checked = 0;
    let mut rounds = 0;
    let manager_can_log_in = |shop: &Shop| -> Result<Session, ServiceError> {
        let code = phone_code(&shop.manager_secret, shop.clock.now_for_tests());
        shop.login(MANAGER, MANAGER_PASSWORD, &code)
    };
    loop {
        rounds += 1;
        let outcomes = at_once(&shop, wrong_passwords(8));
        checked += count(&outcomes, Outcome::Refused);
        assert_eq!(count(&outcomes, Outcome::LoggedIn), 0);
        // Past the delay, the manager's own login ends the run of failures, so only the
        // hourly cap can stop the next burst.
        shop.clock.advance(Duration::seconds(30));
        let own = manager_can_log_in(&shop);
        if own.is_err() {
            break;
        }
        assert!(rounds < 30, "the hourly cap never came into force");
    }
    assert_eq!(checked, 100);
    assert_eq!(count_actions(&shop, AuditAction::LoginFailed), 100);
    // The cap holds the real manager out too, until the oldest failure is an hour old.
    let first_burst = start_time();
    shop.clock
        .set(first_burst + Duration::minutes(59) + Duration::seconds(59));
    assert!(matches!(
        manager_can_log_in(&shop),
        Err(ServiceError::Throttled(_))
    ));
    shop.clock.set(first_burst + Duration::hours(1));
    manager_can_log_in(&shop).expect("the cap lifts after an hour");
}

#[test]
fn one_authenticator_code_sent_by_eight_logins_at_once_logs_in_once() {
    let shop = open_shop();
    let code = phone_code(&shop.manager_secret, shop.clock.now_for_tests());
    let attempts = (0..8)
        .map(|_| {
            (
                MANAGER_PASSWORD.to_owned(),
                SecondFactor::Totp(code.clone()),
            )
        })
        .collect();
    let outcomes = at_once(&shop, attempts);
    assert_eq!(count(&outcomes, Outcome::LoggedIn), 1, "{outcomes:?}");
    assert_eq!(count_actions(&shop, AuditAction::LoginSucceeded), 1);
}

#[test]
fn one_recovery_code_sent_by_four_logins_at_once_logs_in_once() {
    let shop = open_shop();
    let recovery = shop.manager_recovery_codes[3].clone();
    let attempts = (0..4)
        .map(|_| {
            (
                MANAGER_PASSWORD.to_owned(),
                SecondFactor::RecoveryCode(SecretString::from(recovery.clone())),
            )
        })
        .collect();
    let outcomes = at_once(&shop, attempts);
    assert_eq!(count(&outcomes, Outcome::LoggedIn), 1, "{outcomes:?}");
    assert_eq!(count(&outcomes, Outcome::Refused), 3, "{outcomes:?}");
    assert_eq!(count_actions(&shop, AuditAction::RecoveryCodeUsed), 1);
}
