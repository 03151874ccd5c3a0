//! Session lists (all, and a volume's) with their actions, and the new-session dialog.
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::domain::{Checkpoint, SessionAction};
use crate::rpc;
use crate::rpc::{check_eligibility, list_sessions, list_volumes, volume_sessions};
use crate::ui::{
    live_tick, CheckpointBadge, Dialog, DrBadge, ErrorLine, HealthBadge, IfCanAct, StatusBadge,
    When,
};
use crate::views::{SessionSummary, VolumeView};

#[component]
pub fn SessionsPage() -> impl IntoView {
    let tick = live_tick();
    let sessions = Resource::new(move || tick.get(), |_| list_sessions());
    let acts = SessionActs::provide();
    view! {
        <section class="page">
            <h1>"Sessions"</h1>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || sessions.get().map(|r| match r {
                    Err(e) => view! { <ErrorLine error=e/> }.into_any(),
                    Ok(list) => view! { <SessionTable sessions=list show_master=true/> }.into_any(),
                })}
            </Transition>
            <SessionActsDialog acts/>
        </section>
    }
}

/// A volume and the sessions it is the master of (the seed's session list), with New.
#[component]
pub fn VolumePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<Uuid>().ok());
    let tick = live_tick();
    let data = Resource::new(
        move || (id(), tick.get()),
        |(id, _)| async move {
            match id {
                Some(id) => volume_sessions(id).await,
                None => Err(crate::error::AppError::NotFound("no such volume".into())),
            }
        },
    );
    let creating = RwSignal::new(false);
    let acts = SessionActs::provide();
    view! {
        <section class="page">
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || data.get().map(|r| match r {
                    Err(e) => view! { <h1>"Volume"</h1><ErrorLine error=e/> }.into_any(),
                    Ok((v, sessions)) => {
                        view! {
                            <div class="page-head">
                                <h1>{format!("Volume {}", v.name)}</h1>
                                <span class="muted">{format!("{} · {} · {} · {} bricks", v.cluster_name, v.volume_type, v.status, v.bricks.len())}</span>
                                <IfCanAct>
                                    <button type="button" class="primary" data-testid="new-session" on:click=move |_| creating.set(true)>
                                        "New session"
                                    </button>
                                </IfCanAct>
                            </div>
                            <h2>"Geo-replication sessions"</h2>
                            <SessionTable sessions show_master=false/>
                        }
                        .into_any()
                    }
                })}
            </Transition>
            // outside the refreshed part: what the admin typed survives live updates
            {move || id().filter(|_| creating.get()).map(|master| view! {
                <NewSessionDialog master on_close=move |_| creating.set(false)/>
            })}
            <SessionActsDialog acts/>
        </section>
    }
}

#[component]
pub fn SessionTable(sessions: Vec<SessionSummary>, show_master: bool) -> impl IntoView {
    if sessions.is_empty() {
        return view! {
            <p class="empty" data-testid="no-sessions">"No geo-replication sessions."</p>
        }
        .into_any();
    }
    view! {
        <table class="grid" data-testid="sessions">
            <thead>
                <tr>
                    {show_master.then(|| view! { <th>"Master volume"</th> })}
                    <th>"Slave host"</th><th>"Slave volume"</th><th>"User"</th><th>"Status"</th>
                    <th>"Health"</th><th>"Checkpoint"</th><th>"Updated"</th><th>"Actions"</th>
                </tr>
            </thead>
            <tbody>
                {sessions.into_iter().map(|s| {
                    let href = format!("/sessions/{}", s.id);
                    view! {
                        <tr data-testid="session" data-slave=s.slave_volume.clone()>
                            {show_master.then(|| view! {
                                <td><a href=format!("/volumes/{}", s.master_volume_id)>{s.master_volume.clone()}</a></td>
                            })}
                            <td>{s.slave_host.clone()}</td>
                            <td><a href=href.clone() data-testid="session-link">{s.slave_volume.clone()}</a>
                                {s.slave_volume_id.is_none().then(|| view! { <span class="muted" title="the slave's cluster is not registered in georep">" (unmanaged)"</span> })}
                            </td>
                            <td>{s.slave_user.clone()}</td>
                            <td><StatusBadge status=s.status/>" "<DrBadge role=s.dr_role/></td>
                            <td><HealthBadge health=s.health/></td>
                            <td><CheckpointBadge state=s.checkpoint time=s.checkpoint_time/></td>
                            <td><When t=Some(s.updated_at)/></td>
                            <td><SessionActions session=s.clone()/></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// What the dialog is about to do.
#[derive(Clone, Copy, PartialEq)]
enum Pending {
    Action(SessionAction),
    Checkpoint,
}

/// A confirmation being asked: of what, on which session.
#[derive(Clone, PartialEq)]
struct Ask {
    id: Uuid,
    label: String,
    pending: Pending,
}

/// The session actions of a page, outside the view a live update re-renders: the rows'
/// buttons only ask; the dialog, its check boxes, the call under way and its outcome live
/// here (a row re-rendered every few seconds would drop them, or a Confirm button would be
/// replaced under the admin's click).
#[derive(Clone, Copy)]
pub struct SessionActs {
    asking: RwSignal<Option<Ask>>,
    force: RwSignal<bool>,
    reset_sync_time: RwSignal<bool>,
    /// The session the last call was about, and its outcome.
    notice: RwSignal<Option<(Uuid, Result<String, crate::error::AppError>)>>,
    target: RwSignal<Option<Uuid>>,
    act: ServerAction<rpc::SessionAction>,
    checkpoint: ServerAction<rpc::SetCheckpoint>,
    refresh: ServerAction<rpc::RefreshSession>,
    tick: RwSignal<u64>,
}

impl SessionActs {
    /// For a page: the rows find it in the context; `<SessionActsDialog/>` goes outside the
    /// page's Transition.
    pub fn provide() -> Self {
        let acts = SessionActs {
            asking: RwSignal::new(None),
            force: RwSignal::new(false),
            reset_sync_time: RwSignal::new(false),
            notice: RwSignal::new(None),
            target: RwSignal::new(None),
            act: ServerAction::new(),
            checkpoint: ServerAction::new(),
            refresh: ServerAction::new(),
            tick: live_tick(),
        };
        provide_context(acts);
        acts
    }

    fn busy(self) -> bool {
        self.act.pending().get() || self.checkpoint.pending().get() || self.refresh.pending().get()
    }

    fn ask(self, id: Uuid, label: String, pending: Pending) {
        self.force.set(false);
        self.reset_sync_time.set(false);
        self.notice.set(None);
        self.asking.set(Some(Ask { id, label, pending }));
    }

    /// A finished call: the dialog closes on success and stays open with the error otherwise.
    fn finished(self, r: Result<String, crate::error::AppError>, closes: bool) {
        let Some(id) = self.target.get_untracked() else {
            return;
        };
        if r.is_ok() && closes {
            self.asking.set(None);
        }
        if r.is_ok() {
            self.tick.update(|n| *n += 1);
        }
        self.notice.set(Some((id, r)));
    }
}

/// The buttons of one session: each enabled only where the state machine allows; each asks
/// for confirmation (with Force) in the page's dialog; the outcome shows under them.
#[component]
pub fn SessionActions(session: SessionSummary) -> impl IntoView {
    let acts = expect_context::<SessionActs>();
    let id = session.id;
    let status = session.status;
    let label = format!("{}::{}", session.slave_host, session.slave_volume);
    let button = {
        let label = label.clone();
        move |a: SessionAction, text: &'static str| {
            let allowed = a.allowed_from().contains(&status);
            let label = label.clone();
            view! {
                <button
                    type="button"
                    data-action=a.as_str()
                    disabled=!allowed
                    title=if allowed { String::new() } else { format!("not possible while {}", status.as_api()) }
                    on:click=move |_| acts.ask(id, label.clone(), Pending::Action(a))
                >
                    {text}
                </button>
            }
        }
    };
    view! {
        <IfCanAct>
            <div class="actions" data-testid="actions">
                {button(SessionAction::Start, "Start")}
                {button(SessionAction::Stop, "Stop")}
                {button(SessionAction::Pause, "Pause")}
                {button(SessionAction::Resume, "Resume")}
                {button(SessionAction::Delete, "Delete")}
                <a class="button" href=format!("/sessions/{id}#options") data-action="options">"Options"</a>
                <button type="button" data-action="checkpoint"
                    on:click={
                        let label = label.clone();
                        move |_| acts.ask(id, label.clone(), Pending::Checkpoint)
                    }>
                    "Checkpoint"
                </button>
                <button type="button" data-action="refresh" disabled=move || acts.busy()
                    on:click=move |_| {
                        acts.notice.set(None);
                        acts.target.set(Some(id));
                        acts.refresh.dispatch(rpc::RefreshSession { id });
                    }>
                    "Refresh"
                </button>
            </div>
        </IfCanAct>
        {move || acts.notice.get()
            .filter(|(about, _)| *about == id && acts.asking.get().is_none())
            .map(|(_, n)| match n {
                Ok(m) => view! { <p class="notice" role="status">{m}</p> }.into_any(),
                Err(e) => view! { <ErrorLine error=e/> }.into_any(),
            })}
    }
}

/// The confirmation dialog of a page's session actions (see `SessionActs`).
#[component]
pub fn SessionActsDialog(acts: SessionActs) -> impl IntoView {
    Effect::new(move |_| {
        if let Some(r) = acts.act.value().get() {
            acts.finished(r.map(|o| o.message.unwrap_or_else(|| "done".into())), true);
        }
    });
    Effect::new(move |_| {
        if let Some(r) = acts.checkpoint.value().get() {
            acts.finished(
                r.map(|o| o.message.unwrap_or_else(|| "checkpoint set".into())),
                true,
            );
        }
    });
    Effect::new(move |_| {
        if let Some(r) = acts.refresh.value().get() {
            acts.finished(r.map(|_| "re-read from gluster".into()), false);
        }
    });
    let busy = move || acts.busy();
    move || {
        acts.asking.get().map(|Ask { id, label, pending: p }| {
            let title = match p {
                Pending::Action(a) => format!("{} session {label}?", capitalised(a.as_str())),
                Pending::Checkpoint => format!("Set a checkpoint on {label} now?"),
            };
            let confirm = move |_| {
                acts.notice.set(None);
                acts.target.set(Some(id));
                match p {
                    Pending::Action(action) => {
                        acts.act.dispatch(rpc::SessionAction {
                            id,
                            action,
                            force: acts.force.get(),
                            reset_sync_time: acts.reset_sync_time.get(),
                        });
                    }
                    Pending::Checkpoint => {
                        acts.checkpoint.dispatch(rpc::SetCheckpoint { id, at: Checkpoint::Now });
                    }
                }
            };
            let (force, reset_sync_time) = (acts.force, acts.reset_sync_time);
            view! {
                <Dialog title on_cancel=move |_| acts.asking.set(None)>
                    {matches!(p, Pending::Action(_)).then(|| view! {
                        <label class="check">
                            <input type="checkbox" name="force" prop:checked=move || force.get()
                                on:change=move |ev| force.set(event_target_checked(&ev))/>
                            "Force (skip the state check; gluster's own force)"
                        </label>
                    })}
                    {(p == Pending::Action(SessionAction::Delete)).then(|| view! {
                        <label class="check">
                            <input type="checkbox" name="reset_sync_time" prop:checked=move || reset_sync_time.get()
                                on:change=move |ev| reset_sync_time.set(event_target_checked(&ev))/>
                            "Reset sync time (a new session syncs everything again)"
                        </label>
                    })}
                    {move || acts.notice.get().and_then(|(_, n)| n.err()).map(|e| view! { <ErrorLine error=e/> })}
                    <div class="dialog-buttons">
                        <button type="button" on:click=move |_| acts.asking.set(None)>"Cancel"</button>
                        <button type="button" class="primary" data-testid="confirm" autofocus disabled=busy on:click=confirm>
                            {move || if busy() { "Asking gluster…" } else { "Confirm" }}
                        </button>
                    </div>
                </Dialog>
            }
        })
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

/// Pick master volume, slave (a volume of a registered cluster, or a host name and volume of
/// an unmanaged one) and user; the eligibility reasons show before submitting.
#[component]
fn NewSessionDialog(master: Uuid, #[prop(into)] on_close: Callback<()>) -> impl IntoView {
    let volumes = Resource::new(|| (), |_| list_volumes());
    let master_id = RwSignal::new(master);
    let slave_host = RwSignal::new(String::new());
    let slave_volume = RwSignal::new(String::new());
    let slave_user = RwSignal::new(String::new());
    let force = RwSignal::new(false);
    let start = RwSignal::new(false);
    let create = ServerAction::<rpc::CreateSession>::new();
    let tick = live_tick();
    let reasons = Resource::new(
        move || (master_id.get(), slave_host.get(), slave_volume.get()),
        |(m, h, v)| async move {
            if h.trim().is_empty() || v.trim().is_empty() {
                return Ok(Vec::new());
            }
            check_eligibility(m, h, v).await
        },
    );
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.value().get() {
            tick.update(|n| *n += 1);
            on_close.run(());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let user = slave_user.get();
        create.dispatch(rpc::CreateSession {
            master_volume_id: master_id.get(),
            slave_host: slave_host.get().trim().to_owned(),
            slave_volume: slave_volume.get().trim().to_owned(),
            slave_user: (!user.trim().is_empty()).then(|| user.trim().to_owned()),
            force: force.get(),
            start: start.get(),
        });
    };
    view! {
        <Dialog title="New geo-replication session".to_string() on_cancel=on_close>
            <form class="form" on:submit=submit data-testid="new-session-form">
                <Transition fallback=|| view! { <p>"Loading volumes…"</p> }>
                    {move || volumes.get().map(|r| match r {
                        Err(e) => view! { <ErrorLine error=e/> }.into_any(),
                        Ok(list) => {
                            let known: Vec<VolumeView> = list.clone();
                            view! {
                                <label>"Master volume"
                                    <select name="master" on:change=move |ev| {
                                        if let Ok(id) = event_target_value(&ev).parse() { master_id.set(id) }
                                    }>
                                        {list.iter().map(|v| view! {
                                            <option value=v.id.to_string() selected=v.id == master_id.get_untracked()>
                                                {format!("{} / {}", v.cluster_name, v.name)}
                                            </option>
                                        }).collect_view()}
                                    </select>
                                </label>
                                <label>"Slave volume of a registered cluster"
                                    <select name="known_slave" on:change=move |ev| {
                                        let value = event_target_value(&ev);
                                        if let Some(v) = known.iter().find(|v| v.id.to_string() == value) {
                                            slave_host.set(v.bricks.first().map(|b| b.server.clone()).unwrap_or_default());
                                            slave_volume.set(v.name.clone());
                                        }
                                    }>
                                        <option value="">"— or type an unmanaged slave below —"</option>
                                        {list.iter().filter(|v| v.id != master_id.get_untracked()).map(|v| view! {
                                            <option value=v.id.to_string()>{format!("{} / {}", v.cluster_name, v.name)}</option>
                                        }).collect_view()}
                                    </select>
                                </label>
                            }.into_any()
                        }
                    })}
                </Transition>
                <label>"Slave host"
                    <input type="text" name="slave_host" required placeholder="gluster-dr1.example.com"
                        prop:value=move || slave_host.get() on:change=move |ev| slave_host.set(event_target_value(&ev))/>
                </label>
                <label>"Slave volume"
                    <input type="text" name="slave_volume" required placeholder="drvol"
                        prop:value=move || slave_volume.get() on:change=move |ev| slave_volume.set(event_target_value(&ev))/>
                </label>
                <label>"Slave user"
                    <input type="text" name="slave_user" placeholder="root"
                        prop:value=move || slave_user.get() on:change=move |ev| slave_user.set(event_target_value(&ev))/>
                </label>
                <Transition fallback=|| ()>
                    {move || reasons.get().map(|r| match r {
                        Err(e) => view! { <ErrorLine error=e/> }.into_any(),
                        Ok(list) if list.is_empty() => ().into_any(),
                        Ok(list) => view! {
                            <div class="reasons" data-testid="reasons">
                                <p>"Not eligible as a slave (Force creates it anyway):"</p>
                                <ul>{list.into_iter().map(|r| view! { <li>{r.to_string()}</li> }).collect_view()}</ul>
                            </div>
                        }.into_any(),
                    })}
                </Transition>
                <label class="check">
                    <input type="checkbox" name="force" prop:checked=move || force.get()
                        on:change=move |ev| force.set(event_target_checked(&ev))/>
                    "Force (create despite the reasons)"
                </label>
                <label class="check">
                    <input type="checkbox" name="start" prop:checked=move || start.get()
                        on:change=move |ev| start.set(event_target_checked(&ev))/>
                    "Start after create"
                </label>
                {move || create.value().get().and_then(|r| r.err()).map(|e| view! { <ErrorLine error=e/> })}
                <div class="dialog-buttons">
                    <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button type="submit" class="primary" data-testid="create" disabled=move || create.pending().get()>
                        {move || if create.pending().get() { "Creating (gluster takes a few seconds)…" } else { "Create" }}
                    </button>
                </div>
            </form>
        </Dialog>
    }
}
