//! A customer's right to see their data (SPEC section 8): one member's complete record — the
//! profile in full, vehicles, visits with their receipts and refunds, purchases, the points
//! ledger, bookings, plans and packages, consents, and which staff opened the record — for a
//! manager after a fresh authenticator code, as JSON or a printable report.
//!
//! Nothing about anyone else goes in: the report is gathered from this member's own links
//! (their vehicles, visits, bookings, plans, packages, ledger and consents), never from a bay,
//! a slot or a day, so no other customer's booking or id can slip in. Staff appear by user
//! name only. Every export is audited with the member and the format, never a value.

pub mod render;
pub mod report;

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use chrono_tz::Tz;

use super::points::{stats_of, wallet_of};
use super::{Caller, Service, ServiceError, Session};
use crate::audit::{AuditAction, Origin, Outcome, decode};
use crate::domain::access::Operation;
use crate::domain::catalog::{Bay, ServiceItem};
use crate::domain::checkout::Coverage;
use crate::domain::currency::Currency;
use crate::domain::loyalty::{EntryKind, tier_for};
use crate::domain::plans::{Package, Plan};
use crate::domain::price_list::Product;
use crate::domain::receipt::ReceiptLanguage;
use crate::domain::sanitize::{sanitize_line, sanitize_multiline};
use crate::domain::tax::TaxAmount;
use crate::domain::tender::Tender;
use crate::ids::RecordId;
use crate::private_file::{self, Existing, PrivateFile};
use crate::store::records::{
    BookingRecord, BookingState, ConsentPurpose, MemberRecord, SaleKind, SaleRecord, VisitRecord,
};
use crate::store::schema::{
    BAYS, BOOKINGS, MEMBER_BOOKINGS, MEMBER_PACKAGES, MEMBER_PLANS, MEMBER_VISITS, PACKAGES, PLANS,
    PRODUCTS, SALES, SERVICES, VISITS,
};
use crate::store::{ReadAccess, StoreReader, decode_record};
use crate::vault::BlindIndexKind;
use report::{
    AccessPart, Amount, BookingPart, ConsentPart, LedgerPart, LinePart, LotPart,
    MemberAccessReport, PackagePart, PaymentPart, PlanPart, PointsPart, Profile, PurchasePart,
    RefundLinePart, RefundPart, ShopPart, TaxPart, VehiclePart, VisitPart, VoidPart, When,
};

/// The folder under the data directory that the desk suggests for member data exports.
pub const EXPORTS_DIR: &str = "exports";

/// The personal fields an export reads, for its audit entry (names only).
const EXPORTED_FIELDS: &[&str] = &[
    "name",
    "phone",
    "email",
    "birthday",
    "notes",
    "plate",
    "cancel_reason",
];

/// How the member's data is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// Machine-readable, with the field names documented in the README.
    Json,
    /// A printable report in the requesting manager's language.
    Text,
}

impl ExportFormat {
    pub const ALL: [ExportFormat; 2] = [ExportFormat::Json, ExportFormat::Text];

    /// The name the audit log records.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::Json => "json",
            ExportFormat::Text => "text",
        }
    }

    /// The file name extension that selects this format.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Json => "json",
            ExportFormat::Text => "txt",
        }
    }

    /// The format a file name asks for by its extension: `.json` or `.txt`.
    pub fn from_path(path: &Path) -> Result<ExportFormat, ServiceError> {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        Self::ALL
            .into_iter()
            .find(|format| extension.as_deref() == Some(format.extension()))
            .ok_or_else(|| {
                ServiceError::invalid(format!(
                    "{} does not end in .json or .txt; name the file FILE.json for the data as JSON, or FILE.txt for a printable report",
                    sanitize_line(&path.display().to_string())
                ))
            })
    }
}

/// `member-100001-2026-11-23.json`: the name the desk suggests for an export.
pub fn export_file_name(member_number: u64, date: NaiveDate, format: ExportFormat) -> String {
    format!(
        "member-{member_number}-{}.{}",
        date.format("%Y-%m-%d"),
        format.extension()
    )
}

/// A member's data written to a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportedFile {
    pub path: PathBuf,
    pub format: ExportFormat,
    pub member_number: u64,
    pub bytes: u64,
}

/// Words the report uses for codes kept in the store.
fn purpose_code(purpose: ConsentPurpose) -> &'static str {
    purpose.as_str()
}

fn entry_code(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Earn => "earn",
        EntryKind::Redeem => "redeem",
        EntryKind::Adjust => "adjust",
        EntryKind::Expire => "expire",
        EntryKind::Reverse => "reverse",
    }
}

fn origin_code(origin: &Origin) -> &'static str {
    match origin {
        Origin::Local => "counter",
        Origin::Ssh { .. } => "ssh",
        Origin::Cli { .. } => "command_line",
    }
}

/// What gathering reads once and uses throughout: the shop's zone and currency, and names.
struct Gather<'a> {
    reader: &'a StoreReader,
    tz: Tz,
    currency: Currency,
    staff_names: HashMap<RecordId, String>,
    service_names: HashMap<RecordId, String>,
    /// The member's own vehicles' plates, by vehicle id. Plates of any other vehicle are
    /// never opened.
    plates: HashMap<RecordId, String>,
}

impl Gather<'_> {
    fn when(&self, at: chrono::DateTime<chrono::Utc>) -> When {
        When::new(self.tz, at)
    }

    fn amount(&self, money: crate::domain::money::Money) -> Amount {
        Amount::new(money, &self.currency)
    }

    fn staff(&mut self, id: RecordId) -> Result<String, ServiceError> {
        if let Some(name) = self.staff_names.get(&id) {
            return Ok(name.clone());
        }
        let name = self
            .reader
            .staff(id)?
            .map_or_else(|| id.to_string(), |staff| sanitize_line(&staff.username));
        self.staff_names.insert(id, name.clone());
        Ok(name)
    }

    fn service(&mut self, id: RecordId) -> Result<String, ServiceError> {
        if let Some(name) = self.service_names.get(&id) {
            return Ok(name.clone());
        }
        let name = self
            .reader
            .get::<ServiceItem>(SERVICES, id, "service")?
            .map_or_else(|| "?".to_owned(), |service| sanitize_line(&service.name));
        self.service_names.insert(id, name.clone());
        Ok(name)
    }

    fn plate(&self, vehicle: Option<RecordId>) -> Option<String> {
        vehicle.and_then(|id| self.plates.get(&id).cloned())
    }

    fn product(&self, id: Option<RecordId>) -> Result<Option<String>, ServiceError> {
        Ok(id
            .map(|id| self.reader.get::<Product>(PRODUCTS, id, "product"))
            .transpose()?
            .flatten()
            .map(|product| sanitize_line(product.name())))
    }

    fn taxes(&self, taxes: &[TaxAmount]) -> Vec<TaxPart> {
        taxes
            .iter()
            .map(|tax| TaxPart {
                name: sanitize_line(&tax.name),
                rate_basis_points: tax.basis_points,
                amount: self.amount(tax.amount),
            })
            .collect()
    }

    fn payments(&self, tenders: &[Tender]) -> Vec<PaymentPart> {
        tenders
            .iter()
            .map(|tender| PaymentPart {
                method: tender.method.as_str(),
                amount: self.amount(tender.amount),
                tendered: tender
                    .tendered
                    .filter(|given| *given != tender.amount)
                    .map(|given| self.amount(given)),
                change: self.amount(tender.change),
            })
            .collect()
    }

    fn visit(&mut self, visit: &VisitRecord) -> Result<VisitPart, ServiceError> {
        let priced = &visit.priced;
        let mut lines = Vec::new();
        for line in &priced.lines {
            lines.push(LinePart {
                service: sanitize_line(&line.name),
                quantity: line.quantity,
                unit_price: self.amount(line.unit_price),
                amount: self.amount(line.amount),
                covered_by: line.covered_by.as_ref().map(|coverage| match coverage {
                    Coverage::Plan(_) => "plan",
                    Coverage::Package(_) => "package",
                    Coverage::Reward(_) => "points_reward",
                }),
                price_adjusted: line.overridden,
            });
        }
        let mut refunds = Vec::new();
        for refund in &visit.refunds {
            refunds.push(RefundPart {
                at: self.when(refund.at),
                receipt_number: refund.receipt_number,
                amount: self.amount(refund.amount),
                lines: refund
                    .lines
                    .iter()
                    .map(|line| RefundLinePart {
                        service: usize::try_from(line.line)
                            .ok()
                            .and_then(|index| priced.lines.get(index))
                            .map_or_else(|| "?".to_owned(), |l| sanitize_line(&l.name)),
                        quantity: line.quantity,
                    })
                    .collect(),
                payments: self.payments(&refund.tenders),
                points_reversed: refund.points_reversed,
                points_restored: refund.points_restored,
                reason: sanitize_line(&refund.reason),
            });
        }
        Ok(VisitPart {
            at: self.when(visit.at),
            receipt_number: visit.receipt_number,
            vehicle_plate: self.plate(visit.vehicle),
            served_by: self.staff(visit.staff)?,
            lines,
            subtotal: self.amount(priced.subtotal),
            discount: self.amount(priced.discount),
            points_used: priced.points_used,
            points_value: self.amount(priced.points_value),
            total: self.amount(priced.total),
            tax_included: priced.tax.included,
            taxes: self.taxes(&priced.tax.taxes),
            amount_due: self.amount(priced.amount_due),
            tip: self.amount(visit.settlement.tip),
            cash_rounding: self.amount(visit.settlement.cash_rounding),
            charged: self.amount(visit.settlement.charged),
            payments: self.payments(&visit.settlement.tenders),
            points_earned: visit.points_earned,
            points_redeemed: visit.points_redeemed,
            adjustment_reason: visit.adjustment_reason.as_deref().map(sanitize_line),
            voided: visit.voided.as_ref().map(|void| VoidPart {
                at: self.when(void.at),
                reason: sanitize_line(&void.reason),
            }),
            refunds,
        })
    }
}

/// The lowest id made in the same millisecond as `id`: ids sort by time, then at random.
fn first_id_of_millisecond(id: RecordId) -> u128 {
    (id.as_u128() >> 80) << 80
}

impl Service {
    /// The member with this number, for a front end that was given the number (the command
    /// line). Any staff may look a number up; what they may then do is checked by that call.
    pub fn find_member_by_number(
        &self,
        session: &Session,
        number: u64,
    ) -> Result<RecordId, ServiceError> {
        self.authorize(session, Operation::SearchMembers)?;
        let vault = self.unlocked_vault()?;
        let reader = self.store.read()?;
        let token = vault.blind_index(BlindIndexKind::MemberNumber, &number.to_string());
        for id in reader.ids_for_token(&token.to_bytes())? {
            if reader
                .member(id)?
                .is_some_and(|member| member.member_number == number)
            {
                return Ok(id);
            }
        }
        if let Some(tombstone) = reader.member_tombstone_by_number(number)? {
            let gone = super::tombstones::tombstone_view(&reader, &tombstone)?;
            return Err(ServiceError::invalid(super::tombstones::gone_sentence(
                &gone,
            )));
        }
        Err(ServiceError::invalid(format!(
            "there is no member number {number}; check the number on the member's card or search for the member at the desk"
        )))
    }

    /// Whether this session may export a member's data now (a manager within a few minutes of
    /// a fresh code). A refusal by role is audited, as the export's own would be.
    pub fn check_member_export(&self, session: &Session) -> Result<(), ServiceError> {
        self.authorize(session, Operation::ExportMemberData)
            .map(drop)
    }

    /// One member's complete data, for a manager after a fresh code. Audited as an export
    /// handed to the front end (`format: view`).
    pub fn member_access_report(
        &self,
        session: &Session,
        member: RecordId,
    ) -> Result<MemberAccessReport, ServiceError> {
        let caller = self.authorize(session, Operation::ExportMemberData)?;
        let report = self.gather_access_report(member)?;
        self.audit_export(&caller, member, report.member.member_number, "view")?;
        Ok(report)
    }

    /// Writes one member's complete data to `destination` as a new private file (0600; an
    /// existing file is replaced only with [`Existing::Replace`]), in `format`: JSON, or the
    /// text report in the caller's language. A destination inside [`Service::exports_dir`]
    /// gets that folder made (0700) when missing. The export is audited with the member and
    /// the format before the file takes its name, so no file is made without its trace.
    pub fn export_member_data(
        &self,
        session: &Session,
        member: RecordId,
        format: ExportFormat,
        destination: &Path,
        existing: Existing,
    ) -> Result<ExportedFile, ServiceError> {
        let caller = self.authorize(session, Operation::ExportMemberData)?;
        let report = self.gather_access_report(member)?;
        let text = match format {
            ExportFormat::Json => render::to_json(&report).map_err(|err| {
                ServiceError::invalid(format!(
                    "the member's data could not be written as JSON ({err}); write a .txt report instead"
                ))
            })?,
            ExportFormat::Text => render::to_text(&report, self.language_of(&caller)?),
        };
        if destination.parent() == Some(self.exports_dir().as_path()) {
            private_file::create_private_dir(&self.exports_dir())?;
        }
        let mut file = PrivateFile::create(destination, existing)?;
        file.write_all(text.as_bytes()).map_err(|err| {
            ServiceError::File(private_file::PrivateFileError::Io {
                doing: "write",
                path: file.partial().to_path_buf(),
                reason: err.to_string(),
            })
        })?;
        let number = report.member.member_number;
        self.audit_export(&caller, member, number, format.as_str())?;
        file.commit()?;
        Ok(ExportedFile {
            path: destination.to_path_buf(),
            format,
            member_number: number,
            bytes: u64::try_from(text.len()).unwrap_or(u64::MAX),
        })
    }

    /// Where the desk suggests saving exports: `exports/` beside the store file.
    pub fn exports_dir(&self) -> PathBuf {
        self.store.local_dir().join(EXPORTS_DIR)
    }

    /// A path typed at the desk: a relative one is inside the data directory, where the
    /// suggested `exports/…` name points.
    pub fn export_path(&self, typed: &Path) -> PathBuf {
        if typed.is_absolute() {
            typed.to_path_buf()
        } else {
            self.store.local_dir().join(typed)
        }
    }

    fn audit_export(
        &self,
        caller: &Caller,
        member: RecordId,
        member_number: u64,
        format: &str,
    ) -> Result<(), ServiceError> {
        let mut draft = caller
            .draft(AuditAction::MemberExported)
            .with_object(member)
            .with_object(format!("member:{member_number}"))
            .with_fields(EXPORTED_FIELDS);
        draft.add_detail(format!("format: {format}"));
        self.audit_alone(draft)
    }

    /// The caller's screen language, which the text report is written in.
    fn language_of(&self, caller: &Caller) -> Result<ReceiptLanguage, ServiceError> {
        Ok(self
            .store
            .read()?
            .staff(caller.staff_id)?
            .and_then(|staff| staff.preferences.language)
            .and_then(|tag| ReceiptLanguage::from_tag(&tag))
            .unwrap_or_default())
    }

    /// Reads everything about `member` from one consistent snapshot.
    fn gather_access_report(&self, member: RecordId) -> Result<MemberAccessReport, ServiceError> {
        let vault = self.unlocked_vault()?;
        let settings = self.settings()?;
        let tz = self.shop_zone()?;
        let policy = self.points_policy()?;
        let now = self.clock.now();
        let reader = self.store.read()?;
        let record = reader
            .member(member)?
            .ok_or(ServiceError::NotFound("member"))?;
        let (key, opened) = Self::open_member_fields(&vault, &record)?;
        let mut vehicles = Vec::new();
        let mut plates = HashMap::new();
        for vehicle in reader.vehicles_of(member)? {
            if vehicle.member_id != member {
                continue;
            }
            let plate = sanitize_line(&Self::open_plate(&key, &vehicle)?);
            plates.insert(vehicle.id, plate.clone());
            vehicles.push(VehiclePart {
                plate,
                kind: vehicle.kind.as_str(),
                make_model: vehicle.make_model.as_deref().map(sanitize_line),
                colour: vehicle.colour.as_deref().map(sanitize_line),
                added_at: When::new(tz, vehicle.created_at),
            });
        }
        let mut gather = Gather {
            reader: &reader,
            tz,
            currency: settings.currency.clone(),
            staff_names: HashMap::new(),
            service_names: HashMap::new(),
            plates,
        };

        let mut visit_records: Vec<VisitRecord> = reader
            .get_linked::<VisitRecord>(MEMBER_VISITS, VISITS, member, "visit")?
            .into_iter()
            .filter(|visit| visit.member == Some(member))
            .collect();
        visit_records.sort_by_key(|visit| std::cmp::Reverse(visit.at));
        let mut visits = Vec::new();
        for visit in &visit_records {
            visits.push(gather.visit(visit)?);
        }
        let receipt_of: HashMap<RecordId, Option<u64>> = visit_records
            .iter()
            .map(|visit| (visit.id, visit.receipt_number))
            .collect();

        let plans: Vec<Plan> = reader
            .get_linked::<Plan>(MEMBER_PLANS, PLANS, member, "plan")?
            .into_iter()
            .filter(|plan| plan.member == member)
            .collect();
        let packages: Vec<Package> = reader
            .get_linked::<Package>(MEMBER_PACKAGES, PACKAGES, member, "package")?
            .into_iter()
            .filter(|package| package.member == member)
            .collect();
        let sales = self.sales_of(&reader, member, &plans, &packages)?;
        let mut purchases = Vec::new();
        let mut package_products = HashMap::new();
        for sale in &sales {
            let kind = match sale.kind {
                SaleKind::PlanSold { .. } => "plan_sold",
                SaleKind::PlanRenewed { .. } => "plan_renewed",
                SaleKind::PackageSold { package } => {
                    package_products.insert(package, sale.product);
                    "package_sold"
                }
            };
            let item = gather.product(sale.product)?.unwrap_or_else(|| {
                if sale.kind.is_plan() {
                    "Plan".to_owned()
                } else {
                    "Package".to_owned()
                }
            });
            purchases.push(PurchasePart {
                at: gather.when(sale.at),
                receipt_number: sale.receipt_number,
                kind,
                item,
                amount: gather.amount(sale.amount),
                taxes: gather.taxes(&sale.tax.taxes),
                charged: gather.amount(sale.settlement.charged),
                payments: gather.payments(&sale.settlement.tenders),
                sold_by: gather.staff(sale.staff)?,
            });
        }

        let mut plan_parts = Vec::new();
        for plan in &plans {
            let mut services = Vec::new();
            for service in &plan.services {
                services.push(gather.service(*service)?);
            }
            plan_parts.push(PlanPart {
                product: gather.product(plan.product)?,
                services,
                vehicle_plate: gather.plate(Some(plan.vehicle)),
                valid_from: plan.valid_from,
                valid_until: plan.valid_until,
                washes_per_day: plan.washes_per_day,
                months_per_term: plan.months_per_term,
                price_per_term: gather.amount(plan.price_per_term),
                status: plan.status.as_str(),
            });
        }
        let mut package_parts = Vec::new();
        for package in &packages {
            package_parts.push(PackagePart {
                product: gather.product(package_products.get(&package.id).copied().flatten())?,
                service: gather.service(package.service)?,
                washes_total: package.total,
                washes_remaining: package.remaining,
                expires_on: package.expires_on,
            });
        }

        let (wallet, entries) = wallet_of(&reader, member)?;
        let mut lots: Vec<LotPart> = entries
            .iter()
            .filter_map(|entry| entry.lot.as_ref())
            .map(|lot| LotPart {
                earned_at: gather.when(lot.earned_at),
                expires_at: gather.when(lot.expires_at),
                points: lot.points,
                remaining: wallet.lot(lot.id).map_or(0, |balance| balance.remaining),
            })
            .collect();
        lots.sort_by_key(|lot| (lot.expires_at.utc, lot.earned_at.utc));
        let ledger = entries
            .iter()
            .map(|entry| LedgerPart {
                at: gather.when(entry.at),
                kind: entry_code(entry.kind),
                points: entry.points,
                receipt_number: entry
                    .visit
                    .and_then(|visit| receipt_of.get(&visit).copied().flatten()),
                reason: entry.reason.as_deref().map(sanitize_line),
            })
            .collect();

        let mut booking_records: Vec<BookingRecord> = reader
            .get_linked::<BookingRecord>(MEMBER_BOOKINGS, BOOKINGS, member, "booking")?
            .into_iter()
            .filter(|booking| booking.member == Some(member))
            .collect();
        booking_records.sort_by_key(|booking| std::cmp::Reverse(booking.start));
        let mut bookings = Vec::new();
        for booking in &booking_records {
            let (state, state_at, cancel_reason) = match &booking.state {
                BookingState::Booked => ("booked", None, None),
                BookingState::CheckedIn { at } => ("checked_in", Some(*at), None),
                BookingState::Completed { .. } => ("completed", None, None),
                BookingState::Cancelled { at, reason } => (
                    "cancelled",
                    Some(*at),
                    Some(sanitize_line(&super::bookings::shown_cancel_reason(
                        &vault, booking.id, reason,
                    ))),
                ),
                BookingState::NoShow { at } => ("no_show", Some(*at), None),
            };
            bookings.push(BookingPart {
                start: gather.when(booking.start),
                end: gather.when(booking.end),
                service: gather.service(booking.service)?,
                bay: reader
                    .get::<Bay>(BAYS, booking.bay, "bay")?
                    .map_or_else(|| "?".to_owned(), |bay| sanitize_line(&bay.name)),
                vehicle_plate: gather.plate(booking.vehicle),
                walk_in: booking.walk_in,
                state,
                state_at: state_at.map(|at| gather.when(at)),
                cancel_reason,
                booked_at: gather.when(booking.created_at),
            });
        }

        let mut consents = Vec::new();
        for consent in reader.consents(member)? {
            consents.push(ConsentPart {
                purpose: purpose_code(consent.purpose),
                granted: consent.granted,
                at: gather.when(consent.at),
                recorded_by: gather.staff(consent.staff)?,
                policy_version: sanitize_line(&consent.policy_version),
            });
        }

        let stats = stats_of(&reader, member)?;
        let rolling = stats.spend.total(now);
        let record_access = self.record_access(&reader, &record, tz)?;
        let profile = Profile {
            record_id: record.id.to_string(),
            member_number: record.member_number,
            name: sanitize_line(&opened.name),
            phone: opened
                .phone
                .as_ref()
                .map(|phone| sanitize_line(&phone.to_storage_string())),
            email: opened.email.as_deref().map(sanitize_line),
            birthday: opened.birthday,
            notes: opened.notes.as_deref().map(sanitize_multiline),
            tier: sanitize_line(&tier_for(rolling, &policy).name),
            points_balance: wallet.balance(),
            rolling_spend: gather.amount(crate::domain::money::Money::from_minor(rolling)),
            visit_count: stats.visits,
            last_visit_at: stats.last_visit_at.map(|at| gather.when(at)),
            member_since: gather.when(record.created_at),
            updated_at: gather.when(record.updated_at),
        };
        Ok(MemberAccessReport {
            format: report::FORMAT_NAME,
            format_version: report::FORMAT_VERSION,
            generated_at: When::new(tz, now),
            shop: ShopPart {
                name: sanitize_line(&settings.shop_name),
                timezone: settings.timezone.clone(),
                currency: settings.currency.code().to_owned(),
            },
            member: profile,
            vehicles,
            visits,
            purchases,
            points: PointsPart {
                balance: wallet.balance(),
                lots,
                entries: ledger,
            },
            bookings,
            plans: plan_parts,
            packages: package_parts,
            consents,
            record_access,
        })
    }

    /// The member's plan and package sales and renewals, newest first. Each sale was made when
    /// or after its plan or package was created (in the same millisecond at the earliest), so
    /// only sales from the oldest of them on are read.
    fn sales_of(
        &self,
        reader: &StoreReader,
        member: RecordId,
        plans: &[Plan],
        packages: &[Package],
    ) -> Result<Vec<SaleRecord>, ServiceError> {
        let oldest = plans
            .iter()
            .map(|plan| plan.id)
            .chain(packages.iter().map(|package| package.id))
            .min();
        let Some(oldest) = oldest else {
            return Ok(Vec::new());
        };
        let mut sales = Vec::new();
        let mut failure = None;
        reader.scan_id_range(
            SALES,
            first_id_of_millisecond(oldest),
            u128::MAX,
            &mut |_, bytes| {
                match decode_record::<SaleRecord>("sale", bytes) {
                    Ok(sale) if sale.member == member => sales.push(sale),
                    Ok(_) => {}
                    Err(err) => {
                        failure.get_or_insert(err);
                    }
                }
                Ok(())
            },
        )?;
        if let Some(err) = failure {
            return Err(err.into());
        }
        sales.sort_by_key(|sale| std::cmp::Reverse(sale.at));
        Ok(sales)
    }

    /// Who opened or exported this member's record, oldest first, from the audit log: read
    /// from the newest entry back to the one that created the member (or the log's start).
    fn record_access(
        &self,
        reader: &StoreReader,
        record: &MemberRecord,
        tz: Tz,
    ) -> Result<Vec<AccessPart>, ServiceError> {
        let id = record.id.to_string();
        let mut found = Vec::new();
        reader.scan_audit_back(None, &mut |_, bytes| {
            // A damaged entry is `frontdesk verify`'s to report; the rest still counts.
            let Ok(entry) = decode(bytes) else {
                return true;
            };
            let about_member = entry.objects.first() == Some(&id);
            if !about_member {
                return true;
            }
            if entry.action == AuditAction::MemberCreated {
                return false;
            }
            let action = match entry.action {
                AuditAction::MemberOpened => "opened",
                AuditAction::MemberExported => "exported",
                _ => return true,
            };
            if entry.outcome != Outcome::Ok {
                return true;
            }
            let staff = match &entry.actor {
                crate::audit::Actor::Staff { username, .. } => sanitize_line(username),
                other => sanitize_line(&other.to_string()),
            };
            found.push(AccessPart {
                at: When::new(tz, entry.at),
                staff,
                action,
                origin: origin_code(&entry.origin),
            });
            true
        })?;
        found.reverse();
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_name_says_the_format() {
        assert_eq!(
            ExportFormat::from_path(Path::new("/tmp/Alice.JSON")).unwrap(),
            ExportFormat::Json
        );
        assert_eq!(
            ExportFormat::from_path(Path::new("report.txt")).unwrap(),
            ExportFormat::Text
        );
        for refused in ["data.csv", "data", "json", ".txt.gz"] {
            let err = ExportFormat::from_path(Path::new(refused)).unwrap_err();
            assert!(
                err.to_string().contains(".json or .txt"),
                "{refused}: {err}"
            );
        }
    }

    #[test]
    fn suggested_names_sort_by_member_and_day() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(
            export_file_name(100001, day, ExportFormat::Json),
            "member-100001-2026-11-23.json"
        );
        assert_eq!(
            export_file_name(100001, day, ExportFormat::Text),
            "member-100001-2026-11-23.txt"
        );
    }

    #[test]
    fn origins_are_named_without_addresses() {
        let ssh = Origin::Ssh {
            peer: "203.0.113.9:50000".to_owned(),
        };
        assert_eq!(origin_code(&ssh), "ssh");
        assert_eq!(origin_code(&Origin::Local), "counter");
    }
}
