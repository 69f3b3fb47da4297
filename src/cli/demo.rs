//! `frontdesk demo`: a demo store with invented customers, for trying the desk out and for the
//! benchmarks. It is built in a private scratch directory inside the data directory and moved
//! into place only once it is complete and its staff logins have been printed, so an
//! interrupted run, or one whose output went nowhere, never leaves a store behind.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;
use secrecy::ExposeSecret;
use zeroize::Zeroizing;

use super::staging::StagedStore;
use super::{CliError, Runtime, write_stdout};
use crate::service::{DemoOptions, DemoProgress, DemoReport, DemoStage, MAX_DEMO_MEMBERS, Service};
use crate::store::Store;
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
            let _ = writeln!(std::io::stderr());
        }
    }
}

pub fn run(data: &Path, runtime: &Runtime, args: DemoArgs) -> Result<ExitCode, CliError> {
    let staged = StagedStore::begin(data)?;
    let started = Instant::now();
    let mut progress = ProgressLine::new(args.members);
    let store = Store::create(staged.dir())?;
    let result = Service::create_demo(
        store,
        runtime.clock.clone(),
        runtime.entropy.clone(),
        &DemoOptions {
            members: args.members,
            seed: args.seed,
        },
        staged.dir(),
        &mut |p| progress.show(p),
    );
    progress.finish();
    let report = result?;
    if progress.enabled {
        let _ = writeln!(
            std::io::stderr(),
            "built in {} s",
            started.elapsed().as_secs()
        );
    }
    let text = report_text(data, &report)
        .map_err(|_| CliError::new("could not lay out the demo's report; nothing was created"))?;
    write_stdout(&text).map_err(|err| {
        CliError::new(format!(
            "could not write the demo's staff logins to standard output ({err}); nothing was created — run `frontdesk demo` again with its output going to a terminal or a file"
        ))
    })?;
    // Only now, with the logins in the person's hands, does the store take its place.
    staged.commit()?;
    Ok(ExitCode::SUCCESS)
}

/// What the person at the terminal is told, staff passwords and authenticator secrets
/// included: it is zeroed when dropped.
fn report_text(data: &Path, report: &DemoReport) -> Result<Zeroizing<String>, std::fmt::Error> {
    let counts = &report.counts;
    let mut text = Zeroizing::new(String::new());
    let out = &mut *text;
    writeln!(
        out,
        "Demo store created in {}: every person, phone, plate and visit in it is invented.",
        data.display()
    )?;
    writeln!(
        out,
        "Shop: {} ({}, {}), flagged DEMO on every screen.",
        report.shop_name, report.timezone, report.currency
    )?;
    writeln!(
        out,
        "Data: {} members, {} vehicles, {} visits over three years, {} bookings around today,",
        grouped(counts.members),
        grouped(counts.vehicles),
        grouped(counts.visits),
        grouped(counts.bookings)
    )?;
    writeln!(
        out,
        "      {} points ledger entries ({} redemptions, {} expired lots), {} plans, {} packages.",
        grouped(counts.ledger_entries),
        grouped(counts.redemptions),
        grouped(counts.expiries),
        grouped(counts.plans),
        grouped(counts.packages)
    )?;
    writeln!(
        out,
        "Seed: {} (`frontdesk demo --seed {}` in another empty directory makes the same data on {}, shop time).",
        report.seed, report.seed, report.data_date
    )?;
    writeln!(out)?;
    writeln!(
        out,
        "Staff logins, ready to use (each authenticator activates at its first login):"
    )?;
    for login in &report.logins {
        let enrolment = &login.credentials.enrolment;
        writeln!(out)?;
        writeln!(out, "  user:          {} ({})", login.username, login.role)?;
        writeln!(out, "  password:      {}", login.password.expose_secret())?;
        writeln!(out, "  otpauth URI:   {}", enrolment.otpauth_uri.as_str())?;
        writeln!(out, "  base32 secret: {}", enrolment.secret_base32.as_str())?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Add the URI or secret to an authenticator app, or get the current code with `oathtool --totp -b SECRET`."
    )?;
    writeln!(out)?;
    writeln!(out, "Sample lookups to try in the search box:")?;
    for lookup in &report.lookups {
        let label = format!("{}:", lookup.kind.as_str());
        writeln!(
            out,
            "  {label:<8} {}   (member #{})",
            lookup.query, lookup.member_number
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Next: run `frontdesk --data {}` (from the source tree: `cargo run --release -- --data {}`) and log in as manager or cashier.",
        data.display(),
        data.display()
    )?;
    Ok(text)
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
