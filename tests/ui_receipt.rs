//! The receipt viewer driven by keys: opened from a member's visits, from Today and by number
//! from the palette; scrolled, switched to a refund's receipt and printed — at 80×24 and
//! 200×50, for the manager in English and the cashier in 简体中文.

mod common;

use common::ui::Desk;
use common::{Shop, open_shop};
use crossterm::event::KeyCode;
use frontdesk::domain::catalog::PaymentMethod;
use frontdesk::domain::money::Money;
use frontdesk::domain::receipt::ReceiptLanguage;
use frontdesk::domain::tax::{TaxRate, TaxSettings};
use frontdesk::domain::tender::{Tender, TenderRequest};
use frontdesk::ids::RecordId;
use frontdesk::service::{
    CheckoutInput, CheckoutLine, MemberInput, ReceiptFor, Session, StaffPreferences,
};
use frontdesk::store::ReadAccess;
use frontdesk::store::records::{RefundRecord, RefundedLine, TillSettings, VisitRecord};
use frontdesk::store::schema::VISITS;

const PHONE: &str = "604 555 0199";

struct Counter {
    shop: Shop,
    manager: Session,
    wash: RecordId,
    member: RecordId,
    cashier_secret: Vec<u8>,
}

/// A BC shop: GST and PST on top, cash rounded to 0.05, receipts in English.
fn bc_till() -> TillSettings {
    TillSettings {
        tax: TaxSettings {
            prices_include_tax: false,
            taxes: vec![TaxRate::new("GST", 500), TaxRate::new("PST", 700)],
        },
        cash_unit: Some(Money::from_minor(5)),
        ..TillSettings::default()
    }
}

/// A Shanghai shop: prices include 6 % VAT, receipts in Chinese.
fn shanghai_till() -> TillSettings {
    TillSettings {
        tax: TaxSettings {
            prices_include_tax: true,
            taxes: vec![TaxRate::new("增值税", 600)],
        },
        receipt_language: ReceiptLanguage::SimplifiedChinese,
        ..TillSettings::default()
    }
}

fn counter(till: TillSettings) -> Counter {
    let shop = open_shop();
    let manager = shop.manager();
    let wash = shop.exterior_wash_in_one_bay(&manager);
    let member = shop
        .service
        .create_member(
            &manager,
            MemberInput {
                name: "王小明".to_owned(),
                phone: Some(PHONE.to_owned()),
                ..MemberInput::default()
            },
        )
        .unwrap()
        .id;
    let cashier_secret = shop.add_cashier(&manager);
    shop.service.update_till_settings(&manager, till).unwrap();
    Counter {
        shop,
        manager,
        wash,
        member,
        cashier_secret,
    }
}

impl Counter {
    /// The member's wash, part by card and the rest in cash with change.
    fn paid_visit(&self, booking: Option<RecordId>) -> (RecordId, u64) {
        let paid = self
            .shop
            .service
            .checkout(
                &self.manager,
                CheckoutInput {
                    booking,
                    member: Some(self.member),
                    vehicle: None,
                    lines: if booking.is_some() {
                        Vec::new()
                    } else {
                        vec![CheckoutLine {
                            service: self.wash,
                            quantity: 1,
                            price_override: None,
                        }]
                    },
                    discount: None,
                    adjustment_reason: None,
                    points: None,
                    payment: PaymentMethod::Card,
                    tenders: vec![
                        TenderRequest {
                            method: PaymentMethod::Card,
                            amount: Some(Money::from_minor(1002)),
                            tendered: None,
                        },
                        TenderRequest {
                            method: PaymentMethod::Cash,
                            amount: None,
                            tendered: Some(Money::from_minor(2000)),
                        },
                    ],
                    tip: Money::ZERO,
                },
            )
            .unwrap();
        (paid.visit, paid.receipt_number)
    }

    /// Stands in for the refund service: the visit's wash given back by card.
    fn refund(&self, visit: RecordId) -> u64 {
        let store = self.shop.service.store();
        let mut writer = store.write().unwrap();
        let mut record: VisitRecord = writer.get(VISITS, visit, "visit").unwrap().unwrap();
        let refund = RecordId::from_u128(0x0190_0000_0000_0000_0000_0000_0000_0002);
        let number = writer
            .issue_receipt(&ReceiptFor::Refund { visit, refund })
            .unwrap();
        let amount = record.priced.amount_due;
        record.refunds.push(RefundRecord {
            id: refund,
            at: self.shop.service.now(),
            by: record.staff,
            approved_by: None,
            reason: "missed a spot".to_owned(),
            receipt_number: number,
            lines: vec![RefundedLine {
                line: 0,
                quantity: 1,
            }],
            net: record.priced.tax.net,
            taxes: record.priced.tax.taxes.clone(),
            amount,
            tenders: vec![Tender {
                method: PaymentMethod::Card,
                amount,
                tendered: None,
                change: Money::ZERO,
            }],
            points_reversed: record.points_earned,
            points_restored: 0,
            plan_uses_returned: Vec::new(),
            package_uses_returned: Vec::new(),
            shift: None,
        });
        writer.put(VISITS, visit, &record).unwrap();
        writer.commit().unwrap();
        number
    }

    fn cashier_desk_in_chinese(&self) -> Desk {
        let cashier = self.shop.cashier(&self.cashier_secret);
        self.shop
            .service
            .set_my_preferences(
                &cashier,
                StaffPreferences {
                    language: Some("zh-CN".to_owned()),
                    theme: None,
                },
            )
            .unwrap();
        self.shop.service.logout(&cashier).unwrap();
        let mut desk = self.shop.cashier_desk(&self.cashier_secret);
        desk.settle();
        desk
    }

    fn manager_desk(&self) -> Desk {
        let mut desk = self.shop.manager_desk();
        desk.settle();
        desk
    }
}

/// Opens the member found by phone and goes to the Visits tab, first row selected.
fn member_visits(desk: &mut Desk) {
    desk.key(KeyCode::F(3));
    desk.type_text(PHONE);
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Member", "{}", desk.screen());
    for _ in 0..4 {
        desk.tab();
    }
}

#[test]
fn manager_reprints_a_visit_from_the_members_history_in_english() {
    let counter = counter(bc_till());
    let (_, number) = counter.paid_visit(None);
    let mut desk = counter.manager_desk();
    member_visits(&mut desk);
    desk.key(KeyCode::Char('r'));
    assert_eq!(desk.app.screen_title(), "Receipt", "{}", desk.screen());
    desk.resize(80, 24);
    let screen = desk.screen();
    assert!(screen.contains(&format!("Receipt #{number}")), "{screen}");
    assert!(screen.contains("*** REPRINT ***"), "{screen}");
    insta::assert_snapshot!("visit_manager_80x24", screen);
    // The rest of the receipt is a scroll away at 80×24.
    desk.key(KeyCode::End);
    let scrolled = desk.screen();
    assert!(scrolled.contains("Points earned"), "{scrolled}");
    insta::assert_snapshot!("visit_manager_80x24_scrolled", scrolled);
    desk.resize(200, 50);
    desk.key(KeyCode::Home);
    let screen = desk.screen();
    assert!(
        screen.contains("GST 5%") && screen.contains("Change"),
        "{screen}"
    );
    insta::assert_snapshot!("visit_manager_200x50", screen);
    desk.esc();
    assert_eq!(desk.app.screen_title(), "Member");
}

#[test]
fn cashier_reads_a_chinese_receipt_and_its_refund_in_chinese() {
    let counter = counter(shanghai_till());
    let (visit, number) = counter.paid_visit(None);
    let refund_number = counter.refund(visit);
    let mut desk = counter.cashier_desk_in_chinese();
    member_visits(&mut desk);
    desk.key(KeyCode::Char('r'));
    assert_eq!(desk.app.screen_title(), "Receipt", "{}", desk.screen());
    desk.resize(80, 24);
    let screen = desk.screen();
    assert!(screen.contains(&format!("收据 #{number}")), "{screen}");
    assert!(screen.contains("第 1 张收据，共 2 张"), "{screen}");
    insta::assert_snapshot!("visit_cashier_zh_80x24", screen);
    desk.resize(200, 50);
    insta::assert_snapshot!("visit_cashier_zh_200x50", desk.screen());
    desk.tab();
    let refund = desk.screen();
    assert!(
        refund.contains(&format!("收据 #{refund_number}")) && refund.contains("退款"),
        "{refund}"
    );
    assert!(!refund.contains("王小明"), "a receipt names no customer");
    insta::assert_snapshot!("refund_cashier_zh_200x50", refund);
    desk.resize(80, 24);
    insta::assert_snapshot!("refund_cashier_zh_80x24", desk.screen());
}

#[test]
fn receipt_by_number_from_the_palette_in_both_languages() {
    let counter = counter(bc_till());
    let (_, number) = counter.paid_visit(None);
    let mut desk = counter.manager_desk();
    desk.resize(80, 24);
    desk.ctrl('k');
    desk.type_text("receipt by number");
    let palette = desk.screen();
    assert!(palette.contains("Receipt by number"), "{palette}");
    desk.enter();
    assert_eq!(desk.app.screen_title(), "Receipt");
    insta::assert_snapshot!("by_number_manager_80x24", desk.screen());
    desk.type_text("abc");
    desk.enter();
    assert!(desk.screen().contains("digits only"), "{}", desk.screen());
    for _ in 0..3 {
        desk.key(KeyCode::Backspace);
    }
    desk.type_text("99");
    desk.enter();
    let missing = desk.screen();
    assert!(missing.contains("there is no receipt 99"), "{missing}");
    for _ in 0..2 {
        desk.key(KeyCode::Backspace);
    }
    desk.type_text(&number.to_string());
    desk.enter();
    assert!(
        desk.screen().contains("*** REPRINT ***"),
        "{}",
        desk.screen()
    );
    desk.esc();
    assert_eq!(desk.app.screen_title(), "Today");

    let mut desk = counter.cashier_desk_in_chinese();
    desk.ctrl('o');
    desk.resize(200, 50);
    let ask = desk.screen();
    assert!(ask.contains("按编号查看收据"), "{ask}");
    insta::assert_snapshot!("by_number_cashier_zh_200x50", ask);
    desk.type_text(&number.to_string());
    desk.enter();
    let shown = desk.screen();
    // The shop prints in English; the cashier's screen is in Chinese around it.
    assert!(shown.contains("TOTAL") && shown.contains("打印"), "{shown}");
}

#[test]
fn printing_shows_what_happened_and_a_failure_loses_nothing() {
    let counter = counter(TillSettings {
        print_command: Some("false".to_owned()),
        ..bc_till()
    });
    let (_, number) = counter.paid_visit(None);
    let mut desk = counter.manager_desk();
    desk.ctrl('o');
    desk.type_text(&number.to_string());
    desk.enter();
    desk.resize(80, 24);
    desk.key(KeyCode::Char('p'));
    let failed = desk.screen();
    assert!(failed.contains("was not printed"), "{failed}");
    insta::assert_snapshot!("print_failed_manager_80x24", failed);

    // No printer set: the receipt is saved as a file and the viewer says where.
    counter
        .shop
        .service
        .update_till_settings(&counter.manager, bc_till())
        .unwrap();
    desk.key(KeyCode::Char('p'));
    let saved = desk.app.notice_text().unwrap_or_default().to_owned();
    assert!(saved.contains("saved as"), "{saved}");
    let file = counter
        .shop
        .dir
        .path()
        .join("receipts")
        .join(format!("receipt-{number:06}.txt"));
    assert!(
        std::fs::read_to_string(&file)
            .unwrap()
            .contains("*** REPRINT ***")
    );
}

#[test]
fn today_opens_the_receipt_of_a_completed_booking() {
    let counter = counter(bc_till());
    let booking = counter
        .shop
        .service
        .walk_in(&counter.manager, Some(counter.member), None, counter.wash)
        .unwrap();
    let mut desk = counter.manager_desk();
    // Not paid yet: nothing to show, and the screen says what to do.
    desk.key(KeyCode::Char('r'));
    assert_eq!(desk.app.screen_title(), "Today");
    assert!(
        desk.app
            .notice_text()
            .is_some_and(|n| n.contains("Choose a paid visit")),
        "{}",
        desk.screen()
    );
    let (_, number) = counter.paid_visit(Some(booking.id));
    desk.ctrl('r');
    desk.key(KeyCode::Char('r'));
    assert_eq!(desk.app.screen_title(), "Receipt", "{}", desk.screen());
    assert!(desk.screen().contains(&format!("Receipt #{number}")));
}
