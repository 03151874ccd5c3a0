//! Session lists (the overview of every cluster, and a volume's) with their actions, and the
//! new-session dialog.
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};
use leptos_router::params::ParamsMap;
use strum::VariantArray;
use uuid::Uuid;

use crate::domain::{Checkpoint, SessionAction, SessionStatus};
use crate::health::Health;
use crate::preflight as app_preflight;
use crate::rpc;
use crate::rpc::{
    check_eligibility, get_session_overview, list_clusters, list_volumes, volume_sessions,
};
use crate::ui::{
    absolute, live_tick, Call, CheckpointBadge, Dialog, DrBadge, ErrorLine, HealthBadge, IfCanAct,
    StaleBadge, StatusBadge, When,
};
use crate::views::{
    DrRoleFilter, OverviewRow, SessionFilter, SessionOverview, SessionSort, SessionSummary,
    SortOrder, VolumeView,
};

/// What the sessions page's URL asks for: the filter (REST's parameters, so a filtered view
/// is a link, and `/api/georeplication-sessions` with the same query lists the same
/// sessions), the column and the order.
#[derive(Clone, Debug, Default, PartialEq)]
struct Wanted {
    filter: SessionFilter,
    sort: Option<SessionSort>,
    order: Option<SortOrder>,
}

impl Wanted {
    fn read(q: &ParamsMap) -> Self {
        Wanted {
            filter: SessionFilter::from_query(|k| q.get(k)),
            sort: q.get("sort").and_then(|s| s.parse().ok()),
            order: q.get("order").and_then(|o| o.parse().ok()),
        }
    }

    fn sort(&self) -> SessionSort {
        self.sort.unwrap_or(SessionSort::Health)
    }

    fn order(&self) -> SortOrder {
        self.order.unwrap_or(self.sort().first_order())
    }

    /// This page with the filter, sorted by `by` (the other order when it is the column
    /// already sorted by).
    fn sorted_by(&self, by: SessionSort) -> String {
        let order = if by == self.sort() {
            self.order().flipped()
        } else {
            by.first_order()
        };
        let sort = [
            ("sort", by.as_str().to_owned()),
            ("order", order.as_str().to_owned()),
        ];
        with_query(self.filter.to_query().into_iter().chain(sort))
    }

    /// This page with the sort and `filter`.
    fn filtered(&self, filter: SessionFilter) -> String {
        let sort = self
            .sort
            .map(|s| ("sort", s.as_str().to_owned()))
            .into_iter()
            .chain(self.order.map(|o| ("order", o.as_str().to_owned())));
        with_query(filter.to_query().into_iter().chain(sort))
    }
}

fn with_query(pairs: impl Iterator<Item = (&'static str, String)>) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        q.append_pair(k, &v);
    }
    match q.finish() {
        q if q.is_empty() => "/sessions".to_owned(),
        q => format!("/sessions?{q}"),
    }
}

/// The sessions of every cluster: health, lag, recovery point and last checkpoint at a
/// glance, sorted by a column (worst health first unless asked otherwise) and filtered, both
/// in the URL (the column headers are links and the filter a GET form: no JavaScript needed).
#[component]
pub fn SessionsPage() -> impl IntoView {
    let query = use_query_map();
    let wanted = Memo::new(move |_| Wanted::read(&query.read()));
    let tick = live_tick();
    let overview = Resource::new(
        move || (wanted.get(), tick.get()),
        |(w, _)| get_session_overview(Some(w.filter.clone()), Some(w.sort()), Some(w.order())),
    );
    let acts = SessionActs::provide();
    view! {
        <section class="page">
            <h1>"Sessions"</h1>
            <OverviewFilters wanted/>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || overview.get().map(|r| match r {
                    Err(e) => view! { <ErrorLine error=e/> }.into_any(),
                    Ok(o) => view! { <Overview o wanted=wanted.get_untracked()/> }.into_any(),
                })}
            </Transition>
            <SessionActsDialog acts/>
        </section>
    }
}

/// The filter form: a GET of this page (client-side once hydrated) with REST's parameters;
/// the sort goes along. Outside what live updates re-render: what the admin types stays.
#[component]
fn OverviewFilters(wanted: Memo<Wanted>) -> impl IntoView {
    let clusters = Resource::new(|| (), |_| list_clusters());
    let f = move || wanted.get().filter;
    view! {
        <div class="card filters" data-testid="session-filters">
            <Form method="get" action="/sessions">
                <label>"Health "
                    <select name="health" data-testid="filter-health">
                        <option value="" selected=move || f().health.is_none() prop:selected=move || f().health.is_none()>"any"</option>
                        {Health::ALL.iter().map(|&h| {
                            let on = move || f().health == Some(h);
                            view! { <option value=h.to_string() selected=on prop:selected=on>{h.to_string()}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>"Status "
                    <select name="status" data-testid="filter-status">
                        <option value="" selected=move || f().status.is_none() prop:selected=move || f().status.is_none()>"any"</option>
                        {SessionStatus::ALL.iter().map(|&st| {
                            let on = move || f().status == Some(st);
                            view! { <option value=st.as_api() selected=on prop:selected=on>{st.as_str().replace('_', " ")}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <Transition fallback=|| ()>
                    {move || clusters.get().map(|r| {
                        let list = r.unwrap_or_default();
                        view! {
                            <label>"Cluster "
                                <select name="cluster" data-testid="filter-cluster">
                                    <option value="" selected=move || f().cluster.is_none() prop:selected=move || f().cluster.is_none()>"all"</option>
                                    {list.into_iter().map(|c| {
                                        let id = c.id;
                                        let on = move || f().cluster == Some(id);
                                        view! { <option value=id.to_string() selected=on prop:selected=on>{c.name}</option> }
                                    }).collect_view()}
                                </select>
                            </label>
                        }
                    })}
                </Transition>
                <label>"Master volume "
                    <input type="text" name="master_volume" size="12" placeholder="exact name" data-testid="filter-master"
                        value=move || f().master_volume.unwrap_or_default()
                        prop:value=move || f().master_volume.unwrap_or_default()/>
                </label>
                <label>"Slave volume "
                    <input type="text" name="slave_volume" size="12" placeholder="exact name" data-testid="filter-slave"
                        value=move || f().slave_volume.unwrap_or_default()
                        prop:value=move || f().slave_volume.unwrap_or_default()/>
                </label>
                <label>"DR role "
                    <select name="dr_role" data-testid="filter-dr-role">
                        <option value="" selected=move || f().dr_role.is_none() prop:selected=move || f().dr_role.is_none()>"any"</option>
                        {DrRoleFilter::VARIANTS.iter().map(|&r| {
                            let on = move || f().dr_role == Some(r);
                            view! { <option value=r.to_string() selected=on prop:selected=on>{r.to_string().replace('_', " ")}</option> }
                        }).collect_view()}
                    </select>
                </label>
                // the sort stays as it is
                {move || wanted.get().sort.map(|s| view! { <input type="hidden" name="sort" value=s.as_str()/> })}
                {move || wanted.get().order.map(|o| view! { <input type="hidden" name="order" value=o.as_str()/> })}
                <button type="submit" data-testid="filter-apply">"Filter"</button>
                <a href="/sessions" data-testid="filter-clear">"Clear"</a>
            </Form>
        </div>
    }
}

/// The counts, then the table of the sessions the filter lets through.
#[component]
fn Overview(o: SessionOverview, wanted: Wanted) -> impl IntoView {
    let not_healthy = o.not_healthy();
    let shown = o.rows.len();
    // each health with its number, a link to the sessions of that health
    let counts = o
        .by_health
        .iter()
        .map(|&(h, n)| {
            let href = wanted.filtered(SessionFilter {
                health: Some(h),
                ..Default::default()
            });
            view! {
                " · "
                <a href=href data-testid="health-count" data-health=h.to_string()>{format!("{n} {h}")}</a>
            }
        })
        .collect_view();
    let summary = view! {
        <p class="muted" data-testid="overview-summary" data-total=o.total data-not-healthy=not_healthy data-shown=shown>
            {if shown == o.total { format!("{} sessions", o.total) } else { format!("{shown} of {} sessions", o.total) }}
            {format!(", {not_healthy} not healthy")}
            {counts}
        </p>
    };
    if o.rows.is_empty() {
        let text = if o.total == 0 {
            "No geo-replication sessions."
        } else {
            "No session matches this filter."
        };
        return view! { {summary}<p class="empty" data-testid="no-sessions">{text}</p> }.into_any();
    }
    let (sort, order) = (wanted.sort(), wanted.order());
    let head = move |by: SessionSort, label: &'static str| {
        let current = by == sort;
        let aria = match (current, order) {
            (false, _) => "none",
            (true, SortOrder::Asc) => "ascending",
            (true, SortOrder::Desc) => "descending",
        };
        let arrow = match (current, order) {
            (false, _) => "",
            (true, SortOrder::Asc) => " ▲",
            (true, SortOrder::Desc) => " ▼",
        };
        view! {
            <th aria-sort=aria data-sort=by.as_str()>
                <a href=wanted.sorted_by(by) data-testid="sort">{label}{arrow}</a>
            </th>
        }
    };
    view! {
        {summary}
        <table class="grid overview" data-testid="sessions">
            <thead>
                <tr>
                    {head(SessionSort::Cluster, "Cluster")}
                    {head(SessionSort::Master, "Master volume")}
                    {head(SessionSort::Slave, "Slave")}
                    {head(SessionSort::Status, "Status")}
                    {head(SessionSort::Health, "Health")}
                    {head(SessionSort::Lag, "Lag")}
                    {head(SessionSort::RecoveryPoint, "Recovery point")}
                    {head(SessionSort::Checkpoint, "Last checkpoint")}
                    <th>"Actions"</th>
                </tr>
            </thead>
            <tbody>
                {o.rows.into_iter().map(|r| view! { <OverviewLine r/> }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn OverviewLine(r: OverviewRow) -> impl IntoView {
    let s = r.session.clone();
    let lag = match r.lag_seconds {
        Some(l) => view! { <span data-testid="lag">{lag_text(l)}</span> }.into_any(),
        None => view! { <span class="muted" data-testid="lag">"n/a"</span> }.into_any(),
    };
    let health_title = format!("{} (since {})", r.health_reason, absolute(r.health_since));
    view! {
        <tr data-testid="session" data-slave=s.slave_volume.clone() data-health=s.health.map(|h| h.to_string()).unwrap_or_else(|| "unknown".into())>
            <td>{r.cluster_name.clone()}</td>
            <td><a href=format!("/volumes/{}", s.master_volume_id)>{s.master_volume.clone()}</a></td>
            <td>
                <span class="muted">{format!("{}::", s.slave_host)}</span>
                <a href=format!("/sessions/{}", s.id) data-testid="session-link">{s.slave_volume.clone()}</a>
                {s.slave_volume_id.is_none().then(|| view! { <span class="muted" title="the slave's cluster is not registered in georep">" (unmanaged)"</span> })}
            </td>
            <td><StatusBadge status=s.status/>" "<DrBadge role=s.dr_role/>" "<StaleBadge stale=s.stale.clone()/></td>
            <td title=health_title><HealthBadge health=s.health/></td>
            <td>{lag}</td>
            <td data-testid="recovery-point">
                <When t=r.recovery_point/>
                {r.recovery_overdue.then(|| view! { <span class="badge status-warn" data-testid="overdue" title="older than the schedule's RPO">" overdue"</span> })}
            </td>
            <td><CheckpointBadge state=s.checkpoint time=s.checkpoint_time/>" "<When t=s.checkpoint_time/></td>
            <td><SessionActions session=s.clone()/></td>
        </tr>
    }
}

/// Seconds as an admin reads a lag: `45 s`, `12 min`, `3 h 5 min`.
fn lag_text(s: i64) -> String {
    match s {
        ..=119 => format!("{s} s"),
        120..=3599 => format!("{} min", s / 60),
        _ => format!("{} h {} min", s / 3600, s % 3600 / 60),
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
                            <td><StatusBadge status=s.status/>" "<DrBadge role=s.dr_role/>" "<StaleBadge stale=s.stale.clone()/></td>
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
    /// A stale session's cleanup (stop force, delete).
    Cleanup,
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
    act: Call<rpc::SessionAction>,
    checkpoint: Call<rpc::SetCheckpoint>,
    refresh: Call<rpc::RefreshSession>,
    cleanup: Call<rpc::CleanupSession>,
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
            act: Call::new(),
            checkpoint: Call::new(),
            refresh: Call::new(),
            cleanup: Call::new(),
            tick: live_tick(),
        };
        provide_context(acts);
        acts
    }

    fn busy(self) -> bool {
        self.act.busy() || self.checkpoint.busy() || self.refresh.busy() || self.cleanup.busy()
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
                {session.stale.is_some().then(|| {
                    let label = label.clone();
                    view! {
                        <button type="button" data-action="cleanup"
                            title="its slave volume is gone: stop it with force and delete it in gluster"
                            on:click=move |_| acts.ask(id, label.clone(), Pending::Cleanup)>
                            "Clean up"
                        </button>
                    }
                })}
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
    // a session gone (deleted, cleaned up) leaves its own page for the list, which says so
    let location = leptos_router::hooks::use_location();
    let navigate = leptos_router::hooks::use_navigate();
    // leaving disposes the page, `acts` with it: a signal read after that is a panic (an
    // `unreachable` trap with the wasm's immediate abort), so the navigation waits until the
    // effect that asked for it has ended
    let leave_if_gone = move |gone: bool| {
        if gone && location.pathname.get_untracked().starts_with("/sessions/") {
            let navigate = navigate.clone();
            queue_microtask(move || navigate("/sessions", Default::default()));
        }
    };
    let leave_too = leave_if_gone.clone();
    let gone =
        |r: &Result<crate::domain::ActionOutcome, _>| r.as_ref().is_ok_and(|o| o.session.is_none());
    Effect::new(move |_| {
        if let Some(r) = acts.act.outcome() {
            leave_if_gone(gone(&r));
            acts.finished(r.map(|o| o.message.unwrap_or_else(|| "done".into())), true);
        }
    });
    Effect::new(move |_| {
        if let Some(r) = acts.checkpoint.outcome() {
            acts.finished(
                r.map(|o| o.message.unwrap_or_else(|| "checkpoint set".into())),
                true,
            );
        }
    });
    Effect::new(move |_| {
        if let Some(r) = acts.cleanup.outcome() {
            leave_too(gone(&r));
            acts.finished(
                r.map(|o| o.message.unwrap_or_else(|| "cleaned up".into())),
                true,
            );
        }
    });
    Effect::new(move |_| {
        if let Some(r) = acts.refresh.outcome() {
            acts.finished(r.map(|_| "re-read from gluster".into()), false);
        }
    });
    let busy = move || acts.busy();
    move || {
        acts.asking.get().map(|Ask { id, label, pending: p }| {
            let title = match p {
                Pending::Action(a) => format!("{} session {label}?", capitalised(a.as_str())),
                Pending::Checkpoint => format!("Set a checkpoint on {label} now?"),
                Pending::Cleanup => format!(
                    "Clean up the stale session {label}? gluster stops it with force and deletes it"
                ),
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
                    Pending::Cleanup => {
                        acts.cleanup.dispatch(rpc::CleanupSession { id });
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
    let ssh_port = RwSignal::new(String::new());
    let no_verify = RwSignal::new(false);
    let setup_slave = RwSignal::new(false);
    let slave_group = RwSignal::new(String::new());
    let create = Call::<rpc::CreateSession>::new();
    let preflight = Call::<rpc::PreflightSession>::new();
    let non_root = move || {
        let u = slave_user.get();
        !u.trim().is_empty() && u.trim() != "root"
    };
    let tick = live_tick();
    let reasons = Resource::new(
        move || {
            (
                master_id.get(),
                slave_host.get(),
                slave_volume.get(),
                slave_user.get(),
            )
        },
        |(m, h, v, u)| async move {
            if h.trim().is_empty() || v.trim().is_empty() {
                return Ok(Vec::new());
            }
            check_eligibility(m, h, v, Some(u.trim().to_owned())).await
        },
    );
    Effect::new(move |_| {
        if let Some(Ok(_)) = create.outcome() {
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
            // the field's own min/max keep it a port; empty is gluster's default
            ssh_port: ssh_port.get().trim().parse().ok(),
            no_verify: Some(no_verify.get()),
            setup_slave: Some(non_root() && setup_slave.get()),
            slave_group: Some(slave_group.get().trim().to_owned()).filter(|g| !g.is_empty()),
        });
    };
    let run_preflight = move |_| {
        let user = slave_user.get();
        preflight.dispatch(rpc::PreflightSession {
            master_volume_id: master_id.get(),
            slave_host: slave_host.get().trim().to_owned(),
            slave_volume: slave_volume.get().trim().to_owned(),
            slave_user: (!user.trim().is_empty()).then(|| user.trim().to_owned()),
            ssh_port: ssh_port.get().trim().parse().ok(),
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
                <label>"Slave ssh port"
                    <input type="number" name="ssh_port" min="1" max="65535" placeholder="22"
                        prop:value=move || ssh_port.get() on:change=move |ev| ssh_port.set(event_target_value(&ev))/>
                </label>
                <label class="check">
                    <input type="checkbox" name="no_verify" prop:checked=move || no_verify.get()
                        on:change=move |ev| no_verify.set(event_target_checked(&ev))/>
                    "No verify (the keys are on the slave nodes already; gluster skips its checks and pushes none)"
                </label>
                <Show when=non_root>
                    <label class="check">
                        <input type="checkbox" name="setup_slave" prop:checked=move || setup_slave.get()
                            on:change=move |ev| setup_slave.set(event_target_checked(&ev))/>
                        "Set up the slave side for this user: the user and group on every slave node, gluster's mountbroker, glusterd restarted one node at a time, the master's key (README \"Root or not\")"
                    </label>
                    <label>"Mountbroker group"
                        <input type="text" name="slave_group" placeholder="the slave's, else geogroup"
                            prop:value=move || slave_group.get() on:change=move |ev| slave_group.set(event_target_value(&ev))/>
                    </label>
                </Show>
                <div class="preflight">
                    <button type="button" data-testid="preflight" on:click=run_preflight
                        disabled=move || preflight.busy() || slave_host.get().trim().is_empty() || slave_volume.get().trim().is_empty()>
                        {move || if preflight.busy() { "Checking the nodes…" } else { "Pre-flight check" }}
                    </button>
                    {move || preflight.outcome().map(|r| match r {
                        Err(e) => view! { <ErrorLine error=e/> }.into_any(),
                        Ok(p) => view! { <PreflightList preflight=p setup=Signal::derive(move || non_root() && setup_slave.get())/> }.into_any(),
                    })}
                </div>
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
                {move || create.outcome().and_then(|r| r.err()).map(|e| view! { <ErrorLine error=e/> })}
                <div class="dialog-buttons">
                    <button type="button" on:click=move |_| on_close.run(())>"Cancel"</button>
                    <button type="submit" class="primary" data-testid="create" disabled=move || create.busy()>
                        {move || if create.busy() { "Creating (gluster takes a few seconds)…" } else { "Create" }}
                    </button>
                </div>
            </form>
        </Dialog>
    }
}

/// The pre-flight's checks, each with its outcome and the fix of a failure; a check the
/// set-up of the slave side makes pass says so when the set-up is chosen.
#[component]
fn PreflightList(
    preflight: app_preflight::Preflight,
    #[prop(into)] setup: Signal<bool>,
) -> impl IntoView {
    use app_preflight::Outcome;
    view! {
        <ul class="preflight-list" data-testid="preflight-list">
            {preflight.checks.into_iter().map(|c| {
                let by_setup = c.outcome == Outcome::Fail && c.check.set_up_by_georep();
                let fix = c.fix.clone();
                view! {
                    <li class=format!("check {}", c.outcome.as_str()) data-check=c.check.as_str() data-outcome=c.outcome.as_str()>
                        <span class="outcome">{match c.outcome { Outcome::Pass => "✓", Outcome::Fail => "✗", Outcome::Unknown => "?" }}</span>
                        <strong>{c.check.title()}</strong>": "{c.detail.clone()}
                        {fix.map(|f| view! { <div class="fix">"Fix: "{f}</div> })}
                        {move || (by_setup && setup.get()).then(|| view! { <div class="fix">"georep's set-up of the slave side does this"</div> })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
}
