use std::path::Path;
use std::process::ExitCode;

use clap::Args;

use super::CliError;
use crate::audit::Checkpoint;
use crate::service::integrity::verify_store;
use crate::store::{Store, StoreError};
use crate::transport::server_marker::ServerMarker;

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
    // Beside a running `frontdesk serve`, share the file rather than fail.
    let mut store = match Store::open(data) {
        Err(StoreError::InUse(_)) if ServerMarker::running(data).is_some() => {
            Store::open_shared(data)?
        }
        other => other?,
    };
    let report = verify_store(&mut store, checkpoint.as_ref())?;
    for line in report.lines() {
        println!("{line}");
    }
    if report.is_ok() {
        Ok(ExitCode::SUCCESS)
    } else {
        Ok(ExitCode::FAILURE)
    }
}
