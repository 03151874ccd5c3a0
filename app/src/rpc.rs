//! Server functions: the UI's calls into the backend. They live under `/rpc` so that the
//! REST API owns `/api`.
use leptos::prelude::*;

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::{ClusterSummary, Ineligibility};
#[cfg(feature = "ssr")]
use crate::domain::{Connection, NewCluster};
use crate::error::AppError;
use crate::health::{LagSample, ProbeReport, RestartOutcome, SessionHealth};
#[cfg(feature = "ssr")]
use crate::views::local_path;
use crate::views::{Me, SessionDetail, SessionSummary, VolumeView};

#[server(prefix = "/rpc", endpoint = "list_clusters")]
pub async fn list_clusters() -> Result<Vec<ClusterSummary>, AppError> {
    crate::backend::backend()?.clusters().await
}

/// Registers a cluster (the clusters page's form: every field is text; an empty ssh user or
/// port is ssh's default; `no_verify` present registers without asking gluster first).
#[server(prefix = "/rpc", endpoint = "add_cluster")]
pub async fn add_cluster(
    name: String,
    host: String,
    connection: String,
    description: Option<String>,
    ssh_user: Option<String>,
    ssh_port: Option<String>,
    no_verify: Option<String>,
) -> Result<ClusterSummary, AppError> {
    let connection = Connection::parse(&connection)
        .ok_or_else(|| AppError::Invalid(format!("unknown connection kind {connection:?}")))?;
    let given = |v: Option<String>| v.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let ssh_port = given(ssh_port)
        .map(|p| {
            p.parse::<i64>()
                .map_err(|_| AppError::Invalid(format!("ssh port {p:?} is not a number")))
        })
        .transpose()?;
    crate::backend::backend()?
        .add_cluster(
            &crate::backend::actor()?,
            NewCluster {
                name,
                description: description.unwrap_or_default(),
                host,
                connection,
                ssh_user: given(ssh_user),
                ssh_port,
            },
            no_verify.is_none(),
        )
        .await
}

/// The hosts of a cluster, with the ssh host keys georep trusts.
#[server(prefix = "/rpc", endpoint = "list_cluster_hosts")]
pub async fn list_cluster_hosts(id: Uuid) -> Result<Vec<crate::domain::HostView>, AppError> {
    crate::backend::backend()?.cluster_hosts(id).await
}

/// Changes a cluster's name, description, ssh user and port, or trusts a host's new key.
#[server(prefix = "/rpc", endpoint = "edit_cluster")]
pub async fn edit_cluster(
    id: Uuid,
    edit: crate::domain::ClusterEdit,
    verify: bool,
) -> Result<ClusterSummary, AppError> {
    crate::backend::backend()?
        .edit_cluster(&crate::backend::actor()?, id, edit, verify)
        .await
}

/// Turns gluster's pushed events on or off for a cluster: the node checks.
#[server(prefix = "/rpc", endpoint = "set_gluster_events")]
pub async fn set_gluster_events(
    id: Uuid,
    on: bool,
) -> Result<crate::domain::GlusterEventsSetup, AppError> {
    crate::backend::backend()?
        .set_gluster_events(&crate::backend::actor()?, id, on)
        .await
}

/// Forgets a cluster in georep; gluster keeps everything (`force`: also with sessions).
#[server(prefix = "/rpc", endpoint = "remove_cluster")]
pub async fn remove_cluster(
    id: Uuid,
    force: bool,
) -> Result<crate::domain::RemovedCluster, AppError> {
    crate::backend::backend()?
        .remove_cluster(&crate::backend::actor()?, id, force)
        .await
}

#[server(prefix = "/rpc", endpoint = "create_session")]
#[allow(clippy::too_many_arguments)]
pub async fn create_session(
    master_volume_id: uuid::Uuid,
    slave_host: String,
    slave_volume: String,
    slave_user: Option<String>,
    force: bool,
    start: bool,
    // optional on the wire: a form without them (an older page) still creates
    ssh_port: Option<u16>,
    no_verify: Option<bool>,
    setup_slave: Option<bool>,
    slave_group: Option<String>,
) -> Result<crate::domain::CreatedSession, AppError> {
    crate::backend::backend()?
        .create_session(
            &crate::backend::actor()?,
            crate::domain::NewSession {
                master_volume_id,
                slave_host,
                slave_volume,
                slave_user,
                force,
                start,
                ssh_port,
                no_verify: no_verify.unwrap_or(false),
                setup_slave: setup_slave.unwrap_or(false),
                slave_group: slave_group.filter(|g| !g.trim().is_empty()),
            },
        )
        .await
}

/// start / stop / pause / resume / delete (`reset_sync_time` for delete only).
#[server(prefix = "/rpc", endpoint = "session_action")]
pub async fn session_action(
    id: uuid::Uuid,
    action: crate::domain::SessionAction,
    force: bool,
    reset_sync_time: bool,
) -> Result<crate::domain::ActionOutcome, AppError> {
    crate::backend::backend()?
        .session_action(
            &crate::backend::actor()?,
            id,
            action,
            force,
            reset_sync_time,
        )
        .await
}

/// Cleans up a stale session: `stop force`, then `delete` (refused unless it is stale).
#[server(prefix = "/rpc", endpoint = "cleanup_session")]
pub async fn cleanup_session(id: uuid::Uuid) -> Result<crate::domain::ActionOutcome, AppError> {
    crate::backend::backend()?
        .cleanup_session(&crate::backend::actor()?, id)
        .await
}

#[server(prefix = "/rpc", endpoint = "session_options")]
pub async fn session_options(
    id: uuid::Uuid,
) -> Result<Vec<crate::domain::SessionOption>, AppError> {
    crate::backend::backend()?.session_options(id).await
}

#[server(prefix = "/rpc", endpoint = "set_session_option")]
pub async fn set_session_option(
    id: uuid::Uuid,
    key: String,
    value: String,
) -> Result<crate::domain::SessionOption, AppError> {
    crate::backend::backend()?
        .set_option(&crate::backend::actor()?, id, key, value)
        .await
}

#[server(prefix = "/rpc", endpoint = "reset_session_option")]
pub async fn reset_session_option(
    id: uuid::Uuid,
    key: String,
) -> Result<crate::domain::SessionOption, AppError> {
    crate::backend::backend()?
        .reset_option(&crate::backend::actor()?, id, key)
        .await
}

#[server(prefix = "/rpc", endpoint = "set_checkpoint")]
pub async fn set_checkpoint(
    id: uuid::Uuid,
    at: crate::domain::Checkpoint,
) -> Result<crate::domain::ActionOutcome, AppError> {
    crate::backend::backend()?
        .set_checkpoint(&crate::backend::actor()?, id, at)
        .await
}

#[server(prefix = "/rpc", endpoint = "refresh_session")]
pub async fn refresh_session(id: uuid::Uuid) -> Result<crate::domain::SessionInfo, AppError> {
    crate::backend::actor()?;
    crate::backend::backend()?.refresh_session(id).await
}

/// A page of the audit trail, newest first: the events `filter` selects (all without it) that
/// are older than `before` or newer than `after` (the newest without either), at most `limit`
/// (default 50).
#[server(prefix = "/rpc", endpoint = "list_events")]
pub async fn list_events(
    filter: Option<crate::domain::EventFilter>,
    before: Option<i64>,
    after: Option<i64>,
    limit: Option<i64>,
) -> Result<crate::domain::EventPage, AppError> {
    let cursor =
        crate::domain::EventCursor::of(before, after).map_err(|e| AppError::Invalid(e.into()))?;
    crate::backend::backend()?
        .events(filter.unwrap_or_default(), cursor, limit.unwrap_or(50))
        .await
}

#[server(prefix = "/rpc", endpoint = "whoami")]
pub async fn whoami() -> Result<Option<Me>, AppError> {
    Ok(crate::backend::current_user())
}

/// Logs in and sets the session cookie; then goes to `next` (a local path) or `/`.
#[server(prefix = "/rpc", endpoint = "login")]
pub async fn login(name: String, password: String, next: Option<String>) -> Result<(), AppError> {
    let cookie = crate::backend::backend()?.login(name, password).await?;
    let opts = expect_context::<leptos_axum::ResponseOptions>();
    opts.insert_header(
        http::header::SET_COOKIE,
        http::HeaderValue::from_str(&cookie).map_err(|_| AppError::Internal)?,
    );
    redirect_plain_form(&local_path(next.as_deref()));
    Ok(())
}

/// A form posted without JavaScript gets a redirect; the app itself (JSON) reloads the page
/// on its own, so that everything is read again as the new user.
#[cfg(feature = "ssr")]
fn redirect_plain_form(to: &str) {
    let html = use_context::<http::request::Parts>()
        .and_then(|p| {
            p.headers
                .get(http::header::ACCEPT)
                .and_then(|a| a.to_str().ok())
                .map(|a| a.contains("text/html"))
        })
        .unwrap_or(false);
    if html {
        leptos_axum::redirect(to);
    }
}

#[server(prefix = "/rpc", endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let cookie = crate::backend::backend()?
        .logout(crate::backend::session_cookie())
        .await?;
    let opts = expect_context::<leptos_axum::ResponseOptions>();
    opts.insert_header(
        http::header::SET_COOKIE,
        http::HeaderValue::from_str(&cookie).map_err(|_| AppError::Internal)?,
    );
    redirect_plain_form("/login");
    Ok(())
}

#[server(prefix = "/rpc", endpoint = "list_volumes")]
pub async fn list_volumes() -> Result<Vec<VolumeView>, AppError> {
    crate::backend::backend()?.volumes().await
}

/// A volume and the sessions it is the master of.
#[server(prefix = "/rpc", endpoint = "volume_sessions")]
pub async fn volume_sessions(id: Uuid) -> Result<(VolumeView, Vec<SessionSummary>), AppError> {
    crate::backend::backend()?.volume_sessions(id).await
}

#[server(prefix = "/rpc", endpoint = "list_sessions")]
pub async fn list_sessions() -> Result<Vec<SessionSummary>, AppError> {
    crate::backend::backend()?.sessions().await
}

/// The sessions overview: every cluster's sessions that `filter` lets through, sorted by
/// `sort` (default: health, worst first) in `order` (default: the column's first order).
#[server(prefix = "/rpc", endpoint = "session_overview")]
pub async fn get_session_overview(
    filter: Option<crate::views::SessionFilter>,
    sort: Option<crate::views::SessionSort>,
    order: Option<crate::views::SortOrder>,
) -> Result<crate::views::SessionOverview, AppError> {
    let sort = sort.unwrap_or(crate::views::SessionSort::Health);
    crate::backend::backend()?
        .session_overview(
            filter.unwrap_or_default(),
            sort,
            order.unwrap_or(sort.first_order()),
        )
        .await
}

/// How many sessions of every cluster are not healthy (the page title's and favicon's
/// number; None for nobody logged in).
#[server(prefix = "/rpc", endpoint = "not_healthy")]
pub async fn not_healthy() -> Result<Option<usize>, AppError> {
    if crate::backend::current_user().is_none() {
        return Ok(None);
    }
    Ok(Some(crate::backend::backend()?.not_healthy().await?))
}

#[server(prefix = "/rpc", endpoint = "session_detail")]
pub async fn get_session_detail(id: Uuid) -> Result<SessionDetail, AppError> {
    crate::backend::backend()?.session_detail(id).await
}

/// Why `slave_host::slave_volume` is not a good slave for the master volume (nothing is
/// changed; gluster's own verification runs at create).
#[server(prefix = "/rpc", endpoint = "check_eligibility")]
pub async fn check_eligibility(
    master_volume_id: Uuid,
    slave_host: String,
    slave_volume: String,
    // optional on the wire: without it a session of any user into the slave is a reason
    slave_user: Option<String>,
) -> Result<Vec<Ineligibility>, AppError> {
    crate::backend::backend()?
        .eligibility(master_volume_id, slave_host, slave_volume, slave_user)
        .await
}

/// The pre-flight check of a planned session: both clusters read again, the master node that
/// will run `create` and every slave node asked (ssh, versions, clocks, the mountbroker for a
/// user other than root). Changes nothing; an admin's (it runs scripts on the nodes).
#[server(prefix = "/rpc", endpoint = "preflight_session")]
pub async fn preflight_session(
    master_volume_id: Uuid,
    slave_host: String,
    slave_volume: String,
    slave_user: Option<String>,
    ssh_port: Option<u16>,
) -> Result<crate::preflight::Preflight, AppError> {
    crate::backend::backend()?
        .preflight(crate::domain::NewSession {
            master_volume_id,
            slave_host,
            slave_volume,
            slave_user,
            ssh_port,
            ..Default::default()
        })
        .await
}

#[server(prefix = "/rpc", endpoint = "get_session_health")]
pub async fn get_session_health(id: Uuid) -> Result<SessionHealth, AppError> {
    crate::backend::backend()?.session_health(id).await
}

/// Probes the session now (takes up to the probe timeout, a minute by default).
#[server(prefix = "/rpc", endpoint = "probe_session")]
pub async fn probe_session(id: Uuid) -> Result<ProbeReport, AppError> {
    crate::backend::backend()?
        .probe_session(&crate::backend::actor()?, id)
        .await
}

/// Restarts the session's stalled workers and probes again.
#[server(prefix = "/rpc", endpoint = "restart_stalled")]
pub async fn restart_stalled(id: Uuid) -> Result<RestartOutcome, AppError> {
    crate::backend::backend()?
        .restart_stalled(&crate::backend::actor()?, id)
        .await
}

/// Lag samples of a session since a time (default: the last 24 hours), oldest first.
#[server(prefix = "/rpc", endpoint = "get_lag_history")]
pub async fn get_lag_history(
    id: Uuid,
    since: Option<DateTime<Utc>>,
) -> Result<Vec<LagSample>, AppError> {
    crate::backend::backend()?.lag_history(id, since).await
}

/// Server functions a viewer may call (everything else changes something).
pub const READ_ONLY_ENDPOINTS: &[&str] = &[
    "whoami",
    "logout",
    "list_clusters",
    "list_cluster_hosts",
    "list_volumes",
    "volume_sessions",
    "list_sessions",
    "session_overview",
    "not_healthy",
    "session_detail",
    "session_options",
    "check_eligibility",
    "list_events",
    "get_session_health",
    "get_lag_history",
    "list_operations",
    "get_recovery",
    "get_failover_check",
    "live",
];

/// Operations newest first: of one session, or all; only unfinished ones if asked.
#[server(prefix = "/rpc", endpoint = "list_operations")]
pub async fn list_operations(
    session: Option<Uuid>,
    unfinished: bool,
    limit: i64,
) -> Result<Vec<crate::operations::OperationView>, AppError> {
    crate::backend::backend()?
        .operations(session, unfinished, limit)
        .await
}

/// Asks a running operation to stop at its next safe point.
#[server(prefix = "/rpc", endpoint = "cancel_operation")]
pub async fn cancel_operation(id: Uuid) -> Result<crate::operations::OperationView, AppError> {
    crate::backend::backend()?
        .cancel_operation(&crate::backend::actor()?, id)
        .await
}

/// A session's DR state: recovery point, schedule, self-healing, last runs.
#[server(prefix = "/rpc", endpoint = "get_recovery")]
pub async fn get_recovery(session: Uuid) -> Result<crate::operations::RecoveryView, AppError> {
    crate::backend::backend()?.recovery(session).await
}

#[server(prefix = "/rpc", endpoint = "set_schedule")]
pub async fn set_schedule(
    session: Uuid,
    input: crate::operations::ScheduleInput,
) -> Result<crate::operations::ScheduleView, AppError> {
    crate::backend::backend()?
        .set_schedule(&crate::backend::actor()?, session, input)
        .await
}

#[server(prefix = "/rpc", endpoint = "delete_schedule")]
pub async fn delete_schedule(session: Uuid) -> Result<(), AppError> {
    crate::backend::backend()?
        .delete_schedule(&crate::backend::actor()?, session)
        .await
}

/// Starts a DR sync of the session now; its operation.
#[server(prefix = "/rpc", endpoint = "sync_now")]
pub async fn sync_now(session: Uuid) -> Result<Uuid, AppError> {
    crate::backend::backend()?
        .sync_now(&crate::backend::actor()?, session)
        .await
}

/// Self-healing on, off, or (None) the server's default.
#[server(prefix = "/rpc", endpoint = "set_self_heal")]
pub async fn set_self_heal(
    session: Uuid,
    on: Option<bool>,
) -> Result<crate::operations::RecoveryView, AppError> {
    crate::backend::backend()?
        .set_self_heal(&crate::backend::actor()?, session, on)
        .await
}

/// What a failover or failback of the session would find now: the pre-checks, what blocks
/// either, the failover in effect.
#[server(prefix = "/rpc", endpoint = "get_failover_check")]
pub async fn get_failover_check(session: Uuid) -> Result<crate::failover::FailoverCheck, AppError> {
    crate::backend::backend()?.failover_check(session).await
}

/// Fails the session over to its slave; its operation (planned: None lets the server choose,
/// planned when the master is reachable).
#[server(prefix = "/rpc", endpoint = "start_failover")]
pub async fn start_failover(
    session: Uuid,
    planned: Option<bool>,
    io_stopped: bool,
) -> Result<Uuid, AppError> {
    crate::backend::backend()?
        .start_failover(
            &crate::backend::actor()?,
            session,
            crate::failover::FailoverInput {
                planned,
                io_stopped,
            },
        )
        .await
}

/// Fails a failed-over session back to its master; its operation.
#[server(prefix = "/rpc", endpoint = "start_failback")]
pub async fn start_failback(session: Uuid, io_stopped: bool) -> Result<Uuid, AppError> {
    crate::backend::backend()?
        .start_failback(
            &crate::backend::actor()?,
            session,
            crate::failover::FailbackInput { io_stopped },
        )
        .await
}

/// Gives a running operation the confirmation it waits for (`OperationView::confirm`).
#[server(prefix = "/rpc", endpoint = "confirm_operation")]
pub async fn confirm_operation(
    operation: Uuid,
) -> Result<crate::operations::OperationView, AppError> {
    crate::backend::backend()?
        .confirm_operation(&crate::backend::actor()?, operation)
        .await
}
