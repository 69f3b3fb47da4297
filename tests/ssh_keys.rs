//! Staff SSH public keys through the service layer: managing them (manager only, audited),
//! the SSH layer's pre-check, and a required key at login over SSH — an extra factor on top of
//! password and code, never a replacement for them.

mod common;

use common::*;
use frontdesk::audit::{AuditAction, AuditEntry, Origin, Outcome, decode};
use frontdesk::ids::RecordId;
use frontdesk::service::{
    LoginRequest, MAX_SSH_KEYS_PER_STAFF, SecondFactor, ServiceError, Session,
};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use russh::keys::{Algorithm, EcdsaCurve, PrivateKey};
use secrecy::SecretString;

fn ed25519(seed: u64) -> PrivateKey {
    PrivateKey::random(&mut ChaCha20Rng::seed_from_u64(seed), Algorithm::Ed25519).unwrap()
}

fn pub_line(key: &PrivateKey, comment: &str) -> String {
    let mut public = key.public_key().clone();
    public.set_comment(comment);
    public.to_openssh().unwrap()
}

fn fingerprint(key: &PrivateKey) -> String {
    key.public_key()
        .fingerprint(russh::keys::HashAlg::Sha256)
        .to_string()
}

fn ssh() -> Origin {
    Origin::Ssh {
        peer: "203.0.113.7:50022".to_owned(),
    }
}

fn audit(shop: &Shop) -> Vec<AuditEntry> {
    shop.service
        .store()
        .read()
        .unwrap()
        .audit_stream()
        .unwrap()
        .map(|(_, bytes)| decode(&bytes).unwrap())
        .collect()
}

fn last_of(shop: &Shop, action: AuditAction) -> AuditEntry {
    audit(shop)
        .into_iter()
        .rev()
        .find(|entry| entry.action == action)
        .unwrap_or_else(|| panic!("no {action} entry"))
}

/// The manager logging in with a fresh code from `origin`, proving `ssh_key` if given.
fn manager_login(
    shop: &Shop,
    password: &str,
    origin: Origin,
    ssh_key: Option<String>,
) -> Result<Session, ServiceError> {
    shop.next_step();
    shop.service.login(LoginRequest {
        username: MANAGER.to_owned(),
        password: SecretString::from(password.to_owned()),
        second_factor: SecondFactor::Totp(phone_code(
            &shop.manager_secret,
            shop.clock.now_for_tests(),
        )),
        origin,
        ssh_key,
    })
}

fn manager_id(shop: &Shop, session: &Session) -> RecordId {
    shop.service.session_info(session).unwrap().staff_id
}

#[test]
fn a_manager_adds_lists_and_removes_keys_and_each_change_is_audited() {
    let shop = open_shop();
    let manager = shop.manager();
    let me = manager_id(&shop, &manager);
    let laptop = ed25519(1);
    let phone = PrivateKey::random(
        &mut ChaCha20Rng::seed_from_u64(2),
        Algorithm::Ecdsa {
            curve: EcdsaCurve::NistP256,
        },
    )
    .unwrap();

    let empty = shop.service.staff_ssh_keys(&manager, me).unwrap();
    assert_eq!(empty.username, MANAGER);
    assert!(empty.keys.is_empty() && !empty.required);

    let added = shop
        .service
        .add_staff_ssh_key(&manager, me, &pub_line(&laptop, "manager@laptop"))
        .unwrap();
    assert_eq!(added.fingerprint, fingerprint(&laptop));
    assert_eq!(added.label, "manager@laptop");
    assert_eq!(added.added_by, me);
    shop.service
        .add_staff_ssh_key(&manager, me, &pub_line(&phone, ""))
        .unwrap();
    let listed = shop.service.staff_ssh_keys(&manager, me).unwrap();
    let fingerprints: Vec<&str> = listed.keys.iter().map(|k| k.fingerprint.as_str()).collect();
    assert_eq!(fingerprints, [fingerprint(&laptop), fingerprint(&phone)]);
    assert_eq!(listed.keys[1].algorithm, "ecdsa-sha2-nistp256");

    let entry = last_of(&shop, AuditAction::SshKeyAdded);
    assert_eq!(entry.objects, [me.to_string()]);
    assert_eq!(
        entry.detail.as_deref(),
        Some(format!("ecdsa-sha2-nistp256 {}", fingerprint(&phone)).as_str())
    );

    shop.service
        .remove_staff_ssh_key(&manager, me, &fingerprint(&laptop))
        .unwrap();
    let left = shop.service.staff_ssh_keys(&manager, me).unwrap();
    assert_eq!(left.keys.len(), 1);
    assert_eq!(left.keys[0].fingerprint, fingerprint(&phone));
    let entry = last_of(&shop, AuditAction::SshKeyRemoved);
    assert_eq!(entry.objects, [me.to_string()]);
    assert!(
        entry
            .detail
            .as_deref()
            .unwrap()
            .ends_with(&fingerprint(&laptop))
    );
    assert!(matches!(
        shop.service
            .remove_staff_ssh_key(&manager, me, &fingerprint(&laptop)),
        Err(ServiceError::NotFound(_))
    ));
    // The label is the staff member's own comment; the log keeps to ids and fingerprints.
    assert!(
        audit(&shop)
            .iter()
            .all(|e| !format!("{e:?}").contains("laptop"))
    );
}

#[test]
fn rsa_duplicates_garbage_and_too_many_keys_are_refused_with_a_reason() {
    let shop = open_shop();
    let manager = shop.manager();
    let me = manager_id(&shop, &manager);
    let cashier_secret = shop.create_cashier(&manager);
    drop(cashier_secret);
    let cashier_id = shop
        .service
        .list_staff(&manager)
        .unwrap()
        .into_iter()
        .find(|s| s.username == CASHIER)
        .unwrap()
        .id;
    let rsa = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC+lSvXXI6fG6ffJdbPKaR1QQnH/DwOVAuNvZ9hNJcwXdnHNUES7Ln4tkaxkgfhNVcxuu4xyQkzbKNszQueP6lXyeKrqOS6OEEO3mLdhW1R0eLrKJDa+BFKAj78RStX8WyQcHgNV3Ex71lrbqjd4DYHq1COolEbuBp1uBPk7mlzzQ== rsa@example";
    let refused = shop
        .service
        .add_staff_ssh_key(&manager, me, rsa)
        .unwrap_err();
    assert!(
        refused.to_string().contains("RSA keys are not supported"),
        "{refused}"
    );
    let garbage = shop
        .service
        .add_staff_ssh_key(&manager, me, "hello there")
        .unwrap_err();
    assert!(
        garbage.to_string().contains("not an OpenSSH public key"),
        "{garbage}"
    );

    let key = ed25519(5);
    shop.service
        .add_staff_ssh_key(&manager, me, &pub_line(&key, "first"))
        .unwrap();
    let twice = shop
        .service
        .add_staff_ssh_key(&manager, me, &pub_line(&key, "other comment"))
        .unwrap_err();
    assert!(
        twice
            .to_string()
            .contains("already listed for this staff member"),
        "{twice}"
    );
    let shared = shop
        .service
        .add_staff_ssh_key(&manager, cashier_id, &pub_line(&key, "shared"))
        .unwrap_err();
    assert!(
        shared.to_string().contains("another staff member"),
        "{shared}"
    );

    for seed in 100..(100 + MAX_SSH_KEYS_PER_STAFF as u64 - 1) {
        shop.service
            .add_staff_ssh_key(&manager, me, &pub_line(&ed25519(seed), ""))
            .unwrap();
    }
    let too_many = shop
        .service
        .add_staff_ssh_key(&manager, me, &pub_line(&ed25519(999), ""))
        .unwrap_err();
    assert!(too_many.to_string().contains("at most"), "{too_many}");
    assert!(matches!(
        shop.service.add_staff_ssh_key(
            &manager,
            RecordId::from_u128(7),
            &pub_line(&ed25519(998), "")
        ),
        Err(ServiceError::NotFound(_))
    ));
}

#[test]
fn a_key_can_only_be_required_once_listed_and_the_last_required_key_stays() {
    let shop = open_shop();
    let manager = shop.manager();
    let me = manager_id(&shop, &manager);
    let refused = shop
        .service
        .set_staff_ssh_key_required(&manager, me, true)
        .unwrap_err();
    assert!(refused.to_string().contains("add a key first"), "{refused}");
    assert!(!shop.service.staff_ssh_keys(&manager, me).unwrap().required);

    let key = ed25519(9);
    shop.service
        .add_staff_ssh_key(&manager, me, &pub_line(&key, ""))
        .unwrap();
    shop.service
        .set_staff_ssh_key_required(&manager, me, true)
        .unwrap();
    assert!(shop.service.staff_ssh_keys(&manager, me).unwrap().required);
    let entry = last_of(&shop, AuditAction::SshKeyRequirementChanged);
    assert_eq!(entry.detail.as_deref(), Some("required: true"));
    assert_eq!(entry.objects, [me.to_string()]);

    let last = shop
        .service
        .remove_staff_ssh_key(&manager, me, &fingerprint(&key))
        .unwrap_err();
    assert!(
        last.to_string().contains("turn off \"key required\" first"),
        "{last}"
    );
    assert_eq!(
        shop.service
            .staff_ssh_keys(&manager, me)
            .unwrap()
            .keys
            .len(),
        1
    );

    shop.service
        .set_staff_ssh_key_required(&manager, me, false)
        .unwrap();
    shop.service
        .remove_staff_ssh_key(&manager, me, &fingerprint(&key))
        .unwrap();
    let after = shop.service.staff_ssh_keys(&manager, me).unwrap();
    assert!(after.keys.is_empty() && !after.required);
}

#[test]
fn a_cashier_may_neither_see_nor_change_keys_and_the_refusals_are_audited() {
    let shop = open_shop();
    let manager = shop.manager();
    let me = manager_id(&shop, &manager);
    let secret = shop.add_cashier(&manager);
    let cashier = shop.cashier(&secret);
    let denied_before = audit(&shop)
        .iter()
        .filter(|e| e.action == AuditAction::PermissionDenied)
        .count();
    let key = pub_line(&ed25519(11), "");
    let results = [
        shop.service.staff_ssh_keys(&cashier, me).map(drop),
        shop.service.add_staff_ssh_key(&cashier, me, &key).map(drop),
        shop.service.remove_staff_ssh_key(&cashier, me, "SHA256:x"),
        shop.service.set_staff_ssh_key_required(&cashier, me, true),
    ];
    for result in results {
        assert!(
            matches!(result, Err(ServiceError::Forbidden { .. })),
            "{result:?}"
        );
    }
    let denied: Vec<AuditEntry> = audit(&shop)
        .into_iter()
        .filter(|e| e.action == AuditAction::PermissionDenied)
        .collect();
    assert_eq!(denied.len(), denied_before + 4);
    assert!(denied.iter().all(|e| e.outcome == Outcome::Denied));
}

#[test]
fn the_ssh_layer_learns_only_whether_an_offered_key_is_listed_for_an_active_account() {
    let shop = open_shop();
    let manager = shop.manager();
    let me = manager_id(&shop, &manager);
    let listed = ed25519(21);
    let stranger = ed25519(22);
    shop.service
        .add_staff_ssh_key(&manager, me, &pub_line(&listed, ""))
        .unwrap();
    let entries_before = audit(&shop).len();

    assert!(
        shop.service
            .ssh_key_offered_is_known(MANAGER, listed.public_key())
    );
    assert!(
        shop.service
            .ssh_key_offered_is_known(" Manager ", listed.public_key())
    );
    assert!(
        !shop
            .service
            .ssh_key_offered_is_known(MANAGER, stranger.public_key())
    );
    assert!(
        !shop
            .service
            .ssh_key_offered_is_known("nobody", listed.public_key())
    );
    assert!(
        !shop
            .service
            .ssh_key_offered_is_known("", listed.public_key())
    );
    assert_eq!(
        audit(&shop).len(),
        entries_before,
        "an offer is not audited"
    );

    shop.create_cashier(&manager);
    let cashier_id = shop
        .service
        .list_staff(&manager)
        .unwrap()
        .into_iter()
        .find(|s| s.username == CASHIER)
        .unwrap()
        .id;
    let cashier_key = ed25519(23);
    shop.service
        .add_staff_ssh_key(&manager, cashier_id, &pub_line(&cashier_key, ""))
        .unwrap();
    assert!(
        shop.service
            .ssh_key_offered_is_known(CASHIER, cashier_key.public_key())
    );
    assert!(
        !shop
            .service
            .ssh_key_offered_is_known(MANAGER, cashier_key.public_key())
    );
    shop.service.disable_staff(&manager, cashier_id).unwrap();
    assert!(
        !shop
            .service
            .ssh_key_offered_is_known(CASHIER, cashier_key.public_key())
    );
}

#[test]
fn a_required_key_is_an_extra_factor_over_ssh_and_refusals_look_like_a_wrong_password() {
    let shop = open_shop();
    let manager = shop.manager();
    let me = manager_id(&shop, &manager);
    let listed = ed25519(31);
    let other = ed25519(32);
    shop.service
        .add_staff_ssh_key(&manager, me, &pub_line(&listed, ""))
        .unwrap();

    // Listed but not required: a login without a key still works over SSH.
    manager_login(&shop, MANAGER_PASSWORD, ssh(), None).unwrap();
    shop.service
        .set_staff_ssh_key_required(&manager, me, true)
        .unwrap();

    let wrong_password = manager_login(&shop, "not the password at all", ssh(), None).unwrap_err();
    let without_key = manager_login(&shop, MANAGER_PASSWORD, ssh(), None).unwrap_err();
    let failures = audit(&shop)
        .into_iter()
        .filter(|e| e.action == AuditAction::LoginFailed)
        .collect::<Vec<_>>();
    assert_eq!(
        failures.last().unwrap().detail.as_deref(),
        Some("SSH key required but none was proven")
    );
    let other_key =
        manager_login(&shop, MANAGER_PASSWORD, ssh(), Some(fingerprint(&other))).unwrap_err();
    assert_eq!(
        last_of(&shop, AuditAction::LoginFailed).detail.as_deref(),
        Some("SSH key required but the proven one is not listed")
    );
    assert_eq!(
        last_of(&shop, AuditAction::LoginFailed).outcome,
        Outcome::Failed
    );
    for refusal in [&without_key, &other_key] {
        assert!(
            matches!(refusal, ServiceError::InvalidCredentials),
            "{refusal:?}"
        );
        assert_eq!(refusal.to_string(), wrong_password.to_string());
    }
    // The key never stands in for the password.
    let key_but_wrong_password = manager_login(
        &shop,
        "not the password at all",
        ssh(),
        Some(fingerprint(&listed)),
    )
    .unwrap_err();
    assert!(matches!(
        key_but_wrong_password,
        ServiceError::InvalidCredentials
    ));

    // Four failures so far; the fifth free one is not needed: the listed key gets in.
    let session =
        manager_login(&shop, MANAGER_PASSWORD, ssh(), Some(fingerprint(&listed))).unwrap();
    assert!(shop.service.session_info(&session).is_some());
    let success = last_of(&shop, AuditAction::LoginSucceeded);
    assert_eq!(
        success.detail.as_deref(),
        Some(format!("SSH key {}", fingerprint(&listed)).as_str())
    );
    assert!(matches!(success.origin, Origin::Ssh { .. }));

    // At the counter and on the command line the requirement does not apply.
    manager_login(&shop, MANAGER_PASSWORD, Origin::Local, None).unwrap();
    manager_login(
        &shop,
        MANAGER_PASSWORD,
        Origin::Cli {
            command: "passwd".to_owned(),
        },
        None,
    )
    .unwrap();
    assert_eq!(last_of(&shop, AuditAction::LoginSucceeded).detail, None);
}

#[test]
fn refused_key_logins_count_toward_the_throttle() {
    let shop = open_shop();
    let manager = shop.manager();
    let me = manager_id(&shop, &manager);
    shop.service
        .add_staff_ssh_key(&manager, me, &pub_line(&ed25519(41), ""))
        .unwrap();
    shop.service
        .set_staff_ssh_key_required(&manager, me, true)
        .unwrap();
    // A refused login does not use up the code, so the same one is offered each time.
    shop.next_step();
    let code = phone_code(&shop.manager_secret, shop.clock.now_for_tests());
    let attempt = || {
        shop.service.login(LoginRequest {
            username: MANAGER.to_owned(),
            password: SecretString::from(MANAGER_PASSWORD.to_owned()),
            second_factor: SecondFactor::Totp(code.clone()),
            origin: ssh(),
            ssh_key: None,
        })
    };
    for _ in 0..6 {
        assert!(matches!(attempt(), Err(ServiceError::InvalidCredentials)));
    }
    assert!(
        matches!(attempt(), Err(ServiceError::Throttled(_))),
        "refusals for a missing key are counted like wrong passwords"
    );
}

#[test]
fn a_login_request_shows_its_key_fingerprint_but_never_its_password_or_code() {
    let request = LoginRequest {
        username: MANAGER.to_owned(),
        password: SecretString::from(MANAGER_PASSWORD.to_owned()),
        second_factor: SecondFactor::Totp("492039".to_owned()),
        origin: ssh(),
        ssh_key: Some(fingerprint(&ed25519(51))),
    };
    let shown = format!("{request:?}");
    assert!(shown.contains(&fingerprint(&ed25519(51))), "{shown}");
    assert!(!shown.contains(MANAGER_PASSWORD), "{shown}");
    assert!(!shown.contains("492039"), "{shown}");
}
