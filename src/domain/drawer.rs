//! The cash drawer of one shift: opened with a float, cash paid out or dropped to the safe
//! during it, closed once with a count, and the count compared with what should be there.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::domain::currency::Currency;
use crate::domain::money::{Money, MoneyError};
use crate::domain::sanitize::sanitize_line;
use crate::ids::RecordId;

/// The longest reason a movement may carry, so it fits on one line of the drawer report.
pub const MAX_REASON_CHARS: usize = 80;

/// Cash leaving the drawer other than as change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MovementKind {
    /// Cash paid for something (supplies, a delivery), with what it was for.
    PaidOut,
    /// Cash moved to the safe, so the drawer never holds too much.
    Drop,
}

impl MovementKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::PaidOut => "paid-out",
            MovementKind::Drop => "drop",
        }
    }

    fn reason_prompt(self) -> &'static str {
        match self {
            MovementKind::PaidOut => "say what the cash was for",
            MovementKind::Drop => "say why the cash went to the safe",
        }
    }
}

impl std::fmt::Display for MovementKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DrawerMovement {
    pub kind: MovementKind,
    pub amount: Money,
    pub reason: String,
    pub at: DateTime<Utc>,
    pub by: RecordId,
}

/// How many notes or coins of one denomination were counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CountLine {
    pub denomination: Money,
    pub count: u32,
}

/// The count at the end of a shift, with the sales and refunds it was checked against, so the
/// over/short stays explainable after the fact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShiftClosing {
    pub at: DateTime<Utc>,
    pub by: RecordId,
    pub counted: Money,
    /// Empty when the cash was counted as one total.
    pub count_lines: Vec<CountLine>,
    pub cash_sales: Money,
    pub cash_refunds: Money,
    pub expected: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shift {
    pub id: RecordId,
    pub staff: RecordId,
    pub opened_at: DateTime<Utc>,
    pub float: Money,
    pub movements: Vec<DrawerMovement>,
    pub closed: Option<ShiftClosing>,
}

/// Every way cash came into or left the drawer during a shift.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CashFlows {
    pub float: Money,
    pub cash_sales: Money,
    pub cash_refunds: Money,
    pub paid_outs: Money,
    pub drops: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DrawerError {
    #[error("the opening float cannot be negative; count the cash in the drawer and enter it")]
    NegativeFloat { float: Money },
    #[error("this shift is already closed; open a new one")]
    ShiftClosed,
    #[error("a {kind} must be more than zero; enter the amount of cash that left the drawer")]
    MovementNotPositive { kind: MovementKind, amount: Money },
    #[error("a {kind} needs a reason; {}", .kind.reason_prompt())]
    MissingReason { kind: MovementKind },
    #[error("the reason for a {kind} is too long; keep it to {MAX_REASON_CHARS} characters")]
    ReasonTooLong { kind: MovementKind },
    #[error("the counted cash cannot be negative; count the drawer again")]
    NegativeCount { counted: Money },
    #[error(
        "a denomination in the count must be more than zero; correct the notes and coins entered"
    )]
    BadDenomination { denomination: Money },
    #[error(
        "the notes and coins counted do not add up to the total entered; count again or correct the total"
    )]
    CountMismatch { lines_total: Money, counted: Money },
    #[error("the shift's {what} cannot be negative; check the shift's sales and refunds")]
    NegativeFlow { what: &'static str, amount: Money },
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// The cash that should be in the drawer: float + sales − refunds − paid-outs − drops.
pub fn expected_cash(flows: &CashFlows) -> Result<Money, DrawerError> {
    Ok(flows
        .float
        .checked_add(flows.cash_sales)?
        .checked_sub(flows.cash_refunds)?
        .checked_sub(flows.paid_outs)?
        .checked_sub(flows.drops)?)
}

/// The value of a count by denomination.
pub fn count_total(lines: &[CountLine]) -> Result<Money, DrawerError> {
    let mut total = Money::ZERO;
    for line in lines {
        if line.denomination.minor_units() <= 0 {
            return Err(DrawerError::BadDenomination {
                denomination: line.denomination,
            });
        }
        total = total.checked_add(line.denomination.checked_mul(line.count)?)?;
    }
    Ok(total)
}

/// The usual notes and coins of a currency, largest first, in minor units, so the closing
/// count can be entered line by line. Empty for other currencies: the count is then entered as
/// one total. Rare pieces (USD 2.00, EUR 200.00, JPY 2000) are left out; a count line may
/// still name any denomination.
pub fn denominations(currency: &Currency) -> Vec<Money> {
    let minor: &[i64] = match currency.code() {
        "CAD" => &[10000, 5000, 2000, 1000, 500, 200, 100, 25, 10, 5],
        "CNY" => &[10000, 5000, 2000, 1000, 500, 100, 50, 10],
        "USD" => &[10000, 5000, 2000, 1000, 500, 100, 25, 10, 5, 1],
        "EUR" => &[10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1],
        "GBP" => &[5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5, 2, 1],
        "AUD" => &[10000, 5000, 2000, 1000, 500, 200, 100, 50, 20, 10, 5],
        "JPY" => &[10000, 5000, 1000, 500, 100, 50, 10, 5, 1],
        _ => &[],
    };
    minor.iter().copied().map(Money::from_minor).collect()
}

impl Shift {
    pub fn open(
        id: RecordId,
        staff: RecordId,
        opened_at: DateTime<Utc>,
        float: Money,
    ) -> Result<Shift, DrawerError> {
        if float.is_negative() {
            return Err(DrawerError::NegativeFloat { float });
        }
        Ok(Shift {
            id,
            staff,
            opened_at,
            float,
            movements: Vec::new(),
            closed: None,
        })
    }

    /// Records a paid-out or drop, its reason cleaned for the terminal. Refused once the shift
    /// is closed, because the count would no longer match, and refused if it would take the
    /// shift's total of that kind beyond what can be added up.
    pub fn record(&mut self, movement: DrawerMovement) -> Result<(), DrawerError> {
        if !self.is_open() {
            return Err(DrawerError::ShiftClosed);
        }
        let kind = movement.kind;
        if movement.amount.minor_units() <= 0 {
            return Err(DrawerError::MovementNotPositive {
                kind,
                amount: movement.amount,
            });
        }
        let reason = sanitize_line(&movement.reason);
        if reason.is_empty() {
            return Err(DrawerError::MissingReason { kind });
        }
        if reason.chars().count() > MAX_REASON_CHARS {
            return Err(DrawerError::ReasonTooLong { kind });
        }
        self.total_of(kind)?.checked_add(movement.amount)?;
        self.movements.push(DrawerMovement { reason, ..movement });
        Ok(())
    }

    /// The shift's cash flows, given the cash sales and refunds the caller totalled from the
    /// shift's visits.
    pub fn flows(&self, cash_sales: Money, cash_refunds: Money) -> CashFlows {
        CashFlows {
            float: self.float,
            cash_sales,
            cash_refunds,
            paid_outs: self.saturating_total_of(MovementKind::PaidOut),
            drops: self.saturating_total_of(MovementKind::Drop),
        }
    }

    /// Closes the shift with the cash counted, as a total and optionally by denomination (the
    /// lines must then add up to the total). Happens once; the closing is kept on the shift.
    pub fn close(
        &mut self,
        at: DateTime<Utc>,
        by: RecordId,
        counted: Money,
        count_lines: Vec<CountLine>,
        cash_sales: Money,
        cash_refunds: Money,
    ) -> Result<&ShiftClosing, DrawerError> {
        if !self.is_open() {
            return Err(DrawerError::ShiftClosed);
        }
        if counted.is_negative() {
            return Err(DrawerError::NegativeCount { counted });
        }
        if !count_lines.is_empty() {
            let lines_total = count_total(&count_lines)?;
            if lines_total != counted {
                return Err(DrawerError::CountMismatch {
                    lines_total,
                    counted,
                });
            }
        }
        for (what, amount) in [("cash sales", cash_sales), ("cash refunds", cash_refunds)] {
            if amount.is_negative() {
                return Err(DrawerError::NegativeFlow { what, amount });
            }
        }
        let flows = CashFlows {
            paid_outs: self.total_of(MovementKind::PaidOut)?,
            drops: self.total_of(MovementKind::Drop)?,
            ..self.flows(cash_sales, cash_refunds)
        };
        let expected = expected_cash(&flows)?;
        // Checked here so that `over_short` of a closed shift always has an answer.
        counted.checked_sub(expected)?;
        Ok(&*self.closed.insert(ShiftClosing {
            at,
            by,
            counted,
            count_lines,
            cash_sales,
            cash_refunds,
            expected,
        }))
    }

    /// Counted minus expected once closed: positive is over, negative is short.
    pub fn over_short(&self) -> Option<Money> {
        let closing = self.closed.as_ref()?;
        closing.counted.checked_sub(closing.expected).ok()
    }

    pub fn is_open(&self) -> bool {
        self.closed.is_none()
    }

    fn total_of(&self, kind: MovementKind) -> Result<Money, DrawerError> {
        Ok(Money::checked_sum(
            self.movements
                .iter()
                .filter(|movement| movement.kind == kind)
                .map(|movement| movement.amount),
        )?)
    }

    /// `record` keeps each kind's total in range, so saturation only guards a shift built by
    /// hand; `close` uses the checked total.
    fn saturating_total_of(&self, kind: MovementKind) -> Money {
        let minor = self
            .movements
            .iter()
            .filter(|movement| movement.kind == kind)
            .fold(0i64, |sum, movement| {
                sum.saturating_add(movement.amount.minor_units())
            });
        Money::from_minor(minor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use proptest::prelude::*;

    fn m(minor: i64) -> Money {
        Money::from_minor(minor)
    }

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 3, 14, hour, 0, 0).unwrap()
    }

    fn cashier() -> RecordId {
        RecordId::from_u128(7)
    }

    fn manager() -> RecordId {
        RecordId::from_u128(8)
    }

    fn shift(float: i64) -> Shift {
        Shift::open(RecordId::from_u128(1), cashier(), at(8), m(float)).unwrap()
    }

    fn movement(kind: MovementKind, amount: i64, reason: &str) -> DrawerMovement {
        DrawerMovement {
            kind,
            amount: m(amount),
            reason: reason.to_owned(),
            at: at(12),
            by: cashier(),
        }
    }

    #[test]
    fn a_shift_closes_with_its_over_short() {
        let mut shift = shift(20_000);
        assert!(shift.is_open());
        assert_eq!(shift.over_short(), None);
        shift
            .record(movement(MovementKind::PaidOut, 1_250, "Window cleaner"))
            .unwrap();
        shift
            .record(movement(MovementKind::Drop, 30_000, "Midday drop"))
            .unwrap();
        let flows = shift.flows(m(45_000), m(2_000));
        assert_eq!(
            flows,
            CashFlows {
                float: m(20_000),
                cash_sales: m(45_000),
                cash_refunds: m(2_000),
                paid_outs: m(1_250),
                drops: m(30_000),
            }
        );
        assert_eq!(expected_cash(&flows), Ok(m(31_750)));

        let lines = vec![
            CountLine {
                denomination: m(10_000),
                count: 3,
            },
            CountLine {
                denomination: m(1_000),
                count: 1,
            },
            CountLine {
                denomination: m(500),
                count: 1,
            },
            CountLine {
                denomination: m(25),
                count: 6,
            },
        ];
        let closing = shift
            .close(at(17), manager(), m(31_650), lines, m(45_000), m(2_000))
            .unwrap();
        assert_eq!(closing.expected, m(31_750));
        assert_eq!(closing.by, manager());
        assert!(!shift.is_open());
        assert_eq!(shift.over_short(), Some(m(-100)));
    }

    #[test]
    fn a_closed_shift_refuses_movements_and_a_second_close() {
        let mut shift = shift(10_000);
        shift
            .close(
                at(17),
                cashier(),
                m(10_000),
                vec![],
                Money::ZERO,
                Money::ZERO,
            )
            .unwrap();
        assert_eq!(shift.over_short(), Some(Money::ZERO));
        assert_eq!(
            shift.record(movement(MovementKind::Drop, 100, "Late drop")),
            Err(DrawerError::ShiftClosed)
        );
        assert_eq!(
            shift
                .close(at(18), cashier(), m(0), vec![], Money::ZERO, Money::ZERO)
                .unwrap_err()
                .to_string(),
            "this shift is already closed; open a new one"
        );
    }

    #[test]
    fn movements_need_an_amount_and_a_clean_reason() {
        let mut shift = shift(10_000);
        assert_eq!(
            shift.record(movement(MovementKind::PaidOut, 0, "Soap")),
            Err(DrawerError::MovementNotPositive {
                kind: MovementKind::PaidOut,
                amount: Money::ZERO
            })
        );
        assert_eq!(
            shift.record(movement(MovementKind::Drop, -5, "Safe")),
            Err(DrawerError::MovementNotPositive {
                kind: MovementKind::Drop,
                amount: m(-5)
            })
        );
        let missing = shift
            .record(movement(MovementKind::PaidOut, 500, " \u{200B}\u{202E} \t"))
            .unwrap_err();
        assert_eq!(
            missing.to_string(),
            "a paid-out needs a reason; say what the cash was for"
        );
        let too_long = "x".repeat(MAX_REASON_CHARS + 1);
        assert_eq!(
            shift.record(movement(MovementKind::Drop, 500, &too_long)),
            Err(DrawerError::ReasonTooLong {
                kind: MovementKind::Drop
            })
        );
        let just_fits = "洗".repeat(MAX_REASON_CHARS);
        assert!(
            shift
                .record(movement(MovementKind::Drop, 500, &just_fits))
                .is_ok()
        );
        shift
            .record(movement(
                MovementKind::PaidOut,
                500,
                "  Bought\u{202E} towels\n for bay 2 ",
            ))
            .unwrap();
        assert_eq!(shift.movements.len(), 2);
        assert_eq!(shift.movements[1].reason, "Bought towels for bay 2");
    }

    #[test]
    fn movements_that_would_overflow_the_total_are_refused() {
        let mut shift = shift(0);
        shift
            .record(movement(MovementKind::Drop, i64::MAX, "Safe"))
            .unwrap();
        assert!(matches!(
            shift.record(movement(MovementKind::Drop, 1, "Safe")),
            Err(DrawerError::Money(MoneyError::Overflow { .. }))
        ));
        assert_eq!(shift.movements.len(), 1);
    }

    #[test]
    fn closing_checks_the_count() {
        let mut shift = shift(10_000);
        assert_eq!(
            shift.close(at(17), cashier(), m(-1), vec![], Money::ZERO, Money::ZERO),
            Err(DrawerError::NegativeCount { counted: m(-1) })
        );
        let lines = vec![CountLine {
            denomination: m(5_000),
            count: 2,
        }];
        assert_eq!(
            shift.close(
                at(17),
                cashier(),
                m(9_995),
                lines.clone(),
                Money::ZERO,
                Money::ZERO
            ),
            Err(DrawerError::CountMismatch {
                lines_total: m(10_000),
                counted: m(9_995)
            })
        );
        assert!(matches!(
            shift.close(
                at(17),
                cashier(),
                m(10_000),
                lines.clone(),
                m(-1),
                Money::ZERO
            ),
            Err(DrawerError::NegativeFlow { .. })
        ));
        assert!(shift.is_open());
        shift
            .close(
                at(17),
                cashier(),
                m(10_000),
                lines,
                Money::ZERO,
                Money::ZERO,
            )
            .unwrap();
        assert_eq!(shift.over_short(), Some(Money::ZERO));
    }

    #[test]
    fn a_negative_float_is_refused() {
        assert_eq!(
            Shift::open(RecordId::from_u128(1), cashier(), at(8), m(-1)),
            Err(DrawerError::NegativeFloat { float: m(-1) })
        );
    }

    #[test]
    fn count_total_refuses_non_positive_denominations() {
        assert_eq!(
            count_total(&[CountLine {
                denomination: Money::ZERO,
                count: 3
            }]),
            Err(DrawerError::BadDenomination {
                denomination: Money::ZERO
            })
        );
        assert_eq!(count_total(&[]), Ok(Money::ZERO));
    }

    #[test]
    fn denominations_are_listed_largest_first() {
        let cad = denominations(&Currency::from_code("CAD").unwrap());
        assert_eq!(
            cad.iter().map(|d| d.minor_units()).collect::<Vec<_>>(),
            vec![10000, 5000, 2000, 1000, 500, 200, 100, 25, 10, 5]
        );
        let cny = denominations(&Currency::from_code("CNY").unwrap());
        assert_eq!(
            cny.iter().map(|d| d.minor_units()).collect::<Vec<_>>(),
            vec![10000, 5000, 2000, 1000, 500, 100, 50, 10]
        );
        for code in ["USD", "EUR", "GBP", "AUD", "JPY"] {
            let list = denominations(&Currency::from_code(code).unwrap());
            assert!(!list.is_empty(), "{code}");
        }
        for code in Currency::known_codes() {
            let list = denominations(&Currency::from_code(code).unwrap());
            assert!(list.iter().all(|d| d.minor_units() > 0), "{code}");
            assert!(list.windows(2).all(|pair| pair[0] > pair[1]), "{code}");
        }
        assert!(denominations(&Currency::from_code("SEK").unwrap()).is_empty());
    }

    #[test]
    fn shifts_round_trip_through_serde() {
        let mut shift = shift(10_000);
        shift
            .record(movement(MovementKind::Drop, 5_000, "Safe"))
            .unwrap();
        shift
            .close(
                at(17),
                cashier(),
                m(5_000),
                vec![CountLine {
                    denomination: m(5_000),
                    count: 1,
                }],
                Money::ZERO,
                Money::ZERO,
            )
            .unwrap();
        let bytes = postcard::to_stdvec(&shift).unwrap();
        assert_eq!(postcard::from_bytes::<Shift>(&bytes).unwrap(), shift);
    }

    fn any_kind() -> impl Strategy<Value = MovementKind> {
        prop_oneof![Just(MovementKind::PaidOut), Just(MovementKind::Drop)]
    }

    proptest! {
        #[test]
        fn expected_cash_follows_the_formula(
            float in -1_000_000_000i64..1_000_000_000,
            cash_sales in -1_000_000_000i64..1_000_000_000,
            cash_refunds in -1_000_000_000i64..1_000_000_000,
            paid_outs in -1_000_000_000i64..1_000_000_000,
            drops in -1_000_000_000i64..1_000_000_000,
        ) {
            let flows = CashFlows {
                float: m(float),
                cash_sales: m(cash_sales),
                cash_refunds: m(cash_refunds),
                paid_outs: m(paid_outs),
                drops: m(drops),
            };
            prop_assert_eq!(
                expected_cash(&flows),
                Ok(m(float + cash_sales - cash_refunds - paid_outs - drops))
            );
        }

        #[test]
        fn count_total_is_the_sum_of_denomination_times_count(
            lines in proptest::collection::vec((1i64..1_000_000, 0u32..10_000), 0..12),
        ) {
            let lines: Vec<CountLine> = lines
                .into_iter()
                .map(|(denomination, count)| CountLine { denomination: m(denomination), count })
                .collect();
            let sum: i64 = lines
                .iter()
                .map(|line| line.denomination.minor_units() * i64::from(line.count))
                .sum();
            prop_assert_eq!(count_total(&lines), Ok(m(sum)));
        }

        #[test]
        fn over_short_is_counted_minus_expected_and_closing_is_final(
            float in 0i64..1_000_000,
            moves in proptest::collection::vec((any_kind(), 1i64..100_000), 0..8),
            cash_sales in 0i64..10_000_000,
            cash_refunds in 0i64..1_000_000,
            counted in 0i64..10_000_000,
            late in (any_kind(), 1i64..100_000),
        ) {
            let mut shift = shift(float);
            for (kind, amount) in moves {
                prop_assert!(shift.record(movement(kind, amount, "Reason")).is_ok());
            }
            let expected = expected_cash(&shift.flows(m(cash_sales), m(cash_refunds))).unwrap();
            let closing = shift
                .close(at(17), cashier(), m(counted), vec![], m(cash_sales), m(cash_refunds))
                .unwrap();
            prop_assert_eq!(closing.expected, expected);
            let over_short = shift.over_short().unwrap();
            prop_assert_eq!(
                expected.checked_sub(m(counted)).unwrap(),
                Money::ZERO.checked_sub(over_short).unwrap()
            );
            let movements_before = shift.movements.clone();
            prop_assert_eq!(
                shift.record(movement(late.0, late.1, "Late")),
                Err(DrawerError::ShiftClosed)
            );
            prop_assert_eq!(&shift.movements, &movements_before);
        }
    }
}
