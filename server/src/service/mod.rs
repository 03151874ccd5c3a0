//! The service layer: the one place that decides (validation, state, audit). Both the
//! server functions (through `app::backend::Backend`) and the REST edge call it.
mod alerts;
mod audit;
pub mod auth;
mod clusters;
mod detached;
pub mod failover;
pub mod gluster_events;
pub mod health;
pub mod inventory;
pub mod names;
pub mod operations;
pub mod options;
mod recover;
pub mod schedule;
mod scope;
mod sessions;
pub mod views;

/// The status roll-up, at its former path.
pub use crate::domain::status;
/// The pure health rules, at their former path.
pub use health::rules as health_rules;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use app::error::AppError;
use uuid::Uuid;

use crate::gluster::{Gluster, GlusterError};
use crate::store::{ClusterRow, Store, StoreError};
use crate::sync::{Coordinator, Report, SyncError, Syncer};

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    /// This server's settings do not allow it (e.g. a command option); the text says which.
    #[error("{0}")]
    Forbidden(String),
    /// gluster accepted a change but its own read-back shows another value (nothing of it
    /// is stored as georep's: SQLite has what gluster reads).
    #[error("gluster did not take {key} = {sent:?}: its config reads {}",
        .reads.as_deref().map_or("no such key".into(), |r| format!("{r:?}")))]
    NotTaken {
        key: String,
        sent: String,
        reads: Option<String>,
    },
    /// The action is not possible from the session's current state (no gluster call made).
    #[error("cannot {} a session that is {}", .action.as_str(), .status.as_api())]
    WrongState {
        action: app::domain::SessionAction,
        status: app::domain::SessionStatus,
    },
    /// Another action on the same session is running (no gluster call made).
    #[error("another action on this session is in progress: {0}")]
    Busy(String),
    /// An operation ran and did not reach its goal (a DR sync whose checkpoint was not
    /// completed); the text says why.
    #[error("{0}")]
    Incomplete(String),
    /// An admin cancelled the operation; the text says where it stopped.
    #[error("cancelled: {0}")]
    Cancelled(String),
    #[error("not eligible for a session: {}", .0.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("; "))]
    NotEligible(Vec<app::domain::Ineligibility>),
    /// Too many failed logins for this user name or client; allowed again after this long.
    #[error("too many failed logins; try again in {} s", .0.as_secs() + 1)]
    TooManyAttempts(std::time::Duration),
    #[error(transparent)]
    Gluster(#[from] GlusterError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<ServiceError> for AppError {
    /// The serializable form for server functions: internals are logged, not sent.
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::Gluster(GlusterError::Timeout(t)) => {
                AppError::Timeout(format!("no answer within {} s", t.as_secs()))
            }
            ServiceError::Invalid(m) => AppError::Invalid(m),
            ServiceError::NotFound(m) => AppError::NotFound(m),
            ServiceError::Conflict(m) => AppError::Conflict(m),
            ServiceError::Forbidden(m) => AppError::Forbidden(m),
            e @ ServiceError::NotTaken { .. } => AppError::Gluster(e.to_string()),
            ServiceError::WrongState { action, status } => AppError::WrongState {
                action: action.as_str().into(),
                status,
            },
            ServiceError::Busy(m) => AppError::Busy(m),
            e @ ServiceError::Cancelled(_) => AppError::Conflict(e.to_string()),
            ServiceError::Incomplete(m) => AppError::Gluster(m),
            ServiceError::NotEligible(r) => AppError::NotEligible(r),
            e @ ServiceError::TooManyAttempts(_) => AppError::Conflict(e.to_string()),
            ServiceError::Gluster(g) => AppError::Gluster(g.to_string()),
            ServiceError::Store(StoreError::Duplicate(what)) => {
                AppError::Conflict(format!("{what} already exists"))
            }
            ServiceError::Store(e) => {
                tracing::error!(error = %e, "store error");
                AppError::Internal
            }
        }
    }
}

pub type Result<T, E = ServiceError> = std::result::Result<T, E>;

#[derive(Clone)]
pub struct Service {
    inner: Arc<Inner>,
}

struct Inner {
    /// The store, gluster, and the coordinator every action, probe and sync cycle shares.
    sync: Syncer,
    /// Clusters whose master node has run `gsec_create` in this process.
    gsec_done: Mutex<HashSet<uuid::Uuid>>,
    health: health::HealthState,
    /// Whether command options may be changed (`serve --allow-command-options`).
    command_options: options::CommandOptions,
    /// The admin actions under way (each in a task of its own: `detached.rs`).
    actions: tokio_util::task::TaskTracker,
    /// This process, as the owner of the operations it runs.
    instance: String,
    /// How long the audit trail keeps an event (None: for ever).
    event_retention: Option<chrono::Duration>,
    /// Where gluster's nodes reach this georep (`serve --events-url`), for pushed events.
    events_url: Option<String>,
}

impl Service {
    pub fn new(store: Store, gluster: Gluster) -> Self {
        Self::with_health(store, gluster, health::HealthConfig::default())
    }

    /// A service whose health probes, lag threshold and alerts follow `health`.
    pub fn with_health(store: Store, gluster: Gluster, health: health::HealthConfig) -> Self {
        Self::configured(
            store,
            gluster,
            health,
            options::CommandOptions::default(),
            None,
            None,
        )
    }

    /// A service with every setting given.
    pub fn configured(
        store: Store,
        gluster: Gluster,
        health: health::HealthConfig,
        command_options: options::CommandOptions,
        event_retention: Option<chrono::Duration>,
        events_url: Option<String>,
    ) -> Self {
        let instance = Uuid::new_v4().to_string();
        Service {
            inner: Arc::new(Inner {
                sync: Syncer {
                    store,
                    gluster,
                    coord: Coordinator::default(),
                    instance: instance.clone(),
                },
                gsec_done: Mutex::new(HashSet::new()),
                health: health::HealthState::new(health),
                command_options,
                actions: tokio_util::task::TaskTracker::new(),
                instance,
                event_retention,
                events_url,
            }),
        }
    }

    /// The same store and gluster with `serve`'s settings (before anything runs: locks and
    /// caches start empty).
    pub fn with_serve_config(
        &self,
        health: health::HealthConfig,
        command_options: options::CommandOptions,
        event_retention: Option<chrono::Duration>,
        events_url: Option<String>,
    ) -> Self {
        Self::configured(
            self.store().clone(),
            self.gluster().clone(),
            health,
            command_options,
            event_retention,
            events_url,
        )
    }

    /// This process's name as the owner of operations.
    pub fn instance(&self) -> &str {
        &self.inner.instance
    }

    /// How long the audit trail keeps an event (None: for ever).
    pub fn event_retention(&self) -> Option<chrono::Duration> {
        self.inner.event_retention
    }

    pub fn command_options(&self) -> options::CommandOptions {
        self.inner.command_options
    }

    pub fn gluster(&self) -> &Gluster {
        &self.inner.sync.gluster
    }

    pub fn store(&self) -> &Store {
        &self.inner.sync.store
    }

    /// The sync, sharing this service's coordinator.
    pub fn syncer(&self) -> &Syncer {
        &self.inner.sync
    }

    fn coord(&self) -> &Coordinator {
        &self.inner.sync.coord
    }

    /// One sync cycle over every cluster (`georep sync`, tests).
    pub async fn sync_all(&self) -> Vec<(String, std::result::Result<Report, SyncError>)> {
        self.syncer().all().await
    }

    /// One sync cycle of one cluster.
    pub async fn sync_cluster(
        &self,
        cluster: &ClusterRow,
    ) -> std::result::Result<Report, SyncError> {
        self.syncer().cluster(cluster).await
    }

    /// The sync loop: a cycle every `interval` until `stop` turns true.
    pub fn sync_loop(
        &self,
        interval: Duration,
        stop: tokio::sync::watch::Receiver<bool>,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        self.syncer().clone().run(interval, stop)
    }

    /// A pooled connection, for reads and one-statement writes.
    pub(crate) async fn conn(&self) -> Result<crate::store::Pooled> {
        Ok(self.store().conn().await?)
    }
}
