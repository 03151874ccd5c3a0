//! One function per route of API.md; each one reads, calls the service, writes a document.
use app::domain::{Checkpoint, NewSession, SessionAction};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;
use uuid::Uuid;

use super::docs::*;
use super::repr::{Body, OptionalBody};
use super::{Doc, Fault, Params, QueryParams};
use crate::service::auth::Principal;
use crate::service::Service;

type Answer<T> = Result<Doc<T>, Fault>;

const XML_JSON: &str = "application/xml or application/json (by Accept)";

#[utoipa::path(get, path = "/api", tag = "api",
    responses((status = 200, description = XML_JSON, body = EntryPoint), (status = "default", body = FaultDoc)))]
pub async fn entry_point() -> Doc<EntryPoint> {
    Doc::ok(EntryPoint {
        links: vec![
            Link::new("clusters", "/api/clusters".into()),
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
    let new = NewSession {
        master_volume_id: v,
        slave_host: body.slave_host_name,
        slave_volume: body.slavevolume,
        slave_user: body.slave_user,
        force: body.force.unwrap_or(false),
        start: body.start.unwrap_or(false),
    };
    let created = service.create_session(&who.name, new).await?;
    let view = service.session(c, v, created.session.id).await?;
    Ok(Doc::created(
        SessionDoc::detail(&view),
        session_href(c, v, created.session.id),
    ))
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
    let since = match q.since.as_deref().map(str::trim) {
        None => None,
        Some(t) => Some(
            chrono::DateTime::parse_from_rfc3339(t)
                .map_err(|e| {
                    Fault::new(
                        StatusCode::BAD_REQUEST,
                        "Bad parameter",
                        format!("since {t:?}: RFC 3339 ({e})"),
                    )
                })?
                .with_timezone(&chrono::Utc),
        ),
    };
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
           ("action" = String, Path, description = "start, stop, pause, resume, checkpoint, refresh, probe or restart-stalled")),
    request_body(content((ActionBody = "application/xml"), (ActionBody = "application/json")), description = "optional"),
    responses((status = 200, description = XML_JSON, body = ActionDoc), (status = "default", body = FaultDoc)))]
pub async fn session_action(
    State(service): State<Service>,
    Extension(who): Extension<Principal>,
    Params((c, v, s, action)): Params<(Uuid, Uuid, Uuid, String)>,
    OptionalBody(body): OptionalBody<ActionBody>,
) -> Answer<ActionDoc> {
    let body = body.unwrap_or_default();
    let force = body.force.unwrap_or(false);
    let lifecycle = SessionAction::parse(&action).filter(|a| *a != SessionAction::Delete);
    if lifecycle.is_none()
        && !matches!(
            action.as_str(),
            "checkpoint" | "refresh" | "probe" | "restart-stalled"
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
    service.check_session_path(c, v, s).await?;
    let (mut probe, mut restart) = (None, None);
    let message = match (lifecycle, action.as_str()) {
        (Some(a), _) => {
            service
                .session_action(&who.name, s, a, force, false)
                .await?
                .message
        }
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
            service.set_checkpoint(&who.name, s, at).await?.message
        }
        (None, "probe") => {
            let r = service.probe_session(&who.name, s).await?;
            probe = Some(ProbeReportDoc::new(&r));
            r.message
        }
        (None, "restart-stalled") => {
            let o = service.restart_stalled(&who.name, s).await?;
            restart = Some(RestartDoc::new(&o));
            o.probe.message
        }
        _ => {
            service.refresh_session(s).await?;
            None
        }
    };
    let session = match service.session(c, v, s).await {
        Ok(view) => Some(SessionDoc::new(&view.summary)),
        Err(crate::service::ServiceError::NotFound(_)) => None,
        Err(e) => return Err(e.into()),
    };
    Ok(Doc::ok(ActionDoc {
        status: "complete".into(),
        message,
        session,
        probe,
        restart,
    }))
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

#[derive(Deserialize, utoipa::IntoParams)]
pub struct EventParams {
    /// At most this many (1 to 1000, default 100).
    limit: Option<i64>,
    /// Only this session's events.
    session: Option<Uuid>,
}

#[utoipa::path(get, path = "/api/events", tag = "api", params(EventParams),
    responses((status = 200, description = XML_JSON, body = Events), (status = "default", body = FaultDoc)))]
pub async fn events(
    State(service): State<Service>,
    QueryParams(q): QueryParams<EventParams>,
) -> Answer<Events> {
    let list = service.events(q.session, q.limit.unwrap_or(100)).await?;
    Ok(Doc::ok(Events {
        events: list.into_iter().map(EventDoc::from).collect(),
    }))
}

fn not_found(what: String) -> Fault {
    Fault::new(StatusCode::NOT_FOUND, "Not found", what)
}
