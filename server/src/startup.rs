//! Wiring: router, listener, graceful shutdown (the state itself is in `state.rs`).
use std::net::SocketAddr;
use std::sync::Arc;

use app::backend::SharedBackend;
use app::{shell, App};
use axum::routing::get;
use axum::Router;
use leptos::config::{Env, LeptosOptions};
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use tokio::net::TcpListener;
use tower_http::trace::TraceLayer;

use crate::config::ServeArgs;
use crate::service::Service;
pub use crate::state::AppState;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot add the first admin: {0}")]
    Admin(String),
    #[error("{0}")]
    Config(String),
    #[error("server failed: {0}")]
    Serve(std::io::Error),
}

pub fn leptos_options(serve: &ServeArgs, addr: SocketAddr) -> LeptosOptions {
    // cargo-leptos sets LEPTOS_ENV=DEV for `watch`; everything else runs as production
    let env = match std::env::var("LEPTOS_ENV").as_deref() {
        Ok("DEV") | Ok("dev") => Env::DEV,
        _ => Env::PROD,
    };
    // the hashed names of the site's files, by an absolute path (leptos joins it to the
    // executable's folder)
    let hash_file = crate::assets::hash_file(std::path::Path::new(&serve.site_root));
    LeptosOptions::builder()
        .output_name("georep")
        .site_root(serve.site_root.as_str())
        .site_pkg_dir("pkg")
        .site_addr(addr)
        .env(env)
        .hash_files(hash_file.is_some())
        .hash_file(match hash_file {
            Some(f) => f.to_string_lossy().into(),
            None => "hash.txt".into(),
        })
        .build()
}

pub fn router(state: AppState) -> Router {
    let backend: SharedBackend = Arc::new(crate::web::UiBackend {
        service: state.service.clone(),
        auth: state.auth.clone(),
        tls: state.tls,
    });
    let context = move || {
        provide_context(backend.clone());
        crate::security::provide_page_policy();
    };
    let routes = generate_route_list(App);
    let docs = crate::api::DocCache::of(state.service.store().clone());
    let app = Router::new()
        .route("/healthz", get(healthz))
        .merge(crate::api::routes(&state, &docs))
        .merge(crate::api::hooks::routes())
        .merge(crate::api::browser_downloads())
        .merge(crate::metrics::routes())
        .merge(crate::assets::pkg(&state.leptos_options))
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .route("/rpc/live", get(crate::web::live::stream))
        .layer(axum::middleware::from_fn_with_state(
            crate::web::Gate {
                auth: state.auth.clone(),
                tls: state.tls,
            },
            crate::web::gate,
        ))
        // before anything reads a body, the login gate and its anonymous login included
        .layer(axum::middleware::from_fn_with_state(
            crate::api::too_large as crate::limits::ApiRefusal,
            crate::limits::layer,
        ))
        // who the client is, for the failed-login limits of both doors
        .layer(axum::middleware::from_fn_with_state(
            state.trusted_proxies.clone(),
            crate::web::client::layer,
        ));
    let app =
        crate::security::same_origin_layer(app)
            // a span per request at info: what a request logs (a refusal, a gluster call under
            // it) names its method and path
            .layer(TraceLayer::new_for_http().make_span_with(
                tower_http::trace::DefaultMakeSpan::new().level(tracing::Level::INFO),
            ))
            .with_state(state.clone());
    // around everything, and around the answers given before the router too: compression and
    // the security headers (static layers: not boxed and cloned per route and request). They
    // run on the HTTP workers, the router on this (the main) runtime (edge.rs); so does the
    // cache's answer on SQLite, whose generation is a counter in memory, not on PostgreSQL,
    // where it is a query on the pool's connections
    let outer = tower::ServiceBuilder::new()
        .layer(crate::assets::compression())
        .layer(crate::security::headers());
    let auth = state.auth.clone();
    if state.service.store().is_postgres() {
        let held = crate::api::CachedGets::new(app, docs, auth);
        Router::new().fallback_service(outer.service(crate::edge::OnMain::here(held)))
    } else {
        let app = crate::edge::OnMain::here(app);
        Router::new().fallback_service(outer.service(crate::api::CachedGets::new(app, docs, auth)))
    }
}

async fn healthz(
    axum::extract::State(service): axum::extract::State<Service>,
) -> (axum::http::StatusCode, &'static str) {
    match service.store().ping().await {
        Ok(_) => (axum::http::StatusCode::OK, "ok\n"),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unavailable");
            (
                axum::http::StatusCode::SERVICE_UNAVAILABLE,
                "database unavailable\n",
            )
        }
    }
}

/// Binds the listener (so a busy port fails before anything else starts) and serves until
/// SIGINT or SIGTERM.
pub async fn serve(
    serve: &ServeArgs,
    service: Service,
    state: &std::path::Path,
) -> Result<(), StartError> {
    let listener = TcpListener::bind(serve.listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: serve.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(StartError::Serve)?;
    let commands = if serve.allow_command_options {
        tracing::warn!(
            "command options allowed: georep admins can change what gsyncd runs as root"
        );
        crate::service::options::CommandOptions::Allowed
    } else {
        crate::service::options::CommandOptions::Refused
    };
    let service = service.with_serve_config(
        (&serve.health).into(),
        commands,
        serve.event_retention(),
        serve.events_url(addr, serve.tls_cert.is_some()),
    );
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let admin_password = serve.admin_password().map_err(StartError::Config)?;
    let tls = match (&serve.tls_cert, &serve.tls_key) {
        (Some(cert), Some(key)) => {
            Some(crate::tls::acceptor(cert, key).map_err(StartError::Config)?)
        }
        _ => None,
    };
    let metrics_token = serve.metrics_token().map_err(StartError::Config)?;
    first_admin(&service, admin_password, state).await?;
    let state = AppState::new(crate::state::Parts {
        leptos_options: leptos_options(serve, addr),
        service: service.clone(),
        auth: crate::service::auth::Authenticator::with_metrics_token(
            service.clone(),
            metrics_token.as_deref(),
        ),
        live: crate::web::live::Live::spawn(service.clone(), stopped.clone()),
        trusted_proxies: crate::web::client::TrustedProxies::new(serve.trusted_proxies.clone()),
        tls: tls.is_some(),
    });
    tokio::spawn(state.auth.clone().follow_changes(stopped.clone()));
    let app = router(state);
    let mut stopping = stopped.clone();
    let edge_stop = stopped.clone();
    // the background work runs in the one process that leads (always this one on SQLite);
    // requests are served meanwhile, by every process
    let (taken_over, orphans_taken) = tokio::sync::oneshot::channel();
    let background = tokio::spawn(lead(
        service.clone(),
        serve.sync_interval(),
        stopped,
        taken_over,
    ));
    if !service.store().is_postgres() {
        // alone on its file, this process leads at once: the operations an earlier georep left
        // stop holding their sessions before the first request
        let _ = orphans_taken.await;
    }
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!("listening on {scheme}://{addr}");
    // the stop is told at the signal, not after the server drained: the live streams end with
    // the watcher (an open page held the graceful shutdown for as long as it stayed open) and
    // the sync and health loops stop while requests in flight finish
    let signal = async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    };
    let server = async {
        let (_, served) = tokio::join!(signal, crate::edge::serve(listener, tls, app, edge_stop));
        served
    };
    // requests in flight, and the actions whose client went away but still run
    // (service/detached.rs), may end on gluster and be recorded within one grace
    let drained = async {
        let served = server.await;
        if !service.finish_actions(REQUEST_GRACE).await {
            tracing::warn!(
                "stopping with actions still under way: the next sync reads their outcome"
            );
        }
        served
    };
    let served = tokio::select! {
        served = drained => served,
        _ = async {
            let _ = stopping.wait_for(|s| *s).await;
            tokio::time::sleep(REQUEST_GRACE).await;
        } => {
            tracing::warn!("requests or actions still running {REQUEST_GRACE:?} after the stop: not waiting longer");
            Ok(())
        }
    };
    if tokio::time::timeout(TASK_GRACE, background).await.is_err() {
        tracing::warn!(
            "sync or health still busy {TASK_GRACE:?} after the server stopped: not waiting longer"
        );
    }
    served.map_err(StartError::Serve)?;
    tracing::info!("stopped");
    Ok(())
}

/// How often a process that does not lead tries to, and the leader checks it still does: a
/// leader that died is followed within this (and the time its loops take to start).
const LEAD_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// Runs the background work while this process leads, until the stop: becomes the leader
/// when the leader's lock is free, then judges what a dead georep left unfinished (DR runs
/// resumed) before the health and schedule loops start new work, and syncs; stops all of it
/// when the leadership is lost (its database connection broke), and waits to lead again.
async fn lead(
    service: Service,
    sync_interval: std::time::Duration,
    mut stopped: tokio::sync::watch::Receiver<bool>,
    taken_over: tokio::sync::oneshot::Sender<()>,
) {
    let mut taken_over = Some(taken_over);
    let mut presence = service.store().presence(service.instance());
    let multi = service.store().is_postgres();
    loop {
        while !presence.lead().await {
            tokio::select! {
                _ = tokio::time::sleep(LEAD_EVERY) => {}
                _ = stopped.wait_for(|s| *s) => return,
            }
        }
        if multi {
            tracing::info!("leading: this georep runs the sync, health and schedule loops");
        }
        let (stop_term, term) = tokio::sync::watch::channel(false);
        let work = tokio::spawn(background(
            service.clone(),
            sync_interval,
            term,
            taken_over.take(),
        ));
        let lost = async {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(LEAD_EVERY) => {}
                    _ = stopped.wait_for(|s| *s) => return false,
                }
                if !presence.lead().await {
                    return true;
                }
            }
        }
        .await;
        let _ = stop_term.send(true);
        let _ = work.await;
        if !lost {
            presence.resign().await;
            return;
        }
        tracing::warn!("no longer leading: the sync, health and schedule loops stopped");
    }
}

/// What the leader runs, until `stopped`.
async fn background(
    service: Service,
    sync_interval: std::time::Duration,
    stopped: tokio::sync::watch::Receiver<bool>,
    taken_over: Option<tokio::sync::oneshot::Sender<()>>,
) {
    // what an earlier georep left unfinished is judged (DR syncs resumed) before new work is
    // scheduled
    let recovered = {
        let service = service.clone();
        async move {
            let orphans = service.take_over_orphans().await;
            if let Some(told) = taken_over {
                let _ = told.send(());
            }
            let orphans = match orphans {
                Ok(o) => o,
                Err(e) => {
                    tracing::error!(error = %e, "cannot read the unfinished operations");
                    return;
                }
            };
            match service.recover_operations(orphans).await {
                Ok(judged) => {
                    for j in judged {
                        tracing::warn!(operation = %j.id, kind = j.kind.as_str(), state = j.state.as_str(), message = %j.message, "recovered an operation");
                    }
                }
                Err(e) => tracing::error!(error = %e, "cannot judge the unfinished operations"),
            }
        }
    };
    let health = {
        let (service, stopped) = (service.clone(), stopped.clone());
        async move {
            recovered.await;
            tokio::join!(
                crate::service::health::run(service.clone(), stopped.clone()),
                crate::service::schedule::run(service, stopped),
            );
        }
    };
    tokio::join!(health, service.sync_loop(sync_interval, stopped));
}

/// How long a stop waits for requests in flight and the actions under way (a gluster action
/// finishing) ...
const REQUEST_GRACE: std::time::Duration = std::time::Duration::from_secs(6);
/// ... and then for the sync and health loops, so that a SIGTERM ends the process within 10 s
/// (systemd's and Kubernetes' default grace before SIGKILL is longer).
const TASK_GRACE: std::time::Duration = std::time::Duration::from_secs(3);

/// With no user yet: the `admin` user, with `GEOREP_ADMIN_PASSWORD` or a drawn password
/// written to `initial-admin-password` in the state folder (mode 0600; never logged: logs
/// are copied to places a password must not go).
async fn first_admin(
    service: &Service,
    password: Option<String>,
    state: &std::path::Path,
) -> Result<(), StartError> {
    let given = password.is_some();
    match service.ensure_first_admin(password).await {
        Ok(Some(drawn)) => {
            let path = state.join("initial-admin-password");
            write_secret(&path, &drawn)
                .map_err(|e| StartError::Admin(format!("cannot write {}: {e}", path.display())))?;
            tracing::warn!(
                "no user yet: added user \"admin\" (role admin); its password is in {} \
                 (readable by this user only): log in with HTTP Basic, then delete the file",
                path.display()
            )
        }
        Ok(None) if given => {
            tracing::info!("no user yet: added user \"admin\" with the given password")
        }
        Ok(None) => {}
        Err(e) => return Err(StartError::Admin(e.to_string())),
    }
    Ok(())
}

/// `secret` and a newline into a new file only its owner can read.
fn write_secret(path: &std::path::Path, secret: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let _ = std::fs::remove_file(path);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    writeln!(f, "{secret}")
}

pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested");
}
