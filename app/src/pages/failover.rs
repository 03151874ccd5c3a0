//! The failover part of the session page's disaster-recovery panel (issue 18). In the normal
//! role: "Fail over…", a wizard with the pre-checks (reachability, checkpoint, per brick what
//! the slave holds), what blocks it, planned or not and whether I/O is stopped. Failed over: a
//! banner with what the slave holds and "Fail back…", a dialog saying what the failback does.
//! Failing back: a banner that links the operation. Made once per session page, like the rest
//! of the panel: the dialogs, what the admin ticked and the calls outlive live updates.
use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::failover::{BrickPoint, DrRole, FailoverCheck, FailoverRecord};
use crate::rpc;
use crate::ui::{
    absolute, live_tick, relative, BrickBadge, Call, Dialog, ErrorLine, IfCanAct, When,
};

/// Which dialog is open.
#[derive(Clone, Copy, PartialEq)]
enum Wizard {
    Failover,
    Failback,
}

/// The page's failover controls, outside what live updates re-create.
#[derive(Clone, Copy)]
struct Acts {
    id: Uuid,
    open: RwSignal<Option<Wizard>>,
    /// The admin's choice (None: planned when possible, the default).
    planned: RwSignal<Option<bool>>,
    io_stopped: RwSignal<bool>,
    failover: Call<rpc::StartFailover>,
    failback: Call<rpc::StartFailback>,
    /// The outcome of the last start (a refusal shows in its dialog).
    notice: RwSignal<Option<String>>,
}

impl Acts {
    fn ask(self, w: Wizard) {
        self.planned.set(None);
        self.io_stopped.set(false);
        self.notice.set(None);
        self.failover.clear();
        self.failback.clear();
        self.open.set(Some(w));
    }

    fn busy(self) -> bool {
        self.failover.busy() || self.failback.busy()
    }

    /// Planned when possible unless the admin chose otherwise.
    fn planned_for(self, c: &FailoverCheck) -> bool {
        c.planned_possible && self.planned.get().unwrap_or(true)
    }
}

/// A started failover or failback closes its dialog and says which operation runs it; a
/// refusal stays in the dialog.
fn settle<A>(acts: Acts, action: Call<A>, what: &'static str)
where
    A: leptos::server_fn::ServerFn<Output = Uuid, Error = AppError> + Clone + Send + Sync + 'static,
{
    let tick = live_tick();
    Effect::new(move |_| {
        if let Some(Ok(op)) = action.outcome() {
            acts.open.set(None);
            tick.update(|n| *n += 1);
            acts.notice.set(Some(format!(
                "{what} started (operation {op}, under Operations)"
            )));
        }
    });
}

/// The failover part. `check`: the page's read of the failover state; `dr_role`: the
/// session's (shown even when the check cannot be read).
#[component]
pub fn FailoverPart(
    id: Uuid,
    check: Signal<Option<Result<FailoverCheck, AppError>>>,
    dr_role: Signal<Option<DrRole>>,
) -> impl IntoView {
    let acts = Acts {
        id,
        open: RwSignal::new(None),
        planned: RwSignal::new(None),
        io_stopped: RwSignal::new(false),
        failover: Call::new(),
        failback: Call::new(),
        notice: RwSignal::new(None),
    };
    settle(acts, acts.failover, "failover");
    settle(acts, acts.failback, "failback");
    let state = move || {
        check.get().map(|c| {
            let (record, error) = match c {
                Ok(c) => (c.failover, None),
                Err(e) => (None, Some(e)),
            };
            let role = record.as_ref().map(|r| r.role).or_else(|| dr_role.get());
            view! {
                {error.map(|e| view! { <ErrorLine error=e/> })}
                {match (role, record) {
                    (None, _) => view! { <Normal acts/> }.into_any(),
                    (Some(DrRole::FailedOver), r) => view! { <FailedOver acts r/> }.into_any(),
                    (Some(DrRole::FailingBack), r) => view! { <FailingBack r/> }.into_any(),
                }}
            }
        })
    };
    view! {
        <div class="failover" data-testid="failover">
            <h3 id="failover">"Failover"</h3>
            {state}
            {move || acts.notice.get().map(|m| view! {
                <p class="notice" role="status" data-testid="failover-outcome">{m}</p>
            })}
            {move || acts.open.get().map(|w| view! { <WizardDialog acts w/> })}
        </div>
    }
    .into_any()
}

#[component]
fn Normal(acts: Acts) -> impl IntoView {
    view! {
        <p class="muted" data-testid="failover-normal">
            "Replicating master → slave. A failover makes the slave volume take writes (planned: "
            "stop I/O, a checkpoint, nothing lost; unplanned: the master is lost, and so are "
            "writes after the recovery point)."
        </p>
        <IfCanAct>
            <div class="actions">
                <button type="button" data-testid="fail-over" aria-haspopup="dialog"
                    on:click=move |_| acts.ask(Wizard::Failover)>
                    "Fail over…"
                </button>
            </div>
        </IfCanAct>
    }
    .into_any()
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn point_text(t: Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| format!("{} ({})", absolute(t), relative(t)))
        .unwrap_or_else(|| "unknown (no worker reported a last synced time)".into())
}

#[component]
fn FailedOver(acts: Acts, r: Option<FailoverRecord>) -> impl IntoView {
    let details = r.map(|r| {
        view! {
            <p>
                "Failed over at " <strong data-testid="failed-over-at">{absolute(r.failed_over_at)}</strong>
                ", " <strong data-testid="failover-kind">{if r.planned { "planned" } else { "unplanned" }}</strong>
                ", recovery point " <strong data-testid="failover-point">{point_text(r.recovery_point)}</strong>
                ", master session stopped: "
                <strong data-testid="master-stopped" data-stopped=r.master_stopped.to_string()>{yes_no(r.master_stopped)}</strong>
                {(!r.master_stopped).then_some(" (the failback stops it first)")}
                "."
            </p>
            <p class="muted">
                "The slave volume takes writes; the failover ran as "
                <a href=format!("#op-{}", r.failover_operation)>"operation " {r.failover_operation.to_string()}</a>
                "."
            </p>
            <BrickPoints bricks=r.bricks testid="failover-bricks" pending=false/>
        }
    });
    view! {
        <div class="dr-banner" role="status" data-testid="failover-banner" data-role="failed_over">
            <p><strong>"Failed over."</strong></p>
            {details}
        </div>
        <IfCanAct>
            <div class="actions">
                <button type="button" data-testid="fail-back" aria-haspopup="dialog"
                    on:click=move |_| acts.ask(Wizard::Failback)>
                    "Fail back…"
                </button>
            </div>
        </IfCanAct>
    }
    .into_any()
}

#[component]
fn FailingBack(r: Option<FailoverRecord>) -> impl IntoView {
    let op = r.as_ref().and_then(|r| r.failback_operation);
    let reverse = r.as_ref().and_then(|r| r.reverse_session.clone());
    view! {
        <div class="dr-banner" role="status" data-testid="failback-banner" data-role="failing_back">
            <p>
                <strong>"Failing back"</strong>
                ": a reverse session brings what was written on the slave back to the master, then "
                "the original session starts again."
            </p>
            {reverse.map(|k| view! { <p class="muted">"Reverse session " <code>{k}</code></p> })}
            {op.map(|op| view! {
                <p><a href=format!("#op-{op}") data-testid="failback-operation">"Follow the failback (operation " {op.to_string()} ")"</a></p>
            })}
        </div>
    }
    .into_any()
}

/// Per master brick: its worker's status and what the slave holds of it.
#[component]
fn BrickPoints(bricks: Vec<BrickPoint>, testid: &'static str, pending: bool) -> impl IntoView {
    if bricks.is_empty() {
        return view! { <p class="muted">"No worker reported."</p> }.into_any();
    }
    let n = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_else(|| "n/a".into());
    view! {
        <table class="grid" data-testid=testid>
            <thead>
                <tr>
                    <th>"Master brick"</th><th>"Status"</th><th>"Last synced"</th>
                    {pending.then(|| view! { <th>"Entry pending"</th><th>"Data pending"</th><th>"Meta pending"</th> })}
                </tr>
            </thead>
            <tbody>
                {bricks.into_iter().map(|b| view! {
                    <tr data-testid="point-brick" data-status=b.status.as_str()>
                        <td><code>{b.brick.clone()}</code></td>
                        <td><BrickBadge status=b.status/></td>
                        <td><When t=b.last_synced/></td>
                        {pending.then(|| view! {
                            <td>{n(b.entry_pending)}</td><td>{n(b.data_pending)}</td><td>{n(b.meta_pending)}</td>
                        })}
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// The failover wizard or the failback dialog: reads the pre-checks when it opens (and again
/// on every live update while open).
#[component]
fn WizardDialog(acts: Acts, w: Wizard) -> impl IntoView {
    let tick = live_tick();
    let id = acts.id;
    let check = LocalResource::new(move || {
        tick.track();
        rpc::get_failover_check(id)
    });
    let title = match w {
        Wizard::Failover => "Fail over to the slave volume",
        Wizard::Failback => "Fail back to the master volume",
    };
    let close = move || acts.open.set(None);
    // the last read shown while the next one loads
    let last = RwSignal::new(None::<Result<FailoverCheck, AppError>>);
    Effect::new(move |_| {
        if let Some(c) = check.get() {
            last.set(Some(c));
        }
    });
    let loaded = move || last.get().and_then(Result::ok);
    // the controls appear once the first read is in, and stay
    let ready = Memo::new(move |_| last.with(|l| matches!(l, Some(Ok(_)))));
    let possible = Signal::derive(move || loaded().is_some_and(|c| c.planned_possible));
    let blockers = move || {
        loaded()
            .map(|c| match w {
                Wizard::Failover => c.failover_blockers,
                Wizard::Failback => c.failback_blockers,
            })
            .unwrap_or_default()
    };
    let can_go = move || loaded().is_some() && blockers().is_empty() && !acts.busy();
    let go = move |_| {
        let Some(c) = loaded() else { return };
        acts.notice.set(None);
        match w {
            Wizard::Failover => {
                let planned = acts.planned_for(&c);
                acts.failover.dispatch(rpc::StartFailover {
                    session: id,
                    planned: Some(planned),
                    io_stopped: planned && acts.io_stopped.get(),
                });
            }
            Wizard::Failback => {
                acts.failback.dispatch(rpc::StartFailback {
                    session: id,
                    io_stopped: acts.io_stopped.get(),
                });
            }
        }
    };
    let refused = move || {
        let r = match w {
            Wizard::Failover => acts.failover.outcome(),
            Wizard::Failback => acts.failback.outcome(),
        };
        r.and_then(Result::err)
            .map(|e| view! { <ErrorLine error=e/> })
    };
    view! {
        <Dialog title=title.to_string() on_cancel=move |_| close()>
            <div data-testid={match w { Wizard::Failover => "failover-wizard", Wizard::Failback => "failback-dialog" }}>
                {move || match last.get() {
                    None => view! { <p class="muted" data-testid="check-loading">"Checking the master, the slave and the workers…"</p> }.into_any(),
                    Some(Err(e)) => view! { <ErrorLine error=e/> }.into_any(),
                    Some(Ok(c)) => match w {
                        Wizard::Failover => view! { <PreChecks c acts/> }.into_any(),
                        Wizard::Failback => view! { <FailbackPlan c/> }.into_any(),
                    },
                }}
                {move || {
                    let b = blockers();
                    (!b.is_empty()).then(|| view! {
                        <div class="reasons" role="alert" id="dr-blockers" data-testid="blockers">
                            <p>{match w {
                                Wizard::Failover => "A failover cannot run now:",
                                Wizard::Failback => "A failback cannot run now:",
                            }}</p>
                            <ul>{b.into_iter().map(|r| view! { <li>{r}</li> }).collect_view()}</ul>
                        </div>
                    })
                }}
                {move || (w == Wizard::Failover && ready.get()).then(|| view! { <Choice acts possible/> })}
                {(w == Wizard::Failback).then(|| view! {
                    <label class="check">
                        <input type="checkbox" name="io_stopped" data-testid="io-stopped"
                            prop:checked=move || acts.io_stopped.get()
                            on:change=move |ev| acts.io_stopped.set(event_target_checked(&ev))/>
                        "I/O on the slave volume is stopped"
                    </label>
                    <p class="muted">
                        "Otherwise the failback waits, once the reverse session has crawled, until "
                        "you stop I/O on the slave volume and confirm it under Operations."
                    </p>
                })}
                {refused}
                <div class="dialog-buttons">
                    <button type="button" autofocus on:click=move |_| close()>"Cancel"</button>
                    <button type="button" class="primary"
                        data-testid={match w { Wizard::Failover => "confirm-failover", Wizard::Failback => "confirm-failback" }}
                        disabled=move || !can_go() on:click=go
                        title=move || blockers().join("; ")
                        aria-describedby=move || (!blockers().is_empty()).then_some("dr-blockers")>
                        {move || match (w, acts.busy()) {
                            (_, true) => "Starting…",
                            (Wizard::Failover, false) => "Fail over",
                            (Wizard::Failback, false) => "Fail back",
                        }}
                    </button>
                </div>
            </div>
        </Dialog>
    }
    .into_any()
}

/// What a failover finds now (re-rendered with each read; the controls are in `Choice`).
#[component]
fn PreChecks(c: FailoverCheck, acts: Acts) -> impl IntoView {
    let ok = |b: bool| if b { "ok" } else { "bad" };
    let master = if c.master_reachable {
        "reachable".to_string()
    } else {
        format!(
            "unreachable: {}",
            c.master_error.clone().unwrap_or_else(|| "no answer".into())
        )
    };
    let checkpoint = match c.checkpoint_time {
        None => "none set".to_string(),
        Some(t) => format!(
            "{} ({})",
            absolute(t),
            if c.checkpoint_completed {
                "completed"
            } else {
                "not completed"
            }
        ),
    };
    let possible = c.planned_possible;
    let planned = move || possible && acts.planned.get().unwrap_or(true);
    view! {
        <ul class="prechecks" data-testid="prechecks">
            <li data-testid="check-master" data-ok=c.master_reachable.to_string()>
                <span class=format!("badge status-{}", ok(c.master_reachable))>{if c.master_reachable { "ok" } else { "down" }}</span>
                " Master " <code>{c.master.clone()}</code> ": " {master}
            </li>
            <li data-testid="check-slave" data-managed=c.slave_managed.to_string() data-ok=c.slave_reachable.to_string()>
                <span class=format!("badge status-{}", ok(c.slave_managed && c.slave_reachable))>{if c.slave_managed && c.slave_reachable { "ok" } else { "check" }}</span>
                " Slave " <code>{c.slave.clone()}</code> ": "
                {if c.slave_managed { "managed by georep" } else { "not managed by georep (its cluster is not registered)" }}
                ", " {if c.slave_reachable { "reachable" } else { "unreachable" }}
            </li>
            <li data-testid="check-checkpoint" data-completed=c.checkpoint_completed.to_string()>
                "Last checkpoint: " {checkpoint}
            </li>
        </ul>
        <BrickPoints bricks=c.bricks.clone() testid="check-bricks" pending=true/>
        <p data-testid="check-recovery-point" data-set=c.recovery_point.is_some().to_string()>
            "What a failover now keeps: everything written up to "
            <strong>{point_text(c.recovery_point)}</strong>
            {move || if planned() {
                " — and, planned, everything up to the checkpoint it sets once I/O stopped."
            } else {
                " — writes after it may be lost."
            }}
        </p>
    }
    .into_any()
}

/// Planned or not, and whether I/O is stopped: rendered once per dialog (a live update does
/// not re-create what the admin is moving through with the keyboard).
#[component]
fn Choice(acts: Acts, possible: Signal<bool>) -> impl IntoView {
    let planned = move || possible.get() && acts.planned.get().unwrap_or(true);
    view! {
        <fieldset class="choice">
            <legend>"Kind of failover"</legend>
            <label class="check">
                <input type="radio" name="planned" value="planned" data-testid="planned"
                    disabled=move || !possible.get() prop:checked=planned
                    on:change=move |_| acts.planned.set(Some(true))/>
                "Planned: stop I/O on the master, a checkpoint every worker completes, nothing lost"
            </label>
            {move || (!possible.get()).then(|| view! {
                <p class="muted" data-testid="planned-impossible">
                    "Not possible now: the master must be reachable and the session replicating or startable."
                </p>
            })}
            <label class="check">
                <input type="radio" name="planned" value="unplanned" data-testid="unplanned"
                    prop:checked=move || !planned()
                    on:change=move |_| acts.planned.set(Some(false))/>
                "Unplanned: the master is lost; the slave keeps what it holds (the recovery point)"
            </label>
        </fieldset>
        {move || planned().then(|| view! {
            <label class="check">
                <input type="checkbox" name="io_stopped" data-testid="io-stopped"
                    prop:checked=move || acts.io_stopped.get()
                    on:change=move |ev| acts.io_stopped.set(event_target_checked(&ev))/>
                "I/O on the master volume is stopped"
            </label>
            <p class="muted">
                "Otherwise the failover waits, before its checkpoint, until you stop I/O on the "
                "master volume and confirm it under Operations."
            </p>
        })}
    }
    .into_any()
}

/// What a failback will do, step by step, and what the slave holds.
#[component]
fn FailbackPlan(c: FailoverCheck) -> impl IntoView {
    let stopped = c.failover.as_ref().is_some_and(|r| r.master_stopped);
    view! {
        <p>"The failback brings what was written on " <code>{c.slave.clone()}</code> " back to "
            <code>{c.master.clone()}</code> ":"</p>
        <ol class="steps" data-testid="failback-steps">
            <li>
                "stop the original session " <code>{format!("{} → {}", c.master, c.slave)}</code>
                {if stopped { " (stopped already at the failover)" } else { " (still running: the master was unreachable)" }}
            </li>
            <li>"create the reverse session slave → master with " <code>"special-sync-mode recover"</code> " and start it"</li>
            <li>"wait for its changelog crawl"</li>
            <li>"ask you to stop I/O on the slave volume (unless ticked below), then confirm"</li>
            <li>"set a checkpoint and wait until every worker completed it"</li>
            <li>"stop and delete the reverse session"</li>
            <li>"put the slave volume's options, and the master's read-only, back as they were before the failover"</li>
            <li>"start the original session master → slave and check that it replicates (a checkpoint every worker completes)"</li>
        </ol>
    }
    .into_any()
}
