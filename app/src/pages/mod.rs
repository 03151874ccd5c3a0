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
use leptos_router::{lazy_route, LazyRoute};

/// The frame's "live" marker (`data-testid="hydrated"`).
#[derive(Clone, Copy)]
pub struct Hydrated(pub RwSignal<bool>);

/// Turns the frame's marker on once the page around it has hydrated. The frame hydrates
/// first; a lazy page only when its code has arrived (`hydrate_lazy`), and a click on it
/// before then is lost: the marker waits for the page, not the frame.
#[component]
pub fn PageLive() -> impl IntoView {
    if let Some(Hydrated(on)) = use_context::<Hydrated>() {
        Effect::new(move |_| on.set(true));
    }
}

/// The frame of the pages that show data: the user and the way out, the live stream, the
/// health in the title and icon. It comes with the pages' lazily loaded code, not in the
/// login page's.
#[component]
pub fn PageFrame(children: Children) -> impl IntoView {
    crate::ui::provide_current_user();
    crate::ui::listen_live();
    view! {
        // "(2) georep" and a badge on the favicon while sessions are not healthy
        <crate::ui::HealthInTitle/>
        <crate::Topbar>
            <crate::UserMenu/>
        </crate::Topbar>
        <main>
            {children()}
            <PageLive/>
        </main>
    }
}

/// `ROUTE` shows `PAGE` as a piece of the wasm of its own (`cargo leptos --split`): the
/// browser loads a page's code when it first shows it, so the login page loads little more
/// than the frame. Without the split (debug builds, the server) it just shows the page.
macro_rules! lazy_page {
    ($($route:ident => $page:ident),* $(,)?) => {$(
        #[derive(Clone)]
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(this: Self) -> AnyView {
                let _ = this;
                view! { <PageFrame><$page/></PageFrame> }.into_any()
            }
        }
    )*};
}

lazy_page! {
    ClustersRoute => ClustersPage,
    VolumesRoute => VolumesPage,
    VolumeRoute => VolumePage,
    SessionsRoute => SessionsPage,
    SessionRoute => SessionPage,
    OperationsRoute => OperationsPage,
    EventsRoute => EventsPage,
}

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
