//! Staff SSH keys on the manager's screens, driven by keys: the list opened from Staff, adding a
//! key by pasting its `.pub` line (refusals next to the field), removing one, making a key
//! required, and the SSH host key under Settings › Security.

mod common;

use common::ui::{Desk, env_for};
use common::*;
use crossterm::event::KeyCode;
use frontdesk::ids::RecordId;
use frontdesk::service::Session;
use frontdesk::ui::{App, Event, SshServerInfo};
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use russh::keys::{Algorithm, EcdsaCurve, PrivateKey};

const STAFF: KeyCode = KeyCode::F(5);
const SETTINGS: KeyCode = KeyCode::F(6);

const RSA_LINE: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC+lSvXXI6fG6ffJdbPKaR1QQnH/DwOVAuNvZ9hNJcwXdnHNUES7Ln4tkaxkgfhNVcxuu4xyQkzbKNszQueP6lXyeKrqOS6OEEO3mLdhW1R0eLrKJDa+BFKAj78RStX8WyQcHgNV3Ex71lrbqjd4DYHq1COolEbuBp1uBPk7mlzzQ== rsa@example";

fn key(seed: u64, algorithm: Algorithm) -> PrivateKey {
    PrivateKey::random(&mut ChaCha20Rng::seed_from_u64(seed), algorithm).unwrap()
}

fn ed25519(seed: u64) -> PrivateKey {
    key(seed, Algorithm::Ed25519)
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

fn manager_id(shop: &Shop, session: &Session) -> RecordId {
    shop.service.session_info(session).unwrap().staff_id
}

/// The manager's desk on the SSH keys screen of the manager's own account.
fn on_own_keys(shop: &Shop, width: u16, height: u16) -> Desk {
    let mut desk = shop.manager_desk();
    desk.settle();
    desk.resize(width, height);
    desk.key(STAFF);
    desk.type_text("s");
    assert_eq!(desk.app.screen_title(), "SSH keys", "{}", desk.screen());
    desk
}

#[test]
fn an_empty_list_invites_a_key_and_help_lists_the_keys() {
    let shop = open_shop();
    let mut desk = on_own_keys(&shop, 80, 24);
    let screen = desk.screen();
    assert!(screen.contains("No keys yet"), "{screen}");
    insta::assert_snapshot!("empty_80x24", screen);
    desk.type_text("?");
    let help = desk.screen();
    assert!(help.contains("Add a key from a .pub line"), "{help}");
    assert!(help.contains("Remove the selected key"), "{help}");
}

#[test]
fn the_staff_screen_offers_ssh_keys_in_its_footer_and_the_palette() {
    let shop = open_shop();
    let mut desk = shop.manager_desk();
    desk.resize(80, 24);
    desk.key(STAFF);
    assert!(desk.screen().contains("s SSH keys"), "{}", desk.screen());
    desk.ctrl('k');
    desk.type_text("ssh");
    let palette = desk.screen();
    assert!(
        palette.contains("SSH keys of the selected account"),
        "{palette}"
    );
    desk.enter();
    assert_eq!(desk.app.screen_title(), "SSH keys", "{}", desk.screen());
}

#[test]
fn a_pasted_rsa_line_is_refused_next_to_the_field_and_a_good_one_is_listed() {
    let shop = open_shop();
    let mut desk = on_own_keys(&shop, 80, 24);
    desk.type_text("n");
    desk.send(Event::Paste(format!("{RSA_LINE}\n")));
    desk.enter();
    let refused = desk.screen();
    assert!(refused.contains("RSA keys are not supported"), "{refused}");
    insta::assert_snapshot!("rsa_refused_80x24", refused);

    // Esc leaves the field without adding anything.
    desk.esc();
    assert!(!desk.screen().contains("RSA keys"), "{}", desk.screen());
    let manager = shop.manager();
    let me = manager_id(&shop, &manager);
    assert!(
        shop.service
            .staff_ssh_keys(&manager, me)
            .unwrap()
            .keys
            .is_empty()
    );

    let laptop = ed25519(1);
    desk.type_text("n");
    desk.send(Event::Paste(pub_line(&laptop, "laptop")));
    desk.enter();
    let listed = desk.screen();
    assert!(listed.contains(&fingerprint(&laptop)), "{listed}");
    assert!(listed.contains("laptop"), "{listed}");
    assert!(listed.contains("added for manager"), "{listed}");
    assert_eq!(
        shop.service.staff_ssh_keys(&manager, me).unwrap().keys[0].fingerprint,
        fingerprint(&laptop)
    );

    // The same key again is refused where it was pasted.
    desk.type_text("n");
    desk.type_text(&pub_line(&laptop, "again"));
    desk.enter();
    assert!(
        desk.screen()
            .contains("already listed for this staff member"),
        "{}",
        desk.screen()
    );
}

/// The rows inside the screen's frame, without the status line (which may name a key too).
fn listed_rows(screen: &str) -> String {
    screen
        .lines()
        .filter(|line| line.starts_with('│'))
        .collect::<Vec<_>>()
        .join("\n")
}

fn two_keys(shop: &Shop) -> (PrivateKey, PrivateKey) {
    let manager = shop.manager();
    let me = manager_id(shop, &manager);
    let laptop = ed25519(1);
    let phone = key(
        2,
        Algorithm::Ecdsa {
            curve: EcdsaCurve::NistP256,
        },
    );
    shop.service
        .add_staff_ssh_key(&manager, me, &pub_line(&laptop, "manager@laptop"))
        .unwrap();
    shop.service
        .add_staff_ssh_key(&manager, me, &pub_line(&phone, "phone"))
        .unwrap();
    shop.service.logout(&manager).unwrap();
    (laptop, phone)
}

#[test]
fn requiring_a_key_and_removing_keys_with_confirmation() {
    let shop = open_shop();
    let (laptop, phone) = two_keys(&shop);
    let mut desk = on_own_keys(&shop, 100, 30);
    assert!(desk.screen().contains("Key optional"), "{}", desk.screen());
    desk.type_text("r");
    let required = desk.screen();
    assert!(required.contains("Key required"), "{required}");
    insta::assert_snapshot!("required_100x30", required);
    desk.resize(80, 24);
    insta::assert_snapshot!("required_80x24", desk.screen());

    // The first key goes after a confirmation; the last one stays while a key is required.
    desk.type_text("d");
    assert!(desk.app.has_overlay());
    assert!(desk.screen().contains("Remove key?"), "{}", desk.screen());
    desk.type_text("y");
    let after = desk.screen();
    assert!(after.contains("removed from manager"), "{after}");
    assert!(
        !listed_rows(&after).contains(&fingerprint(&laptop)),
        "{after}"
    );
    assert!(
        listed_rows(&after).contains(&fingerprint(&phone)),
        "{after}"
    );
    desk.type_text("d");
    assert!(desk.app.has_overlay(), "{}", desk.screen());
    desk.type_text("y");
    let kept = desk.screen();
    assert!(kept.contains(&fingerprint(&phone)), "{kept}");
    assert!(kept.contains("turn off"), "{kept}");

    // Once the requirement is off, the last key can go too.
    desk.type_text("r");
    assert!(desk.screen().contains("Key optional"), "{}", desk.screen());
    desk.type_text("d");
    desk.type_text("y");
    assert!(desk.screen().contains("No keys yet"), "{}", desk.screen());
    desk.type_text("r");
    assert!(
        desk.screen().contains("add a key first"),
        "{}",
        desk.screen()
    );
}

#[test]
fn the_settings_security_area_says_ssh_is_not_served() {
    let shop = open_shop();
    let mut desk = shop.manager_desk();
    desk.settle();
    desk.resize(80, 24);
    desk.key(SETTINGS);
    for _ in 0..7 {
        desk.tab();
    }
    let screen = desk.screen();
    assert!(screen.contains("Not serving SSH"), "{screen}");
    insta::assert_snapshot!("settings_security_not_serving_80x24", screen);
}

#[test]
fn the_settings_security_area_shows_the_host_key_when_serving() {
    let shop = open_shop();
    let mut env = env_for(&shop, None);
    env.ssh_server = Some(SshServerInfo {
        host_key_fingerprint: fingerprint(&ed25519(99)),
        listen: "0.0.0.0:2222".to_owned(),
    });
    let mut desk = Desk::from_app(App::login(env, shop.service.clone()));
    let code = phone_code(&shop.manager_secret, shop.clock.now_for_tests());
    desk.log_in(MANAGER, MANAGER_PASSWORD, &code);
    shop.next_step();
    assert!(desk.app.is_logged_in(), "{}", desk.screen());
    desk.settle();
    desk.key(SETTINGS);
    for _ in 0..7 {
        desk.tab();
    }
    let screen = desk.screen();
    assert!(
        screen.contains(&format!("SSH host key {}", fingerprint(&ed25519(99)))),
        "{screen}"
    );
    assert!(screen.contains("listening on 0.0.0.0:2222"), "{screen}");
    insta::assert_snapshot!("settings_security_serving_100x30", screen);
    desk.resize(80, 24);
    insta::assert_snapshot!("settings_security_serving_80x24", desk.screen());
}
