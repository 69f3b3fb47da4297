//! Where the PostgreSQL server is and how to reach it: a `postgres://` address, the standard
//! `PG*` variables, or a private file holding either; TLS with the server's certificate and
//! name checked. The password is kept secret: never printed, logged or shown by `Debug`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use secrecy::{ExposeSecret, SecretString};

use super::super::StoreError;

/// The prefix that selects the PostgreSQL engine in `--store` / `FRONTDESK_STORE`.
pub const SCHEME: &str = "postgres";

/// How to connect: the settings tokio-postgres understands, and whether TLS must verify the
/// server. Built by [`ConnectSettings::parse`]; the original text is kept only as a secret.
#[derive(Clone)]
pub struct ConnectSettings {
    config: postgres::Config,
    tls: TlsChoice,
    /// `database on host`, for messages.
    described: String,
}

#[derive(Clone)]
enum TlsChoice {
    Off,
    /// `sslmode=verify-full`: the chain checked against these roots and the host name.
    Verified(Arc<rustls::RootCertStore>),
}

impl std::fmt::Debug for ConnectSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnectSettings")
            .field("server", &self.described)
            .finish_non_exhaustive()
    }
}

/// Whether a `--store` value names a PostgreSQL server rather than a directory.
pub fn names_postgres(location: &str) -> bool {
    location.starts_with("postgres://")
        || location.starts_with("postgresql://")
        || location == "postgres:"
        || location.starts_with("postgres:file=")
}

impl ConnectSettings {
    /// Reads a `--store` value: `postgres://user@host/db?…` (or `postgresql://`), `postgres:`
    /// for the standard `PGHOST`/`PGPORT`/`PGUSER`/`PGPASSWORD`/`PGDATABASE`/`PGSSLMODE`/
    /// `PGSSLROOTCERT` variables, or `postgres:file=PATH` for a file (mode 0600) holding a
    /// `postgres://` address.
    pub fn parse(location: &str) -> Result<ConnectSettings, StoreError> {
        let secret = SecretString::from(location.to_owned());
        if let Some(path) = location.strip_prefix("postgres:file=") {
            return Self::from_file(Path::new(path));
        }
        if location == "postgres:" {
            return Self::from_environment(&|name| std::env::var(name).ok());
        }
        Self::from_address(secret.expose_secret())
    }

    fn from_file(path: &Path) -> Result<ConnectSettings, StoreError> {
        let unreadable = |err: std::io::Error| {
            StoreError::Postgres(format!(
                "the connection file {} cannot be read ({err}); check the path",
                path.display()
            ))
        };
        let metadata = std::fs::metadata(path).map_err(unreadable)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            if metadata.permissions().mode() & 0o077 != 0 {
                return Err(StoreError::Postgres(format!(
                    "the connection file {} can be read by other users; run `chmod 600 {}` and try again",
                    path.display(),
                    path.display()
                )));
            }
        }
        let _ = metadata;
        let text = SecretString::from(std::fs::read_to_string(path).map_err(unreadable)?);
        let address = text.expose_secret().trim();
        if !(address.starts_with("postgres://") || address.starts_with("postgresql://")) {
            return Err(StoreError::Postgres(format!(
                "the connection file {} must hold one postgres:// address",
                path.display()
            )));
        }
        Self::from_address(address)
    }

    /// The `PG*` variables libpq reads, through `lookup` (the environment in the program).
    pub fn from_environment(
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ConnectSettings, StoreError> {
        let mut config = postgres::Config::new();
        let host = lookup("PGHOST").unwrap_or_else(|| "/var/run/postgresql".to_owned());
        for host in host.split(',') {
            if host.starts_with('/') {
                config.host_path(host);
            } else {
                config.host(host);
            }
        }
        if let Some(port) = lookup("PGPORT") {
            let port = port.parse::<u16>().map_err(|_| {
                StoreError::Postgres(format!("PGPORT `{port}` is not a port number"))
            })?;
            config.port(port);
        }
        let user = lookup("PGUSER")
            .or_else(|| lookup("USER"))
            .ok_or_else(|| StoreError::Postgres("set PGUSER to the database user".to_owned()))?;
        config.user(&user);
        if let Some(password) = lookup("PGPASSWORD") {
            config.password(password);
        }
        config.dbname(&lookup("PGDATABASE").unwrap_or_else(|| user.clone()));
        let mode = lookup("PGSSLMODE").unwrap_or_else(|| "prefer".to_owned());
        let root = lookup("PGSSLROOTCERT").map(PathBuf::from);
        Self::finish(config, &mode, root.as_deref())
    }

    fn from_address(address: &str) -> Result<ConnectSettings, StoreError> {
        let (base, mode, root) = split_tls_options(address);
        let config: postgres::Config = base.parse().map_err(|err: postgres::Error| {
            StoreError::Postgres(format!(
                "the PostgreSQL address cannot be read ({err}); write it as postgres://USER@HOST/DATABASE"
            ))
        })?;
        Self::finish(config, mode.as_deref().unwrap_or("prefer"), root.as_deref())
    }

    fn finish(
        mut config: postgres::Config,
        mode: &str,
        root: Option<&Path>,
    ) -> Result<ConnectSettings, StoreError> {
        let tls = match mode {
            "disable" | "allow" | "prefer" => {
                config.ssl_mode(postgres::config::SslMode::Disable);
                TlsChoice::Off
            }
            "verify-full" => {
                config.ssl_mode(postgres::config::SslMode::Require);
                TlsChoice::Verified(Arc::new(root_certificates(root)?))
            }
            "require" | "verify-ca" => {
                return Err(StoreError::Postgres(format!(
                    "sslmode={mode} does not check the server's name; use sslmode=verify-full (with sslrootcert=FILE for a private CA) or sslmode=disable on a local socket"
                )));
            }
            other => {
                return Err(StoreError::Postgres(format!(
                    "sslmode `{other}` is not known; use verify-full or disable"
                )));
            }
        };
        let described = describe(&config);
        Ok(ConnectSettings {
            config,
            tls,
            described,
        })
    }

    /// `database on host`, for messages (no user, no password).
    pub fn describe(&self) -> &str {
        &self.described
    }

    /// Opens one connection.
    pub fn connect(&self) -> Result<postgres::Client, StoreError> {
        let refused = |err: postgres::Error| {
            StoreError::Postgres(format!(
                "cannot reach the PostgreSQL database {} ({}); check that the server runs and the address, user and password are right",
                self.described,
                first_line(&err)
            ))
        };
        match &self.tls {
            TlsChoice::Off => self.config.connect(postgres::NoTls).map_err(refused),
            TlsChoice::Verified(roots) => {
                // ring is the one provider built (russh uses it too); rustls marks it
                // deprecated only for lacking post-quantum key exchange.
                #[allow(deprecated)]
                let tls_config = rustls::ClientConfig::builder_with_provider(Arc::new(
                    rustls::crypto::ring::default_provider(),
                ))
                .with_safe_default_protocol_versions()
                .map_err(|err| StoreError::Postgres(format!("TLS cannot be set up: {err}")))?
                .with_root_certificates(Arc::clone(roots))
                .with_no_client_auth();
                let tls = tokio_postgres_rustls::MakeRustlsConnect::new(tls_config);
                self.config.connect(tls).map_err(refused)
            }
        }
    }
}

/// The database's error without the driver's wrapping, on one line.
pub(super) fn first_line(err: &postgres::Error) -> String {
    match err.as_db_error() {
        Some(db) => db.message().to_owned(),
        None => err
            .to_string()
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned(),
    }
}

fn describe(config: &postgres::Config) -> String {
    let database = config.get_dbname().unwrap_or("(default)");
    let host = config
        .get_hosts()
        .first()
        .map(|host| match host {
            postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".to_owned());
    format!("`{database}` on {host}")
}

/// tokio-postgres knows `sslmode` only up to `require` and no `sslrootcert`, so both are taken
/// out of the address here and applied by [`ConnectSettings::finish`].
fn split_tls_options(address: &str) -> (String, Option<String>, Option<PathBuf>) {
    let (head, query) = match address.split_once('?') {
        Some((head, query)) => (head, query),
        None => return (address.to_owned(), None, None),
    };
    let mut mode = None;
    let mut root = None;
    let mut kept = Vec::new();
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("sslmode", value)) => mode = Some(value.to_owned()),
            Some(("sslrootcert", value)) => root = Some(PathBuf::from(value)),
            _ => kept.push(pair),
        }
    }
    let base = if kept.is_empty() {
        head.to_owned()
    } else {
        format!("{head}?{}", kept.join("&"))
    };
    (base, mode, root)
}

fn root_certificates(file: Option<&Path>) -> Result<rustls::RootCertStore, StoreError> {
    let mut roots = rustls::RootCertStore::empty();
    match file {
        Some(file) => {
            let bad = |what: String| {
                StoreError::Postgres(format!("the CA certificate file {} {what}", file.display()))
            };
            let pem = std::fs::read(file).map_err(|err| bad(format!("cannot be read ({err})")))?;
            let mut reader = std::io::BufReader::new(pem.as_slice());
            for cert in rustls_pemfile_certs(&mut reader) {
                let cert = cert.map_err(|err| bad(format!("is not PEM ({err})")))?;
                roots
                    .add(cert)
                    .map_err(|err| bad(format!("holds an unusable certificate ({err})")))?;
            }
            if roots.is_empty() {
                return Err(bad("holds no certificate".to_owned()));
            }
        }
        None => {
            let found = rustls_native_certs::load_native_certs();
            for cert in found.certs {
                let _ = roots.add(cert);
            }
            if roots.is_empty() {
                return Err(StoreError::Postgres(
                    "no trusted CA certificates were found on this machine; give one with sslrootcert=FILE".to_owned(),
                ));
            }
        }
    }
    Ok(roots)
}

fn rustls_pemfile_certs(
    reader: &mut dyn std::io::BufRead,
) -> impl Iterator<Item = Result<rustls::pki_types::CertificateDer<'static>, String>> {
    use rustls::pki_types::pem::PemObject;
    let mut text = Vec::new();
    let read = reader.read_to_end(&mut text).map_err(|err| err.to_string());
    let certs: Vec<Result<_, String>> = match read {
        Ok(_) => rustls::pki_types::CertificateDer::pem_slice_iter(&text)
            .map(|cert| cert.map_err(|err| err.to_string()))
            .collect(),
        Err(err) => vec![Err(err)],
    };
    certs.into_iter()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tls_options_tokio_postgres_does_not_know_are_taken_out_of_the_address() {
        let (base, mode, root) = split_tls_options(
            "postgres://desk@db.example/chain?sslmode=verify-full&sslrootcert=/etc/ca.pem&connect_timeout=5",
        );
        assert_eq!(base, "postgres://desk@db.example/chain?connect_timeout=5");
        assert_eq!(mode.as_deref(), Some("verify-full"));
        assert_eq!(root, Some(PathBuf::from("/etc/ca.pem")));
    }

    #[test]
    fn a_mode_that_skips_the_name_check_is_refused_with_the_one_to_use() {
        let err = ConnectSettings::parse("postgres://desk@db.example/chain?sslmode=require")
            .unwrap_err()
            .to_string();
        assert!(err.contains("sslmode=verify-full"), "{err}");
    }

    #[test]
    fn verify_full_with_a_missing_ca_file_names_the_file() {
        let err = ConnectSettings::parse(
            "postgres://desk@db.example/chain?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("/nonexistent/ca.pem"), "{err}");
    }

    #[test]
    fn the_password_never_appears_in_debug_or_messages() {
        let settings =
            ConnectSettings::parse("postgres://desk:hunter2-secret@db.example/chain").unwrap();
        let shown = format!("{settings:?} {}", settings.describe());
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("chain"), "{shown}");
    }

    #[test]
    fn the_pg_variables_give_host_port_user_and_database() {
        let vars = |name: &str| match name {
            "PGHOST" => Some("/tmp/pg-socket".to_owned()),
            "PGPORT" => Some("5433".to_owned()),
            "PGUSER" => Some("desk".to_owned()),
            "PGPASSWORD" => Some("hunter2-secret".to_owned()),
            "PGDATABASE" => Some("chain".to_owned()),
            _ => None,
        };
        let settings = ConnectSettings::from_environment(&vars).unwrap();
        assert_eq!(settings.describe(), "`chain` on /tmp/pg-socket");
        assert_eq!(settings.config.get_ports(), &[5433]);
        assert!(!format!("{settings:?}").contains("hunter2"));
    }

    #[test]
    fn a_connection_file_others_can_read_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("store.conn");
        std::fs::write(&file, "postgres://desk:pw@db.example/chain\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
            let err = ConnectSettings::parse(&format!("postgres:file={}", file.display()))
                .unwrap_err()
                .to_string();
            assert!(err.contains("chmod 600"), "{err}");
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let settings =
            ConnectSettings::parse(&format!("postgres:file={}", file.display())).unwrap();
        assert_eq!(settings.describe(), "`chain` on db.example");
    }
}
