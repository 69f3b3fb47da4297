//! Frame rendering and keystroke-to-frame on a demo store (SPEC §10: one frame at 200×50
//! within 2 ms). `cargo bench --bench render`; FRONTDESK_BENCH_MEMBERS sets the demo size
//! (default 2000).

use std::hint::black_box;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use frontdesk::audit::Origin;
use frontdesk::auth::totp::{TotpSecret, code_at};
use frontdesk::clock::{Clock, ManualClock};
use frontdesk::entropy::OsEntropy;
use frontdesk::service::{DemoOptions, Service};
use frontdesk::store::Store;
use frontdesk::ui::keymap::Keymap;
use frontdesk::ui::{App, AppEnv, Effect, Event};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use secrecy::ExposeSecret;

fn send(app: &mut App, event: Event) {
    let mut queue = vec![event];
    while let Some(event) = queue.pop() {
        for effect in app.handle(event) {
            if let Effect::Run(task) = effect {
                queue.push(Event::Task(task.run()));
            }
        }
    }
}

fn press(app: &mut App, code: KeyCode) {
    send(app, Event::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn type_text(app: &mut App, text: &str) {
    for c in text.chars() {
        press(app, KeyCode::Char(c));
    }
}

/// A demo store, and the app logged in as its manager at 200×50 on the Today screen.
fn logged_in_app(dir: &std::path::Path) -> App {
    let members = std::env::var("FRONTDESK_BENCH_MEMBERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 23, 19, 0, 0)
            .single()
            .expect("instant"),
    ));
    let data = dir.join("data");
    let scratch = dir.join("scratch");
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    let report = Service::create_demo(
        Store::create(&data).expect("store"),
        clock.clone(),
        Arc::new(OsEntropy),
        &DemoOptions {
            members,
            seed: Some(5),
        },
        &scratch,
        &mut |_| {},
    )
    .expect("demo store");
    let login = &report.logins[0];
    let secret_bytes = data_encoding::BASE32_NOPAD
        .decode(login.credentials.enrolment.secret_base32.as_bytes())
        .expect("base32");
    let secret = TotpSecret::from_bytes(&secret_bytes).expect("secret");
    let service = Arc::new(Service::new(
        Store::open(&data).expect("reopen"),
        clock.clone(),
        Arc::new(OsEntropy),
    ));
    let env = AppEnv {
        clock: clock.clone(),
        entropy: Arc::new(OsEntropy),
        data_dir: data,
        origin: Origin::Local,
        keymap: Keymap::defaults(),
        forced_theme: None,
        theme_dir: None,
        startup_notices: Vec::new(),
        ssh_server: None,
        quit_when_session_ends: false,
    };
    let mut app = App::login(env, service.clone());
    send(&mut app, Event::Resize(200, 50));
    type_text(&mut app, &login.username);
    press(&mut app, KeyCode::Enter);
    type_text(&mut app, login.password.expose_secret());
    press(&mut app, KeyCode::Enter);
    type_text(
        &mut app,
        &code_at(&secret, clock.now().timestamp().unsigned_abs()),
    );
    press(&mut app, KeyCode::Enter);
    assert!(app.is_logged_in(), "bench login failed");
    service.wait_for_name_index();
    app
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut app = logged_in_app(dir.path());
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    let mut group = c.benchmark_group("render at 200x50");
    group.bench_function("today", |b| {
        b.iter(|| {
            terminal.draw(|frame| app.render(frame)).expect("draw");
        })
    });
    press(&mut app, KeyCode::F(3));
    type_text(&mut app, "Li");
    group.bench_function("members search results", |b| {
        b.iter(|| {
            terminal.draw(|frame| app.render(frame)).expect("draw");
        })
    });
    group.bench_function("keystroke to frame (type and erase a letter)", |b| {
        b.iter(|| {
            press(&mut app, KeyCode::Char('n'));
            terminal.draw(|frame| app.render(frame)).expect("draw");
            press(&mut app, KeyCode::Backspace);
            terminal.draw(|frame| app.render(frame)).expect("draw");
            black_box(app.screen_title());
        })
    });
    group.finish();
}

criterion_group!(render, benches);
criterion_main!(render);
