//! Folding two records of the same person into one (SPEC section 8, correction): which
//! profile field comes from which record, and how two points ledgers, two consent histories
//! and two sets of visit figures become one without losing an entry or a lot's expiry date.

use chrono::{DateTime, Utc};

use crate::domain::loyalty::{LedgerEntry, LedgerError, RollingSpend, Wallet};
use crate::ids::RecordId;

/// Which of the two records a profile field is taken from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Side {
    /// The member who stays (the default for every field).
    #[default]
    Kept,
    /// The member folded into the other.
    Absorbed,
}

impl Side {
    pub fn other(self) -> Self {
        match self {
            Side::Kept => Side::Absorbed,
            Side::Absorbed => Side::Kept,
        }
    }
}

/// The profile fields a manager picks one by one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProfileField {
    Name,
    Phone,
    Email,
    Birthday,
    Notes,
}

impl ProfileField {
    pub const ALL: [ProfileField; 5] = [
        ProfileField::Name,
        ProfileField::Phone,
        ProfileField::Email,
        ProfileField::Birthday,
        ProfileField::Notes,
    ];

    /// The field's name in audit entries and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileField::Name => "name",
            ProfileField::Phone => "phone",
            ProfileField::Email => "email",
            ProfileField::Birthday => "birthday",
            ProfileField::Notes => "notes",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|field| field.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

/// The manager's pick for every profile field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProfileChoice {
    pub name: Side,
    pub phone: Side,
    pub email: Side,
    pub birthday: Side,
    pub notes: Side,
}

impl ProfileChoice {
    pub fn side(&self, field: ProfileField) -> Side {
        match field {
            ProfileField::Name => self.name,
            ProfileField::Phone => self.phone,
            ProfileField::Email => self.email,
            ProfileField::Birthday => self.birthday,
            ProfileField::Notes => self.notes,
        }
    }

    pub fn set(&mut self, field: ProfileField, side: Side) {
        match field {
            ProfileField::Name => self.name = side,
            ProfileField::Phone => self.phone = side,
            ProfileField::Email => self.email = side,
            ProfileField::Birthday => self.birthday = side,
            ProfileField::Notes => self.notes = side,
        }
    }

    /// Takes each field from whichever record has it, the kept one first: what a manager
    /// usually wants when the second record only fills gaps.
    pub fn fill_gaps(
        kept_has: impl Fn(ProfileField) -> bool,
        absorbed_has: impl Fn(ProfileField) -> bool,
    ) -> Self {
        let mut choice = Self::default();
        for field in ProfileField::ALL {
            if !kept_has(field) && absorbed_has(field) {
                choice.set(field, Side::Absorbed);
            }
        }
        choice
    }

    /// The fields taken from the absorbed record, for the audit entry.
    pub fn taken_from_absorbed(&self) -> Vec<ProfileField> {
        ProfileField::ALL
            .into_iter()
            .filter(|field| self.side(*field) == Side::Absorbed)
            .collect()
    }
}

/// Both ledgers as one, in the order things happened, every entry now the survivor's. Each
/// entry keeps its id, lots keep their ids and expiry dates, and the result is replayed to
/// prove it balances: the two ledgers touch disjoint lots, so interleaving them by time keeps
/// every allocation valid.
pub fn merge_ledgers(
    survivor: RecordId,
    kept: Vec<LedgerEntry>,
    absorbed: Vec<LedgerEntry>,
) -> Result<(Vec<LedgerEntry>, Wallet), LedgerError> {
    let merged: Vec<LedgerEntry> = interleave_by_time(kept, absorbed, |entry| entry.at)
        .into_iter()
        .map(|mut entry| {
            entry.member = survivor;
            entry
        })
        .collect();
    let wallet = Wallet::replay(survivor, &merged)?;
    Ok((merged, wallet))
}

/// Two histories, each already in order, as one in time order; on equal times the kept
/// record's entry comes first, and each history keeps its own order.
pub fn interleave_by_time<T>(
    kept: Vec<T>,
    absorbed: Vec<T>,
    at: impl Fn(&T) -> DateTime<Utc>,
) -> Vec<T> {
    let mut merged = Vec::with_capacity(kept.len() + absorbed.len());
    let mut kept = kept.into_iter().peekable();
    let mut absorbed = absorbed.into_iter().peekable();
    loop {
        let take_kept = match (kept.peek(), absorbed.peek()) {
            (Some(k), Some(a)) => at(k) <= at(a),
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => break,
        };
        let next = if take_kept {
            kept.next()
        } else {
            absorbed.next()
        };
        merged.extend(next);
    }
    merged
}

/// Month-by-month spend of both records added together.
pub fn merge_spend(kept: &RollingSpend, absorbed: &RollingSpend) -> RollingSpend {
    let mut merged = kept.clone();
    merged.absorb(absorbed);
    merged
}

/// The later of two optional instants.
pub fn latest(a: Option<DateTime<Utc>>, b: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    a.max(b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::loyalty::{EntryKind, Lot, LotAllocation};
    use chrono::TimeZone;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, 12, 0, 0).unwrap()
    }

    fn earn(member: RecordId, id: u128, lot: u128, day: u32, points: i64) -> LedgerEntry {
        LedgerEntry {
            id: RecordId::from_u128(id),
            member,
            at: at(day),
            kind: EntryKind::Earn,
            points,
            lot: Some(Lot {
                id: RecordId::from_u128(lot),
                earned_at: at(day),
                expires_at: at(day) + chrono::Duration::days(365),
                points,
            }),
            allocations: Vec::new(),
            visit: None,
            reason: None,
            reverses: None,
        }
    }

    fn redeem(member: RecordId, id: u128, lot: u128, day: u32, points: i64) -> LedgerEntry {
        LedgerEntry {
            id: RecordId::from_u128(id),
            member,
            at: at(day),
            kind: EntryKind::Redeem,
            points: -points,
            lot: None,
            allocations: vec![LotAllocation {
                lot: RecordId::from_u128(lot),
                points,
            }],
            visit: None,
            reason: None,
            reverses: None,
        }
    }

    #[test]
    fn two_ledgers_become_one_in_time_order_keeping_lots_and_balances() {
        let kept = RecordId::from_u128(1);
        let absorbed = RecordId::from_u128(2);
        let kept_entries = vec![earn(kept, 10, 100, 1, 50), redeem(kept, 11, 100, 5, 20)];
        let absorbed_entries = vec![
            earn(absorbed, 20, 200, 2, 80),
            redeem(absorbed, 21, 200, 9, 30),
        ];
        let (merged, wallet) =
            merge_ledgers(kept, kept_entries.clone(), absorbed_entries.clone()).unwrap();
        let ids: Vec<u128> = merged.iter().map(|e| e.id.as_u128()).collect();
        assert_eq!(ids, vec![10, 20, 11, 21]);
        assert!(merged.iter().all(|e| e.member == kept));
        assert_eq!(wallet.balance(), 50 - 20 + 80 - 30);
        let lot = wallet.lot(RecordId::from_u128(200)).unwrap();
        assert_eq!(lot.lot.expires_at, at(2) + chrono::Duration::days(365));
        assert_eq!(lot.remaining, 50);
    }

    #[test]
    fn interleaving_is_stable_and_kept_first_on_ties() {
        let merged = interleave_by_time(
            vec![(1, 'k'), (1, 'K'), (3, 'k')],
            vec![(1, 'a'), (2, 'a')],
            |(day, _)| at(*day),
        );
        assert_eq!(
            merged,
            vec![(1, 'k'), (1, 'K'), (1, 'a'), (2, 'a'), (3, 'k')]
        );
    }

    #[test]
    fn gaps_are_filled_from_the_absorbed_record_only() {
        let choice = ProfileChoice::fill_gaps(
            |field| field != ProfileField::Email,
            |field| field == ProfileField::Email || field == ProfileField::Name,
        );
        assert_eq!(choice.name, Side::Kept);
        assert_eq!(choice.email, Side::Absorbed);
        assert_eq!(choice.taken_from_absorbed(), vec![ProfileField::Email]);
    }

    #[test]
    fn fields_parse_by_their_audit_names() {
        assert_eq!(ProfileField::parse(" Phone"), Some(ProfileField::Phone));
        assert_eq!(ProfileField::parse("address"), None);
    }
}
