//! A chain of shops in one store: sites added by a manager, each process working at one
//! site, and a single shop behaving exactly as before.

mod common;

use common::binary::{INIT_ARGS, SCRIPT_PASSWORD as PASSWORD, printed, run_frontdesk};
use common::{CASHIER, CASHIER_PASSWORD, ClockExt, open_shop, phone_code};
use frontdesk::audit::AuditAction;
use frontdesk::domain::site::FIRST_SITE;
use frontdesk::service::ServiceError;

#[test]
fn a_manager_adds_sites_and_a_second_site_process_works_there() {
    let shop = open_shop();
    let manager = shop.manager();
    let sites = shop.service.sites(&manager).unwrap();
    assert_eq!(sites.len(), 1);
    assert_eq!(sites[0].name, "Sparkle Car Wash");
    assert_eq!(shop.service.chain_site_name().unwrap(), None);

    let north = shop.service.add_site(&manager, " North  Road ").unwrap();
    assert_eq!((north.index, north.name.as_str()), (1, "North Road"));
    assert_eq!(
        common::last_audit_action(shop.service.store()),
        AuditAction::SiteAdded
    );
    let names: Vec<String> = shop
        .service
        .sites(&manager)
        .unwrap()
        .into_iter()
        .map(|site| site.name)
        .collect();
    assert_eq!(names, ["Sparkle Car Wash", "North Road"]);
    let taken = shop.service.add_site(&manager, "north road").unwrap_err();
    assert_eq!(
        taken.to_string(),
        "There is already a site called `north road`; choose another name."
    );

    assert_eq!(shop.service.site(), FIRST_SITE);
    assert_eq!(
        shop.service.chain_site_name().unwrap().as_deref(),
        Some("Sparkle Car Wash")
    );
    let there = shop.service.sibling_at_site("north road").unwrap();
    assert_eq!(there.site(), 1);
    assert_eq!(
        there.chain_site_name().unwrap().as_deref(),
        Some("North Road")
    );
    let unknown = shop.service.sibling_at_site("South").unwrap_err();
    assert_eq!(
        unknown.to_string(),
        "There is no site called `South`; the sites are: Sparkle Car Wash, North Road."
    );
}

#[test]
fn a_cashier_may_not_add_sites_and_the_refusal_is_audited() {
    let shop = open_shop();
    let manager = shop.manager();
    let secret = shop.add_cashier(&manager);
    let cashier = shop.cashier(&secret);
    let refused = shop.service.add_site(&cashier, "North").unwrap_err();
    assert!(
        matches!(refused, ServiceError::Forbidden { .. }),
        "{refused}"
    );
    assert_eq!(
        common::last_audit_action(shop.service.store()),
        AuditAction::PermissionDenied
    );
}

#[test]
fn a_staff_account_limited_to_one_site_is_refused_at_another_with_the_sentence() {
    let shop = open_shop();
    let manager = shop.manager();
    let secret = shop.add_cashier(&manager);
    shop.service.add_site(&manager, "North").unwrap();
    shop.service
        .limit_staff_sites(&manager, CASHIER, Some(&["North".to_owned()]))
        .unwrap();
    assert_eq!(
        common::last_audit_action(shop.service.store()),
        AuditAction::StaffSitesChanged
    );

    let code = phone_code(&secret, shop.clock.now_for_tests());
    let refused = shop.login(CASHIER, CASHIER_PASSWORD, &code).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "This account may not log in at Sparkle Car Wash; it works at North. Log in there, or ask a manager to add this site to the account."
    );
    assert_eq!(
        common::last_audit_action(shop.service.store()),
        AuditAction::LoginFailed
    );

    let north = shop.service.sibling_at_site("North").unwrap();
    let session = north
        .login(frontdesk::service::LoginRequest {
            username: CASHIER.to_owned(),
            password: secrecy::SecretString::from(CASHIER_PASSWORD.to_owned()),
            second_factor: frontdesk::service::SecondFactor::Totp(code.clone()),
            origin: frontdesk::audit::Origin::Local,
            ssh_key: None,
        })
        .expect("the cashier logs in at North");
    north.logout(&session).unwrap();
    shop.next_step();

    shop.service
        .limit_staff_sites(&manager, CASHIER, None)
        .unwrap();
    let again = shop.cashier(&secret);
    shop.service.logout(&again).unwrap();
}

/// A new shop by `frontdesk init` and the owner's recovery codes (they log in whatever the
/// wall clock says).
fn init_shop() -> (tempfile::TempDir, std::path::PathBuf, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("shop");
    let init = run_frontdesk(&data, INIT_ARGS, &format!("{PASSWORD}\n"));
    assert!(init.status.success(), "{}", printed(&init));
    let codes: Vec<String> = printed(&init)
        .lines()
        .map(str::trim)
        .filter(|line| line.len() == 19 && line.matches('-').count() == 3)
        .map(str::to_owned)
        .collect();
    (dir, data, codes)
}

fn as_owner<'a>(args: &[&'a str], code: &'a str) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--user", "owner", "--password-stdin", "--totp", code]);
    all
}

#[test]
fn site_add_and_list_on_the_binary_and_an_unknown_site_names_the_known_ones() {
    let (_dir, data, codes) = init_shop();
    let added = run_frontdesk(
        &data,
        &as_owner(&["site", "add", "North"], &codes[0]),
        &format!("{PASSWORD}\n"),
    );
    assert!(added.status.success(), "{}", printed(&added));
    assert_eq!(
        String::from_utf8_lossy(&added.stdout),
        "Site 1 added as `North`; run its counter with `frontdesk --site \"North\"`.\n"
    );
    let listed = run_frontdesk(
        &data,
        &as_owner(&["--site", "North", "site", "list"], &codes[1]),
        &format!("{PASSWORD}\n"),
    );
    assert!(listed.status.success(), "{}", printed(&listed));
    assert_eq!(
        String::from_utf8_lossy(&listed.stdout),
        "  0  Sparkle Car Wash  (first site)\n  1  North\n"
    );
    let unknown = run_frontdesk(
        &data,
        &as_owner(&["--site", "South", "site", "list"], &codes[2]),
        &format!("{PASSWORD}\n"),
    );
    assert!(!unknown.status.success());
    let said = String::from_utf8_lossy(&unknown.stderr);
    assert!(
        said.contains("There is no site called `South`; the sites are: Sparkle Car Wash, North."),
        "{said}"
    );
    assert_eq!(said.trim().lines().count(), 1, "{said}");
}
