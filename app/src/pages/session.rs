//! One session: per-brick sync progress, the lag chart of the last hour, and its options,
//! editable in place.
use chrono::{Duration, Utc};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use crate::domain::{OptionGroup, SessionOption};
use crate::error::AppError;
use crate::failover::FailoverCheck;
use crate::health::LagSample;
use crate::operations::{OperationView, RecoveryView};
use crate::pages::operations::{OpActs, OpActsNotice, OperationsTable};
use crate::pages::recovery::{HealthTools, RecoveryPanel};
use crate::pages::sessions::{SessionActions, SessionActs, SessionActsDialog};
use crate::rpc::{self, session_options};
use crate::rpc::{
    get_failover_check, get_lag_history, get_recovery, get_session_detail, list_operations,
};
use crate::ui::{
    live_tick, BrickBadge, Call, CheckpointBadge, DrBadge, ErrorLine, HealthBadge, PendingBar,
    StaleBadge, StatusBadge, When,
};
use crate::views::{BrickProgress, SessionDetail};

/// Everything the page shows, read as one resource: a page with several resources read by
/// nested Transitions numbered them differently on the server and in the browser, and the
/// page then failed to hydrate after a reload.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct PageData {
    detail: Result<SessionDetail, AppError>,
    samples: Result<Vec<LagSample>, AppError>,
    options: Result<Vec<SessionOption>, AppError>,
    operations: Result<Vec<OperationView>, AppError>,
    recovery: Result<RecoveryView, AppError>,
    failover: Result<FailoverCheck, AppError>,
}

/// How many of the session's operations its page shows.
const RECENT_OPERATIONS: i64 = 10;

async fn page_data(id: Option<Uuid>) -> PageData {
    let Some(id) = id else {
        let none = AppError::NotFound("no such session".into());
        return PageData {
            detail: Err(none.clone()),
            samples: Err(none.clone()),
            options: Err(none.clone()),
            operations: Err(none.clone()),
            recovery: Err(none.clone()),
            failover: Err(none),
        };
    };
    PageData {
        detail: get_session_detail(id).await,
        samples: get_lag_history(id, Some(Utc::now() - Duration::hours(1))).await,
        options: session_options(id).await,
        operations: list_operations(Some(id), false, RECENT_OPERATIONS).await,
        recovery: get_recovery(id).await,
        failover: get_failover_check(id).await,
    }
}

#[component]
pub fn SessionPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|s| s.parse::<Uuid>().ok());
    let tick = live_tick();
    let page = Resource::new(move || (id(), tick.get()), |(id, _)| page_data(id));
    // the panels below read the page's data by these signals; a panel's render effect can
    // run once more after the page is gone (see `ui::Call`): gone reads as nothing yet
    let data = move || page.try_get().flatten();
    let options = Signal::derive(move || data().map(|p| p.options));
    let operations = Signal::derive(move || data().map(|p| p.operations));
    let recovery = Signal::derive(move || data().map(|p| p.recovery));
    let failover = Signal::derive(move || data().map(|p| p.failover));
    let dr_role = Signal::derive(move || {
        data()
            .and_then(|p| p.detail.ok())
            .and_then(|d| d.summary.dr_role)
    });
    // the session's REST address (for the panels' data-api; found once the detail is read)
    let api = Memo::new(move |_| {
        data().and_then(|p| p.detail.ok()).map(|d| {
            let s = d.summary;
            format!(
                "/api/clusters/{}/glustervolumes/{}/georeplication-sessions/{}",
                s.cluster_id, s.master_volume_id, s.id
            )
        })
    });
    let acts = SessionActs::provide();
    let op_acts = OpActs::provide();
    // the panels below depend on the session only (not on each refresh): what an admin types
    // in them, and the calls they make, outlive live updates; their data comes in by signals
    view! {
        <section class="page">
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || page.get().map(|p| match p.detail {
                    Err(e) => view! { <h1>"Session"</h1><ErrorLine error=e/> }.into_any(),
                    Ok(d) => view! { <Detail d/> }.into_any(),
                })}
                {move || id().zip(api.get()).map(|(id, api)| view! {
                    <HealthTools id/>
                    <Operations operations op_acts/>
                    <RecoveryPanel id api recovery failover dr_role/>
                }.into_any())}
                {move || page.get().filter(|p| p.detail.is_ok()).map(|p| view! { <LagChart samples=p.samples/> })}
                {move || id().map(|id| view! { <Options id options/> })}
            </Transition>
            <SessionActsDialog acts/>
        </section>
    }
}

#[component]
fn Detail(d: SessionDetail) -> impl IntoView {
    let s = d.summary.clone();
    // one scale per page, so bricks compare at a glance
    let scale = d
        .bricks
        .iter()
        .flat_map(|b| [b.entry_pending, b.data_pending, b.meta_pending, b.failures])
        .flatten()
        .max()
        .unwrap_or(0)
        .max(1);
    view! {
        <div class="page-head">
            <h1>{format!("{} → {}::{}", s.master_volume, s.slave_host, s.slave_volume)}</h1>
            <StatusBadge status=s.status/>
            <DrBadge role=s.dr_role/>
            <StaleBadge stale=s.stale.clone()/>
            <HealthBadge health=s.health/>
        </div>
        <p class="muted">
            {format!("session {} · user {} · ", s.session_key, s.slave_user)}
            "checkpoint " <CheckpointBadge state=s.checkpoint time=s.checkpoint_time/>
            " · lag " {d.lag_seconds.map(|l| format!("{l} s")).unwrap_or_else(|| "n/a".into())}
            " · updated " <When t=Some(s.updated_at)/>
        </p>
        {s.stale.clone().map(|st| view! {
            <p class="stale-reason" role="alert" data-testid="stale-reason">
                {format!("Stale: {}. It replicates nowhere; Clean up stops it with force and deletes it in gluster.", st.reason)}
                " " <When t=Some(st.since)/>
            </p>
        })}
        {d.health_reason.clone().map(|r| view! { <p class="health-reason" data-testid="health-reason">{r}</p> })}
        <SessionActions session=s.clone()/>
        <h2>"Workers (one per master brick)"</h2>
        <table class="grid bricks-table" data-testid="bricks">
            <thead>
                <tr>
                    <th>"Master brick"</th><th>"Slave node"</th><th>"Status"</th><th>"Crawl"</th>
                    <th>"Checkpoint"</th><th>"Last synced"</th><th>"Pending work"</th><th>"Files"</th>
                </tr>
            </thead>
            <tbody>
                {d.bricks.into_iter().map(|b| view! { <BrickRow b scale/> }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn BrickRow(b: BrickProgress, scale: i64) -> impl IntoView {
    let na = || view! { <span class="muted">"n/a"</span> };
    let checkpoint = match (b.checkpoint_status.clone(), b.checkpoint_completed_at) {
        (Some(st), Some(at)) => view! { <span>{st}</span>" " <When t=Some(at)/> }.into_any(),
        (Some(st), None) => view! { <span>{st}</span> }.into_any(),
        (None, _) => na().into_any(),
    };
    let files = match (b.files_synced, b.files_pending, b.files_skipped) {
        (None, None, None) => na().into_any(),
        (sy, pe, sk) => {
            let f = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_else(|| "n/a".into());
            view! { <span>{format!("synced {} · pending {} · skipped {}", f(sy), f(pe), f(sk))}</span> }.into_any()
        }
    };
    view! {
        <tr data-testid="brick-row" data-status=b.status.as_str()>
            <td><code>{format!("{}:{}", b.master_host.clone().unwrap_or_default(), b.master_brick.clone().unwrap_or_default())}</code></td>
            <td>{b.slave_node.clone().map(|n| n.into_any()).unwrap_or_else(|| na().into_any())}</td>
            <td><BrickBadge status=b.status/></td>
            <td>{b.crawl_status.clone().map(|c| c.into_any()).unwrap_or_else(|| na().into_any())}</td>
            <td>{checkpoint}</td>
            <td><When t=b.last_synced/></td>
            <td class="pending">
                <PendingBar label="entry" value=b.entry_pending scale/>
                <PendingBar label="data" value=b.data_pending scale/>
                <PendingBar label="meta" value=b.meta_pending scale/>
                <PendingBar label="failures" value=b.failures scale/>
            </td>
            <td>{files}</td>
        </tr>
    }
}

/// The session's recent operations, the running one with its steps.
#[component]
fn Operations(
    operations: Signal<Option<Result<Vec<OperationView>, AppError>>>,
    op_acts: OpActs,
) -> impl IntoView {
    view! {
        <div class="page-head">
            <h2 id="operations">"Operations"</h2>
            <a href="/operations" class="muted">"all operations"</a>
        </div>
        {move || operations.get().map(|r| match r {
            Err(e) => view! { <ErrorLine error=e/> }.into_any(),
            Ok(list) if list.is_empty() => view! {
                <p class="empty" data-testid="no-operations">"No operation on this session yet."</p>
            }.into_any(),
            Ok(list) => view! { <OperationsTable ops=list show_target=false/> }.into_any(),
        })}
        <OpActsNotice acts=op_acts/>
    }
    .into_any()
}

/// Lag and pending operations of the last hour, from the stored samples (SVG, drawn here).
#[component]
fn LagChart(samples: Result<Vec<LagSample>, AppError>) -> impl IntoView {
    view! {
        <h2>"Last hour"</h2>
        {match samples {
            Err(e) => view! { <ErrorLine error=e/> }.into_any(),
            Ok(s) => chart(s).into_any(),
        }}
    }
}

const W: f64 = 640.0;
const H: f64 = 160.0;
const PAD: f64 = 36.0;

fn chart(samples: Vec<LagSample>) -> impl IntoView {
    let own: Vec<&LagSample> = samples.iter().filter(|s| s.brick_id.is_none()).collect();
    if own.is_empty() {
        return view! {
            <p class="empty" data-testid="lag-chart-empty">"No lag samples in the last hour (they are taken while the session is active)."</p>
        }
        .into_any();
    }
    let end = Utc::now();
    let start = end - Duration::hours(1);
    let x = move |t: chrono::DateTime<Utc>| {
        PAD + ((t - start).num_seconds() as f64 / 3600.0).clamp(0.0, 1.0) * (W - 2.0 * PAD)
    };
    let max_lag = own.iter().map(|s| s.lag_seconds).max().unwrap_or(0).max(1);
    let max_pending = own
        .iter()
        .filter_map(|s| s.pending)
        .max()
        .unwrap_or(0)
        .max(1);
    let y = |v: i64, max: i64| H - PAD / 2.0 - (v as f64 / max as f64) * (H - PAD);
    let line = |f: &dyn Fn(&LagSample) -> Option<(f64, f64)>| {
        own.iter()
            .filter_map(|s| f(s))
            .map(|(a, b)| format!("{a:.1},{b:.1}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let lag = line(&|s| Some((x(s.at), y(s.lag_seconds, max_lag))));
    let pending = line(&|s| s.pending.map(|p| (x(s.at), y(p, max_pending))));
    view! {
        <figure class="chart" data-testid="lag-chart">
            <svg viewBox=format!("0 0 {W} {H}") role="img" aria-label="replication lag and pending operations, last hour">
                <line class="axis" x1=PAD y1=H - PAD / 2.0 x2=W - PAD y2=H - PAD / 2.0/>
                <line class="axis" x1=PAD y1=PAD / 2.0 x2=PAD y2=H - PAD / 2.0/>
                <text class="tick" x=2 y=PAD / 2.0 + 4.0>{format!("{max_lag} s")}</text>
                <text class="tick" x=W - PAD + 2.0 y=PAD / 2.0 + 4.0>{max_pending.to_string()}</text>
                <text class="tick" x=PAD y=H - 2.0>"−60 min"</text>
                <text class="tick" x=W - PAD - 20.0 y=H - 2.0>"now"</text>
                <polyline class="series lag" points=lag/>
                <polyline class="series pending" points=pending/>
            </svg>
            <figcaption>
                <span class="key lag">"lag (s, left)"</span>
                <span class="key pending">"pending operations (right)"</span>
                {format!(" · {} samples", own.len())}
            </figcaption>
        </figure>
    }
    .into_any()
}

/// The options table, in groups (`OptionGroup`: commonly tuned, advanced, command options,
/// read-only), each a disclosure (`<details>`: keyboard and no-JS usable) with the options
/// whose value is not gluster's default first, and a filter over keys and gluster's help
/// texts. Select for enumerations and booleans, number input with range for integers, text
/// otherwise; per-row reset; read-only keys plain text; command options marked, and
/// disabled with the reason while the server does not allow them. Values shown are what
/// gluster says after the change. Rows are keyed by option so a live refresh updates their
/// values in place and keeps what the admin is typing and any error shown; the order is
/// taken from the first read (a row does not jump away from the admin's keyboard when its
/// value changes: its "changed" mark does).
#[component]
fn Options(
    id: Uuid,
    options: Signal<Option<Result<Vec<SessionOption>, AppError>>>,
) -> impl IntoView {
    let listed = move || options.get().and_then(Result::ok).unwrap_or_default();
    let filter = RwSignal::new(String::new());
    // the keys changed from their default when first read (changed first, then gluster's order)
    let first_changed = StoredValue::new(None::<Vec<String>>);
    let order = move |list: &[SessionOption]| {
        let changed = first_changed.get_value().unwrap_or_else(|| {
            let now: Vec<String> = list
                .iter()
                .filter(|o| o.changed())
                .map(|o| o.key.clone())
                .collect();
            if !list.is_empty() {
                first_changed.set_value(Some(now.clone()));
            }
            now
        });
        let mut list = list.to_vec();
        list.sort_by_key(|o| !changed.contains(&o.key));
        list
    };
    let focus_filter = NodeRef::<leptos::html::Input>::new();
    // "/" jumps to the filter (as on code hosts), unless the admin is typing in a field
    let slash = window_event_listener(leptos::ev::keydown, move |ev| {
        let field = event_target::<leptos::web_sys::Element>(&ev).tag_name();
        if ev.key() == "/" && !matches!(field.as_str(), "INPUT" | "SELECT" | "TEXTAREA") {
            if let Some(input) = focus_filter.get() {
                ev.prevent_default();
                let _ = input.focus();
            }
        }
    });
    on_cleanup(move || slash.remove());
    view! {
        <div class="page-head">
            <h2 id="options">"Options"</h2>
            <label class="option-filter">
                <span class="muted">"Filter "</span>
                <input type="search" node_ref=focus_filter data-testid="option-filter"
                    aria-label="Filter options by key or help text" placeholder="key or help text (/)"
                    prop:value=move || filter.get()
                    on:input=move |ev| filter.set(event_target_value(&ev))
                    on:keydown=move |ev| if ev.key() == "Escape" { filter.set(String::new()) }/>
            </label>
        </div>
        {move || options.get().and_then(Result::err).map(|e| view! { <ErrorLine error=e/> })}
        <div data-testid="options" class="options-groups">
            {OptionGroup::ALL.iter().map(|&group| {
                let in_group = move || order(&listed()).into_iter().filter(|o| o.group == group).collect::<Vec<_>>();
                let count = Memo::new(move |_| {
                    let list = listed();
                    let mine: Vec<_> = list.iter().filter(|o| o.group == group).collect();
                    (mine.len(), mine.iter().filter(|o| o.changed()).count())
                });
                // opened by the filter when it finds something here (a Memo: live updates
                // do not close a group the admin opened)
                let found = Memo::new(move |_| {
                    let f = filter.get();
                    (!f.trim().is_empty()).then(|| listed().iter().filter(|o| o.group == group && matches(o, &f)).count())
                });
                let open = move || match found.get() {
                    Some(n) => n > 0,
                    None => group == OptionGroup::Common,
                };
                view! {
                    <details class="option-group" data-testid="option-group" data-group=group.as_str()
                        open=open prop:open=open
                        hidden=move || found.get() == Some(0)>
                        <summary>
                            <h3>{group_title(group)}</h3>
                            <span class="muted" data-testid="option-group-count">
                                {move || {
                                    let (n, changed) = count.get();
                                    match changed {
                                        0 => format!(" {n} options"),
                                        c => format!(" {n} options, {c} changed"),
                                    }
                                }}
                            </span>
                        </summary>
                        <p class="muted">{group_note(group)}</p>
                        <table class="grid options">
                            <thead><tr><th>"Key"</th><th>"Value"</th><th>"Default"</th><th>"gluster's help"</th><th></th></tr></thead>
                            <tbody>
                                <For each=in_group key=|o| o.key.clone() children=move |o| {
                                    let key = o.key.clone();
                                    let now = Memo::new(move |_| listed().into_iter().find(|x| x.key == key));
                                    let live = Signal::derive(move || now.get().map(|x| x.value));
                                    let changed = Signal::derive(move || now.get().is_some_and(|x| x.changed()));
                                    let shown = {
                                        let o = o.clone();
                                        Signal::derive(move || matches(&o, &filter.get()))
                                    };
                                    view! { <OptionRow id o live changed shown/> }
                                }/>
                            </tbody>
                        </table>
                    </details>
                }
            }).collect_view()}
            {move || {
                let f = filter.get();
                (!f.trim().is_empty() && !listed().iter().any(|o| matches(o, &f))).then(|| view! {
                    <p class="empty" data-testid="no-option-matches">{format!("No option matches {f:?}.")}</p>
                })
            }}
        </div>
    }
}

/// Whether an option is one the filter asks for: every word in its key or gluster's help
/// text (`-` and `_` alike, any case).
fn matches(o: &SessionOption, filter: &str) -> bool {
    let norm = |s: &str| s.to_lowercase().replace('-', "_");
    let hay = format!("{} {}", norm(&o.key), norm(&o.description));
    filter.split_whitespace().all(|w| hay.contains(&norm(w)))
}

fn group_title(g: OptionGroup) -> &'static str {
    match g {
        OptionGroup::Common => "Commonly tuned",
        OptionGroup::Advanced => "Advanced",
        OptionGroup::Command => "Command options",
        OptionGroup::ReadOnly => "Read-only",
    }
}

fn group_note(g: OptionGroup) -> &'static str {
    match g {
        OptionGroup::Common => "How many files sync at once and how, deletes, the meta volume (active/passive workers), log levels. The checkpoint is set with the Checkpoint action.",
        OptionGroup::Advanced => "Timeouts, batch sizes, rsync and changelog details: gluster's defaults suit most sessions.",
        OptionGroup::Command => "Their values name programs, command lines or paths that gsyncd runs or writes as root on the session's nodes: changed only when the server allows command options (serve --allow-command-options); a reset is always allowed.",
        OptionGroup::ReadOnly => "Filled in by gluster itself (volume ids, bricks, working and log files): shown, never changed.",
    }
}

#[component]
fn OptionRow(
    id: Uuid,
    o: SessionOption,
    live: Signal<Option<String>>,
    changed: Signal<bool>,
    shown: Signal<bool>,
) -> impl IntoView {
    let can = crate::ui::can_act();
    let set = Call::<rpc::SetSessionOption>::new();
    let reset = Call::<rpc::ResetSessionOption>::new();
    let value = RwSignal::new(o.value.clone());
    let error = RwSignal::new(None::<AppError>);
    let saved = RwSignal::new(false);
    let settle = move |r: Option<Result<SessionOption, AppError>>| match r {
        Some(Ok(now)) => {
            value.set(now.value);
            error.set(None);
            saved.set(true);
        }
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    };
    Effect::new(move |_| settle(set.outcome()));
    Effect::new(move |_| settle(reset.outcome()));
    // a change made elsewhere (the CLI, another admin) shows once the sync has stored it;
    // every refresh re-reads the list, and only a different value may touch the input (a
    // set, even to the same value, rewrites it and wipes what the admin is typing)
    Effect::new(move |_| {
        if let Some(now) = live.get() {
            let idle = !set.busy_untracked() && !reset.busy_untracked();
            if idle && value.with_untracked(|v| *v != now) {
                value.set(now);
            }
        }
    });
    let key = o.key.clone();
    let save = move |v: String| {
        saved.set(false);
        error.set(None);
        set.dispatch(rpc::SetSessionOption {
            id,
            key: key.clone(),
            value: v,
        });
    };
    let key2 = o.key.clone();
    let editable = !o.read_only;
    let default = o.default_value.clone();
    let is_default = move || default.as_deref() == Some(value.get().as_str());
    let editor = {
        let o = o.clone();
        move || {
            if !editable || !can.get() {
                return view! { <code data-testid="option-value">{move || value.get()}</code> }
                    .into_any();
            }
            // a command option this server does not change: shown, not editable, and why
            if let Some(why) = o.refused_reason.clone() {
                return view! {
                    <input type="text" name=o.key.clone() aria-label=o.key.clone() data-testid="option-input"
                        disabled=true title=why.clone() value=value.get_untracked() prop:value=move || value.get()/>
                    <p class="muted inline" data-testid="option-refused">{why}</p>
                }
                .into_any();
            }
            let save = save.clone();
            if !o.allowed_values.is_empty() {
                view! {
                    <select name=o.key.clone() aria-label=o.key.clone() data-testid="option-input"
                        on:change=move |ev| save(event_target_value(&ev))>
                        {o.allowed_values.iter().map(|v| view! {
                            <option value=v.clone()
                                selected=value.get_untracked().eq_ignore_ascii_case(v)
                                prop:selected={
                                    let v = v.clone();
                                    move || value.get().eq_ignore_ascii_case(&v)
                                }>{v.clone()}</option>
                        }).collect_view()}
                    </select>
                }
                .into_any()
            } else if let (Some(min), Some(max)) = (o.min, o.max) {
                view! {
                    <input type="number" name=o.key.clone() aria-label=o.key.clone() data-testid="option-input"
                        min=min max=max value=value.get_untracked() prop:value=move || value.get()
                        on:change=move |ev| save(event_target_value(&ev))/>
                }
                .into_any()
            } else {
                view! {
                    <input type="text" name=o.key.clone() aria-label=o.key.clone() data-testid="option-input"
                        value=value.get_untracked() prop:value=move || value.get()
                        on:change=move |ev| save(event_target_value(&ev))/>
                }
                .into_any()
            }
        }
    };
    view! {
        <tr data-testid="option" data-key=o.key.clone() class:readonly=o.read_only
            hidden=move || !shown.get() data-changed=move || changed.get().to_string()>
            <td>
                <code>{o.key.clone()}</code>
                {move || changed.get().then(|| view! {
                    <span class="badge changed" data-testid="option-changed" title="not gluster's default">" changed"</span>
                })}
                {o.command_option.then(|| view! {
                    <span class="badge command" data-testid="command-option"
                        title="command option: names a program, a command line or a path that gsyncd runs or writes as root">
                        " command"
                    </span>
                })}
            </td>
            <td>
                {editor}
                {move || (set.busy() || reset.busy()).then(|| view! { <span class="muted">" saving…"</span> })}
                {move || saved.get().then(|| view! { <span class="saved" data-testid="option-saved">" saved"</span> })}
                {move || error.get().map(|e| view! { <p class="error inline" role="alert">{e.to_string()}</p> })}
            </td>
            <td><code>{o.default_value.clone().unwrap_or_default()}</code></td>
            <td class="muted">{o.description.clone()}</td>
            <td>
                {move || (editable && !is_default()).then({
                    let key2 = key2.clone();
                    move || view! {
                    <crate::ui::IfCanAct>
                        <button type="button" data-testid="option-reset" on:click={
                            let key = key2.clone();
                            move |_| { reset.dispatch(rpc::ResetSessionOption { id, key: key.clone() }); }
                        }>"Reset"</button>
                    </crate::ui::IfCanAct>
                }})}
            </td>
        </tr>
    }
}
