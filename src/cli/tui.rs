//! `frontdesk` with no command: the counter TUI on this terminal, or the setup wizard when the
//! data directory holds no shop yet.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use super::{CliError, Runtime};
use crate::audit::Origin;
use crate::store::{ReadAccess, Store, StoreError};
use crate::transport::backup_timer::BackupTimer;
use crate::transport::server_marker::{CounterMarker, ServerMarker};
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

/// The counter screen needs a real terminal on both ends.
pub fn require_terminal(what_else: &str) -> Result<(), CliError> {
    if !std::io::stdout().is_terminal() || !std::io::stdin().is_terminal() {
        return Err(CliError::new(format!(
            "the counter screen needs a terminal; run frontdesk in a terminal window, or {what_else}"
        )));
    }
    Ok(())
}

/// The counter terminal's environment: configuration from the config dir, the local origin.
pub fn local_env(
    data: &Path,
    runtime: &Runtime,
    theme: Option<&str>,
) -> Result<(AppEnv, Keymap, Option<PathBuf>), CliError> {
    let config = config_dir();
    let theme_dir = config.as_ref().map(|dir| dir.join("themes"));
    let forced_theme = forced_theme(theme, theme_dir.as_deref())?;
    let (keymap, keymap_error) = Keymap::load(config.as_deref());
    let env = AppEnv {
        clock: runtime.clock.clone(),
        entropy: runtime.entropy.clone(),
        data_dir: data.to_path_buf(),
        origin: Origin::Local,
        keymap: keymap.clone(),
        forced_theme,
        theme_dir: theme_dir.clone(),
        startup_notices: keymap_error.map(|e| e.to_string()).into_iter().collect(),
        ssh_server: None,
        quit_when_session_ends: false,
    };
    Ok((env, keymap, theme_dir))
}

pub fn run(data: &Path, runtime: &Runtime, theme: Option<&str>) -> Result<ExitCode, CliError> {
    require_terminal("use a command such as `frontdesk verify` (see --help)")?;
    let (env, _, _) = local_env(data, runtime, theme)?;
    let mut held = None;
    // On a shared PostgreSQL store the counter hears other sites' changes through a hub.
    let hub = crate::transport::hub::Hub::new();
    let app = match open_shop(data)? {
        Some((store, marker)) => {
            let service = Arc::new(runtime.service(store)?);
            {
                let hub = hub.clone();
                service.follow_other_processes(Arc::new(move || hub.store_changed_elsewhere()));
            }
            let timer = BackupTimer::start(service.clone(), Origin::Local);
            held = Some((marker, timer));
            App::login(env, service)
        }
        None => App::setup(env),
    };
    let ran = crate::transport::local::run(app, Some(&hub)).map_err(|e| {
        CliError::new(format!(
            "the terminal failed ({e}); the store is safe, start frontdesk again"
        ))
    });
    // The timer's thread holds the service (and so the store) until it stops.
    drop(held);
    ran?;
    compact_if_due(data);
    Ok(ExitCode::SUCCESS)
}

/// The shop's store, or `None` when the wizard must create one (no file, or a file left by a
/// setup that did not finish). The counter keeps the store shared, under its marker, so
/// `frontdesk backup` can take a snapshot beside it; it first opens the file alone to do any
/// compaction an erasure asked for.
fn open_shop(data: &Path) -> Result<Option<(Store, CounterMarker)>, CliError> {
    if let Some(location) = super::store_choice::postgres() {
        // Each site's counter and sessions share the database with the other sites; the
        // marker still keeps a second counter of this machine off the same data directory.
        let store = super::store_choice::open_postgres(location, data)?;
        let marker = CounterMarker::claim(data)
            .map_err(|err| CliError::new(err.to_string()))?
            .ok_or_else(|| in_use(data))?;
        return Ok(Some((store, marker)));
    }
    if !Store::exists_in(data) {
        return Ok(None);
    }
    let mut store = match Store::open(data) {
        Ok(store) => store,
        Err(StoreError::InUse(_)) => return Err(in_use(data)),
        Err(err) => return Err(err.into()),
    };
    // A member erased while the file was shared (or before a crash) leaves ciphertext in freed
    // pages until the file is compacted; this process has it alone now.
    store.compact_if_due()?;
    let has_shop = store
        .read()
        .map_err(CliError::from)?
        .settings()
        .map_err(CliError::from)?
        .is_some();
    if !has_shop {
        return Ok(None);
    }
    drop(store);
    let marker = CounterMarker::claim(data)
        .map_err(|err| CliError::new(err.to_string()))?
        .ok_or_else(|| in_use(data))?;
    // Claimed first, checked second: a server starting at the same moment does the same in
    // the other order, so one of the two always sees the other.
    if ServerMarker::running(data).is_some() {
        return Err(in_use(data));
    }
    let store = match Store::open_shared(data) {
        Ok(store) => store,
        Err(StoreError::InUse(_)) => return Err(in_use(data)),
        Err(err) => return Err(err.into()),
    };
    Ok(Some((store, marker)))
}

/// After erasures at the desk, compacts the closed store so their ciphertext leaves the freed
/// pages. Best effort: if the file is busy or the disk fails, the store stays marked and the
/// next exclusive open compacts it.
pub fn compact_if_due(data: &Path) {
    if super::store_choice::postgres().is_some() {
        return;
    }
    if let Ok(mut store) = Store::open(data) {
        let _ = store.compact_if_due();
    }
}

/// The store for a one-off command: shared with a running `frontdesk serve`, else refused with
/// what to do when another process has it. (Beside the counter screen only `backup` shares
/// the file: the counter's in-memory name index would not see another process's changes.)
pub fn open_store_for_command(data: &Path) -> Result<Store, CliError> {
    if let Some(location) = super::store_choice::postgres() {
        return super::store_choice::open_postgres(location, data);
    }
    match Store::open(data) {
        Err(StoreError::InUse(_)) if ServerMarker::running(data).is_some() => {
            Ok(Store::open_shared(data)?)
        }
        Err(StoreError::InUse(_)) => Err(in_use(data)),
        other => Ok(other?),
    }
}

/// Why the store is busy, and what to do about it.
pub fn in_use(data: &Path) -> CliError {
    match ServerMarker::running(data) {
        Some(server) => CliError::new(format!(
            "frontdesk serve is running on {} ({server}); log in from this terminal with `ssh -p {} YOUR_USER@localhost`, or use the server's own screen",
            data.display(),
            server.port().unwrap_or(crate::transport::ssh::DEFAULT_PORT)
        )),
        None => CliError::new(format!(
            "the store in {} is open in another frontdesk process (the counter screen); use that terminal, or quit it first",
            data.display()
        )),
    }
}
