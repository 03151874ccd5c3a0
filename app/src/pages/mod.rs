//! The pages. Data comes from SQLite through server functions; every page re-reads when the
//! live stream says something changed.
mod events;
mod failover;
mod login;
mod operations;
mod recovery;
mod session;
mod sessions;
mod volumes;

pub use events::EventsPage;
pub use login::LoginPage;
pub use operations::OperationsPage;
pub use session::SessionPage;
pub use sessions::{SessionsPage, VolumePage};
pub use volumes::VolumesPage;

use leptos::prelude::*;

use crate::domain::{ClusterSummary, SyncState};
use crate::rpc::{list_clusters, AddCluster};

#[component]
pub fn ClustersPage() -> impl IntoView {
    let add = ServerAction::<AddCluster>::new();
    // refetch after every registration
    let tick = crate::ui::live_tick();
    let clusters = Resource::new(
        move || (add.version().get(), tick.get()),
        |_| list_clusters(),
    );

    let show_form = RwSignal::new(false);

    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Clusters"</h1>
                <crate::ui::IfCanAct>
                <button
                    type="button"
                    class="primary"
                    data-testid="toggle-register"
                    aria-expanded=move || show_form.get().to_string()
                    on:click=move |_| show_form.update(|v| *v = !*v)
                >
                    {move || if show_form.get() { "Cancel" } else { "Register a cluster" }}
                </button>
                </crate::ui::IfCanAct>
            </div>
            <Show when=move || show_form.get()>
                <ActionForm action=add attr:class="card form" attr:data-testid="register-form">
                    <label>"Name" <input type="text" name="name" required placeholder="site-a"/></label>
                    <label>"Host of the trusted pool" <input type="text" name="host" required placeholder="gluster1.example.com"/></label>
                    <label>"Connection"
                        <select name="connection">
                            <option value="local">"local (gluster on this machine)"</option>
                            <option value="ssh">"ssh (root, key based)"</option>
                        </select>
                    </label>
                    <label>"Description" <input type="text" name="description"/></label>
                    <button type="submit" class="primary" disabled=move || add.pending().get()>
                        {move || if add.pending().get() { "Asking gluster…" } else { "Register" }}
                    </button>
                </ActionForm>
            </Show>
            {move || add.value().get().and_then(|r| r.err()).map(|e| view! {
                <p class="error" role="alert">{e.to_string()}</p>
            })}
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || clusters.get().map(|r| match r {
                    Err(e) => view! { <p class="error" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <div class="empty" data-testid="empty-clusters">
                            <p>"No clusters yet."</p>
                            <p>"Register one host of a gluster trusted pool; georep reads its peers, volumes and geo-replication sessions."</p>
                        </div>
                    }.into_any(),
                    Ok(list) => view! { <ClusterTable clusters=list/> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn ClusterTable(clusters: Vec<ClusterSummary>) -> impl IntoView {
    view! {
        <table class="grid" data-testid="clusters">
            <thead>
                <tr><th>"Name"</th><th>"Hosts"</th><th>"Volumes"</th><th>"Sessions"</th><th>"Sync"</th><th>"Last sync"</th></tr>
            </thead>
            <tbody>
                {clusters.into_iter().map(|c| view! {
                    <tr>
                        <td>
                            <a href="/volumes"><strong>{c.name.clone()}</strong></a>
                            <div class="muted">{c.description.clone()}</div>
                        </td>
                        <td>{c.host_count}</td>
                        <td>{c.volume_count}</td>
                        <td>{c.session_count}</td>
                        <td><SyncBadge state=c.sync_state error=c.sync_error.clone()/></td>
                        <td>{c.synced_at.map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string()).unwrap_or_else(|| "never".into())}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn SyncBadge(state: SyncState, error: Option<String>) -> impl IntoView {
    view! {
        <span class=format!("badge sync-{}", state.as_str()) title=error.unwrap_or_default()>
            {state.as_str()}
        </span>
    }
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
