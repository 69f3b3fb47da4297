//! What the Today board and the booking dialogs need to say who a booking is for: member
//! number, name and plate, masked for the caller's role. These are the same fields a member
//! search returns, so like a search they are authorised but not audited per call; opening a
//! whole member record stays the audited `open_member`.

use std::collections::HashMap;

use zeroize::Zeroizing;

use super::members::{MEMBERS_TABLE, VEHICLES_TABLE};
use super::tombstones::{GoneReason, tombstone_view};
use super::views::{Masker, ShownText};
use super::{BookingView, Service, ServiceError, Session};
use crate::domain::access::Operation;
use crate::domain::vehicle::VehicleKind;
use crate::ids::RecordId;
use crate::store::ReadAccess;
use crate::store::records::{MemberRecord, VehicleRecord};
use crate::vault::{FieldContext, MemberKey, UnlockedVault, open_field_string};

/// Who a booking is for, as one board cell can show it.
#[derive(Debug, Clone)]
pub struct BookingLabel {
    pub booking: RecordId,
    /// `None` for a guest (no member on the booking).
    pub customer: Option<CustomerLabel>,
    /// The booked vehicle's plate, masked for the role.
    pub plate: Option<ShownText>,
}

#[derive(Debug, Clone)]
pub struct CustomerLabel {
    pub member: RecordId,
    pub member_number: u64,
    /// `None` when the member's data can no longer be read (their key was destroyed).
    pub name: Option<ShownText>,
    /// Whether the name and plate were masked for the caller's role.
    pub masked: bool,
    /// Set when the member is gone (erased, anonymised, merged): shown instead of a name.
    pub gone: Option<GoneReason>,
}

/// A vehicle to choose for a booking.
#[derive(Debug, Clone)]
pub struct VehicleChoice {
    pub id: RecordId,
    pub plate: ShownText,
    pub kind: VehicleKind,
}

/// A member as the booking dialogs show them: number, name and vehicles.
#[derive(Debug, Clone)]
pub struct MemberCard {
    pub label: CustomerLabel,
    pub vehicles: Vec<VehicleChoice>,
}

fn field(table: &'static str, field: &'static str, record: RecordId) -> FieldContext<'static> {
    FieldContext {
        table,
        field,
        record,
    }
}

/// Members' keys unwrapped once per call, however many of their bookings are on the board.
struct KeyCache<'a> {
    vault: &'a UnlockedVault,
    keys: HashMap<RecordId, Option<MemberKey>>,
}

impl KeyCache<'_> {
    /// `None` when the key cannot be unwrapped (an erased member): the label shows the number
    /// only rather than failing the whole board.
    fn key(&mut self, record: &MemberRecord) -> Option<&MemberKey> {
        self.keys
            .entry(record.id)
            .or_insert_with(|| {
                self.vault
                    .unwrap_member_key(&record.wrapped_key, record.id)
                    .ok()
            })
            .as_ref()
    }
}

fn open_name(key: &MemberKey, record: &MemberRecord) -> Option<Zeroizing<String>> {
    open_field_string(key, field(MEMBERS_TABLE, "name", record.id), &record.name).ok()
}

fn open_plate(key: &MemberKey, vehicle: &VehicleRecord) -> Option<Zeroizing<String>> {
    open_field_string(
        key,
        field(VEHICLES_TABLE, "plate", vehicle.id),
        &vehicle.plate,
    )
    .ok()
}

impl Service {
    /// Labels for board cells, one per booking in the same order.
    pub fn booking_labels(
        &self,
        session: &Session,
        bookings: &[BookingView],
    ) -> Result<Vec<BookingLabel>, ServiceError> {
        let caller = self.authorize(session, Operation::SearchMembers)?;
        let vault = self.unlocked_vault()?;
        let masker = Masker::for_role(caller.role);
        let masked = !caller.role.sees_full_personal_data();
        let reader = self.store.read()?;
        let mut keys = KeyCache {
            vault: &vault,
            keys: HashMap::new(),
        };
        let mut members: HashMap<RecordId, Option<MemberRecord>> = HashMap::new();
        let mut labels = Vec::with_capacity(bookings.len());
        for booking in bookings {
            let mut label = BookingLabel {
                booking: booking.id,
                customer: None,
                plate: None,
            };
            let Some(member_id) = booking.member else {
                labels.push(label);
                continue;
            };
            if let std::collections::hash_map::Entry::Vacant(slot) = members.entry(member_id) {
                slot.insert(reader.member(member_id)?);
            }
            let Some(Some(record)) = members.get(&member_id) else {
                if let Some(tombstone) = reader.member_tombstone(member_id)? {
                    let gone = tombstone_view(&reader, &tombstone)?;
                    label.customer = Some(CustomerLabel {
                        member: member_id,
                        member_number: gone.member_number,
                        name: None,
                        masked,
                        gone: Some(gone.reason),
                    });
                }
                labels.push(label);
                continue;
            };
            let key = keys.key(record);
            let name = key
                .and_then(|key| open_name(key, record))
                .map(|name| masker.name(&name));
            if let (Some(key), Some(vehicle_id)) = (key, booking.vehicle)
                && let Some(vehicle) = reader.vehicle(vehicle_id)?
                && vehicle.member_id == member_id
            {
                label.plate = open_plate(key, &vehicle).map(|plate| masker.plate(&plate));
            }
            label.customer = Some(CustomerLabel {
                member: member_id,
                member_number: record.member_number,
                name,
                masked,
                gone: None,
            });
            labels.push(label);
        }
        Ok(labels)
    }

    /// A member's number, name and vehicles for the booking dialogs, masked for the role.
    pub fn member_card(
        &self,
        session: &Session,
        member: RecordId,
    ) -> Result<MemberCard, ServiceError> {
        let caller = self.authorize(session, Operation::SearchMembers)?;
        let vault = self.unlocked_vault()?;
        let masker = Masker::for_role(caller.role);
        let reader = self.store.read()?;
        let Some(record) = reader.member(member)? else {
            let tombstone = reader
                .member_tombstone(member)?
                .ok_or(ServiceError::NotFound("member"))?;
            let gone = tombstone_view(&reader, &tombstone)?;
            return Ok(MemberCard {
                label: CustomerLabel {
                    member,
                    member_number: gone.member_number,
                    name: None,
                    masked: !caller.role.sees_full_personal_data(),
                    gone: Some(gone.reason),
                },
                vehicles: Vec::new(),
            });
        };
        let key = vault.unwrap_member_key(&record.wrapped_key, member).ok();
        let name = key
            .as_ref()
            .and_then(|key| open_name(key, &record))
            .map(|name| masker.name(&name));
        let mut vehicles = Vec::new();
        if let Some(key) = &key {
            for vehicle in reader.vehicles_of(member)? {
                if let Some(plate) = open_plate(key, &vehicle) {
                    vehicles.push(VehicleChoice {
                        id: vehicle.id,
                        plate: masker.plate(&plate),
                        kind: vehicle.kind,
                    });
                }
            }
        }
        Ok(MemberCard {
            label: CustomerLabel {
                member,
                member_number: record.member_number,
                name,
                masked: !caller.role.sees_full_personal_data(),
                gone: None,
            },
            vehicles,
        })
    }
}
