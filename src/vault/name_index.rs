//! In-memory prefix search over folded name tokens, built after unlock from decrypted names.
//! One byte arena plus a sorted array of 12-byte entries, so a million members fit in tens of MB.

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::fmt;

use zeroize::{Zeroize, Zeroizing};

use crate::ids::RecordId;
use crate::vault::VaultError;

/// Below this many pending entries and dead members, changes are not worth a compaction.
const COMPACT_MIN: usize = 16_384;
/// First byte of [`NameIndex::write_snapshot`]'s form.
const SNAPSHOT_FORMAT: u8 = 1;

/// One token of one member: `arena[offset..offset + len]`, owned by the member in `slot`.
#[derive(Clone, Copy)]
struct Entry {
    offset: u32,
    len: u32,
    slot: u32,
}

/// Name tokens for prefix search.
///
/// Layout: `sorted` holds entries ordered by (token bytes, member id); `pending` holds later
/// insertions in the same order and is kept small by merging it into `sorted` (an O(n) merge,
/// no re-sort). Removal only marks the member's slot dead; compaction drops dead entries and
/// renumbers slots in member-id order, so ids below `indexed_slots` can be binary-searched.
pub struct NameIndex {
    arena: Vec<u8>,
    sorted: Vec<Entry>,
    pending: Vec<Entry>,
    members: Vec<RecordId>,
    alive: Vec<bool>,
    /// Slots below this are sorted by member id (as left by the last compaction).
    indexed_slots: usize,
    live: usize,
    dead_slots: usize,
}

fn token<'a>(arena: &'a [u8], entry: &Entry) -> &'a [u8] {
    let start = entry.offset as usize;
    &arena[start..start + entry.len as usize]
}

fn compare(arena: &[u8], members: &[RecordId], a: &Entry, b: &Entry) -> Ordering {
    token(arena, a)
        .cmp(token(arena, b))
        .then_with(|| members[a.slot as usize].cmp(&members[b.slot as usize]))
}

/// Walks two sorted runs in merged order.
struct MergedRuns<'a> {
    arena: &'a [u8],
    members: &'a [RecordId],
    left: &'a [Entry],
    right: &'a [Entry],
}

impl<'a> Iterator for MergedRuns<'a> {
    type Item = &'a Entry;

    fn next(&mut self) -> Option<&'a Entry> {
        let take_right = match (self.left.first(), self.right.first()) {
            (Some(a), Some(b)) => compare(self.arena, self.members, a, b) == Ordering::Greater,
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (None, None) => return None,
        };
        let run = if take_right {
            &mut self.right
        } else {
            &mut self.left
        };
        let (first, rest) = run.split_first()?;
        *run = rest;
        Some(first)
    }
}

impl NameIndex {
    pub fn new() -> Self {
        Self {
            arena: Vec::new(),
            sorted: Vec::new(),
            pending: Vec::new(),
            members: Vec::new(),
            alive: Vec::new(),
            indexed_slots: 0,
            live: 0,
            dead_slots: 0,
        }
    }

    /// Members currently searchable.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Heap memory held, for diagnostics.
    pub fn approximate_heap_bytes(&self) -> usize {
        self.arena.capacity()
            + (self.sorted.capacity() + self.pending.capacity()) * size_of::<Entry>()
            + self.members.capacity() * size_of::<RecordId>()
            + self.alive.capacity()
    }

    /// Loads many members at once (the unlock path): appends everything, sorts once, merges.
    /// Each item acts like [`NameIndex::insert`]: a member already present, or listed twice,
    /// keeps its last token list, and an empty list removes it. Tokens must already be folded;
    /// they are zeroized once copied. On error, the members before the failing one stay loaded.
    pub fn bulk_load<I>(&mut self, members: I) -> Result<(), VaultError>
    where
        I: IntoIterator<Item = (RecordId, Vec<String>)>,
    {
        // Start from a compacted index so replaced members are found by binary search alone.
        if self.indexed_slots < self.members.len() {
            self.compact()?;
        }
        let first_new_slot = self.members.len();
        let mut batch = Vec::new();
        // Members given an empty list, with the slot count at that point: earlier slots of
        // theirs in this batch must go too.
        let mut emptied: HashMap<RecordId, usize> = HashMap::new();
        let mut outcome = Ok(());
        for (member, tokens) in members {
            if let Some(old) = self.indexed_live_slot(member) {
                self.kill(old);
            }
            if tokens.iter().all(String::is_empty) {
                emptied.insert(member, self.members.len());
            }
            if let Err(err) = self.add_member(member, tokens, &mut batch) {
                outcome = Err(err);
                break;
            }
        }
        if !emptied.is_empty() {
            for slot in first_new_slot..self.members.len() {
                let emptied_later = emptied
                    .get(&self.members[slot])
                    .is_some_and(|&boundary| slot < boundary);
                if emptied_later {
                    self.kill(slot);
                }
            }
        }
        // Rebuilding also settles members loaded more than once (the newest slot wins).
        self.rebuild(batch)?;
        outcome
    }

    /// Adds a member, or replaces the tokens of one already present (an empty list removes it).
    pub fn insert(&mut self, member: RecordId, tokens: Vec<String>) -> Result<(), VaultError> {
        if let Some(old) = self.live_slot(member) {
            self.kill(old);
        }
        let mut added = Vec::new();
        let outcome = self.add_member(member, tokens, &mut added);
        for entry in added {
            let at = self.pending.partition_point(|probe| {
                compare(&self.arena, &self.members, probe, &entry) == Ordering::Less
            });
            self.pending.insert(at, entry);
        }
        outcome?;
        self.compact_if_worthwhile()
    }

    pub fn replace(&mut self, member: RecordId, tokens: Vec<String>) -> Result<(), VaultError> {
        self.insert(member, tokens)
    }

    /// Returns whether the member was present.
    pub fn remove(&mut self, member: RecordId) -> bool {
        match self.live_slot(member) {
            Some(slot) => {
                self.kill(slot);
                // Removal never grows memory, so a failed compaction can wait for the next one.
                let _ = self.compact_if_worthwhile();
                true
            }
            None => false,
        }
    }

    /// Distinct members with a token starting with `folded_prefix`: exact token matches first,
    /// then by token, then by member id. An empty prefix matches nothing.
    pub fn search_prefix(&self, folded_prefix: &str, limit: usize) -> Vec<RecordId> {
        let prefix = folded_prefix.as_bytes();
        if prefix.is_empty() || limit == 0 {
            return Vec::new();
        }
        let start = |run: &[Entry]| run.partition_point(|entry| token(&self.arena, entry) < prefix);
        let runs = MergedRuns {
            arena: &self.arena,
            members: &self.members,
            left: &self.sorted[start(&self.sorted)..],
            right: &self.pending[start(&self.pending)..],
        };
        let mut found = Vec::new();
        let mut seen = HashSet::new();
        for entry in runs {
            if !token(&self.arena, entry).starts_with(prefix) {
                break;
            }
            let slot = entry.slot as usize;
            if !self.alive[slot] {
                continue;
            }
            let member = self.members[slot];
            if seen.insert(member) {
                found.push(member);
                if found.len() == limit {
                    break;
                }
            }
        }
        found
    }

    /// Appends the index in its own compact form (compacting it first): the arena, the
    /// members in id order, then the sorted entries. [`NameIndex::read_snapshot`] loads it
    /// back without sorting anything. The bytes are names: the caller seals them and keeps
    /// `out` zeroizing.
    pub fn write_snapshot(&mut self, out: &mut Vec<u8>) -> Result<(), VaultError> {
        if !self.pending.is_empty()
            || self.dead_slots > 0
            || self.indexed_slots < self.members.len()
        {
            self.compact()?;
        }
        let len = |n: usize| u32::try_from(n).map_err(|_| VaultError::NameIndexFull);
        out.reserve(
            13 + self.arena.len()
                + self.members.len() * size_of::<u128>()
                + self.sorted.len() * size_of::<Entry>(),
        );
        out.push(SNAPSHOT_FORMAT);
        out.extend_from_slice(&len(self.arena.len())?.to_le_bytes());
        out.extend_from_slice(&self.arena);
        out.extend_from_slice(&len(self.members.len())?.to_le_bytes());
        for member in &self.members {
            out.extend_from_slice(&member.as_u128().to_le_bytes());
        }
        out.extend_from_slice(&len(self.sorted.len())?.to_le_bytes());
        for entry in &self.sorted {
            out.extend_from_slice(&entry.offset.to_le_bytes());
            out.extend_from_slice(&entry.len.to_le_bytes());
            out.extend_from_slice(&entry.slot.to_le_bytes());
        }
        Ok(())
    }

    /// Reads what [`NameIndex::write_snapshot`] wrote at the start of `bytes`, returning the
    /// index and the bytes after it. Everything is checked (bounds, member and entry order),
    /// so a damaged snapshot is refused rather than searched wrongly.
    pub fn read_snapshot(bytes: &[u8]) -> Result<(Self, &[u8]), VaultError> {
        let malformed = |reason| VaultError::Malformed { reason };
        let mut rest = bytes;
        let mut take = |n: usize| -> Result<&[u8], VaultError> {
            if rest.len() < n {
                return Err(malformed("name index snapshot cut short"));
            }
            let (head, tail) = rest.split_at(n);
            rest = tail;
            Ok(head)
        };
        let u32_at =
            |b: &[u8], at: usize| u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]);
        if take(1)? != [SNAPSHOT_FORMAT] {
            return Err(malformed("unknown name index snapshot format"));
        }
        let arena_len = u32_at(take(4)?, 0) as usize;
        let arena = take(arena_len)?.to_vec();
        let member_count = u32_at(take(4)?, 0) as usize;
        let member_bytes = take(member_count.saturating_mul(16))?;
        let members: Vec<RecordId> = member_bytes
            .chunks_exact(16)
            .map(|raw| {
                let mut id = [0u8; 16];
                id.copy_from_slice(raw);
                RecordId::from_u128(u128::from_le_bytes(id))
            })
            .collect();
        if members.windows(2).any(|pair| pair[0] >= pair[1]) {
            return Err(malformed("name index snapshot members out of order"));
        }
        let entry_count = u32_at(take(4)?, 0) as usize;
        let entry_bytes = take(entry_count.saturating_mul(12))?;
        let mut sorted = Vec::with_capacity(entry_count);
        for raw in entry_bytes.chunks_exact(12) {
            let entry = Entry {
                offset: u32_at(raw, 0),
                len: u32_at(raw, 4),
                slot: u32_at(raw, 8),
            };
            let end = entry.offset as usize + entry.len as usize;
            if end > arena.len() || entry.slot as usize >= members.len() || entry.len == 0 {
                return Err(malformed("name index snapshot entry out of bounds"));
            }
            if let Some(previous) = sorted.last()
                && compare_by_slot(&arena, previous, &entry) != Ordering::Less
            {
                return Err(malformed("name index snapshot entries out of order"));
            }
            sorted.push(entry);
        }
        let live = members.len();
        let index = Self {
            arena,
            sorted,
            pending: Vec::new(),
            alive: vec![true; live],
            indexed_slots: live,
            members,
            live,
            dead_slots: 0,
        };
        Ok((index, rest))
    }

    /// The folded tokens of each of `wanted` that is indexed (sorted, without repeats): one
    /// pass over the entries. For checking a few members against their stored names.
    pub fn tokens_of(
        &self,
        wanted: &HashSet<RecordId>,
    ) -> HashMap<RecordId, Vec<Zeroizing<Vec<u8>>>> {
        let mut found: HashMap<RecordId, Vec<Zeroizing<Vec<u8>>>> = HashMap::new();
        if wanted.is_empty() {
            return found;
        }
        for entry in self.sorted.iter().chain(&self.pending) {
            let slot = entry.slot as usize;
            if !self.alive[slot] {
                continue;
            }
            let member = self.members[slot];
            if wanted.contains(&member) {
                found
                    .entry(member)
                    .or_default()
                    .push(Zeroizing::new(token(&self.arena, entry).to_vec()));
            }
        }
        for tokens in found.values_mut() {
            tokens.sort_unstable_by(|a, b| a.as_slice().cmp(b.as_slice()));
            tokens.dedup_by(|a, b| a.as_slice() == b.as_slice());
        }
        found
    }

    /// Creates a slot for `member` and its entries (pushed to `entries`, unsorted). Empty and
    /// repeated tokens are skipped; a member with no tokens gets no slot.
    fn add_member(
        &mut self,
        member: RecordId,
        mut tokens: Vec<String>,
        entries: &mut Vec<Entry>,
    ) -> Result<(), VaultError> {
        // Sorted so repeats are adjacent; not deduplicated in place, which would drop (and free)
        // the repeats without zeroizing them.
        tokens.sort_unstable();
        let outcome = self.add_tokens(member, &tokens, entries);
        tokens.zeroize();
        outcome
    }

    fn add_tokens(
        &mut self,
        member: RecordId,
        tokens: &[String],
        entries: &mut Vec<Entry>,
    ) -> Result<(), VaultError> {
        if tokens.iter().all(String::is_empty) {
            return Ok(());
        }
        let slot = u32::try_from(self.members.len()).map_err(|_| VaultError::NameIndexFull)?;
        let total: usize = tokens.iter().map(String::len).sum();
        let end = self.arena.len().saturating_add(total);
        if u32::try_from(end).is_err() {
            return Err(VaultError::NameIndexFull);
        }
        self.reserve_arena(total);
        self.members.push(member);
        self.alive.push(true);
        self.live += 1;
        let mut previous: Option<&str> = None;
        for text in tokens {
            if text.is_empty() || previous == Some(text.as_str()) {
                continue;
            }
            previous = Some(text);
            // Both fit: the arena end was checked above.
            let offset = u32::try_from(self.arena.len()).map_err(|_| VaultError::NameIndexFull)?;
            let len = u32::try_from(text.len()).map_err(|_| VaultError::NameIndexFull)?;
            self.arena.extend_from_slice(text.as_bytes());
            entries.push(Entry { offset, len, slot });
        }
        Ok(())
    }

    /// Grows the arena by hand so the old buffer is zeroized rather than freed with names in it.
    fn reserve_arena(&mut self, additional: usize) {
        if self.arena.capacity() - self.arena.len() >= additional {
            return;
        }
        let wanted = self.arena.len() + additional;
        let capacity = wanted.max(self.arena.capacity() * 2).max(4096);
        let mut grown = Vec::with_capacity(capacity);
        grown.extend_from_slice(&self.arena);
        self.arena.zeroize();
        self.arena = grown;
    }

    fn live_slot(&self, member: RecordId) -> Option<usize> {
        (self.indexed_slots..self.members.len())
            .rev()
            .find(|&slot| self.alive[slot] && self.members[slot] == member)
            .or_else(|| self.indexed_live_slot(member))
    }

    fn indexed_live_slot(&self, member: RecordId) -> Option<usize> {
        self.members[..self.indexed_slots]
            .binary_search(&member)
            .ok()
            .filter(|&slot| self.alive[slot])
    }

    fn kill(&mut self, slot: usize) {
        if std::mem::replace(&mut self.alive[slot], false) {
            self.live -= 1;
            self.dead_slots += 1;
        }
    }

    fn compact_if_worthwhile(&mut self) -> Result<(), VaultError> {
        let churn = self.pending.len() + self.dead_slots;
        if churn > COMPACT_MIN.max(self.sorted.len() / 64) {
            self.compact()
        } else {
            Ok(())
        }
    }

    fn compact(&mut self) -> Result<(), VaultError> {
        self.rebuild(Vec::new())
    }

    /// Drops dead members, keeps the newest slot of a member present twice, renumbers slots in
    /// member-id order, merges `pending` and `batch` (unsorted) into `sorted`, and copies tokens
    /// into a fresh arena in sorted order, equal tokens sharing bytes. Only `batch` is sorted;
    /// everything else is merged in O(n).
    fn rebuild(&mut self, batch: Vec<Entry>) -> Result<(), VaultError> {
        let (new_slot_of, members) = self.slots_in_id_order()?;
        let arena = &self.arena;
        let renumber = |entry: &Entry| {
            let slot = new_slot_of[entry.slot as usize];
            (slot != u32::MAX).then_some(Entry { slot, ..*entry })
        };
        // With slots in id order, (token, slot) order is (token, id) order, so the sort needs
        // no lookups in the member table; the 8-byte head settles most token comparisons
        // without touching the arena.
        let mut batch: Vec<(u64, Entry)> = batch
            .iter()
            .filter_map(renumber)
            .map(|entry| (token_head(token(arena, &entry)), entry))
            .collect();
        batch.sort_unstable_by(|(head_a, a), (head_b, b)| {
            head_a.cmp(head_b).then_with(|| {
                if a.len <= 8 && b.len <= 8 {
                    // Equal zero-padded heads: the shorter token is a prefix of the longer.
                    a.len.cmp(&b.len).then(a.slot.cmp(&b.slot))
                } else {
                    compare_by_slot(arena, a, b)
                }
            })
        });

        let previous = || {
            MergedRuns {
                arena,
                members: &self.members,
                left: &self.sorted,
                right: &self.pending,
            }
            .filter_map(renumber)
        };
        let (mut count, mut arena_bound) = (batch.len(), 0usize);
        for entry in previous() {
            count += 1;
            arena_bound += entry.len as usize;
        }
        arena_bound += batch
            .iter()
            .map(|(_, entry)| entry.len as usize)
            .sum::<usize>();

        let mut old_run = previous().peekable();
        let mut new_run = batch.iter().map(|&(_, entry)| entry).peekable();
        // Zeroizing so that even an early return leaves no names in freed memory.
        let mut new_arena = Zeroizing::new(Vec::with_capacity(arena_bound));
        let mut sorted = Vec::with_capacity(count);
        let mut last: Option<Entry> = None;
        loop {
            let entry = match (old_run.peek(), new_run.peek()) {
                (Some(a), Some(b)) if compare_by_slot(arena, a, b) == Ordering::Greater => {
                    new_run.next()
                }
                (Some(_), _) => old_run.next(),
                (None, _) => new_run.next(),
            };
            let Some(entry) = entry else { break };
            let bytes = token(arena, &entry);
            let offset = match last {
                Some(prev) if token(&new_arena, &prev) == bytes => prev.offset,
                _ => {
                    let offset =
                        u32::try_from(new_arena.len()).map_err(|_| VaultError::NameIndexFull)?;
                    new_arena.extend_from_slice(bytes);
                    offset
                }
            };
            let moved = Entry { offset, ..entry };
            sorted.push(moved);
            last = Some(moved);
        }
        drop((old_run, new_run));
        // The heads are name bytes too.
        batch.iter_mut().for_each(|(head, _)| head.zeroize());
        let new_arena = if new_arena.capacity() > new_arena.len() + new_arena.len() / 8 {
            new_arena.to_vec()
        } else {
            std::mem::take(&mut *new_arena)
        };

        self.arena.zeroize();
        self.arena = new_arena;
        self.sorted = sorted;
        self.pending = Vec::new();
        self.live = members.len();
        self.indexed_slots = members.len();
        self.alive = vec![true; members.len()];
        self.members = members;
        self.dead_slots = 0;
        Ok(())
    }

    /// New slot numbers in member-id order (`u32::MAX` for slots that go), and the members.
    fn slots_in_id_order(&self) -> Result<(Vec<u32>, Vec<RecordId>), VaultError> {
        let mut recent: Vec<usize> = (self.indexed_slots..self.members.len())
            .filter(|&slot| self.alive[slot])
            .collect();
        recent.sort_unstable_by_key(|&slot| (self.members[slot], slot));
        let mut recent = recent.into_iter().peekable();
        let mut by_id: Vec<usize> = Vec::with_capacity(self.live);
        for slot in (0..self.indexed_slots).filter(|&slot| self.alive[slot]) {
            while let Some(newer) =
                recent.next_if(|&newer| (self.members[newer], newer) < (self.members[slot], slot))
            {
                by_id.push(newer);
            }
            by_id.push(slot);
        }
        by_id.extend(recent);

        // Equal ids are adjacent, oldest slot first; the newest one stays.
        let mut new_slot_of = vec![u32::MAX; self.members.len()];
        let mut members = Vec::with_capacity(by_id.len());
        for (position, &slot) in by_id.iter().enumerate() {
            let superseded = by_id
                .get(position + 1)
                .is_some_and(|&next| self.members[next] == self.members[slot]);
            if !superseded {
                new_slot_of[slot] =
                    u32::try_from(members.len()).map_err(|_| VaultError::NameIndexFull)?;
                members.push(self.members[slot]);
            }
        }
        Ok((new_slot_of, members))
    }
}

/// The first 8 token bytes as a big-endian number, zero-padded: ordering these agrees with
/// ordering the tokens, except that equal heads need the full comparison.
fn token_head(bytes: &[u8]) -> u64 {
    let mut head = [0u8; 8];
    let used = bytes.len().min(8);
    head[..used].copy_from_slice(&bytes[..used]);
    u64::from_be_bytes(head)
}

/// Valid only where slot order is member-id order (after renumbering).
fn compare_by_slot(arena: &[u8], a: &Entry, b: &Entry) -> Ordering {
    token(arena, a)
        .cmp(token(arena, b))
        .then(a.slot.cmp(&b.slot))
}

impl Default for NameIndex {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for NameIndex {
    fn drop(&mut self) {
        self.arena.zeroize();
    }
}

impl fmt::Debug for NameIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NameIndex")
            .field("members", &self.live)
            .field("entries", &(self.sorted.len() + self.pending.len()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u128) -> RecordId {
        RecordId::from_u128(n)
    }

    fn tokens(words: &[&str]) -> Vec<String> {
        words.iter().map(|word| word.to_string()).collect()
    }

    fn sample() -> NameIndex {
        let mut index = NameIndex::new();
        index
            .bulk_load([
                (id(1), tokens(&["欧阳娜娜"])),
                (id(2), tokens(&["欧阳", "峰"])),
                (id(3), tokens(&["john", "smith"])),
                (id(4), tokens(&["johnny", "john"])),
                (id(5), tokens(&["anna", "annabel"])),
                (id(6), tokens(&["jo", "li"])),
            ])
            .unwrap();
        index
    }

    #[test]
    fn cjk_prefix_finds_the_full_name() {
        let index = sample();
        assert_eq!(index.search_prefix("欧阳", 10), vec![id(2), id(1)]);
        assert_eq!(index.search_prefix("欧阳娜", 10), vec![id(1)]);
        assert_eq!(index.search_prefix("欧", 10), vec![id(2), id(1)]);
        assert!(index.search_prefix("阳", 10).is_empty());
    }

    #[test]
    fn exact_token_matches_come_first_then_token_then_id() {
        let index = sample();
        // "jo" is exact for 6; "john" (3, 4) sorts before "johnny" (4, already listed).
        assert_eq!(index.search_prefix("jo", 10), vec![id(6), id(3), id(4)]);
        assert_eq!(index.search_prefix("john", 10), vec![id(3), id(4)]);
        assert_eq!(index.search_prefix("johnn", 10), vec![id(4)]);
    }

    #[test]
    fn a_member_with_two_matching_tokens_is_returned_once() {
        let index = sample();
        assert_eq!(index.search_prefix("ann", 10), vec![id(5)]);
    }

    #[test]
    fn limit_and_empty_prefix() {
        let index = sample();
        assert_eq!(index.search_prefix("jo", 2), vec![id(6), id(3)]);
        assert!(index.search_prefix("", 10).is_empty());
        assert!(index.search_prefix("jo", 0).is_empty());
        assert!(index.search_prefix("zzz", 10).is_empty());
        assert_eq!(index.len(), 6);
    }

    #[test]
    fn insert_remove_and_replace() {
        let mut index = sample();
        index.insert(id(7), tokens(&["joan"])).unwrap();
        assert_eq!(
            index.search_prefix("jo", 10),
            vec![id(6), id(7), id(3), id(4)]
        );
        assert_eq!(index.len(), 7);

        assert!(index.remove(id(3)));
        assert!(!index.remove(id(3)));
        assert_eq!(index.search_prefix("john", 10), vec![id(4)]);
        assert!(index.search_prefix("smith", 10).is_empty());
        assert_eq!(index.len(), 6);

        index.replace(id(4), tokens(&["zed"])).unwrap();
        assert!(index.search_prefix("john", 10).is_empty());
        assert_eq!(index.search_prefix("ze", 10), vec![id(4)]);
        index.replace(id(7), tokens(&["johanna"])).unwrap();
        assert_eq!(index.search_prefix("jo", 10), vec![id(6), id(7)]);
        assert_eq!(index.len(), 6);

        // A removed member can come back.
        index.insert(id(3), tokens(&["smith"])).unwrap();
        assert_eq!(index.search_prefix("smi", 10), vec![id(3)]);
        assert_eq!(index.len(), 7);
    }

    #[test]
    fn changes_survive_compaction() {
        let mut index = sample();
        index.insert(id(7), tokens(&["joan"])).unwrap();
        index.remove(id(1));
        index.replace(id(2), tokens(&["欧阳锋"])).unwrap();
        index.compact().unwrap();
        assert_eq!(index.search_prefix("欧阳", 10), vec![id(2)]);
        assert_eq!(
            index.search_prefix("jo", 10),
            vec![id(6), id(7), id(3), id(4)]
        );
        assert!(index.remove(id(7)));
        assert_eq!(index.len(), 5);
        assert_eq!(index.members.len(), 6);
    }

    #[test]
    fn bulk_load_keeps_the_last_token_list_of_a_repeated_member() {
        let mut index = sample();
        index
            .bulk_load([
                (id(3), tokens(&["stone"])),
                (id(8), tokens(&["john"])),
                (id(8), tokens(&["johan"])),
            ])
            .unwrap();
        assert_eq!(index.search_prefix("john", 10), vec![id(4)]);
        assert_eq!(index.search_prefix("joha", 10), vec![id(8)]);
        assert_eq!(index.search_prefix("st", 10), vec![id(3)]);
        assert_eq!(index.len(), 7);
    }

    #[test]
    fn members_without_tokens_are_not_indexed() {
        let mut index = NameIndex::new();
        index.insert(id(1), Vec::new()).unwrap();
        index.insert(id(2), tokens(&[""])).unwrap();
        assert!(index.is_empty());
        index.insert(id(3), tokens(&["x", "", "x"])).unwrap();
        assert_eq!(index.len(), 1);
        assert_eq!(index.search_prefix("x", 10), vec![id(3)]);
    }

    #[test]
    fn many_inserts_trigger_compaction_and_stay_correct() {
        let mut index = NameIndex::new();
        let count = COMPACT_MIN as u128 * 2 + 17;
        for n in 0..count {
            index.insert(id(n), vec![format!("name{n:06}")]).unwrap();
        }
        assert!(index.pending.len() < COMPACT_MIN + 1);
        assert!(!index.sorted.is_empty());
        assert_eq!(index.len(), count as usize);
        for n in (0..count).step_by(997) {
            assert_eq!(index.search_prefix(&format!("name{n:06}"), 5), vec![id(n)]);
        }
        for n in (0..count).step_by(2) {
            assert!(index.remove(id(n)));
        }
        assert_eq!(index.len(), count as usize / 2);
        assert_eq!(
            index.search_prefix("name00000", 20),
            vec![id(1), id(3), id(5), id(7), id(9)]
        );
    }

    #[test]
    fn a_snapshot_reads_back_the_same_index_and_damage_is_refused() {
        let mut index = sample();
        index.insert(id(7), tokens(&["joan"])).unwrap();
        index.remove(id(1));
        let mut bytes = Vec::new();
        index.write_snapshot(&mut bytes).unwrap();
        bytes.extend_from_slice(b"tail");
        let (loaded, rest) = NameIndex::read_snapshot(&bytes).unwrap();
        assert_eq!(rest, b"tail");
        assert_eq!(loaded.len(), index.len());
        for prefix in ["jo", "欧", "ann", "smith", "li", "x"] {
            assert_eq!(
                loaded.search_prefix(prefix, 10),
                index.search_prefix(prefix, 10),
                "{prefix}"
            );
        }
        let wanted = [id(4), id(7), id(9)].into_iter().collect();
        let held = loaded.tokens_of(&wanted);
        assert_eq!(held.len(), 2);
        let four: Vec<&[u8]> = held[&id(4)].iter().map(|t| t.as_slice()).collect();
        assert_eq!(four, vec![b"john".as_slice(), b"johnny".as_slice()]);

        let cut = &bytes[..bytes.len() - 20];
        assert!(NameIndex::read_snapshot(cut).is_err());
        let mut other_format = bytes.clone();
        other_format[0] = 9;
        assert!(NameIndex::read_snapshot(&other_format).is_err());
        // An entry pointing past the arena.
        let mut past = bytes.clone();
        let entries_at = bytes.len() - 4 - 12 * loaded.sorted.len();
        past[entries_at..entries_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(NameIndex::read_snapshot(&past).is_err());
    }

    #[test]
    fn debug_prints_only_counts() {
        let index = sample();
        let text = format!("{index:?}");
        assert_eq!(text, "NameIndex { members: 6, entries: 11 }");
        assert!(!text.contains("john"));
    }

    #[test]
    fn equal_tokens_share_arena_bytes_after_compaction() {
        let mut index = NameIndex::new();
        index
            .bulk_load((0..1000).map(|n| (id(n), tokens(&["wang", "wei"]))))
            .unwrap();
        assert_eq!(index.arena.len(), "wang".len() + "wei".len());
        assert_eq!(index.search_prefix("wa", 3), vec![id(0), id(1), id(2)]);
    }

    #[test]
    fn synthetic_200k_member_build_completes() {
        const SURNAMES: [&str; 8] = ["王", "李", "张", "刘", "陈", "欧阳", "smith", "garcia"];
        const GIVEN: [&str; 6] = ["伟", "娜", "芳", "john", "maria", "li"];
        let mut index = NameIndex::new();
        let members = (0..200_000u128).map(|n| {
            let surname = SURNAMES[(n % 8) as usize];
            let given = GIVEN[(n / 8 % 6) as usize];
            let full = format!("{surname}{given}{}", n % 1000);
            (
                id(n),
                vec![full, given.to_string(), format!("{surname}{n}")],
            )
        });
        index.bulk_load(members).unwrap();
        assert_eq!(index.len(), 200_000);
        let hits = index.search_prefix("欧阳", 20);
        assert_eq!(hits.len(), 20);
        assert_eq!(index.search_prefix("smith199998", 5), vec![id(199_998)]);
        assert!(index.approximate_heap_bytes() < 64 * 1024 * 1024);
    }

    /// Pinyin keys (full reading, given name, initials) triple a Chinese name's tokens; this
    /// keeps their memory in view. Measured: see the bound and the printed figures.
    #[test]
    fn pinyin_keys_for_1000_chinese_names_stay_small() {
        use crate::domain::name::search_tokens;
        const SURNAMES: &str = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾";
        const GIVEN: &str = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华玉萍红建文辉鹏宇";
        let surnames: Vec<char> = SURNAMES.chars().collect();
        let given: Vec<char> = GIVEN.chars().collect();
        let names: Vec<String> = (0..1000usize)
            .map(|n| {
                let mut name = String::new();
                if n % 10 == 0 {
                    name.push_str("欧阳");
                } else {
                    name.push(surnames[n * 7 % surnames.len()]);
                }
                name.push(given[n * 13 % given.len()]);
                if n % 3 != 0 {
                    name.push(given[n * 17 / 3 % given.len()]);
                }
                name
            })
            .collect();
        let build = |tokens_of: &dyn Fn(&str) -> Vec<String>| {
            let mut index = NameIndex::new();
            index
                .bulk_load(
                    names
                        .iter()
                        .enumerate()
                        .map(|(n, name)| (id(n as u128), tokens_of(name))),
                )
                .unwrap();
            index
        };
        let characters_only = build(&|name| vec![name.to_owned()]);
        let with_pinyin = build(&|name| search_tokens(name));
        let (before, after) = (
            characters_only.approximate_heap_bytes(),
            with_pinyin.approximate_heap_bytes(),
        );
        eprintln!(
            "name index, 1000 Chinese names: {before} bytes with characters only, {after} bytes \
             with pinyin keys ({} per name)",
            after / 1000
        );
        assert_eq!(with_pinyin.len(), 1000);
        assert_eq!(with_pinyin.search_prefix("\u{1}oy", 200).len(), 100);
        // Four tokens of at most 12 bytes each, plus shared arena bytes: well under what a
        // million members may take (SPEC §10: 200 MB resident in all).
        assert!(after < 1000 * 100, "{after} bytes");
    }

    mod model {
        use super::*;
        use proptest::prelude::*;
        use std::collections::BTreeMap;

        #[derive(Debug, Clone)]
        enum Op {
            Insert(u8, Vec<String>),
            Remove(u8),
            BulkLoad(Vec<(u8, Vec<String>)>),
            Compact,
        }

        fn token_strategy() -> impl Strategy<Value = String> {
            proptest::string::string_regex("[ab张]{0,3}").unwrap()
        }

        fn op_strategy() -> impl Strategy<Value = Op> {
            let tokens = || proptest::collection::vec(token_strategy(), 0..4);
            prop_oneof![
                4 => (0u8..12, tokens()).prop_map(|(member, tokens)| Op::Insert(member, tokens)),
                2 => (0u8..12).prop_map(Op::Remove),
                1 => proptest::collection::vec((0u8..12, tokens()), 0..6).prop_map(Op::BulkLoad),
                1 => Just(Op::Compact),
            ]
        }

        fn apply_to_model(
            model: &mut BTreeMap<RecordId, Vec<String>>,
            member: u8,
            tokens: &[String],
        ) {
            let mut tokens: Vec<String> =
                tokens.iter().filter(|t| !t.is_empty()).cloned().collect();
            tokens.sort();
            tokens.dedup();
            if tokens.is_empty() {
                model.remove(&id(member.into()));
            } else {
                model.insert(id(member.into()), tokens);
            }
        }

        fn expected(
            model: &BTreeMap<RecordId, Vec<String>>,
            prefix: &str,
            limit: usize,
        ) -> Vec<RecordId> {
            if prefix.is_empty() {
                return Vec::new();
            }
            let mut pairs: Vec<(&str, RecordId)> = model
                .iter()
                .flat_map(|(member, tokens)| tokens.iter().map(move |t| (t.as_str(), *member)))
                .filter(|(token, _)| token.starts_with(prefix))
                .collect();
            pairs.sort();
            let mut found = Vec::new();
            for (_, member) in pairs {
                if !found.contains(&member) && found.len() < limit {
                    found.push(member);
                }
            }
            found
        }

        proptest! {
            #[test]
            fn index_matches_a_naive_model(ops in proptest::collection::vec(op_strategy(), 1..40)) {
                let mut index = NameIndex::new();
                let mut model = BTreeMap::new();
                for op in ops {
                    match op {
                        Op::Insert(member, tokens) => {
                            apply_to_model(&mut model, member, &tokens);
                            index.insert(id(member.into()), tokens).unwrap();
                        }
                        Op::Remove(member) => {
                            let was_present = model.remove(&id(member.into())).is_some();
                            prop_assert_eq!(index.remove(id(member.into())), was_present);
                        }
                        Op::BulkLoad(items) => {
                            for (member, tokens) in &items {
                                apply_to_model(&mut model, *member, tokens);
                            }
                            index
                                .bulk_load(items.into_iter().map(|(m, t)| (id(m.into()), t)))
                                .unwrap();
                        }
                        Op::Compact => index.compact().unwrap(),
                    }
                    prop_assert_eq!(index.len(), model.len());
                    for prefix in ["a", "b", "ab", "张", "张a", "aa", "bab"] {
                        for limit in [1, 3, 100] {
                            prop_assert_eq!(index.search_prefix(prefix, limit), expected(&model, prefix, limit), "prefix {}", prefix);
                        }
                    }
                }
            }
        }
    }
}
