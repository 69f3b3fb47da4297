//! A chain of shops in one store: sites added by a manager, each process working at one
//! site, and a single shop behaving exactly as before.

mod common;

use common::binary::{INIT_ARGS, SCRIPT_PASSWORD as PASSWORD, printed, run_frontdesk};
use common::{CASHIER, CASHIER_PASSWORD, ClockExt, open_shop, phone_code};
use frontdesk::audit::AuditAction;
use frontdesk::domain::site::FIRST_SITE;
use frontdesk::service::{ServiceError, SiteOf};

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

/// Two sites in one store: the first site with "Bay 1" (the usual shop) and North with its
/// own "North bay", both doing the chain's exterior wash; the manager logged in at each.
struct Chain {
    shop: common::Shop,
    manager: frontdesk::service::Session,
    north: std::sync::Arc<frontdesk::service::Service>,
    north_manager: frontdesk::service::Session,
    wash: frontdesk::ids::RecordId,
}

fn chain() -> Chain {
    let shop = open_shop();
    let manager = shop.manager();
    let wash = shop.exterior_wash_in_one_bay(&manager);
    shop.service.add_site(&manager, "North").unwrap();
    let north = std::sync::Arc::new(shop.service.sibling_at_site("North").unwrap());
    let code = phone_code(&shop.manager_secret, shop.clock.now_for_tests());
    let north_manager = north
        .login(frontdesk::service::LoginRequest {
            username: common::MANAGER.to_owned(),
            password: secrecy::SecretString::from(common::MANAGER_PASSWORD.to_owned()),
            second_factor: frontdesk::service::SecondFactor::Totp(code),
            origin: frontdesk::audit::Origin::Local,
            ssh_key: None,
        })
        .expect("the manager logs in at North");
    shop.next_step();
    north
        .save_bay(
            &north_manager,
            frontdesk::service::BayInput {
                id: None,
                name: "North bay".to_owned(),
                services: vec![wash],
                active: true,
            },
        )
        .unwrap();
    Chain {
        shop,
        manager,
        north,
        north_manager,
        wash,
    }
}

fn card_wash(wash: frontdesk::ids::RecordId) -> frontdesk::service::CheckoutInput {
    frontdesk::service::CheckoutInput {
        booking: None,
        member: None,
        vehicle: None,
        lines: vec![frontdesk::service::CheckoutLine {
            service: wash,
            quantity: 1,
            price_override: None,
        }],
        discount: None,
        adjustment_reason: None,
        points: None,
        payment: frontdesk::domain::catalog::PaymentMethod::Card,
        tenders: Vec::new(),
        tip: frontdesk::domain::money::Money::ZERO,
    }
}

/// The site a record belongs to, as any site's service reports it.
fn site_of(chain: &Chain, of: SiteOf) -> u16 {
    let here = chain.shop.service.site_of(&chain.manager, of).unwrap();
    let there = chain.north.site_of(&chain.north_manager, of).unwrap();
    assert_eq!(here, there, "every site sees the same");
    here
}

#[test]
fn each_site_numbers_its_receipts_gaplessly_and_reprints_its_own() {
    let chain = chain();
    let here = &chain.shop.service;
    let first = here
        .checkout(&chain.manager, card_wash(chain.wash))
        .unwrap();
    let north = chain
        .north
        .checkout(&chain.north_manager, card_wash(chain.wash))
        .unwrap();
    let second = here
        .checkout(&chain.manager, card_wash(chain.wash))
        .unwrap();
    let north_again = chain
        .north
        .checkout(&chain.north_manager, card_wash(chain.wash))
        .unwrap();
    assert_eq!(
        [first.receipt_number, second.receipt_number],
        [1, 2],
        "the first site counts on as before"
    );
    assert_eq!([north.receipt_number, north_again.receipt_number], [1, 2]);

    assert_eq!(site_of(&chain, SiteOf::Visit(first.visit)), FIRST_SITE);
    assert_eq!(site_of(&chain, SiteOf::Visit(north.visit)), 1);

    let reprint = chain.north.receipt(&chain.north_manager, 1).unwrap();
    assert_eq!(
        reprint.of,
        frontdesk::service::ReceiptFor::Visit(north.visit)
    );
    let reprint = here.receipt(&chain.manager, 1).unwrap();
    assert_eq!(
        reprint.of,
        frontdesk::service::ReceiptFor::Visit(first.visit)
    );
    let missing = chain.north.receipt(&chain.north_manager, 3).unwrap_err();
    assert_eq!(
        missing.to_string(),
        "there is no receipt 3; receipts so far are numbered 1 to 2"
    );
    assert_eq!(
        chain
            .north
            .receipts_for_visit(&chain.north_manager, north.visit)
            .unwrap(),
        [1]
    );
    assert!(
        here.receipts_for_visit(&chain.manager, north.visit)
            .unwrap()
            .is_empty(),
        "another site's number is not offered here"
    );
}

#[test]
fn bays_bookings_and_drawers_belong_to_their_site() {
    let chain = chain();
    let here = &chain.shop.service;
    let names = |service: &frontdesk::service::Service, session| -> Vec<String> {
        service
            .list_bays(session)
            .unwrap()
            .into_iter()
            .map(|bay| bay.name)
            .collect()
    };
    assert_eq!(names(here, &chain.manager), ["Bay 1"]);
    assert_eq!(names(&chain.north, &chain.north_manager), ["North bay"]);

    let walk_in = chain
        .north
        .walk_in(&chain.north_manager, None, None, chain.wash)
        .unwrap();
    assert_eq!(walk_in.bay_name, "North bay");
    assert_eq!(site_of(&chain, SiteOf::Booking(walk_in.id)), 1);
    let local = here
        .walk_in(&chain.manager, None, None, chain.wash)
        .unwrap();
    assert_eq!(local.bay_name, "Bay 1");
    assert_eq!(site_of(&chain, SiteOf::Booking(local.id)), FIRST_SITE);
    // North's only bay is taken now: the next walk-in waits for it, and the first site's
    // bay is not offered there.
    let next = chain
        .north
        .walk_in(&chain.north_manager, None, None, chain.wash)
        .unwrap();
    assert_eq!(next.bay_name, "North bay");
    assert!(next.start >= walk_in.end, "{next:?}");

    let shift = chain
        .north
        .open_shift(
            &chain.north_manager,
            frontdesk::domain::money::Money::from_minor(10_000),
        )
        .unwrap();
    assert_eq!(site_of(&chain, SiteOf::Shift(shift.id)), 1);
    // The manager's drawer is open at North: cash taken at the first site stays out of it.
    let shift_of = |visit| {
        use frontdesk::store::ReadAccess;
        here.store()
            .read()
            .unwrap()
            .get::<frontdesk::store::records::VisitRecord>(
                frontdesk::store::schema::VISITS,
                visit,
                "visit",
            )
            .unwrap()
            .unwrap()
            .shift
    };
    let at_first = here
        .checkout(&chain.manager, card_wash(chain.wash))
        .unwrap();
    assert_eq!(shift_of(at_first.visit), None);
    let at_north = chain
        .north
        .checkout(&chain.north_manager, card_wash(chain.wash))
        .unwrap();
    assert_eq!(shift_of(at_north.visit), Some(shift.id));

    let north_bay = chain.north.list_bays(&chain.north_manager).unwrap()[0].id;
    assert_eq!(site_of(&chain, SiteOf::Bay(north_bay)), 1);
    let refused = here
        .save_bay(
            &chain.manager,
            frontdesk::service::BayInput {
                id: Some(north_bay),
                name: "Taken over".to_owned(),
                services: vec![chain.wash],
                active: true,
            },
        )
        .unwrap_err();
    assert!(refused.to_string().contains("another site"), "{refused}");
}

#[test]
fn verify_checks_each_sites_receipts_and_the_chain_holds_entries_of_both_sites() {
    let chain = chain();
    chain
        .shop
        .service
        .checkout(&chain.manager, card_wash(chain.wash))
        .unwrap();
    chain
        .north
        .checkout(&chain.north_manager, card_wash(chain.wash))
        .unwrap();
    chain.north.wait_for_name_index();
    let Chain { shop, north, .. } = chain;
    drop(north);
    let service = std::sync::Arc::try_unwrap(shop.service).expect("one holder");
    let mut store = service.into_store().expect("the store back");
    let report = frontdesk::service::integrity::verify_store(&mut store, None).unwrap();
    assert!(report.is_ok(), "{:?}", report.lines());
    let sites: Vec<u16> = {
        let reader = store.read().unwrap();
        reader
            .audit_stream()
            .unwrap()
            .map(|(_, bytes)| frontdesk::audit::decode(&bytes).unwrap().site)
            .collect()
    };
    assert!(sites.contains(&0) && sites.contains(&1), "{sites:?}");
}

#[test]
fn a_single_shop_writes_nothing_about_sites() {
    use frontdesk::store::ReadAccess;
    use frontdesk::store::schema::{META, META_BAY_SITES, META_SITES};
    let shop = open_shop();
    let manager = shop.manager();
    let wash = shop.exterior_wash_in_one_bay(&manager);
    let shift = shop
        .service
        .open_shift(&manager, frontdesk::domain::money::Money::from_minor(5_000))
        .unwrap();
    let paid = shop.service.checkout(&manager, card_wash(wash)).unwrap();
    assert_eq!(paid.receipt_number, 1);
    assert_eq!(
        shop.service
            .site_of(&manager, SiteOf::Visit(paid.visit))
            .unwrap(),
        FIRST_SITE
    );
    assert_eq!(
        shop.service
            .site_of(&manager, SiteOf::Shift(shift.id))
            .unwrap(),
        FIRST_SITE
    );
    let reader = shop.service.store().read().unwrap();
    for key in [META_SITES, META_BAY_SITES] {
        assert!(reader.bytes_by_name(META, key).unwrap().is_none(), "{key}");
    }
    let entries: Vec<u16> = reader
        .audit_stream()
        .unwrap()
        .map(|(_, bytes)| {
            assert_eq!(bytes[0], 0, "every entry in the envelope it always had");
            frontdesk::audit::decode(&bytes).unwrap().site
        })
        .collect();
    assert!(entries.iter().all(|site| *site == FIRST_SITE));
}

#[test]
fn hours_closures_and_the_till_are_per_site_and_a_new_site_starts_from_the_first() {
    let chain = chain();
    let here = &chain.shop.service;
    let mut till = here.till_settings().unwrap();
    till.tips = true;
    here.update_till_settings(&chain.manager, till).unwrap();
    let mut schedule = here.schedule_settings().unwrap();
    schedule.rules.buffer_minutes = 10;
    here.update_schedule(&chain.manager, schedule.clone())
        .unwrap();
    // North has none of its own yet: it works with the first site's.
    assert!(chain.north.till_settings().unwrap().tips);
    assert_eq!(chain.north.schedule_settings().unwrap(), schedule);

    let mut north_till = chain.north.till_settings().unwrap();
    north_till.tips = false;
    chain
        .north
        .update_till_settings(&chain.north_manager, north_till)
        .unwrap();
    let mut north_schedule = schedule.clone();
    north_schedule.rules.buffer_minutes = 0;
    chain
        .north
        .update_schedule(&chain.north_manager, north_schedule.clone())
        .unwrap();
    assert!(!chain.north.till_settings().unwrap().tips);
    assert_eq!(chain.north.schedule_settings().unwrap(), north_schedule);
    assert!(
        here.till_settings().unwrap().tips,
        "the first site keeps its own"
    );
    assert_eq!(here.schedule_settings().unwrap(), schedule);
}

#[test]
fn the_days_takings_are_the_sites_and_a_manager_sees_the_chains() {
    let chain = chain();
    let here = &chain.shop.service;
    // The usual shop's clock: Monday 2026-11-23, 09:00 in Vancouver.
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
    here.checkout(&chain.manager, card_wash(chain.wash))
        .unwrap();
    chain
        .north
        .open_shift(
            &chain.north_manager,
            frontdesk::domain::money::Money::from_minor(5_000),
        )
        .unwrap();
    for _ in 0..2 {
        chain
            .north
            .checkout(&chain.north_manager, card_wash(chain.wash))
            .unwrap();
    }
    let first = here.takings(&chain.manager, day).unwrap();
    assert_eq!((first.visits, first.drawers.len()), (1, 0));
    let north = chain.north.takings(&chain.north_manager, day).unwrap();
    assert_eq!((north.visits, north.drawers.len()), (2, 1));
    assert_eq!(north.total.minor_units(), 2 * first.total.minor_units());
    let all = here.chain_takings(&chain.manager, day).unwrap();
    assert_eq!((all.visits, all.drawers.len()), (3, 1));

    let secret = chain.shop.add_cashier(&chain.manager);
    let cashier = chain.shop.cashier(&secret);
    let refused = here.chain_takings(&cashier, day).unwrap_err();
    assert!(refused.to_string().contains("for a manager"), "{refused}");
}
