//! One function per route of API.md; each one reads, calls the service, writes a document.
use app::domain::{Checkpoint, EventCursor, EventFilter, SessionAction, SessionStatus};
use app::views::SessionFilter;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;
use uuid::Uuid;

use super::docs::*;
use super::repr::{Body, OptionalBody};
use super::{Doc, Fault, Params, QueryParams};
use crate::service::auth::Principal;
use crate::service::operations::{Answer as OpAnswer, OperationQuery};
use crate::service::schedule::ScheduleInput;
use crate::service::Service;
use app::operations::Every;

type Answer<T> = Result<Doc<T>, Fault>;

const XML_JSON: &str = "application/xml or application/json (by Accept)";

#[utoipa::path(get, path = "/api", tag = "api",
    responses((status = 200, description = XML_JSON, body = EntryPoint), (status = "default", body = FaultDoc)))]
pub async fn entry_point() -> Doc<EntryPoint> {
    Doc::ok(EntryPoint {
        links: vec![
            Link::new("clusters", "/api/clusters".into()),
            Link::new(
                "georeplication-sessions",
                "/api/georeplication-sessions".into(),
            ),
            Link::new("events", "/api/events".into()),
        ],
        product_info: ProductInfo {
            name: "georep".into(),
            version: env!("CARGO_PKG_VERSION").into(),
        },
    })
}

#[utoipa::path(get, path = "/api/clusters", tag = "inventory",
    responses((status = 200, description = XML_JSON, body = Clusters), (status = "default", body = FaultDoc)))]
pub async fn clusters(State(service): State<Service>) -> Answer<Clusters> {
    Ok(Doc::ok(Clusters {
        clusters: service
            .list_clusters()
            .await?
            .iter()
            .map(|c| ClusterDoc::new(c, false))
            .collect(),
    }))
}

#[utoipa::path(get, path = "/api/clusters/{cluster}", tag = "inventory", params(("cluster" = Uuid, Path)),
    responses((status = 200, description = XML_JSON, body = ClusterDoc), (status = "default", body = FaultDoc)))]
pub async fn cluster(
    State(service): State<Service>,
    Params(c): Params<Uuid>,
) -> Answer<ClusterDoc> {
    Ok(Doc::ok(ClusterDoc::new(&service.cluster(c).await?, true)))
}

#[utoipa::path(post, path = "/api/clusters", tag = "inventory",
    request_body(content((NewClusterBody = "application/xml"), (NewClusterBody = "application/json"))),
    responses((status = 201, description = "registered; Location: the cluster", body = ClusterDoc),
        (status = 400, description = "a bad name, host, connection, ssh user or port", body = FaultDoc),
        (status = 409, description = "a cluster of that name exists", body = FaultDoc),
        (status = 502, description = "gluster did not answer on the host (`verify`)", body = FaultDoc),
        (status = "default", body = FaultDoc)))]
pub async fn register_cluster(
    State(service): State<Service>,
    Extension(who): Extension<Principal>,
    Body(body): Body<NewClusterBody>,
) -> Answer<ClusterDoc> {
    let (new, verify) = body
        .into_new()
        .map_err(|m| Fault::new(StatusCode::BAD_REQUEST, "Malformed body", m))?;
    let c = service.register_cluster(&who.name, new, verify).await?;
    Ok(Doc::created(ClusterDoc::new(&c, true), cluster_href(c.id)))
}

#[utoipa::path(put, path = "/api/clusters/{cluster}", tag = "inventory", params(("cluster" = Uuid, Path)),
    request_body(content((ClusterEditBody = "application/xml"), (ClusterEditBody = "application/json"))),
    responses((status = 200, description = "the cluster as changed", body = ClusterDoc),
        (status = 400, description = "nothing to change, a bad value, or ssh settings of a cluster reached locally", body = FaultDoc),
        (status = 409, description = "another cluster has that name; or the host does not offer a key of that fingerprint", body = FaultDoc),
        (status = 502, description = "gluster did not answer with the new ssh settings (`verify`)", body = FaultDoc),
        (status = "default", body = FaultDoc)))]
pub async fn edit_cluster(
    State(service): State<Service>,
    Extension(who): Extension<Principal>,
    Params(c): Params<Uuid>,
    Body(body): Body<ClusterEditBody>,
) -> Answer<ClusterDoc> {
    let (edit, verify) = body.into_edit();
    let changed = service.edit_cluster(&who.name, c, edit, verify).await?;
    Ok(Doc::ok(ClusterDoc::new(&changed, true)))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct RemoveClusterParams {
    /// Remove it even though it has geo-replication sessions: georep forgets them (gluster
    /// keeps them, and they go on replicating).
    force: Option<bool>,
}

#[utoipa::path(delete, path = "/api/clusters/{cluster}", tag = "inventory",
    params(("cluster" = Uuid, Path), RemoveClusterParams),
    responses((status = 204, description = "georep forgot the cluster and everything it kept of it; nothing changed in gluster"),
        (status = 409, description = "an operation is under way on one of its sessions; or it has sessions and no `force`", body = FaultDoc),
        (status = "default", body = FaultDoc)))]
pub async fn remove_cluster(
    State(service): State<Service>,
    Extension(who): Extension<Principal>,
    Params(c): Params<Uuid>,
    QueryParams(q): QueryParams<RemoveClusterParams>,
) -> Result<Response, Fault> {
    service
        .remove_cluster(&who.name, c, q.force.unwrap_or(false))
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(post, path = "/api/clusters/{cluster}/gluster-events", tag = "inventory",
    params(("cluster" = Uuid, Path)),
    responses((status = 200, description = "georep's webhook registered with glustereventsd (again: a new token) and each node's checks; a node not OK is named there", body = GlusterEventsSetupDoc),
        (status = 409, description = "georep has no --events-url, or the cluster no host to ask", body = FaultDoc),
        (status = 502, description = "gluster-eventsapi refused or failed (nothing is stored)", body = FaultDoc),
        (status = "default", body = FaultDoc)))]
pub async fn enable_gluster_events(
    State(service): State<Service>,
    Extension(who): Extension<Principal>,
    Params(c): Params<Uuid>,
) -> Answer<GlusterEventsSetupDoc> {
    let setup = service.enable_gluster_events(&who.name, c).await?;
    Ok(Doc::ok(GlusterEventsSetupDoc::new(&setup)))
}

#[utoipa::path(delete, path = "/api/clusters/{cluster}/gluster-events", tag = "inventory",
    params(("cluster" = Uuid, Path)),
    responses((status = 200, description = "the webhook removed from gluster and each node's glustereventsd reloaded", body = GlusterEventsSetupDoc),
        (status = 404, description = "the cluster does not push its events", body = FaultDoc),
        (status = 502, description = "gluster-eventsapi failed: georep still expects the events", body = FaultDoc),
        (status = "default", body = FaultDoc)))]
pub async fn disable_gluster_events(
    State(service): State<Service>,
    Extension(who): Extension<Principal>,
    Params(c): Params<Uuid>,
) -> Answer<GlusterEventsSetupDoc> {
    let setup = service.disable_gluster_events(&who.name, c).await?;
    Ok(Doc::ok(GlusterEventsSetupDoc::new(&setup)))
}

/// The filters of a session list (`app::views::SessionFilter`), as a client writes them. An
/// empty one is no filter, as in the sessions page's URL (its form sends every field).
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct SessionListParams {
    /// healthy, lagging, stalled, faulty or unknown.
    health: Option<String>,
    /// A session status as the documents spell it: active, passive, partial_faulty, …
    status: Option<String>,
    /// The master volume's cluster id (the installation's list only).
    cluster: Option<String>,
    /// The master volume's name, exactly.
    master_volume: Option<String>,
    /// The slave volume's name, exactly.
    slave_volume: Option<String>,
    /// normal, failed_over or failing_back.
    dr_role: Option<String>,
}

impl SessionListParams {
    fn filter(self) -> Result<SessionFilter, Fault> {
        let given = |v: Option<String>| v.filter(|v| !v.is_empty());
        let status = given(self.status)
            .as_deref()
            .map(|s| {
                SessionStatus::from_api(s).ok_or_else(|| bad_parameter(format!("no status {s:?}")))
            })
            .transpose()?;
        Ok(SessionFilter {
            health: parsed("health", given(self.health).as_deref())?,
            status,
            cluster: parsed("cluster", given(self.cluster).as_deref())?,
            master_volume: given(self.master_volume),
            slave_volume: given(self.slave_volume),
            dr_role: parsed("dr_role", given(self.dr_role).as_deref())?,
        })
    }
}

/// Sessions with their health verdict, as a list shows them.
async fn session_list(service: &Service, filter: &SessionFilter) -> Answer<Sessions> {
    let list = service.session_overview(filter).await?;
    Ok(Doc::ok(Sessions {
        sessions: list
            .iter()
            .map(|(s, h)| SessionDoc::new(s).with_health(Some(h)))
            .collect(),
    }))
}

#[utoipa::path(get, path = "/api/georeplication-sessions", tag = "sessions", params(SessionListParams),
    responses((status = 200, description = XML_JSON, body = Sessions),
        (status = 400, description = "an unknown filter or a bad value", body = FaultDoc),
        (status = "default", body = FaultDoc)))]
pub async fn all_sessions(
    State(service): State<Service>,
    QueryParams(q): QueryParams<SessionListParams>,
) -> Answer<Sessions> {
    session_list(&service, &q.filter()?).await
}

#[utoipa::path(get, path = "/api/clusters/{cluster}/georeplication-sessions", tag = "sessions",
    params(("cluster" = Uuid, Path), SessionListParams),
    responses((status = 200, description = XML_JSON, body = Sessions),
        (status = 400, description = "an unknown filter or a bad value (`cluster` is the path's)", body = FaultDoc),
        (status = "default", body = FaultDoc)))]
pub async fn cluster_sessions(
    State(service): State<Service>,
    Params(c): Params<Uuid>,
    QueryParams(q): QueryParams<SessionListParams>,
) -> Answer<Sessions> {
    if q.cluster.as_deref().is_some_and(|c| !c.is_empty()) {
        return Err(bad_parameter("cluster: the path names the cluster".into()));
    }
    service.cluster(c).await?;
    let filter = SessionFilter {
        cluster: Some(c),
        ..q.filter()?
    };
    session_list(&service, &filter).await
}

fn bad_parameter(detail: String) -> Fault {
    Fault::new(StatusCode::BAD_REQUEST, "Invalid request", detail)
}

#[utoipa::path(get, path = "/api/clusters/{cluster}/hosts", tag = "inventory", params(("cluster" = Uuid, Path)),
    responses((status = 200, description = XML_JSON, body = Hosts), (status = "default", body = FaultDoc)))]
pub async fn hosts(State(service): State<Service>, Params(c): Params<Uuid>) -> Answer<Hosts> {
    Ok(Doc::ok(Hosts {
        hosts: service.hosts(c).await?.iter().map(HostDoc::new).collect(),
    }))
}

#[utoipa::path(get, path = "/api/clusters/{cluster}/hosts/{host}", tag = "inventory",
    params(("cluster" = Uuid, Path), ("host" = Uuid, Path)),
    responses((status = 200, description = XML_JSON, body = HostDoc), (status = "default", body = FaultDoc)))]
pub async fn host(
    State(service): State<Service>,
    Params((c, h)): Params<(Uuid, Uuid)>,
) -> Answer<HostDoc> {
    let hosts = service.hosts(c).await?;
    let found = hosts.iter().find(|x| x.id == h);
    found
        .map(|x| Doc::ok(HostDoc::new(x)))
        .ok_or_else(|| not_found(format!("host {h} in cluster {c}")))
}

#[utoipa::path(get, path = "/api/clusters/{cluster}/glustervolumes", tag = "inventory", params(("cluster" = Uuid, Path)),
    responses((status = 200, description = XML_JSON, body = Volumes), (status = "default", body = FaultDoc)))]
pub async fn volumes(State(service): State<Service>, Params(c): Params<Uuid>) -> Answer<Volumes> {
    Ok(Doc::ok(Volumes {
        volumes: service
            .volumes(c)
            .await?
            .iter()
            .map(VolumeDoc::new)
            .collect(),
    }))
}

#[utoipa::path(get, path = "/api/clusters/{cluster}/glustervolumes/{volume}", tag = "inventory",
    params(("cluster" = Uuid, Path), ("volume" = Uuid, Path)),
    responses((status = 200, description = XML_JSON, body = VolumeDoc), (status = "default", body = FaultDoc)))]
pub async fn volume(
    State(service): State<Service>,
    Params((c, v)): Params<(Uuid, Uuid)>,
) -> Answer<VolumeDoc> {
    Ok(Doc::ok(VolumeDoc::new(&service.volume(c, v).await?)))
}

#[utoipa::path(get, path = "/api/clusters/{cluster}/glustervolumes/{volume}/bricks/{brick}", tag = "inventory",
    params(("cluster" = Uuid, Path), ("volume" = Uuid, Path), ("brick" = Uuid, Path)),
    responses((status = 200, description = XML_JSON, body = BrickDoc), (status = "default", body = FaultDoc)))]
pub async fn brick(
    State(service): State<Service>,
    Params((c, v, b)): Params<(Uuid, Uuid, Uuid)>,
) -> Answer<BrickDoc> {
    let vol = service.volume(c, v).await?;
    let found = vol.bricks.iter().find(|x| x.id == b);
    found
        .map(|x| Doc::ok(BrickDoc::new(c, v, x)))
        .ok_or_else(|| not_found(format!("brick {b} of volume {v}")))
}

#[utoipa::path(get, path = "/api/clusters/{cluster}/glustervolumes/{volume}/georeplication-sessions", tag = "sessions",
    params(("cluster" = Uuid, Path), ("volume" = Uuid, Path)),
    responses((status = 200, description = XML_JSON, body = Sessions), (status = "default", body = FaultDoc)))]
pub async fn sessions(
    State(service): State<Service>,
    Params((c, v)): Params<(Uuid, Uuid)>,
) -> Answer<Sessions> {
    let list = service.sessions(c, v).await?;
    // every session's verdict in one bulk read (a read per session would cost a volume with
    // many sessions a dozen queries each)
    let health: std::collections::HashMap<Uuid, app::health::SessionHealth> = service
        .health_views()
        .await?
        .into_iter()
        .map(|h| (h.health.session_id, h.health))
        .collect();
    Ok(Doc::ok(Sessions {
        sessions: list
            .iter()
            .map(|s| SessionDoc::new(s).with_health(health.get(&s.id)))
            .collect(),
    }))
}

#[utoipa::path(post, path = "/api/clusters/{cluster}/glustervolumes/{volume}/georeplication-sessions", tag = "sessions",
    params(("cluster" = Uuid, Path), ("volume" = Uuid, Path)),
    request_body(content((NewSessionBody = "application/xml"), (NewSessionBody = "application/json"))),
    responses((status = 201, description = "created; Location: the session", body = SessionDoc), (status = "default", body = FaultDoc)))]
pub async fn create_session(
    State(service): State<Service>,
    Extension(who): Extension<Principal>,
    Params((c, v)): Params<(Uuid, Uuid)>,
    Body(body): Body<NewSessionBody>,
) -> Answer<SessionDoc> {
    service.volume(c, v).await?;
    let created = service
        .create_session(&who.name, body.new_session(v))
        .await?;
    let view = service.session(c, v, created.session.id).await?;
    Ok(Doc::created(
        SessionDoc::detail(&view),
        session_href(c, v, created.session.id),
    ))
}

#[utoipa::path(post, path = "/api/clusters/{cluster}/glustervolumes/{volume}/georeplication-preflight", tag = "sessions",
    params(("cluster" = Uuid, Path), ("volume" = Uuid, Path)),
    request_body(content((NewSessionBody = "application/xml"), (NewSessionBody = "application/json"))),
    responses((status = 200, description = "every check of the planned session (nothing is changed)", body = PreflightDoc), (status = "default", body = FaultDoc)))]
pub async fn preflight(
    State(service): State<Service>,
    Params((c, v)): Params<(Uuid, Uuid)>,
    Body(body): Body<NewSessionBody>,
) -> Answer<PreflightDoc> {
    service.volume(c, v).await?;
    let checked = service.preflight(&body.new_session(v)).await?;
    Ok(Doc::ok(PreflightDoc::new(&checked)))
}

#[utoipa::path(get, path = "/api/clusters/{cluster}/glustervolumes/{volume}/georeplication-sessions/{session}", tag = "sessions",
    params(("cluster" = Uuid, Path), ("volume" = Uuid, Path), ("session" = Uuid, Path)),
    responses((status = 200, description = XML_JSON, body = SessionDoc), (status = "default", body = FaultDoc)))]
pub async fn session(
    State(service): State<Service>,
    Params((c, v, s)): Params<(Uuid, Uuid, Uuid)>,
) -> Answer<SessionDoc> {
    let view = service.session(c, v, s).await?;
    let health = service.session_health(s).await?;
    Ok(Doc::ok(
        SessionDoc::detail(&view).with_health(Some(&health)),
    ))
}

#[utoipa::path(get, path = "/api/clusters/{cluster}/glustervolumes/{volume}/georeplication-sessions/{session}/health", tag = "health",
    params(("cluster" = Uuid, Path), ("volume" = Uuid, Path), ("session" = Uuid, Path)),
    responses((status = 200, description = XML_JSON, body = HealthDoc), (status = "default", body = FaultDoc)))]
pub async fn session_health(
    State(service): State<Service>,
    Params((c, v, s)): Params<(Uuid, Uuid, Uuid)>,
) -> Answer<HealthDoc> {
    service.check_session_path(c, v, s).await?;
    Ok(Doc::ok(HealthDoc::new(
        c,
        v,
        &service.session_health(s).await?,
    )))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct LagParams {
    /// Samples from this time on (RFC 3339); default: the last 24 hours.
    since: Option<String>,
}

#[utoipa::path(get, path = "/api/clusters/{cluster}/glustervolumes/{volume}/georeplication-sessions/{session}/lag", tag = "health",
    params(("cluster" = Uuid, Path), ("volume" = Uuid, Path), ("session" = Uuid, Path), LagParams),
    responses((status = 200, description = XML_JSON, body = LagSamples), (status = "default", body = FaultDoc)))]
pub async fn session_lag(
    State(service): State<Service>,
    Params((c, v, s)): Params<(Uuid, Uuid, Uuid)>,
    QueryParams(q): QueryParams<LagParams>,
) -> Answer<LagSamples> {
    service.check_session_path(c, v, s).await?;
    let since = rfc3339("since", q.since.as_deref())?;
    let samples = service.lag_history(s, since).await?;
    Ok(Doc::ok(LagSamples {
        samples: samples.iter().map(LagSampleDoc::new).collect(),
    }))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct DeleteParams {
    /// Also forget the sync time (gluster's `delete reset-sync-time`).
    reset_sync_time: Option<bool>,
}

#[utoipa::path(delete, path = "/api/clusters/{cluster}/glustervolumes/{volume}/georeplication-sessions/{session}", tag = "sessions",
    params(("cluster" = Uuid, Path), ("volume" = Uuid, Path), ("session" = Uuid, Path), DeleteParams),
    responses((status = 204, description = "deleted"), (status = "default", body = FaultDoc)))]
pub async fn delete_session(
    State(service): State<Service>,
    Extension(who): Extension<Principal>,
    Params((c, v, s)): Params<(Uuid, Uuid, Uuid)>,
    QueryParams(q): QueryParams<DeleteParams>,
) -> Result<Response, Fault> {
    service.check_session_path(c, v, s).await?;
    let reset = q.reset_sync_time.unwrap_or(false);
    service
        .session_action(&who.name, s, SessionAction::Delete, false, reset)
        .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(post, path = "/api/clusters/{cluster}/glustervolumes/{volume}/georeplication-sessions/{session}/{action}", tag = "sessions",
    params(("cluster" = Uuid, Path), ("volume" = Uuid, Path), ("session" = Uuid, Path),
           ("action" = String, Path, description = "start, stop, pause, resume, checkpoint, refresh, probe, restart-stalled, sync-now, failover, failback or cleanup (a stale session: stop force and delete)")),
    request_body(content((ActionBody = "application/xml"), (ActionBody = "application/json")), description = "optional"),
    responses((status = 200, description = XML_JSON, body = ActionDoc), (status = "default", body = FaultDoc)))]
pub async fn session_action(
    State(service): State<Service>,
    Extension(who): Extension<Principal>,
    Params((c, v, s, action)): Params<(Uuid, Uuid, Uuid, String)>,
    headers: HeaderMap,
    OptionalBody(body): OptionalBody<ActionBody>,
) -> Result<Response, Fault> {
    run_session_action(service, who, (c, v, s), action, headers, body).await
}

/// `POST …/failover`: the failover action (its path is also the pre-checks' resource).
pub async fn session_action_failover(
    State(service): State<Service>,
    Extension(who): Extension<Principal>,
    Params((c, v, s)): Params<(Uuid, Uuid, Uuid)>,
    headers: HeaderMap,
    OptionalBody(body): OptionalBody<ActionBody>,
) -> Result<Response, Fault> {
    run_session_action(service, who, (c, v, s), "failover".into(), headers, body).await
}

async fn run_session_action(
    service: Service,
    who: Principal,
    (c, v, s): (Uuid, Uuid, Uuid),
    action: String,
    headers: HeaderMap,
    body: Option<ActionBody>,
) -> Result<Response, Fault> {
    let body = body.unwrap_or_default();
    let force = body.force.unwrap_or(false);
    let lifecycle = SessionAction::parse(&action).filter(|a| *a != SessionAction::Delete);
    if lifecycle.is_none()
        && !matches!(
            action.as_str(),
            "checkpoint"
                | "refresh"
                | "cleanup"
                | "probe"
                | "restart-stalled"
                | "sync-now"
                | "failover"
                | "failback"
        )
    {
        return Err(not_found(format!(
            "no action {action:?}; one of {}",
            ACTIONS.join(", ")
        )));
    }
    if body.time.is_some() && action != "checkpoint" {
        return Err(Fault::new(
            StatusCode::BAD_REQUEST,
            "Malformed body",
            "<time> is for the checkpoint action",
        ));
    }
    if body.planned.is_some() && action != "failover" {
        return Err(Fault::new(
            StatusCode::BAD_REQUEST,
            "Malformed body",
            "<planned> is for the failover action",
        ));
    }
    if body.io_stopped.is_some() && !matches!(action.as_str(), "failover" | "failback") {
        return Err(Fault::new(
            StatusCode::BAD_REQUEST,
            "Malformed body",
            "<io_stopped> is for the failover and failback actions",
        ));
    }
    service.check_session_path(c, v, s).await?;
    // a DR sync, failover or failback takes minutes: accepted unless the client asks to wait
    // (<async>false</async>)
    let long = matches!(action.as_str(), "sync-now" | "failover" | "failback");
    let respond_async = body.run_async.unwrap_or(long) || prefers_async(&headers);
    let who = who.name.as_str();
    let answer = match (lifecycle, action.as_str()) {
        (Some(a), _) => service
            .accepting(
                respond_async,
                service.session_action(who, s, a, force, false),
            )
            .await?
            .map(|o| Ran::Message(o.message)),
        (None, "checkpoint") => {
            let at = match body.time.as_deref().map(str::trim) {
                None | Some("now") => Checkpoint::Now,
                Some(t) => Checkpoint::At(
                    chrono::DateTime::parse_from_rfc3339(t)
                        .map_err(|e| {
                            Fault::new(
                                StatusCode::BAD_REQUEST,
                                "Malformed body",
                                format!("<time> {t:?}: now or RFC 3339 ({e})"),
                            )
                        })?
                        .with_timezone(&chrono::Utc),
                ),
            };
            service
                .accepting(respond_async, service.set_checkpoint(who, s, at))
                .await?
                .map(|o| Ran::Message(o.message))
        }
        (None, "cleanup") => service
            .accepting(respond_async, service.cleanup_session(who, s))
            .await?
            .map(|o| Ran::Message(o.message)),
        (None, "probe") => service
            .accepting(respond_async, service.probe_session(who, s))
            .await?
            .map(Ran::Probe),
        (None, "restart-stalled") => service
            .accepting(respond_async, service.restart_stalled(who, s))
            .await?
            .map(Ran::Restart),
        (None, "sync-now") => service
            .accepting(respond_async, service.dr_sync(who, s))
            .await?
            .map(Ran::DrSync),
        (None, "failover") => {
            let input = app::failover::FailoverInput {
                planned: body.planned,
                io_stopped: body.io_stopped.unwrap_or(false),
            };
            service
                .accepting(respond_async, service.failover(who, s, input))
                .await?
                .map(|o| Ran::Message(Some(o.message)))
        }
        (None, "failback") => {
            let input = app::failover::FailbackInput {
                io_stopped: body.io_stopped.unwrap_or(false),
            };
            service
                .accepting(respond_async, service.failback(who, s, input))
                .await?
                .map(|o| Ran::Message(Some(o.message)))
        }
        _ => {
            service.refresh_session(s).await?;
            OpAnswer::Done {
                value: Ran::Message(None),
                operation: None,
            }
        }
    };
    let session = match service.session(c, v, s).await {
        Ok(view) => Some(SessionDoc::new(&view.summary)),
        Err(crate::service::ServiceError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let mut doc = ActionDoc {
        status: "complete".into(),
        message: None,
        session,
        probe: None,
        restart: None,
        operation: None,
    };
    Ok(match answer {
        OpAnswer::Accepted(id) => {
            doc.status = "pending".into();
            doc.operation = Some(OperationLink::new(id));
            Doc::accepted(doc, operation_href(id)).into_response()
        }
        OpAnswer::Done { value, operation } => {
            doc.operation = operation.map(OperationLink::new);
            match value {
                Ran::Message(m) => doc.message = m,
                Ran::Probe(r) => {
                    doc.message = r.message.clone();
                    doc.probe = Some(ProbeReportDoc::new(&r));
                }
                Ran::Restart(o) => {
                    doc.message = o.probe.message.clone();
                    doc.restart = Some(RestartDoc::new(&o));
                }
                Ran::DrSync(o) => {
                    doc.message = Some(match o.recovery_point {
                        Some(t) => format!("recovery point {}", time(t)),
                        None => "no recovery point".into(),
                    });
                    doc.probe = o.probe.as_ref().map(ProbeReportDoc::new);
                }
            }
            Doc::ok(doc).into_response()
        }
    })
}

/// What an action answered with.
enum Ran {
    Message(Option<String>),
    Probe(app::health::ProbeReport),
    Restart(app::health::RestartOutcome),
    DrSync(crate::service::schedule::DrOutcome),
}

/// RFC 7240: `Prefer: respond-async`.
fn prefers_async(headers: &HeaderMap) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim().eq_ignore_ascii_case("respond-async"))
}

#[utoipa::path(get, path = "/api/clusters/{cluster}/glustervolumes/{volume}/georeplication-sessions/{session}/options", tag = "options",
    params(("cluster" = Uuid, Path), ("volume" = Uuid, Path), ("session" = Uuid, Path)),
    responses((status = 200, description = XML_JSON, body = Options), (status = "default", body = FaultDoc)))]
pub async fn options(
    State(service): State<Service>,
    Params((c, v, s)): Params<(Uuid, Uuid, Uuid)>,
) -> Answer<Options> {
    service.check_session_path(c, v, s).await?;
    let href = session_href(c, v, s);
    let list = service.session_options(s).await?;
    Ok(Doc::ok(Options {
        options: list.into_iter().map(|o| OptionDoc::new(&href, o)).collect(),
    }))
}

#[utoipa::path(get, path = "/api/clusters/{cluster}/glustervolumes/{volume}/georeplication-sessions/{session}/options/{key}", tag = "options",
    params(("cluster" = Uuid, Path), ("volume" = Uuid, Path), ("session" = Uuid, Path), ("key" = String, Path)),
    responses((status = 200, description = XML_JSON, body = OptionDoc), (status = "default", body = FaultDoc)))]
pub async fn option(
    State(service): State<Service>,
    Params((c, v, s, key)): Params<(Uuid, Uuid, Uuid, String)>,
) -> Answer<OptionDoc> {
    service.check_session_path(c, v, s).await?;
    let found = service
        .session_options(s)
        .await?
        .into_iter()
        .find(|o| o.key == key);
    found
        .map(|o| Doc::ok(OptionDoc::new(&session_href(c, v, s), o)))
        .ok_or_else(|| not_found(format!("option {key}")))
}

#[utoipa::path(put, path = "/api/clusters/{cluster}/glustervolumes/{volume}/georeplication-sessions/{session}/options/{key}", tag = "options",
    params(("cluster" = Uuid, Path), ("volume" = Uuid, Path), ("session" = Uuid, Path), ("key" = String, Path)),
    request_body(content((OptionBody = "application/xml"), (OptionBody = "application/json"))),
    responses((status = 200, description = "the value gluster's config reads back", body = OptionDoc),
        (status = 403, description = "a command option (`command_option`) while the server does not allow them (`serve --allow-command-options`); the detail names the option and the setting", body = FaultDoc),
        (status = 502, description = "gluster answered an error, or answered success but its config reads another value", body = FaultDoc),
        (status = "default", body = FaultDoc)))]
pub async fn set_option(
    State(service): State<Service>,
    Extension(who): Extension<Principal>,
    Params((c, v, s, key)): Params<(Uuid, Uuid, Uuid, String)>,
    Body(body): Body<OptionBody>,
) -> Answer<OptionDoc> {
    service.check_session_path(c, v, s).await?;
    let o = service.set_option(&who.name, s, &key, &body.value).await?;
    Ok(Doc::ok(OptionDoc::new(&session_href(c, v, s), o)))
}

#[utoipa::path(delete, path = "/api/clusters/{cluster}/glustervolumes/{volume}/georeplication-sessions/{session}/options/{key}", tag = "options",
    params(("cluster" = Uuid, Path), ("volume" = Uuid, Path), ("session" = Uuid, Path), ("key" = String, Path)),
    responses((status = 200, description = "reset to its default", body = OptionDoc), (status = "default", body = FaultDoc)))]
pub async fn reset_option(
    State(service): State<Service>,
    Extension(who): Extension<Principal>,
    Params((c, v, s, key)): Params<(Uuid, Uuid, Uuid, String)>,
) -> Answer<OptionDoc> {
    service.check_session_path(c, v, s).await?;
    let o = service.reset_option(&who.name, s, &key).await?;
    Ok(Doc::ok(OptionDoc::new(&session_href(c, v, s), o)))
}

/// Which events: every parameter given narrows them (`/api/events` and its export).
#[derive(Deserialize, utoipa::IntoParams)]
pub struct EventFilterParams {
    /// Only this session's events.
    session: Option<Uuid>,
    /// Only the events of this cluster.
    cluster: Option<Uuid>,
    /// Only this actor's: a user name, or georep's own (`sync` for changes found outside
    /// georep, `health`, …).
    actor: Option<String>,
    /// Only this action: `pause`, `option_set`, `session_appeared`, `status_changed`, …
    action: Option<String>,
    /// Only the events that ended so: ok, refused, failed or detected.
    result: Option<String>,
    /// Events at or after this time (RFC 3339).
    from: Option<String>,
    /// Events before this time (RFC 3339).
    to: Option<String>,
}

impl EventFilterParams {
    /// The filter, a malformed value being a 400 fault (an empty text is no filter).
    pub(super) fn filter(self) -> Result<EventFilter, Fault> {
        let text = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        Ok(EventFilter {
            session: self.session,
            cluster: self.cluster,
            actor: text(self.actor),
            action: text(self.action),
            result: parsed("result", text(self.result).as_deref())?,
            from: rfc3339("from", text(self.from).as_deref())?,
            to: rfc3339("to", text(self.to).as_deref())?,
        })
    }
}

/// Where the page lies and how long it is.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct EventPageParams {
    /// The page of events older than this event id (the `next` link).
    before: Option<i64>,
    /// The page of events newer than this event id (the `prev` link).
    after: Option<i64>,
    /// At most this many (1 to 1000, default 100).
    limit: Option<i64>,
}

/// A time parameter (RFC 3339), a malformed one being a 400 fault.
fn rfc3339(name: &str, v: Option<&str>) -> Result<Option<chrono::DateTime<chrono::Utc>>, Fault> {
    v.map(str::trim)
        .map(|t| {
            chrono::DateTime::parse_from_rfc3339(t)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|e| {
                    Fault::new(
                        StatusCode::BAD_REQUEST,
                        "Bad parameter",
                        format!("{name} {t:?}: RFC 3339 ({e})"),
                    )
                })
        })
        .transpose()
}

#[utoipa::path(get, path = "/api/events", tag = "api", params(EventFilterParams, EventPageParams),
    responses((status = 200, description = "a page of the audit trail, newest first; `<link rel=\"next\">` the older page, `<link rel=\"prev\">` the newer one (XML or JSON by Accept)", body = Events),
        (status = 400, description = "a malformed parameter, before and after together, a limit out of range, from after to", body = FaultDoc),
        (status = "default", body = FaultDoc)))]
pub async fn events(
    State(service): State<Service>,
    QueryParams(f): QueryParams<EventFilterParams>,
    QueryParams(p): QueryParams<EventPageParams>,
) -> Answer<Events> {
    let filter = f.filter()?;
    let cursor = EventCursor::of(p.before, p.after)
        .map_err(|e| Fault::new(StatusCode::BAD_REQUEST, "Bad parameter", e))?;
    let limit = p.limit.unwrap_or(100);
    let page = service.events(&filter, cursor, limit).await?;
    // the neighbours' links keep the filter and the limit
    let link = |rel: &str, side: (&str, i64)| {
        let mut q = url_query(&filter.to_query());
        q.append_pair("limit", &limit.to_string());
        q.append_pair(side.0, &side.1.to_string());
        Link::new(rel, format!("/api/events?{}", q.finish()))
    };
    let mut links = Vec::new();
    links.extend(page.older.map(|b| link("next", ("before", b))));
    links.extend(page.newer.map(|a| link("prev", ("after", a))));
    Ok(Doc::ok(Events {
        events: page.events.into_iter().map(EventDoc::from).collect(),
        links,
    }))
}

/// Query parameters, encoded; more may be appended.
fn url_query(pairs: &[(&str, String)]) -> form_urlencoded::Serializer<'static, String> {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        q.append_pair(k, v);
    }
    q
}

fn not_found(what: String) -> Fault {
    Fault::new(StatusCode::NOT_FOUND, "Not found", what)
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct OperationParams {
    /// Only this session's operations.
    session: Option<Uuid>,
    /// queued, running, waiting, succeeded, failed, cancelled or needs_attention.
    state: Option<String>,
    /// create, start, …, probe, restart_stalled, scheduled_sync.
    kind: Option<String>,
    /// At most this many, newest first (1 to 500, default 100).
    limit: Option<i64>,
}

fn parsed<T: std::str::FromStr>(what: &str, v: Option<&str>) -> Result<Option<T>, Fault> {
    v.map(|s| {
        s.parse()
            .map_err(|_| bad_parameter(format!("no {what} {s:?}")))
    })
    .transpose()
}

#[utoipa::path(get, path = "/api/operations", tag = "operations", params(OperationParams),
    responses((status = 200, description = XML_JSON, body = Operations), (status = "default", body = FaultDoc)))]
pub async fn operations(
    State(service): State<Service>,
    QueryParams(q): QueryParams<OperationParams>,
) -> Answer<Operations> {
    let query = OperationQuery {
        session: q.session,
        state: parsed("state", q.state.as_deref())?,
        kind: parsed("kind", q.kind.as_deref())?,
        unfinished: false,
        limit: q.limit,
    };
    let list = service.operations(&query).await?;
    Ok(Doc::ok(Operations {
        operations: list.iter().map(OperationDoc::from).collect(),
    }))
}

#[utoipa::path(get, path = "/api/operations/{operation}", tag = "operations",
    params(("operation" = Uuid, Path)),
    responses((status = 200, description = XML_JSON, body = OperationDoc), (status = "default", body = FaultDoc)))]
pub async fn operation(
    State(service): State<Service>,
    Params(id): Params<Uuid>,
) -> Answer<OperationDoc> {
    Ok(Doc::ok(OperationDoc::from(&service.operation(id).await?)))
}

#[utoipa::path(post, path = "/api/operations/{operation}/cancel", tag = "operations",
    params(("operation" = Uuid, Path)),
    responses((status = 200, description = "cancel asked; the operation stops at its next safe point", body = OperationDoc), (status = "default", body = FaultDoc)))]
pub async fn cancel_operation(
    State(service): State<Service>,
    Extension(who): Extension<Principal>,
    Params(id): Params<Uuid>,
) -> Answer<OperationDoc> {
    let op = service.cancel_operation(&who.name, id).await?;
    Ok(Doc::ok(OperationDoc::from(&op)))
}

#[utoipa::path(post, path = "/api/operations/{operation}/confirm", tag = "operations",
    params(("operation" = Uuid, Path)),
    responses((status = 200, description = "confirmed; the operation goes on", body = OperationDoc), (status = "default", body = FaultDoc)))]
pub async fn confirm_operation(
    State(service): State<Service>,
    Extension(who): Extension<Principal>,
    Params(id): Params<Uuid>,
) -> Answer<OperationDoc> {
    let op = service.confirm_operation(&who.name, id).await?;
    Ok(Doc::ok(OperationDoc::from(&op)))
}

#[utoipa::path(get, path = "/api/clusters/{cluster}/glustervolumes/{volume}/georeplication-sessions/{session}/failover", tag = "dr",
    params(("cluster" = Uuid, Path), ("volume" = Uuid, Path), ("session" = Uuid, Path)),
    responses((status = 200, description = XML_JSON, body = FailoverDoc), (status = "default", body = FaultDoc)))]
pub async fn failover(
    State(service): State<Service>,
    Params((c, v, s)): Params<(Uuid, Uuid, Uuid)>,
) -> Answer<FailoverDoc> {
    service.check_session_path(c, v, s).await?;
    Ok(Doc::ok(FailoverDoc::from(
        &service.failover_check(s).await?,
    )))
}

#[utoipa::path(get, path = "/api/clusters/{cluster}/glustervolumes/{volume}/georeplication-sessions/{session}/recovery", tag = "dr",
    params(("cluster" = Uuid, Path), ("volume" = Uuid, Path), ("session" = Uuid, Path)),
    responses((status = 200, description = XML_JSON, body = RecoveryDoc), (status = "default", body = FaultDoc)))]
pub async fn recovery(
    State(service): State<Service>,
    Params((c, v, s)): Params<(Uuid, Uuid, Uuid)>,
) -> Answer<RecoveryDoc> {
    service.check_session_path(c, v, s).await?;
    Ok(Doc::ok(RecoveryDoc::from(&service.recovery(s).await?)))
}

#[utoipa::path(get, path = "/api/clusters/{cluster}/glustervolumes/{volume}/georeplication-sessions/{session}/schedule", tag = "dr",
    params(("cluster" = Uuid, Path), ("volume" = Uuid, Path), ("session" = Uuid, Path)),
    responses((status = 200, description = XML_JSON, body = ScheduleDoc), (status = "default", body = FaultDoc)))]
pub async fn schedule(
    State(service): State<Service>,
    Params((c, v, s)): Params<(Uuid, Uuid, Uuid)>,
) -> Answer<ScheduleDoc> {
    service.check_session_path(c, v, s).await?;
    match service.recovery(s).await?.schedule {
        Some(sch) => Ok(Doc::ok(ScheduleDoc::from(&sch))),
        None => Err(not_found(format!("no schedule for session {s}"))),
    }
}

#[utoipa::path(put, path = "/api/clusters/{cluster}/glustervolumes/{volume}/georeplication-sessions/{session}/schedule", tag = "dr",
    params(("cluster" = Uuid, Path), ("volume" = Uuid, Path), ("session" = Uuid, Path)),
    request_body(content((ScheduleDoc = "application/xml"), (ScheduleDoc = "application/json"))),
    responses((status = 200, description = XML_JSON, body = ScheduleDoc), (status = "default", body = FaultDoc)))]
pub async fn set_schedule(
    State(service): State<Service>,
    Extension(who): Extension<Principal>,
    Params((c, v, s)): Params<(Uuid, Uuid, Uuid)>,
    Body(body): Body<ScheduleDoc>,
) -> Answer<ScheduleDoc> {
    service.check_session_path(c, v, s).await?;
    let every = match (body.every_seconds, body.cron) {
        (Some(n), None) => Every::Seconds(n),
        (None, Some(c)) => Every::Cron(c),
        _ => {
            return Err(Fault::new(
                StatusCode::BAD_REQUEST,
                "Invalid request",
                "one of <every_seconds> or <cron>",
            ))
        }
    };
    let input = ScheduleInput {
        every,
        time_zone: body.time_zone,
        enabled: body.enabled,
        timeout_seconds: body.timeout_seconds,
        rpo_seconds: body.rpo_seconds,
    };
    let set = service.set_schedule(&who.name, s, input).await?;
    Ok(Doc::ok(ScheduleDoc::from(&set)))
}

#[utoipa::path(delete, path = "/api/clusters/{cluster}/glustervolumes/{volume}/georeplication-sessions/{session}/schedule", tag = "dr",
    params(("cluster" = Uuid, Path), ("volume" = Uuid, Path), ("session" = Uuid, Path)),
    responses((status = 204, description = "removed"), (status = "default", body = FaultDoc)))]
pub async fn delete_schedule(
    State(service): State<Service>,
    Extension(who): Extension<Principal>,
    Params((c, v, s)): Params<(Uuid, Uuid, Uuid)>,
) -> Result<Response, Fault> {
    service.check_session_path(c, v, s).await?;
    service.delete_schedule(&who.name, s).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(put, path = "/api/clusters/{cluster}/glustervolumes/{volume}/georeplication-sessions/{session}/self-healing", tag = "dr",
    params(("cluster" = Uuid, Path), ("volume" = Uuid, Path), ("session" = Uuid, Path)),
    request_body(content((SelfHealingBody = "application/xml"), (SelfHealingBody = "application/json"))),
    responses((status = 200, description = XML_JSON, body = RecoveryDoc), (status = "default", body = FaultDoc)))]
pub async fn set_self_healing(
    State(service): State<Service>,
    Extension(who): Extension<Principal>,
    Params((c, v, s)): Params<(Uuid, Uuid, Uuid)>,
    Body(body): Body<SelfHealingBody>,
) -> Answer<RecoveryDoc> {
    service.check_session_path(c, v, s).await?;
    let r = service.set_self_heal(&who.name, s, body.enabled).await?;
    Ok(Doc::ok(RecoveryDoc::from(&r)))
}
