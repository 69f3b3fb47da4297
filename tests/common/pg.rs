//! A fresh PostgreSQL database per test, on the throw-away cluster `.ci/run` starts (or one a
//! developer points `FRONTDESK_TEST_POSTGRES` at). Without the variable the PostgreSQL tests
//! say they were skipped and why, and pass.

use std::sync::atomic::{AtomicU32, Ordering};

/// The admin address, e.g. `postgres://me@%2Ftmp%2Fpg/postgres`.
pub const ADDRESS_VARIABLE: &str = "FRONTDESK_TEST_POSTGRES";

/// Set to `postgres` to run the usual test shop (`open_shop`) on PostgreSQL.
pub const ENGINE_VARIABLE: &str = "FRONTDESK_TEST_ENGINE";

/// In a test shop's data directory on PostgreSQL: its database's address, for the binary.
pub const ADDRESS_FILE: &str = "test-store-address";

/// A database made for one test and dropped after it.
pub struct TestDatabase {
    pub address: String,
    admin: String,
    name: String,
}

impl TestDatabase {
    /// A new empty database, or `None` (having said why) when no server is configured.
    pub fn create(test: &str) -> Option<TestDatabase> {
        let Ok(admin) = std::env::var(ADDRESS_VARIABLE) else {
            eprintln!(
                "skipped {test}: no PostgreSQL server; set {ADDRESS_VARIABLE} (`.ci/postgres-cluster start DIR` prints one) to run it"
            );
            return None;
        };
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "fd_test_{}_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed),
            test.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .take(20)
                .collect::<String>()
                .to_lowercase()
        );
        let mut client = postgres::Client::connect(&admin, postgres::NoTls).unwrap_or_else(|err| {
            panic!("{ADDRESS_VARIABLE} is set but the server refused: {err}")
        });
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create the test database");
        let base = admin
            .rsplit_once('/')
            .map(|(base, _)| base.to_owned())
            .expect("the address ends with /DATABASE");
        Some(TestDatabase {
            address: format!("{base}/{name}"),
            admin,
            name,
        })
    }

    /// A psql-style connection for checks the store's API does not offer.
    pub fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.address, postgres::NoTls).expect("connect")
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&self.admin, postgres::NoTls) {
            let _ = client.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// Whether the usual test shop runs on PostgreSQL in this run.
pub fn shop_on_postgres() -> bool {
    std::env::var(ENGINE_VARIABLE).is_ok_and(|engine| engine == "postgres")
}

/// The directory holding the PostgreSQL server's programs (`pg_dump`), if installed.
pub fn server_programs() -> Option<std::path::PathBuf> {
    let mut found = None;
    for entry in std::fs::read_dir("/usr/lib/postgresql").ok()?.flatten() {
        let bin = entry.path().join("bin");
        if bin.join("pg_dump").is_file() {
            found = Some(bin);
        }
    }
    found
}
