//! `frontdesk demo`: a demo store with invented customers, for trying the desk out and for the
//! benchmarks. It is built in a private scratch directory inside the data directory and moved
//! into place only when complete, so an interrupted run never leaves a half-made store behind.

use std::fs::{self, File};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use secrecy::ExposeSecret;

use super::{CliError, Runtime};
use crate::service::{DemoOptions, DemoProgress, DemoReport, DemoStage, MAX_DEMO_MEMBERS, Service};
use crate::store::{Store, StoreError};

/// Scratch directory inside the data directory while the demo is being built.
const BUILD_DIR: &str = ".frontdesk-demo-build";
const LOCK_FILE: &str = "build.lock";
/// Runs at least this big report their progress on standard error.
const PROGRESS_FROM_MEMBERS: u64 = 20_000;

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// How many members to invent, each with cars, visits and points (1,000,000 is the
    /// benchmark dataset: about ten million visits).
    #[arg(long, value_name = "N", default_value_t = 2000,
          value_parser = clap::value_parser!(u64).range(1..=MAX_DEMO_MEMBERS))]
    members: u64,
    /// Makes the data reproducible: the same seed on the same day gives the same members,
    /// history and sample lookups. Keys, passwords and authenticator secrets are always fresh
    /// from the operating system, seed or not.
    #[arg(long, value_name = "S")]
    seed: Option<u64>,
}

fn io_error(what: &str, path: &Path, err: std::io::Error) -> CliError {
    CliError::new(format!(
        "could not {what} {} ({err}); check the data directory's permissions and free space",
        path.display()
    ))
}

/// Thousands separators for counts.
fn grouped(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (position, digit) in digits.chars().enumerate() {
        if position > 0 && (digits.len() - position).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Progress on standard error: a line rewritten in place on a terminal, one line per tenth
/// otherwise; silent for small runs.
struct ProgressLine {
    enabled: bool,
    terminal: bool,
    last: Option<(DemoStage, u64)>,
}

impl ProgressLine {
    fn new(members: u64) -> Self {
        Self {
            enabled: members >= PROGRESS_FROM_MEMBERS,
            terminal: std::io::stderr().is_terminal(),
            last: None,
        }
    }

    fn show(&mut self, progress: DemoProgress) {
        if !self.enabled || progress.total == 0 {
            return;
        }
        let percent = progress.done.saturating_mul(100) / progress.total;
        let step = if self.terminal {
            percent
        } else {
            percent / 10 * 10
        };
        if self.last == Some((progress.stage, step)) {
            return;
        }
        self.last = Some((progress.stage, step));
        let text = match progress.stage {
            DemoStage::Members => format!(
                "members: {percent:>3}% ({} of {}; {} visits so far)",
                grouped(progress.done),
                grouped(progress.total),
                grouped(progress.visits)
            ),
            DemoStage::Visits => format!(
                "visits sorted into place: {percent:>3}% ({} of {})",
                grouped(progress.done),
                grouped(progress.total)
            ),
        };
        let mut err = std::io::stderr().lock();
        let _ = if self.terminal {
            write!(err, "\r\x1b[2K{text}")
        } else {
            writeln!(err, "{text}")
        };
        let _ = err.flush();
    }

    fn finish(&mut self) {
        if self.enabled && self.terminal && self.last.is_some() {
            eprintln!();
        }
    }
}

/// Removes what an earlier, interrupted build left in the scratch directory.
fn clear_build_dir(build: &Path) -> Result<(), CliError> {
    let entries = fs::read_dir(build).map_err(|e| io_error("read", build, e))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if name == LOCK_FILE {
            continue;
        }
        if path.is_file() {
            fs::remove_file(&path).map_err(|e| io_error("remove", &path, e))?;
        }
    }
    Ok(())
}

/// Moves the finished store into the data directory without ever replacing one that appeared
/// there meanwhile.
fn move_into_place(built: &Path, data: &Path) -> Result<(), CliError> {
    let target = Store::file_in(data);
    match fs::hard_link(built, &target) {
        Ok(()) => {
            fs::remove_file(built).map_err(|e| io_error("remove", built, e))?;
            // Make the new name itself survive a power cut (the file's data already does).
            if let Ok(dir) = File::open(data) {
                let _ = dir.sync_all();
            }
            Ok(())
        }
        Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => {
            Err(StoreError::AlreadyInitialised(data.to_path_buf()).into())
        }
        // A file system without hard links: check, then rename.
        Err(_) if target.exists() => Err(StoreError::AlreadyInitialised(data.to_path_buf()).into()),
        Err(_) => {
            fs::rename(built, &target).map_err(|e| io_error("move the demo store to", &target, e))
        }
    }
}

pub fn run(data: &Path, runtime: &Runtime, args: DemoArgs) -> Result<ExitCode, CliError> {
    if Store::exists_in(data) {
        return Err(StoreError::AlreadyInitialised(data.to_path_buf()).into());
    }
    crate::store::ensure_private_dir(data)?;
    let build = data.join(BUILD_DIR);
    crate::store::ensure_private_dir(&build)?;
    let lock_path = build.join(LOCK_FILE);
    let lock = File::create(&lock_path).map_err(|e| io_error("create", &lock_path, e))?;
    if lock.try_lock().is_err() {
        return Err(CliError::new(format!(
            "another `frontdesk demo` is building a store in {}; wait for it to finish",
            data.display()
        )));
    }
    clear_build_dir(&build)?;
    let started = Instant::now();
    let mut progress = ProgressLine::new(args.members);
    let store = Store::create(&build)?;
    let result = Service::create_demo(
        store,
        runtime.clock.clone(),
        runtime.entropy.clone(),
        &DemoOptions {
            members: args.members,
            seed: args.seed,
        },
        &build,
        &mut |p| progress.show(p),
    );
    progress.finish();
    let finished = result.map_err(CliError::from).and_then(|report| {
        move_into_place(&Store::file_in(&build), data)?;
        Ok(report)
    });
    let _ = clear_build_dir(&build);
    drop(lock);
    let _ = fs::remove_file(&lock_path);
    let _ = fs::remove_dir(&build);
    let report = finished?;
    if progress.enabled {
        eprintln!("built in {} s", started.elapsed().as_secs());
    }
    print_report(data, &report);
    Ok(ExitCode::SUCCESS)
}

fn print_report(data: &Path, report: &DemoReport) {
    let counts = &report.counts;
    println!(
        "Demo store created in {}: every person, phone, plate and visit in it is invented.",
        data.display()
    );
    println!(
        "Shop: {} ({}, {}), flagged DEMO on every screen.",
        report.shop_name, report.timezone, report.currency
    );
    println!(
        "Data: {} members, {} vehicles, {} visits over three years, {} bookings around today,",
        grouped(counts.members),
        grouped(counts.vehicles),
        grouped(counts.visits),
        grouped(counts.bookings)
    );
    println!(
        "      {} points ledger entries ({} redemptions, {} expired lots), {} plans, {} packages.",
        grouped(counts.ledger_entries),
        grouped(counts.redemptions),
        grouped(counts.expiries),
        grouped(counts.plans),
        grouped(counts.packages)
    );
    println!(
        "Seed: {} (`frontdesk demo --seed {}` in another empty directory makes the same data).",
        report.seed, report.seed
    );
    println!();
    println!("Staff logins, ready to use (each authenticator activates at its first login):");
    for login in &report.logins {
        let enrolment = &login.credentials.enrolment;
        println!();
        println!("  user:          {} ({})", login.username, login.role);
        println!("  password:      {}", login.password.expose_secret());
        println!("  otpauth URI:   {}", enrolment.otpauth_uri.as_str());
        println!("  base32 secret: {}", enrolment.secret_base32.as_str());
    }
    println!();
    println!(
        "Add the URI or secret to an authenticator app, or get the current code with `oathtool --totp -b SECRET`."
    );
    println!();
    println!("Sample lookups to try in the search box:");
    for lookup in &report.lookups {
        let label = format!("{}:", lookup.kind.as_str());
        println!(
            "  {label:<8} {}   (member #{})",
            lookup.query, lookup.member_number
        );
    }
    println!();
    println!(
        "Next: run `frontdesk --data {}` (from the source tree: `cargo run --release -- --data {}`) and log in as manager or cashier.",
        data.display(),
        data.display()
    );
}

#[cfg(test)]
mod tests {
    use super::grouped;

    #[test]
    fn counts_are_grouped_in_thousands() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1_234_567), "1,234,567");
    }
}
