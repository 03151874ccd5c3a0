//! The clusters page (the home page): the registered clusters, and for admins registering
//! one, editing it (name, description, ssh user and port, a changed host key) and removing it
//! from georep (gluster keeps everything).
use leptos::prelude::*;

use crate::domain::{ClusterEdit, ClusterSummary, Connection, HostKeyAccept, SyncState};
use crate::rpc::{self, list_cluster_hosts, list_clusters, AddCluster};
use crate::ui::{live_tick, Call, Dialog, ErrorLine, IfCanAct};

/// What the row buttons opened, outside the part live updates re-render (a dialog inside
/// it would lose what the admin typed).
#[derive(Clone, Copy)]
struct ClusterActs {
    editing: RwSignal<Option<ClusterSummary>>,
    removing: RwSignal<Option<ClusterSummary>>,
    events: RwSignal<Option<ClusterSummary>>,
}

#[component]
pub fn ClustersPage() -> impl IntoView {
    let add = Call::<AddCluster>::new();
    // refetch after every registration
    let tick = live_tick();
    let clusters = Resource::new(move || (add.version(), tick.get()), |_| list_clusters());
    let show_form = RwSignal::new(false);
    let ssh = RwSignal::new(false);
    let acts = ClusterActs {
        editing: RwSignal::new(None),
        removing: RwSignal::new(None),
        events: RwSignal::new(None),
    };

    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Clusters"</h1>
                <IfCanAct>
                <button
                    type="button"
                    class="primary"
                    data-testid="toggle-register"
                    aria-expanded=move || show_form.get().to_string()
                    on:click=move |_| show_form.update(|v| *v = !*v)
                >
                    {move || if show_form.get() { "Cancel" } else { "Register a cluster" }}
                </button>
                </IfCanAct>
            </div>
            <Show when=move || show_form.get()>
                <ActionForm action=add.action() attr:class="card form" attr:data-testid="register-form">
                    <label>"Name" <input type="text" name="name" required placeholder="site-a"/></label>
                    <label>"Host of the trusted pool" <input type="text" name="host" required placeholder="gluster1.example.com"/></label>
                    <label>"Connection"
                        <select name="connection" on:change=move |ev| ssh.set(event_target_value(&ev) == "ssh")>
                            <option value="local">"local (gluster on this machine)"</option>
                            <option value="ssh">"ssh (key based)"</option>
                        </select>
                    </label>
                    <Show when=move || ssh.get()>
                        <label>"SSH user" <input type="text" name="ssh_user" placeholder="root"/></label>
                        <label>"SSH port" <input type="number" name="ssh_port" min="1" max="65535" placeholder="22"/></label>
                    </Show>
                    <label>"Description" <input type="text" name="description"/></label>
                    <label class="check">
                        <input type="checkbox" name="no_verify"/>
                        "Register without asking gluster now"
                    </label>
                    <button type="submit" class="primary" disabled=move || add.busy()>
                        {move || if add.busy() { "Asking gluster…" } else { "Register" }}
                    </button>
                </ActionForm>
            </Show>
            {move || add.outcome().and_then(|r| r.err()).map(|e| view! {
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
                    Ok(list) => view! { <ClusterTable clusters=list acts/> }.into_any(),
                })}
            </Transition>
            {move || acts.editing.get().map(|c| view! {
                <EditClusterDialog cluster=c on_close=move |_| acts.editing.set(None)/>
            })}
            {move || acts.removing.get().map(|c| view! {
                <RemoveClusterDialog cluster=c on_close=move |_| acts.removing.set(None)/>
            })}
            {move || acts.events.get().map(|c| view! {
                <GlusterEventsDialog cluster=c on_close=move |_| acts.events.set(None)/>
            })}
        </section>
    }
}

#[component]
fn ClusterTable(clusters: Vec<ClusterSummary>, acts: ClusterActs) -> impl IntoView {
    view! {
        <table class="grid" data-testid="clusters">
            <thead>
                <tr>
                    <th>"Name"</th><th>"Reached"</th><th>"Hosts"</th><th>"Volumes"</th><th>"Sessions"</th>
                    <th>"Sync"</th><th>"Last sync"</th><th>"gluster events"</th><th>"Actions"</th>
                </tr>
            </thead>
            <tbody>
                {clusters.into_iter().map(|c| {
                    let (edit, remove, events) = (c.clone(), c.clone(), c.clone());
                    view! {
                        <tr data-testid="cluster" data-name=c.name.clone()>
                            <td>
                                <a href="/volumes"><strong>{c.name.clone()}</strong></a>
                                <div class="muted">{c.description.clone()}</div>
                            </td>
                            <td data-testid="reached">{reached(&c)}</td>
                            <td>{c.host_count}</td>
                            <td>{c.volume_count}</td>
                            <td data-testid="session-count">{c.session_count}</td>
                            <td><SyncBadge state=c.sync_state error=c.sync_error.clone()/></td>
                            <td>{c.synced_at.map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string()).unwrap_or_else(|| "never".into())}</td>
                            <td data-testid="gluster-events" data-on=c.gluster_events.is_some().to_string()>{pushed(&c)}</td>
                            <td>
                                <IfCanAct>
                                    <div class="actions">
                                        <button type="button" data-testid="edit-cluster"
                                            on:click={
                                                let c = edit.clone();
                                                move |_| acts.editing.set(Some(c.clone()))
                                            }>
                                            "Edit"
                                        </button>
                                        <button type="button" data-testid="cluster-events"
                                            on:click={
                                                let c = events.clone();
                                                move |_| acts.events.set(Some(c.clone()))
                                            }>
                                            "Events…"
                                        </button>
                                        <button type="button" data-testid="remove-cluster"
                                            on:click={
                                                let c = remove.clone();
                                                move |_| acts.removing.set(Some(c.clone()))
                                            }>
                                            "Remove"
                                        </button>
                                    </div>
                                </IfCanAct>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// "pushed: 12 received, the last GEOREP_PAUSE at …" or "polled only".
fn pushed(c: &ClusterSummary) -> String {
    match &c.gluster_events {
        None => "polled only".into(),
        Some(e) => match (&e.last_event, e.last_event_at) {
            (Some(kind), Some(at)) => format!(
                "pushed: {} received, the last {kind} at {}",
                e.events_received,
                at.format("%Y-%m-%d %H:%M:%S UTC")
            ),
            _ => "pushed: none received yet".into(),
        },
    }
}

/// "ssh geo@…:2222" or "local".
fn reached(c: &ClusterSummary) -> String {
    match c.connection {
        Connection::Ssh => format!("ssh as {}, port {}", c.ssh_user, c.ssh_port),
        Connection::Local => "local".into(),
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

/// Name, description, and for a cluster reached over ssh its user, port and a host's new key.
/// Only what differs from the cluster as it was is sent.
#[component]
fn EditClusterDialog(
    cluster: ClusterSummary,
    #[prop(into)] on_close: Callback<()>,
) -> impl IntoView {
    let id = cluster.id;
    let is_ssh = cluster.connection == Connection::Ssh;
    let name = RwSignal::new(cluster.name.clone());
    let description = RwSignal::new(cluster.description.clone());
    let ssh_user = RwSignal::new(cluster.ssh_user.clone());
    let ssh_port = RwSignal::new(cluster.ssh_port.to_string());
    let key_host = RwSignal::new(String::new());
    let fingerprint = RwSignal::new(String::new());
    let verify = RwSignal::new(true);
    let local_error = RwSignal::new(None::<String>);
    let save = Call::<rpc::EditCluster>::new();
    let hosts = Resource::new(move || id, list_cluster_hosts);
    let tick = live_tick();
    Effect::new(move |_| {
        if let Some(Ok(_)) = save.outcome() {
            tick.update(|n| *n += 1);
            on_close.run(());
        }
    });
    let was = cluster.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        local_error.set(None);
        let changed =
            |now: String, before: &str| (now.trim() != before).then(|| now.trim().to_owned());
        let port = ssh_port.get();
        let port = match port.trim().parse::<i64>() {
            Ok(p) => (p != i64::from(was.ssh_port)).then_some(p),
            Err(_) if !is_ssh => None,
            Err(_) => {
                local_error.set(Some(format!("ssh port {port:?} is not a number")));
                return;
            }
        };
        let fp = fingerprint.get();
        let edit = ClusterEdit {
            name: changed(name.get(), &was.name),
            description: changed(description.get(), &was.description),
            ssh_user: if is_ssh {
                changed(ssh_user.get(), &was.ssh_user)
            } else {
                None
            },
            ssh_port: port.filter(|_| is_ssh),
            host_key: (is_ssh && !fp.trim().is_empty()).then(|| HostKeyAccept {
                // the select shows the first host until another is picked
                host: Some(key_host.get())
                    .filter(|h| !h.is_empty())
                    .or_else(|| {
                        hosts
                            .get_untracked()
                            .and_then(|r| r.ok())
                            .and_then(|l| l.first().map(|h| h.address.clone()))
                    })
                    .unwrap_or_default(),
                fingerprint: fp.trim().to_owned(),
            }),
        };
        save.dispatch(rpc::EditCluster {
            id,
            edit,
            verify: verify.get(),
        });
    };
    view! {
        <Dialog title=format!("Edit cluster {}", cluster.name) on_cancel=on_close>
            <form class="form" on:submit=submit data-testid="edit-cluster-form">
                <label>"Name"
                    <input type="text" name="name" required prop:value=move || name.get()
                        on:input=move |ev| name.set(event_target_value(&ev))/>
                </label>
                <label>"Description"
                    <input type="text" name="description" prop:value=move || description.get()
                        on:input=move |ev| description.set(event_target_value(&ev))/>
                </label>
                {is_ssh.then(|| view! {
                    <label>"SSH user"
                        <input type="text" name="ssh_user" prop:value=move || ssh_user.get()
                            on:input=move |ev| ssh_user.set(event_target_value(&ev))/>
                    </label>
                    <label>"SSH port"
                        // no min/max: the server's refusal says why a port is not one
                        <input type="number" name="ssh_port" prop:value=move || ssh_port.get()
                            on:input=move |ev| ssh_port.set(event_target_value(&ev))/>
                    </label>
                    <fieldset class="choice">
                        <legend>"Trust a host's new ssh key (after it changed)"</legend>
                        <Transition fallback=|| view! { <p>"Loading hosts…"</p> }>
                            {move || hosts.get().map(|r| match r {
                                Err(e) => view! { <ErrorLine error=e/> }.into_any(),
                                Ok(list) => {
                                    view! {
                                        <label>"Host"
                                            <select name="key_host" on:change=move |ev| key_host.set(event_target_value(&ev))>
                                                {list.iter().map(|h| view! {
                                                    <option value=h.address.clone()>{h.address.clone()}</option>
                                                }).collect_view()}
                                            </select>
                                        </label>
                                        <ul class="muted" data-testid="host-keys">
                                            {list.iter().map(|h| view! {
                                                <li>{format!("{}: {}", h.address,
                                                    if h.ssh_fingerprints.is_empty() { "no key recorded yet".to_owned() }
                                                    else { h.ssh_fingerprints.join(", ") })}</li>
                                            }).collect_view()}
                                        </ul>
                                    }.into_any()
                                }
                            })}
                        </Transition>
                        <label>"Fingerprint the host offers now (check it on the host: ssh-keygen -lf)"
                            <input type="text" name="fingerprint" placeholder="SHA256:…" prop:value=move || fingerprint.get()
                                on:input=move |ev| fingerprint.set(event_target_value(&ev))/>
                        </label>
                    </fieldset>
                    <label class="check">
                        <input type="checkbox" name="verify" prop:checked=move || verify.get()
                            on:change=move |ev| verify.set(event_target_checked(&ev))/>
                        "Check that gluster answers with a new ssh user or port first"
                    </label>
                })}
                {move || local_error.get().map(|m| view! { <p class="error" role="alert">{m}</p> })}
                {move || save.outcome().and_then(|r| r.err()).map(|e| view! { <ErrorLine error=e/> })}
                <div class="dialog-buttons">
                    <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button type="submit" class="primary" data-testid="save-cluster" disabled=move || save.busy()>
                        {move || if save.busy() { "Saving…" } else { "Save" }}
                    </button>
                </div>
            </form>
        </Dialog>
    }
}

/// Says what georep forgets (and that gluster keeps it all), then removes.
#[component]
fn RemoveClusterDialog(
    cluster: ClusterSummary,
    #[prop(into)] on_close: Callback<()>,
) -> impl IntoView {
    let remove = Call::<rpc::RemoveCluster>::new();
    let tick = live_tick();
    Effect::new(move |_| {
        if let Some(Ok(_)) = remove.outcome() {
            tick.update(|n| *n += 1);
            on_close.run(());
        }
    });
    let id = cluster.id;
    let sessions = cluster.session_count;
    view! {
        <Dialog title=format!("Remove cluster {} from georep?", cluster.name) on_cancel=on_close>
            <p data-testid="remove-what">
                {format!(
                    "georep forgets its {} host(s), {} volume(s) and {} geo-replication session(s), with their health, schedules and failover records.",
                    cluster.host_count, cluster.volume_count, sessions
                )}
            </p>
            <p>"Nothing changes in gluster: its volumes stay, and its sessions go on replicating. Register the cluster again to see them here."</p>
            {(sessions > 0).then(|| view! {
                <p class="reasons" data-testid="remove-sessions-warning">
                    {format!("This cluster has {sessions} session(s): georep will no longer show, check or act on them.")}
                </p>
            })}
            {move || remove.outcome().and_then(|r| r.err()).map(|e| view! { <ErrorLine error=e/> })}
            <div class="dialog-buttons">
                <button type="button" data-testid="cancel-remove" on:click=move |_| on_close.run(())>"Cancel"</button>
                <button type="button" class="primary" data-testid="confirm-remove" autofocus
                    disabled=move || remove.busy()
                    on:click=move |_| { remove.dispatch(rpc::RemoveCluster { id, force: true }); }>
                    "Remove from georep"
                </button>
            </div>
        </Dialog>
    }
}

/// Turns gluster's pushed events on or off, and shows what each node said.
#[component]
fn GlusterEventsDialog(
    cluster: ClusterSummary,
    #[prop(into)] on_close: Callback<()>,
) -> impl IntoView {
    let set = Call::<rpc::SetGlusterEvents>::new();
    let tick = live_tick();
    Effect::new(move |_| {
        if let Some(Ok(_)) = set.outcome() {
            tick.update(|n| *n += 1);
        }
    });
    let id = cluster.id;
    let was_on = cluster.gluster_events.is_some();
    // after an answer, what it says; before, what the list said
    let on = move || match set.outcome() {
        Some(Ok(s)) => s.events.is_some(),
        _ => was_on,
    };
    view! {
        <Dialog title=format!("gluster events of {}", cluster.name) on_cancel=on_close>
            <p>"With events on, every node's glustereventsd posts gluster's events (a session paused or stopped, an option set, a volume or peer changed) to georep, which reads what the event names at once. The sync loop still reads everything at its interval: events only make changes show sooner."</p>
            <p class="muted">"georep registers its webhook with gluster-eventsapi (copied to every peer), tells each node's glustereventsd to load it, and has every node post a test. glustereventsd must run on every node."</p>
            <p data-testid="events-state">{pushed(&cluster)}</p>
            {move || set.outcome().map(|r| match r {
                Err(e) => view! { <ErrorLine error=e/> }.into_any(),
                Ok(s) => view! {
                    <table class="grid" data-testid="node-checks">
                        <thead><tr><th>"Node"</th><th>"Check"</th><th>"Result"</th></tr></thead>
                        <tbody>
                            {s.nodes.into_iter().map(|n| view! {
                                <tr data-ok=n.ok.to_string()>
                                    <td>{n.node}</td><td>{n.check}</td>
                                    <td class=if n.ok { "" } else { "error" }>{n.message}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any(),
            })}
            <div class="dialog-buttons">
                <button type="button" data-testid="close-events" on:click=move |_| on_close.run(())>"Close"</button>
                <button type="button" class="primary" data-testid="toggle-events"
                    disabled=move || set.busy()
                    on:click=move |_| { set.dispatch(rpc::SetGlusterEvents { id, on: !on() }); }>
                    {move || match (set.busy(), on()) {
                        (true, _) => "Asking gluster…",
                        (false, true) => "Turn events off",
                        (false, false) => "Turn events on",
                    }}
                </button>
            </div>
        </Dialog>
    }
}
