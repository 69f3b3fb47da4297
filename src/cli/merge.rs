//! `frontdesk merge --keep N --absorb M`: two records of the same person folded into one
//! (a manager; the login's fresh code is the step-up). The kept record's profile stays, its
//! gaps filled from the other, unless `--from-absorbed` names the fields to take over.

use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use super::staff_login::StaffLoginArgs;
use super::{CliError, Runtime, prompt, tui};
use crate::domain::member_merge::{ProfileChoice, ProfileField, Side};
use crate::service::{MergePreview, MergeReceipt, Service, Session};

const AFTER_HELP: &str = "\
Everything the absorbed member has moves to the kept one: vehicles (a plate both have is \
kept once), visits, points with their expiry dates, bookings, plans, packages, sales and \
consents. The absorbed number then leads to the kept member. Profile fields (name, phone, \
email, birthday, notes) stay the kept member's; an empty one is filled from the absorbed \
record. --from-absorbed name,phone takes those fields from the absorbed record instead. \
Compare the two records on the member screen first (M there does the same merge and shows \
both side by side). A manager's login is needed; its code is the fresh confirmation.";

#[derive(Debug, Args)]
#[command(after_long_help = AFTER_HELP)]
pub struct MergeArgs {
    /// The member number that stays.
    #[arg(long, value_name = "NUMBER")]
    keep: u64,
    /// The member number folded into the kept one.
    #[arg(long, value_name = "NUMBER")]
    absorb: u64,
    /// Profile fields to take from the absorbed record: name, phone, email, birthday, notes
    /// (comma-separated), or `none` to keep every field of the kept record as it is.
    #[arg(long, value_name = "FIELDS", value_delimiter = ',')]
    from_absorbed: Option<Vec<String>>,
    /// Merge without asking for confirmation (for scripts).
    #[arg(long)]
    yes: bool,
    #[command(flatten)]
    login: StaffLoginArgs,
}

pub fn run(data: &Path, runtime: &Runtime, args: MergeArgs) -> Result<ExitCode, CliError> {
    if args.keep == args.absorb {
        return Err(CliError::new(
            "--keep and --absorb name the same member; give the numbers of the two records of one person",
        ));
    }
    let picked = args
        .from_absorbed
        .as_deref()
        .map(parse_fields)
        .transpose()?;
    let MergeArgs {
        keep,
        absorb,
        yes,
        login,
        ..
    } = args;
    let typed = login.ask()?;
    let store = tui::open_store_for_command(data)?;
    let service = runtime.service(store)?;
    let session = service.login(typed.request("merge"))?;
    let result = merge(&service, &session, (keep, absorb), yes, picked);
    service.logout(&session)?;
    result
}

fn merge(
    service: &Service,
    session: &Session,
    (keep, absorb): (u64, u64),
    yes: bool,
    picked: Option<ProfileChoice>,
) -> Result<ExitCode, CliError> {
    let kept = service.find_member_by_number(session, keep)?;
    let absorbed = service.find_member_by_number(session, absorb)?;
    let preview = service.merge_preview(session, kept, absorbed)?;
    let choice = picked.unwrap_or(preview.suggested);
    write(&plan_text(&preview, &choice))?;
    if !yes {
        let answer = prompt::visible("Type yes to merge: ")?;
        if answer.trim() != "yes" {
            write("Nothing was changed.\n")?;
            return Ok(ExitCode::FAILURE);
        }
    }
    let receipt = service.merge_members(session, kept, absorbed, choice)?;
    write(&receipt_text(&receipt))?;
    Ok(ExitCode::SUCCESS)
}

fn write(text: &str) -> Result<(), CliError> {
    super::write_stdout(text).map_err(|err| CliError::new(format!("could not write ({err})")))
}

fn parse_fields(names: &[String]) -> Result<ProfileChoice, CliError> {
    let mut choice = ProfileChoice::default();
    if names.len() == 1 && names[0].trim().eq_ignore_ascii_case("none") {
        return Ok(choice);
    }
    for name in names {
        let field = ProfileField::parse(name).ok_or_else(|| {
            CliError::new(format!(
                "--from-absorbed: `{}` is not a profile field; use name, phone, email, birthday or notes (comma-separated), or none",
                crate::domain::sanitize_line(name)
            ))
        })?;
        choice.set(field, Side::Absorbed);
    }
    Ok(choice)
}

/// What will happen, field by field and in counts; no personal value is printed.
fn plan_text(preview: &MergePreview, choice: &ProfileChoice) -> String {
    let kept = &preview.kept;
    let absorbed = &preview.absorbed;
    let mut text = format!(
        "Merge member {} into member {}:\n",
        absorbed.member_number, kept.member_number
    );
    for field in ProfileField::ALL {
        let (side, number) = match choice.side(field) {
            Side::Kept => (kept, kept.member_number),
            Side::Absorbed => (absorbed, absorbed.member_number),
        };
        let line = if side.has(field) {
            format!("  {:<9} from {number}\n", field.as_str())
        } else {
            format!("  {:<9} empty (member {number} has none)\n", field.as_str())
        };
        text.push_str(&line);
    }
    text.push_str(&format!(
        "  moving from {}: {} vehicles, {} visits, {} bookings, {} plans, {} packages, {} points\n",
        absorbed.member_number,
        absorbed.vehicles,
        absorbed.visits,
        absorbed.bookings,
        absorbed.plans,
        absorbed.packages,
        absorbed.points
    ));
    text
}

fn receipt_text(receipt: &MergeReceipt) -> String {
    format!(
        "Merged member {absorbed} into member {kept}: {moved} vehicles moved ({joined} already there), {visits} visits, {entries} ledger entries, {bookings} bookings, {plans} plans, {packages} packages, {sales} sales, {consents} consent records. Balance {balance} points. Member number {absorbed} now leads to {kept}.\n",
        absorbed = receipt.absorbed_number,
        kept = receipt.kept_number,
        moved = receipt.vehicles_moved,
        joined = receipt.vehicles_joined,
        visits = receipt.visits,
        entries = receipt.ledger_entries,
        bookings = receipt.bookings,
        plans = receipt.plans,
        packages = receipt.packages,
        sales = receipt.sales,
        consents = receipt.consents,
        balance = receipt.points_balance,
    )
}
