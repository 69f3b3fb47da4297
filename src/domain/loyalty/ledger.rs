//! The points ledger: immutable entries that move points in and out of lots, a [`Wallet`]
//! derived by replaying them, and `plan_*` functions that work out which entries to append.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Months, Utc};
use serde::{Deserialize, Serialize};

use super::policy::PointsPolicy;
use crate::entropy::{Entropy, EntropyError};
use crate::ids::RecordId;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EntryKind {
    Earn,
    Redeem,
    Adjust,
    Expire,
    Reverse,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerEntry {
    pub id: RecordId,
    pub member: RecordId,
    pub at: DateTime<Utc>,
    pub kind: EntryKind,
    /// Signed: positive adds points, negative removes them.
    pub points: i64,
    /// Set when this entry creates a lot (an earn or a positive adjustment).
    pub lot: Option<Lot>,
    /// The lots a removal took from, or a restoration put back into; amounts are positive and
    /// the entry's sign says which way they moved.
    pub allocations: Vec<LotAllocation>,
    pub visit: Option<RecordId>,
    pub reason: Option<String>,
    /// The entry a reverse undoes.
    pub reverses: Option<RecordId>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lot {
    pub id: RecordId,
    pub earned_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    /// What the lot was created with; never changes.
    pub points: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotAllocation {
    pub lot: RecordId,
    pub points: i64,
}

/// A lot and what is left of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LotBalance {
    pub lot: Lot,
    pub remaining: i64,
}

impl LotBalance {
    /// Soonest expiry first; ties by earning time, then id, so the order is total and stable.
    fn expiry_order(&self) -> (DateTime<Utc>, DateTime<Utc>, RecordId) {
        (self.lot.expires_at, self.lot.earned_at, self.lot.id)
    }

    fn is_unexpired_at(&self, now: DateTime<Utc>) -> bool {
        self.lot.expires_at > now
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("the number of points must be more than zero (got {points}); enter a positive number")]
    NotPositive { points: i64 },
    #[error(
        "a points adjustment of zero changes nothing; enter a positive number to add points or a negative one to remove them"
    )]
    ZeroAdjustment,
    #[error(
        "the member has only {available} unexpired points; use at most that many or earn more first"
    )]
    InsufficientPoints { available: i64 },
    #[error("a manual points adjustment needs a reason; type why the points are being changed")]
    ReasonRequired,
    #[error(
        "entry {entry} was already reversed, by a void or a refund; a visit can be voided only once, and a visit with refunds is refunded, not voided"
    )]
    AlreadyVoided { entry: RecordId },
    #[error(
        "entry {entry} is a {kind:?} entry; only a visit's earn and redeem entries can be reversed"
    )]
    NotReversible { entry: RecordId, kind: EntryKind },
    #[error(
        "entry {entry} has only {left} points left to reverse, not {points}; reverse at most {left}"
    )]
    ReversalTooLarge {
        entry: RecordId,
        points: i64,
        left: i64,
    },
    #[error("entry {entry} is not in this member's points ledger; reload the member and try again")]
    UnknownEntry { entry: RecordId },
    #[error(
        "entry {entry} is a {kind:?} entry; only a visit's earn and redeem entries can be voided"
    )]
    NotVoidable { entry: RecordId, kind: EntryKind },
    #[error(
        "the entries to void do not all belong to one visit; pass only that visit's earn and redeem entries"
    )]
    VisitMismatch,
    #[error(
        "points earned at {from} cannot expire {months} months later (outside the calendar); check the system clock and the points policy"
    )]
    ExpiryOutOfRange { from: DateTime<Utc>, months: u32 },
    #[error(
        "points ledger entry {entry} would take {taken} points from lot {lot}, which has only {remaining} left; the ledger is inconsistent, run `frontdesk verify` and restore from a backup if it persists"
    )]
    LotOverdrawn {
        entry: RecordId,
        lot: RecordId,
        remaining: i64,
        taken: i64,
    },
    #[error(
        "points ledger entry {entry} is inconsistent: {problem}; run `frontdesk verify` and restore from a backup if it persists"
    )]
    Corrupt { entry: RecordId, problem: String },
    #[error(transparent)]
    Entropy(#[from] EntropyError),
}

/// What the wallet remembers about an applied entry, enough to check and plan reversals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct EntryRecord {
    kind: EntryKind,
    points: i64,
    visit: Option<RecordId>,
    lot: Option<RecordId>,
    allocations: Vec<LotAllocation>,
    /// The latest reverse entry naming this one; a void and each refund add one.
    reversed_by: Option<RecordId>,
    /// Points moved back by reversals so far: taken back from an earn, restored to a redeem.
    reversed_points: i64,
    /// For a redeem: the points reversals put back, per lot.
    restored_per_lot: BTreeMap<RecordId, i64>,
}

/// One member's points, derived from the ledger. Never stored as the truth: the ledger is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Wallet {
    member: RecordId,
    balance: i64,
    lots: BTreeMap<RecordId, LotBalance>,
    entries: BTreeMap<RecordId, EntryRecord>,
}

impl Wallet {
    /// An empty wallet for a member with no ledger entries yet.
    pub fn new(member: RecordId) -> Self {
        Self {
            member,
            balance: 0,
            lots: BTreeMap::new(),
            entries: BTreeMap::new(),
        }
    }

    /// Replays a member's entries in append order (the order they were stored, not id order).
    pub fn replay(member: RecordId, entries: &[LedgerEntry]) -> Result<Self, LedgerError> {
        let mut wallet = Self::new(member);
        for entry in entries {
            wallet.apply(entry)?;
        }
        Ok(wallet)
    }

    /// Checks one entry against the wallet and applies it; on error the wallet is unchanged.
    /// The store should apply planned entries here before committing them.
    pub fn apply(&mut self, entry: &LedgerEntry) -> Result<(), LedgerError> {
        let corrupt = |problem: &str| LedgerError::Corrupt {
            entry: entry.id,
            problem: problem.to_owned(),
        };
        if entry.member != self.member {
            return Err(corrupt("it belongs to another member"));
        }
        if self.entries.contains_key(&entry.id) {
            return Err(corrupt("an entry with this id was already applied"));
        }
        if entry.kind != EntryKind::Reverse && entry.reverses.is_some() {
            return Err(corrupt("only a reverse entry may name an entry it undoes"));
        }

        let moved = entry
            .points
            .checked_abs()
            .ok_or_else(|| corrupt("its point count is out of range"))?;
        let mut per_lot: BTreeMap<RecordId, i64> = BTreeMap::new();
        let mut allocated = 0i64;
        for allocation in &entry.allocations {
            if allocation.points <= 0 {
                return Err(corrupt(
                    "a lot allocation is not a positive number of points",
                ));
            }
            allocated = allocated
                .checked_add(allocation.points)
                .ok_or_else(|| corrupt("its lot allocations overflow"))?;
            let slot = per_lot.entry(allocation.lot).or_insert(0);
            *slot += allocation.points;
        }

        let creates_lot =
            entry.kind == EntryKind::Earn || (entry.kind == EntryKind::Adjust && entry.points > 0);
        if creates_lot {
            let lot = entry
                .lot
                .as_ref()
                .ok_or_else(|| corrupt("it adds points but creates no lot"))?;
            if lot.points != entry.points || !entry.allocations.is_empty() {
                return Err(corrupt(
                    "the lot it creates does not hold exactly its points",
                ));
            }
            if self.lots.contains_key(&lot.id) {
                return Err(corrupt("it creates a lot whose id is already used"));
            }
        } else {
            if entry.lot.is_some() {
                return Err(corrupt(
                    "only earn entries and positive adjustments create lots",
                ));
            }
            if allocated != moved {
                return Err(corrupt("its lot allocations do not add up to its points"));
            }
        }

        match entry.kind {
            EntryKind::Earn if entry.points <= 0 => {
                return Err(corrupt("an earn entry must add points"));
            }
            EntryKind::Adjust => {
                if entry.points == 0 {
                    return Err(corrupt("an adjustment must change the balance"));
                }
                if entry.reason.as_deref().is_none_or(|r| r.trim().is_empty()) {
                    return Err(corrupt("an adjustment has no reason"));
                }
            }
            EntryKind::Redeem | EntryKind::Expire if entry.points >= 0 => {
                return Err(corrupt("redeem and expire entries must remove points"));
            }
            EntryKind::Reverse => self.check_reversal(entry, &per_lot)?,
            _ => {}
        }

        let restoring = entry.points > 0;
        for (lot_id, amount) in &per_lot {
            let lot = self.lots.get(lot_id).ok_or_else(|| {
                corrupt(&format!(
                    "it refers to lot {lot_id}, which this ledger never created"
                ))
            })?;
            match entry.kind {
                EntryKind::Redeem | EntryKind::Adjust if !lot.is_unexpired_at(entry.at) => {
                    return Err(corrupt(&format!(
                        "it takes points from lot {lot_id} after that lot expired"
                    )));
                }
                EntryKind::Expire if lot.is_unexpired_at(entry.at) => {
                    return Err(corrupt(&format!(
                        "it expires lot {lot_id} before the lot's expiry date"
                    )));
                }
                _ => {}
            }
            if restoring {
                if lot
                    .remaining
                    .checked_add(*amount)
                    .is_none_or(|restored| restored > lot.lot.points)
                {
                    return Err(corrupt(&format!(
                        "it puts back more points into lot {lot_id} than the lot was created with"
                    )));
                }
            } else if *amount > lot.remaining {
                return Err(LedgerError::LotOverdrawn {
                    entry: entry.id,
                    lot: *lot_id,
                    remaining: lot.remaining,
                    taken: *amount,
                });
            }
        }
        let balance = self
            .balance
            .checked_add(entry.points)
            .filter(|balance| *balance >= 0)
            .ok_or_else(|| corrupt("it would take the balance below zero or out of range"))?;

        // Every check passed: commit.
        self.balance = balance;
        if let Some(lot) = &entry.lot {
            self.lots.insert(
                lot.id,
                LotBalance {
                    lot: lot.clone(),
                    remaining: lot.points,
                },
            );
        }
        for (lot_id, amount) in &per_lot {
            if let Some(lot) = self.lots.get_mut(lot_id) {
                lot.remaining += if restoring { *amount } else { -*amount };
            }
        }
        if let Some(target) = entry.reverses
            && let Some(record) = self.entries.get_mut(&target)
        {
            record.reversed_by = Some(entry.id);
            record.reversed_points = record.reversed_points.saturating_add(moved);
            if restoring {
                for (lot, amount) in &per_lot {
                    *record.restored_per_lot.entry(*lot).or_insert(0) += amount;
                }
            }
        }
        self.entries.insert(
            entry.id,
            EntryRecord {
                kind: entry.kind,
                points: entry.points,
                visit: entry.visit,
                lot: entry.lot.as_ref().map(|lot| lot.id),
                allocations: entry.allocations.clone(),
                reversed_by: None,
                reversed_points: 0,
                restored_per_lot: BTreeMap::new(),
            },
        );
        Ok(())
    }

    fn check_reversal(
        &self,
        entry: &LedgerEntry,
        per_lot: &BTreeMap<RecordId, i64>,
    ) -> Result<(), LedgerError> {
        let corrupt = |problem: &str| LedgerError::Corrupt {
            entry: entry.id,
            problem: problem.to_owned(),
        };
        let target_id = entry
            .reverses
            .ok_or_else(|| corrupt("a reverse entry must name the entry it undoes"))?;
        let target = self
            .entries
            .get(&target_id)
            .ok_or_else(|| corrupt("it reverses an entry that is not in this ledger"))?;
        // Several reversals may each undo part of one entry (a void undoes it whole, a refund
        // part of it), as long as together they move no more than the entry did.
        let already = target.reversed_points;
        match target.kind {
            EntryKind::Redeem => {
                if entry.points < 0 {
                    return Err(corrupt("a reversal of a redemption must put points back"));
                }
                if entry.points > -target.points - already {
                    return Err(corrupt(
                        "it restores more than is left of what the redemption took",
                    ));
                }
                let mut taken: BTreeMap<RecordId, i64> = BTreeMap::new();
                for allocation in &target.allocations {
                    *taken.entry(allocation.lot).or_insert(0) += allocation.points;
                }
                let within = per_lot.iter().all(|(lot, amount)| {
                    let restored = target.restored_per_lot.get(lot).copied().unwrap_or(0);
                    taken
                        .get(lot)
                        .is_some_and(|took| *amount <= took - restored)
                });
                if !within {
                    return Err(corrupt(
                        "it restores points to lots the redemption did not take from",
                    ));
                }
            }
            EntryKind::Earn => {
                if entry.points > 0 || -entry.points > target.points - already {
                    return Err(corrupt("it takes back more than the earn entry added"));
                }
            }
            _ => return Err(corrupt("only earn and redeem entries can be reversed")),
        }
        Ok(())
    }

    pub fn member(&self) -> RecordId {
        self.member
    }

    /// The ledger sum, including lots past their expiry that no expiry run has removed yet.
    pub fn balance(&self) -> i64 {
        self.balance
    }

    /// Points that can be spent at `now`: the balance minus lots already past expiry.
    pub fn available(&self, now: DateTime<Utc>) -> i64 {
        self.lots
            .values()
            .filter(|lot| lot.is_unexpired_at(now))
            .map(|lot| lot.remaining)
            .sum()
    }

    /// Lots with points left, soonest expiry first.
    pub fn lots(&self) -> Vec<&LotBalance> {
        let mut lots: Vec<&LotBalance> =
            self.lots.values().filter(|lot| lot.remaining > 0).collect();
        lots.sort_by_key(|lot| lot.expiry_order());
        lots
    }

    /// Any lot this ledger created, including emptied ones.
    pub fn lot(&self, id: RecordId) -> Option<&LotBalance> {
        self.lots.get(&id)
    }

    /// Lots with points left that expire at or before `instant`, soonest first.
    pub fn expiring_by(&self, instant: DateTime<Utc>) -> Vec<&LotBalance> {
        self.lots()
            .into_iter()
            .filter(|lot| lot.lot.expires_at <= instant)
            .collect()
    }

    /// How many points expire at or before `instant` unless spent first.
    pub fn points_expiring_by(&self, instant: DateTime<Utc>) -> i64 {
        self.expiring_by(instant)
            .iter()
            .map(|lot| lot.remaining)
            .sum()
    }

    pub fn contains(&self, entry: RecordId) -> bool {
        self.entries.contains_key(&entry)
    }

    /// Whether any reverse entry names `entry`: a void, or at least one refund.
    pub fn is_reversed(&self, entry: RecordId) -> bool {
        self.entries
            .get(&entry)
            .is_some_and(|record| record.reversed_by.is_some())
    }

    /// The points reverse entries have moved back for `entry` so far (taken back from an
    /// earn, restored to a redemption); zero for an unknown entry.
    pub fn reversed_points(&self, entry: RecordId) -> i64 {
        self.entries
            .get(&entry)
            .map_or(0, |record| record.reversed_points)
    }

    /// Takes up to `points` from unexpired lots, soonest expiry first, skipping `skip`.
    fn take_soonest(
        &self,
        points: i64,
        now: DateTime<Utc>,
        skip: Option<RecordId>,
    ) -> (Vec<LotAllocation>, i64) {
        let mut allocations = Vec::new();
        let mut left = points;
        for lot in self.lots() {
            if left <= 0 {
                break;
            }
            if !lot.is_unexpired_at(now) || Some(lot.lot.id) == skip {
                continue;
            }
            let take = left.min(lot.remaining);
            allocations.push(LotAllocation {
                lot: lot.lot.id,
                points: take,
            });
            left -= take;
        }
        (allocations, points - left)
    }
}

/// Ids for the entries of one plan, strictly increasing so that even entries created in the same
/// millisecond sort in the order they must be applied.
struct PlanIds<'a> {
    entropy: &'a dyn Entropy,
    now: DateTime<Utc>,
    last: Option<RecordId>,
}

impl<'a> PlanIds<'a> {
    fn new(entropy: &'a dyn Entropy, now: DateTime<Utc>) -> Self {
        Self {
            entropy,
            now,
            last: None,
        }
    }

    fn next(&mut self) -> Result<RecordId, LedgerError> {
        let fresh = RecordId::generate(self.now, self.entropy)?;
        let id = match self.last {
            Some(last) if fresh <= last => last
                .as_u128()
                .checked_add(1)
                .map(RecordId::from_u128)
                .unwrap_or(fresh),
            _ => fresh,
        };
        self.last = Some(id);
        Ok(id)
    }
}

fn lot_expiry(now: DateTime<Utc>, policy: &PointsPolicy) -> Result<DateTime<Utc>, LedgerError> {
    let months = policy.lot_expiry_months();
    // chrono clamps to the end of a shorter month (31 Jan + 1 month = 28/29 Feb).
    now.checked_add_months(Months::new(months))
        .ok_or(LedgerError::ExpiryOutOfRange { from: now, months })
}

/// The parts of an entry that creates a lot which differ between an earn and an adjustment.
struct NewLot {
    member: RecordId,
    kind: EntryKind,
    points: i64,
    visit: Option<RecordId>,
    reason: Option<String>,
}

fn new_lot_entry(
    new: NewLot,
    now: DateTime<Utc>,
    policy: &PointsPolicy,
    entropy: &dyn Entropy,
) -> Result<LedgerEntry, LedgerError> {
    let expires_at = lot_expiry(now, policy)?;
    let mut ids = PlanIds::new(entropy, now);
    let id = ids.next()?;
    let lot_id = ids.next()?;
    Ok(LedgerEntry {
        id,
        member: new.member,
        at: now,
        kind: new.kind,
        points: new.points,
        lot: Some(Lot {
            id: lot_id,
            earned_at: now,
            expires_at,
            points: new.points,
        }),
        allocations: Vec::new(),
        visit: new.visit,
        reason: new.reason,
        reverses: None,
    })
}

/// One earn entry creating a lot that expires the policy's lifetime after `now`.
pub fn plan_earn(
    member: RecordId,
    points: i64,
    visit: Option<RecordId>,
    now: DateTime<Utc>,
    policy: &PointsPolicy,
    entropy: &dyn Entropy,
) -> Result<LedgerEntry, LedgerError> {
    if points <= 0 {
        return Err(LedgerError::NotPositive { points });
    }
    let new = NewLot {
        member,
        kind: EntryKind::Earn,
        points,
        visit,
        reason: None,
    };
    new_lot_entry(new, now, policy, entropy)
}

/// One redeem entry taking `points` from the soonest-expiring unexpired lots.
pub fn plan_redeem(
    wallet: &Wallet,
    points: i64,
    visit: Option<RecordId>,
    now: DateTime<Utc>,
    entropy: &dyn Entropy,
) -> Result<LedgerEntry, LedgerError> {
    if points <= 0 {
        return Err(LedgerError::NotPositive { points });
    }
    let available = wallet.available(now);
    if points > available {
        return Err(LedgerError::InsufficientPoints { available });
    }
    let (allocations, _) = wallet.take_soonest(points, now, None);
    Ok(LedgerEntry {
        id: PlanIds::new(entropy, now).next()?,
        member: wallet.member,
        at: now,
        kind: EntryKind::Redeem,
        points: -points,
        lot: None,
        allocations,
        visit,
        reason: None,
        reverses: None,
    })
}

/// A manager's correction: a positive `delta` creates a lot expiring the policy's lifetime from
/// `now`; a negative one takes from the soonest-expiring unexpired lots and is refused if it
/// exceeds them. The reason is required and stored trimmed.
pub fn plan_adjust(
    wallet: &Wallet,
    delta: i64,
    reason: &str,
    now: DateTime<Utc>,
    policy: &PointsPolicy,
    entropy: &dyn Entropy,
) -> Result<LedgerEntry, LedgerError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(LedgerError::ReasonRequired);
    }
    if delta == 0 {
        return Err(LedgerError::ZeroAdjustment);
    }
    if delta > 0 {
        let new = NewLot {
            member: wallet.member,
            kind: EntryKind::Adjust,
            points: delta,
            visit: None,
            reason: Some(reason.to_owned()),
        };
        return new_lot_entry(new, now, policy, entropy);
    }
    let available = wallet.available(now);
    let removing = delta
        .checked_neg()
        .filter(|removing| *removing <= available)
        .ok_or(LedgerError::InsufficientPoints { available })?;
    let (allocations, _) = wallet.take_soonest(removing, now, None);
    Ok(LedgerEntry {
        id: PlanIds::new(entropy, now).next()?,
        member: wallet.member,
        at: now,
        kind: EntryKind::Adjust,
        points: delta,
        lot: None,
        allocations,
        visit: None,
        reason: Some(reason.to_owned()),
        reverses: None,
    })
}

/// One expire entry per lot whose expiry is at or before `now` and that still has points,
/// taking exactly what is left. Empty when nothing is due.
pub fn plan_expiry(
    wallet: &Wallet,
    now: DateTime<Utc>,
    entropy: &dyn Entropy,
) -> Result<Vec<LedgerEntry>, LedgerError> {
    let mut ids = PlanIds::new(entropy, now);
    wallet
        .expiring_by(now)
        .into_iter()
        .map(|lot| {
            Ok(LedgerEntry {
                id: ids.next()?,
                member: wallet.member,
                at: now,
                kind: EntryKind::Expire,
                points: -lot.remaining,
                lot: None,
                allocations: vec![LotAllocation {
                    lot: lot.lot.id,
                    points: lot.remaining,
                }],
                visit: None,
                reason: None,
                reverses: None,
            })
        })
        .collect()
}

/// The entries that void a visit's points, in the order to append them: first one reverse per
/// redemption, putting the points back into the lots they came from (with their original expiry,
/// so an already expired lot is taken by the next expiry run); then one reverse per earn, taking
/// the earned lot's remaining points first and then the soonest-expiring unexpired others. A
/// reversal never takes the balance below zero; a shortfall is stated in its `reason`.
/// Empty when the visit has no earn or redeem entries.
pub fn plan_void(
    wallet: &Wallet,
    visit_entries: &[LedgerEntry],
    now: DateTime<Utc>,
    entropy: &dyn Entropy,
) -> Result<Vec<LedgerEntry>, LedgerError> {
    let visit = visit_entries.first().and_then(|entry| entry.visit);
    let mut redeems = Vec::new();
    let mut earns = Vec::new();
    let mut seen = BTreeSet::new();
    for entry in visit_entries {
        if entry.kind == EntryKind::Reverse {
            return Err(LedgerError::AlreadyVoided {
                entry: entry.reverses.unwrap_or(entry.id),
            });
        }
        if entry.visit.is_none() || entry.visit != visit {
            return Err(LedgerError::VisitMismatch);
        }
        if !seen.insert(entry.id) {
            continue;
        }
        let record = wallet
            .entries
            .get(&entry.id)
            .filter(|record| record.kind == entry.kind && record.visit == entry.visit)
            .ok_or(LedgerError::UnknownEntry { entry: entry.id })?;
        if record.reversed_by.is_some() {
            return Err(LedgerError::AlreadyVoided { entry: entry.id });
        }
        match entry.kind {
            EntryKind::Redeem => redeems.push((entry.id, record)),
            EntryKind::Earn => earns.push((entry.id, record)),
            kind => {
                return Err(LedgerError::NotVoidable {
                    entry: entry.id,
                    kind,
                });
            }
        }
    }

    let mut ids = PlanIds::new(entropy, now);
    let mut scratch = wallet.clone();
    let mut planned = Vec::new();
    for (redeem_id, record) in redeems {
        let entry = LedgerEntry {
            id: ids.next()?,
            member: wallet.member,
            at: now,
            kind: EntryKind::Reverse,
            points: -record.points,
            lot: None,
            allocations: record.allocations.clone(),
            visit: record.visit,
            reason: None,
            reverses: Some(redeem_id),
        };
        scratch.apply(&entry)?;
        planned.push(entry);
    }
    for (earn_id, record) in earns {
        let earned = record.points;
        let mut allocations = Vec::new();
        let from_lot = record
            .lot
            .and_then(|lot| scratch.lot(lot))
            .map(|lot| (lot.lot.id, lot.remaining.min(earned)))
            .filter(|(_, take)| *take > 0);
        let mut taken = 0;
        if let Some((lot, take)) = from_lot {
            allocations.push(LotAllocation { lot, points: take });
            taken = take;
        }
        let (others, from_others) = scratch.take_soonest(earned - taken, now, record.lot);
        allocations.extend(others);
        taken += from_others;
        let shortfall = earned - taken;
        let entry = LedgerEntry {
            id: ids.next()?,
            member: wallet.member,
            at: now,
            kind: EntryKind::Reverse,
            points: -taken,
            lot: None,
            allocations,
            visit: record.visit,
            reason: (shortfall > 0).then(|| {
                format!(
                    "shortfall: {shortfall} of the {earned} earned points had already been spent or had expired and could not be taken back"
                )
            }),
            reverses: Some(earn_id),
        };
        scratch.apply(&entry)?;
        planned.push(entry);
    }
    Ok(planned)
}

/// One reverse entry undoing `points` of an earn or redeem entry, for a refund of part of a
/// visit; several may follow one another until the entry is undone in full.
///
/// A redemption gets `points` put back into the lots it took them from, the latest-expiring
/// first (so the member keeps them longest; a lot already past its expiry is filled last and
/// taken by the next expiry run). An earn has `points` taken back from its own lot first, then
/// from the soonest-expiring unexpired others; what the member already spent is not taken (the
/// balance never goes below zero) and the shortfall is stated in the entry's `reason`. Refused
/// when `points` is more than is left of the entry to reverse.
pub fn plan_partial_reversal(
    wallet: &Wallet,
    entry: RecordId,
    points: i64,
    now: DateTime<Utc>,
    entropy: &dyn Entropy,
) -> Result<LedgerEntry, LedgerError> {
    if points <= 0 {
        return Err(LedgerError::NotPositive { points });
    }
    let record = wallet
        .entries
        .get(&entry)
        .ok_or(LedgerError::UnknownEntry { entry })?;
    let (allocations, moved, reason) = match record.kind {
        EntryKind::Redeem => {
            let left = -record.points - record.reversed_points;
            if points > left {
                return Err(LedgerError::ReversalTooLarge {
                    entry,
                    points,
                    left,
                });
            }
            let mut outstanding: BTreeMap<RecordId, i64> = BTreeMap::new();
            for allocation in &record.allocations {
                *outstanding.entry(allocation.lot).or_insert(0) += allocation.points;
            }
            for (lot, restored) in &record.restored_per_lot {
                if let Some(taken) = outstanding.get_mut(lot) {
                    *taken -= restored;
                }
            }
            let mut lots: Vec<(&LotBalance, i64)> = outstanding
                .iter()
                .filter(|(_, taken)| **taken > 0)
                .filter_map(|(lot, taken)| wallet.lot(*lot).map(|balance| (balance, *taken)))
                .collect();
            lots.sort_by_key(|(balance, _)| std::cmp::Reverse(balance.expiry_order()));
            let mut allocations = Vec::new();
            let mut left_to_restore = points;
            for (balance, taken) in lots {
                if left_to_restore == 0 {
                    break;
                }
                let put_back = left_to_restore.min(taken);
                allocations.push(LotAllocation {
                    lot: balance.lot.id,
                    points: put_back,
                });
                left_to_restore -= put_back;
            }
            if left_to_restore > 0 {
                return Err(LedgerError::Corrupt {
                    entry,
                    problem: "the lots it took points from are missing".to_owned(),
                });
            }
            (allocations, points, None)
        }
        EntryKind::Earn => {
            let left = record.points - record.reversed_points;
            if points > left {
                return Err(LedgerError::ReversalTooLarge {
                    entry,
                    points,
                    left,
                });
            }
            let mut allocations = Vec::new();
            let mut taken = 0;
            if let Some((lot, take)) = record
                .lot
                .and_then(|lot| wallet.lot(lot))
                .map(|lot| (lot.lot.id, lot.remaining.min(points)))
                .filter(|(_, take)| *take > 0)
            {
                allocations.push(LotAllocation { lot, points: take });
                taken = take;
            }
            let (others, from_others) = wallet.take_soonest(points - taken, now, record.lot);
            allocations.extend(others);
            taken += from_others;
            let shortfall = points - taken;
            let reason = (shortfall > 0).then(|| {
                format!(
                    "shortfall: {shortfall} of the {points} points to take back had already been spent or had expired and could not be taken back"
                )
            });
            (allocations, -taken, reason)
        }
        kind => return Err(LedgerError::NotReversible { entry, kind }),
    };
    let planned = LedgerEntry {
        id: PlanIds::new(entropy, now).next()?,
        member: wallet.member,
        at: now,
        kind: EntryKind::Reverse,
        points: moved,
        lot: None,
        allocations,
        visit: record.visit,
        reason,
        reverses: Some(entry),
    };
    // Checked against a copy so a plan the wallet would refuse is never handed out.
    wallet.clone().apply(&planned)?;
    Ok(planned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::loyalty::policy::PointsPolicySettings;
    use crate::entropy::SeededEntropy;
    use chrono::{Duration, TimeZone};

    const MEMBER: RecordId = RecordId::from_u128(0xA11CE);
    const VISIT: RecordId = RecordId::from_u128(0x715);

    fn at(year: i32, month: u32, day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(year, month, day, 10, 0, 0)
            .single()
            .unwrap()
    }

    fn policy_with_months(months: u32) -> PointsPolicy {
        PointsPolicySettings {
            lot_expiry_months: months,
            ..PointsPolicySettings::default()
        }
        .validate()
        .unwrap()
    }

    /// A member's ledger under test: appends planned entries and checks them by full replay.
    struct Book {
        entries: Vec<LedgerEntry>,
        wallet: Wallet,
        entropy: SeededEntropy,
    }

    impl Book {
        fn new() -> Self {
            Self {
                entries: Vec::new(),
                wallet: Wallet::new(MEMBER),
                entropy: SeededEntropy::new(42),
            }
        }

        fn append(&mut self, planned: Vec<LedgerEntry>) -> Vec<LedgerEntry> {
            for entry in &planned {
                self.wallet.apply(entry).unwrap();
                self.entries.push(entry.clone());
            }
            assert_eq!(Wallet::replay(MEMBER, &self.entries).unwrap(), self.wallet);
            planned
        }

        fn earn(
            &mut self,
            points: i64,
            visit: Option<RecordId>,
            now: DateTime<Utc>,
            policy: &PointsPolicy,
        ) -> LedgerEntry {
            let entry = plan_earn(MEMBER, points, visit, now, policy, &self.entropy).unwrap();
            self.append(vec![entry]).remove(0)
        }

        fn redeem(
            &mut self,
            points: i64,
            visit: Option<RecordId>,
            now: DateTime<Utc>,
        ) -> LedgerEntry {
            let entry = plan_redeem(&self.wallet, points, visit, now, &self.entropy).unwrap();
            self.append(vec![entry]).remove(0)
        }

        fn expire(&mut self, now: DateTime<Utc>) -> Vec<LedgerEntry> {
            let planned = plan_expiry(&self.wallet, now, &self.entropy).unwrap();
            self.append(planned)
        }

        fn void(&mut self, visit_entries: &[LedgerEntry], now: DateTime<Utc>) -> Vec<LedgerEntry> {
            let planned = plan_void(&self.wallet, visit_entries, now, &self.entropy).unwrap();
            self.append(planned)
        }

        fn lot_of(entry: &LedgerEntry) -> RecordId {
            entry.lot.as_ref().unwrap().id
        }

        fn partial(&mut self, entry: &LedgerEntry, points: i64, now: DateTime<Utc>) -> LedgerEntry {
            let planned =
                plan_partial_reversal(&self.wallet, entry.id, points, now, &self.entropy).unwrap();
            self.append(vec![planned]).remove(0)
        }
    }

    #[test]
    fn an_earn_is_reversed_in_parts_up_to_what_it_earned() {
        let mut book = Book::new();
        let policy = PointsPolicy::default();
        let now = at(2026, 2, 1);
        let earned = book.earn(45, Some(VISIT), now, &policy);
        let first = book.partial(&earned, 10, at(2026, 2, 2));
        assert_eq!(first.kind, EntryKind::Reverse);
        assert_eq!(first.reverses, Some(earned.id));
        assert_eq!(first.visit, Some(VISIT));
        assert_eq!(first.points, -10);
        assert_eq!(
            first.allocations,
            vec![LotAllocation {
                lot: Book::lot_of(&earned),
                points: 10
            }]
        );
        assert_eq!(book.wallet.balance(), 35);
        assert_eq!(book.wallet.reversed_points(earned.id), 10);
        assert!(book.wallet.is_reversed(earned.id));
        assert!(matches!(
            plan_partial_reversal(&book.wallet, earned.id, 36, now, &book.entropy),
            Err(LedgerError::ReversalTooLarge { left: 35, .. })
        ));
        book.partial(&earned, 35, at(2026, 2, 3));
        assert_eq!(book.wallet.balance(), 0);
        assert!(matches!(
            plan_partial_reversal(&book.wallet, earned.id, 1, now, &book.entropy),
            Err(LedgerError::ReversalTooLarge { left: 0, .. })
        ));
        assert!(matches!(
            plan_partial_reversal(&book.wallet, earned.id, 0, now, &book.entropy),
            Err(LedgerError::NotPositive { .. })
        ));
        // A visit refunded in part can no longer be voided.
        assert!(matches!(
            plan_void(
                &book.wallet,
                std::slice::from_ref(&earned),
                now,
                &book.entropy
            ),
            Err(LedgerError::AlreadyVoided { .. })
        ));
    }

    #[test]
    fn a_partial_reversal_of_spent_points_takes_what_is_there_and_says_so() {
        let mut book = Book::new();
        let policy = PointsPolicy::default();
        let earned = book.earn(50, Some(VISIT), at(2026, 1, 1), &policy);
        book.redeem(45, None, at(2026, 1, 2));
        let other = book.earn(3, None, at(2026, 1, 3), &policy);
        let reversal = book.partial(&earned, 20, at(2026, 1, 4));
        assert_eq!(reversal.points, -8);
        assert_eq!(
            reversal.allocations,
            vec![
                LotAllocation {
                    lot: Book::lot_of(&earned),
                    points: 5
                },
                LotAllocation {
                    lot: Book::lot_of(&other),
                    points: 3
                },
            ]
        );
        assert!(reversal.reason.as_deref().unwrap().contains("12 of the 20"));
        assert_eq!(book.wallet.balance(), 0);
    }

    #[test]
    fn a_redemption_is_restored_in_parts_into_the_latest_expiring_lots_first() {
        let mut book = Book::new();
        let soon = book.earn(30, None, at(2026, 1, 1), &policy_with_months(3));
        let late = book.earn(100, None, at(2026, 1, 1), &PointsPolicy::default());
        let redeemed = book.redeem(60, Some(VISIT), at(2026, 2, 1));
        assert_eq!(
            redeemed.allocations.len(),
            2,
            "30 from the soon lot, 30 from the late"
        );
        let first = book.partial(&redeemed, 40, at(2026, 2, 2));
        assert_eq!(first.points, 40);
        assert_eq!(
            first.allocations,
            vec![
                LotAllocation {
                    lot: Book::lot_of(&late),
                    points: 30
                },
                LotAllocation {
                    lot: Book::lot_of(&soon),
                    points: 10
                },
            ]
        );
        assert!(matches!(
            plan_partial_reversal(&book.wallet, redeemed.id, 21, at(2026, 2, 2), &book.entropy),
            Err(LedgerError::ReversalTooLarge { left: 20, .. })
        ));
        let rest = book.partial(&redeemed, 20, at(2026, 2, 3));
        assert_eq!(
            rest.allocations,
            vec![LotAllocation {
                lot: Book::lot_of(&soon),
                points: 20
            }]
        );
        assert_eq!(book.wallet.balance(), 130);
        assert_eq!(book.wallet.lot(Book::lot_of(&soon)).unwrap().remaining, 30);

        // A hand-made reversal restoring more than is left is refused on replay.
        let too_much = LedgerEntry {
            id: RecordId::from_u128(0xBAD),
            points: 1,
            allocations: vec![LotAllocation {
                lot: Book::lot_of(&late),
                points: 1,
            }],
            ..rest.clone()
        };
        let mut entries = book.entries.clone();
        entries.push(too_much);
        assert!(matches!(
            Wallet::replay(MEMBER, &entries),
            Err(LedgerError::Corrupt { .. })
        ));
        // Only earn and redeem entries are reversible.
        assert!(matches!(
            plan_partial_reversal(&book.wallet, rest.id, 1, at(2026, 2, 3), &book.entropy),
            Err(LedgerError::NotReversible { .. })
        ));
        assert!(matches!(
            plan_partial_reversal(
                &book.wallet,
                RecordId::from_u128(12345),
                1,
                at(2026, 2, 3),
                &book.entropy
            ),
            Err(LedgerError::UnknownEntry { .. })
        ));
    }

    #[test]
    fn earning_creates_a_lot_expiring_after_the_policy_lifetime() {
        let mut book = Book::new();
        let earned = book.earn(120, Some(VISIT), at(2026, 3, 8), &PointsPolicy::default());
        let lot = earned.lot.as_ref().unwrap();
        assert_eq!(earned.kind, EntryKind::Earn);
        assert_eq!(earned.points, 120);
        assert_eq!(earned.visit, Some(VISIT));
        assert_eq!(lot.earned_at, at(2026, 3, 8));
        assert_eq!(lot.expires_at, at(2027, 3, 8));
        assert_eq!(book.wallet.balance(), 120);
        assert_eq!(book.wallet.lots().len(), 1);
        assert_ne!(earned.id, lot.id);

        // Calendar months, clamped to the end of a shorter month.
        let one_month = policy_with_months(1);
        let end_of_january = book.earn(5, None, at(2028, 1, 31), &one_month);
        assert_eq!(end_of_january.lot.unwrap().expires_at, at(2028, 2, 29));

        assert!(matches!(
            plan_earn(MEMBER, 0, None, at(2026, 1, 1), &one_month, &book.entropy),
            Err(LedgerError::NotPositive { points: 0 })
        ));
        assert!(matches!(
            plan_earn(MEMBER, -3, None, at(2026, 1, 1), &one_month, &book.entropy),
            Err(LedgerError::NotPositive { points: -3 })
        ));
    }

    #[test]
    fn redemption_takes_from_the_soonest_expiring_unexpired_lots() {
        let mut book = Book::new();
        let six = policy_with_months(6);
        let twelve = PointsPolicy::default();
        let late = book.earn(100, None, at(2026, 1, 1), &twelve); // expires 2027-01-01
        let soon = book.earn(50, None, at(2026, 2, 1), &six); // expires 2026-08-01
        let stale = book.earn(30, None, at(2025, 1, 1), &twelve); // expires 2026-01-01

        let now = at(2026, 3, 1);
        assert_eq!(book.wallet.balance(), 180);
        assert_eq!(book.wallet.available(now), 150);
        assert!(matches!(
            plan_redeem(&book.wallet, 151, None, now, &book.entropy),
            Err(LedgerError::InsufficientPoints { available: 150 })
        ));
        assert!(matches!(
            plan_redeem(&book.wallet, 0, None, now, &book.entropy),
            Err(LedgerError::NotPositive { .. })
        ));
        assert!(matches!(
            plan_redeem(&book.wallet, -10, None, now, &book.entropy),
            Err(LedgerError::NotPositive { .. })
        ));

        let redeemed = book.redeem(70, Some(VISIT), now);
        assert_eq!(redeemed.points, -70);
        assert_eq!(
            redeemed.allocations,
            vec![
                LotAllocation {
                    lot: Book::lot_of(&soon),
                    points: 50
                },
                LotAllocation {
                    lot: Book::lot_of(&late),
                    points: 20
                },
            ]
        );
        assert_eq!(book.wallet.balance(), 110);
        assert_eq!(book.wallet.lot(Book::lot_of(&stale)).unwrap().remaining, 30);
        let remaining: Vec<i64> = book.wallet.lots().iter().map(|lot| lot.remaining).collect();
        assert_eq!(remaining, vec![30, 80]); // stale (expiry 2026-01) sorts first
    }

    #[test]
    fn expiry_takes_exactly_what_is_left_of_each_due_lot() {
        let mut book = Book::new();
        let policy = policy_with_months(6);
        let first = book.earn(40, None, at(2026, 1, 1), &policy); // 2026-07-01
        let second = book.earn(60, None, at(2026, 2, 1), &policy); // 2026-08-01
        let third = book.earn(10, None, at(2026, 5, 1), &policy); // 2026-11-01
        book.redeem(15, None, at(2026, 3, 1));

        let due = at(2026, 8, 1);
        assert_eq!(book.wallet.points_expiring_by(due), 85);
        assert_eq!(book.wallet.expiring_by(due).len(), 2);
        let expired = book.expire(due);
        assert_eq!(expired.len(), 2);
        assert!(expired.iter().all(|entry| entry.kind == EntryKind::Expire));
        assert_eq!(
            expired[0].allocations,
            vec![LotAllocation {
                lot: Book::lot_of(&first),
                points: 25
            }]
        );
        assert_eq!(expired[0].points, -25);
        assert_eq!(
            expired[1].allocations,
            vec![LotAllocation {
                lot: Book::lot_of(&second),
                points: 60
            }]
        );
        assert_eq!(book.wallet.balance(), 10);
        assert_eq!(book.wallet.lots()[0].lot.id, Book::lot_of(&third));
        assert!(book.expire(due).is_empty(), "a second run finds nothing");
    }

    #[test]
    fn a_policy_change_never_redates_existing_lots() {
        let mut book = Book::new();
        let earned = book.earn(100, None, at(2026, 1, 10), &PointsPolicy::default());
        let shorter = policy_with_months(6);
        let after_change = book.earn(5, None, at(2026, 1, 11), &shorter);

        assert_eq!(earned.lot.as_ref().unwrap().expires_at, at(2027, 1, 10));
        assert_eq!(
            after_change.lot.as_ref().unwrap().expires_at,
            at(2026, 7, 11)
        );
        // Seven months on, under the 6-month policy, only the new lot is due.
        let expired = book.expire(at(2026, 8, 10));
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].allocations[0].lot, Book::lot_of(&after_change));
        assert_eq!(book.wallet.balance(), 100);
        assert_eq!(
            Wallet::replay(MEMBER, &book.entries).unwrap().lots()[0]
                .lot
                .expires_at,
            at(2027, 1, 10)
        );
        // The soonest-expiring order follows each lot's own date, not the policy.
        let redeemed = book.redeem(1, None, at(2026, 8, 11));
        assert_eq!(redeemed.allocations[0].lot, Book::lot_of(&earned));
    }

    #[test]
    fn adjustments_need_a_reason_and_never_overdraw() {
        let mut book = Book::new();
        let policy = PointsPolicy::default();
        let now = at(2026, 4, 1);
        assert!(matches!(
            plan_adjust(&book.wallet, 50, "   ", now, &policy, &book.entropy),
            Err(LedgerError::ReasonRequired)
        ));
        assert!(matches!(
            plan_adjust(&book.wallet, 0, "typo", now, &policy, &book.entropy),
            Err(LedgerError::ZeroAdjustment)
        ));
        let added =
            plan_adjust(&book.wallet, 50, " goodwill ", now, &policy, &book.entropy).unwrap();
        assert_eq!(added.kind, EntryKind::Adjust);
        assert_eq!(added.reason.as_deref(), Some("goodwill"));
        assert_eq!(added.lot.as_ref().unwrap().expires_at, at(2027, 4, 1));
        book.append(vec![added]);

        assert!(matches!(
            plan_adjust(
                &book.wallet,
                -51,
                "duplicate earn",
                now,
                &policy,
                &book.entropy
            ),
            Err(LedgerError::InsufficientPoints { available: 50 })
        ));
        assert!(matches!(
            plan_adjust(
                &book.wallet,
                i64::MIN,
                "duplicate earn",
                now,
                &policy,
                &book.entropy
            ),
            Err(LedgerError::InsufficientPoints { .. })
        ));
        let removed = plan_adjust(
            &book.wallet,
            -20,
            "duplicate earn",
            now,
            &policy,
            &book.entropy,
        )
        .unwrap();
        assert!(removed.lot.is_none());
        assert_eq!(
            removed.allocations.iter().map(|a| a.points).sum::<i64>(),
            20
        );
        book.append(vec![removed]);
        assert_eq!(book.wallet.balance(), 30);
    }

    #[test]
    fn voiding_restores_the_redemption_then_reverses_the_earn() {
        let mut book = Book::new();
        let policy = PointsPolicy::default();
        let old = book.earn(100, None, at(2026, 1, 1), &policy);
        let now = at(2026, 2, 1);
        let redeemed = book.redeem(60, Some(VISIT), now);
        let earned = book.earn(25, Some(VISIT), now, &policy);
        assert_eq!(book.wallet.balance(), 65);

        let voided = book.void(&[redeemed.clone(), earned.clone()], at(2026, 2, 2));
        assert_eq!(voided.len(), 2);
        assert_eq!(voided[0].kind, EntryKind::Reverse);
        assert_eq!(voided[0].reverses, Some(redeemed.id));
        assert_eq!(voided[0].points, 60);
        assert_eq!(voided[0].allocations, redeemed.allocations);
        assert_eq!(voided[1].reverses, Some(earned.id));
        assert_eq!(voided[1].points, -25);
        assert_eq!(
            voided[1].allocations,
            vec![LotAllocation {
                lot: Book::lot_of(&earned),
                points: 25
            }]
        );
        assert!(voided[1].reason.is_none());
        assert!(voided[0].id < voided[1].id, "ids follow append order");
        assert_eq!(book.wallet.balance(), 100);
        assert_eq!(book.wallet.lot(Book::lot_of(&old)).unwrap().remaining, 100);
        assert!(book.wallet.is_reversed(redeemed.id));

        let again = plan_void(
            &book.wallet,
            &[redeemed.clone(), earned.clone()],
            at(2026, 2, 3),
            &book.entropy,
        );
        assert!(matches!(again, Err(LedgerError::AlreadyVoided { .. })));
        let with_reversals = plan_void(&book.wallet, &voided, at(2026, 2, 3), &book.entropy);
        assert!(matches!(
            with_reversals,
            Err(LedgerError::AlreadyVoided { .. })
        ));
    }

    #[test]
    fn a_restored_lot_keeps_its_expiry_and_the_next_run_expires_it() {
        let mut book = Book::new();
        let policy = policy_with_months(1);
        let lot = book.earn(40, None, at(2026, 1, 1), &policy); // expires 2026-02-01
        let redeemed = book.redeem(30, Some(VISIT), at(2026, 1, 15));
        book.expire(at(2026, 2, 2));
        assert_eq!(book.wallet.balance(), 0);

        book.void(&[redeemed], at(2026, 2, 3));
        let restored = book.wallet.lot(Book::lot_of(&lot)).unwrap();
        assert_eq!(restored.remaining, 30);
        assert_eq!(restored.lot.expires_at, at(2026, 2, 1));
        assert_eq!(book.wallet.available(at(2026, 2, 3)), 0);
        let expired = book.expire(at(2026, 2, 3));
        assert_eq!(expired.len(), 1);
        assert_eq!(expired[0].points, -30);
        assert_eq!(book.wallet.balance(), 0);
    }

    #[test]
    fn reversing_a_spent_earn_takes_from_other_lots_then_records_the_shortfall() {
        let mut book = Book::new();
        let policy = PointsPolicy::default();
        let earned = book.earn(50, Some(VISIT), at(2026, 1, 1), &policy);
        book.redeem(40, None, at(2026, 1, 2)); // spends most of the visit's lot
        let other = book.earn(15, None, at(2026, 1, 3), &policy);

        let voided = book.void(std::slice::from_ref(&earned), at(2026, 1, 4));
        assert_eq!(voided.len(), 1);
        assert_eq!(voided[0].points, -25);
        assert_eq!(
            voided[0].allocations,
            vec![
                LotAllocation {
                    lot: Book::lot_of(&earned),
                    points: 10
                },
                LotAllocation {
                    lot: Book::lot_of(&other),
                    points: 15
                },
            ]
        );
        assert!(
            voided[0]
                .reason
                .as_deref()
                .unwrap()
                .contains("25 of the 50")
        );
        assert_eq!(book.wallet.balance(), 0);
    }

    #[test]
    fn voiding_checks_what_it_is_given() {
        let mut book = Book::new();
        let policy = PointsPolicy::default();
        let now = at(2026, 1, 1);
        let earned = book.earn(50, Some(VISIT), now, &policy);
        let elsewhere = book.earn(5, Some(RecordId::from_u128(9)), now, &policy);
        let adjusted =
            plan_adjust(&book.wallet, 5, "welcome", now, &policy, &book.entropy).unwrap();

        let unknown = LedgerEntry {
            id: RecordId::from_u128(1),
            ..earned.clone()
        };
        assert!(matches!(
            plan_void(&book.wallet, &[unknown], now, &book.entropy),
            Err(LedgerError::UnknownEntry { .. })
        ));
        assert!(matches!(
            plan_void(
                &book.wallet,
                &[earned.clone(), elsewhere],
                now,
                &book.entropy
            ),
            Err(LedgerError::VisitMismatch)
        ));
        book.append(vec![adjusted.clone()]);
        let adjusted_on_visit = LedgerEntry {
            visit: Some(VISIT),
            ..adjusted
        };
        assert!(matches!(
            plan_void(&book.wallet, &[adjusted_on_visit], now, &book.entropy),
            Err(LedgerError::UnknownEntry { .. } | LedgerError::NotVoidable { .. })
        ));
        assert!(
            plan_void(&book.wallet, &[], now, &book.entropy)
                .unwrap()
                .is_empty()
        );
        // The same entry twice is voided once.
        let voided = book.void(&[earned.clone(), earned], now);
        assert_eq!(voided.len(), 1);
    }

    #[test]
    fn replay_refuses_entries_that_break_the_ledger() {
        let mut book = Book::new();
        let policy = policy_with_months(1);
        let earned = book.earn(10, None, at(2026, 1, 1), &policy);
        let lot = Book::lot_of(&earned);
        let redeem = |points: i64, allocated: i64, when: DateTime<Utc>| LedgerEntry {
            id: RecordId::from_u128(77),
            member: MEMBER,
            at: when,
            kind: EntryKind::Redeem,
            points: -points,
            lot: None,
            allocations: vec![LotAllocation {
                lot,
                points: allocated,
            }],
            visit: None,
            reason: None,
            reverses: None,
        };
        let with = |entry: LedgerEntry| {
            let mut entries = book.entries.clone();
            entries.push(entry);
            Wallet::replay(MEMBER, &entries)
        };

        assert!(with(redeem(5, 5, at(2026, 1, 2))).is_ok());
        assert!(matches!(
            with(redeem(11, 11, at(2026, 1, 2))),
            Err(LedgerError::LotOverdrawn {
                remaining: 10,
                taken: 11,
                ..
            })
        ));
        assert!(matches!(
            with(redeem(5, 4, at(2026, 1, 2))),
            Err(LedgerError::Corrupt { .. })
        ));
        assert!(
            matches!(
                with(redeem(5, 5, at(2026, 2, 2))),
                Err(LedgerError::Corrupt { .. })
            ),
            "lot had expired"
        );
        let early_expiry = LedgerEntry {
            kind: EntryKind::Expire,
            ..redeem(5, 5, at(2026, 1, 2))
        };
        assert!(matches!(
            with(early_expiry),
            Err(LedgerError::Corrupt { .. })
        ));
        let unknown_lot = LedgerEntry {
            allocations: vec![LotAllocation {
                lot: RecordId::from_u128(3),
                points: 5,
            }],
            ..redeem(5, 5, at(2026, 1, 2))
        };
        assert!(matches!(
            with(unknown_lot),
            Err(LedgerError::Corrupt { .. })
        ));
        let other_member = LedgerEntry {
            member: RecordId::from_u128(4),
            ..redeem(5, 5, at(2026, 1, 2))
        };
        assert!(matches!(
            with(other_member),
            Err(LedgerError::Corrupt { .. })
        ));
        assert!(
            matches!(with(earned.clone()), Err(LedgerError::Corrupt { .. })),
            "duplicate id"
        );
        let reversal_of_nothing = LedgerEntry {
            kind: EntryKind::Reverse,
            reverses: Some(RecordId::from_u128(5)),
            ..redeem(5, 5, at(2026, 1, 2))
        };
        assert!(matches!(
            with(reversal_of_nothing),
            Err(LedgerError::Corrupt { .. })
        ));
        let unreasoned = LedgerEntry {
            kind: EntryKind::Adjust,
            ..redeem(5, 5, at(2026, 1, 2))
        };
        assert!(matches!(with(unreasoned), Err(LedgerError::Corrupt { .. })));

        // A failed apply leaves the wallet untouched.
        let before = book.wallet.clone();
        assert!(book.wallet.apply(&redeem(11, 11, at(2026, 1, 2))).is_err());
        assert_eq!(book.wallet, before);
    }

    #[test]
    fn entries_and_wallets_round_trip_through_postcard() {
        let mut book = Book::new();
        let earned = book.earn(10, Some(VISIT), at(2026, 1, 1), &PointsPolicy::default());
        let bytes = postcard::to_allocvec(&earned).unwrap();
        assert_eq!(postcard::from_bytes::<LedgerEntry>(&bytes).unwrap(), earned);
        let bytes = postcard::to_allocvec(&book.wallet).unwrap();
        assert_eq!(postcard::from_bytes::<Wallet>(&bytes).unwrap(), book.wallet);
    }

    mod random_histories {
        use super::*;
        use proptest::prelude::*;

        #[derive(Debug, Clone)]
        enum Step {
            Checkout { redeem: i64, earn: i64 },
            Expire,
            Void(usize),
            Refund(usize, i64),
            Adjust(i64),
            Advance(i64),
            ChangePolicy(u32),
        }

        fn step() -> impl Strategy<Value = Step> {
            prop_oneof![
                4 => (0i64..300, 0i64..400).prop_map(|(redeem, earn)| Step::Checkout { redeem, earn }),
                2 => Just(Step::Expire),
                2 => any::<usize>().prop_map(Step::Void),
                2 => (any::<usize>(), 1i64..200).prop_map(|(pick, points)| Step::Refund(pick, points)),
                1 => (-300i64..300).prop_map(Step::Adjust),
                3 => (0i64..24 * 120).prop_map(Step::Advance),
                1 => (1u32..=24).prop_map(Step::ChangePolicy),
            ]
        }

        struct Visit {
            entries: Vec<LedgerEntry>,
            voided: bool,
            refunded: bool,
        }

        fn check_invariants(book: &Book) {
            let ledger_sum: i64 = book.entries.iter().map(|entry| entry.points).sum();
            assert_eq!(book.wallet.balance(), ledger_sum);
            assert!(book.wallet.balance() >= 0);
            let lot_sum: i64 = book.wallet.lots().iter().map(|lot| lot.remaining).sum();
            assert_eq!(lot_sum, ledger_sum);
            for lot in book.entries.iter().filter_map(|entry| entry.lot.as_ref()) {
                let held = book.wallet.lot(lot.id).unwrap();
                assert!((0..=lot.points).contains(&held.remaining));
                assert_eq!(&held.lot, lot, "a lot is never re-dated or resized");
            }
        }

        /// Every lot the redemption touched was unexpired, and every unexpired lot expiring
        /// strictly sooner than a touched one was emptied.
        fn check_soonest_first(
            before: &Wallet,
            after: &Wallet,
            redeem: &LedgerEntry,
            now: DateTime<Utc>,
        ) {
            for allocation in &redeem.allocations {
                let touched = before.lot(allocation.lot).unwrap();
                assert!(touched.lot.expires_at > now, "redeemed from an expired lot");
                for sooner in before.lots() {
                    if sooner.lot.expires_at > now && sooner.lot.expires_at < touched.lot.expires_at
                    {
                        assert_eq!(
                            after.lot(sooner.lot.id).unwrap().remaining,
                            0,
                            "skipped a sooner-expiring lot"
                        );
                    }
                }
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(96))]
            #[test]
            fn ledger_invariants_hold_over_random_histories(steps in proptest::collection::vec(step(), 1..60)) {
                let mut book = Book::new();
                let mut policy = PointsPolicy::default();
                let mut now = at(2026, 1, 1);
                let mut visits: Vec<Visit> = Vec::new();
                for (number, step) in steps.into_iter().enumerate() {
                    match step {
                        Step::Checkout { redeem, earn } => {
                            let visit = Some(RecordId::from_u128(1_000 + number as u128));
                            let mut entries = Vec::new();
                            if redeem > 0 {
                                let available = book.wallet.available(now);
                                match plan_redeem(&book.wallet, redeem, visit, now, &book.entropy) {
                                    Ok(entry) => {
                                        let before = book.wallet.clone();
                                        book.append(vec![entry.clone()]);
                                        check_soonest_first(&before, &book.wallet, &entry, now);
                                        prop_assert_eq!(entry.points, -redeem);
                                        entries.push(entry);
                                    }
                                    Err(LedgerError::InsufficientPoints { available: said }) => {
                                        prop_assert!(redeem > available);
                                        prop_assert_eq!(said, available);
                                    }
                                    Err(other) => prop_assert!(false, "unexpected {other}"),
                                }
                            }
                            if earn > 0 {
                                entries.push(book.earn(earn, visit, now, &policy));
                            }
                            if !entries.is_empty() {
                                visits.push(Visit { entries, voided: false, refunded: false });
                            }
                        }
                        Step::Expire => {
                            book.expire(now);
                            prop_assert_eq!(book.wallet.points_expiring_by(now), 0);
                            prop_assert_eq!(book.wallet.available(now), book.wallet.balance());
                        }
                        Step::Void(pick) => {
                            if visits.is_empty() {
                                continue;
                            }
                            let count = visits.len();
                            let visit = &mut visits[pick % count];
                            let planned = plan_void(&book.wallet, &visit.entries, now, &book.entropy);
                            if visit.voided || visit.refunded {
                                prop_assert!(
                                    matches!(planned, Err(LedgerError::AlreadyVoided { .. })),
                                    "voiding twice, or after a refund, must fail"
                                );
                            } else {
                                let planned = planned.unwrap();
                                prop_assert_eq!(planned.len(), visit.entries.len());
                                visit.voided = true;
                                book.append(planned);
                            }
                        }
                        Step::Refund(pick, points) => {
                            if visits.is_empty() {
                                continue;
                            }
                            let count = visits.len();
                            let visit = &mut visits[pick % count];
                            if visit.voided {
                                continue;
                            }
                            for entry in visit.entries.clone() {
                                let moved = entry.points.abs();
                                let left = moved - book.wallet.reversed_points(entry.id);
                                let planned = plan_partial_reversal(&book.wallet, entry.id, points, now, &book.entropy);
                                if points > left {
                                    prop_assert!(
                                        matches!(planned, Err(LedgerError::ReversalTooLarge { .. })),
                                        "reversing past the entry must fail"
                                    );
                                    continue;
                                }
                                let planned = planned.unwrap();
                                prop_assert!(planned.points.abs() <= points);
                                book.append(vec![planned]);
                                visit.refunded = true;
                                prop_assert!(book.wallet.reversed_points(entry.id) <= moved);
                            }
                        }
                        Step::Adjust(delta) => {
                            let available = book.wallet.available(now);
                            let planned = plan_adjust(&book.wallet, delta, "count correction", now, &policy, &book.entropy);
                            if delta == 0 {
                                prop_assert!(matches!(planned, Err(LedgerError::ZeroAdjustment)));
                            } else if -delta > available {
                                prop_assert!(
                                    matches!(planned, Err(LedgerError::InsufficientPoints { .. })),
                                    "overdrawing adjustment must fail"
                                );
                            } else {
                                book.append(vec![planned.unwrap()]);
                            }
                        }
                        Step::Advance(hours) => now += Duration::hours(hours),
                        Step::ChangePolicy(months) => policy = policy_with_months(months),
                    }
                    check_invariants(&book);
                }
            }
        }
    }
}
