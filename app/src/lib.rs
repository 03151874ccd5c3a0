//! georep's user interface: pages, components, shared domain types and server functions.
#![recursion_limit = "512"]
#[cfg(feature = "ssr")]
pub mod backend;
pub mod domain;
pub mod error;
pub mod failover;
pub mod health;
pub mod operations;
mod pages;
pub mod preflight;
pub mod rpc;
pub mod ui;
pub mod views;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;
use leptos_router::Lazy;
use leptos_router::SsrMode;

/// The HTML document the server renders around the app.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <AutoReload options=options.clone()/>
                // the css by its hashed name (cargo-leptos hash-files), so only the shell knows it
                <HashedStylesheet options=options.clone() id="leptos"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    ui::provide_live_tick();
    // the marker tells tests (and people) that the page is live: turned on by the page's own
    // `PageLive` (effects run only in the browser, after what created them has hydrated)
    let hydrated = RwSignal::new(false);
    provide_context(pages::Hydrated(hydrated));

    // Each route draws its frame: the login page's (and a 404's) is bare, so the first wasm a
    // browser loads holds no user menu, live stream or health title, only what the login needs;
    // the data pages' frame (`PageFrame`) comes with their own lazily loaded code.
    // Whole pages, not streamed out of order: a data view read by nested Transitions (the
    // user, the session, its options) is then hydrated the way it was rendered; streamed
    // fragments failed to hydrate after a reload (all reads are local SQLite).
    view! {
        <Router>
            <Routes fallback=|| view! { <BareFrame><pages::NotFound/></BareFrame> }>
                <Route path=path!("/login") view=|| view! { <BareFrame><pages::LoginPage/></BareFrame> } ssr=SsrMode::Async/>
                <Route path=path!("/") view={Lazy::<pages::ClustersRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/volumes") view={Lazy::<pages::VolumesRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/volumes/:id") view={Lazy::<pages::VolumeRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/sessions") view={Lazy::<pages::SessionsRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/sessions/:id") view={Lazy::<pages::SessionRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/operations") view={Lazy::<pages::OperationsRoute>::new()} ssr=SsrMode::Async/>
                <Route path=path!("/events") view={Lazy::<pages::EventsRoute>::new()} ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}

/// The bar on top of every page: the name, the menu, the "live" marker, then `children`
/// (the user menu, on pages with a user).
#[component]
pub fn Topbar(#[prop(optional)] children: Option<Children>) -> impl IntoView {
    let hydrated = use_context::<pages::Hydrated>().map(|h| h.0);
    let on = move || hydrated.is_some_and(|h| h.get());
    view! {
        <header class="topbar">
            <a class="brand" href="/">"georep"</a>
            <nav aria-label="main">
                <A href="/">"Clusters"</A>
                <A href="/volumes">"Volumes"</A>
                <A href="/sessions">"Sessions"</A>
                <A href="/operations">"Operations"</A>
                <A href="/events">"Audit log"</A>
            </nav>
            <span class="live" data-testid="hydrated" data-hydrated=move || on().to_string()>
                {move || if on() { "live" } else { "static" }}
            </span>
            {children.map(|c| c())}
        </header>
    }
}

/// The frame of the pages without a user or data (login, not found): the plain title and icon.
#[component]
fn BareFrame(children: Children) -> impl IntoView {
    use leptos_meta::{Link, Title};
    view! {
        <Title text=ui::title_for(0)/>
        <Link rel="icon" type_="image/svg+xml" href=ui::favicon_for(0)/>
        <Topbar/>
        <main>
            {children()}
            <pages::PageLive/>
        </main>
    }
}

/// Who is logged in, and the way out.
#[component]
pub fn UserMenu() -> impl IntoView {
    let user = use_context::<ui::CurrentUser>().map(|u| u.0);
    let logout = ui::Call::<rpc::Logout>::new();
    Effect::new(move |_| {
        if let Some(Ok(())) = logout.outcome() {
            views::reload_to("/login");
        }
    });
    view! {
        <Transition fallback=|| ()>
            {move || user.and_then(|u| u.get()).and_then(|r| r.ok()).flatten().map(|me| view! {
                <span class="user" data-testid="user">
                    {format!("{} ({})", me.name, if me.can_act() { "admin" } else { "viewer" })}
                </span>
                <ActionForm action=logout.action() attr:class="logout">
                    <button type="submit" data-testid="logout">"Log out"</button>
                </ActionForm>
            })}
        </Transition>
    }
}
