//! `frontdesk erase --member NUMBER`: a customer's right to be forgotten (SPEC section 8). The
//! member's key and record are destroyed, the number stays as a tombstone, visits and points
//! stay for the accounts, future bookings are cancelled; then the file is compacted so none of
//! their ciphertext is left in it. A manager only; the login's fresh authenticator code is the
//! step-up erasure needs.

use std::path::Path;
use std::process::ExitCode;

use chrono_tz::Tz;
use clap::Args;

use super::staff_login::StaffLoginArgs;
use super::{CliError, Runtime, prompt, tui};
use crate::service::{ErasureReceipt, MemberLookup, Service, gone_sentence};

const AFTER_HELP: &str = "\
Erasure cannot be undone. The member's name, phone, email, birthday, notes and vehicle \
plates are destroyed with their key; their number stays, shown as \"erased\", and their \
visits, receipts and points ledger stay under the number for the accounts. Future bookings \
are cancelled. The erasure is recorded (ids and times only) in the store's erasure ledger, \
which every later backup carries and writes beside itself, so restoring an older backup \
erases the member again. You are asked to type the member number to confirm, unless --yes \
is given. A manager's login is needed; its authenticator code is the fresh confirmation \
erasure requires.";

#[derive(Debug, Args)]
#[command(after_long_help = AFTER_HELP)]
pub struct EraseArgs {
    /// The member's number, as on their card or the member screen.
    #[arg(long, value_name = "NUMBER")]
    member: u64,
    /// Do not ask to type the number again (for scripts).
    #[arg(long)]
    yes: bool,
    #[command(flatten)]
    login: StaffLoginArgs,
}

pub fn run(data: &Path, runtime: &Runtime, args: EraseArgs) -> Result<ExitCode, CliError> {
    let typed = args.login.ask()?;
    let store = tui::open_store_for_command(data)?;
    let service = runtime.service(store)?;
    let session = service.login(typed.request("erase"))?;
    let tz: Tz = service.settings()?.timezone.parse().unwrap_or(Tz::UTC);
    let result = erase(&service, &session, args.member, args.yes);
    service.logout(&session)?;
    let receipt = result?;
    // The erasure is committed; compaction rewrites the file without the freed pages that
    // still hold the member's ciphertext. Beside a running server the file is shared, so the
    // server compacts when it next starts.
    let compacted = match service.into_store() {
        Some(mut store) => store.compact_if_due()?,
        None => false,
    };
    let mut text = describe(&receipt, tz);
    text.push_str(if compacted {
        "  The store file was compacted: none of the member's encrypted data is left in it.\n"
    } else {
        "  The store file is shared with frontdesk serve: it is compacted (the member's encrypted data removed from freed space) when the server next starts.\n"
    });
    // The member is erased; a closed output only loses this receipt.
    let _ = super::write_stdout(&text);
    Ok(ExitCode::SUCCESS)
}

fn erase(
    service: &Service,
    session: &crate::service::Session,
    number: u64,
    yes: bool,
) -> Result<ErasureReceipt, CliError> {
    let member = match service.lookup_member_number(session, number)? {
        Some(MemberLookup::Live(member)) => member,
        Some(MemberLookup::Gone(gone)) => return Err(CliError::new(gone_sentence(&gone))),
        None => {
            return Err(CliError::new(format!(
                "there is no member number {number}; check the number on the member's card or search for the member at the desk"
            )));
        }
    };
    // Refused before the question for anyone who may not erase (and audited as such).
    service.check_member_erasure(session)?;
    if !yes {
        let typed = prompt::visible(&format!(
            "Erase member {number} for good? Their personal data is destroyed and cannot be restored. Type the member number to confirm: "
        ))?;
        if typed.trim_start_matches('#') != number.to_string() {
            return Err(CliError::new(format!(
                "nothing was erased: the number typed does not match {number}"
            )));
        }
    }
    Ok(service.erase_member(session, member)?)
}

/// The erasure receipt: what was removed and kept, by field name and count, never a value.
pub fn describe(receipt: &ErasureReceipt, tz: Tz) -> String {
    format!(
        "Member {} erased at {}.\n  personal fields destroyed with the member's key: {}\n  vehicles removed: {}\n  search index entries removed: {}\n  future bookings cancelled: {}\n  cancellation reasons cleared: {}\n  consent records removed: {}\n  kept for the accounts, under the number only: {} visits, {} points ledger entries\n",
        receipt.member_number,
        receipt.at.with_timezone(&tz).format("%Y-%m-%d %H:%M %Z"),
        receipt.fields.join(", "),
        receipt.vehicles_removed,
        receipt.index_entries_removed,
        receipt.bookings_cancelled,
        receipt.cancel_reasons_cleared,
        receipt.consents_removed,
        receipt.visits_kept,
        receipt.ledger_entries_kept,
    )
}
