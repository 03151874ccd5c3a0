//! The pages. Data comes from SQLite through server functions; every page re-reads when the
//! live stream says something changed.
mod clusters;
mod events;
mod failover;
mod login;
mod operations;
mod recovery;
mod session;
mod sessions;
mod volumes;

pub use clusters::ClustersPage;
pub use events::EventsPage;
pub use login::LoginPage;
pub use operations::OperationsPage;
pub use session::SessionPage;
pub use sessions::{SessionsPage, VolumePage};
pub use volumes::VolumesPage;

use leptos::prelude::*;

#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(resp) = use_context::<leptos_axum::ResponseOptions>() {
        resp.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <section class="page">
            <h1>"Not found"</h1>
            <p><a href="/">"Back to the clusters"</a></p>
        </section>
    }
}
