//! `frontdesk site add NAME` / `site list` / `site limit USER SITE… | --all`: the chain's
//! sites and which sites a staff account may log in at (a manager's login, audited).

use std::path::Path;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use super::staff_login::StaffLoginArgs;
use super::{CliError, Runtime, tui};
use crate::domain::site::Site;

#[derive(Debug, Args)]
pub struct SiteArgs {
    #[command(subcommand)]
    command: SiteCommand,
}

#[derive(Debug, Subcommand)]
enum SiteCommand {
    /// Add a site to the chain; run its counter with `frontdesk --site NAME`.
    Add {
        /// The new site's name, as staff will type it in `--site`.
        #[arg(value_name = "NAME")]
        name: String,
        #[command(flatten)]
        login: StaffLoginArgs,
    },
    /// List the chain's sites.
    List {
        #[command(flatten)]
        login: StaffLoginArgs,
    },
    /// Let a staff account log in only at the sites named, or at every site with --all.
    Limit {
        /// The staff account's user name.
        #[arg(value_name = "USER")]
        staff: String,
        /// The sites the account may log in at.
        #[arg(
            value_name = "SITE",
            required_unless_present = "all",
            conflicts_with = "all"
        )]
        sites: Vec<String>,
        /// Let the account log in at every site again.
        #[arg(long)]
        all: bool,
        #[command(flatten)]
        login: StaffLoginArgs,
    },
}

pub fn run(data: &Path, runtime: &Runtime, args: SiteArgs) -> Result<ExitCode, CliError> {
    let (login, command) = match args.command {
        SiteCommand::Add { name, login } => (login, Action::Add(name)),
        SiteCommand::List { login } => (login, Action::List),
        SiteCommand::Limit {
            staff,
            sites,
            all,
            login,
        } => (login, Action::Limit { staff, sites, all }),
    };
    let typed = login.ask()?;
    let store = tui::open_store_for_command(data)?;
    let service = runtime.service(store)?;
    let session = service.login(typed.request(command.name()))?;
    let result = match command {
        Action::Add(name) => service.add_site(&session, &name).map(|site| {
            format!(
                "Site {} added as `{}`; run its counter with `frontdesk --site \"{}\"`.\n",
                site.index, site.name, site.name
            )
        }),
        Action::List => service.sites(&session).map(|sites| list_text(&sites)),
        Action::Limit { staff, sites, all } => service
            .limit_staff_sites(&session, &staff, (!all).then_some(sites.as_slice()))
            .map(|limited| match limited {
                None => format!("{} may now log in at every site.\n", staff.trim()),
                Some(indexes) => format!(
                    "{} may now log in only at {} site{}.\n",
                    staff.trim(),
                    indexes.len(),
                    if indexes.len() == 1 { "" } else { "s" }
                ),
            }),
    };
    service.logout(&session)?;
    let text = result?;
    super::write_stdout(&text).map_err(|err| {
        CliError::new(format!(
            "could not write to standard output ({err}); run the command again with its output going to a terminal or a file"
        ))
    })?;
    Ok(ExitCode::SUCCESS)
}

enum Action {
    Add(String),
    List,
    Limit {
        staff: String,
        sites: Vec<String>,
        all: bool,
    },
}

impl Action {
    fn name(&self) -> &'static str {
        match self {
            Action::Add(_) => "site add",
            Action::List => "site list",
            Action::Limit { .. } => "site limit",
        }
    }
}

/// One line per site: its index and name, the first site marked as such.
fn list_text(sites: &[Site]) -> String {
    sites
        .iter()
        .map(|site| {
            let first = if site.index == crate::domain::site::FIRST_SITE {
                "  (first site)"
            } else {
                ""
            };
            format!("{:>3}  {}{first}\n", site.index, site.name)
        })
        .collect()
}
