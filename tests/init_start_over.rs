//! `frontdesk init` on a data directory whose setup wizard stopped before the owner set up
//! their authenticator: it says how to start over, and `--start-over` does so only when
//! nothing else was recorded.

mod common;

use std::sync::Arc;

use common::binary::{INIT_ARGS, SCRIPT_PASSWORD, printed, run_frontdesk};
use common::start_time;
use frontdesk::audit::Origin;
use frontdesk::clock::ManualClock;
use frontdesk::entropy::SeededEntropy;
use frontdesk::service::{InitialSetup, Service};
use frontdesk::store::Store;
use secrecy::SecretString;

/// What the wizard leaves behind when it is killed at the authenticator step.
fn unfinished_setup(data: &std::path::Path) {
    let service = Service::begin_setup(
        Store::create(data).expect("store"),
        Arc::new(ManualClock::new(start_time())),
        Arc::new(SeededEntropy::new(5)),
        InitialSetup {
            shop_name: "Wizard Wash".to_owned(),
            timezone: "America/Vancouver".to_owned(),
            currency: "CAD".to_owned(),
            manager_username: "owner".to_owned(),
            manager_password: SecretString::from(SCRIPT_PASSWORD.to_owned()),
            demo: false,
        },
        Origin::Local,
    )
    .expect("begin setup");
    service.wait_for_name_index();
}

#[test]
fn init_on_an_unfinished_setup_says_how_to_start_over_and_does() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    unfinished_setup(&data);
    let input = format!("{SCRIPT_PASSWORD}\n");

    let refused = run_frontdesk(&data, INIT_ARGS, &input);
    assert!(!refused.status.success());
    let text = printed(&refused);
    assert!(text.contains("never finished"), "{text}");
    assert!(text.contains("--start-over"), "{text}");

    let mut args = INIT_ARGS.to_vec();
    args.push("--start-over");
    let done = run_frontdesk(&data, &args, &input);
    let text = printed(&done);
    assert!(done.status.success(), "{text}");
    assert!(text.contains("base32 secret"), "{text}");

    // A finished shop is never removed.
    let again = run_frontdesk(&data, &args, &input);
    assert!(!again.status.success());
    assert!(
        printed(&again).contains("already exists"),
        "{}",
        printed(&again)
    );
}
