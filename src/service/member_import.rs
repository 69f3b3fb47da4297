//! Bringing a shop's existing customer list in (`frontdesk import`, the import screen):
//! every row of a file read by [`ImportRows::read`] becomes a member exactly as the
//! registration form would make them — their own data key, sealed fields, blind-index tokens,
//! a vehicle, consents under the current policy, and opening points as one adjustment lot.
//!
//! All or nothing: a file with any bad row, any value repeated within it, or any phone, email
//! or plate already on a member imports nobody. A clean file is written in ONE transaction.
//!
//! Speed: sealing is the bulk of the work, so it runs before the write transaction, on every
//! core, in chunks. Each chunk draws its keys and nonces from its own ChaCha20 stream seeded
//! with 32 bytes from the service's entropy source (the OS generator in production), drawn in
//! file order: a CSPRNG seeded from the OS is as good as the OS for keys, one system call per
//! chunk instead of several per member, and with seeded test entropy the result is the same
//! however the threads are scheduled.
//!
//! Audit: what `register_member` writes — a `member.created` entry per member (its id, number
//! and the fields given) and a `vehicle.added` per vehicle, so every member's trace starts the
//! same way however they came in — plus one `member.imported` entry for the file with the
//! member numbers given (a consecutive run), the count, the columns and the file's SHA-256.
//! Measured: 100,000 extra entries cost about 0.4 s in the one transaction (the benchmark
//! prints it). A refused import is audited too (outcome `failed`); a dry run changes and
//! reveals nothing beyond what the file already holds, and is not.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rand_chacha::ChaCha20Rng;
use rand_core::{Rng, SeedableRng};

use super::members::{MEMBERS_TABLE, VEHICLES_TABLE, member_index_tokens, vehicle_added_draft};
use super::views::{BirthdayView, Masker, ShownText};
use super::{CONSENT_POLICY_VERSION, Service, ServiceError, Session};
use crate::audit::{AuditAction, Outcome};
use crate::domain::access::Operation;
use crate::domain::loyalty::{LedgerEntry, PointsPolicy, Wallet, plan_adjust};
use crate::domain::name::search_tokens;
use crate::domain::vehicle::VehicleKind;
use crate::entropy::{Entropy, EntropyError};
use crate::ids::RecordId;
use crate::store::records::{
    ConsentPurpose, ConsentRecord, MemberRecord, MemberStats, VehicleRecord,
};
use crate::store::{NewMembers, ReadAccess};
use crate::vault::{BlindIndexKind, FieldContext, MemberKey, Sealed, UnlockedVault, seal_field};

pub use crate::domain::member_import::{
    Column, FileDuplicate, FileEncoding, ImportFileError, ImportRow, ImportRows, RowProblem,
    UniqueField,
};

/// The reason kept with each imported member's opening-points lot.
pub const IMPORT_POINTS_REASON: &str = "import";
/// Rows shown as they will be stored, for the person to check before importing.
pub const PREVIEW_ROWS: usize = 8;
/// Rows sealed per chunk: one seed, one unit of work for a thread.
const CHUNK_ROWS: usize = 512;

/// What to import, and whether only to check it.
#[derive(Debug)]
pub struct ImportRequest {
    pub rows: ImportRows,
    /// Check everything (the store's members included) and write nothing.
    pub dry_run: bool,
}

/// A row whose phone, email or plate is already on a member in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreDuplicate {
    pub line: u64,
    pub field: UniqueField,
    pub member_number: u64,
}

impl std::fmt::Display for StoreDuplicate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "line {}: the {} is already on member #{}; leave the row out, or add what is new to that member",
            self.line,
            self.field.as_str(),
            self.member_number
        )
    }
}

/// One row as it will be stored, for the preview (the caller is a manager: unmasked).
#[derive(Debug, Clone)]
pub struct ImportPreviewRow {
    pub line: u64,
    pub name: ShownText,
    pub phone: Option<ShownText>,
    pub email: Option<ShownText>,
    pub plate: Option<ShownText>,
    pub vehicle_kind: Option<VehicleKind>,
    pub birthday: Option<BirthdayView>,
    pub points: i64,
    pub notes: Option<ShownText>,
    pub marketing: Option<bool>,
    pub birthday_offers: Option<bool>,
}

/// What an import found and did. Nothing was written unless [`ImportReport::created`] is set.
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub dry_run: bool,
    pub encoding: FileEncoding,
    pub sha256_hex: String,
    pub columns: Vec<Column>,
    /// Data rows in the file (blank rows not counted).
    pub rows_read: usize,
    pub rows_valid: usize,
    pub invalid: Vec<RowProblem>,
    pub file_duplicates: Vec<FileDuplicate>,
    pub store_duplicates: Vec<StoreDuplicate>,
    /// Members (and of them, vehicles and consent answers) the file creates, or would.
    pub members: usize,
    pub vehicles: usize,
    pub consents: usize,
    pub points_total: i64,
    /// The first rows as they will be stored.
    pub preview: Vec<ImportPreviewRow>,
    /// The member numbers given, first and last, once written.
    pub created: Option<(u64, u64)>,
}

impl ImportReport {
    /// No bad row and no duplicate, in the file or against the store.
    pub fn is_clean(&self) -> bool {
        self.invalid.is_empty()
            && self.file_duplicates.is_empty()
            && self.store_duplicates.is_empty()
    }

    pub fn error_count(&self) -> usize {
        self.invalid.len() + self.file_duplicates.len() + self.store_duplicates.len()
    }

    pub fn written(&self) -> bool {
        self.created.is_some()
    }

    /// Every problem as one line, in file order: `line N: …`. No personal value appears.
    pub fn problem_lines(&self) -> Vec<(u64, String)> {
        let mut lines: Vec<(u64, String)> = Vec::with_capacity(self.error_count());
        for problem in &self.invalid {
            lines.push((
                problem.line,
                format!("line {}: {}", problem.line, problem.reasons.join("; ")),
            ));
        }
        for duplicate in &self.file_duplicates {
            lines.push((duplicate.line, duplicate.to_string()));
        }
        for duplicate in &self.store_duplicates {
            lines.push((duplicate.line, duplicate.to_string()));
        }
        lines.sort_by_key(|(line, _)| *line);
        lines
    }
}

/// One row sealed and ready to insert; only the member number (and its token) comes later,
/// inside the write transaction.
struct Prepared {
    id: RecordId,
    wrapped_key: Sealed,
    name: Sealed,
    phone: Option<Sealed>,
    email: Option<Sealed>,
    birthday: Option<Sealed>,
    notes: Option<Sealed>,
    vehicle: Option<(VehicleRecord, Option<[u8; 32]>)>,
    points: Option<LedgerEntry>,
    name_tokens: Vec<String>,
}

/// One row's line and the blind tokens of its phone, email and plate.
type RowTokens = (u64, Vec<(UniqueField, [u8; 32])>);
/// A chunk of rows sealed, or why not; `None` until a thread has done it.
type ChunkSlot = Option<Result<Vec<Prepared>, ServiceError>>;

/// A chunk's own key stream: ChaCha20 seeded from the service's entropy.
struct ChunkEntropy(Mutex<ChaCha20Rng>);

impl ChunkEntropy {
    fn new(seed: [u8; 32]) -> Self {
        Self(Mutex::new(ChaCha20Rng::from_seed(seed)))
    }
}

impl Entropy for ChunkEntropy {
    fn fill(&self, buf: &mut [u8]) -> Result<(), EntropyError> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .fill_bytes(buf);
        Ok(())
    }
}

fn field(table: &'static str, field: &'static str, record: RecordId) -> FieldContext<'static> {
    FieldContext {
        table,
        field,
        record,
    }
}

impl Service {
    /// Reads a member file with the shop's today bounding birthdays. Needs no login: it only
    /// checks the file, and shows nothing of the store.
    pub fn read_member_file(
        &self,
        bytes: &[u8],
        encoding: Option<FileEncoding>,
    ) -> Result<ImportRows, ImportFileError> {
        ImportRows::read(bytes, encoding, self.today())
    }

    /// Whether the caller may import members (a manager), for a front end about to open its
    /// import screen. A refusal is audited like any other.
    pub fn may_import_members(&self, session: &Session) -> Result<(), ServiceError> {
        self.authorize(session, Operation::PreviewMemberImport)
            .map(|_| ())
    }

    /// Imports a member file read by [`Service::read_member_file`], or with `dry_run` only
    /// checks it. A manager only; the import itself after a fresh code (step-up), the dry run
    /// without. Returns the report either way; nothing is written unless it is clean.
    pub fn import_members(
        &self,
        session: &Session,
        request: ImportRequest,
    ) -> Result<ImportReport, ServiceError> {
        let operation = if request.dry_run {
            Operation::PreviewMemberImport
        } else {
            Operation::ImportMembers
        };
        let caller = self.authorize(session, operation)?;
        let vault = self.unlocked_vault()?;
        let file = request.rows;
        let masker = Masker::for_role(caller.role);
        let today = self.today();
        let mut report = ImportReport {
            dry_run: request.dry_run,
            encoding: file.encoding(),
            sha256_hex: file.sha256_hex(),
            columns: file.columns().to_vec(),
            rows_read: file.rows_read(),
            rows_valid: file.rows().len(),
            invalid: file.problems().to_vec(),
            file_duplicates: file.duplicates().to_vec(),
            store_duplicates: Vec::new(),
            members: file.rows().len(),
            vehicles: file.rows().iter().filter(|r| r.plate().is_some()).count(),
            consents: file
                .rows()
                .iter()
                .map(|r| {
                    usize::from(r.marketing().is_some())
                        + usize::from(r.birthday_offers().is_some())
                })
                .sum(),
            points_total: file.rows().iter().map(ImportRow::points).sum(),
            preview: file
                .rows()
                .iter()
                .take(PREVIEW_ROWS)
                .map(|row| preview(&masker, row, today))
                .collect(),
            created: None,
        };
        let lookups = duplicate_tokens(&vault, file.rows());
        if request.dry_run {
            report.store_duplicates = store_duplicates(&self.store.read()?, &lookups)?;
            return Ok(report);
        }
        if !report.is_clean() || file.rows().is_empty() {
            self.audit_refused_import(&caller, &report)?;
            return Ok(report);
        }
        let policy = self.points_policy()?;
        let prepared = self.prepare(&vault, &policy, file.rows())?;
        let now = self.clock.now();
        let mut writer = self.store.write()?;
        report.store_duplicates = store_duplicates(&writer, &lookups)?;
        if !report.store_duplicates.is_empty() {
            drop(writer);
            self.audit_refused_import(&caller, &report)?;
            return Ok(report);
        }
        let count = u64::try_from(prepared.len())
            .map_err(|_| ServiceError::invalid("the file has too many rows; split it"))?;
        let first = writer.reserve_member_numbers(count)?;
        let mut names = Vec::with_capacity(prepared.len());
        let mut new = NewMembers::default();
        for ((offset, member), row) in (0u64..).zip(prepared).zip(file.rows()) {
            let number = first + offset;
            let index_tokens = member_index_tokens(&vault, number, row.phone(), row.email());
            new.index_tokens
                .extend(index_tokens.iter().map(|token| (*token, member.id)));
            let mut created = caller.draft(AuditAction::MemberCreated);
            created.objects = vec![member.id.to_string(), format!("member:{number}")];
            created.fields = row_fields(row);
            created.add_detail("imported");
            writer.append_audit(created, now)?;
            if let Some((vehicle, tail)) = member.vehicle {
                new.index_tokens.push((vehicle.plate_token, member.id));
                if let Some(tail) = tail {
                    new.index_tokens.push((tail, member.id));
                }
                writer.append_audit(vehicle_added_draft(&caller, &vehicle), now)?;
                new.vehicles.push(vehicle);
            }
            for (purpose, answer) in [
                (ConsentPurpose::Marketing, row.marketing()),
                (ConsentPurpose::BirthdayOffers, row.birthday_offers()),
            ] {
                if let Some(granted) = answer {
                    new.consents.push((
                        member.id,
                        ConsentRecord {
                            purpose,
                            granted,
                            at: now,
                            staff: caller.staff_id,
                            policy_version: CONSENT_POLICY_VERSION.to_owned(),
                        },
                    ));
                }
            }
            if let Some(entry) = member.points {
                let stats = MemberStats {
                    points_balance: entry.points,
                    ..MemberStats::default()
                };
                new.stats.push((member.id, stats));
                new.ledger.push((member.id, entry));
            }
            names.push((member.id, member.name_tokens));
            new.members.push(MemberRecord {
                id: member.id,
                member_number: number,
                wrapped_key: member.wrapped_key,
                name: member.name,
                phone: member.phone,
                email: member.email,
                birthday: member.birthday,
                notes: member.notes,
                index_tokens,
                created_at: now,
                updated_at: now,
            });
        }
        writer.insert_new_members(new)?;
        let last = first + count - 1;
        let mut draft = caller.draft(AuditAction::MembersImported);
        draft.objects = vec![format!("member:{first}"), format!("member:{last}")];
        draft.fields = report
            .columns
            .iter()
            .map(|column| column.field().to_owned())
            .collect();
        draft.add_detail(format!(
            "{count} members #{first} to #{last}, {} vehicles, {} opening points; {} file sha256 {}",
            report.vehicles, report.points_total, report.encoding, report.sha256_hex
        ));
        writer.append_audit(draft, now)?;
        writer.commit()?;
        self.names.set_many(names);
        self.names_changed();
        report.created = Some((first, last));
        Ok(report)
    }

    /// Records that an import was refused (nothing written): the count of problems and the
    /// file's hash, no values.
    fn audit_refused_import(
        &self,
        caller: &super::Caller,
        report: &ImportReport,
    ) -> Result<(), ServiceError> {
        let mut draft = caller.draft(AuditAction::MembersImported);
        draft.outcome = Outcome::Failed;
        draft.add_detail(format!(
            "refused, nothing written: {} of {} rows with problems, {} duplicates in the file, {} already on members; file sha256 {}",
            report.invalid.len(),
            report.rows_read,
            report.file_duplicates.len(),
            report.store_duplicates.len(),
            report.sha256_hex
        ));
        self.audit_alone(draft)
    }

    /// Seals every row on all cores, chunk by chunk, each chunk from its own seeded stream.
    fn prepare(
        &self,
        vault: &UnlockedVault,
        policy: &PointsPolicy,
        rows: &[ImportRow],
    ) -> Result<Vec<Prepared>, ServiceError> {
        let now = self.clock.now();
        let chunks: Vec<&[ImportRow]> = rows.chunks(CHUNK_ROWS).collect();
        let mut seeds = Vec::with_capacity(chunks.len());
        for _ in &chunks {
            seeds.push(self.entropy.array::<32>()?);
        }
        let workers = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, 8)
            .min(chunks.len().max(1));
        let next = AtomicUsize::new(0);
        let done: Mutex<Vec<ChunkSlot>> = Mutex::new((0..chunks.len()).map(|_| None).collect());
        let work = || {
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                let (Some(chunk), Some(seed)) = (chunks.get(index), seeds.get(index)) else {
                    break;
                };
                let entropy = ChunkEntropy::new(*seed);
                let result = chunk
                    .iter()
                    .map(|row| prepare_row(vault, policy, row, now, &entropy))
                    .collect::<Result<Vec<_>, _>>();
                let mut done = done.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                if let Some(slot) = done.get_mut(index) {
                    *slot = Some(result);
                }
            }
        };
        std::thread::scope(|scope| {
            for _ in 1..workers {
                scope.spawn(work);
            }
            work();
        });
        let done = done
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut prepared = Vec::with_capacity(rows.len());
        for chunk in done {
            match chunk {
                Some(result) => prepared.extend(result?),
                None => {
                    return Err(ServiceError::invalid(
                        "a sealing thread stopped before its part of the file; nothing was written, import the file again",
                    ));
                }
            }
        }
        Ok(prepared)
    }
}

/// Seals one row as `register_member` would: a new id and data key, each field under it,
/// the vehicle's plate under it too, and the opening points as an adjustment lot.
fn prepare_row(
    vault: &UnlockedVault,
    policy: &PointsPolicy,
    row: &ImportRow,
    now: chrono::DateTime<chrono::Utc>,
    entropy: &dyn Entropy,
) -> Result<Prepared, ServiceError> {
    let id = RecordId::generate(now, entropy)?;
    let key = MemberKey::generate(entropy)?;
    let seal = |name: &'static str, text: &str| -> Result<Sealed, ServiceError> {
        Ok(seal_field(
            &key,
            field(MEMBERS_TABLE, name, id),
            text.as_bytes(),
            entropy,
        )?)
    };
    let phone = row.phone().map(|p| p.to_storage_string());
    let birthday = row.birthday().map(|d| d.format("%Y-%m-%d").to_string());
    let vehicle = match row.plate() {
        Some(plate) => {
            let vehicle_id = RecordId::generate(now, entropy)?;
            let record = VehicleRecord {
                id: vehicle_id,
                member_id: id,
                plate: seal_field(
                    &key,
                    field(VEHICLES_TABLE, "plate", vehicle_id),
                    plate.as_bytes(),
                    entropy,
                )?,
                plate_token: vault.blind_index(BlindIndexKind::Plate, plate).to_bytes(),
                kind: row.vehicle_kind(),
                make_model: None,
                colour: None,
                created_at: now,
                updated_at: now,
            };
            Some((record, super::members::plate_tail_token(vault, plate)))
        }
        None => None,
    };
    let points = match row.points() {
        0 => None,
        points => Some(
            plan_adjust(
                &Wallet::new(id),
                points,
                IMPORT_POINTS_REASON,
                now,
                policy,
                entropy,
            )
            .map_err(|e| ServiceError::invalid(e.to_string()))?,
        ),
    };
    Ok(Prepared {
        id,
        wrapped_key: vault.wrap_member_key(&key, id, entropy)?,
        name: seal("name", row.name())?,
        phone: phone
            .as_deref()
            .map(|text| seal("phone", text))
            .transpose()?,
        email: row.email().map(|text| seal("email", text)).transpose()?,
        birthday: birthday
            .as_deref()
            .map(|text| seal("birthday", text))
            .transpose()?,
        notes: row.notes().map(|text| seal("notes", text)).transpose()?,
        vehicle,
        points,
        name_tokens: search_tokens(row.name()),
    })
}

/// The member fields a row gives, named as `register_member` names them in the audit log.
fn row_fields(row: &ImportRow) -> Vec<String> {
    let mut fields = vec!["name".to_owned()];
    for (present, field) in [
        (row.phone().is_some(), "phone"),
        (row.email().is_some(), "email"),
        (row.birthday().is_some(), "birthday"),
        (row.notes().is_some(), "notes"),
    ] {
        if present {
            fields.push(field.to_owned());
        }
    }
    fields
}

/// Each row's line with the blind tokens of its phone (national digits, as duplicates are
/// judged), email and plate.
fn duplicate_tokens(vault: &UnlockedVault, rows: &[ImportRow]) -> Vec<RowTokens> {
    rows.iter()
        .map(|row| {
            let mut tokens = Vec::with_capacity(3);
            if let Some(phone) = row.phone() {
                let token = vault.blind_index(BlindIndexKind::PhoneFull, phone.national());
                tokens.push((UniqueField::Phone, token.to_bytes()));
            }
            if let Some(email) = row.email() {
                let token = vault.blind_index(BlindIndexKind::Email, email);
                tokens.push((UniqueField::Email, token.to_bytes()));
            }
            if let Some(plate) = row.plate() {
                let token = vault.blind_index(BlindIndexKind::Plate, plate);
                tokens.push((UniqueField::Plate, token.to_bytes()));
            }
            (row.line(), tokens)
        })
        .collect()
}

/// The rows whose phone, email or plate some member in the store already has.
fn store_duplicates(
    reader: &impl ReadAccess,
    lookups: &[RowTokens],
) -> Result<Vec<StoreDuplicate>, ServiceError> {
    let mut numbers: std::collections::HashMap<RecordId, Option<u64>> =
        std::collections::HashMap::new();
    let mut found = Vec::new();
    for (line, tokens) in lookups {
        for (field, token) in tokens {
            for id in reader.ids_for_token(token)? {
                let number = match numbers.get(&id) {
                    Some(number) => *number,
                    None => {
                        let number = reader.member(id)?.map(|m| m.member_number);
                        numbers.insert(id, number);
                        number
                    }
                };
                // An index entry whose member is gone names no one.
                if let Some(member_number) = number {
                    found.push(StoreDuplicate {
                        line: *line,
                        field: *field,
                        member_number,
                    });
                }
            }
        }
    }
    Ok(found)
}

fn preview(masker: &Masker, row: &ImportRow, today: chrono::NaiveDate) -> ImportPreviewRow {
    ImportPreviewRow {
        line: row.line(),
        name: masker.name(row.name()),
        phone: row.phone().map(|p| masker.phone(p)),
        email: row.email().map(|e| masker.email(e)),
        plate: row.plate().map(|p| masker.plate(p)),
        vehicle_kind: row.plate().map(|_| row.vehicle_kind()),
        birthday: row.birthday().map(|b| masker.birthday(b, today)),
        points: row.points(),
        notes: row.notes().map(|n| masker.notes(n)),
        marketing: row.marketing(),
        birthday_offers: row.birthday_offers(),
    }
}
