//! Members and their vehicles: create, change, open and search, with every personal field
//! sealed under the member's own key and indexed only through keyed blind tokens.

use chrono::NaiveDate;
use zeroize::Zeroizing;

use super::duplicates::{Claimed, OnDuplicate};
use super::views::{
    Masker, MemberDetail, MemberFields, MemberSummary, OpenedMember, SearchResults, VehicleView,
};
use super::{Caller, Service, ServiceError};
use crate::audit::AuditAction;
use crate::domain::access::Operation;
use crate::domain::email::normalize_email;
use crate::domain::masking::name_query_within_mask;
use crate::domain::name::{
    MANAGER_ONLY_MARK, fold_query, normalize_name, pinyin_query_within_mask,
};
use crate::domain::phone::Phone;
use crate::domain::plate::{normalize_plate, plate_without_province};
use crate::domain::sanitize::{sanitize_line, sanitize_multiline};
use crate::domain::vehicle::VehicleKind;
use crate::ids::RecordId;
use crate::store::records::{MemberRecord, VehicleRecord};
use crate::store::schema::{META, META_PLATE_TAILS, VEHICLES};
use crate::store::{ReadAccess, Store, StoreWriter, decode_record};
use crate::vault::{
    BlindIndexKind, FieldContext, MemberKey, Sealed, UnlockedVault, open_field_string, seal_field,
};

pub(super) const MEMBERS_TABLE: &str = "members";
pub(super) const VEHICLES_TABLE: &str = "vehicles";
/// Enough rows for a screen of results; a longer list means the query should be narrower.
const SEARCH_LIMIT: usize = 50;
const MAX_NOTES_CHARS: usize = crate::domain::member_import::NOTES_MAX_CHARS;
const MAX_DESCRIPTION_CHARS: usize = 40;

/// What the desk collects about a new member. Nothing else: no address, no ID numbers.
#[derive(Clone, Default)]
pub struct MemberInput {
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub notes: Option<String>,
}

impl std::fmt::Debug for MemberInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MemberInput(..)")
    }
}

/// One field of an update: leave it, set it, or remove it.
#[derive(Clone, Default, PartialEq, Eq)]
pub enum Change<T> {
    #[default]
    Keep,
    Set(T),
    Clear,
}

impl<T> std::fmt::Debug for Change<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Change::Keep => "Keep",
            Change::Set(_) => "Set(..)",
            Change::Clear => "Clear",
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct MemberUpdate {
    pub name: Option<String>,
    pub phone: Change<String>,
    pub email: Change<String>,
    pub birthday: Change<NaiveDate>,
    pub notes: Change<String>,
}

#[derive(Clone)]
pub struct VehicleInput {
    pub plate: String,
    pub kind: VehicleKind,
    pub make_model: Option<String>,
    pub colour: Option<String>,
}

impl std::fmt::Debug for VehicleInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VehicleInput")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

/// A new member as the registration form sends it: the member, their first vehicle if one was
/// typed (saved in the same transaction, so a refused plate leaves no member behind), and what
/// to do when a phone, email or plate is already on another member.
#[derive(Debug, Clone, Default)]
pub struct NewMember {
    pub member: MemberInput,
    pub vehicle: Option<VehicleInput>,
    pub on_duplicate: OnDuplicate,
}

/// Member fields after validation, ready to seal.
pub(super) struct CleanMember {
    pub name: Zeroizing<String>,
    pub phone: Option<Phone>,
    pub email: Option<Zeroizing<String>>,
    pub birthday: Option<NaiveDate>,
    pub notes: Option<Zeroizing<String>>,
}

pub(super) struct SealedMember {
    pub name: Sealed,
    pub phone: Option<Sealed>,
    pub email: Option<Sealed>,
    pub birthday: Option<Sealed>,
    pub notes: Option<Sealed>,
}

/// Applies one field of an update to the cleaned value; says whether it changed anything.
fn apply_change<T, V>(
    change: &Change<T>,
    slot: &mut Option<V>,
    clean: impl FnOnce(&T) -> Result<Option<V>, ServiceError>,
) -> Result<bool, ServiceError> {
    match change {
        Change::Keep => Ok(false),
        Change::Set(value) => {
            *slot = clean(value)?;
            Ok(true)
        }
        Change::Clear => {
            *slot = None;
            Ok(true)
        }
    }
}

/// Appends the ids not already in `found`, keeping the order in which they were found.
fn add_new(found: &mut Vec<RecordId>, ids: Vec<RecordId>) {
    for id in ids {
        if !found.contains(&id) {
            found.push(id);
        }
    }
}

fn invalid(err: impl std::fmt::Display) -> ServiceError {
    ServiceError::invalid(err.to_string())
}

fn clean_phone(text: &str) -> Result<Option<Phone>, ServiceError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    Phone::parse(text).map(Some).map_err(invalid)
}

fn clean_email(text: &str) -> Result<Option<Zeroizing<String>>, ServiceError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    normalize_email(text)
        .map(|e| Some(Zeroizing::new(e)))
        .map_err(invalid)
}

fn clean_notes(text: &str) -> Result<Option<Zeroizing<String>>, ServiceError> {
    let notes = sanitize_multiline(text);
    if notes.is_empty() {
        return Ok(None);
    }
    if notes.chars().count() > MAX_NOTES_CHARS {
        return Err(ServiceError::invalid(format!(
            "notes: keep notes under {MAX_NOTES_CHARS} characters"
        )));
    }
    Ok(Some(Zeroizing::new(notes)))
}

fn clean_birthday(date: NaiveDate, today: NaiveDate) -> Result<NaiveDate, ServiceError> {
    if date > today {
        return Err(ServiceError::invalid(
            "birthday: the date is in the future; check the year",
        ));
    }
    Ok(date)
}

fn clean_description(field: &str, text: Option<&str>) -> Result<Option<String>, ServiceError> {
    let Some(text) = text else { return Ok(None) };
    let clean = sanitize_line(text);
    if clean.is_empty() {
        return Ok(None);
    }
    if clean.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(ServiceError::invalid(format!(
            "{field}: keep it under {MAX_DESCRIPTION_CHARS} characters"
        )));
    }
    Ok(Some(clean))
}

pub(super) fn context(
    table: &'static str,
    field: &'static str,
    record: RecordId,
) -> FieldContext<'static> {
    FieldContext {
        table,
        field,
        record,
    }
}

impl Service {
    fn seal_member_field(
        &self,
        key: &MemberKey,
        field: &'static str,
        member: RecordId,
        plaintext: &str,
    ) -> Result<Sealed, ServiceError> {
        Ok(seal_field(
            key,
            context(MEMBERS_TABLE, field, member),
            plaintext.as_bytes(),
            self.entropy.as_ref(),
        )?)
    }

    fn seal_optional(
        &self,
        key: &MemberKey,
        field: &'static str,
        member: RecordId,
        plaintext: Option<&str>,
    ) -> Result<Option<Sealed>, ServiceError> {
        plaintext
            .map(|text| self.seal_member_field(key, field, member, text))
            .transpose()
    }

    /// Seals every personal field of a member under its key.
    pub(super) fn seal_member(
        &self,
        key: &MemberKey,
        member: RecordId,
        clean: &CleanMember,
    ) -> Result<SealedMember, ServiceError> {
        let phone = clean.phone.as_ref().map(|p| p.to_storage_string());
        let birthday = clean.birthday.map(|d| d.format("%Y-%m-%d").to_string());
        Ok(SealedMember {
            name: self.seal_member_field(key, "name", member, &clean.name)?,
            phone: self.seal_optional(key, "phone", member, phone.as_deref())?,
            email: self.seal_optional(
                key,
                "email",
                member,
                clean.email.as_deref().map(|s| s.as_str()),
            )?,
            birthday: self.seal_optional(key, "birthday", member, birthday.as_deref())?,
            notes: self.seal_optional(
                key,
                "notes",
                member,
                clean.notes.as_deref().map(|s| s.as_str()),
            )?,
        })
    }

    /// The blind tokens a member's own fields contribute to the index.
    pub(super) fn member_tokens(
        vault: &UnlockedVault,
        member_number: u64,
        clean: &CleanMember,
    ) -> Vec<[u8; 32]> {
        member_index_tokens(
            vault,
            member_number,
            clean.phone.as_ref(),
            clean.email.as_deref().map(|e| e.as_str()),
        )
    }

    pub(super) fn open_member_fields(
        vault: &UnlockedVault,
        record: &MemberRecord,
    ) -> Result<(MemberKey, OpenedMember), ServiceError> {
        Self::open_member_fields_for(vault, record, MemberFields::All)
    }

    /// Opens only the sealed fields a use needs: each is an AEAD decryption, and a search
    /// result row shows name, phone and birthday month, never email or notes.
    pub(super) fn open_member_fields_for(
        vault: &UnlockedVault,
        record: &MemberRecord,
        wanted: MemberFields,
    ) -> Result<(MemberKey, OpenedMember), ServiceError> {
        let all = wanted == MemberFields::All;
        let key = vault.unwrap_member_key(&record.wrapped_key, record.id)?;
        let open =
            |field: &'static str, sealed: &Sealed| -> Result<Zeroizing<String>, ServiceError> {
                Ok(open_field_string(
                    &key,
                    context(MEMBERS_TABLE, field, record.id),
                    sealed,
                )?)
            };
        let name = open("name", &record.name)?.to_string();
        let phone = match &record.phone {
            Some(sealed) => Some(Phone::from_storage_string(&open("phone", sealed)?).map_err(
                |_| {
                    ServiceError::invalid(
                        "a stored phone number is unreadable; edit the member to re-enter it",
                    )
                },
            )?),
            None => None,
        };
        let email = record
            .email
            .as_ref()
            .filter(|_| all)
            .map(|sealed| open("email", sealed).map(|text| text.to_string()))
            .transpose()?;
        let birthday = match &record.birthday {
            Some(sealed) => NaiveDate::parse_from_str(&open("birthday", sealed)?, "%Y-%m-%d").ok(),
            None => None,
        };
        let notes = record
            .notes
            .as_ref()
            .filter(|_| all)
            .map(|sealed| open("notes", sealed).map(|text| text.to_string()))
            .transpose()?;
        Ok((
            key,
            OpenedMember {
                name,
                phone,
                email,
                birthday,
                notes,
            },
        ))
    }

    pub(super) fn open_plate(
        key: &MemberKey,
        vehicle: &VehicleRecord,
    ) -> Result<Zeroizing<String>, ServiceError> {
        Ok(open_field_string(
            key,
            context(VEHICLES_TABLE, "plate", vehicle.id),
            &vehicle.plate,
        )?)
    }

    pub(super) fn today(&self) -> NaiveDate {
        let settings_zone = self
            .settings()
            .ok()
            .and_then(|settings| settings.timezone.parse::<chrono_tz::Tz>().ok());
        match settings_zone {
            Some(zone) => self.clock.now().with_timezone(&zone).date_naive(),
            None => self.clock.now().date_naive(),
        }
    }

    /// Registers a new member. Both roles may; the audit entry names the fields, not values.
    /// A phone or email already on another member is refused ([`ServiceError::DuplicateMember`]).
    pub fn create_member(
        &self,
        session: &super::Session,
        input: MemberInput,
    ) -> Result<MemberDetail, ServiceError> {
        self.register_member(
            session,
            NewMember {
                member: input,
                ..NewMember::default()
            },
        )
    }

    /// Registers a new member and, when typed, their first vehicle, in one transaction that
    /// first checks the phone, email and plate are on no other member.
    pub fn register_member(
        &self,
        session: &super::Session,
        new: NewMember,
    ) -> Result<MemberDetail, ServiceError> {
        let caller = self.authorize(session, Operation::CreateMember)?;
        if new.vehicle.is_some() {
            self.authorize(session, Operation::ManageVehicles)?;
        }
        let vault = self.unlocked_vault()?;
        let today = self.today();
        let input = &new.member;
        let clean = CleanMember {
            name: Zeroizing::new(normalize_name(&input.name).map_err(invalid)?),
            phone: clean_phone(input.phone.as_deref().unwrap_or(""))?,
            email: clean_email(input.email.as_deref().unwrap_or(""))?,
            birthday: input
                .birthday
                .map(|d| clean_birthday(d, today))
                .transpose()?,
            notes: clean_notes(input.notes.as_deref().unwrap_or(""))?,
        };
        let plate = new
            .vehicle
            .as_ref()
            .map(|vehicle| normalize_plate(&vehicle.plate).map(Zeroizing::new))
            .transpose()
            .map_err(invalid)?;
        let permit = self.duplicate_permit(session, new.on_duplicate)?;
        let now = self.clock.now();
        let id = RecordId::generate(now, self.entropy.as_ref())?;
        let key = MemberKey::generate(self.entropy.as_ref())?;
        let wrapped_key = vault.wrap_member_key(&key, id, self.entropy.as_ref())?;
        let sealed = self.seal_member(&key, id, &clean)?;
        let vehicle = match (&new.vehicle, &plate) {
            (Some(input), Some(plate)) => {
                Some(self.new_vehicle_record(&vault, &key, id, plate, input)?)
            }
            _ => None,
        };
        let mut writer = self.store.write()?;
        let member_number = writer.next_member_number()?;
        let objects = vec![id.to_string(), format!("member:{member_number}")];
        let claimed = Claimed {
            owner: None,
            phone: clean.phone.as_ref(),
            email: clean.email.as_deref().map(|e| e.as_str()),
            plates: plate.iter().map(|p| p.as_str()).collect(),
        };
        self.check_duplicates(
            &mut writer,
            &vault,
            caller.role,
            &claimed,
            &permit,
            &objects,
        )?;
        let index_tokens = Self::member_tokens(&vault, member_number, &clean);
        let record = MemberRecord {
            id,
            member_number,
            wrapped_key,
            name: sealed.name,
            phone: sealed.phone,
            email: sealed.email,
            birthday: sealed.birthday,
            notes: sealed.notes,
            index_tokens,
            created_at: now,
            updated_at: now,
        };
        for token in &record.index_tokens {
            writer.add_index_token(token, id)?;
        }
        writer.put_member(&record)?;
        let mut draft = caller.draft(AuditAction::MemberCreated);
        draft.fields = present_fields(&clean);
        draft.objects = objects;
        writer.append_audit(draft, now)?;
        if let Some(vehicle) = &vehicle {
            let tail = plate
                .as_ref()
                .and_then(|plate| plate_tail_token(&vault, plate));
            insert_vehicle(&mut writer, vehicle, tail.as_ref())?;
            writer.append_audit(vehicle_added_draft(&caller, vehicle), now)?;
        }
        writer.commit()?;
        self.names.set(id, &clean.name);
        self.names_changed();
        self.member_detail(&caller, &vault, &record)
    }

    /// Changes contact details. Stale index tokens are removed in the same transaction.
    /// A new phone or email already on another member is refused.
    pub fn update_member(
        &self,
        session: &super::Session,
        member: RecordId,
        update: MemberUpdate,
    ) -> Result<MemberDetail, ServiceError> {
        self.update_member_with(session, member, update, OnDuplicate::Refuse)
    }

    /// [`Service::update_member`], saying what to do when a new phone or email is already on
    /// another member.
    pub fn update_member_with(
        &self,
        session: &super::Session,
        member: RecordId,
        update: MemberUpdate,
        on_duplicate: OnDuplicate,
    ) -> Result<MemberDetail, ServiceError> {
        let caller = self.authorize(session, Operation::EditMember)?;
        let vault = self.unlocked_vault()?;
        let today = self.today();
        let mut record = self
            .store
            .read()?
            .member(member)?
            .ok_or(ServiceError::NotFound("member"))?;
        let (key, opened) = Self::open_member_fields(&vault, &record)?;
        let mut changed = Vec::new();
        let mut clean = CleanMember {
            name: Zeroizing::new(opened.name.clone()),
            phone: opened.phone.clone(),
            email: opened.email.clone().map(Zeroizing::new),
            birthday: opened.birthday,
            notes: opened.notes.clone().map(Zeroizing::new),
        };
        if let Some(name) = &update.name {
            clean.name = Zeroizing::new(normalize_name(name).map_err(invalid)?);
            changed.push("name");
        }
        if apply_change(&update.phone, &mut clean.phone, |text| clean_phone(text))? {
            changed.push("phone");
        }
        if apply_change(&update.email, &mut clean.email, |text| clean_email(text))? {
            changed.push("email");
        }
        if apply_change(&update.birthday, &mut clean.birthday, |date| {
            clean_birthday(*date, today).map(Some)
        })? {
            changed.push("birthday");
        }
        if apply_change(&update.notes, &mut clean.notes, |text| clean_notes(text))? {
            changed.push("notes");
        }
        if changed.is_empty() {
            return self.member_detail(&caller, &vault, &record);
        }
        let permit = self.duplicate_permit(session, on_duplicate)?;
        // Sealing is cheap, so every field is sealed afresh (new nonces) rather than tracking
        // which ciphertexts could be kept.
        let sealed = self.seal_member(&key, member, &clean)?;
        record.name = sealed.name;
        record.phone = sealed.phone;
        record.email = sealed.email;
        record.birthday = sealed.birthday;
        record.notes = sealed.notes;
        let now = self.clock.now();
        record.updated_at = now;
        let new_tokens = Self::member_tokens(&vault, record.member_number, &clean);
        let mut draft = caller.draft(AuditAction::MemberUpdated);
        draft.objects = vec![
            member.to_string(),
            format!("member:{}", record.member_number),
        ];
        draft.fields = changed.iter().map(|f| (*f).to_owned()).collect();
        let claimed = Claimed {
            owner: Some(member),
            phone: clean.phone.as_ref().filter(|_| changed.contains(&"phone")),
            email: clean
                .email
                .as_deref()
                .map(|e| e.as_str())
                .filter(|_| changed.contains(&"email")),
            plates: Vec::new(),
        };
        let record = self.write_audited(
            |writer, draft| {
                self.check_duplicates(
                    writer,
                    &vault,
                    caller.role,
                    &claimed,
                    &permit,
                    &draft.objects,
                )?;
                replace_tokens(writer, member, &record.index_tokens, &new_tokens)?;
                record.index_tokens = new_tokens;
                writer.put_member(&record)?;
                Ok(record)
            },
            draft,
        )?;
        if update.name.is_some() {
            self.names.set(member, &clean.name);
            self.names_changed();
        }
        self.member_detail(&caller, &vault, &record)
    }

    /// Opens a member's record, masked for the caller's role. Every opening is audited.
    pub fn open_member(
        &self,
        session: &super::Session,
        member: RecordId,
    ) -> Result<MemberDetail, ServiceError> {
        let caller = self.authorize(session, Operation::OpenMember)?;
        let vault = self.unlocked_vault()?;
        let record = self
            .store
            .read()?
            .member(member)?
            .ok_or(ServiceError::NotFound("member"))?;
        let detail = self.member_detail(&caller, &vault, &record)?;
        let mut draft = caller.draft(AuditAction::MemberOpened);
        draft.objects = vec![
            member.to_string(),
            format!("member:{}", record.member_number),
        ];
        self.audit_alone(draft)?;
        Ok(detail)
    }

    fn member_detail(
        &self,
        caller: &Caller,
        vault: &UnlockedVault,
        record: &MemberRecord,
    ) -> Result<MemberDetail, ServiceError> {
        let masker = Masker::for_role(caller.role);
        let (key, opened) = Self::open_member_fields(vault, record)?;
        let today = self.today();
        let reader = self.store.read()?;
        let consents = super::consents::current_consents(&reader, record.id)?;
        let mut vehicles = Vec::new();
        for vehicle in reader.vehicles_of(record.id)? {
            vehicles.push(VehicleView {
                id: vehicle.id,
                plate: masker.plate(&Self::open_plate(&key, &vehicle)?),
                kind: vehicle.kind,
                make_model: vehicle.make_model.clone(),
                colour: vehicle.colour.clone(),
            });
        }
        Ok(MemberDetail {
            id: record.id,
            member_number: record.member_number,
            name: masker.name(&opened.name),
            phone: opened.phone.as_ref().map(|p| masker.phone(p)),
            email: opened.email.as_deref().map(|e| masker.email(e)),
            birthday: opened.birthday.map(|b| masker.birthday(b, today)),
            notes: opened.notes.as_deref().map(|n| masker.notes(n)),
            vehicles,
            consents,
            masked: !caller.role.sees_full_personal_data(),
            created_at: record.created_at,
            updated_at: record.updated_at,
        })
    }

    /// Finds members by member number, full phone, last four digits, plate, email or name
    /// prefix — whichever the query can be. Exact matches come first.
    pub fn search_members(
        &self,
        session: &super::Session,
        query: &str,
    ) -> Result<SearchResults, ServiceError> {
        let caller = self.authorize(session, Operation::SearchMembers)?;
        let vault = self.unlocked_vault()?;
        let query = sanitize_line(query);
        if !query.trim().is_empty() {
            self.sessions.update(session, |r| {
                r.member_searches = r.member_searches.saturating_add(1);
            });
        }
        let mut found: Vec<RecordId> = Vec::new();
        if query.is_empty() {
            return Ok(SearchResults {
                members: Vec::new(),
                names_complete: self.names.is_ready(),
                names_masked: !caller.role.sees_full_personal_data(),
                gone: Vec::new(),
            });
        }
        let reader = self.store.read()?;
        let lookup = |kind: BlindIndexKind, value: &str| {
            reader.ids_for_token(&vault.blind_index(kind, value).to_bytes())
        };
        let number_text = query.trim_start_matches(['#', 'M', 'm']);
        let mut gone = Vec::new();
        if !number_text.is_empty() && number_text.chars().all(|c| c.is_ascii_digit()) {
            if let Ok(number) = number_text.parse::<u64>()
                && let Some(tombstone) = reader.member_tombstone_by_number(number)?
            {
                gone.push(super::tombstones::tombstone_view(&reader, &tombstone)?);
            }
            add_new(
                &mut found,
                lookup(BlindIndexKind::MemberNumber, number_text)?,
            );
        }
        let phone_like = query
            .chars()
            .all(|c| c.is_ascii_digit() || " +-().".contains(c));
        let digits: String = query.chars().filter(char::is_ascii_digit).collect();
        if phone_like && digits.len() == 4 {
            add_new(&mut found, lookup(BlindIndexKind::PhoneLast4, &digits)?);
        }
        if phone_like
            && digits.len() >= 6
            && let Ok(phone) = Phone::parse(&query)
        {
            add_new(
                &mut found,
                lookup(BlindIndexKind::PhoneFull, phone.national())?,
            );
        }
        if query.contains('@')
            && let Ok(email) = normalize_email(&query)
        {
            add_new(&mut found, lookup(BlindIndexKind::Email, &email)?);
        }
        // Full-width digits too: a Chinese input method in full-width mode types `Ａ１２３４５`.
        if query
            .chars()
            .any(|c| c.is_ascii_digit() || ('０'..='９').contains(&c))
            && !phone_like
            && let Ok(plate) = normalize_plate(&query)
        {
            add_new(&mut found, lookup(BlindIndexKind::Plate, &plate)?);
            // Typed without its province (`A12345`), a plate matches every province's: the
            // desk names the car as people say it. A query with the province is exact.
            if plate_without_province(&plate).is_none() {
                add_new(&mut found, lookup(BlindIndexKind::PlateTail, &plate)?);
            }
        }
        let found_by_key = found.len();
        // A role that sees names masked may only find a name by what the mask shows or by a
        // whole token, so name matches are checked one by one and more are fetched to check.
        let names_masked = !caller.role.sees_full_personal_data();
        // A multi-word query ("john sm") matches the whole-name token, which has no spaces.
        let folded: String = fold_query(&query).split_whitespace().collect();
        if !folded.is_empty() && !phone_like {
            let candidates = if names_masked {
                SEARCH_LIMIT * 4
            } else {
                SEARCH_LIMIT
            };
            add_new(&mut found, self.names.search(&folded, candidates));
            // Given-name readings and initials: only for a role that sees names.
            if !names_masked && found.len() < found_by_key + SEARCH_LIMIT {
                let marked = format!("{MANAGER_ONLY_MARK}{folded}");
                add_new(&mut found, self.names.search(&marked, SEARCH_LIMIT));
            }
        }
        let masker = Masker::for_role(caller.role);
        let today = self.today();
        let mut members = Vec::with_capacity(found.len().min(SEARCH_LIMIT));
        let mut members_by_key = 0;
        for (position, id) in found.into_iter().enumerate() {
            if members.len() == SEARCH_LIMIT {
                break;
            }
            let Some(record) = reader.member(id)? else {
                continue;
            };
            let (key, opened) =
                Self::open_member_fields_for(&vault, &record, MemberFields::ListRow)?;
            if names_masked
                && position >= found_by_key
                && !name_query_within_mask(&opened.name, &folded)
                && !pinyin_query_within_mask(&opened.name, &folded)
            {
                continue;
            }
            let mut plates = Vec::new();
            for vehicle in reader.vehicles_of(id)? {
                plates.push(masker.plate(&Self::open_plate(&key, &vehicle)?));
            }
            if position < found_by_key {
                members_by_key += 1;
            }
            members.push(MemberSummary {
                id,
                member_number: record.member_number,
                name: masker.name(&opened.name),
                phone: opened.phone.as_ref().map(|p| masker.phone(p)),
                plates,
                birthday_this_month: opened
                    .birthday
                    .is_some_and(|b| crate::domain::masking::birthday_this_month(b, today)),
                masked: !caller.role.sees_full_personal_data(),
            });
        }
        // Record ids are random, so members found by the same phone, plate or email come in
        // no order a person would expect: the oldest member first, as on a paper card file.
        members[..members_by_key].sort_by_key(|member| member.member_number);
        Ok(SearchResults {
            members,
            names_complete: self.names.is_ready(),
            names_masked,
            gone,
        })
    }

    /// Adds a vehicle to a member; its plate is sealed under the member's key. A plate
    /// already on another member is refused.
    pub fn add_vehicle(
        &self,
        session: &super::Session,
        member: RecordId,
        input: VehicleInput,
    ) -> Result<VehicleView, ServiceError> {
        self.add_vehicle_with(session, member, input, OnDuplicate::Refuse)
    }

    /// [`Service::add_vehicle`], saying what to do when the plate is on another member.
    pub fn add_vehicle_with(
        &self,
        session: &super::Session,
        member: RecordId,
        input: VehicleInput,
        on_duplicate: OnDuplicate,
    ) -> Result<VehicleView, ServiceError> {
        let caller = self.authorize(session, Operation::ManageVehicles)?;
        let vault = self.unlocked_vault()?;
        let reader = self.store.read()?;
        let record = reader
            .member(member)?
            .ok_or(ServiceError::NotFound("member"))?;
        let key = vault.unwrap_member_key(&record.wrapped_key, member)?;
        let plate = Zeroizing::new(normalize_plate(&input.plate).map_err(invalid)?);
        let plate_token = vault.blind_index(BlindIndexKind::Plate, &plate).to_bytes();
        let tail_token = plate_tail_token(&vault, &plate);
        if reader
            .vehicles_of(member)?
            .iter()
            .any(|v| v.plate_token == plate_token)
        {
            return Err(ServiceError::invalid(
                "plate: this member already has a vehicle with that plate",
            ));
        }
        drop(reader);
        let permit = self.duplicate_permit(session, on_duplicate)?;
        let vehicle = self.new_vehicle_record(&vault, &key, member, &plate, &input)?;
        let claimed = Claimed {
            owner: Some(member),
            plates: vec![plate.as_str()],
            ..Claimed::default()
        };
        self.write_audited(
            |writer, draft| {
                self.check_duplicates(
                    writer,
                    &vault,
                    caller.role,
                    &claimed,
                    &permit,
                    &draft.objects,
                )?;
                insert_vehicle(writer, &vehicle, tail_token.as_ref())
            },
            vehicle_added_draft(&caller, &vehicle),
        )?;
        Ok(VehicleView {
            id: vehicle.id,
            plate: Masker::for_role(caller.role).plate(&plate),
            kind: vehicle.kind,
            make_model: vehicle.make_model,
            colour: vehicle.colour,
        })
    }

    /// A new vehicle of `member`, its plate (already normalised) sealed under the member's key.
    fn new_vehicle_record(
        &self,
        vault: &UnlockedVault,
        key: &MemberKey,
        member: RecordId,
        plate: &str,
        input: &VehicleInput,
    ) -> Result<VehicleRecord, ServiceError> {
        let now = self.clock.now();
        let id = RecordId::generate(now, self.entropy.as_ref())?;
        Ok(VehicleRecord {
            id,
            member_id: member,
            plate: seal_field(
                key,
                context(VEHICLES_TABLE, "plate", id),
                plate.as_bytes(),
                self.entropy.as_ref(),
            )?,
            plate_token: vault.blind_index(BlindIndexKind::Plate, plate).to_bytes(),
            kind: input.kind,
            make_model: clean_description("make and model", input.make_model.as_deref())?,
            colour: clean_description("colour", input.colour.as_deref())?,
            created_at: now,
            updated_at: now,
        })
    }

    /// Replaces a vehicle's details (plate included). A new plate already on another member
    /// is refused.
    pub fn update_vehicle(
        &self,
        session: &super::Session,
        vehicle_id: RecordId,
        input: VehicleInput,
    ) -> Result<VehicleView, ServiceError> {
        self.update_vehicle_with(session, vehicle_id, input, OnDuplicate::Refuse)
    }

    /// [`Service::update_vehicle`], saying what to do when the new plate is on another member.
    pub fn update_vehicle_with(
        &self,
        session: &super::Session,
        vehicle_id: RecordId,
        input: VehicleInput,
        on_duplicate: OnDuplicate,
    ) -> Result<VehicleView, ServiceError> {
        let caller = self.authorize(session, Operation::ManageVehicles)?;
        let vault = self.unlocked_vault()?;
        let reader = self.store.read()?;
        let mut vehicle = reader
            .vehicle(vehicle_id)?
            .ok_or(ServiceError::NotFound("vehicle"))?;
        let record = reader
            .member(vehicle.member_id)?
            .ok_or(ServiceError::NotFound("member"))?;
        drop(reader);
        let key = vault.unwrap_member_key(&record.wrapped_key, record.id)?;
        let plate = Zeroizing::new(normalize_plate(&input.plate).map_err(invalid)?);
        let old_token = vehicle.plate_token;
        let old_tail = plate_tail_token(&vault, &Self::open_plate(&key, &vehicle)?);
        let new_tail = plate_tail_token(&vault, &plate);
        vehicle.plate = seal_field(
            &key,
            context(VEHICLES_TABLE, "plate", vehicle.id),
            plate.as_bytes(),
            self.entropy.as_ref(),
        )?;
        vehicle.plate_token = vault.blind_index(BlindIndexKind::Plate, &plate).to_bytes();
        vehicle.kind = input.kind;
        vehicle.make_model = clean_description("make and model", input.make_model.as_deref())?;
        vehicle.colour = clean_description("colour", input.colour.as_deref())?;
        vehicle.updated_at = self.clock.now();
        let mut draft = caller.draft(AuditAction::VehicleUpdated);
        draft.objects = vec![record.id.to_string(), vehicle.id.to_string()];
        draft.fields = vec![
            "plate".to_owned(),
            "kind".to_owned(),
            "make_model".to_owned(),
            "colour".to_owned(),
        ];
        let permit = self.duplicate_permit(session, on_duplicate)?;
        // Only a changed plate is checked: a vehicle saved earlier as a known duplicate can
        // still have its colour corrected.
        let claimed = Claimed {
            owner: Some(record.id),
            plates: if vehicle.plate_token == old_token {
                Vec::new()
            } else {
                vec![plate.as_str()]
            },
            ..Claimed::default()
        };
        self.write_audited(
            |writer, draft| {
                self.check_duplicates(
                    writer,
                    &vault,
                    caller.role,
                    &claimed,
                    &permit,
                    &draft.objects,
                )?;
                replace_tokens(writer, record.id, &[old_token], &[vehicle.plate_token])?;
                if old_tail != new_tail {
                    if let Some(old_tail) = &old_tail {
                        remove_tail_token(writer, &vault, &key, &vehicle, old_tail)?;
                    }
                    if let Some(new_tail) = &new_tail {
                        writer.add_index_token(new_tail, record.id)?;
                    }
                }
                Ok(writer.put_vehicle(&vehicle)?)
            },
            draft,
        )?;
        Ok(VehicleView {
            id: vehicle.id,
            plate: Masker::for_role(caller.role).plate(&plate),
            kind: vehicle.kind,
            make_model: vehicle.make_model,
            colour: vehicle.colour,
        })
    }

    pub fn remove_vehicle(
        &self,
        session: &super::Session,
        vehicle_id: RecordId,
    ) -> Result<(), ServiceError> {
        let caller = self.authorize(session, Operation::ManageVehicles)?;
        let vault = self.unlocked_vault()?;
        let reader = self.store.read()?;
        let vehicle = reader
            .vehicle(vehicle_id)?
            .ok_or(ServiceError::NotFound("vehicle"))?;
        let record = reader
            .member(vehicle.member_id)?
            .ok_or(ServiceError::NotFound("member"))?;
        drop(reader);
        let key = vault.unwrap_member_key(&record.wrapped_key, record.id)?;
        let tail = plate_tail_token(&vault, &Self::open_plate(&key, &vehicle)?);
        let mut draft = caller.draft(AuditAction::VehicleRemoved);
        draft.objects = vec![vehicle.member_id.to_string(), vehicle.id.to_string()];
        self.write_audited(
            |writer, _| {
                writer.remove_index_token(&vehicle.plate_token, vehicle.member_id)?;
                if let Some(tail) = &tail {
                    remove_tail_token(writer, &vault, &key, &vehicle, tail)?;
                }
                Ok(writer.delete_vehicle(&vehicle)?)
            },
            draft,
        )?;
        Ok(())
    }
}

/// The blind tokens a member's own fields contribute to the index (member number, full phone,
/// its last four digits, email), sorted and without repeats, as kept in `index_tokens`.
pub(super) fn member_index_tokens(
    vault: &UnlockedVault,
    member_number: u64,
    phone: Option<&Phone>,
    email: Option<&str>,
) -> Vec<[u8; 32]> {
    let mut tokens = vec![
        vault
            .blind_index(BlindIndexKind::MemberNumber, &member_number.to_string())
            .to_bytes(),
    ];
    if let Some(phone) = phone {
        tokens.push(
            vault
                .blind_index(BlindIndexKind::PhoneFull, phone.national())
                .to_bytes(),
        );
        tokens.push(
            vault
                .blind_index(BlindIndexKind::PhoneLast4, phone.last4())
                .to_bytes(),
        );
    }
    if let Some(email) = email {
        tokens.push(vault.blind_index(BlindIndexKind::Email, email).to_bytes());
    }
    tokens.sort_unstable();
    tokens.dedup();
    tokens
}

/// Indexes a new vehicle's plate (and its plate without the province, `tail`) under its
/// member and stores it.
fn insert_vehicle(
    writer: &mut StoreWriter,
    vehicle: &VehicleRecord,
    tail: Option<&[u8; 32]>,
) -> Result<(), ServiceError> {
    writer.add_index_token(&vehicle.plate_token, vehicle.member_id)?;
    if let Some(tail) = tail {
        writer.add_index_token(tail, vehicle.member_id)?;
    }
    Ok(writer.put_vehicle(vehicle)?)
}

pub(super) fn vehicle_added_draft(
    caller: &Caller,
    vehicle: &VehicleRecord,
) -> crate::audit::AuditDraft {
    let mut draft = caller.draft(AuditAction::VehicleAdded);
    draft.objects = vec![vehicle.member_id.to_string(), vehicle.id.to_string()];
    draft.fields = vec![
        "plate".to_owned(),
        "kind".to_owned(),
        "make_model".to_owned(),
        "colour".to_owned(),
    ];
    draft
}

/// Vehicles per write transaction in the plate-tail backfill: small enough that a desk's own
/// writes wait at most a few milliseconds between batches.
const BACKFILL_BATCH: usize = 512;

/// Adds the plate-tail token of every vehicle in a store made before those tokens existed,
/// once: after the first unlock (a migration has no vault to open plates with), in batches of
/// [`BACKFILL_BATCH`] vehicles per write transaction, each read inside its own transaction so
/// a vehicle changed or removed meanwhile is never given a stale token. The last batch sets
/// [`META_PLATE_TAILS`]; an interrupted run starts over next time, which only re-adds rows
/// already there. Returns how many vehicles were read (0 when already done).
pub(super) fn backfill_plate_tails(
    store: &Store,
    vault: &UnlockedVault,
) -> Result<u64, ServiceError> {
    if store
        .read()?
        .bytes_by_name(META, META_PLATE_TAILS)?
        .is_some()
    {
        return Ok(0);
    }
    let mut from = 0u128;
    let mut done = 0u64;
    loop {
        let mut writer = store.write()?;
        let rows = writer.id_page(VEHICLES, from, BACKFILL_BATCH)?;
        for (_, bytes) in &rows {
            let vehicle: VehicleRecord = decode_record("vehicle", bytes)?;
            let Some(member) = writer.member(vehicle.member_id)? else {
                continue;
            };
            let key = vault.unwrap_member_key(&member.wrapped_key, member.id)?;
            let plate = Service::open_plate(&key, &vehicle)?;
            if let Some(tail) = plate_tail_token(vault, &plate) {
                writer.add_index_token(&tail, member.id)?;
            }
        }
        done += rows.len() as u64;
        let last = rows.last().map(|(id, _)| *id);
        match last {
            Some(last) if rows.len() == BACKFILL_BATCH && last < u128::MAX => {
                writer.commit()?;
                from = last + 1;
            }
            _ => {
                writer.put_meta_record(META_PLATE_TAILS, &1u8)?;
                writer.commit()?;
                return Ok(done);
            }
        }
    }
}

/// The blind token of a plate without its province character (`A12345` for `苏A12345`), for
/// plates that have one; a plate without a province is found by its `Plate` token alone.
pub(super) fn plate_tail_token(vault: &UnlockedVault, plate: &str) -> Option<[u8; 32]> {
    plate_without_province(plate).map(|tail| {
        vault
            .blind_index(BlindIndexKind::PlateTail, tail)
            .to_bytes()
    })
}

/// Drops `vehicle`'s plate-tail token from its member's index entries unless another of the
/// member's vehicles has the same tail (`苏A12345` and `沪A12345`): the index keeps one row per
/// token and member, so that row must stay while any such vehicle does. Reads the siblings
/// inside the write transaction, so a vehicle added meanwhile is counted.
fn remove_tail_token(
    writer: &mut StoreWriter,
    vault: &UnlockedVault,
    key: &MemberKey,
    vehicle: &VehicleRecord,
    tail: &[u8; 32],
) -> Result<(), ServiceError> {
    for sibling in writer.vehicles_of(vehicle.member_id)? {
        if sibling.id != vehicle.id
            && plate_tail_token(vault, &Service::open_plate(key, &sibling)?).as_ref() == Some(tail)
        {
            return Ok(());
        }
    }
    writer.remove_index_token(tail, vehicle.member_id)?;
    Ok(())
}

fn present_fields(clean: &CleanMember) -> Vec<String> {
    let mut fields = vec!["name".to_owned()];
    for (present, field) in [
        (clean.phone.is_some(), "phone"),
        (clean.email.is_some(), "email"),
        (clean.birthday.is_some(), "birthday"),
        (clean.notes.is_some(), "notes"),
    ] {
        if present {
            fields.push(field.to_owned());
        }
    }
    fields
}

pub(super) fn replace_tokens(
    writer: &mut StoreWriter,
    member: RecordId,
    old: &[[u8; 32]],
    new: &[[u8; 32]],
) -> Result<(), ServiceError> {
    for token in old.iter().filter(|t| !new.contains(t)) {
        writer.remove_index_token(token, member)?;
    }
    for token in new.iter().filter(|t| !old.contains(t)) {
        writer.add_index_token(token, member)?;
    }
    Ok(())
}
