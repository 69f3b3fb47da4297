//! `frontdesk serve`'s defences before login, over real loopback connections: clients that
//! say nothing or stall in the handshake are closed on time, one address cannot hold more
//! than a few connections that have not logged in, a port full of silent connections still
//! lets staff in, the slots kept for staff who have logged in are theirs, and a client
//! asking for an enormous window gets one of bounded size and is told so.

mod common;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

use common::ssh::{Client, LoginOutcome, TestServer, serve, serve_with};
use common::*;
use frontdesk::transport::ssh::Limits;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

/// Far longer than any short limit set in these tests; reached only when something is broken.
const PATIENCE: Duration = Duration::from_secs(5);

/// Limits whose clocks never run out during a test, so held connections stay however slow
/// the machine is.
fn patient_limits() -> Limits {
    Limits {
        handshake_timeout: Duration::from_secs(3600),
        login_grace: Duration::from_secs(3600),
        ..Limits::default()
    }
}

fn loopback(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

/// A plain TCP connection from `from` (any 127.x address is this machine).
async fn connect_from(from: IpAddr, to: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("socket");
    socket
        .bind(SocketAddr::new(from, 0))
        .expect("binds a loopback address");
    socket.connect(to).await.expect("connects")
}

/// Reads until the server closes the connection; returns what it sent, or `None` when it is
/// still open after [`PATIENCE`].
async fn read_until_closed(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Err(_) => return None,
            Ok(Ok(0)) | Ok(Err(_)) => return Some(received),
            Ok(Ok(read)) => received.extend_from_slice(&buffer[..read]),
        }
    }
}

/// Reads the server's version line, which it sends to every connection it admits.
async fn read_greeting(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let mut buffer = [0u8; 256];
    while !received.ends_with(b"\r\n") {
        let read = tokio::time::timeout(PATIENCE, stream.read(&mut buffer))
            .await
            .expect("the server greets in time")
            .expect("reads");
        assert!(
            read > 0,
            "closed before the greeting: the connection was refused"
        );
        received.extend_from_slice(&buffer[..read]);
    }
    String::from_utf8_lossy(&received).into_owned()
}

/// Sends a version line, then nothing; returns once the server has answered it with its key
/// exchange offer (so it has read the line).
async fn send_version_and_stall(stream: &mut TcpStream) {
    stream
        .write_all(b"SSH-2.0-stalling\r\n")
        .await
        .expect("sends its version");
    let mut buffer = [0u8; 64];
    let read = tokio::time::timeout(PATIENCE, stream.read(&mut buffer))
        .await
        .expect("the server answers in time")
        .expect("reads");
    assert!(read > 0, "the server offers a key exchange");
}

async fn wait_for_open_connections(served: &TestServer, expected: usize) {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while served.server.open_connections() != expected {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} connections open, expected {expected}",
            served.server.open_connections()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn manager_logged_in(shop: &Shop, served: &TestServer) -> Client {
    let mut client = Client::connect(served.addr).await;
    let code = phone_code(&shop.manager_secret, shop.clock.now_for_tests());
    assert_eq!(
        client.login(MANAGER, MANAGER_PASSWORD, &code).await,
        LoginOutcome::Accepted
    );
    shop.next_step();
    client
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_sends_nothing_is_closed_after_the_handshake_limit() {
    let shop = open_shop();
    let served = serve_with(
        &shop,
        Limits {
            handshake_timeout: Duration::from_millis(200),
            ..Limits::default()
        },
        None,
    );
    let mut silent = TcpStream::connect(served.addr).await.expect("connects");
    let received = read_until_closed(&mut silent)
        .await
        .expect("the server closes a silent connection");
    assert!(
        String::from_utf8_lossy(&received).starts_with("SSH-2.0-frontdesk"),
        "it was admitted and greeted first"
    );
    wait_for_open_connections(&served, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stalls_in_the_key_exchange_is_closed_after_the_login_grace() {
    let shop = open_shop();
    let served = serve_with(
        &shop,
        Limits {
            login_grace: Duration::from_millis(300),
            ..Limits::default()
        },
        None,
    );
    let mut stalling = TcpStream::connect(served.addr).await.expect("connects");
    read_greeting(&mut stalling).await;
    // A version line, then nothing: the server's key exchange offer goes unanswered.
    stalling
        .write_all(b"SSH-2.0-stalling\r\n")
        .await
        .expect("sends its version");
    assert!(
        read_until_closed(&mut stalling).await.is_some(),
        "the server closes a connection stuck in the key exchange"
    );
    wait_for_open_connections(&served, 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_address_may_hold_only_a_few_connections_that_have_not_logged_in() {
    let shop = open_shop();
    let served = serve_with(&shop, patient_limits(), None);
    let here = loopback(1);
    let mut held = Vec::new();
    for _ in 0..Limits::default().waiting_per_address {
        let mut stream = connect_from(here, served.addr).await;
        read_greeting(&mut stream).await;
        held.push(stream);
    }
    let mut one_too_many = connect_from(here, served.addr).await;
    let received = read_until_closed(&mut one_too_many)
        .await
        .expect("the extra connection is closed");
    assert!(received.is_empty(), "refused without a greeting");
    // Another address is not affected.
    let mut elsewhere = connect_from(loopback(2), served.addr).await;
    read_greeting(&mut elsewhere).await;
    // When one of the three goes, its address may connect again.
    drop(held.pop());
    wait_for_open_connections(&served, 3).await;
    let mut again = connect_from(here, served.addr).await;
    read_greeting(&mut again).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_every_slot_taken_by_silent_clients_staff_still_log_in_and_work() {
    let shop = open_shop();
    let served = serve_with(&shop, patient_limits(), None);
    let max_sessions = Limits::default().max_sessions;
    let mut silent = Vec::new();
    for index in 0..max_sessions + 6 {
        let from = loopback(10 + u8::try_from(index).expect("fits"));
        let mut stream = connect_from(from, served.addr).await;
        // Greeted: admitted, perhaps by pushing out an older silent one.
        read_greeting(&mut stream).await;
        silent.push(stream);
    }
    let waiting_limit = Limits::default().waiting_limit();
    assert_eq!(served.server.open_connections(), waiting_limit);

    let mut client = manager_logged_in(&shop, &served).await;
    client.open_terminal(100, 30, "xterm-256color", &[]).await;
    let screen = client.wait_for("Today").await;
    assert!(screen.contains("manager (manager)"), "{screen}");
    client.send(b"/").await;
    client.wait_for("Type to search").await;
    // The manager took the place of the oldest silent connection.
    assert_eq!(served.server.open_connections(), waiting_limit);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_still_logging_in_leave_the_reserved_slots_to_staff() {
    let shop = open_shop();
    let limits = Limits {
        max_sessions: 6,
        ..patient_limits()
    };
    assert_eq!(limits.waiting_limit(), 2, "4 of 6 are kept for staff");
    let served = serve_with(&shop, limits, None);

    // Two connections that have spoken and not logged in fill the waiting room, though four
    // slots are free.
    let mut stalled = Vec::new();
    for last in [2, 3] {
        let mut stream = connect_from(loopback(last), served.addr).await;
        read_greeting(&mut stream).await;
        send_version_and_stall(&mut stream).await;
        stalled.push(stream);
    }
    let mut third = connect_from(loopback(4), served.addr).await;
    let received = read_until_closed(&mut third)
        .await
        .expect("a third is closed at once");
    assert!(received.is_empty(), "refused without a greeting");
    drop(stalled);
    wait_for_open_connections(&served, 0).await;

    // Staff logging in one after another use all six, the reserved four included.
    let mut staff = Vec::new();
    for _ in 0..6 {
        staff.push(manager_logged_in(&shop, &served).await);
    }
    assert_eq!(served.server.open_connections(), 6);
    let mut seventh = connect_from(loopback(5), served.addr).await;
    let received = read_until_closed(&mut seventh)
        .await
        .expect("a seventh is closed at once");
    assert!(received.is_empty(), "the server is full");
}

fn rows(client: &Client, from_row: u16, from_col: u16) -> Vec<String> {
    let (rows, cols) = client.parser().screen().size();
    client
        .parser()
        .screen()
        .rows(from_col, cols.saturating_sub(from_col))
        .skip(usize::from(from_row))
        .take(usize::from(rows.saturating_sub(from_row)))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enormous_window_is_drawn_at_the_cap_and_the_screen_says_so() {
    const NOTICE: &str = "This window is larger than frontdesk draws: it uses 500×200.";
    let shop = open_shop();
    let served = serve(&shop);
    let mut client = manager_logged_in(&shop, &served).await;
    client
        .open_terminal(1000, 1000, "xterm-256color", &[])
        .await;
    client.wait_for(NOTICE).await;
    client.wait_for("manager (manager)").await;
    let below = rows(&client, 200, 0);
    assert!(
        below.iter().all(|row| row.trim().is_empty()),
        "nothing is drawn below row 200"
    );
    let right = rows(&client, 0, 500);
    assert!(
        right.iter().all(|row| row.trim().is_empty()),
        "nothing is drawn right of column 500"
    );
    let bottom = &rows(&client, 199, 0)[0];
    assert!(
        bottom.contains(NOTICE),
        "the notice is on the last row drawn"
    );

    // A normal window drops the notice; an enormous window-change brings it back.
    client.resize(100, 30).await;
    // The redraw at the new size is one frame: the header and the bottom line come together.
    let screen = client.wait_for("manager (manager)").await;
    assert!(!screen.contains("This window is larger"), "{screen}");
    client.resize(2000, 300).await;
    client.wait_for(NOTICE).await;
}
