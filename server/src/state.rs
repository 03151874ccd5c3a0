//! [`AppState`], what every handler can extract (axum's `State`, each part through `FromRef`).
//! One `Arc`: axum clones the state for every request, once per middleware and handler, and a
//! clone of the parts themselves (the leptos options' strings among them) was a tenth of a
//! cached GET's time.
use std::ops::Deref;
use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;

use crate::service::Service;

#[derive(Clone)]
pub struct AppState(Arc<Parts>);

pub struct Parts {
    pub leptos_options: LeptosOptions,
    pub service: Service,
    pub auth: crate::service::auth::Authenticator,
    pub live: crate::web::live::Live,
    pub trusted_proxies: crate::web::client::TrustedProxies,
    /// Served over TLS (`serve --tls-cert`).
    pub tls: bool,
}

impl AppState {
    pub fn new(parts: Parts) -> Self {
        AppState(Arc::new(parts))
    }
}

impl Deref for AppState {
    type Target = Parts;
    fn deref(&self) -> &Parts {
        &self.0
    }
}

/// `State<T>` of each part, as `#[derive(FromRef)]` gave them.
macro_rules! parts_from_ref {
    ($($field:ident: $ty:ty),* $(,)?) => {$(
        impl FromRef<AppState> for $ty {
            fn from_ref(state: &AppState) -> Self {
                state.0.$field.clone()
            }
        }
    )*};
}

parts_from_ref!(
    leptos_options: LeptosOptions,
    service: Service,
    auth: crate::service::auth::Authenticator,
    live: crate::web::live::Live,
    trusted_proxies: crate::web::client::TrustedProxies,
);
