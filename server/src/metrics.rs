//! `/metrics`: session status, health, lag and pending counters in the Prometheus /
//! OpenMetrics text format, computed from SQLite at each scrape (no gluster call).
use app::domain::SessionStatus;
use app::health::Health;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

use crate::service::auth::Authenticator;
use crate::service::health::HealthView;
use crate::service::Service;
use crate::state::AppState;
use crate::web::client::ClientAddr;

pub fn routes() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SessionL {
    session_id: String,
    master: String,
    slave: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateL {
    session_id: String,
    master: String,
    slave: String,
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct BrickL {
    session_id: String,
    brick: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct PendingL {
    session_id: String,
    brick: String,
    kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ProbeL {
    session_id: String,
    result: String,
}

type FGauge = Gauge<f64, AtomicU64>;

/// The text of one scrape for these sessions (pure: tested without a server); `dr`: their
/// DR state and the operation counts by state.
pub fn render_all(
    views: &[HealthView],
    dr: &(
        std::collections::HashMap<uuid::Uuid, crate::service::schedule::DrFacts>,
        Vec<(String, i64)>,
    ),
) -> String {
    let mut out = render(views);
    let mut reg = Registry::with_prefix("georep");
    let point = Family::<SessionL, Gauge>::default();
    let overdue = Family::<SessionL, Gauge>::default();
    let failed = Family::<SessionL, Gauge>::default();
    let failed_over = Family::<SessionL, Gauge>::default();
    let ops = Family::<OpL, Gauge>::default();
    reg.register(
        "recovery_point_timestamp_seconds",
        "The slave is consistent with the master up to this time (the last completed DR sync)",
        point.clone(),
    );
    reg.register(
        "recovery_point_overdue",
        "1 when the recovery point is older than the schedule's RPO",
        overdue.clone(),
    );
    reg.register(
        "dr_sync_last_failed",
        "1 when the last DR sync run of the session failed",
        failed.clone(),
    );
    reg.register(
        "session_failed_over",
        "1 while the session is failed over (its slave takes writes) or failing back",
        failed_over.clone(),
    );
    reg.register(
        "operations",
        "Operations by state: unfinished ones, and those that need attention",
        ops.clone(),
    );
    for v in views {
        let sl = SessionL {
            session_id: v.health.session_id.to_string(),
            master: v.master.clone(),
            slave: v.slave.clone(),
        };
        let f = dr.0.get(&v.health.session_id);
        failed_over
            .get_or_create(&sl)
            .set(i64::from(f.is_some_and(|f| f.failed_over)));
        let Some(f) = f else {
            continue;
        };
        if let Some(p) = f.recovery_point {
            point.get_or_create(&sl).set(p.timestamp());
        }
        overdue.get_or_create(&sl).set(i64::from(f.overdue));
        if let Some(x) = f.last_run_failed {
            failed.get_or_create(&sl).set(i64::from(x));
        }
    }
    for (state, n) in &dr.1 {
        ops.get_or_create(&OpL {
            state: state.clone(),
        })
        .set(*n);
    }
    let mut more = String::new();
    let _ = prometheus_client::encoding::text::encode(&mut more, &reg);
    // one exposition: the first one's end marker goes, the second's stays
    if let Some(cut) = out.rfind("# EOF") {
        out.truncate(cut);
    }
    out.push_str(&more);
    out
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OpL {
    state: String,
}

/// The text of one scrape for these sessions (pure: tested without a server).
pub fn render(views: &[HealthView]) -> String {
    let mut reg = Registry::with_prefix("georep");
    let status = Family::<StateL, Gauge>::default();
    let health = Family::<StateL, Gauge>::default();
    let lag = Family::<SessionL, Gauge>::default();
    let brick_lag = Family::<BrickL, Gauge>::default();
    let stalled = Family::<BrickL, Gauge>::default();
    let pending = Family::<PendingL, Gauge>::default();
    let failures = Family::<BrickL, Gauge>::default();
    let probe_at = Family::<ProbeL, Gauge>::default();
    let probe_secs = Family::<SessionL, FGauge>::default();
    reg.register(
        "session_status",
        "Session status (1 for the current one)",
        status.clone(),
    );
    reg.register(
        "session_health",
        "Session health (1 for the current one)",
        health.clone(),
    );
    reg.register(
        "session_lag_seconds",
        "Largest replication lag of the session's active bricks",
        lag.clone(),
    );
    reg.register(
        "brick_lag_seconds",
        "Replication lag of an active master brick",
        brick_lag.clone(),
    );
    reg.register(
        "brick_stalled",
        "1 while the probe finds the brick's worker stalled",
        stalled.clone(),
    );
    reg.register(
        "brick_pending",
        "Operations pending in the worker's batch, by kind",
        pending.clone(),
    );
    reg.register(
        "brick_failures",
        "Failures the worker reports",
        failures.clone(),
    );
    reg.register(
        "probe_last_timestamp_seconds",
        "Start of the last health probe, by its result",
        probe_at.clone(),
    );
    reg.register(
        "probe_last_duration_seconds",
        "How long the last health probe took",
        probe_secs.clone(),
    );
    for v in views {
        let sid = v.health.session_id.to_string();
        let sl = SessionL {
            session_id: sid.clone(),
            master: v.master.clone(),
            slave: v.slave.clone(),
        };
        let state = |s: &str| StateL {
            session_id: sid.clone(),
            master: v.master.clone(),
            slave: v.slave.clone(),
            state: s.into(),
        };
        for &s in SessionStatus::ALL {
            status
                .get_or_create(&state(&s.as_api()))
                .set(i64::from(s == v.status));
        }
        for &h in Health::ALL {
            health
                .get_or_create(&state(h.as_str()))
                .set(i64::from(h == v.health.health));
        }
        if let Some(l) = v.health.lag_seconds {
            lag.get_or_create(&sl).set(l);
        }
        for b in &v.health.bricks {
            let bl = BrickL {
                session_id: sid.clone(),
                brick: b.brick.clone(),
            };
            if let Some(l) = b.lag_seconds {
                brick_lag.get_or_create(&bl).set(l);
            }
            stalled
                .get_or_create(&bl)
                .set(i64::from(b.stalled_since.is_some()));
        }
        for c in &v.counters {
            for (kind, n) in [("entry", c.entry), ("data", c.data), ("meta", c.meta)] {
                if let Some(n) = n {
                    pending
                        .get_or_create(&PendingL {
                            session_id: sid.clone(),
                            brick: c.brick.clone(),
                            kind: kind.into(),
                        })
                        .set(n);
                }
            }
            if let Some(f) = c.failures {
                failures
                    .get_or_create(&BrickL {
                        session_id: sid.clone(),
                        brick: c.brick.clone(),
                    })
                    .set(f);
            }
        }
        if let Some(p) = &v.health.last_probe {
            probe_at
                .get_or_create(&ProbeL {
                    session_id: sid.clone(),
                    result: p.result.as_str().into(),
                })
                .set(p.at.timestamp());
            probe_secs
                .get_or_create(&sl)
                .set(p.duration_ms as f64 / 1000.0);
        }
    }
    let mut out = String::new();
    // writing into a String cannot fail
    let _ = prometheus_client::encoding::text::encode(&mut out, &reg);
    out
}

/// A scrape: `Authorization: Bearer` with the metrics token (`serve --metrics-token-file`) or
/// any user's API token; the text names every session, volume and brick path, so it is
/// never public.
async fn metrics(
    State(service): State<Service>,
    State(auth): State<Authenticator>,
    client: Option<axum::Extension<ClientAddr>>,
    headers: axum::http::HeaderMap,
) -> Response {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    let allowed = match token {
        Some(t) => auth.scraper(t, client.map(|c| c.0 .0)).await,
        None => Ok(false),
    };
    match allowed {
        Ok(true) => {}
        Ok(false) => {
            return (
                StatusCode::UNAUTHORIZED,
                [(header::WWW_AUTHENTICATE, "Bearer realm=\"georep\"")],
                "a bearer token is required: the metrics token or an API token\n",
            )
                .into_response()
        }
        Err(e @ crate::service::ServiceError::TooManyAttempts(_)) => {
            return (StatusCode::TOO_MANY_REQUESTS, format!("{e}\n")).into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "metrics: cannot check the token");
            return (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response();
        }
    }
    let dr = match service.dr_facts().await {
        Ok(dr) => dr,
        Err(e) => {
            tracing::error!(error = %e, "metrics: cannot read the DR state");
            Default::default()
        }
    };
    match service.health_views().await {
        Ok(views) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            render_all(&views, &dr),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "metrics: cannot read sessions");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::health::{BrickCounters, HealthView};
    use app::domain::BrickStatus;
    use app::health::{BrickHealth, ProbeResult, ProbeSummary, SessionHealth};

    #[test]
    fn renders_status_health_lag_and_counters() {
        let sid = uuid::Uuid::nil();
        let brick = uuid::Uuid::from_u128(7);
        let at = "2026-11-24T14:52:38Z".parse().unwrap();
        let v = HealthView {
            master: "mastervol".into(),
            slave: "vm::slavevol".into(),
            cluster_id: None,
            status: SessionStatus::Active,
            health: SessionHealth {
                session_id: sid,
                health: Health::Stalled,
                reason: "r".into(),
                since: at,
                lag_seconds: Some(61),
                bricks: vec![BrickHealth {
                    brick_id: brick,
                    brick: "vm:/b1".into(),
                    status: BrickStatus::Active,
                    lag_seconds: Some(61),
                    stalled_since: Some(at),
                }],
                last_probe: Some(ProbeSummary {
                    at,
                    result: ProbeResult::Stalled,
                    duration_ms: 33071,
                    message: None,
                }),
            },
            counters: vec![BrickCounters {
                brick: "vm:/b1".into(),
                entry: Some(1),
                data: Some(2),
                meta: None,
                failures: Some(0),
            }],
            views: Vec::new(),
            stored: None,
        };
        let text = render(std::slice::from_ref(&v));
        let l = |s: &str| assert!(text.contains(s), "{s} not in\n{text}");
        let ids = format!("session_id=\"{sid}\",master=\"mastervol\",slave=\"vm::slavevol\"");
        l(&format!(
            "georep_session_status{{{ids},state=\"active\"}} 1"
        ));
        l(&format!(
            "georep_session_status{{{ids},state=\"stopped\"}} 0"
        ));
        l(&format!(
            "georep_session_health{{{ids},state=\"stalled\"}} 1"
        ));
        l(&format!(
            "georep_session_health{{{ids},state=\"healthy\"}} 0"
        ));
        l(&format!("georep_session_lag_seconds{{{ids}}} 61"));
        l(&format!(
            "georep_brick_stalled{{session_id=\"{sid}\",brick=\"vm:/b1\"}} 1"
        ));
        l(&format!(
            "georep_brick_pending{{session_id=\"{sid}\",brick=\"vm:/b1\",kind=\"data\"}} 2"
        ));
        assert!(!text.contains("kind=\"meta\""), "not reported: no sample");
        l(&format!(
            "georep_probe_last_duration_seconds{{{ids}}} 33.071"
        ));
        assert!(text.trim_end().ends_with("# EOF"));

        // with the DR state: one exposition (one end marker), the recovery point and alerts
        let facts = crate::service::schedule::DrFacts {
            recovery_point: Some(at),
            overdue: true,
            last_run_failed: Some(true),
            failed_over: true,
        };
        let dr = (
            [(sid, facts)].into_iter().collect(),
            vec![("needs_attention".to_owned(), 2)],
        );
        let text = render_all(std::slice::from_ref(&v), &dr);
        let l = |s: &str| assert!(text.contains(s), "{s} not in\n{text}");
        l(&format!(
            "georep_recovery_point_timestamp_seconds{{{ids}}} {}",
            at.timestamp()
        ));
        l(&format!("georep_recovery_point_overdue{{{ids}}} 1"));
        l(&format!("georep_dr_sync_last_failed{{{ids}}} 1"));
        l(&format!("georep_session_failed_over{{{ids}}} 1"));
        l("georep_operations{state=\"needs_attention\"} 2");
        l("georep_session_lag_seconds");
        assert_eq!(text.matches("# EOF").count(), 1, "{text}");
    }
}
