//! [`AppState`], what every handler can extract (axum's `State`, each field through `FromRef`).

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::service::Service;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub service: Service,
    pub auth: crate::service::auth::Authenticator,
    pub live: crate::web::live::Live,
    pub trusted_proxies: crate::web::client::TrustedProxies,
    /// Served over TLS (`serve --tls-cert`).
    #[from_ref(skip)]
    pub tls: bool,
}
