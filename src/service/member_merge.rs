//! Two member records of the same person folded into one (SPEC section 8, correction). The
//! manager picks each profile field; the survivor gets the other's vehicles, visits, points
//! ledger (lots keep their expiry dates), bookings, plans, packages, sales and consents, all in
//! one write transaction; the other becomes a tombstone pointing at the survivor.

use std::collections::HashMap;

use zeroize::Zeroizing;

use super::members::{CleanMember, VEHICLES_TABLE, context, plate_tail_token, replace_tokens};
use super::views::{BirthdayView, Masker, OpenedMember, ShownText};
use super::{Service, ServiceError, Session};
use crate::audit::AuditAction;
use crate::domain::access::Operation;
use crate::domain::loyalty::LedgerEntry;
use crate::domain::member_merge::{
    ProfileChoice, ProfileField, Side, interleave_by_time, latest, merge_ledgers, merge_spend,
};
use crate::domain::plans::{Package, Plan};
use crate::ids::RecordId;
use crate::store::records::{
    BookingRecord, MemberRecord, MemberStats, MemberTombstone, SaleRecord, TombstoneReason,
    VehicleRecord, VisitRecord,
};
use crate::store::schema::{
    BOOKINGS, MEMBER_BOOKINGS, MEMBER_PACKAGES, MEMBER_PLANS, MEMBER_STATS, MEMBER_VISITS,
    PACKAGES, PLANS, SALES, VEHICLE_VISITS, VISITS,
};
use crate::store::{ReadAccess, StoreWriter};
use crate::vault::{MemberKey, UnlockedVault, seal_field};

/// One of the two records as the manager compares them (a manager sees fields in full).
#[derive(Debug, Clone)]
pub struct MergeSide {
    pub member: RecordId,
    pub member_number: u64,
    pub name: ShownText,
    pub phone: Option<ShownText>,
    pub email: Option<ShownText>,
    pub birthday: Option<BirthdayView>,
    pub notes: Option<ShownText>,
    pub vehicles: usize,
    pub visits: usize,
    pub bookings: usize,
    pub plans: usize,
    pub packages: usize,
    pub points: i64,
}

impl MergeSide {
    pub fn has(&self, field: ProfileField) -> bool {
        match field {
            ProfileField::Name => true,
            ProfileField::Phone => self.phone.is_some(),
            ProfileField::Email => self.email.is_some(),
            ProfileField::Birthday => self.birthday.is_some(),
            ProfileField::Notes => self.notes.is_some(),
        }
    }
}

/// Both records side by side, with a first pick: the kept record's fields, its gaps filled
/// from the other.
#[derive(Debug, Clone)]
pub struct MergePreview {
    pub kept: MergeSide,
    pub absorbed: MergeSide,
    pub suggested: ProfileChoice,
}

/// What a merge did, for the screen and the command line: numbers and counts, no values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeReceipt {
    pub kept: RecordId,
    pub kept_number: u64,
    pub absorbed_number: u64,
    pub fields_from_absorbed: Vec<ProfileField>,
    pub vehicles_moved: usize,
    /// Vehicles both records had (same plate): the absorbed one's history joined the kept one.
    pub vehicles_joined: usize,
    pub visits: usize,
    pub ledger_entries: usize,
    pub bookings: usize,
    pub plans: usize,
    pub packages: usize,
    pub sales: usize,
    pub consents: usize,
    pub points_balance: i64,
}

/// A record and its opened fields, read inside the merge's own transaction.
struct Opened {
    record: MemberRecord,
    key: MemberKey,
    fields: OpenedMember,
}

impl Service {
    /// Whether this session may merge members at all (a manager). A refusal by role is
    /// audited, as the merge's own would be.
    pub fn check_member_merge(&self, session: &Session) -> Result<(), ServiceError> {
        self.authorize(session, Operation::PreviewMemberMerge)
            .map(drop)
    }

    /// Both records side by side for a manager deciding how to merge them. Opening two
    /// records is audited like opening each.
    pub fn merge_preview(
        &self,
        session: &Session,
        kept: RecordId,
        absorbed: RecordId,
    ) -> Result<MergePreview, ServiceError> {
        let caller = self.authorize(session, Operation::PreviewMemberMerge)?;
        check_two(kept, absorbed)?;
        let vault = self.unlocked_vault()?;
        let reader = self.store.read()?;
        let masker = Masker::for_role(caller.role);
        let today = self.today();
        let side = |id: RecordId| -> Result<MergeSide, ServiceError> {
            let record = live_member(&reader, id)?;
            let (_, opened) = Self::open_member_fields(&vault, &record)?;
            let stats: MemberStats = reader
                .get(MEMBER_STATS, id, "member stats")?
                .unwrap_or_default();
            Ok(MergeSide {
                member: id,
                member_number: record.member_number,
                name: masker.name(&opened.name),
                phone: opened.phone.as_ref().map(|p| masker.phone(p)),
                email: opened.email.as_deref().map(|e| masker.email(e)),
                birthday: opened.birthday.map(|b| masker.birthday(b, today)),
                notes: opened.notes.as_deref().map(|n| masker.notes(n)),
                vehicles: reader.vehicles_of(id)?.len(),
                visits: reader.linked_ids(MEMBER_VISITS, id)?.len(),
                bookings: reader.linked_ids(MEMBER_BOOKINGS, id)?.len(),
                plans: reader.linked_ids(MEMBER_PLANS, id)?.len(),
                packages: reader.linked_ids(MEMBER_PACKAGES, id)?.len(),
                points: stats.points_balance,
            })
        };
        let kept_side = side(kept)?;
        let absorbed_side = side(absorbed)?;
        drop(reader);
        let mut draft = caller.draft(AuditAction::MemberOpened);
        draft.objects = vec![
            kept.to_string(),
            absorbed.to_string(),
            format!("member:{}", kept_side.member_number),
            format!("member:{}", absorbed_side.member_number),
        ];
        draft.detail = Some("merge preview".to_owned());
        self.audit_alone(draft)?;
        let suggested = ProfileChoice::fill_gaps(
            |field| kept_side.has(field),
            |field| absorbed_side.has(field),
        );
        Ok(MergePreview {
            kept: kept_side,
            absorbed: absorbed_side,
            suggested,
        })
    }

    /// Folds `absorbed` into `kept` (a manager, after a fresh code): the profile as `choice`
    /// picks it, and everything the absorbed record owned. Balances still equal ledgers; the
    /// absorbed number leads to the survivor from now on.
    pub fn merge_members(
        &self,
        session: &Session,
        kept: RecordId,
        absorbed: RecordId,
        choice: ProfileChoice,
    ) -> Result<MergeReceipt, ServiceError> {
        let caller = self.authorize(session, Operation::MergeMembers)?;
        check_two(kept, absorbed)?;
        let vault = self.unlocked_vault()?;
        let now = self.clock.now();
        let mut draft = caller.draft(AuditAction::MemberMerged);
        draft.objects = vec![kept.to_string(), absorbed.to_string()];
        draft.fields = choice
            .taken_from_absorbed()
            .iter()
            .map(|field| field.as_str().to_owned())
            .collect();
        let (receipt, name) = self.write_audited(
            |writer, draft| {
                let kept = self.open_in(writer, &vault, kept)?;
                let absorbed = self.open_in(writer, &vault, absorbed)?;
                draft.objects.push(format!("member:{}", kept.record.member_number));
                draft
                    .objects
                    .push(format!("member:{}", absorbed.record.member_number));
                let merged = self.fold(writer, &vault, kept, absorbed, choice, now)?;
                draft.detail = Some(format!(
                    "vehicles moved {}, joined {}; visits {}; ledger entries {}; bookings {}; plans {}; packages {}; sales {}; consents {}",
                    merged.0.vehicles_moved,
                    merged.0.vehicles_joined,
                    merged.0.visits,
                    merged.0.ledger_entries,
                    merged.0.bookings,
                    merged.0.plans,
                    merged.0.packages,
                    merged.0.sales,
                    merged.0.consents
                ));
                Ok(merged)
            },
            draft,
        )?;
        self.names.set(kept, &name);
        self.names.remove(absorbed);
        self.names_changed();
        Ok(receipt)
    }

    fn open_in(
        &self,
        writer: &StoreWriter,
        vault: &UnlockedVault,
        id: RecordId,
    ) -> Result<Opened, ServiceError> {
        let record = live_member(writer, id)?;
        let (key, fields) = Self::open_member_fields(vault, &record)?;
        Ok(Opened {
            record,
            key,
            fields,
        })
    }

    /// The merge itself, inside the caller's write transaction. Returns the receipt and the
    /// survivor's name for the in-memory name index.
    fn fold(
        &self,
        writer: &mut StoreWriter,
        vault: &UnlockedVault,
        kept: Opened,
        absorbed: Opened,
        choice: ProfileChoice,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(MergeReceipt, Zeroizing<String>), ServiceError> {
        let kept_id = kept.record.id;
        let absorbed_id = absorbed.record.id;
        let pick = |field: ProfileField| choice.side(field);
        let clean = CleanMember {
            name: Zeroizing::new(match pick(ProfileField::Name) {
                Side::Kept => kept.fields.name.clone(),
                Side::Absorbed => absorbed.fields.name.clone(),
            }),
            phone: match pick(ProfileField::Phone) {
                Side::Kept => kept.fields.phone.clone(),
                Side::Absorbed => absorbed.fields.phone.clone(),
            },
            email: match pick(ProfileField::Email) {
                Side::Kept => kept.fields.email.clone(),
                Side::Absorbed => absorbed.fields.email.clone(),
            }
            .map(Zeroizing::new),
            birthday: match pick(ProfileField::Birthday) {
                Side::Kept => kept.fields.birthday,
                Side::Absorbed => absorbed.fields.birthday,
            },
            notes: match pick(ProfileField::Notes) {
                Side::Kept => kept.fields.notes.clone(),
                Side::Absorbed => absorbed.fields.notes.clone(),
            }
            .map(Zeroizing::new),
        };

        // The survivor's profile, sealed afresh under its own key, and its search tokens.
        let mut survivor = kept.record.clone();
        let sealed = self.seal_member(&kept.key, kept_id, &clean)?;
        survivor.name = sealed.name;
        survivor.phone = sealed.phone;
        survivor.email = sealed.email;
        survivor.birthday = sealed.birthday;
        survivor.notes = sealed.notes;
        survivor.created_at = survivor.created_at.min(absorbed.record.created_at);
        survivor.updated_at = now;
        let tokens = Self::member_tokens(vault, survivor.member_number, &clean);
        replace_tokens(writer, kept_id, &kept.record.index_tokens, &tokens)?;
        survivor.index_tokens = tokens;
        for token in &absorbed.record.index_tokens {
            writer.remove_index_token(token, absorbed_id)?;
        }

        let (vehicles_moved, joined) = self.move_vehicles(writer, vault, &kept, &absorbed)?;
        let vehicles_joined = joined.len();
        let rename_vehicle =
            |vehicle: Option<RecordId>| vehicle.map(|id| joined.get(&id).copied().unwrap_or(id));

        let visit_ids = writer.move_links(MEMBER_VISITS, absorbed_id, kept_id)?;
        for id in &visit_ids {
            if let Some(mut visit) = writer.get::<VisitRecord>(VISITS, *id, "visit")? {
                visit.member = Some(kept_id);
                visit.vehicle = rename_vehicle(visit.vehicle);
                writer.put(VISITS, *id, &visit)?;
            }
        }
        let booking_ids = writer.move_links(MEMBER_BOOKINGS, absorbed_id, kept_id)?;
        for id in &booking_ids {
            if let Some(mut booking) = writer.get::<BookingRecord>(BOOKINGS, *id, "booking")? {
                booking.member = Some(kept_id);
                booking.vehicle = rename_vehicle(booking.vehicle);
                writer.put(BOOKINGS, *id, &booking)?;
            }
        }
        let plan_ids = writer.move_links(MEMBER_PLANS, absorbed_id, kept_id)?;
        for id in &plan_ids {
            if let Some(mut plan) = writer.get::<Plan>(PLANS, *id, "plan")? {
                plan.member = kept_id;
                plan.vehicle = rename_vehicle(Some(plan.vehicle)).unwrap_or(plan.vehicle);
                writer.put(PLANS, *id, &plan)?;
            }
        }
        let package_ids = writer.move_links(MEMBER_PACKAGES, absorbed_id, kept_id)?;
        for id in &package_ids {
            if let Some(mut package) = writer.get::<Package>(PACKAGES, *id, "package")? {
                package.member = kept_id;
                writer.put(PACKAGES, *id, &package)?;
            }
        }
        // Sales have no per-member index: a merge is rare, a scan of the sales is fine.
        let mut sales: Vec<SaleRecord> = Vec::new();
        writer.scan_by_id(SALES, &mut |_, bytes| {
            let sale: SaleRecord = crate::store::decode_record("sale", bytes)?;
            if sale.member == absorbed_id {
                sales.push(sale);
            }
            Ok(())
        })?;
        for sale in &mut sales {
            sale.member = kept_id;
            writer.put(SALES, sale.id, sale)?;
        }

        let kept_ledger: Vec<LedgerEntry> = writer.ledger(kept_id)?;
        let absorbed_ledger: Vec<LedgerEntry> = writer.ledger(absorbed_id)?;
        let ledger_entries = absorbed_ledger.len();
        let (ledger, wallet) =
            merge_ledgers(kept_id, kept_ledger, absorbed_ledger).map_err(|err| {
                ServiceError::invalid(format!("the points ledgers cannot be merged: {err}"))
            })?;
        writer.replace_ledger(kept_id, &ledger)?;
        writer.replace_ledger::<LedgerEntry>(absorbed_id, &[])?;

        let absorbed_consents = writer.consents(absorbed_id)?;
        let consents = absorbed_consents.len();
        let history = interleave_by_time(writer.consents(kept_id)?, absorbed_consents, |c| c.at);
        writer.replace_consents(kept_id, &history)?;
        writer.delete_consents(absorbed_id)?;

        let kept_stats: MemberStats = writer
            .get(MEMBER_STATS, kept_id, "member stats")?
            .unwrap_or_default();
        let absorbed_stats: MemberStats = writer
            .get(MEMBER_STATS, absorbed_id, "member stats")?
            .unwrap_or_default();
        let stats = MemberStats {
            visits: kept_stats.visits.saturating_add(absorbed_stats.visits),
            last_visit_at: latest(kept_stats.last_visit_at, absorbed_stats.last_visit_at),
            spend: merge_spend(&kept_stats.spend, &absorbed_stats.spend),
            points_balance: wallet.balance(),
        };
        writer.put(MEMBER_STATS, kept_id, &stats)?;
        writer.delete(MEMBER_STATS, absorbed_id)?;

        writer.put_member(&survivor)?;
        writer.delete_member(absorbed_id)?;
        writer.put_member_tombstone(&MemberTombstone {
            id: absorbed_id,
            member_number: absorbed.record.member_number,
            reason: TombstoneReason::MergedInto { survivor: kept_id },
            at: now,
            member_since: absorbed.record.created_at,
        })?;

        Ok((
            MergeReceipt {
                kept: kept_id,
                kept_number: survivor.member_number,
                absorbed_number: absorbed.record.member_number,
                fields_from_absorbed: choice.taken_from_absorbed(),
                vehicles_moved,
                vehicles_joined,
                visits: visit_ids.len(),
                ledger_entries,
                bookings: booking_ids.len(),
                plans: plan_ids.len(),
                packages: package_ids.len(),
                sales: sales.len(),
                consents,
                points_balance: stats.points_balance,
            },
            clean.name.clone(),
        ))
    }

    /// The absorbed record's vehicles become the survivor's, plates re-sealed under the
    /// survivor's key. A vehicle both records have (same plate) is kept once: the absorbed
    /// copy's visits join the survivor's and the copy is removed. Returns how many moved and
    /// the joined ones (absorbed vehicle → kept vehicle).
    fn move_vehicles(
        &self,
        writer: &mut StoreWriter,
        vault: &UnlockedVault,
        kept: &Opened,
        absorbed: &Opened,
    ) -> Result<(usize, HashMap<RecordId, RecordId>), ServiceError> {
        let kept_id = kept.record.id;
        let absorbed_id = absorbed.record.id;
        let kept_by_plate: HashMap<[u8; 32], RecordId> = writer
            .vehicles_of(kept_id)?
            .into_iter()
            .map(|vehicle| (vehicle.plate_token, vehicle.id))
            .collect();
        let mut moved = 0;
        let mut joined = HashMap::new();
        for vehicle in writer.vehicles_of(absorbed_id)? {
            let plate = Self::open_plate(&absorbed.key, &vehicle)?;
            let tail = plate_tail_token(vault, &plate);
            writer.remove_index_token(&vehicle.plate_token, absorbed_id)?;
            if let Some(tail) = &tail {
                writer.remove_index_token(tail, absorbed_id)?;
            }
            if let Some(&same) = kept_by_plate.get(&vehicle.plate_token) {
                writer.move_links(VEHICLE_VISITS, vehicle.id, same)?;
                writer.delete_vehicle(&vehicle)?;
                joined.insert(vehicle.id, same);
                continue;
            }
            writer.delete_vehicle(&vehicle)?;
            let resealed = VehicleRecord {
                member_id: kept_id,
                plate: seal_field(
                    &kept.key,
                    context(VEHICLES_TABLE, "plate", vehicle.id),
                    plate.as_bytes(),
                    self.entropy.as_ref(),
                )?,
                ..vehicle
            };
            writer.add_index_token(&resealed.plate_token, kept_id)?;
            if let Some(tail) = tail {
                writer.add_index_token(&tail, kept_id)?;
            }
            writer.put_vehicle(&resealed)?;
            moved += 1;
        }
        Ok((moved, joined))
    }
}

fn check_two(kept: RecordId, absorbed: RecordId) -> Result<(), ServiceError> {
    if kept == absorbed {
        return Err(ServiceError::invalid(
            "a member cannot be merged into themselves; choose the other record of the same person",
        ));
    }
    Ok(())
}

/// A live member's record, or why there is none (a tombstone names what became of it).
fn live_member(reader: &impl ReadAccess, id: RecordId) -> Result<MemberRecord, ServiceError> {
    if let Some(record) = reader.member(id)? {
        return Ok(record);
    }
    match reader.member_tombstone(id)? {
        Some(tombstone) => Err(ServiceError::invalid(super::tombstones::gone_sentence(
            &super::tombstones::tombstone_view(reader, &tombstone)?,
        ))),
        None => Err(ServiceError::NotFound("member")),
    }
}
