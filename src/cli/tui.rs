//! `frontdesk` with no command: the counter TUI on this terminal, or the setup wizard when the
//! data directory holds no shop yet.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use super::{CliError, Runtime};
use crate::audit::Origin;
use crate::service::Service;
use crate::store::{ReadAccess, Store, StoreError};
use crate::ui::keymap::Keymap;
use crate::ui::theme::Theme;
use crate::ui::{App, AppEnv};

/// Where keymap.toml and themes/ live: `$FRONTDESK_CONFIG`, else the platform config dir.
fn config_dir() -> Option<PathBuf> {
    match std::env::var_os("FRONTDESK_CONFIG") {
        Some(dir) if !dir.is_empty() => Some(PathBuf::from(dir)),
        _ => dirs::config_dir().map(|dir| dir.join("frontdesk")),
    }
}

/// `NO_COLOR` set to anything non-empty asks for no colour (no-color.org).
fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|value| !value.is_empty())
}

/// The theme forced for every login: `--theme`, else mono under `NO_COLOR`.
pub fn forced_theme(
    name: Option<&str>,
    theme_dir: Option<&Path>,
) -> Result<Option<Theme>, CliError> {
    match name {
        Some(name) => Theme::load(name, theme_dir)
            .map(Some)
            .map_err(|e| CliError::new(e.to_string())),
        None if no_color() => Ok(Theme::built_in("mono")),
        None => Ok(None),
    }
}

pub fn run(data: &Path, runtime: &Runtime, theme: Option<&str>) -> Result<ExitCode, CliError> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(CliError::new(
            "the counter screen needs a terminal; run frontdesk in a terminal window, or use a command such as `frontdesk verify` (see --help)",
        ));
    }
    let config = config_dir();
    let theme_dir = config.as_ref().map(|dir| dir.join("themes"));
    let forced_theme = forced_theme(theme, theme_dir.as_deref())?;
    let (keymap, keymap_error) = Keymap::load(config.as_deref());
    let env = AppEnv {
        clock: runtime.clock.clone(),
        entropy: runtime.entropy.clone(),
        data_dir: data.to_path_buf(),
        origin: Origin::Local,
        keymap,
        forced_theme,
        theme_dir,
        startup_notices: keymap_error.map(|e| e.to_string()).into_iter().collect(),
        ssh_server: None,
        quit_when_session_ends: false,
    };
    let app = match open_shop(data)? {
        Some(store) => App::login(
            env,
            Arc::new(Service::new(
                store,
                runtime.clock.clone(),
                runtime.entropy.clone(),
            )),
        ),
        None => App::setup(env),
    };
    crate::transport::local::run(app).map_err(|e| {
        CliError::new(format!(
            "the terminal failed ({e}); the store is safe, start frontdesk again"
        ))
    })?;
    Ok(ExitCode::SUCCESS)
}

/// The shop's store, or `None` when the wizard must create one (no file, or a file left by a
/// setup that did not finish).
fn open_shop(data: &Path) -> Result<Option<Store>, CliError> {
    if !Store::exists_in(data) {
        return Ok(None);
    }
    let store = match Store::open(data) {
        Ok(store) => store,
        Err(StoreError::InUse(_)) => {
            return Err(CliError::new(format!(
                "the store in {} is open in another frontdesk process; use that terminal, or if it is `frontdesk serve`, connect with `ssh -p 2222 USER@HOST`",
                data.display()
            )));
        }
        Err(err) => return Err(err.into()),
    };
    let has_shop = store
        .read()
        .map_err(CliError::from)?
        .settings()
        .map_err(CliError::from)?
        .is_some();
    Ok(has_shop.then_some(store))
}
