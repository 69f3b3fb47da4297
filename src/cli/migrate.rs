//! `frontdesk migrate --to postgres://…`: moves one shop's store file up to a PostgreSQL
//! database for a chain. Both sides are verified; the file is only read; a failure leaves the
//! database empty.

use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use super::store_choice::StoreAddress;
use super::{CliError, tui};
use crate::service::integrity::{verify_read_only, verify_store};
use crate::store::{ReadOnlyStore, Store, copy_into_postgres, names_postgres};
use crate::transport::server_marker::{CounterMarker, ServerMarker};

#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// The empty PostgreSQL database to move to: postgres://USER@HOST/DATABASE (with
    /// ?sslmode=verify-full over a network), `postgres:` for the PG* variables, or
    /// `postgres:file=PATH` for a private file holding the address.
    #[arg(long, value_name = "ADDRESS")]
    to: StoreAddress,
}

pub fn run(data: &Path, args: MigrateArgs) -> Result<ExitCode, CliError> {
    let to = args.to.as_str();
    if !names_postgres(to) {
        return Err(CliError::new(
            "--to takes a postgres://USER@HOST/DATABASE address (or `postgres:` / `postgres:file=PATH`)",
        ));
    }
    if !Store::exists_in(data) {
        return Err(CliError::new(format!(
            "there is no store file in {} to move; pass the shop's --data directory",
            data.display()
        )));
    }
    // The shop must be closed: a sale made during the copy would be left behind.
    if ServerMarker::running(data).is_some() || CounterMarker::running(data) {
        return Err(CliError::new(format!(
            "{}; stop `frontdesk serve` and the counter screen first, so no sale is made while the store moves",
            tui::in_use(data)
        )));
    }
    // Read-only, so the file is left exactly as it was, byte for byte.
    let source = ReadOnlyStore::open(data)?;
    let before = verify_read_only(&source, None)?;
    if !before.is_ok() {
        return Err(CliError::new(format!(
            "the store file does not pass verify, so it was not moved:\n{}",
            before.lines().join("\n")
        )));
    }
    let copied = copy_into_postgres(&source.read()?, to)?;
    drop(source);
    let mut target = Store::open_postgres(to, data)?;
    let after = verify_store(&mut target, None)?;
    drop(target);
    let same_chain = after.audit_head == before.audit_head;
    let same_counts = after.records.as_ref().ok() == before.records.as_ref().ok();
    if !after.is_ok() || !same_chain || !same_counts {
        let removed = Store::remove_postgres_store(to);
        let mut message = format!(
            "the copy in PostgreSQL did not verify the same as the store file, so it was removed again (the file is untouched):\n{}",
            after.lines().join("\n")
        );
        if let Err(err) = removed {
            message.push_str(&format!(
                "\nremoving the copy failed too ({err}); drop the fd_* tables of that database by hand before trying again"
            ));
        }
        return Err(CliError::new(message));
    }
    let rows: u64 = copied.iter().map(|(_, rows)| rows).sum();
    let mut text = format!(
        "moved {} tables ({rows} rows) to PostgreSQL; the store file in {} was only read and is unchanged\n",
        copied.len(),
        data.display()
    );
    for line in after.lines() {
        text.push_str(&line);
        text.push('\n');
    }
    text.push_str(
        "start each site with `frontdesk serve --store ADDRESS` (the same address for every site)\n",
    );
    super::write_stdout(&text).map_err(|err| {
        CliError::new(format!(
            "the store moved, but the report could not be written ({err})"
        ))
    })?;
    Ok(ExitCode::SUCCESS)
}
