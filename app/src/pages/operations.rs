//! Operations (issue 17): the global list at `/operations`, and the rows every page that
//! shows operations renders (the session page's panel, the DR runs).
use std::collections::HashSet;

use chrono::Utc;
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use uuid::Uuid;

use crate::error::AppError;
use crate::operations::{Every, OperationState, OperationView, StepState, StepView};
use crate::rpc::{self, list_operations};
use crate::ui::{live_tick, Call, ErrorLine, IfCanAct, When};

/// How many operations the global page shows.
const PAGE_LIMIT: i64 = 200;

#[component]
pub fn OperationsPage() -> impl IntoView {
    let query = use_query_map();
    let running = move || query.read().get("running").is_some_and(|v| v == "1");
    let tick = live_tick();
    let ops = Resource::new(
        move || (running(), tick.get()),
        |(running, _)| async move {
            let mut list = list_operations(None, running, PAGE_LIMIT).await?;
            // unfinished first, each part newest first (as listed)
            list.sort_by_key(|o| !o.state.active());
            Ok::<_, AppError>(list)
        },
    );
    let acts = OpActs::provide();
    let navigate = use_navigate();
    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Operations"</h1>
                <label class="check">
                    <input type="checkbox" name="running" data-testid="running-only"
                        checked=running prop:checked=running
                        on:change=move |ev| {
                            let to = if event_target_checked(&ev) { "/operations?running=1" } else { "/operations" };
                            navigate(to, Default::default());
                        }/>
                    "Running only"
                </label>
            </div>
            <Transition fallback=|| view! { <p>"Loading…"</p> }>
                {move || ops.get().map(|r| match r {
                    Err(e) => view! { <ErrorLine error=e/> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p class="empty" data-testid="no-operations">
                            {if running() { "No operation under way." } else { "No operation recorded yet." }}
                        </p>
                    }.into_any(),
                    Ok(list) => view! { <OperationsTable ops=list show_target=true/> }.into_any(),
                })}
            </Transition>
            <OpActsNotice acts/>
        </section>
    }
    .into_any()
}

/// The operation controls of a page, outside what live updates re-create: the cancel call
/// under way and its outcome, and which finished operations the user opened.
#[derive(Clone, Copy)]
pub struct OpActs {
    cancel: Call<rpc::CancelOperation>,
    /// Confirms what a running operation waits for (stop I/O, then confirm).
    confirm: Call<rpc::ConfirmOperation>,
    opened: RwSignal<HashSet<Uuid>>,
}

impl OpActs {
    pub fn provide() -> Self {
        let acts = OpActs {
            cancel: Call::new(),
            confirm: Call::new(),
            opened: RwSignal::new(HashSet::new()),
        };
        let tick = live_tick();
        Effect::new(move |_| {
            if let Some(Ok(_)) = acts.cancel.outcome() {
                tick.update(|n| *n += 1);
            }
        });
        Effect::new(move |_| {
            if let Some(Ok(_)) = acts.confirm.outcome() {
                tick.update(|n| *n += 1);
            }
        });
        provide_context(acts);
        acts
    }

    fn busy(self) -> bool {
        self.cancel.busy() || self.confirm.busy()
    }
}

/// A refused or failed cancel or confirmation, in words.
#[component]
pub fn OpActsNotice(acts: OpActs) -> impl IntoView {
    let failed = move |e: Option<Result<OperationView, AppError>>| {
        e.and_then(Result::err)
            .map(|e| view! { <ErrorLine error=e/> })
    };
    view! {
        {move || failed(acts.cancel.outcome())}
        {move || failed(acts.confirm.outcome())}
    }
}

pub fn state_class(s: OperationState) -> &'static str {
    match s {
        OperationState::Succeeded => "ok",
        OperationState::Running | OperationState::Waiting => "info",
        OperationState::Queued => "unknown",
        OperationState::Cancelled => "idle",
        OperationState::NeedsAttention => "warn",
        OperationState::Failed => "bad",
    }
}

fn step_class(s: StepState) -> &'static str {
    match s {
        StepState::Succeeded => "ok",
        StepState::Running => "info",
        StepState::Pending => "unknown",
        StepState::Skipped | StepState::Cancelled => "idle",
        StepState::Failed => "bad",
    }
}

fn words(s: &str) -> String {
    s.replace('_', " ")
}

#[component]
pub fn OpStateBadge(state: OperationState) -> impl IntoView {
    view! {
        <span class=format!("badge status-{}", state_class(state)) data-testid="op-state">
            {words(state.as_str())}
        </span>
    }
}

/// "42 s", "3 min 5 s", "2 h 4 min".
pub fn duration_text(secs: i64) -> String {
    match secs {
        i64::MIN..=59 => format!("{} s", secs.max(0)),
        60..=3599 => format!("{} min {} s", secs / 60, secs % 60),
        _ => format!("{} h {} min", secs / 3600, secs % 3600 / 60),
    }
}

/// "every 15 min", "cron 0 3 * * *".
pub fn every_text(every: &Every) -> String {
    match every {
        Every::Seconds(n) if *n % 3600 == 0 && *n > 0 => format!("every {} h", n / 3600),
        Every::Seconds(n) if *n % 60 == 0 && *n > 0 => format!("every {} min", n / 60),
        Every::Seconds(n) => format!("every {n} s"),
        Every::Cron(c) => format!("cron {c}"),
    }
}

/// Operations newest first (as given); an unfinished one shows its steps, a finished one on
/// request; Cancel on a running cancellable one, for admins.
#[component]
pub fn OperationsTable(ops: Vec<OperationView>, show_target: bool) -> impl IntoView {
    view! {
        <table class="grid operations" data-testid="operations">
            <thead>
                <tr>
                    <th>"Started"</th><th>"Kind"</th>
                    {show_target.then(|| view! { <th>"Target"</th> })}
                    <th>"Who"</th><th>"State"</th><th>"Progress"</th><th>"Elapsed"</th>
                    <th>"Message"</th><th></th>
                </tr>
            </thead>
            <tbody>
                {ops.into_iter().map(|op| view! { <OperationRow op show_target/> }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn OperationRow(op: OperationView, show_target: bool) -> impl IntoView {
    let acts = use_context::<OpActs>();
    let id = op.id;
    let active = op.state.active();
    let opened = move || active || acts.is_some_and(|a| a.opened.with(|s| s.contains(&id)));
    let total = op.steps.len();
    let current = op.current().cloned();
    let progress = if total == 0 {
        String::new()
    } else if op.step <= 0 {
        format!("not begun ({total} steps)")
    } else {
        format!("step {} of {total}", op.step)
    };
    let target = match (show_target, op.session_id) {
        (false, _) => None,
        (true, Some(s)) => Some(
            view! { <td><a href=format!("/sessions/{s}") data-testid="op-session">{op.target.clone()}</a></td> }
                .into_any(),
        ),
        (true, None) => Some(view! { <td>{op.target.clone()}</td> }.into_any()),
    };
    let can_cancel = active && op.cancellable && !op.cancel_requested;
    // what the operation waits for an admin to do, then confirm
    let waits_for = op.confirm.clone().filter(|_| active);
    let columns = if show_target { 9 } else { 8 };
    let steps = op.steps.clone();
    view! {
        <tr id=format!("op-{id}") data-testid="operation" data-id=id.to_string()
            data-kind=op.kind.as_str() data-state=op.state.as_str() class:active=active>
            <td><When t=Some(op.created_at)/></td>
            <td data-testid="op-kind">{words(op.kind.as_str())}</td>
            {target}
            <td>{op.actor.clone()}</td>
            <td>
                <OpStateBadge state=op.state/>
                {(active && op.cancel_requested).then(|| view! { <span class="muted">" cancel asked"</span> })}
            </td>
            <td data-testid="op-progress">
                {waits_for.map(|prompt| view! { <ConfirmPrompt id prompt acts/> })}
                <span>{progress}</span>
                {current.map(|s| view! {
                    <div class="op-step-name">{s.name.clone()}</div>
                    {s.command.clone().map(|c| view! { <code class="command" data-testid="op-command">{c}</code> })}
                })}
                {(!active && total > 0).then(|| acts.map(|a| view! {
                    <div>
                        <button type="button" class="link" data-testid="op-toggle"
                            aria-expanded=move || opened().to_string()
                            on:click=move |_| a.opened.update(|s| { if !s.remove(&id) { s.insert(id); } })>
                            {move || if opened() { "hide steps" } else { "show steps" }}
                        </button>
                    </div>
                }))}
            </td>
            <td>{duration_text(op.elapsed_secs(Utc::now()))}</td>
            <td>
                {op.message.clone().unwrap_or_default()}
                {op.recovery_point.map(|t| view! {
                    <div class="muted">"recovery point " {crate::ui::absolute(t)}</div>
                })}
            </td>
            <td>
                {can_cancel.then(|| acts.map(|a| view! {
                    <IfCanAct>
                        <button type="button" data-testid="op-cancel" disabled=move || a.busy()
                            on:click=move |_| { a.cancel.dispatch(rpc::CancelOperation { id }); }>
                            "Cancel"
                        </button>
                    </IfCanAct>
                }))}
            </td>
        </tr>
        {move || opened().then(|| view! {
            <tr class="op-steps" data-testid="op-steps">
                <td colspan=columns>
                    <ol class="steps">
                        {steps.clone().into_iter().map(|s| view! { <StepItem s/> }).collect_view()}
                    </ol>
                </td>
            </tr>
        })}
    }
    .into_any()
}

/// What a running operation waits for, and (for admins) the button that confirms it was done.
#[component]
fn ConfirmPrompt(id: Uuid, prompt: String, acts: Option<OpActs>) -> impl IntoView {
    let label = format!("Confirm: {prompt}");
    view! {
        <div class="confirm-prompt" role="status" data-testid="op-confirm-prompt">
            <strong>"Waiting for you: "</strong>
            <span data-testid="op-confirm-text">{prompt}</span>
            {acts.map(|a| view! {
                <IfCanAct>
                    <button type="button" class="primary" data-testid="op-confirm"
                        aria-label=label.clone() disabled=move || a.busy()
                        on:click=move |_| { a.confirm.dispatch(rpc::ConfirmOperation { operation: id }); }>
                        {move || if a.confirm.busy() { "Confirming…" } else { "Confirm" }}
                    </button>
                </IfCanAct>
            })}
        </div>
    }
    .into_any()
}

#[component]
fn StepItem(s: StepView) -> impl IntoView {
    let took = match (s.started_at, s.finished_at) {
        (Some(a), Some(b)) => Some(duration_text((b - a).num_seconds())),
        (Some(a), None) => Some(format!(
            "{} so far",
            duration_text((Utc::now() - a).num_seconds())
        )),
        _ => None,
    };
    view! {
        <li data-testid="op-step" data-state=s.state.as_str()>
            <span class=format!("badge status-{}", step_class(s.state))>{words(s.state.as_str())}</span>
            " " {s.name.clone()}
            {took.map(|t| view! { <span class="muted">{format!(" · {t}")}</span> })}
            {s.command.clone().map(|c| view! { <div><code class="command">{c}</code></div> })}
            {s.message.clone().map(|m| view! { <div class="muted">{m}</div> })}
        </li>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_and_schedules_in_words() {
        assert_eq!(duration_text(-3), "0 s");
        assert_eq!(duration_text(42), "42 s");
        assert_eq!(duration_text(185), "3 min 5 s");
        assert_eq!(duration_text(7440), "2 h 4 min");
        assert_eq!(every_text(&Every::Seconds(900)), "every 15 min");
        assert_eq!(every_text(&Every::Seconds(7200)), "every 2 h");
        assert_eq!(every_text(&Every::Seconds(90)), "every 90 s");
        assert_eq!(
            every_text(&Every::Cron("0 3 * * *".into())),
            "cron 0 3 * * *"
        );
    }
}
