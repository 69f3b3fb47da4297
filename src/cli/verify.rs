use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use super::CliError;
use crate::audit::{Checkpoint, Origin};
use crate::domain::alerts::AlertRule;
use crate::service::integrity::{verify_read_only, verify_store};
use crate::service::{AlertDetail, raise_system_alert_in};
use crate::store::{ReadOnlyStore, Store, StoreError};
use crate::transport::server_marker::{CounterMarker, ServerMarker};

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// A checkpoint written down earlier, as COUNT:HASH; detects a truncated or rewritten log.
    #[arg(long, value_name = "COUNT:HASH")]
    checkpoint: Option<String>,
}

pub fn run(data: &Path, args: VerifyArgs) -> Result<ExitCode, CliError> {
    let checkpoint = args
        .checkpoint
        .as_deref()
        .map(|text| {
            text.parse::<Checkpoint>()
                .map_err(|err| CliError::new(err.to_string()))
        })
        .transpose()?;
    let opened = match super::store_choice::postgres() {
        Some(location) => Store::open_postgres(location, data),
        None => Store::open(data),
    };
    let (report, writable) = match opened {
        // Beside a running `frontdesk serve` or the counter screen, share the file rather
        // than fail.
        Err(StoreError::InUse(_))
            if ServerMarker::running(data).is_some() || CounterMarker::running(data) =>
        {
            let mut store = Store::open_shared(data)?;
            (verify_store(&mut store, checkpoint.as_ref())?, Some(store))
        }
        // A store this process may not write is still checked, read-only; only redb's
        // structural check, which repairs as it reads, is left out (and the report says so).
        Err(StoreError::DataDirNotWritable { .. }) => (
            verify_read_only(&ReadOnlyStore::open(data)?, checkpoint.as_ref())?,
            None,
        ),
        other => {
            let mut store = other?;
            (verify_store(&mut store, checkpoint.as_ref())?, Some(store))
        }
    };
    // A broken chain is raised as an alert on every manager's screen (a read-only store
    // cannot take one; the report below still says so).
    if let (Some(problem), Some(store)) = (&report.audit_problem, &writable) {
        raise_system_alert_in(
            store,
            chrono::Utc::now(),
            Origin::Cli {
                command: "verify".to_owned(),
            },
            AlertRule::AuditChainCheckFailed,
            AlertDetail::new(problem.clone()),
        )?;
    }
    let mut text = report.lines().join("\n");
    text.push('\n');
    super::write_stdout(&text).map_err(|err| {
        CliError::new(format!(
            "could not write the verification report to standard output ({err}); run verify again with its output going to a terminal or a file"
        ))
    })?;
    if report.is_ok() {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::FAILURE)
    }
}
