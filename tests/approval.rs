//! A manager's approval at the cashier's screen: the manager types their own user name,
//! password and a fresh code into the cashier's session, which may then do the approved
//! operation once. Wrong approvals count toward the manager's login throttle, and nothing the
//! cashier sees or the log keeps reveals what the manager typed.

mod common;

use std::sync::{Arc, Barrier};

use chrono::Duration;
use common::*;
use frontdesk::audit::{Actor, AuditAction, AuditEntry, Outcome};
use frontdesk::auth::throttle::FREE_FAILURES;
use frontdesk::domain::access::Operation;
use frontdesk::domain::catalog::PaymentMethod;
use frontdesk::domain::checkout::Discount;
use frontdesk::domain::money::Money;
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::ids::RecordId;
use frontdesk::service::{
    APPROVAL_VALIDITY, CheckoutInput, CheckoutLine, MemberInput, PlanSale, ServiceError, Session,
    VehicleInput,
};
use frontdesk::store::ReadAccess;
use frontdesk::store::records::{SaleRecord, VisitRecord};
use frontdesk::store::schema::{SALES, VISITS};
use secrecy::SecretString;

/// A shop with a wash in one bay, a cashier logged in, and a member with a car.
struct Till {
    shop: Shop,
    manager: Session,
    cashier_secret: Vec<u8>,
    cashier: Session,
    wash: RecordId,
    member: RecordId,
    car: RecordId,
}

fn till() -> Till {
    let shop = open_shop();
    let manager = shop.manager();
    let cashier_secret = shop.add_cashier(&manager);
    let wash = shop.exterior_wash_in_one_bay(&manager);
    let member = shop
        .service
        .create_member(
            &manager,
            MemberInput {
                name: "Ada Lovelace".to_owned(),
                phone: Some("6045550199".to_owned()),
                email: None,
                birthday: None,
                notes: None,
            },
        )
        .expect("member")
        .id;
    let car = shop
        .service
        .add_vehicle(
            &manager,
            member,
            VehicleInput {
                plate: "APPR01".to_owned(),
                kind: VehicleKind::Sedan,
                make_model: None,
                colour: None,
            },
        )
        .expect("vehicle")
        .id;
    let cashier = shop.cashier(&cashier_secret);
    Till {
        shop,
        manager,
        cashier_secret,
        cashier,
        wash,
        member,
        car,
    }
}

impl Till {
    /// The manager's current code; the clock then moves to the next step so the next code
    /// is not a replay of this one.
    fn manager_code(&self) -> String {
        let code = phone_code(&self.shop.manager_secret, self.shop.clock.now_for_tests());
        self.shop.next_step();
        code
    }

    fn approve_as_manager(&self, session: &Session, operation: Operation) {
        let code = self.manager_code();
        self.shop
            .service
            .approve(
                session,
                operation,
                MANAGER,
                &SecretString::from(MANAGER_PASSWORD.to_owned()),
                &code,
            )
            .expect("the manager approves");
    }

    fn discounted_wash(&self) -> CheckoutInput {
        CheckoutInput {
            booking: None,
            member: Some(self.member),
            vehicle: Some(self.car),
            lines: vec![CheckoutLine {
                service: self.wash,
                quantity: 1,
                price_override: None,
            }],
            discount: Some(Discount::Percent(10)),
            adjustment_reason: Some("Waited forty minutes".to_owned()),
            points: None,
            payment: PaymentMethod::Card,
            tenders: Vec::new(),
            tip: Money::default(),
        }
    }

    fn plain_wash(&self) -> CheckoutInput {
        CheckoutInput {
            discount: None,
            adjustment_reason: None,
            ..self.discounted_wash()
        }
    }

    fn visit(&self, id: RecordId) -> VisitRecord {
        self.shop
            .service
            .store()
            .read()
            .expect("read")
            .get::<VisitRecord>(VISITS, id, "visit")
            .expect("decode")
            .expect("visit stored")
    }

    fn sale(&self, id: RecordId) -> SaleRecord {
        self.shop
            .service
            .store()
            .read()
            .expect("read")
            .get::<SaleRecord>(SALES, id, "sale")
            .expect("decode")
            .expect("sale stored")
    }

    fn staff_id(&self, username: &str) -> RecordId {
        self.shop
            .service
            .list_staff(&self.manager)
            .expect("staff")
            .into_iter()
            .find(|staff| staff.username == username)
            .expect("staff member")
            .id
    }

    fn plan_sale(&self, product: RecordId, price: Option<i64>) -> PlanSale {
        PlanSale {
            member: self.member,
            vehicle: self.car,
            product,
            terms: 1,
            price_override: price.map(Money::from_minor),
            override_reason: price.map(|_| "Matched a competitor's offer".to_owned()),
            payment: PaymentMethod::Card,
            tenders: Vec::new(),
        }
    }
}

fn audit_entries(shop: &Shop) -> Vec<AuditEntry> {
    let reader = shop.service.store().read().expect("read transaction");
    reader
        .audit_stream()
        .expect("audit stream")
        .map(|(_, bytes)| frontdesk::audit::decode(&bytes).expect("audit entry"))
        .collect()
}

fn actor_name(entry: &AuditEntry) -> Option<&str> {
    match &entry.actor {
        Actor::Staff { username, .. } => Some(username),
        _ => None,
    }
}

fn is_forbidden(result: &Result<impl std::fmt::Debug, ServiceError>) -> bool {
    matches!(result, Err(ServiceError::Forbidden { .. }))
}

#[test]
fn an_approval_lets_the_cashier_discount_once_and_is_audited_with_both_names() {
    let till = till();
    let service = &till.shop.service;
    assert!(!service.can(&till.cashier, Operation::OverridePrice));
    assert!(service.can(&till.manager, Operation::OverridePrice));
    assert!(is_forbidden(
        &service.checkout(&till.cashier, till.discounted_wash())
    ));

    till.approve_as_manager(&till.cashier, Operation::OverridePrice);
    assert!(service.can(&till.cashier, Operation::OverridePrice));
    // The approval is for this operation only.
    assert!(!service.can(&till.cashier, Operation::VoidVisit));
    let receipt = service
        .checkout(&till.cashier, till.discounted_wash())
        .expect("the approved discount");
    assert_eq!(receipt.priced.discount, Money::from_minor(200));

    let manager_id = till.staff_id(MANAGER);
    let cashier_id = till.staff_id(CASHIER);
    let visit = till.visit(receipt.visit);
    assert_eq!(visit.approved_by, Some(manager_id));
    assert_eq!(visit.staff, cashier_id);

    let entries = audit_entries(&till.shop);
    let granted = entries
        .iter()
        .find(|e| e.action == AuditAction::ApprovalGranted)
        .expect("approval audited");
    assert_eq!(actor_name(granted), Some(MANAGER));
    assert_eq!(granted.outcome, Outcome::Ok);
    assert!(granted.objects.contains(&manager_id.to_string()));
    assert!(granted.objects.contains(&cashier_id.to_string()));
    let detail = granted.detail.as_deref().unwrap_or_default();
    assert!(detail.contains("override_price"), "{detail}");
    assert!(detail.contains(CASHIER), "{detail}");
    let checkout = entries
        .iter()
        .rev()
        .find(|e| e.objects.contains(&receipt.visit.to_string()))
        .expect("checkout audited");
    assert_eq!(actor_name(checkout), Some(CASHIER));
    assert_eq!(
        checkout.detail.as_deref(),
        Some("approved by manager manager"),
        "{checkout:?}"
    );

    // Used up: the next discount is refused again, and a plain checkout is not approved.
    assert!(!service.can(&till.cashier, Operation::OverridePrice));
    assert!(is_forbidden(
        &service.checkout(&till.cashier, till.discounted_wash())
    ));
    let plain = service
        .checkout(&till.cashier, till.plain_wash())
        .expect("a plain checkout");
    assert_eq!(till.visit(plain.visit).approved_by, None);
}

#[test]
fn a_price_preview_does_not_use_up_the_approval() {
    let till = till();
    let service = &till.shop.service;
    assert!(is_forbidden(
        &service.preview_checkout(&till.cashier, &till.discounted_wash())
    ));
    till.approve_as_manager(&till.cashier, Operation::OverridePrice);
    for _ in 0..3 {
        service
            .preview_checkout(&till.cashier, &till.discounted_wash())
            .expect("the approved discount previews");
    }
    assert!(service.can(&till.cashier, Operation::OverridePrice));
    service
        .checkout(&till.cashier, till.discounted_wash())
        .expect("the approved discount");
    assert!(is_forbidden(
        &service.preview_checkout(&till.cashier, &till.discounted_wash())
    ));
}

#[test]
fn a_form_refused_for_what_it_says_does_not_use_up_the_approval() {
    let till = till();
    let service = &till.shop.service;
    till.approve_as_manager(&till.cashier, Operation::OverridePrice);
    let mut no_reason = till.discounted_wash();
    no_reason.adjustment_reason = None;
    assert!(matches!(
        service.checkout(&till.cashier, no_reason),
        Err(ServiceError::InvalidInput(_))
    ));
    assert!(service.can(&till.cashier, Operation::OverridePrice));
    service
        .checkout(&till.cashier, till.discounted_wash())
        .expect("the approval still waits for the corrected form");
    assert!(!service.can(&till.cashier, Operation::OverridePrice));
}

#[test]
fn an_approval_expires_unused() {
    let till = till();
    let service = &till.shop.service;
    till.approve_as_manager(&till.cashier, Operation::OverridePrice);
    till.shop.clock.advance(APPROVAL_VALIDITY);
    assert!(service.can(&till.cashier, Operation::OverridePrice));
    till.shop.clock.advance(Duration::seconds(1));
    assert!(!service.can(&till.cashier, Operation::OverridePrice));
    assert!(is_forbidden(
        &service.checkout(&till.cashier, till.discounted_wash())
    ));
}

#[test]
fn a_wrong_password_or_code_gets_the_one_answer_and_throttles_the_manager() {
    let till = till();
    let service = &till.shop.service;
    let wrong_password = "wash bay sunset copper kettle";
    let attempt = |name: &str, password: &str, code: &str| {
        service.approve(
            &till.cashier,
            Operation::OverridePrice,
            name,
            &SecretString::from(password.to_owned()),
            code,
        )
    };

    let code = till.manager_code();
    let refusals = [
        attempt(MANAGER, wrong_password, &code),
        attempt(MANAGER, MANAGER_PASSWORD, "000000"),
        attempt("nobody", MANAGER_PASSWORD, &code),
    ];
    for refusal in &refusals {
        assert!(
            matches!(refusal, Err(ServiceError::InvalidCredentials)),
            "{refusal:?}"
        );
    }
    let texts: Vec<String> = refusals
        .iter()
        .map(|r| format!("{}", r.as_ref().unwrap_err()))
        .collect();
    assert!(texts.windows(2).all(|pair| pair[0] == pair[1]));
    assert!(!service.can(&till.cashier, Operation::OverridePrice));

    let refused = audit_entries(&till.shop)
        .into_iter()
        .filter(|e| e.action == AuditAction::ApprovalRefused)
        .count();
    // The unknown name is refused without an account to name, but still audited.
    assert_eq!(refused, 3);

    // Past the free failures (two so far against the manager's name), the next try is
    // throttled, even with the right password, and so is the manager's own login.
    for _ in 0..FREE_FAILURES - 1 {
        let code = till.manager_code();
        let refusal = attempt(MANAGER, wrong_password, &code);
        assert!(matches!(refusal, Err(ServiceError::InvalidCredentials)));
    }
    let code = phone_code(&till.shop.manager_secret, till.shop.clock.now_for_tests());
    let refusal = attempt(MANAGER, MANAGER_PASSWORD, &code);
    assert!(
        matches!(refusal, Err(ServiceError::Throttled(_))),
        "{refusal:?}"
    );
    let login = till.shop.login(MANAGER, MANAGER_PASSWORD, &code);
    assert!(
        matches!(login, Err(ServiceError::Throttled(_))),
        "the manager's own login is throttled: {login:?}"
    );
    // The cashier's own login is a different account and is not affected.
    till.shop.cashier(&till.cashier_secret);
}

#[test]
fn a_replayed_code_is_refused() {
    let till = till();
    let service = &till.shop.service;
    let code = phone_code(&till.shop.manager_secret, till.shop.clock.now_for_tests());
    let password = SecretString::from(MANAGER_PASSWORD.to_owned());
    service
        .approve(
            &till.cashier,
            Operation::VoidVisit,
            MANAGER,
            &password,
            &code,
        )
        .expect("first use of the code");
    let replay = service.approve(
        &till.cashier,
        Operation::OverridePrice,
        MANAGER,
        &password,
        &code,
    );
    assert!(
        matches!(replay, Err(ServiceError::InvalidCredentials)),
        "{replay:?}"
    );
    assert!(!service.can(&till.cashier, Operation::OverridePrice));
    // A code from the next step is fresh.
    till.shop.next_step();
    let fresh = till.manager_code();
    service
        .approve(
            &till.cashier,
            Operation::OverridePrice,
            MANAGER,
            &password,
            &fresh,
        )
        .expect("a fresh code");
}

#[test]
fn a_cashier_cannot_approve_with_their_own_credentials() {
    let till = till();
    let service = &till.shop.service;
    let code = phone_code(&till.cashier_secret, till.shop.clock.now_for_tests());
    let refusal = service.approve(
        &till.cashier,
        Operation::OverridePrice,
        CASHIER,
        &SecretString::from(CASHIER_PASSWORD.to_owned()),
        &code,
    );
    assert!(refusal.is_err());
    let text = refusal.unwrap_err().to_string();
    assert!(text.contains("only a manager"), "{text}");
    assert!(!service.can(&till.cashier, Operation::OverridePrice));
    assert!(is_forbidden(
        &service.checkout(&till.cashier, till.discounted_wash())
    ));
    let last = audit_entries(&till.shop)
        .into_iter()
        .rev()
        .find(|e| {
            matches!(
                e.action,
                AuditAction::ApprovalRefused | AuditAction::ApprovalGranted
            )
        })
        .expect("audited");
    assert_eq!(last.action, AuditAction::ApprovalRefused);
    assert_eq!(last.outcome, Outcome::Denied);
}

#[test]
fn operations_a_cashier_never_does_cannot_be_approved() {
    let till = till();
    let code = till.manager_code();
    let refusal = till.shop.service.approve(
        &till.cashier,
        Operation::ManageStaff,
        MANAGER,
        &SecretString::from(MANAGER_PASSWORD.to_owned()),
        &code,
    );
    assert!(
        matches!(refusal, Err(ServiceError::InvalidInput(_))),
        "{refusal:?}"
    );
    assert!(!till.shop.service.can(&till.cashier, Operation::ManageStaff));
}

#[test]
fn an_approval_belongs_to_the_session_it_was_given_in() {
    let till = till();
    let service = &till.shop.service;
    let other = till.shop.cashier(&till.cashier_secret);
    till.approve_as_manager(&till.cashier, Operation::OverridePrice);
    assert!(!service.can(&other, Operation::OverridePrice));
    assert!(is_forbidden(
        &service.checkout(&other, till.discounted_wash())
    ));
    // Still waiting where it was given.
    service
        .checkout(&till.cashier, till.discounted_wash())
        .expect("the approved discount");
}

#[test]
fn one_approval_used_from_eight_threads_succeeds_exactly_once() {
    let till = till();
    till.approve_as_manager(&till.cashier, Operation::OverridePrice);
    let barrier = Arc::new(Barrier::new(8));
    let results: Vec<Result<_, ServiceError>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| {
                let barrier = barrier.clone();
                let service = till.shop.service.clone();
                let session = till.cashier.clone();
                let input = till.discounted_wash();
                scope.spawn(move || {
                    barrier.wait();
                    service.checkout(&session, input).map(|r| r.visit)
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let done = results.iter().filter(|r| r.is_ok()).count();
    let refused = results.iter().filter(|r| is_forbidden(r)).count();
    assert_eq!((done, refused), (1, 7), "{results:?}");
}

#[test]
fn nothing_shown_or_logged_reveals_the_password_or_code() {
    let till = till();
    let service = &till.shop.service;
    let wrong_password = "wash bay sunset copper kettle";
    let code = till.manager_code();
    let mut shown = Vec::new();
    for (password, typed_code) in [
        (wrong_password, code.as_str()),
        (MANAGER_PASSWORD, "271828"),
    ] {
        let error = service
            .approve(
                &till.cashier,
                Operation::OverridePrice,
                MANAGER,
                &SecretString::from(password.to_owned()),
                typed_code,
            )
            .unwrap_err();
        shown.push(format!("{error}"));
        shown.push(format!("{error:?}"));
    }
    let good = till.manager_code();
    service
        .approve(
            &till.cashier,
            Operation::OverridePrice,
            MANAGER,
            &SecretString::from(MANAGER_PASSWORD.to_owned()),
            &good,
        )
        .expect("approved");
    shown.push(format!("{service:?}"));
    shown.push(format!("{:?}", till.cashier));
    for entry in audit_entries(&till.shop) {
        shown.push(format!("{entry:?}"));
    }
    for text in &shown {
        for secret in [
            MANAGER_PASSWORD,
            wrong_password,
            "271828",
            code.as_str(),
            good.as_str(),
        ] {
            assert!(!text.contains(secret), "{secret:?} revealed in {text}");
        }
    }
}

#[test]
fn an_approved_off_list_plan_sale_works_once() {
    let till = till();
    let service = &till.shop.service;
    let product = till
        .shop
        .plan_product(&till.manager, vec![till.wash], 1, 3900, 1);
    // At list price the cashier needs nobody.
    service
        .sell_plan(&till.cashier, till.plan_sale(product, None))
        .expect("a sale at list price");
    assert!(is_forbidden(
        &service.sell_plan(&till.cashier, till.plan_sale(product, Some(2900)))
    ));

    till.approve_as_manager(&till.cashier, Operation::OverridePrice);
    let sold = service
        .sell_plan(&till.cashier, till.plan_sale(product, Some(2900)))
        .expect("the approved off-list sale");
    assert_eq!(sold.plan.price_per_term, Money::from_minor(2900));
    let sale = till.sale(sold.receipt.sale);
    assert_eq!(sale.approved_by, Some(till.staff_id(MANAGER)));
    assert_eq!(sale.staff, till.staff_id(CASHIER));
    assert_eq!(
        sale.off_list_reason.as_deref(),
        Some("Matched a competitor's offer")
    );

    assert!(is_forbidden(
        &service.sell_plan(&till.cashier, till.plan_sale(product, Some(2900)))
    ));
}

#[test]
fn an_approved_void_and_points_adjustment_work_once() {
    let till = till();
    let service = &till.shop.service;
    let first = service
        .checkout(&till.cashier, till.plain_wash())
        .expect("visit")
        .visit;
    let second = service
        .checkout(&till.cashier, till.plain_wash())
        .expect("visit")
        .visit;
    assert!(is_forbidden(&service.void_visit(
        &till.cashier,
        first,
        "Charged twice"
    )));

    till.approve_as_manager(&till.cashier, Operation::VoidVisit);
    service
        .void_visit(&till.cashier, first, "Charged twice")
        .expect("the approved void");
    assert!(till.visit(first).voided.is_some());
    let voided = audit_entries(&till.shop)
        .into_iter()
        .rev()
        .find(|e| e.action == AuditAction::VisitVoided)
        .expect("void audited");
    assert_eq!(actor_name(&voided), Some(CASHIER));
    assert_eq!(
        voided.detail.as_deref(),
        Some("approved by manager manager")
    );
    assert!(is_forbidden(&service.void_visit(
        &till.cashier,
        second,
        "Charged twice"
    )));

    let before = service
        .member_points(&till.manager, till.member)
        .expect("points")
        .balance;
    till.approve_as_manager(&till.cashier, Operation::AdjustPoints);
    let after = service
        .adjust_points(&till.cashier, till.member, 40, "Goodwill")
        .expect("the approved adjustment");
    assert_eq!(after, before + 40);
    assert!(is_forbidden(&service.adjust_points(
        &till.cashier,
        till.member,
        40,
        "Goodwill"
    )));
}

#[test]
fn a_refund_approval_waits_for_a_refund_only() {
    let till = till();
    let service = &till.shop.service;
    assert!(!service.can(&till.cashier, Operation::RefundVisit));
    till.approve_as_manager(&till.cashier, Operation::RefundVisit);
    assert!(service.can(&till.cashier, Operation::RefundVisit));
    // A refund approval is no void approval.
    let visit = service
        .checkout(&till.cashier, till.plain_wash())
        .expect("visit")
        .visit;
    assert!(is_forbidden(&service.void_visit(
        &till.cashier,
        visit,
        "Wrong car"
    )));
    assert!(service.can(&till.cashier, Operation::RefundVisit));
}
