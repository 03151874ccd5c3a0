//! The session page's health tools (probe, guided restart) and its disaster-recovery panel:
//! the recovery point, the schedule with its form, Sync now, the last runs, self-healing,
//! and the failover part (`failover.rs`).
//! Both are made once per session page; live updates reach them through signals, so the
//! schedule an admin is typing and the outcome of a call stay put.
use leptos::prelude::*;
use uuid::Uuid;

use crate::error::AppError;
use crate::failover::{DrRole, FailoverCheck};
use crate::health::{ProbeReport, RestartMethod, RestartOutcome};
use crate::operations::{Every, OperationView, RecoveryView, ScheduleInput, ScheduleView};
use crate::pages::failover::FailoverPart;
use crate::pages::operations::{duration_text, every_text, OpStateBadge};
use crate::rpc;
use crate::ui::{absolute, live_tick, relative, Call, ErrorLine, IfCanAct, When};

/// An outcome line under a panel's buttons.
type Notice = RwSignal<Option<Result<String, AppError>>>;

fn show(notice: Notice, testid: &'static str) -> impl IntoView {
    move || {
        notice.get().map(|n| match n {
            Ok(m) => {
                view! { <p class="notice" role="status" data-testid=testid>{m}</p> }.into_any()
            }
            Err(e) => view! { <ErrorLine error=e/> }.into_any(),
        })
    }
}

/// Settles `notice` with each result of `action` (and refreshes the page on success).
fn settle<A, T>(action: Call<A>, notice: Notice, text: impl Fn(T) -> String + 'static)
where
    A: leptos::server_fn::ServerFn<Output = T, Error = AppError> + Clone + Send + Sync + 'static,
    T: Clone + Send + Sync + 'static,
{
    let tick = live_tick();
    Effect::new(move |_| {
        if let Some(r) = action.outcome() {
            if r.is_ok() {
                tick.update(|n| *n += 1);
            }
            notice.set(Some(r.map(&text)));
        }
    });
}

fn probe_text(p: &ProbeReport) -> String {
    let took = p.duration_ms as f64 / 1000.0;
    let mut s = format!("probe {} in {took:.1} s", p.result.as_str());
    if let Some(m) = &p.message {
        s.push_str(": ");
        s.push_str(m);
    }
    s
}

fn restart_text(r: &RestartOutcome) -> String {
    let how = r
        .methods
        .iter()
        .map(|m| match m {
            RestartMethod::Worker => "the stalled workers",
            RestartMethod::Session => "the session (stop, start)",
        })
        .collect::<Vec<_>>()
        .join(", then ");
    let what = if r.restarted.is_empty() {
        "no worker restarted".to_string()
    } else {
        format!("restarted {} ({})", how, r.restarted.join(", "))
    };
    let after = if r.cleared {
        "the stall cleared"
    } else {
        "the stall persists"
    };
    format!("{what}; {after}: {}", probe_text(&r.probe))
}

/// Probe now and Restart stalled workers (admins), with their outcome.
#[component]
pub fn HealthTools(id: Uuid) -> impl IntoView {
    let probe = Call::<rpc::ProbeSession>::new();
    let restart = Call::<rpc::RestartStalled>::new();
    let notice: Notice = RwSignal::new(None);
    settle(probe, notice, |r: ProbeReport| probe_text(&r));
    settle(restart, notice, |r: RestartOutcome| restart_text(&r));
    let busy = move || probe.busy() || restart.busy();
    view! {
        <h2 id="health">"Health"</h2>
        <IfCanAct>
            <div class="actions" data-testid="health-actions">
                <button type="button" data-testid="probe-now" disabled=busy
                    title="a checkpoint after a change on the master: do the workers complete it?"
                    on:click=move |_| { notice.set(None); probe.dispatch(rpc::ProbeSession { id }); }>
                    {move || if probe.busy() { "Probing (up to a minute)…" } else { "Probe now" }}
                </button>
                <button type="button" data-testid="restart-stalled" disabled=busy
                    title="restart the workers a probe found stalled, then probe again"
                    on:click=move |_| { notice.set(None); restart.dispatch(rpc::RestartStalled { id }); }>
                    {move || if restart.busy() { "Restarting…" } else { "Restart stalled workers" }}
                </button>
            </div>
        </IfCanAct>
        {show(notice, "health-outcome")}
    }
    .into_any()
}

/// What an admin types into the schedule form (kept across live updates).
#[derive(Clone, Copy)]
struct Form {
    cron_mode: RwSignal<bool>,
    minutes: RwSignal<String>,
    cron: RwSignal<String>,
    time_zone: RwSignal<String>,
    timeout: RwSignal<String>,
    rpo: RwSignal<String>,
    enabled: RwSignal<bool>,
    /// Filled from the stored schedule once (then it is the admin's).
    filled: RwSignal<bool>,
}

impl Form {
    fn new() -> Self {
        Form {
            cron_mode: RwSignal::new(false),
            minutes: RwSignal::new("60".into()),
            cron: RwSignal::new(String::new()),
            time_zone: RwSignal::new("UTC".into()),
            timeout: RwSignal::new(String::new()),
            rpo: RwSignal::new(String::new()),
            enabled: RwSignal::new(true),
            filled: RwSignal::new(false),
        }
    }

    fn fill(self, s: &ScheduleView) {
        match &s.every {
            Every::Cron(c) => {
                self.cron_mode.set(true);
                self.cron.set(c.clone());
            }
            Every::Seconds(n) => {
                self.cron_mode.set(false);
                self.minutes.set((n / 60).max(1).to_string());
            }
        }
        self.time_zone.set(s.time_zone.clone());
        self.timeout.set(s.timeout_seconds.to_string());
        self.rpo
            .set(s.rpo_seconds.map(|r| r.to_string()).unwrap_or_default());
        self.enabled.set(s.enabled);
    }

    fn input(self) -> Result<ScheduleInput, AppError> {
        fn number(s: &str, what: &str) -> Result<Option<i64>, AppError> {
            let t = s.trim();
            if t.is_empty() {
                return Ok(None);
            }
            t.parse::<i64>()
                .map(Some)
                .map_err(|_| AppError::Invalid(format!("{what}: a whole number")))
        }
        let every = if self.cron_mode.get() {
            let c = self.cron.get().trim().to_owned();
            if c.is_empty() {
                return Err(AppError::Invalid(
                    "a cron expression: minute hour day month weekday".into(),
                ));
            }
            Every::Cron(c)
        } else {
            match number(&self.minutes.get(), "the interval")? {
                Some(m) if m > 0 => Every::Seconds(m * 60),
                _ => return Err(AppError::Invalid("an interval of 1 minute or more".into())),
            }
        };
        let tz = self.time_zone.get().trim().to_owned();
        Ok(ScheduleInput {
            every,
            time_zone: (!tz.is_empty()).then_some(tz),
            enabled: Some(self.enabled.get()),
            timeout_seconds: number(&self.timeout.get(), "the timeout")?,
            rpo_seconds: number(&self.rpo.get(), "the RPO")?,
        })
    }
}

/// The disaster-recovery panel. `api`: the session's REST address.
#[component]
pub fn RecoveryPanel(
    id: Uuid,
    api: String,
    recovery: Signal<Option<Result<RecoveryView, AppError>>>,
    failover: Signal<Option<Result<FailoverCheck, AppError>>>,
    dr_role: Signal<Option<DrRole>>,
) -> impl IntoView {
    let set = Call::<rpc::SetSchedule>::new();
    let delete = Call::<rpc::DeleteSchedule>::new();
    let sync = Call::<rpc::SyncNow>::new();
    let heal = Call::<rpc::SetSelfHeal>::new();
    let notice: Notice = RwSignal::new(None);
    settle(set, notice, |s: ScheduleView| {
        format!("schedule saved: {}", every_text(&s.every))
    });
    settle(delete, notice, |_: ()| "schedule removed".to_string());
    settle(sync, notice, |op: Uuid| {
        format!("DR sync started (operation {op}, under Operations)")
    });
    settle(heal, notice, |r: RecoveryView| {
        format!("self-healing {}", if r.self_heal { "on" } else { "off" })
    });
    let form = Form::new();
    let current = move || recovery.get().and_then(Result::ok);
    Effect::new(move |_| {
        if let Some(s) = current().and_then(|r| r.schedule) {
            if !form.filled.get_untracked() {
                form.filled.set(true);
                form.fill(&s);
            }
        }
    });
    let has_schedule = move || current().is_some_and(|r| r.schedule.is_some());
    let busy = move || set.busy() || delete.busy() || sync.busy() || heal.busy();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        notice.set(None);
        match form.input() {
            Ok(input) => {
                set.dispatch(rpc::SetSchedule { session: id, input });
            }
            Err(e) => notice.set(Some(Err(e))),
        }
    };
    let self_heal = move |on: Option<bool>| {
        notice.set(None);
        heal.dispatch(rpc::SetSelfHeal { session: id, on });
    };
    view! {
        <section class="dr" data-testid="dr" data-api=api>
            <h2 id="dr">"Disaster recovery"</h2>
            <FailoverPart id check=failover dr_role/>
            {move || recovery.get().map(|r| match r {
                Err(e) => view! { <ErrorLine error=e/> }.into_any(),
                Ok(r) => view! { <RecoveryState r/> }.into_any(),
            })}
            <IfCanAct>
                <div class="actions" data-testid="dr-actions">
                    <button type="button" data-testid="sync-now" disabled=busy
                        title="start, wait for changelog crawl, checkpoint, wait until every worker completed it, stop (if started)"
                        on:click=move |_| { notice.set(None); sync.dispatch(rpc::SyncNow { session: id }); }>
                        "Sync now"
                    </button>
                    <button type="button" data-testid="schedule-remove" disabled=move || busy() || !has_schedule()
                        on:click=move |_| { notice.set(None); delete.dispatch(rpc::DeleteSchedule { session: id }); }>
                        "Remove schedule"
                    </button>
                    <span class="muted">"Self-healing:"</span>
                    <button type="button" data-testid="self-heal-on" disabled=busy on:click=move |_| self_heal(Some(true))>"On"</button>
                    <button type="button" data-testid="self-heal-off" disabled=busy on:click=move |_| self_heal(Some(false))>"Off"</button>
                    <button type="button" data-testid="self-heal-default" disabled=busy on:click=move |_| self_heal(None)>"Server default"</button>
                </div>
                {show(notice, "dr-outcome")}
                <form class="card form" data-testid="schedule-form" on:submit=submit>
                    <label>"Runs"
                        <select name="mode" on:change=move |ev| form.cron_mode.set(event_target_value(&ev) == "cron")>
                            <option value="interval" selected=move || !form.cron_mode.get()>"every N minutes"</option>
                            <option value="cron" selected=move || form.cron_mode.get()>"on a cron expression"</option>
                        </select>
                    </label>
                    <label>"Interval (minutes)"
                        <input type="number" name="minutes" value=form.minutes.get_untracked() min="1" disabled=move || form.cron_mode.get()
                            prop:value=move || form.minutes.get() on:input=move |ev| form.minutes.set(event_target_value(&ev))/>
                    </label>
                    <label>"Cron (minute hour day month weekday)"
                        <input type="text" name="cron" value=form.cron.get_untracked() placeholder="0 */4 * * *" disabled=move || !form.cron_mode.get()
                            prop:value=move || form.cron.get() on:input=move |ev| form.cron.set(event_target_value(&ev))/>
                    </label>
                    <label>"Time zone"
                        <input type="text" name="time_zone" value=form.time_zone.get_untracked() placeholder="UTC"
                            prop:value=move || form.time_zone.get() on:input=move |ev| form.time_zone.set(event_target_value(&ev))/>
                    </label>
                    <label>"Timeout (seconds)"
                        <input type="number" name="timeout_seconds" value=form.timeout.get_untracked() min="1" placeholder="1800"
                            prop:value=move || form.timeout.get() on:input=move |ev| form.timeout.set(event_target_value(&ev))/>
                    </label>
                    <label>"RPO (seconds)"
                        <input type="number" name="rpo_seconds" value=form.rpo.get_untracked() min="1" placeholder="none"
                            prop:value=move || form.rpo.get() on:input=move |ev| form.rpo.set(event_target_value(&ev))/>
                    </label>
                    <label class="check">
                        <input type="checkbox" name="enabled" checked=form.enabled.get_untracked() prop:checked=move || form.enabled.get()
                            on:change=move |ev| form.enabled.set(event_target_checked(&ev))/>
                        "Enabled"
                    </label>
                    <button type="submit" class="primary" data-testid="schedule-save" disabled=busy>
                        {move || if set.busy() { "Saving…" } else { "Save schedule" }}
                    </button>
                </form>
            </IfCanAct>
        </section>
    }
    .into_any()
}

/// The recovery point, the schedule, self-healing and the last runs, as stored.
#[component]
fn RecoveryState(r: RecoveryView) -> impl IntoView {
    let point = match r.recovery_point {
        Some(t) => view! {
            "Slave consistent up to " <strong>{absolute(t)}</strong> {format!(" ({})", relative(t))}
        }
        .into_any(),
        None => "No DR sync has completed yet.".into_any(),
    };
    let rpo = r.schedule.as_ref().and_then(|s| s.rpo_seconds);
    view! {
        <p data-testid="recovery-point" data-set=r.recovery_point.is_some().to_string()>{point}</p>
        {r.overdue.then(|| view! {
            <p class="error" role="alert" data-testid="rpo-overdue">
                {format!("Overdue: the recovery point is older than the RPO ({}).",
                    rpo.map(duration_text).unwrap_or_else(|| "n/a".into()))}
            </p>
        })}
        <h3>"Schedule"</h3>
        {match r.schedule {
            None => view! {
                <p class="muted" data-testid="no-schedule">"No schedule: DR syncs run only when started here or through the API."</p>
            }.into_any(),
            Some(s) => view! { <ScheduleTable s/> }.into_any(),
        }}
        <p data-testid="self-heal" data-on=r.self_heal.to_string()>
            "Self-healing of stalled workers: " <strong>{if r.self_heal { "on" } else { "off" }}</strong>
            <span class="muted">{format!(" (server default: {})", if r.self_heal_default { "on" } else { "off" })}</span>
        </p>
        <h3>"Last runs"</h3>
        <Runs runs=r.runs/>
    }
    .into_any()
}

#[component]
fn ScheduleTable(s: ScheduleView) -> impl IntoView {
    view! {
        <table class="grid" data-testid="schedule">
            <thead><tr><th>"Runs"</th><th>"Time zone"</th><th>"Timeout"</th><th>"RPO"</th><th>"Next run"</th><th>"State"</th></tr></thead>
            <tbody>
                <tr>
                    <td data-testid="schedule-every">{every_text(&s.every)}</td>
                    <td data-testid="schedule-tz">{s.time_zone.clone()}</td>
                    <td data-testid="schedule-timeout">{duration_text(s.timeout_seconds)}</td>
                    <td data-testid="schedule-rpo">{s.rpo_seconds.map(duration_text).unwrap_or_else(|| "none".into())}</td>
                    <td>{if s.enabled { view! { <When t=s.next_run_at/> }.into_any() } else { view! { <span class="muted">"—"</span> }.into_any() }}</td>
                    <td>
                        <span class=if s.enabled { "badge status-ok" } else { "badge status-idle" } data-testid="schedule-state">
                            {if s.enabled { "enabled" } else { "disabled" }}
                        </span>
                    </td>
                </tr>
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn Runs(runs: Vec<OperationView>) -> impl IntoView {
    if runs.is_empty() {
        return view! { <p class="empty" data-testid="no-runs">"No DR sync has run yet."</p> }
            .into_any();
    }
    view! {
        <table class="grid" data-testid="dr-runs">
            <thead><tr><th>"Started"</th><th>"Who"</th><th>"Result"</th><th>"Recovery point"</th><th>"Took"</th><th>"Message"</th></tr></thead>
            <tbody>
                {runs.into_iter().map(|o| view! {
                    <tr data-testid="dr-run" data-state=o.state.as_str()>
                        <td><a href=format!("#op-{}", o.id)><When t=Some(o.created_at)/></a></td>
                        <td>{o.actor.clone()}</td>
                        <td><OpStateBadge state=o.state/></td>
                        <td>{o.recovery_point.map(absolute).unwrap_or_else(|| "—".into())}</td>
                        <td>{duration_text(o.elapsed_secs(chrono::Utc::now()))}</td>
                        <td>{o.message.clone().unwrap_or_default()}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
