//! A British Columbia shop for the refund tests: GST 5 % on everything, PST 7 % on details only,
//! cash rounded to 0.05 CAD, tips on; a member with a car; an exterior wash and a detail.
#![allow(dead_code)]

use frontdesk::domain::catalog::{PaymentMethod, ServiceCategory, ServiceItem};
use frontdesk::domain::money::Money;
use frontdesk::domain::receipt::ReceiptLanguage;
use frontdesk::domain::tax::{TaxClass, TaxRate, TaxSettings};
use frontdesk::domain::tender::TenderRequest;
use frontdesk::domain::vehicle::VehicleKind;
use frontdesk::ids::RecordId;
use frontdesk::service::{
    CheckoutInput, CheckoutLine, CheckoutReceipt, MemberInput, PointsUse, Session, VehicleInput,
};
use frontdesk::store::records::TillSettings;
use frontdesk::store::schema::SERVICES;

use super::common::{Shop, open_shop};

pub struct Till {
    pub shop: Shop,
    pub manager: Session,
    /// 20.00, GST only.
    pub exterior: RecordId,
    /// 89.50, GST and PST.
    pub detail: RecordId,
    /// 12.50, no tax.
    pub vacuum: RecordId,
    pub member: RecordId,
    pub car: RecordId,
}

pub fn bc_taxes() -> TaxSettings {
    TaxSettings {
        prices_include_tax: false,
        taxes: vec![TaxRate::new("GST", 500), TaxRate::new("PST", 700)],
    }
}

pub fn card() -> TenderRequest {
    TenderRequest {
        method: PaymentMethod::Card,
        amount: None,
        tendered: None,
    }
}

pub fn cash(tendered: Option<i64>) -> TenderRequest {
    TenderRequest {
        method: PaymentMethod::Cash,
        amount: None,
        tendered: tendered.map(Money::from_minor),
    }
}

/// Writes a service with its tax class straight into the store (the service editor's own tax
/// class field is built elsewhere).
pub fn put_service(shop: &Shop, name: &str, price: i64, class: TaxClass) -> RecordId {
    let id = RecordId::generate(
        shop.service.now(),
        &frontdesk::entropy::SeededEntropy::new(price as u64),
    )
    .expect("id");
    let mut item = ServiceItem::new(
        id,
        name,
        ServiceCategory::Exterior,
        30,
        Money::from_minor(price),
        true,
        true,
    )
    .expect("service");
    item.tax_class = class;
    let mut writer = shop.service.store().write().expect("write");
    writer.put(SERVICES, id, &item).expect("put service");
    writer.commit().expect("commit");
    id
}

pub fn bc_till() -> Till {
    till_with(bc_taxes(), ReceiptLanguage::English)
}

pub fn till_with(tax: TaxSettings, receipt_language: ReceiptLanguage) -> Till {
    let shop = open_shop();
    let manager = shop.manager();
    shop.service
        .update_till_settings(
            &manager,
            TillSettings {
                tax,
                cash_unit: Some(Money::from_minor(5)),
                tips: true,
                receipt_language,
                print_command: None,
            },
        )
        .expect("till settings");
    let exterior = put_service(
        &shop,
        "Exterior wash",
        2000,
        TaxClass::Only(vec!["GST".into()]),
    );
    let detail = put_service(&shop, "Full detail", 8950, TaxClass::Standard);
    let vacuum = put_service(&shop, "Vacuum", 1250, TaxClass::Exempt);
    let member = shop
        .service
        .create_member(
            &manager,
            MemberInput {
                name: "王小明".to_owned(),
                ..MemberInput::default()
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
                plate: "ABC 123".to_owned(),
                kind: VehicleKind::Sedan,
                make_model: None,
                colour: None,
            },
        )
        .expect("vehicle")
        .id;
    Till {
        shop,
        manager,
        exterior,
        detail,
        vacuum,
        member,
        car,
    }
}

impl Till {
    pub fn pay(
        &self,
        lines: &[(RecordId, u32)],
        tenders: Vec<TenderRequest>,
        points: Option<PointsUse>,
        tip: i64,
    ) -> CheckoutReceipt {
        self.shop
            .service
            .checkout(
                &self.manager,
                CheckoutInput {
                    booking: None,
                    member: Some(self.member),
                    vehicle: Some(self.car),
                    lines: lines
                        .iter()
                        .map(|&(service, quantity)| CheckoutLine {
                            service,
                            quantity,
                            price_override: None,
                        })
                        .collect(),
                    discount: None,
                    adjustment_reason: None,
                    points,
                    payment: PaymentMethod::Card,
                    tenders,
                    tip: Money::from_minor(tip),
                },
            )
            .expect("checkout")
    }

    pub fn balance(&self) -> i64 {
        self.shop
            .service
            .member_points(&self.manager, self.member)
            .expect("points")
            .balance
    }
}
