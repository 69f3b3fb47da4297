use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = frontdesk::cli::Cli::parse();
    match frontdesk::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            // `eprintln!` would panic on a closed or full standard error; there is nowhere
            // left to report that, so the exit status alone says it failed.
            let _ = writeln!(std::io::stderr(), "frontdesk: {err}");
            ExitCode::FAILURE
        }
    }
}
