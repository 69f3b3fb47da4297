//! Receipts after the sale: any issued number shown again (marked as a reprint), sent to the
//! shop's print command, or saved as a private text file when the shop has no printer.
//!
//! Receipts are rendered from the stored visit, sale or refund, in the shop's receipt language
//! (not the staff member's screen language), and name no customer: the member number only.
//!
//! Printing waits for the print command, at most [`PRINT_TIMEOUT`], then stops it. A front end
//! must call [`Service::print_receipt`] off its input thread (the terminal UI runs it as a
//! background task), so a slow or stuck printer never freezes the counter screen.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use chrono::{DateTime, Months, Utc};
use chrono_tz::Tz;

use super::{Service, ServiceError, Session};
use crate::audit::{AuditAction, Outcome};
use crate::domain::access::Operation;
use crate::domain::money::Money;
use crate::domain::plans::{Package, Plan, renew};
use crate::domain::price_list::Product;
use crate::domain::receipt::{
    PointsSummary, ReceiptHeader, ReceiptLanguage, sale_receipt, visit_receipt,
};
use crate::domain::sanitize::sanitize_line;
use crate::domain::schedule::format_local;
use crate::ids::RecordId;
use crate::private_file::{Existing, PrivateFile, PrivateFileError};
use crate::store::records::{ReceiptFor, SaleKind, SaleRecord, ShopSettings, VisitRecord};
use crate::store::schema::{PACKAGES, PLANS, PRODUCTS, SALES, VISITS};
use crate::store::{ReadAccess, decode_record};

/// How long a print command may take before it is stopped and the print reported as failed.
pub const PRINT_TIMEOUT: Duration = Duration::from_secs(10);

/// How often a running print command is checked for having finished.
const PRINT_POLL: Duration = Duration::from_millis(20);

/// How long, after a print command exits, its pipes' threads are given to finish.
const PIPE_GRACE: Duration = Duration::from_millis(500);

/// The most of a print command's error output kept for the message.
const STDERR_LINE_MAX: usize = 200;

/// The folder under the data directory that receipts are saved in when no printer is set.
pub const RECEIPTS_DIR: &str = "receipts";

/// One issued receipt, rendered again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptView {
    pub number: u64,
    /// The visit, sale or refund the number was issued for.
    pub of: ReceiptFor,
    /// When that visit, sale or refund was paid.
    pub at: DateTime<Utc>,
    pub language: ReceiptLanguage,
    /// The visit was voided after this receipt was issued.
    pub voided: bool,
    /// 40-column text, marked as a reprint; no personal field beyond the member number.
    pub text: String,
}

/// What became of a request to print a receipt.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum PrintOutcome {
    /// The print command took the receipt and finished without an error.
    Printed { number: u64, program: String },
    /// No print command is set: the receipt was saved as a new text file.
    Saved { number: u64, path: PathBuf },
    /// Nothing was printed or saved. The receipt itself is kept, so it can be printed again.
    Failed { number: u64, error: PrintError },
}

impl PrintOutcome {
    pub fn number(&self) -> u64 {
        match self {
            PrintOutcome::Printed { number, .. }
            | PrintOutcome::Saved { number, .. }
            | PrintOutcome::Failed { number, .. } => *number,
        }
    }

    pub fn is_done(&self) -> bool {
        !matches!(self, PrintOutcome::Failed { .. })
    }
}

/// Why a receipt was not printed or saved.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrintError {
    #[error(
        "the print command `{program}` could not be started ({reason}); check the print command in Settings, then print the receipt again"
    )]
    Start { program: String, reason: String },
    #[error(
        "the print command `{program}` failed ({status}){}; the receipt is kept: check the printer, then print it again",
        said(.stderr)
    )]
    Failed {
        program: String,
        /// As the system reports it, e.g. `exit status: 1`.
        status: String,
        /// The first line the command wrote to its error output, sanitised.
        stderr: Option<String>,
    },
    #[error(
        "the print command `{program}` did not finish within {seconds} seconds and was stopped; the receipt is kept: check the printer, then print it again"
    )]
    TimedOut { program: String, seconds: u64 },
    #[error(
        "the print command `{program}` did not take the whole receipt ({reason}); the receipt is kept: check the print command in Settings, then print it again"
    )]
    Input { program: String, reason: String },
    #[error(
        "receipt {number} was saved before as {path}; open that file, or set a print command in Settings to print receipts"
    )]
    AlreadySaved { number: u64, path: PathBuf },
    #[error("the receipt could not be saved: {0}")]
    Save(String),
}

fn said(stderr: &Option<String>) -> String {
    stderr
        .as_ref()
        .map(|line| format!(": {line}"))
        .unwrap_or_default()
}

/// `receipt-000123.txt`: zero-padded so the files list in number order.
pub fn receipt_file_name(number: u64) -> String {
    format!("receipt-{number:06}.txt")
}

/// Runs `command_line` without a shell (split on whitespace; the first word is the program),
/// hands it `text` on standard input and waits at most `timeout`, stopping it after that.
/// Returns the program's name. Its standard output is discarded: a printer's chatter must not
/// reach the counter screen.
pub(crate) fn run_print_command(
    command_line: &str,
    text: &str,
    timeout: Duration,
) -> Result<String, PrintError> {
    let mut words = command_line.split_whitespace();
    let program = words.next().unwrap_or_default().to_owned();
    if program.is_empty() {
        return Err(PrintError::Start {
            program,
            reason: "the command is empty".to_owned(),
        });
    }
    let mut child = Command::new(&program)
        .args(words)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| PrintError::Start {
            program: program.clone(),
            reason: err.to_string(),
        })?;
    // Written and read on threads of their own, so a command that neither reads all of its
    // input nor exits cannot hold this call past the timeout.
    let stdin = child.stdin.take();
    let bytes = text.as_bytes().to_vec();
    let writer = std::thread::spawn(move || -> std::io::Result<()> {
        match stdin {
            Some(mut stdin) => {
                stdin.write_all(&bytes)?;
                stdin.flush()
                // Dropping stdin closes it: the command sees the end of the receipt.
            }
            None => Ok(()),
        }
    });
    let stderr = child.stderr.take();
    let reader = std::thread::spawn(move || {
        let mut captured = Vec::new();
        if let Some(stderr) = stderr {
            // Only the first line is reported; a little more is read so it is complete.
            let _ = stderr.take(4096).read_to_end(&mut captured);
        }
        captured
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if Instant::now() >= deadline => {
                // Best effort: the command may have exited between the check and the kill.
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => std::thread::sleep(PRINT_POLL),
            Err(err) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(PrintError::Start {
                    program,
                    reason: err.to_string(),
                });
            }
        }
    };
    let Some(status) = status else {
        return Err(PrintError::TimedOut {
            program,
            seconds: timeout.as_secs().max(1),
        });
    };
    // The command has exited, so both pipes are closed and these threads end promptly; a
    // grandchild still holding a pipe open is not waited for beyond a moment.
    let deadline = Instant::now() + PIPE_GRACE;
    let written = join_by(writer, deadline).unwrap_or(Ok(()));
    let stderr = join_by(reader, deadline).and_then(|bytes| first_line(&bytes));
    if !status.success() {
        return Err(PrintError::Failed {
            program,
            status: describe_status(status),
            stderr,
        });
    }
    if let Err(err) = written {
        return Err(PrintError::Input {
            program,
            reason: err.to_string(),
        });
    }
    Ok(program)
}

/// A thread's result if it ends by `deadline`; a thread that panicked or is still running
/// gives `None` (it is left to finish on its own).
fn join_by<T>(thread: std::thread::JoinHandle<T>, deadline: Instant) -> Option<T> {
    while !thread.is_finished() {
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    thread.join().ok()
}

fn describe_status(status: ExitStatus) -> String {
    status.to_string()
}

/// The first non-empty line of a command's error output, sanitised and shortened.
fn first_line(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    let line = text.lines().map(str::trim).find(|line| !line.is_empty())?;
    let line: String = sanitize_line(line).chars().take(STDERR_LINE_MAX).collect();
    (!line.is_empty()).then_some(line)
}

/// Saves `text` as a new private file (0600, never replacing one) named after `number` in
/// `dir`, creating `dir` (0700) first if needed. Returns the file's path.
pub(crate) fn save_receipt_file(
    dir: &Path,
    number: u64,
    text: &str,
) -> Result<PathBuf, PrintError> {
    match std::fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => {
            return Err(PrintError::Save(format!(
                "{} is not a folder; move it away so receipts can be saved there",
                dir.display()
            )));
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            let mut builder = std::fs::DirBuilder::new();
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                builder.mode(0o700);
            }
            builder.create(dir).map_err(|err| {
                PrintError::Save(format!(
                    "could not create the folder {} ({err}); check the data directory's permissions and free space",
                    dir.display()
                ))
            })?;
        }
        Err(err) => {
            return Err(PrintError::Save(format!(
                "could not look at {} ({err}); check the data directory's permissions",
                dir.display()
            )));
        }
    }
    let path = dir.join(receipt_file_name(number));
    let mut file = PrivateFile::create(&path, Existing::Refuse).map_err(|err| match err {
        PrivateFileError::Exists(path) => PrintError::AlreadySaved { number, path },
        other => PrintError::Save(other.to_string()),
    })?;
    file.write_all(text.as_bytes()).map_err(|err| {
        PrintError::Save(format!(
            "could not write {} ({err}); check free space on the disk",
            path.display()
        ))
    })?;
    file.commit()
        .map_err(|err| PrintError::Save(err.to_string()))?;
    Ok(path)
}

/// Months bought by a plan sale: the amount over the price per term, in the plan's terms.
/// `None` when the price does not say (a free plan) or does not divide evenly.
fn months_bought(amount: Money, plan: &Plan) -> Option<u32> {
    let per_term = plan.price_per_term.minor_units();
    let amount = amount.minor_units();
    if per_term <= 0 || amount % per_term != 0 {
        return None;
    }
    u32::try_from(amount / per_term)
        .ok()?
        .checked_mul(plan.months_per_term)
}

/// The lowest id created in the same millisecond as `id`: ids sort by time, then at random.
fn first_id_of_millisecond(id: RecordId) -> u128 {
    (id.as_u128() >> 80) << 80
}

impl Service {
    /// Receipt `number` shown again (any logged-in staff), marked as a reprint; audited.
    pub fn receipt(&self, session: &Session, number: u64) -> Result<ReceiptView, ServiceError> {
        let caller = self.authorize(session, Operation::Checkout)?;
        let view = self.render_receipt(number)?;
        let mut draft = caller.draft(AuditAction::ReceiptPrinted);
        draft.objects = receipt_objects(&view.of);
        draft.add_detail(format!("receipt: {number}, shown"));
        self.audit_alone(draft)?;
        Ok(view)
    }

    /// Sends receipt `number` (marked as a reprint) to the shop's print command, or saves it as
    /// `receipts/receipt-000123.txt` in the data directory when none is set; audited either
    /// way. Blocks up to [`PRINT_TIMEOUT`] for the printer: call it off the UI thread. A failed
    /// print is a [`PrintOutcome::Failed`] saying why; nothing is lost.
    pub fn print_receipt(
        &self,
        session: &Session,
        number: u64,
    ) -> Result<PrintOutcome, ServiceError> {
        let caller = self.authorize(session, Operation::Checkout)?;
        let view = self.render_receipt(number)?;
        let till = self.till_settings()?;
        let outcome = match till.print_command.as_deref() {
            Some(command) => match run_print_command(command, &view.text, PRINT_TIMEOUT) {
                Ok(program) => PrintOutcome::Printed { number, program },
                Err(error) => PrintOutcome::Failed { number, error },
            },
            None => match save_receipt_file(&self.receipts_dir(), number, &view.text) {
                Ok(path) => PrintOutcome::Saved { number, path },
                Err(error) => PrintOutcome::Failed { number, error },
            },
        };
        let mut draft = caller.draft(AuditAction::ReceiptPrinted);
        draft.objects = receipt_objects(&view.of);
        // The command's own words stay out of the audit log: they could be anything.
        let detail = match &outcome {
            PrintOutcome::Printed { program, .. } => {
                format!("receipt: {number}, printed by {}", sanitize_line(program))
            }
            PrintOutcome::Saved { .. } => {
                format!("receipt: {number}, saved as {}", receipt_file_name(number))
            }
            PrintOutcome::Failed { error, .. } => {
                draft.outcome = Outcome::Failed;
                format!("receipt: {number}, not printed: {}", failure_kind(error))
            }
        };
        draft.add_detail(detail);
        self.audit_alone(draft)?;
        Ok(outcome)
    }

    /// The receipt numbers of a visit issued at this site: its own first, then its refunds'
    /// in order. (A refund given at another site of the chain has that site's number.)
    pub fn receipts_for_visit(
        &self,
        session: &Session,
        visit: RecordId,
    ) -> Result<Vec<u64>, ServiceError> {
        self.authorize(session, Operation::Checkout)?;
        let reader = self.store.read()?;
        let record = reader
            .get::<VisitRecord>(VISITS, visit, "visit")?
            .ok_or(ServiceError::NotFound("visit"))?;
        let mut numbers = Vec::new();
        let ours = |number: u64, what: ReceiptFor| -> Result<bool, ServiceError> {
            Ok(match reader.receipt_bytes_at(self.site, number)? {
                Some(bytes) => decode_record::<ReceiptFor>("receipt", &bytes)? == what,
                None => false,
            })
        };
        if let Some(number) = record.receipt_number
            && ours(number, ReceiptFor::Visit(record.id))?
        {
            numbers.push(number);
        }
        for refund in &record.refunds {
            let what = ReceiptFor::Refund {
                visit: record.id,
                refund: refund.id,
            };
            if ours(refund.receipt_number, what)? {
                numbers.push(refund.receipt_number);
            }
        }
        Ok(numbers)
    }

    /// Where receipts are saved when the shop has no print command: in the data directory.
    pub fn receipts_dir(&self) -> PathBuf {
        self.store.local_dir().join(RECEIPTS_DIR)
    }

    /// Renders receipt `number` again from what was stored, marked as a reprint.
    fn render_receipt(&self, number: u64) -> Result<ReceiptView, ServiceError> {
        let reader = self.store.read()?;
        let Some(bytes) = reader.receipt_bytes_at(self.site, number)? else {
            let next = reader.next_receipt_number_at(self.site)?;
            return Err(ServiceError::invalid(if next <= 1 {
                "no receipt has been issued yet".to_owned()
            } else {
                format!(
                    "there is no receipt {number}; receipts so far are numbered 1 to {}",
                    next - 1
                )
            }));
        };
        let of: ReceiptFor = decode_record("receipt", &bytes)?;
        let settings = self.settings()?;
        let tz = self.shop_zone()?;
        let till = self.till_settings()?;
        let member_number = |member: Option<RecordId>| -> Result<Option<u64>, ServiceError> {
            Ok(match member {
                Some(id) => reader.member_number_of(id)?,
                None => None,
            })
        };
        let header = |at: DateTime<Utc>, member_number: Option<u64>| Header {
            settings: &settings,
            when_local: format_local(tz, at),
            number,
            member_number,
            language: till.receipt_language,
        };
        let (at, voided, text) = match of {
            ReceiptFor::Visit(id) => {
                let visit = reader
                    .get::<VisitRecord>(VISITS, id, "visit")?
                    .ok_or(ServiceError::NotFound("visit"))?;
                let head = header(visit.at, member_number(visit.member)?);
                let points = visit.member.map(|_| PointsSummary {
                    used: visit.priced.points_used,
                    earned: visit.points_earned,
                    // Left off the reprint: the balance has moved since.
                    balance_after: 0,
                });
                let text = visit_receipt(&head.reprint(), &visit.priced, &visit.settlement, points);
                (visit.at, visit.voided.is_some(), text)
            }
            ReceiptFor::Refund { visit, refund } => {
                let visit = reader
                    .get::<VisitRecord>(VISITS, visit, "visit")?
                    .ok_or(ServiceError::NotFound("visit"))?;
                let refund = visit
                    .refunds
                    .iter()
                    .find(|r| r.id == refund)
                    .ok_or(ServiceError::NotFound("refund"))?;
                // The refund service's own wording, so the reprint reads as the original did.
                let text =
                    self.refund_receipt_text(&visit, refund, member_number(visit.member)?, true)?;
                (refund.at, false, text)
            }
            ReceiptFor::Sale(id) => {
                let sale = reader
                    .get::<SaleRecord>(SALES, id, "sale")?
                    .ok_or(ServiceError::NotFound("sale"))?;
                let head = header(sale.at, member_number(Some(sale.member))?);
                let (item, detail) = self.sale_item(&reader, &sale, tz)?;
                let text = sale_receipt(
                    &head.reprint(),
                    &item,
                    detail.as_deref(),
                    &sale.tax,
                    &sale.settlement,
                );
                (sale.at, false, text)
            }
        };
        Ok(ReceiptView {
            number,
            of,
            at,
            language: till.receipt_language,
            voided,
            text,
        })
    }

    /// The item and detail line a sale's receipt showed, worked out again from the plan or
    /// package sold (the sale keeps the money, not the words).
    fn sale_item(
        &self,
        reader: &impl ReadAccess,
        sale: &SaleRecord,
        tz: Tz,
    ) -> Result<(String, Option<String>), ServiceError> {
        let product_name = sale
            .product
            .map(|id| reader.get::<Product>(PRODUCTS, id, "product"))
            .transpose()?
            .flatten()
            .map(|product| product.name().to_owned());
        match sale.kind {
            SaleKind::PackageSold { package } => {
                let item = product_name.unwrap_or_else(|| "Package".to_owned());
                let detail = reader
                    .get::<Package>(PACKAGES, package, "package")?
                    .map(|package| match package.expires_on {
                        Some(last) => format!("{} × → {last}", package.total),
                        None => format!("{} ×", package.total),
                    });
                Ok((item, detail))
            }
            SaleKind::PlanSold { plan } | SaleKind::PlanRenewed { plan } => {
                let item = product_name.unwrap_or_else(|| "Plan".to_owned());
                let Some(plan) = reader.get::<Plan>(PLANS, plan, "plan")? else {
                    return Ok((item, None));
                };
                Ok((item, self.plan_sale_detail(reader, sale, &plan, tz)?))
            }
        }
    }

    /// "12 mo, 2026-01-05 → 2027-01-04" for a plan sold, "+1 mo → 2027-02-04" for a renewal:
    /// the plan's end date as that sale left it, found by replaying the plan's sales in order.
    fn plan_sale_detail(
        &self,
        reader: &impl ReadAccess,
        target: &SaleRecord,
        plan: &Plan,
        tz: Tz,
    ) -> Result<Option<String>, ServiceError> {
        let mut sales: Vec<SaleRecord> = Vec::new();
        let mut failure = None;
        // Every sale of this plan was made when or after the plan was created, and up to the
        // target, give or take ids made in the same millisecond (ordered at random).
        reader.scan_id_range(
            SALES,
            first_id_of_millisecond(plan.id),
            first_id_of_millisecond(target.id).saturating_add(1 << 80),
            &mut |_, bytes| {
                match decode_record::<SaleRecord>("sale", bytes) {
                    Ok(sale) => {
                        let ours = matches!(
                            sale.kind,
                            SaleKind::PlanSold { plan: id } | SaleKind::PlanRenewed { plan: id }
                                if id == plan.id
                        );
                        if ours {
                            sales.push(sale);
                        }
                    }
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
        // Receipt numbers follow the order the sales were committed in.
        sales.sort_by_key(|sale| sale.receipt_number);
        let mut until = None;
        for sale in &sales {
            let Some(months) = months_bought(sale.amount, plan) else {
                return Ok(None);
            };
            let after = match (sale.kind, until) {
                (SaleKind::PlanSold { .. }, _) => plan
                    .valid_from
                    .checked_add_months(Months::new(months))
                    .and_then(|d| d.pred_opt()),
                (_, Some(before)) => {
                    let today = sale.at.with_timezone(&tz).date_naive();
                    let as_it_was = Plan {
                        valid_until: before,
                        ..plan.clone()
                    };
                    renew(&as_it_was, months, today).ok().map(|p| p.valid_until)
                }
                // A renewal without the sale that started the plan (sold before receipts
                // were kept): its end date cannot be worked out.
                (_, None) => None,
            };
            if sale.id == target.id {
                return Ok(Some(match (sale.kind, after) {
                    (SaleKind::PlanSold { .. }, Some(until)) => {
                        format!("{months} mo, {} → {until}", plan.valid_from)
                    }
                    (SaleKind::PlanSold { .. }, None) => format!("{months} mo"),
                    (_, Some(until)) => format!("+{months} mo → {until}"),
                    (_, None) => format!("+{months} mo"),
                }));
            }
            until = after;
        }
        Ok(None)
    }
}

/// What a receipt's header needs, before deciding whether it is the original or a reprint.
struct Header<'a> {
    settings: &'a ShopSettings,
    when_local: String,
    number: u64,
    member_number: Option<u64>,
    language: ReceiptLanguage,
}

impl Header<'_> {
    fn reprint(&self) -> ReceiptHeader<'_> {
        ReceiptHeader {
            shop_name: &self.settings.shop_name,
            currency: &self.settings.currency,
            when_local: &self.when_local,
            number: Some(self.number),
            member_number: self.member_number,
            language: self.language,
            reprint: true,
        }
    }
}

fn receipt_objects(of: &ReceiptFor) -> Vec<String> {
    match of {
        ReceiptFor::Visit(visit) => vec![visit.to_string()],
        ReceiptFor::Sale(sale) => vec![sale.to_string()],
        ReceiptFor::Refund { visit, refund } => vec![visit.to_string(), refund.to_string()],
    }
}

/// A failure in a few words for the audit log, without the command's own output.
fn failure_kind(error: &PrintError) -> String {
    match error {
        PrintError::Start { program, .. } => format!("{} could not start", sanitize_line(program)),
        PrintError::Failed {
            program, status, ..
        } => format!("{} failed ({status})", sanitize_line(program)),
        PrintError::TimedOut { program, seconds } => {
            format!("{} stopped after {seconds} s", sanitize_line(program))
        }
        PrintError::Input { program, .. } => {
            format!("{} did not take the receipt", sanitize_line(program))
        }
        PrintError::AlreadySaved { .. } => "already saved".to_owned(),
        PrintError::Save(_) => "could not be saved".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_that_outlives_the_timeout_is_stopped() {
        let started = Instant::now();
        let result = run_print_command("sleep 5", "receipt\n", Duration::from_millis(200));
        assert!(
            matches!(result, Err(PrintError::TimedOut { ref program, .. }) if program == "sleep"),
            "{result:?}"
        );
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn a_missing_program_says_it_could_not_start() {
        let result = run_print_command(
            "/nonexistent/frontdesk-printer -d x",
            "receipt\n",
            Duration::from_secs(2),
        );
        let Err(error) = result else {
            panic!("a missing program printed");
        };
        assert!(matches!(error, PrintError::Start { .. }));
        assert!(error.to_string().contains("print the receipt again"));
    }

    #[test]
    fn a_failing_command_reports_its_status_and_first_error_line() {
        // `ls` of a missing path exits non-zero and says why on standard error.
        let result = run_print_command(
            "ls /nonexistent-frontdesk-receipt-printer",
            "receipt\n",
            Duration::from_secs(5),
        );
        let Err(PrintError::Failed {
            program,
            status,
            stderr,
        }) = result
        else {
            panic!("{result:?}");
        };
        assert_eq!(program, "ls");
        assert!(status.contains('2') || status.contains('1'), "{status}");
        assert!(
            stderr.as_deref().is_some_and(|l| l.contains("nonexistent")),
            "{stderr:?}"
        );
    }

    #[test]
    fn the_first_error_line_is_sanitised_and_short() {
        let noisy = format!("\n  \u{1b}[31mjam{}\nsecond line", "x".repeat(500));
        let line = first_line(noisy.as_bytes()).unwrap();
        assert!(!line.contains('\u{1b}'));
        assert!(line.chars().count() <= STDERR_LINE_MAX);
        assert!(line.contains("jam"));
        assert_eq!(first_line(b"\n \n"), None);
    }

    #[test]
    fn file_names_sort_in_number_order() {
        assert_eq!(receipt_file_name(123), "receipt-000123.txt");
        assert_eq!(receipt_file_name(1_234_567), "receipt-1234567.txt");
    }
}
