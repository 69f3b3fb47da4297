//! The service layer: the only API front ends call. It owns sessions, checks the permission
//! matrix, masks personal data for the caller's role, and writes the audit trail — each
//! change and its audit entry in one transaction.

mod alerts;
mod approval;
mod audit_log;
mod backup;
mod backup_runs;
mod board;
mod bookings;
mod catalog;
mod checkout;
mod checkout_preview;
mod consents;
pub mod data_access;
mod demo;
mod drawer;
mod duplicates;
mod enrolment;
mod erasure;
mod erasure_ledger;
mod error;
pub mod integrity;
mod login;
mod login_gate;
mod member_import;
mod member_merge;
mod members;
mod name_search;
mod plans;
mod points;
mod pseudonymised;
mod receipts;
mod refunds;
mod reports;
mod restore;
mod retention;
mod session;
mod setup;
mod sites;
mod ssh_keys;
mod staff;
mod till;
mod till_integrity;
mod tombstones;
mod views;

use std::sync::{Arc, RwLock};

use chrono::{DateTime, Utc};

use crate::audit::{Actor, AuditAction, AuditDraft, Origin, Outcome};
use crate::auth::session_rules::SessionState;
use crate::clock::Clock;
use crate::domain::access::{Operation, Role, Rule};
use crate::entropy::Entropy;
use crate::ids::RecordId;
use crate::store::records::ShopSettings;
use crate::store::{ChangeNotice, ReadAccess, Store, StoreWriter};
use crate::vault::UnlockedVault;

pub use crate::domain::reports::{
    DayTotals, FREQUENCY_BUCKETS, Period, PeriodError, PeriodKind, RangeFigures, ReportName,
};
/// What a receipt number was issued for, as stored.
pub use crate::store::records::ReceiptFor;
/// Stored types the service's API takes and returns as they are.
pub use crate::store::records::{ConsentPurpose, StaffPreferences};
pub use alerts::{
    ALERT_LIST_LIMIT, ALERT_NOTE_MAX, AlertCounts, AlertDetail, AlertView, raise_system_alert_in,
};
pub use approval::APPROVAL_VALIDITY;
pub use audit_log::{
    AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX, AUDIT_SCAN_BUDGET, AuditEntryView, AuditFilter, AuditPage,
    AuditVerification,
};
#[doc(hidden)]
pub use backup::read_backup_bytes_for_fuzzing;
pub use backup::{BackupError, BackupSummary, ReadOnlyBackup};
pub use backup_runs::{
    BackupFailureRecord, BackupPhase, BackupProgress, BackupRunRecord, BackupRunReport,
    BackupStatus, DEFAULT_BACKUP_DIR,
};
pub use board::{BookingLabel, CustomerLabel, MemberCard, VehicleChoice};
pub use bookings::{BayDay, HeldSpan, OpenStart};
pub use bookings::{BookingRequest, BookingView, LocalStart, SlotOffer};
pub use catalog::{BayInput, ServiceInput};
pub use checkout::{CheckoutInput, CheckoutLine, CheckoutReceipt, PointsUse, VisitView};
pub use checkout_preview::{CheckoutPreview, SettleError};
pub use consents::{CONSENT_POLICY_VERSION, ConsentView};
pub use data_access::report::MemberAccessReport;
pub use data_access::{EXPORTS_DIR, ExportFormat, ExportedFile, export_file_name};
pub use demo::{
    DemoCounts, DemoLogin, DemoLookup, DemoOptions, DemoProgress, DemoReport, DemoStage,
    LookupKind, MAX_DEMO_MEMBERS,
};
pub use drawer::{MovementView, ShiftView};
pub use duplicates::{DuplicateField, DuplicateMatch, DuplicateReport, OnDuplicate};
pub use erasure::{ERASED_CANCEL_REASON, ErasureReceipt};
pub use erasure_ledger::{ERASURE_LEDGER_FILE, ledger_path_beside};
pub use error::ServiceError;
pub use login::{LoginRequest, SecondFactor};
pub use member_import::{
    Column, FileDuplicate, FileEncoding, IMPORT_POINTS_REASON, ImportFileError, ImportPreviewRow,
    ImportReport, ImportRequest, ImportRow, ImportRows, PREVIEW_ROWS, RowProblem, StoreDuplicate,
    UniqueField,
};
pub use member_merge::{MergePreview, MergeReceipt, MergeSide};
pub use members::{Change, MemberInput, MemberUpdate, NewMember, VehicleInput};
pub use plans::{PackageSale, PlanSale, SaleReceipt, SoldPackage, SoldPlan};
pub use points::PointsView;
pub use pseudonymised::{PseudonymisedExport, PseudonymisedRequest, pseudonymised_file_name};
pub use receipts::{
    PRINT_TIMEOUT, PrintError, PrintOutcome, RECEIPTS_DIR, ReceiptView, receipt_file_name,
};
pub use refunds::{RefundInput, RefundPreview, RefundReceipt, RefundableLine, VisitRefundDetail};
pub use reports::{
    BayUse, MemberFigures, PeriodSummary, RangeReport, ReportTable, ServiceUse, percent_text,
    report_table,
};
pub use reports::{MethodTally, SalesTally, StaffTakings, TakingsReport, Tally, TaxTally};
pub use restore::{
    RestoreRequest, RestoreSummary, check_backup_restores, check_restore_target, restore_backup,
    restore_backup_file,
};
pub use retention::{RetentionCandidate, RetentionOutcome, RetentionReport};
pub use session::{EnrolmentStep, Session, SessionInfo, SessionStatus};
pub use setup::{
    InitialSetup, StaffCredentials, UnfinishedSetup, check_unfinished_setup_discardable,
};
pub use sites::SiteOf;
pub use ssh_keys::{MAX_SSH_KEYS_PER_STAFF, SshKeyView, SshKeysView};
pub use staff::{LANGUAGES, NewStaff, StaffSummary, TEMPORARY_PASSWORD_VALIDITY, TemporaryLogin};
pub use tombstones::{GoneReason, MemberLookup, TombstoneView, gone_sentence};
pub use views::{BirthdayView, MemberDetail, MemberSummary, SearchResults, ShownText, VehicleView};

use login_gate::LoginGate;
use name_search::NameSearch;
use session::SessionRegistry;

pub struct Service {
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    entropy: Arc<dyn Entropy>,
    /// The unwrapped store key and what derives from it; `None` until a staff login.
    vault: RwLock<Option<Arc<UnlockedVault>>>,
    names: Arc<NameSearch>,
    sessions: SessionRegistry,
    login_gate: LoginGate,
    approvals: approval::Approvals,
    backup_runs: backup_runs::BackupRunLock,
    /// The site of the chain this process works at (set once at startup; see
    /// [`Service::at_site`]).
    site: crate::domain::site::SiteIndex,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("store", &self.store)
            .field("unlocked", &self.vault_if_unlocked().is_some())
            .field("sessions", &self.sessions.count())
            .finish()
    }
}

/// The authorised caller of one service call.
#[derive(Debug, Clone)]
struct Caller {
    staff_id: RecordId,
    username: String,
    role: Role,
    origin: Origin,
    /// The manager who approved this one call at the caller's screen.
    approved_by: Option<Approver>,
    /// The site the call is made at (the service's).
    site: crate::domain::site::SiteIndex,
}

/// A manager who approved a cashier's action at the cashier's screen.
#[derive(Debug, Clone)]
struct Approver {
    staff_id: RecordId,
    username: String,
}

impl Caller {
    fn actor(&self) -> Actor {
        Actor::Staff {
            staff_id: self.staff_id,
            username: self.username.clone(),
        }
    }

    fn draft(&self, action: AuditAction) -> AuditDraft {
        AuditDraft {
            actor: self.actor(),
            origin: self.origin.clone(),
            action,
            outcome: Outcome::Ok,
            objects: Vec::new(),
            fields: Vec::new(),
            detail: self
                .approved_by
                .as_ref()
                .map(|manager| format!("approved by manager {}", manager.username)),
            site: self.site,
        }
    }

    /// The approving manager's id, for the record the approved action writes.
    fn approver_id(&self) -> Option<RecordId> {
        self.approved_by.as_ref().map(|manager| manager.staff_id)
    }
}

impl Service {
    /// Serves an existing store. Nothing personal can be read until a staff member logs in.
    pub fn new(store: Store, clock: Arc<dyn Clock>, entropy: Arc<dyn Entropy>) -> Self {
        Self::new_shared(Arc::new(store), clock, entropy)
    }

    fn new_shared(store: Arc<Store>, clock: Arc<dyn Clock>, entropy: Arc<dyn Entropy>) -> Self {
        Self {
            store,
            clock,
            entropy,
            vault: RwLock::new(None),
            names: Arc::new(NameSearch::default()),
            sessions: SessionRegistry::default(),
            login_gate: LoginGate::default(),
            approvals: approval::Approvals::default(),
            backup_runs: backup_runs::BackupRunLock::default(),
            site: crate::domain::site::FIRST_SITE,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Follows what other processes commit to a shared (PostgreSQL) store: the name index
    /// re-reads the members they changed, then `news` runs so every session here reloads
    /// its screen. A store file has no other writers, so `news` never runs for it.
    pub fn follow_other_processes(self: &Arc<Self>, news: Arc<dyn Fn() + Send + Sync>) {
        let service = Arc::downgrade(self);
        self.store
            .watch_other_processes(Arc::new(move |notice: ChangeNotice| {
                let Some(service) = service.upgrade() else {
                    return;
                };
                if let Some(vault) = service.vault_if_unlocked() {
                    let members = match &notice {
                        ChangeNotice::Members(members) => Some(members.as_slice()),
                        ChangeNotice::Everything => None,
                    };
                    // A failed re-read leaves the index as it was; the next change or unlock
                    // brings it up to date.
                    let _ = service
                        .names
                        .follow_changes(&service.store, &vault, members);
                }
                news();
            }));
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub fn settings(&self) -> Result<ShopSettings, ServiceError> {
        self.store.read()?.settings()?.ok_or_else(|| {
            ServiceError::Store(crate::store::StoreError::NotInitialised(
                self.store.path().to_path_buf(),
            ))
        })
    }

    fn vault_if_unlocked(&self) -> Option<Arc<UnlockedVault>> {
        self.vault
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    fn unlocked_vault(&self) -> Result<Arc<UnlockedVault>, ServiceError> {
        self.vault_if_unlocked().ok_or(ServiceError::StoreLocked)
    }

    /// Checks the session is live and allowed `operation`, refreshing its idle timer.
    /// A refusal by the permission matrix is itself audited.
    fn authorize(&self, session: &Session, operation: Operation) -> Result<Caller, ServiceError> {
        let now = self.clock.now();
        let record = self
            .sessions
            .get(session)
            .ok_or(ServiceError::SessionEnded)?;
        match record.state(now) {
            SessionState::Expired => {
                self.sessions.remove(session);
                return Err(ServiceError::SessionEnded);
            }
            SessionState::IdleLocked => return Err(ServiceError::SessionLocked),
            SessionState::Active => {}
        }
        let staff = self.store.read()?.staff(record.staff_id)?;
        match staff {
            Some(staff) if !staff.disabled && staff.session_epoch == record.epoch => {}
            _ => {
                self.sessions.remove(session);
                return Err(ServiceError::SessionEnded);
            }
        }
        if record.enrolment.is_some() {
            return Err(ServiceError::EnrolmentRequired);
        }
        if record.must_change_password && operation != Operation::ChangeOwnPassword {
            return Err(ServiceError::PasswordChangeRequired);
        }
        let caller = Caller {
            staff_id: record.staff_id,
            username: record.username.clone(),
            role: record.role,
            origin: record.origin.clone(),
            approved_by: None,
            site: self.site,
        };
        let mut caller = caller;
        match operation.rule_for(record.role) {
            Rule::Allowed => {}
            Rule::AfterStepUp if record.has_fresh_step_up(now) => {}
            Rule::AfterStepUp => return Err(ServiceError::StepUpRequired),
            Rule::Denied if operation.manager_may_approve() => {
                match self.approvals.take(session, operation, now) {
                    Some(approver) => caller.approved_by = Some(approver),
                    None => return Err(self.deny(&caller, record.role, operation)),
                }
            }
            Rule::Denied => return Err(self.deny(&caller, record.role, operation)),
        }
        self.sessions
            .update(session, |record| record.clock.touch(now));
        Ok(caller)
    }

    /// Audits a refusal by the permission matrix and says who may do it.
    fn deny(&self, caller: &Caller, role: Role, operation: Operation) -> ServiceError {
        let mut draft = caller.draft(AuditAction::PermissionDenied);
        draft.outcome = Outcome::Denied;
        draft.detail = Some(format!("operation: {}", operation.as_str()));
        if let Err(error) = self.audit_alone(draft) {
            return error;
        }
        ServiceError::Forbidden {
            role,
            operation: operation.as_str(),
        }
    }

    /// Writes one audit entry in a transaction of its own (for events that change nothing else).
    fn audit_alone(&self, mut draft: AuditDraft) -> Result<(), ServiceError> {
        draft.site = self.site;
        let mut writer = self.store.write()?;
        writer.append_audit(draft, self.clock.now())?;
        writer.commit()?;
        Ok(())
    }

    /// Runs `change` in one write transaction and seals `draft` onto the audit chain in the
    /// same transaction, so the change and its trace commit together.
    fn write_audited<T>(
        &self,
        change: impl FnOnce(&mut StoreWriter, &mut AuditDraft) -> Result<T, ServiceError>,
        mut draft: AuditDraft,
    ) -> Result<T, ServiceError> {
        draft.site = self.site;
        let mut writer = self.store.write()?;
        let result = change(&mut writer, &mut draft)?;
        writer.append_audit(draft, self.clock.now())?;
        writer.commit()?;
        Ok(result)
    }

    /// Session details for the front end's status line; never fails for an ended session.
    pub fn session_info(&self, session: &Session) -> Option<SessionInfo> {
        let record = self.sessions.get(session)?;
        let status = match record.state(self.clock.now()) {
            SessionState::Active => SessionStatus::Active,
            SessionState::IdleLocked => SessionStatus::Locked,
            SessionState::Expired => SessionStatus::Ended,
        };
        Some(SessionInfo {
            staff_id: record.staff_id,
            username: record.username,
            role: record.role,
            status,
            must_change_password: record.must_change_password,
            enrolment: record.enrolment,
        })
    }

    /// Whether the in-memory name index has finished building since unlock.
    pub fn name_index_ready(&self) -> bool {
        self.names.is_ready()
    }

    /// Ends the service and hands back its store, once the background name-index job has let
    /// go of it (a one-off command then compacts the file after an erasure). `None` while some
    /// other holder keeps the store open.
    pub fn into_store(self) -> Option<Store> {
        self.names.wait_until_ready();
        let Service { store, .. } = self;
        Arc::try_unwrap(store).ok()
    }

    /// Blocks until the name index is built (for scripts and tests; front ends poll instead).
    pub fn wait_for_name_index(&self) {
        self.names.wait_until_ready();
    }

    /// Saves the name index's sealed snapshot now (the next unlock then re-reads no member).
    /// `Ok(false)` while the store is locked or the index is still loading.
    pub fn save_name_index(&self) -> Result<bool, ServiceError> {
        let Some(vault) = self.vault_if_unlocked() else {
            return Ok(false);
        };
        self.names.wait_until_ready();
        self.names
            .save(&self.store, &vault, snapshot_entropy().as_ref())
    }

    /// Members a prefix finds in the saved snapshot alone (without the changes since), for
    /// tests that check what the file holds; `None` when no snapshot is saved or it does not
    /// open.
    #[doc(hidden)]
    pub fn saved_name_index_search(&self, folded_prefix: &str) -> Option<Vec<RecordId>> {
        let vault = self.vault_if_unlocked()?;
        name_search::search_saved(&self.store, &vault, folded_prefix)
    }

    /// After a member's name changed: saves the snapshot in the background once enough
    /// changes have gathered since the last save.
    fn names_changed(&self) {
        if let Some(vault) = self.vault_if_unlocked() {
            self.names
                .save_if_stale(&self.store, &vault, &snapshot_entropy());
        }
    }
}

/// Nonces for sealing the saved name index come from the operating system, not the service's
/// injected source: the snapshot is saved on background threads at times tests do not
/// control, and drawing from a seeded source there would make every later id and nonce (and
/// so the audit chain's hashes) depend on thread timing. Nothing reads the snapshot's bytes
/// but the vault.
fn snapshot_entropy() -> Arc<dyn Entropy> {
    Arc::new(crate::entropy::OsEntropy)
}

fn system_draft(origin: Origin, action: AuditAction) -> AuditDraft {
    AuditDraft {
        actor: Actor::System,
        origin,
        action,
        outcome: Outcome::Ok,
        objects: Vec::new(),
        fields: Vec::new(),
        detail: None,
        site: 0,
    }
}
