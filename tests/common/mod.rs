//! Shared fixtures for the integration tests: a store in a temporary directory, a manual
//! clock, seeded entropy, and an independent TOTP implementation to play the phone.
#![allow(dead_code)]

pub mod binary;
pub mod pg;
pub mod ssh;
pub mod ui;

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use frontdesk::audit::Origin;
use frontdesk::clock::ManualClock;
use frontdesk::domain::access::Role;
use frontdesk::domain::catalog::ServiceCategory;
use frontdesk::domain::money::Money;
use frontdesk::entropy::SeededEntropy;
use frontdesk::ids::RecordId;
use frontdesk::service::{
    BayInput, InitialSetup, LoginRequest, NewStaff, SecondFactor, Service, ServiceError,
    ServiceInput, Session, StaffCredentials,
};
use frontdesk::store::Store;
use hmac::{KeyInit, Mac};
use secrecy::{ExposeSecret, SecretString};

pub const MANAGER: &str = "manager";
pub const MANAGER_PASSWORD: &str = "wash bay sunrise copper kettle";
pub const CASHIER: &str = "cashier";
pub const CASHIER_PASSWORD: &str = "foam cannon violet harbour";

pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 23, 17, 0, 0)
        .single()
        .expect("valid instant")
}

pub struct Shop {
    pub dir: tempfile::TempDir,
    pub service: Arc<Service>,
    pub clock: Arc<ManualClock>,
    pub manager_secret: Vec<u8>,
    pub manager_recovery_codes: Vec<String>,
    /// The database under a shop run on PostgreSQL (`FRONTDESK_TEST_ENGINE=postgres`),
    /// dropped with the shop.
    pub database: Option<pg::TestDatabase>,
}

/// Decodes the printed base32 secret the way an authenticator app would.
pub fn secret_from_base32(text: &str) -> Vec<u8> {
    data_encoding::BASE32_NOPAD
        .decode(text.trim().trim_end_matches('=').as_bytes())
        .expect("printed secret is base32")
}

/// RFC 6238 TOTP (SHA-1, 6 digits, 30 s), written from the RFC independently of the
/// library frontdesk uses, standing in for the staff member's phone.
pub fn phone_code(secret: &[u8], at: DateTime<Utc>) -> String {
    let counter = (at.timestamp() as u64) / 30;
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(secret).expect("any key length");
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let binary = (u32::from(digest[offset]) & 0x7f) << 24
        | u32::from(digest[offset + 1]) << 16
        | u32::from(digest[offset + 2]) << 8
        | u32::from(digest[offset + 3]);
    format!("{:06}", binary % 1_000_000)
}

pub fn credentials_secret(credentials: &StaffCredentials) -> Vec<u8> {
    secret_from_base32(&credentials.enrolment.secret_base32)
}

/// The usual test shop: on a store file, or on a fresh PostgreSQL database when the run
/// asks for it with `FRONTDESK_TEST_ENGINE=postgres`, so the same suites prove both engines.
pub fn open_shop() -> Shop {
    let dir = tempfile::tempdir().expect("temp dir");
    if pg::shop_on_postgres() {
        let database = pg::TestDatabase::create("shop").unwrap_or_else(|| {
            panic!(
                "FRONTDESK_TEST_ENGINE=postgres needs {}",
                pg::ADDRESS_VARIABLE
            )
        });
        let store = Store::create_postgres(&database.address, dir.path()).expect("create store");
        // The real binary run on this shop's --data finds its database here.
        std::fs::write(dir.path().join(pg::ADDRESS_FILE), &database.address).expect("address");
        let mut shop = open_shop_on(dir, store);
        shop.database = Some(database);
        return shop;
    }
    let store = Store::create(dir.path()).expect("create store");
    open_shop_on(dir, store)
}

/// The usual test shop on a disk the test can fill, free and make read-only.
pub fn open_shop_on_disk(disk: &frontdesk::store::testing::DiskSwitch) -> Shop {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::create_with_backend(dir.path(), disk.backends()).expect("create store");
    open_shop_on(dir, store)
}

/// What every test shop is set up with: its name, zone, currency and manager.
pub fn usual_setup() -> InitialSetup {
    InitialSetup {
        shop_name: "Sparkle Car Wash".to_owned(),
        timezone: "America/Vancouver".to_owned(),
        currency: "CAD".to_owned(),
        manager_username: MANAGER.to_owned(),
        manager_password: SecretString::from(MANAGER_PASSWORD.to_owned()),
        demo: false,
    }
}

/// The usual test shop, set up on a store just created in `dir`.
pub fn open_shop_on(dir: tempfile::TempDir, store: Store) -> Shop {
    let clock = Arc::new(ManualClock::new(start_time()));
    let (service, credentials) = Service::initialise(
        store,
        clock.clone(),
        Arc::new(SeededEntropy::new(42)),
        usual_setup(),
        Origin::Local,
    )
    .expect("initialise");
    Shop {
        manager_secret: credentials_secret(&credentials),
        manager_recovery_codes: credentials
            .recovery_codes
            .iter()
            .map(|code| code.expose().to_owned())
            .collect(),
        dir,
        service: Arc::new(service),
        clock,
        database: None,
    }
}

/// The store as another process opens it: the file in `dir`, or the shop's database.
pub fn reopen_store(dir: &std::path::Path, database: Option<&pg::TestDatabase>) -> Store {
    match database {
        Some(database) => Store::open_postgres(&database.address, dir).expect("open the database"),
        None => Store::open(dir).expect("open the store file"),
    }
}

/// Everything the store holds at rest: the store file's bytes, or a `pg_dump` of the
/// shop's database (data, not only schema).
pub fn bytes_at_rest(dir: &std::path::Path, database: Option<&pg::TestDatabase>) -> Vec<u8> {
    match database {
        Some(database) => {
            let bin = pg::server_programs().expect("pg_dump is installed with the server");
            let out = std::process::Command::new(bin.join("pg_dump"))
                .arg("--dbname")
                .arg(&database.address)
                .output()
                .expect("run pg_dump");
            assert!(
                out.status.success(),
                "pg_dump: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        }
        None => std::fs::read(Store::file_in(dir)).expect("read the store file"),
    }
}

impl Shop {
    pub fn login(
        &self,
        username: &str,
        password: &str,
        code: &str,
    ) -> Result<Session, ServiceError> {
        self.login_from(username, password, code, Origin::Local)
    }

    pub fn login_from(
        &self,
        username: &str,
        password: &str,
        code: &str,
        origin: Origin,
    ) -> Result<Session, ServiceError> {
        self.service.login(LoginRequest {
            username: username.to_owned(),
            password: SecretString::from(password.to_owned()),
            second_factor: SecondFactor::Totp(code.to_owned()),
            origin,
            ssh_key: None,
        })
    }

    /// Logs the manager in with the current code, then moves the clock to the next TOTP
    /// step so the next login's code is not a replay.
    pub fn manager(&self) -> Session {
        let code = phone_code(&self.manager_secret, self.clock.now_for_tests());
        let session = self
            .login(MANAGER, MANAGER_PASSWORD, &code)
            .expect("manager login");
        self.next_step();
        session
    }

    pub fn next_step(&self) {
        self.clock.advance(chrono::Duration::seconds(30));
    }

    /// Creates the cashier account and has the cashier enrol at their first login (their
    /// own password, their authenticator), then log out. Returns the cashier's TOTP secret.
    pub fn add_cashier(&self, manager: &Session) -> Vec<u8> {
        self.create_cashier(manager)
    }

    /// The manager creates the cashier's account and hands over the temporary password; the
    /// cashier logs in with it (no code), chooses `CASHIER_PASSWORD`, sets up the
    /// authenticator with a known code and logs out. Returns the cashier's TOTP secret.
    pub fn create_cashier(&self, manager: &Session) -> Vec<u8> {
        let login = self
            .service
            .create_staff(
                manager,
                NewStaff {
                    username: CASHIER.to_owned(),
                    display_name: "Counter".to_owned(),
                    role: Role::Cashier,
                },
            )
            .expect("create cashier");
        self.enrol(CASHIER, login.password.expose_secret(), CASHIER_PASSWORD)
    }

    /// A first login with `temporary`, then the whole enrolment: `own` as the password, an
    /// authenticator proven with the phone's code. Returns the new TOTP secret.
    pub fn enrol(&self, username: &str, temporary: &str, own: &str) -> Vec<u8> {
        let first = self
            .service
            .login(LoginRequest {
                username: username.to_owned(),
                password: SecretString::from(temporary.to_owned()),
                second_factor: SecondFactor::Absent,
                origin: Origin::Local,
                ssh_key: None,
            })
            .expect("first login with the temporary password");
        self.service
            .choose_enrolment_password(&first, &SecretString::from(own.to_owned()))
            .expect("choose own password");
        let enrolment = self
            .service
            .begin_authenticator_enrolment(&first)
            .expect("authenticator enrolment");
        let secret = secret_from_base32(&enrolment.secret_base32);
        let code = phone_code(&secret, self.clock.now_for_tests());
        self.service
            .finish_enrolment(&first, &code)
            .expect("finish enrolment");
        self.service.logout(&first).expect("logout");
        self.next_step();
        secret
    }

    /// "Exterior wash" (30 minutes, 20.00) done in "Bay 1": the least a shop needs to take
    /// bookings. Returns the service.
    pub fn exterior_wash_in_one_bay(&self, manager: &Session) -> RecordId {
        let wash = self
            .service
            .save_service(
                manager,
                ServiceInput {
                    id: None,
                    name: "Exterior wash".to_owned(),
                    category: ServiceCategory::Exterior,
                    duration_minutes: 30,
                    price: Money::from_minor(2000),
                    earns_points: true,
                    active: true,
                    tax_class: Default::default(),
                },
            )
            .expect("service")
            .id;
        self.service
            .save_bay(
                manager,
                BayInput {
                    id: None,
                    name: "Bay 1".to_owned(),
                    services: vec![wash],
                    active: true,
                },
            )
            .expect("bay");
        wash
    }

    /// A plan product on the price list: `months` per term at `price_minor`.
    pub fn plan_product(
        &self,
        manager: &Session,
        services: Vec<RecordId>,
        months: u32,
        price_minor: i64,
        washes_per_day: u32,
    ) -> RecordId {
        plan_product(
            &self.service,
            manager,
            services,
            months,
            price_minor,
            washes_per_day,
        )
    }

    pub fn package_product(
        &self,
        manager: &Session,
        service: RecordId,
        washes: u32,
        price_minor: i64,
        valid_months: Option<u32>,
    ) -> RecordId {
        package_product(
            &self.service,
            manager,
            service,
            washes,
            price_minor,
            valid_months,
        )
    }
}

/// A plan product on the price list: `months` per term at `price_minor`.
pub fn plan_product(
    service: &Service,
    manager: &Session,
    services: Vec<RecordId>,
    months: u32,
    price_minor: i64,
    washes_per_day: u32,
) -> RecordId {
    let product =
        frontdesk::domain::price_list::Product::Plan(frontdesk::domain::price_list::PlanProduct {
            id: RecordId::NEW,
            name: format!("Unlimited {months} mo {price_minor} x{washes_per_day}"),
            services,
            months_per_term: months,
            price_per_term: Money::from_minor(price_minor),
            washes_per_day,
            tax_class: Default::default(),
            active: true,
        });
    service
        .save_product(manager, product)
        .expect("plan product")
        .id()
}

/// A package product on the price list.
pub fn package_product(
    service: &Service,
    manager: &Session,
    for_service: RecordId,
    washes: u32,
    price_minor: i64,
    valid_months: Option<u32>,
) -> RecordId {
    let product = frontdesk::domain::price_list::Product::Package(
        frontdesk::domain::price_list::PackageProduct {
            id: RecordId::NEW,
            name: format!("{washes} washes {price_minor} {valid_months:?}"),
            service: for_service,
            washes,
            price: Money::from_minor(price_minor),
            valid_months,
            tax_class: Default::default(),
            active: true,
        },
    );
    service
        .save_product(manager, product)
        .expect("package product")
        .id()
}

/// Gives a catalog service another tax class, through the manager's own service editor call
/// (the shop's taxes must already name what the class names).
pub fn set_tax_class(
    service: &Service,
    manager: &Session,
    id: RecordId,
    class: frontdesk::domain::tax::TaxClass,
) {
    let item = service
        .list_services(manager)
        .expect("services")
        .into_iter()
        .find(|item| item.id == id)
        .expect("the service");
    service
        .save_service(
            manager,
            ServiceInput {
                id: Some(item.id),
                name: item.name,
                category: item.category,
                duration_minutes: item.duration_minutes,
                price: item.price,
                earns_points: item.earns_points,
                active: item.active,
                tax_class: class,
            },
        )
        .expect("tax class");
}

impl Shop {
    /// Sets the language `session`'s staff member sees (`zh-CN`), as Preferences would.
    pub fn set_language(&self, session: &Session, language: &str) {
        self.service
            .set_my_preferences(
                session,
                frontdesk::service::StaffPreferences {
                    language: Some(language.to_owned()),
                    theme: None,
                },
            )
            .expect("preferences");
    }

    pub fn cashier(&self, secret: &[u8]) -> Session {
        let code = phone_code(secret, self.clock.now_for_tests());
        let session = self
            .login(CASHIER, CASHIER_PASSWORD, &code)
            .expect("cashier login");
        self.next_step();
        session
    }
}

pub trait ClockExt {
    fn now_for_tests(&self) -> DateTime<Utc>;
}

impl ClockExt for ManualClock {
    fn now_for_tests(&self) -> DateTime<Utc> {
        frontdesk::clock::Clock::now(self)
    }
}

/// The newest audit entry's action.
pub fn last_audit_action(store: &Store) -> frontdesk::audit::AuditAction {
    *audit_actions(store).last().expect("an audit entry")
}

/// Every audit entry's action, oldest first, read straight from the store.
pub fn audit_actions(store: &Store) -> Vec<frontdesk::audit::AuditAction> {
    let reader = store.read().expect("read transaction");
    reader
        .audit_stream()
        .expect("audit stream")
        .map(|(_, bytes)| {
            frontdesk::audit::decode(&bytes)
                .expect("audit entry")
                .action
        })
        .collect()
}
