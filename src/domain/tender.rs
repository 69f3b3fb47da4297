//! Settling a priced bill with one or more money tenders (card, mobile, cash last), with the
//! cash part rounded to the shop's cash unit and change given on it. Plans, packages and points
//! are applied earlier, in pricing, so they never appear here.

use serde::{Deserialize, Serialize};

use crate::domain::catalog::PaymentMethod;
use crate::domain::money::{Money, MoneyError};

/// One payment the cashier takes, in the order taken.
///
/// Card and mobile: `amount` pays that much, or everything still due when `None`; `tendered`
/// must be `None`. Cash must come last and at most once; it always pays everything still due
/// (`amount` is `None` or exactly what is still due before rounding), and `tendered` is the cash
/// handed over (`None` means exactly the rounded cash due).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenderRequest {
    pub method: PaymentMethod,
    pub amount: Option<Money>,
    pub tendered: Option<Money>,
}

/// One settled payment. For cash, `amount` is what stays in the drawer (the rounded cash due),
/// `tendered` is always `Some` (what was handed over) and `change` what went back; for card and
/// mobile `tendered` is `None` and `change` zero.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tender {
    pub method: PaymentMethod,
    pub amount: Money,
    pub tendered: Option<Money>,
    pub change: Money,
}

/// How a bill was settled. `charged == amount_due + tip + cash_rounding == Σ tenders[].amount`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    pub tenders: Vec<Tender>,
    /// Never taxed and earns no points, so it is kept apart from the amount due.
    pub tip: Money,
    /// Signed: the rounded cash due minus the unrounded cash due; zero when no cash was taken.
    pub cash_rounding: Money,
    pub charged: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TenderError {
    #[error("the amount due cannot be negative; price the visit again")]
    NegativeAmountDue { amount_due: Money },
    #[error("a tip cannot be negative; enter 0 for no tip")]
    NegativeTip { tip: Money },
    #[error(
        "{method} cannot be taken as a payment here (it is applied when pricing); pay with card, mobile or cash"
    )]
    NotAMoneyTender { method: PaymentMethod },
    #[error(
        "only cash takes an amount handed over; leave the amount handed over empty for {method}"
    )]
    TenderedWithoutCash { method: PaymentMethod },
    #[error("cash can be taken only once per bill; put all the cash in one payment")]
    CashMoreThanOnce,
    #[error("cash must be the last payment; take the card or mobile payments first")]
    CashNotLast,
    #[error("the bill is already fully paid; remove the extra {method} payment")]
    AlreadyPaid { method: PaymentMethod },
    #[error("a {method} payment must be more than zero; enter an amount or remove the payment")]
    AmountNotPositive { method: PaymentMethod },
    #[error("the {method} payment is more than is still due; charge at most the amount still due")]
    Overpaid {
        method: PaymentMethod,
        amount: Money,
        most: Money,
    },
    #[error(
        "cash pays everything still due; leave the cash amount empty or enter exactly the amount still due"
    )]
    CashAmountMismatch { amount: Money, still_due: Money },
    #[error("the cash handed over is less than the cash due; take at least the amount due")]
    CashShort { tendered: Money, cash_due: Money },
    #[error("the payments do not cover the bill; take another payment for the amount still due")]
    StillDue { remaining: Money },
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// Rounds to the nearest multiple of `unit` (5 for 0.05 CAD), exact halves away from zero, so a
/// negative amount rounds to exactly the negation of the positive one (as `Money::percent_of`
/// does). `None` or a unit of 1 or less leaves the amount as it is.
pub fn round_cash(amount: Money, unit: Option<Money>) -> Result<Money, TenderError> {
    let Some(unit) = unit.filter(|unit| unit.minor_units() > 1) else {
        return Ok(amount);
    };
    let unit = i128::from(unit.minor_units());
    let value = i128::from(amount.minor_units());
    let magnitude = value.abs();
    let below = magnitude - magnitude % unit;
    let nearest = if 2 * (magnitude - below) >= unit {
        below + unit
    } else {
        below
    };
    let signed = if value < 0 { -nearest } else { nearest };
    i64::try_from(signed)
        .map(Money::from_minor)
        .map_err(|_| TenderError::from(MoneyError::Overflow { operation: "round" }))
}

/// Settles `amount_due + tip` with `requests`, in order. Every request is checked against what
/// is still due when it comes, so an error names the first payment that does not fit.
pub fn settle(
    amount_due: Money,
    tip: Money,
    requests: &[TenderRequest],
    cash_unit: Option<Money>,
) -> Result<Settlement, TenderError> {
    if amount_due.is_negative() {
        return Err(TenderError::NegativeAmountDue { amount_due });
    }
    if tip.is_negative() {
        return Err(TenderError::NegativeTip { tip });
    }
    let bill = amount_due.checked_add(tip)?;
    let cash_requests = requests
        .iter()
        .filter(|request| request.method == PaymentMethod::Cash)
        .count();
    if cash_requests > 1 {
        return Err(TenderError::CashMoreThanOnce);
    }

    let mut still_due = bill;
    let mut tenders = Vec::with_capacity(requests.len());
    let mut cash_rounding = Money::ZERO;
    for (index, request) in requests.iter().enumerate() {
        let method = request.method;
        match method {
            PaymentMethod::Card | PaymentMethod::Mobile => {
                if request.tendered.is_some() {
                    return Err(TenderError::TenderedWithoutCash { method });
                }
                if still_due.is_zero() {
                    return Err(TenderError::AlreadyPaid { method });
                }
                let amount = request.amount.unwrap_or(still_due);
                if amount.minor_units() <= 0 {
                    return Err(TenderError::AmountNotPositive { method });
                }
                if amount > still_due {
                    return Err(TenderError::Overpaid {
                        method,
                        amount,
                        most: still_due,
                    });
                }
                still_due = still_due.checked_sub(amount)?;
                tenders.push(Tender {
                    method,
                    amount,
                    tendered: None,
                    change: Money::ZERO,
                });
            }
            PaymentMethod::Cash => {
                if index + 1 != requests.len() {
                    return Err(TenderError::CashNotLast);
                }
                if still_due.is_zero() {
                    return Err(TenderError::AlreadyPaid { method });
                }
                if let Some(amount) = request.amount
                    && amount != still_due
                {
                    return Err(TenderError::CashAmountMismatch { amount, still_due });
                }
                let cash_due = round_cash(still_due, cash_unit)?;
                cash_rounding = cash_due.checked_sub(still_due)?;
                still_due = Money::ZERO;
                let tendered = request.tendered.unwrap_or(cash_due);
                if tendered < cash_due {
                    return Err(TenderError::CashShort { tendered, cash_due });
                }
                // A remainder that rounds away to nothing needs no cash, unless some was
                // handed over and must be given back as change.
                if !cash_due.is_zero() || request.tendered.is_some() {
                    tenders.push(Tender {
                        method,
                        amount: cash_due,
                        tendered: Some(tendered),
                        change: tendered.checked_sub(cash_due)?,
                    });
                }
            }
            PaymentMethod::Plan | PaymentMethod::Package | PaymentMethod::Points => {
                return Err(TenderError::NotAMoneyTender { method });
            }
        }
    }
    if !still_due.is_zero() {
        return Err(TenderError::StillDue {
            remaining: still_due,
        });
    }
    Ok(Settlement {
        tenders,
        tip,
        cash_rounding,
        charged: bill.checked_add(cash_rounding)?,
    })
}

impl Settlement {
    /// What the cash tenders left in the drawer, net of change.
    pub fn cash_taken(&self) -> Money {
        // The tenders were summed without overflow when settled, so a part of them cannot
        // overflow either; saturating only guards a hand-built settlement.
        let minor = self
            .tenders
            .iter()
            .filter(|tender| tender.method == PaymentMethod::Cash)
            .fold(0i64, |sum, tender| {
                sum.saturating_add(tender.amount.minor_units())
            });
        Money::from_minor(minor)
    }

    /// Totals per method in the order each method was first used, for receipts and reports.
    pub fn by_method(&self) -> Vec<(PaymentMethod, Money)> {
        let mut totals: Vec<(PaymentMethod, Money)> = Vec::new();
        for tender in &self.tenders {
            match totals
                .iter_mut()
                .find(|(method, _)| *method == tender.method)
            {
                Some((_, total)) => {
                    *total = Money::from_minor(
                        total
                            .minor_units()
                            .saturating_add(tender.amount.minor_units()),
                    );
                }
                None => totals.push((tender.method, tender.amount)),
            }
        }
        totals
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const CAD_CASH_UNIT: Option<Money> = Some(Money::from_minor(5));

    fn m(minor: i64) -> Money {
        Money::from_minor(minor)
    }

    fn card(amount: Option<i64>) -> TenderRequest {
        TenderRequest {
            method: PaymentMethod::Card,
            amount: amount.map(m),
            tendered: None,
        }
    }

    fn mobile(amount: Option<i64>) -> TenderRequest {
        TenderRequest {
            method: PaymentMethod::Mobile,
            amount: amount.map(m),
            tendered: None,
        }
    }

    fn cash(tendered: Option<i64>) -> TenderRequest {
        TenderRequest {
            method: PaymentMethod::Cash,
            amount: None,
            tendered: tendered.map(m),
        }
    }

    #[test]
    fn round_cash_goes_to_the_nearest_unit_with_halves_up() {
        assert_eq!(round_cash(m(1411), CAD_CASH_UNIT), Ok(m(1410)));
        assert_eq!(round_cash(m(1412), CAD_CASH_UNIT), Ok(m(1410)));
        assert_eq!(round_cash(m(1413), CAD_CASH_UNIT), Ok(m(1415)));
        assert_eq!(round_cash(m(1415), CAD_CASH_UNIT), Ok(m(1415)));
        assert_eq!(round_cash(m(2), CAD_CASH_UNIT), Ok(m(0)));
        assert_eq!(round_cash(m(5), Some(m(10))), Ok(m(10)));
        assert_eq!(round_cash(m(4), Some(m(10))), Ok(m(0)));
        assert_eq!(round_cash(m(-5), Some(m(10))), Ok(m(-10)));
        assert_eq!(round_cash(m(-1413), CAD_CASH_UNIT), Ok(m(-1415)));
        assert_eq!(round_cash(m(1413), None), Ok(m(1413)));
        assert_eq!(round_cash(m(1413), Some(m(1))), Ok(m(1413)));
        assert_eq!(round_cash(m(1413), Some(m(0))), Ok(m(1413)));
        assert_eq!(round_cash(m(1413), Some(m(-5))), Ok(m(1413)));
        assert!(matches!(
            round_cash(m(i64::MAX), Some(m(10))),
            Err(TenderError::Money(MoneyError::Overflow { .. }))
        ));
    }

    #[test]
    fn cash_rounds_down_to_the_nearest_five_cents() {
        let settled = settle(m(1411), Money::ZERO, &[cash(None)], CAD_CASH_UNIT).unwrap();
        assert_eq!(settled.cash_rounding, m(-1));
        assert_eq!(settled.charged, m(1410));
        assert_eq!(
            settled.tenders,
            vec![Tender {
                method: PaymentMethod::Cash,
                amount: m(1410),
                tendered: Some(m(1410)),
                change: Money::ZERO,
            }]
        );
        assert_eq!(settled.cash_taken(), m(1410));
    }

    #[test]
    fn cash_rounds_up_to_the_nearest_five_cents() {
        let settled = settle(m(1413), Money::ZERO, &[cash(None)], CAD_CASH_UNIT).unwrap();
        assert_eq!(settled.cash_rounding, m(2));
        assert_eq!(settled.charged, m(1415));
        assert_eq!(settled.tenders[0].amount, m(1415));
    }

    #[test]
    fn change_is_given_on_the_rounded_cash_due() {
        let settled = settle(m(1411), Money::ZERO, &[cash(Some(2000))], CAD_CASH_UNIT).unwrap();
        assert_eq!(settled.tenders[0].tendered, Some(m(2000)));
        assert_eq!(settled.tenders[0].change, m(590));
        assert_eq!(settled.cash_taken(), m(1410));
    }

    #[test]
    fn card_then_cash_rounds_only_the_cash_part() {
        let settled = settle(
            m(2513),
            Money::ZERO,
            &[card(Some(1000)), cash(Some(2000))],
            CAD_CASH_UNIT,
        )
        .unwrap();
        assert_eq!(settled.tenders.len(), 2);
        assert_eq!(settled.tenders[0].method, PaymentMethod::Card);
        assert_eq!(settled.tenders[0].amount, m(1000));
        assert_eq!(settled.tenders[0].change, Money::ZERO);
        assert_eq!(settled.tenders[1].amount, m(1515));
        assert_eq!(settled.tenders[1].change, m(485));
        assert_eq!(settled.cash_rounding, m(2));
        assert_eq!(settled.charged, m(2515));
        assert_eq!(
            settled.by_method(),
            vec![
                (PaymentMethod::Card, m(1000)),
                (PaymentMethod::Cash, m(1515))
            ]
        );
    }

    #[test]
    fn a_tip_on_card_is_charged_but_kept_apart() {
        let settled = settle(m(3011), m(500), &[card(None)], CAD_CASH_UNIT).unwrap();
        assert_eq!(settled.tip, m(500));
        assert_eq!(settled.cash_rounding, Money::ZERO);
        assert_eq!(settled.charged, m(3511));
        assert_eq!(settled.tenders[0].amount, m(3511));
        assert_eq!(settled.cash_taken(), Money::ZERO);
    }

    #[test]
    fn by_method_adds_up_repeated_methods_in_first_seen_order() {
        let settled = settle(
            m(1000),
            Money::ZERO,
            &[
                mobile(Some(100)),
                card(Some(200)),
                mobile(Some(300)),
                card(None),
            ],
            None,
        )
        .unwrap();
        assert_eq!(
            settled.by_method(),
            vec![
                (PaymentMethod::Mobile, m(400)),
                (PaymentMethod::Card, m(600))
            ]
        );
    }

    #[test]
    fn a_free_bill_needs_no_tender() {
        let settled = settle(Money::ZERO, Money::ZERO, &[], CAD_CASH_UNIT).unwrap();
        assert_eq!(settled, Settlement::default());
        assert_eq!(
            settle(Money::ZERO, Money::ZERO, &[card(None)], None),
            Err(TenderError::AlreadyPaid {
                method: PaymentMethod::Card
            })
        );
    }

    #[test]
    fn a_remainder_that_rounds_to_nothing_records_cash_only_when_handed_over() {
        let settled = settle(
            m(1002),
            Money::ZERO,
            &[card(Some(1000)), cash(None)],
            CAD_CASH_UNIT,
        )
        .unwrap();
        assert_eq!(settled.tenders.len(), 1);
        assert_eq!(settled.cash_rounding, m(-2));
        assert_eq!(settled.charged, m(1000));

        let settled = settle(
            m(1002),
            Money::ZERO,
            &[card(Some(1000)), cash(Some(500))],
            CAD_CASH_UNIT,
        )
        .unwrap();
        assert_eq!(
            settled.tenders[1],
            Tender {
                method: PaymentMethod::Cash,
                amount: Money::ZERO,
                tendered: Some(m(500)),
                change: m(500),
            }
        );
    }

    #[test]
    fn cash_may_name_exactly_the_unrounded_remainder() {
        let exact = TenderRequest {
            method: PaymentMethod::Cash,
            amount: Some(m(1411)),
            tendered: None,
        };
        assert!(settle(m(1411), Money::ZERO, &[exact], CAD_CASH_UNIT).is_ok());
        let rounded = TenderRequest {
            method: PaymentMethod::Cash,
            amount: Some(m(1410)),
            tendered: None,
        };
        assert_eq!(
            settle(m(1411), Money::ZERO, &[rounded], CAD_CASH_UNIT),
            Err(TenderError::CashAmountMismatch {
                amount: m(1410),
                still_due: m(1411)
            })
        );
    }

    #[test]
    fn wrong_requests_are_refused_with_the_reason() {
        let due = m(1000);
        let cases: Vec<(Money, Vec<TenderRequest>, TenderError)> = vec![
            (
                due,
                vec![TenderRequest {
                    method: PaymentMethod::Points,
                    amount: None,
                    tendered: None,
                }],
                TenderError::NotAMoneyTender {
                    method: PaymentMethod::Points,
                },
            ),
            (
                due,
                vec![TenderRequest {
                    method: PaymentMethod::Card,
                    amount: None,
                    tendered: Some(m(2000)),
                }],
                TenderError::TenderedWithoutCash {
                    method: PaymentMethod::Card,
                },
            ),
            (due, vec![cash(None), card(None)], TenderError::CashNotLast),
            (
                due,
                vec![card(Some(500)), cash(None), cash(None)],
                TenderError::CashMoreThanOnce,
            ),
            (
                due,
                vec![card(None), mobile(None)],
                TenderError::AlreadyPaid {
                    method: PaymentMethod::Mobile,
                },
            ),
            (
                due,
                vec![card(Some(0))],
                TenderError::AmountNotPositive {
                    method: PaymentMethod::Card,
                },
            ),
            (
                due,
                vec![mobile(Some(-100))],
                TenderError::AmountNotPositive {
                    method: PaymentMethod::Mobile,
                },
            ),
            (
                due,
                vec![card(Some(400)), card(Some(700))],
                TenderError::Overpaid {
                    method: PaymentMethod::Card,
                    amount: m(700),
                    most: m(600),
                },
            ),
            (
                due,
                vec![cash(Some(900))],
                TenderError::CashShort {
                    tendered: m(900),
                    cash_due: m(1000),
                },
            ),
            (
                due,
                vec![card(Some(400))],
                TenderError::StillDue { remaining: m(600) },
            ),
            (due, vec![], TenderError::StillDue { remaining: due }),
            (
                m(-1),
                vec![],
                TenderError::NegativeAmountDue { amount_due: m(-1) },
            ),
        ];
        for (amount_due, requests, expected) in cases {
            assert_eq!(
                settle(amount_due, Money::ZERO, &requests, CAD_CASH_UNIT),
                Err(expected),
                "{requests:?}"
            );
        }
        assert_eq!(
            settle(due, m(-1), &[card(None)], None),
            Err(TenderError::NegativeTip { tip: m(-1) })
        );
    }

    #[test]
    fn error_messages_say_what_to_do() {
        let overpaid = TenderError::Overpaid {
            method: PaymentMethod::Card,
            amount: m(700),
            most: m(600),
        };
        assert_eq!(
            overpaid.to_string(),
            "the card payment is more than is still due; charge at most the amount still due"
        );
        let not_money = TenderError::NotAMoneyTender {
            method: PaymentMethod::Plan,
        }
        .to_string();
        for named in ["card", "mobile", "cash"] {
            assert!(not_money.contains(named), "{not_money}");
        }
        let short = TenderError::CashShort {
            tendered: m(900),
            cash_due: m(1000),
        }
        .to_string();
        assert!(short.contains("take at least"), "{short}");
    }

    #[test]
    fn settlements_round_trip_through_serde() {
        let settled = settle(
            m(2513),
            m(100),
            &[card(Some(1000)), cash(Some(2000))],
            CAD_CASH_UNIT,
        )
        .unwrap();
        let bytes = postcard::to_stdvec(&settled).unwrap();
        assert_eq!(postcard::from_bytes::<Settlement>(&bytes).unwrap(), settled);
    }

    fn any_method() -> impl Strategy<Value = PaymentMethod> {
        proptest::sample::select(PaymentMethod::ALL.to_vec())
    }

    fn any_unit() -> impl Strategy<Value = Option<Money>> {
        proptest::option::of((-5i64..=100).prop_map(Money::from_minor))
    }

    fn any_request() -> impl Strategy<Value = TenderRequest> {
        (
            any_method(),
            proptest::option::of(-100i64..20_000),
            proptest::option::of(-100i64..30_000),
        )
            .prop_map(|(method, amount, tendered)| TenderRequest {
                method,
                amount: amount.map(Money::from_minor),
                tendered: tendered.map(Money::from_minor),
            })
    }

    /// A valid sequence: card and mobile payments drawn from `shares`, then either cash for
    /// the rest (with `extra_cash` more handed over, if any) or a last card for the rest.
    fn valid_requests(
        bill: i64,
        shares: &[(bool, u32)],
        cash_last: bool,
        extra_cash: Option<i64>,
        unit: Option<Money>,
    ) -> Vec<TenderRequest> {
        let mut requests = Vec::new();
        let mut remaining = bill;
        for &(on_mobile, share) in shares {
            if remaining <= 1 {
                break;
            }
            // Leaves at least one minor unit for whatever comes last.
            let amount = 1 + i64::from(share) % (remaining - 1);
            remaining -= amount;
            requests.push(if on_mobile {
                mobile(Some(amount))
            } else {
                card(Some(amount))
            });
        }
        if remaining > 0 {
            if cash_last {
                let cash_due = round_cash(m(remaining), unit).unwrap().minor_units();
                requests.push(cash(extra_cash.map(|extra| cash_due + extra)));
            } else {
                requests.push(card(None));
            }
        }
        requests
    }

    fn check_invariants(
        amount_due: Money,
        tip: Money,
        requests: &[TenderRequest],
        unit: Option<Money>,
        settled: &Settlement,
    ) -> Result<(), TestCaseError> {
        let sum = Money::checked_sum(settled.tenders.iter().map(|t| t.amount)).unwrap();
        prop_assert_eq!(sum, settled.charged);
        prop_assert_eq!(
            settled.charged,
            amount_due
                .checked_add(tip)
                .unwrap()
                .checked_add(settled.cash_rounding)
                .unwrap()
        );
        let half_unit = unit.map_or(0, |u| u.minor_units().max(1) / 2);
        prop_assert!(settled.cash_rounding.minor_units().abs() <= half_unit);
        let cash_requested = requests.iter().any(|r| r.method == PaymentMethod::Cash);
        if !cash_requested {
            prop_assert_eq!(settled.cash_rounding, Money::ZERO);
        }
        let mut non_cash_requests = requests.iter().filter(|r| r.method != PaymentMethod::Cash);
        for tender in &settled.tenders {
            prop_assert!(!tender.change.is_negative());
            if tender.method == PaymentMethod::Cash {
                let tendered = tender.tendered.unwrap();
                prop_assert_eq!(tendered.checked_sub(tender.change).unwrap(), tender.amount);
            } else {
                prop_assert_eq!(tender.tendered, None);
                prop_assert_eq!(tender.change, Money::ZERO);
                let request = non_cash_requests.next().unwrap();
                if let Some(asked) = request.amount {
                    prop_assert_eq!(tender.amount, asked);
                }
            }
        }
        prop_assert_eq!(
            Money::checked_sum(settled.by_method().iter().map(|(_, total)| *total)).unwrap(),
            settled.charged
        );
        Ok(())
    }

    proptest! {
        #[test]
        fn valid_settlements_keep_every_invariant(
            amount_due in 0i64..200_000,
            tip in 0i64..5_000,
            shares in proptest::collection::vec((any::<bool>(), any::<u32>()), 0..4),
            cash_last in any::<bool>(),
            extra_cash in proptest::option::of(0i64..10_000),
            unit in any_unit(),
        ) {
            let requests = valid_requests(amount_due + tip, &shares, cash_last, extra_cash, unit);
            let settled = settle(m(amount_due), m(tip), &requests, unit);
            prop_assert!(settled.is_ok(), "{:?}", settled);
            let settled = settled.unwrap();
            check_invariants(m(amount_due), m(tip), &requests, unit, &settled)?;
            let cash = settled.tenders.iter().find(|t| t.method == PaymentMethod::Cash);
            if let (Some(extra), Some(cash)) = (extra_cash.filter(|_| cash_last), cash) {
                prop_assert_eq!(cash.change, m(extra));
            }
        }

        #[test]
        fn any_accepted_request_list_keeps_every_invariant(
            amount_due in -10i64..20_000,
            tip in -10i64..2_000,
            requests in proptest::collection::vec(any_request(), 0..5),
            unit in any_unit(),
        ) {
            if let Ok(settled) = settle(m(amount_due), m(tip), &requests, unit) {
                check_invariants(m(amount_due), m(tip), &requests, unit, &settled)?;
            }
        }

        #[test]
        fn rounding_lands_on_a_unit_within_half_a_unit(
            amount in -1_000_000i64..1_000_000,
            unit in 2i64..1_000,
        ) {
            let rounded = round_cash(m(amount), Some(m(unit))).unwrap().minor_units();
            prop_assert_eq!(rounded % unit, 0);
            prop_assert!((rounded - amount).abs() * 2 <= unit);
            prop_assert_eq!(round_cash(m(-amount), Some(m(unit))).unwrap().minor_units(), -rounded);
        }
    }
}
