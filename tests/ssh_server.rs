//! `frontdesk serve`'s SSH side, driven by an SSH client library over loopback: logging in
//! at the SSH layer with password and authenticator code, refusals, throttling across
//! connections, two roles at once with their own masking, live updates between sessions,
//! resizing, and one session failing without disturbing another.

mod common;

use std::sync::Arc;

use chrono::NaiveDateTime;
use common::ssh::{Client, LoginOutcome, TestServer, serve, serve_with};
use common::*;
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::service::{BookingRequest, LocalStart, MemberInput, VehicleInput};
use frontdesk::transport::ssh::{EventInspector, Limits};
use frontdesk::ui::Event;

fn manager_code(shop: &Shop) -> String {
    phone_code(&shop.manager_secret, shop.clock.now_for_tests())
}

/// Logs the manager in over SSH; moves the clock on so the next login's code is not a replay.
async fn manager_logged_in(shop: &Shop, served: &TestServer) -> Client {
    let mut client = Client::connect(served.addr).await;
    assert_eq!(
        client
            .login(MANAGER, MANAGER_PASSWORD, &manager_code(shop))
            .await,
        LoginOutcome::Accepted
    );
    shop.next_step();
    client
}

/// The manager logged in over SSH with a terminal open at Today.
async fn manager_terminal(shop: &Shop, served: &TestServer, cols: u16, rows: u16) -> Client {
    let mut client = manager_logged_in(shop, served).await;
    client
        .open_terminal(cols, rows, "xterm-256color", &[])
        .await;
    client.wait_for("Today").await;
    client
}

async fn cashier_terminal(shop: &Shop, served: &TestServer, secret: &[u8]) -> Client {
    let mut client = Client::connect(served.addr).await;
    let code = phone_code(secret, shop.clock.now_for_tests());
    assert_eq!(
        client.login(CASHIER, CASHIER_PASSWORD, &code).await,
        LoginOutcome::Accepted
    );
    shop.next_step();
    client.open_terminal(100, 30, "xterm-256color", &[]).await;
    client.wait_for("Today").await;
    client
}

/// One service, one bay, and 王小明 with a phone and a plate, booked at 09:45 today; the
/// shop's clock is then moved to 09:45 in Vancouver, so the booking is at the board's cursor.
fn shop_with_a_booking() -> Shop {
    let shop = open_shop();
    let manager = shop.manager();
    let wash = shop.exterior_wash_in_one_bay(&manager);
    let member = shop
        .service
        .create_member(
            &manager,
            MemberInput {
                name: "王小明".to_owned(),
                phone: Some("+86 13812345678".to_owned()),
                ..MemberInput::default()
            },
        )
        .expect("member");
    let vehicle = shop
        .service
        .add_vehicle(
            &manager,
            member.id,
            VehicleInput {
                plate: "苏A12345".to_owned(),
                kind: VehicleKind::Sedan,
                make_model: None,
                colour: None,
            },
        )
        .expect("vehicle");
    shop.service
        .create_booking(
            &manager,
            BookingRequest {
                member: Some(member.id),
                vehicle: Some(vehicle.id),
                service: wash,
                bay: None,
                start: LocalStart {
                    local: NaiveDateTime::parse_from_str("2026-11-23 09:45", "%Y-%m-%d %H:%M")
                        .expect("time"),
                    fold: None,
                },
            },
        )
        .expect("booking");
    shop.service.logout(&manager).expect("logout");
    shop.clock.advance(chrono::Duration::minutes(45));
    shop
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_and_code_at_the_ssh_layer_open_the_desk_already_logged_in() {
    let shop = open_shop();
    let served = serve(&shop);
    let mut client = Client::connect(served.addr).await;
    assert_eq!(
        client.host_key_fingerprint().as_deref(),
        Some(served.server.info().host_key_fingerprint.as_str()),
        "the client sees the fingerprint the server prints"
    );
    let code = manager_code(&shop);
    assert_eq!(
        client.login(MANAGER, MANAGER_PASSWORD, &code).await,
        LoginOutcome::Accepted
    );
    shop.next_step();
    client.open_terminal(100, 30, "xterm-256color", &[]).await;
    let screen = client.wait_for("Today").await;
    assert!(screen.contains("manager (manager)"), "{screen}");
    assert!(!screen.contains("Log in"), "{screen}");
    let manager = shop.manager();
    let page = shop
        .service
        .audit_log(&manager, &Default::default())
        .expect("audit log");
    let ssh_login = page
        .entries
        .iter()
        .find(|entry| entry.action == "login.succeeded" && entry.origin.starts_with("ssh "))
        .expect("the SSH login is audited with its origin");
    assert!(
        ssh_login.origin.starts_with("ssh 127.0.0.1:"),
        "{}",
        ssh_login.origin
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_offering_the_password_method_is_asked_for_the_code_next() {
    let shop = open_shop();
    let served = serve(&shop);
    let mut client = Client::connect(served.addr).await;
    let code = manager_code(&shop);
    assert_eq!(
        client
            .login_password_first(MANAGER, MANAGER_PASSWORD, &code)
            .await,
        LoginOutcome::Accepted
    );
    shop.next_step();
    client.open_terminal(100, 30, "xterm", &[]).await;
    client.wait_for("manager (manager)").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_code_a_wrong_password_and_an_unknown_user_are_refused_alike() {
    let shop = open_shop();
    let served = serve(&shop);
    let code = manager_code(&shop);
    let wrong_code = if code == "000000" { "111111" } else { "000000" };
    for (user, password, code) in [
        (MANAGER, MANAGER_PASSWORD, wrong_code),
        (MANAGER, "not the password at all", code.as_str()),
        ("nobody", MANAGER_PASSWORD, code.as_str()),
    ] {
        let mut client = Client::connect(served.addr).await;
        assert_eq!(
            client.login(user, password, code).await,
            LoginOutcome::Refused,
            "{user}"
        );
        // A refusal opens nothing.
        assert!(client.handle.channel_open_session().await.is_err());
    }
    // The password step alone says nothing about the password either.
    let mut client = Client::connect(served.addr).await;
    assert_eq!(
        client
            .login_password_first(MANAGER, "not the password at all", &code)
            .await,
        LoginOutcome::Refused
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_code_already_used_is_refused_on_the_next_connection() {
    let shop = open_shop();
    let served = serve(&shop);
    let code = manager_code(&shop);
    let mut first = Client::connect(served.addr).await;
    assert_eq!(
        first.login(MANAGER, MANAGER_PASSWORD, &code).await,
        LoginOutcome::Accepted
    );
    let mut second = Client::connect(served.addr).await;
    assert_eq!(
        second.login(MANAGER, MANAGER_PASSWORD, &code).await,
        LoginOutcome::Refused,
        "the same code in the same 30 s step is a replay"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_on_separate_connections_add_up_to_the_same_throttle() {
    let shop = open_shop();
    let served = serve(&shop);
    // Five failures are free; the sixth starts the delays.
    for _ in 0..6 {
        let mut client = Client::connect(served.addr).await;
        assert_eq!(
            client
                .login(MANAGER, "a wrong password for sure", "000000")
                .await,
            LoginOutcome::Refused
        );
    }
    // The right credentials on a fresh connection are held back while the delay runs.
    let code = manager_code(&shop);
    let mut client = Client::connect(served.addr).await;
    assert_eq!(
        client.login(MANAGER, MANAGER_PASSWORD, &code).await,
        LoginOutcome::Refused
    );
    // The throttle counts connections of every kind: the counter is held back too.
    let at_counter = shop.login(MANAGER, MANAGER_PASSWORD, &manager_code(&shop));
    assert!(
        matches!(
            at_counter,
            Err(frontdesk::service::ServiceError::Throttled(_))
        ),
        "{at_counter:?}"
    );
    // Once the delay has passed, the right credentials work again.
    shop.clock.advance(chrono::Duration::minutes(10));
    manager_logged_in(&shop, &served).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cashier_and_a_manager_at_once_each_see_their_own_masking() {
    let shop = shop_with_a_booking();
    let manager = shop.manager();
    let cashier_secret = shop.add_cashier(&manager);
    let served = serve(&shop);
    let mut boss = manager_terminal(&shop, &served, 100, 30).await;
    let mut counter = cashier_terminal(&shop, &served, &cashier_secret).await;
    for client in [&mut boss, &mut counter] {
        client.send(b"/").await;
        client.wait_for("Type to search").await;
        client.type_text("5678").await;
    }
    let full = boss.wait_for("+86 13812345678").await;
    assert!(full.contains("王小明"), "{full}");
    let masked = counter.wait_for("138****5678").await;
    assert!(masked.contains("王*"), "{masked}");
    assert!(!masked.contains("王小明"), "{masked}");
    assert!(!masked.contains("13812345678"), "{masked}");
    assert!(masked.contains("cashier (cashier)"), "{masked}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_in_in_one_session_shows_in_the_other_without_a_key_press() {
    let shop = shop_with_a_booking();
    let manager = shop.manager();
    let cashier_secret = shop.add_cashier(&manager);
    let served = serve(&shop);
    let mut boss = manager_terminal(&shop, &served, 100, 30).await;
    let mut counter = cashier_terminal(&shop, &served, &cashier_secret).await;
    counter.wait_for("○ Exterior").await;
    boss.wait_for("○ Exterior").await;
    // The cursor starts on the 09:00 slot of the first bay: check the booking in.
    boss.send(b"i").await;
    boss.wait_for("● Exterior").await;
    let screen = counter.wait_for("● Exterior").await;
    assert!(!screen.contains("○ Exterior"), "{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_window_change_redraws_the_session_at_its_new_size() {
    let shop = open_shop();
    let served = serve(&shop);
    let mut client = manager_terminal(&shop, &served, 100, 30).await;
    client.resize(60, 20).await;
    client.wait_for("The window is too small (60×20)").await;
    client.resize(120, 40).await;
    let screen = client.wait_for("manager (manager)").await;
    assert!(!screen.contains("too small"), "{screen}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_that_panics_ends_alone_and_the_others_carry_on() {
    let shop = shop_with_a_booking();
    let manager = shop.manager();
    let cashier_secret = shop.add_cashier(&manager);
    let inspector: EventInspector = Arc::new(|event: &Event| {
        if let Event::Paste(text) = event
            && text == "make this session fail"
        {
            panic!("a deliberate failure in one session");
        }
    });
    let served = serve_with(&shop, Limits::default(), Some(inspector));
    let mut boss = manager_terminal(&shop, &served, 100, 30).await;
    let mut counter = cashier_terminal(&shop, &served, &cashier_secret).await;
    counter
        .send(b"\x1b[200~make this session fail\x1b[201~")
        .await;
    let farewell = counter.wait_closed().await;
    assert!(farewell.contains("internal error"), "{farewell}");
    assert!(
        farewell.contains("\x1b[?1049l"),
        "the client's terminal leaves the alternate screen"
    );
    assert_eq!(counter.exit_status, Some(1));
    // The other session still answers keys and reaches the store.
    boss.send(b"/").await;
    boss.wait_for("Type to search").await;
    boss.type_text("5678").await;
    boss.wait_for("+86 13812345678").await;
    // And the server still takes new logins.
    let again = cashier_terminal(&shop, &served, &cashier_secret).await;
    assert!(again.screen().contains("cashier (cashier)"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shell_without_a_terminal_is_told_to_ask_for_one() {
    let shop = open_shop();
    let served = serve(&shop);
    let mut client = manager_logged_in(&shop, &served).await;
    client.open_without_terminal().await;
    let message = client.wait_closed().await;
    assert!(message.contains("needs a terminal"), "{message}");
    assert!(message.contains("ssh -t"), "{message}");
    assert_eq!(client.exit_status, Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_color_from_the_client_gives_a_screen_without_colour() {
    let shop = open_shop();
    let served = serve(&shop);
    let mut client = manager_logged_in(&shop, &served).await;
    client
        .open_terminal(100, 30, "xterm-256color", &[("NO_COLOR", "1")])
        .await;
    client.wait_for("Today").await;
    let screen = client.parser().screen();
    for row in 0..30 {
        for col in 0..100 {
            if let Some(cell) = screen.cell(row, col) {
                assert_eq!(cell.fgcolor(), vt100::Color::Default, "({row},{col})");
                assert_eq!(cell.bgcolor(), vt100::Color::Default, "({row},{col})");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stopping_the_server_tells_every_session() {
    let shop = open_shop();
    let served = serve(&shop);
    let mut client = manager_terminal(&shop, &served, 100, 30).await;
    let TestServer { server, .. } = served;
    let stopping = std::thread::spawn(move || server.stop());
    let farewell = client.wait_closed().await;
    assert!(farewell.contains("shutting down"), "{farewell}");
    stopping.join().expect("the server stops");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limit_are_turned_away() {
    let shop = open_shop();
    let served = serve_with(
        &shop,
        Limits {
            max_sessions: 1,
            ..Limits::default()
        },
        None,
    );
    let _first = Client::connect(served.addr).await;
    let second = russh::client::connect(
        Arc::new(russh::client::Config::default()),
        served.addr,
        common::ssh::AcceptAnyKey,
    )
    .await;
    assert!(second.is_err(), "the second connection is closed at once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_required_key_is_proven_at_the_ssh_layer_on_top_of_password_and_code() {
    use russh::keys::PrivateKey;
    use russh::keys::ssh_key::private::Ed25519Keypair;
    let shop = open_shop();
    let manager = shop.manager();
    let staff_id = shop
        .service
        .session_info(&manager)
        .expect("session")
        .staff_id;
    let listed = PrivateKey::from(Ed25519Keypair::from_seed(&[7; 32]));
    let stranger = PrivateKey::from(Ed25519Keypair::from_seed(&[8; 32]));
    let line = listed.public_key().to_openssh().expect("public key line");
    shop.service
        .add_staff_ssh_key(&manager, staff_id, &line)
        .expect("key added");
    shop.service
        .set_staff_ssh_key_required(&manager, staff_id, true)
        .expect("key required");
    let served = serve(&shop);

    // Without a key, the right password and code are refused like any failure.
    let mut client = Client::connect(served.addr).await;
    assert_eq!(
        client
            .login(MANAGER, MANAGER_PASSWORD, &manager_code(&shop))
            .await,
        LoginOutcome::Refused
    );
    shop.next_step();
    // A key that is not listed is not even taken.
    let mut client = Client::connect(served.addr).await;
    assert!(!client.prove_key(MANAGER, stranger).await);
    // The listed key, then password and code: in.
    let mut client = Client::connect(served.addr).await;
    assert!(client.prove_key(MANAGER, listed).await);
    assert_eq!(
        client
            .login(MANAGER, MANAGER_PASSWORD, &manager_code(&shop))
            .await,
        LoginOutcome::Accepted
    );
    shop.next_step();
    client.open_terminal(100, 30, "xterm-256color", &[]).await;
    client.wait_for("manager (manager)").await;
}
