//! The attack that found the login races, over real SSH: many connections from different
//! addresses, each past key exchange and holding the login form, answering at the same
//! instant. The throttle and single use of codes hold exactly as for attempts one by one.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use common::ssh::{AcceptAnyKey, serve};
use common::*;
use frontdesk::audit::AuditAction;
use russh::client::{self, KeyboardInteractiveAuthResponse};
use tokio::net::TcpSocket;

/// Opens `count` connections, each from its own loopback address, and brings each to the
/// keyboard-interactive form for the manager.
async fn connections_at_the_form(addr: SocketAddr, count: u8) -> Vec<client::Handle<AcceptAnyKey>> {
    let mut handles = Vec::new();
    for index in 0..count {
        let socket = TcpSocket::new_v4().expect("socket");
        socket
            .bind(SocketAddr::new(
                IpAddr::V4(Ipv4Addr::new(127, 0, 1, index + 10)),
                0,
            ))
            .expect("binds a loopback address");
        let stream = socket.connect(addr).await.expect("connects");
        let mut handle =
            client::connect_stream(Arc::new(client::Config::default()), stream, AcceptAnyKey)
                .await
                .expect("key exchange");
        let form = handle
            .authenticate_keyboard_interactive_start(MANAGER, None)
            .await
            .expect("the login form");
        assert!(matches!(
            form,
            KeyboardInteractiveAuthResponse::InfoRequest { .. }
        ));
        handles.push(handle);
    }
    handles
}

/// Every connection answers its form with `answers` at the same instant; returns how many
/// got in.
async fn answer_at_once(
    handles: Vec<client::Handle<AcceptAnyKey>>,
    answers: impl Fn(usize) -> Vec<String>,
) -> usize {
    let start = Arc::new(tokio::sync::Barrier::new(handles.len()));
    let tasks: Vec<_> = handles
        .into_iter()
        .enumerate()
        .map(|(index, mut handle)| {
            let start = Arc::clone(&start);
            let answer = answers(index);
            tokio::spawn(async move {
                start.wait().await;
                let reply = handle
                    .authenticate_keyboard_interactive_respond(answer)
                    .await
                    .expect("the answers are taken");
                matches!(reply, KeyboardInteractiveAuthResponse::Success)
            })
        })
        .collect();
    let mut logged_in = 0;
    for task in tasks {
        if task.await.expect("client task") {
            logged_in += 1;
        }
    }
    logged_in
}

fn count_actions(shop: &Shop, wanted: AuditAction) -> usize {
    audit_actions(shop.service.store())
        .into_iter()
        .filter(|&action| action == wanted)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_ssh_connections_failing_at_once_get_six_credential_checks() {
    let shop = open_shop();
    let server = serve(&shop);
    let handles = connections_at_the_form(server.addr, 40).await;
    let logged_in = answer_at_once(handles, |index| {
        vec![format!("not the password {index}"), "123456".to_owned()]
    })
    .await;
    assert_eq!(logged_in, 0);
    assert_eq!(count_actions(&shop, AuditAction::LoginFailed), 6);
    assert_eq!(count_actions(&shop, AuditAction::LoginThrottled), 34);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_code_sent_by_eight_ssh_connections_at_once_opens_one_session() {
    let shop = open_shop();
    let server = serve(&shop);
    let handles = connections_at_the_form(server.addr, 8).await;
    let code = phone_code(&shop.manager_secret, shop.clock.now_for_tests());
    let logged_in =
        answer_at_once(handles, |_| vec![MANAGER_PASSWORD.to_owned(), code.clone()]).await;
    assert_eq!(logged_in, 1);
    assert_eq!(count_actions(&shop, AuditAction::LoginSucceeded), 1);
}
