//! Slow work run off the UI path (argon2, creating a shop, reports). The app returns a
//! [`Task`] as an effect; the transport runs it on a worker thread and feeds the
//! [`TaskOutput`] back as an event. Tests run tasks inline.

use std::path::PathBuf;
use std::sync::Arc;

use secrecy::SecretString;

use super::view::ViewTaskOutput;
use crate::audit::Origin;
use crate::clock::Clock;
use crate::entropy::Entropy;
use crate::service::{InitialSetup, LoginRequest, Service, ServiceError, Session};
use crate::store::Store;

pub enum Task {
    /// First run: create the store file and the shop with its first manager.
    CreateShop {
        data_dir: PathBuf,
        setup: InitialSetup,
        clock: Arc<dyn Clock>,
        entropy: Arc<dyn Entropy>,
        origin: Origin,
    },
    Login {
        service: Arc<Service>,
        request: LoginRequest,
    },
    Unlock {
        service: Arc<Service>,
        session: Session,
        password: SecretString,
    },
    ChangePassword {
        service: Arc<Service>,
        session: Session,
        current: SecretString,
        new: SecretString,
    },
    /// A view's own slow work; the result goes back to the view on top.
    ForView {
        /// English; shown with a spinner while it runs.
        label: &'static str,
        work: Box<dyn FnOnce() -> ViewTaskOutput + Send>,
    },
}

impl std::fmt::Debug for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Task::CreateShop { .. } => "Task::CreateShop",
            Task::Login { .. } => "Task::Login",
            Task::Unlock { .. } => "Task::Unlock",
            Task::ChangePassword { .. } => "Task::ChangePassword",
            Task::ForView { .. } => "Task::ForView",
        })
    }
}

pub enum TaskOutput {
    ShopCreated(Result<Arc<Service>, String>),
    LoggedIn(Result<Session, ServiceError>),
    Unlocked(Result<(), ServiceError>),
    PasswordChanged(Result<(), ServiceError>),
    ForView(ViewTaskOutput),
}

impl std::fmt::Debug for TaskOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TaskOutput::ShopCreated(_) => "TaskOutput::ShopCreated",
            TaskOutput::LoggedIn(_) => "TaskOutput::LoggedIn",
            TaskOutput::Unlocked(_) => "TaskOutput::Unlocked",
            TaskOutput::PasswordChanged(_) => "TaskOutput::PasswordChanged",
            TaskOutput::ForView(_) => "TaskOutput::ForView",
        })
    }
}

impl Task {
    /// English label for the progress line.
    pub fn label(&self) -> &'static str {
        match self {
            Task::CreateShop { .. } => "Creating the shop…",
            Task::Login { .. } => "Checking your password…",
            Task::Unlock { .. } => "Checking your password…",
            Task::ChangePassword { .. } => "Changing your password…",
            Task::ForView { label, .. } => label,
        }
    }

    /// Does the work. Blocking: call it on a worker thread.
    pub fn run(self) -> TaskOutput {
        match self {
            Task::CreateShop {
                data_dir,
                setup,
                clock,
                entropy,
                origin,
            } => TaskOutput::ShopCreated(create_shop(&data_dir, setup, clock, entropy, origin)),
            Task::Login { service, request } => TaskOutput::LoggedIn(service.login(request)),
            Task::Unlock {
                service,
                session,
                password,
            } => TaskOutput::Unlocked(service.unlock(&session, &password)),
            Task::ChangePassword {
                service,
                session,
                current,
                new,
            } => TaskOutput::PasswordChanged(service.change_own_password(&session, &current, &new)),
            Task::ForView { work, .. } => TaskOutput::ForView(work()),
        }
    }
}

fn create_shop(
    data_dir: &std::path::Path,
    setup: InitialSetup,
    clock: Arc<dyn Clock>,
    entropy: Arc<dyn Entropy>,
    origin: Origin,
) -> Result<Arc<Service>, String> {
    setup.validate().map_err(|e| e.to_string())?;
    let store = if Store::exists_in(data_dir) {
        Store::open(data_dir).map_err(|e| e.to_string())?
    } else {
        Store::create(data_dir).map_err(|e| e.to_string())?
    };
    // The owner enrols next, in the desk's enrolment screen; until then the store records
    // that setup is unfinished, so an interruption resumes rather than locks them out.
    let service =
        Service::begin_setup(store, clock, entropy, setup, origin).map_err(|e| e.to_string())?;
    Ok(Arc::new(service))
}
