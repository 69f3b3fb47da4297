use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = frontdesk::cli::Cli::parse();
    match frontdesk::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("frontdesk: {err}");
            ExitCode::FAILURE
        }
    }
}
