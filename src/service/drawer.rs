//! Cash-drawer shifts: a staff member opens their drawer with a float, records cash paid out
//! or dropped to the safe, and closes it with a count. The cash taken and given back during the
//! shift comes from the visits, sales and refunds that name the shift, so the expected cash and
//! the over/short are worked out by the service, never typed in.

use chrono::{DateTime, NaiveDate, Utc};

use super::reports::{first_id_at, refunds_between};
use super::{Service, ServiceError, Session};
use crate::audit::AuditAction;
use crate::domain::access::{Operation, Role};
use crate::domain::drawer::{CountLine, DrawerMovement, MovementKind, Shift, expected_cash};
use crate::domain::money::Money;
use crate::domain::schedule::local_day_span;
use crate::ids::RecordId;
use crate::store::records::{SaleRecord, VisitRecord};
use crate::store::schema::{SALES, SHIFTS, VISITS};
use crate::store::{ReadAccess, decode_record};

/// One paid-out or drop, as the drawer screen lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovementView {
    pub kind: MovementKind,
    pub amount: Money,
    /// Sanitised when recorded.
    pub reason: String,
    pub at: DateTime<Utc>,
}

/// A shift's drawer: what went in and out, what should be there and, once closed, what was
/// counted. For an open shift the figures are as of now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftView {
    pub id: RecordId,
    pub staff_id: RecordId,
    /// The staff member's user name.
    pub staff: String,
    pub opened_at: DateTime<Utc>,
    pub float: Money,
    /// Cash tenders of the shift's visits and sales, net of change (voided visits left out).
    pub cash_sales: Money,
    /// Cash given back by refunds made from this drawer.
    pub cash_refunds: Money,
    pub paid_outs: Money,
    pub drops: Money,
    /// float + cash sales − cash refunds − paid-outs − drops.
    pub expected: Money,
    /// `None` while the shift is open.
    pub counted: Option<Money>,
    /// counted − expected: positive is over, negative is short. `None` while open.
    pub over_short: Option<Money>,
    pub closed_at: Option<DateTime<Utc>>,
    pub movements: Vec<MovementView>,
    /// The count by denomination; empty when the cash was counted as one total.
    pub count_lines: Vec<CountLine>,
}

impl ShiftView {
    pub fn is_open(&self) -> bool {
        self.closed_at.is_none()
    }
}

/// The cash a shift took and gave back.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct ShiftCash {
    pub(super) sales: Money,
    pub(super) refunds: Money,
}

fn invalid(err: impl std::fmt::Display) -> ServiceError {
    ServiceError::invalid(err.to_string())
}

fn add(sum: Money, amount: Money) -> Result<Money, ServiceError> {
    sum.checked_add(amount).map_err(invalid)
}

/// Adds up the cash of `shift`'s visits, sales and refunds. Visits and sales are read from
/// the shift's opening time on (their ids are time-ordered), refunds from the receipts issued
/// since; each is counted only if it names this shift. An integrity check can recount a
/// closed shift with it and compare with its closing.
pub(super) fn shift_cash<R: ReadAccess + ?Sized>(
    reader: &R,
    shift: &Shift,
) -> Result<ShiftCash, ServiceError> {
    // A sale whose id was made a moment before the drawer opened can still commit into it
    // (the shift is looked up inside the sale's transaction), so the scan starts a little
    // earlier; the `shift` field decides.
    let low = first_id_at(shift.opened_at - super::reports::CLOCK_SLACK);
    let mut cash = ShiftCash::default();
    let mut failure = None;
    reader.scan_id_range(VISITS, low, u128::MAX, &mut |_, bytes| {
        let visit: VisitRecord = decode_record("visit", bytes)?;
        if visit.shift == Some(shift.id) && visit.voided.is_none() {
            match add(cash.sales, visit.settlement.cash_taken()) {
                Ok(sum) => cash.sales = sum,
                Err(err) => {
                    failure.get_or_insert(err);
                }
            }
        }
        Ok(())
    })?;
    reader.scan_id_range(SALES, low, u128::MAX, &mut |_, bytes| {
        let sale: SaleRecord = decode_record("sale", bytes)?;
        if sale.shift == Some(shift.id) {
            match add(cash.sales, sale.settlement.cash_taken()) {
                Ok(sum) => cash.sales = sum,
                Err(err) => {
                    failure.get_or_insert(err);
                }
            }
        }
        Ok(())
    })?;
    if let Some(err) = failure {
        return Err(err);
    }
    for refund in refunds_between(reader, shift.opened_at, None)? {
        if refund.shift == Some(shift.id) {
            for tender in refund
                .tenders
                .iter()
                .filter(|t| t.method == crate::domain::catalog::PaymentMethod::Cash)
            {
                cash.refunds = add(cash.refunds, tender.amount)?;
            }
        }
    }
    Ok(cash)
}

fn movement_total(shift: &Shift, kind: MovementKind) -> Result<Money, ServiceError> {
    Money::checked_sum(
        shift
            .movements
            .iter()
            .filter(|m| m.kind == kind)
            .map(|m| m.amount),
    )
    .map_err(invalid)
}

/// The view of a stored shift: a closed one from its closing, an open one added up now.
pub(super) fn view_of<R: ReadAccess + ?Sized>(
    reader: &R,
    shift: Shift,
) -> Result<ShiftView, ServiceError> {
    let staff = reader
        .staff(shift.staff)?
        .map_or_else(|| shift.staff.to_string(), |s| s.username);
    let paid_outs = movement_total(&shift, MovementKind::PaidOut)?;
    let drops = movement_total(&shift, MovementKind::Drop)?;
    let (cash, expected) = match &shift.closed {
        Some(closing) => (
            ShiftCash {
                sales: closing.cash_sales,
                refunds: closing.cash_refunds,
            },
            closing.expected,
        ),
        None => {
            let cash = shift_cash(reader, &shift)?;
            let expected =
                expected_cash(&shift.flows(cash.sales, cash.refunds)).map_err(invalid)?;
            (cash, expected)
        }
    };
    let over_short = shift.over_short();
    let movements = shift
        .movements
        .iter()
        .map(|m| MovementView {
            kind: m.kind,
            amount: m.amount,
            reason: m.reason.clone(),
            at: m.at,
        })
        .collect();
    let (counted, closed_at, count_lines) = match shift.closed {
        Some(closing) => (Some(closing.counted), Some(closing.at), closing.count_lines),
        None => (None, None, Vec::new()),
    };
    Ok(ShiftView {
        id: shift.id,
        staff_id: shift.staff,
        staff,
        opened_at: shift.opened_at,
        float: shift.float,
        cash_sales: cash.sales,
        cash_refunds: cash.refunds,
        paid_outs,
        drops,
        expected,
        counted,
        over_short,
        closed_at,
        movements,
        count_lines,
    })
}

/// The shifts opened between `from` and `to` (all staff, or only `only`'s), oldest first.
pub(super) fn shifts_opened<R: ReadAccess + ?Sized>(
    reader: &R,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    only: Option<RecordId>,
) -> Result<Vec<ShiftView>, ServiceError> {
    let mut shifts = Vec::new();
    reader.scan_id_range(
        SHIFTS,
        first_id_at(from - super::reports::CLOCK_SLACK),
        first_id_at(to + super::reports::CLOCK_SLACK),
        &mut |_, bytes| {
            let shift: Shift = decode_record("shift", bytes)?;
            if shift.opened_at >= from
                && shift.opened_at < to
                && only.is_none_or(|me| me == shift.staff)
            {
                shifts.push(shift);
            }
            Ok(())
        },
    )?;
    let mut views = shifts
        .into_iter()
        .map(|shift| view_of(reader, shift))
        .collect::<Result<Vec<_>, _>>()?;
    // Opened in the same millisecond, ids would order them at random.
    views.sort_by(|a, b| (a.opened_at, &a.staff).cmp(&(b.opened_at, &b.staff)));
    Ok(views)
}

fn no_open_drawer() -> ServiceError {
    ServiceError::invalid("you have no drawer open; open one with the float in it first")
}

impl Service {
    /// Opens the caller's own drawer with `float` in it. One open drawer per staff member: the
    /// check and the opening happen in one write transaction, so two sessions opening at once
    /// get one drawer and one refusal.
    pub fn open_shift(&self, session: &Session, float: Money) -> Result<ShiftView, ServiceError> {
        let caller = self.authorize(session, Operation::UseCashDrawer)?;
        let now = self.clock.now();
        let tz = self.shop_zone()?;
        let id = RecordId::generate(now, self.entropy.as_ref())?;
        let shift = Shift::open(id, caller.staff_id, now, float).map_err(invalid)?;
        let mut draft = caller.draft(AuditAction::ShiftOpened);
        draft.objects = vec![id.to_string()];
        draft.add_detail(format!("float: {}", float.minor_units()));
        self.write_audited(
            |writer, _| {
                if let Some(open) = writer.open_shift_id(caller.staff_id)? {
                    let since = writer
                        .get::<Shift>(SHIFTS, open, "shift")?
                        .map(|s| s.opened_at.with_timezone(&tz).format("%Y-%m-%d %H:%M"))
                        .map_or_else(String::new, |at| format!(" since {at}"));
                    return Err(ServiceError::invalid(format!(
                        "you already have a drawer open{since}; close it with a count before opening another"
                    )));
                }
                writer.put(SHIFTS, id, &shift)?;
                super::sites::mark_shift_site(writer, self.site, id)?;
                writer.set_open_shift(caller.staff_id, Some(id))?;
                Ok(())
            },
            draft,
        )?;
        let reader = self.store.read()?;
        view_of(&reader, shift)
    }

    /// Records cash paid out of, or dropped from, the caller's open drawer, with a reason.
    pub fn record_drawer_movement(
        &self,
        session: &Session,
        kind: MovementKind,
        amount: Money,
        reason: &str,
    ) -> Result<ShiftView, ServiceError> {
        let caller = self.authorize(session, Operation::UseCashDrawer)?;
        let now = self.clock.now();
        let mut draft = caller.draft(AuditAction::DrawerMovement);
        // The reason is free text and may name someone, so only its presence is audited.
        draft.fields = vec!["reason".into()];
        draft.add_detail(format!("{kind}: {}", amount.minor_units()));
        let shift = self.write_audited(
            |writer, draft| {
                let id = writer
                    .open_shift_id(caller.staff_id)?
                    .ok_or_else(no_open_drawer)?;
                let mut shift: Shift = writer
                    .get(SHIFTS, id, "shift")?
                    .ok_or(ServiceError::NotFound("shift"))?;
                shift
                    .record(DrawerMovement {
                        kind,
                        amount,
                        reason: reason.to_owned(),
                        at: now,
                        by: caller.staff_id,
                    })
                    .map_err(invalid)?;
                writer.put(SHIFTS, id, &shift)?;
                draft.objects = vec![id.to_string()];
                Ok(shift)
            },
            draft,
        )?;
        let reader = self.store.read()?;
        view_of(&reader, shift)
    }

    /// Closes the caller's open drawer with the cash counted: a total, and optionally the count
    /// by denomination (which must add up to it). The expected cash and the over/short are
    /// worked out in the same transaction, from every sale and refund committed before it.
    pub fn close_shift(
        &self,
        session: &Session,
        counted: Money,
        count_lines: Vec<CountLine>,
    ) -> Result<ShiftView, ServiceError> {
        let caller = self.authorize(session, Operation::UseCashDrawer)?;
        let now = self.clock.now();
        let draft = caller.draft(AuditAction::ShiftClosed);
        let shift = self.write_audited(
            |writer, draft| {
                let id = writer
                    .open_shift_id(caller.staff_id)?
                    .ok_or_else(no_open_drawer)?;
                let mut shift: Shift = writer
                    .get(SHIFTS, id, "shift")?
                    .ok_or(ServiceError::NotFound("shift"))?;
                let cash = shift_cash(&*writer, &shift)?;
                let closing = shift
                    .close(
                        now,
                        caller.staff_id,
                        counted,
                        count_lines,
                        cash.sales,
                        cash.refunds,
                    )
                    .map_err(invalid)?;
                let expected = closing.expected;
                let over_short = shift.over_short().unwrap_or(Money::ZERO);
                writer.put(SHIFTS, id, &shift)?;
                writer.set_open_shift(caller.staff_id, None)?;
                draft.objects = vec![id.to_string()];
                draft.add_detail(format!(
                    "float: {}, cash sales: {}, cash refunds: {}, expected: {}, counted: {}, over/short: {}",
                    shift.float.minor_units(),
                    cash.sales.minor_units(),
                    cash.refunds.minor_units(),
                    expected.minor_units(),
                    counted.minor_units(),
                    over_short.minor_units(),
                ));
                Ok(shift)
            },
            draft,
        )?;
        let reader = self.store.read()?;
        view_of(&reader, shift)
    }

    /// The caller's own open drawer, added up as of now.
    pub fn current_shift(&self, session: &Session) -> Result<Option<ShiftView>, ServiceError> {
        let caller = self.authorize(session, Operation::UseCashDrawer)?;
        let reader = self.store.read()?;
        let Some(id) = reader.open_shift_id(caller.staff_id)? else {
            return Ok(None);
        };
        match reader.get::<Shift>(SHIFTS, id, "shift")? {
            Some(shift) => view_of(&reader, shift).map(Some),
            None => Ok(None),
        }
    }

    /// The shifts opened on a shop-local day, oldest first: every drawer for a manager, only
    /// the caller's own for a cashier (SPEC section 2).
    pub fn shifts_on(
        &self,
        session: &Session,
        day: NaiveDate,
    ) -> Result<Vec<ShiftView>, ServiceError> {
        let caller = self.authorize(session, Operation::UseCashDrawer)?;
        let (from, to) = local_day_span(self.shop_zone()?, day)
            .ok_or_else(|| ServiceError::invalid("that day is out of range; choose another"))?;
        let only = match caller.role {
            Role::Manager => None,
            Role::Cashier => Some(caller.staff_id),
        };
        let reader = self.store.read()?;
        shifts_opened(&reader, from, to, only)
    }
}
