use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use super::CliError;
use crate::audit::Checkpoint;
use crate::service::integrity::{verify_read_only, verify_store};
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
    let report = match Store::open(data) {
        // Beside a running `frontdesk serve` or the counter screen, share the file rather
        // than fail.
        Err(StoreError::InUse(_))
            if ServerMarker::running(data).is_some() || CounterMarker::running(data) =>
        {
            verify_store(&mut Store::open_shared(data)?, checkpoint.as_ref())?
        }
        // A store this process may not write is still checked, read-only; only redb's
        // structural check, which repairs as it reads, is left out (and the report says so).
        Err(StoreError::DataDirNotWritable { .. }) => {
            verify_read_only(&ReadOnlyStore::open(data)?, checkpoint.as_ref())?
        }
        other => verify_store(&mut other?, checkpoint.as_ref())?,
    };
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
