//! Scheduled DR sync (what gluster's `schedule_georep.py` does, as an operation): start the
//! session, wait until every worker reached Changelog Crawl, checkpoint now with a change on
//! the master (an idle volume's checkpoint completes too), wait until every active worker
//! completed it, stop the session again if the run started it. The checkpoint every worker
//! reached is the run's **recovery point**: the slave is consistent with the master up to it.
//! Every step is safe to repeat, so a run a dead georep left is resumed at its step.
use std::collections::HashSet;
use std::str::FromStr;
use std::time::Duration;

use app::domain::{SessionAction, SessionStatus};
use app::health::{ProbeReport, ProbeResult};
use app::operations::{Every, OperationKind, RecoveryView, ScheduleView, StepState};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use uuid::Uuid;

use super::audit::Audit;
use super::health::{probe_steps, Waits};
use super::operations::{Operation, OperationQuery, Plan};
use super::{Result, Service, ServiceError};
use crate::store::{self, Id, OperationRow, ScheduleRow};
use crate::sync::{Lane, Quiet, Subject};

/// Who runs scheduled syncs, in the audit trail and on operations.
pub const SCHEDULE_ACTOR: &str = "schedule";
/// Default wait for the crawl and for the checkpoint.
const DEFAULT_TIMEOUT: i64 = 1800;
/// The shortest interval between scheduled runs.
const MIN_EVERY: i64 = 60;
const TICK: Duration = Duration::from_secs(5);
/// How long a run waits for a probe of the session to end before it gives up.
const HEALTH_LANE_WAIT: Duration = Duration::from_secs(120);

pub use app::operations::ScheduleInput;

/// What a DR sync run reached.
#[derive(Clone, Debug)]
pub struct DrOutcome {
    pub operation: Uuid,
    pub recovery_point: Option<DateTime<Utc>>,
    pub probe: Option<ProbeReport>,
    /// Whether the run started (and so stopped) the session.
    pub started: bool,
}

/// What a resumed run needs (the operation's `params`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct DrParams {
    timeout: i64,
    /// Known once step 1 ran: whether this run started the session.
    started: Option<bool>,
}

/// The next run after `after`, or None when the schedule cannot say (a bad stored cron).
fn next_run(s: &ScheduleRow, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
    match (&s.cron, s.every_seconds) {
        (Some(cron), _) => {
            let tz = chrono_tz::Tz::from_str(&s.time_zone).ok()?;
            let cron = croner::Cron::from_str(cron).ok()?;
            cron.find_next_occurrence(&after.with_timezone(&tz), false)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        }
        (None, Some(secs)) => Some(after + chrono::Duration::seconds(secs.max(MIN_EVERY))),
        (None, None) => None,
    }
}

fn view_of(s: &ScheduleRow) -> ScheduleView {
    ScheduleView {
        session_id: s.session_id.into_uuid(),
        enabled: s.enabled,
        every: match (&s.cron, s.every_seconds) {
            (Some(c), _) => Every::Cron(c.clone()),
            (None, secs) => Every::Seconds(secs.unwrap_or(0)),
        },
        time_zone: s.time_zone.clone(),
        timeout_seconds: s.timeout_seconds,
        rpo_seconds: s.rpo_seconds,
        next_run_at: s.next_run_at,
    }
}

impl Service {
    /// Sets (or replaces) a session's DR sync schedule. Audited.
    pub async fn set_schedule(
        &self,
        actor: &str,
        id: Uuid,
        input: ScheduleInput,
    ) -> Result<ScheduleView> {
        let scope = self.session_scope(id).await?;
        let mut audit = scope.audit(actor, "schedule_set");
        let checked = check_schedule(id.into(), &input);
        let outcome = match checked {
            Ok(mut row) => {
                row.next_run_at = next_run(&row, Utc::now());
                audit.target = format!("{} {}", scope.target_text(), describe(&row));
                let mut c = self.conn().await?;
                store::put_schedule(&mut c, &row)
                    .await
                    .map(|_| view_of(&row))
                    .map_err(ServiceError::from)
            }
            Err(e) => Err(e),
        };
        self.record(&audit, &outcome, None).await;
        outcome
    }

    /// Removes a session's schedule (a run under way goes on). Audited.
    pub async fn delete_schedule(&self, actor: &str, id: Uuid) -> Result<()> {
        let scope = self.session_scope(id).await?;
        let audit = scope.audit(actor, "schedule_delete");
        let mut c = self.conn().await?;
        let outcome = match store::delete_schedule(&mut c, id.into()).await? {
            true => Ok(()),
            false => Err(ServiceError::NotFound(format!(
                "no schedule for session {id}"
            ))),
        };
        drop(c);
        self.record(&audit, &outcome, None).await;
        outcome
    }

    /// The session's schedule, recovery point and last runs.
    pub async fn recovery(&self, id: Uuid) -> Result<RecoveryView> {
        let mut c = self.conn().await?;
        if store::get_session(&mut c, id.into()).await?.is_none() {
            return Err(ServiceError::NotFound(format!("session {id}")));
        }
        let schedule = store::get_schedule(&mut c, id.into()).await?;
        let recovery_point = store::recovery_point(&mut c, id.into()).await?;
        let self_heal = store::self_heal_of(&mut c, id.into()).await?;
        drop(c);
        let runs = self
            .operations(&OperationQuery {
                session: Some(id),
                kind: Some(OperationKind::ScheduledSync),
                limit: Some(10),
                ..Default::default()
            })
            .await?;
        let overdue = overdue(schedule.as_ref(), recovery_point, Utc::now());
        let default = self.health_config().self_heal;
        Ok(RecoveryView {
            schedule: schedule.as_ref().map(view_of),
            recovery_point,
            overdue,
            runs,
            self_heal: self_heal.unwrap_or(default),
            self_heal_default: default,
        })
    }

    /// Turns self-healing on or off for a session (None: the server's default). Audited.
    pub async fn set_self_heal(
        &self,
        actor: &str,
        id: Uuid,
        on: Option<bool>,
    ) -> Result<RecoveryView> {
        let scope = self.session_scope(id).await?;
        let mut audit = scope.audit(actor, "self_heal_set");
        audit.target = format!(
            "{} self_heal={}",
            scope.target_text(),
            on.map_or("default".into(), |o| o.to_string())
        );
        let mut c = self.conn().await?;
        let outcome = store::set_self_heal(&mut c, id.into(), on, Utc::now())
            .await
            .map_err(ServiceError::from);
        drop(c);
        self.record(&audit, &outcome, None).await;
        outcome?;
        self.recovery(id).await
    }

    /// Runs a DR sync of the session now (see the module); `timeout`: the schedule's, else
    /// the default. Audited; an alert when it fails.
    pub(super) async fn dr_sync_now(
        &self,
        actor: &str,
        id: Uuid,
        timeout: Option<i64>,
    ) -> Result<DrOutcome> {
        let timeout = match timeout {
            Some(t) => t,
            None => {
                let mut c = self.conn().await?;
                store::get_schedule(&mut c, id.into())
                    .await?
                    .map_or(DEFAULT_TIMEOUT, |s| s.timeout_seconds)
            }
        };
        let ctx = self.health_ctx(id).await?;
        let audit = ctx.at.audit(actor, "dr_sync");
        if let Err(e) = self.refuse_if_failed_over(id, "a DR sync").await {
            return self.refuse(&audit, e).await;
        }
        let params = DrParams {
            timeout,
            started: None,
        };
        let plan = dr_plan(id, actor).params(serde_json::to_value(&params).unwrap_or_default());
        let op = self.begin_audited(plan, &audit).await?;
        self.run_dr(op, audit, 1, params).await
    }

    /// Takes over a run a dead georep left at `row.step` and finishes it in the background.
    pub(super) async fn resume_dr_sync(&self, row: OperationRow) -> Result<()> {
        let id = row
            .session_id
            .map(|s| s.into_uuid())
            .ok_or_else(|| ServiceError::NotFound("a DR sync without a session".into()))?;
        let params: DrParams = serde_json::from_str(&row.params).unwrap_or(DrParams {
            timeout: DEFAULT_TIMEOUT,
            started: None,
        });
        let ctx = self.health_ctx(id).await?;
        let audit = Audit {
            operation_id: Some(row.id),
            ..ctx.at.audit(&row.actor, "dr_sync")
        };
        let from = match row.step {
            0 | 1 => 1,
            2..=4 => 2,
            _ => 5,
        };
        let op = self
            .adopt(&row, Quiet::session(id, &["checkpoint"]))
            .await?;
        tracing::info!(operation = %row.id, step = row.step, "resuming a DR sync");
        let s = self.clone();
        tokio::spawn(async move {
            if let Err(e) = s.run_dr(op, audit, from, params).await {
                tracing::warn!(session = %id, error = %e, "resumed DR sync ended in error");
            }
        });
        Ok(())
    }

    /// Steps `from..=5` of a run, then the outcome recorded (and alerted when it failed).
    async fn run_dr(
        &self,
        op: Operation,
        audit: Audit,
        from: i64,
        mut params: DrParams,
    ) -> Result<DrOutcome> {
        let id = audit.session()?;
        // the health lane too: no scheduled probe sets its own checkpoint meanwhile (a lock
        // that never begins a step leaves no row)
        let outcome = match self.health_lane(id).await {
            Ok(lock) => {
                let r = self.dr_steps(&op, id, from, &mut params).await;
                lock.abandon().await;
                r
            }
            Err(e) => Err(e),
        };
        let (recovery_point, message) = match &outcome {
            Ok(o) => (
                o.recovery_point,
                Some(match o.recovery_point {
                    Some(t) => format!("recovery point {}", t.format("%Y-%m-%d %H:%M:%S UTC")),
                    None => "no recovery point".into(),
                }),
            ),
            Err(_) => (None, None),
        };
        let operation = op.id;
        op.finish_with(&audit, &outcome, message.as_deref(), recovery_point)
            .await;
        if let Err(e) = &outcome {
            if !matches!(e, ServiceError::Cancelled(_)) {
                self.alert(&audit, "dr_sync_failed", &e.to_string());
            }
        }
        outcome.map(|o| DrOutcome { operation, ..o })
    }

    /// The session's health lane (no probe sets its own checkpoint meanwhile), waited for.
    pub(super) async fn health_lane(&self, id: Uuid) -> Result<Operation> {
        let t0 = std::time::Instant::now();
        loop {
            let plan = Plan::new(
                OperationKind::Probe,
                Subject::Session(id),
                Lane::Health,
                SCHEDULE_ACTOR,
            );
            match self.begin(plan).await {
                Err(ServiceError::Busy(_)) if t0.elapsed() < HEALTH_LANE_WAIT => {
                    tokio::time::sleep(Duration::from_secs(2)).await
                }
                other => return other,
            }
        }
    }

    async fn dr_steps(
        &self,
        op: &Operation,
        id: Uuid,
        from: i64,
        params: &mut DrParams,
    ) -> Result<DrOutcome> {
        let timeout = Duration::from_secs(params.timeout.max(1) as u64);
        // 1. start, unless it replicates already (then the run leaves it running)
        if from <= 1 {
            let started = self.start_unless_running(op, 1, id).await?;
            params.started = Some(started);
            op.save_params(&serde_json::to_value(&*params).unwrap_or_default())
                .await;
        }
        let started = params.started.unwrap_or(false);
        // 2–4. the probe's steps with the run's timeout; a failure or a cancel still stops
        let (report, failure) = match from <= 4 {
            true => {
                self.checkpoint_steps(op, 1, id, timeout, SCHEDULE_ACTOR)
                    .await
            }
            false => (None, None),
        };
        // 5. stop what the run started
        if started {
            self.stop_unless_stopped(op, 5, id, false).await?;
        } else {
            op.leave(5, StepState::Skipped, Some("the run did not start it"))
                .await;
        }
        if let Some(e) = failure {
            return Err(e);
        }
        Ok(DrOutcome {
            operation: op.id,
            recovery_point: report.as_ref().and_then(|r| r.checkpoint),
            probe: report,
            started,
        })
    }

    /// Step `position` of `op`: starts the session unless it replicates already; whether it
    /// did. A paused session is refused (what an admin paused stays paused).
    pub(super) async fn start_unless_running(
        &self,
        op: &Operation,
        position: i64,
        id: Uuid,
    ) -> Result<bool> {
        let ctx = self.health_ctx(id).await?;
        match ctx.at.session.status {
            SessionStatus::Created | SessionStatus::Stopped => {
                let quiet = Quiet::session(id, &["checkpoint"]);
                self.run_action(
                    op,
                    position,
                    &ctx.at,
                    SessionAction::Start,
                    false,
                    false,
                    quiet,
                )
                .await?;
                Ok(true)
            }
            SessionStatus::Paused => {
                let why = "the session is paused: georep does not resume what an admin paused";
                op.leave(position, StepState::Failed, Some(why)).await;
                Err(ServiceError::Conflict(why.into()))
            }
            other => {
                let note = format!("already {}: left running", other.as_api());
                op.leave(position, StepState::Skipped, Some(&note)).await;
                Ok(false)
            }
        }
    }

    /// Step `position` of `op`: stops the session (`force`: also with nodes down) unless
    /// gluster shows it stopped already.
    pub(super) async fn stop_unless_stopped(
        &self,
        op: &Operation,
        position: i64,
        id: Uuid,
        force: bool,
    ) -> Result<()> {
        let ctx = self.health_ctx(id).await?;
        if matches!(
            ctx.at.session.status,
            SessionStatus::Stopped | SessionStatus::Created
        ) {
            op.leave(position, StepState::Skipped, Some("already stopped"))
                .await;
            return Ok(());
        }
        let quiet = Quiet::session(id, &["checkpoint"]);
        self.run_action(
            op,
            position,
            &ctx.at,
            SessionAction::Stop,
            force,
            false,
            quiet,
        )
        .await
        .map(|_| ())
    }

    /// Steps `base + 1..=base + 3` of `op`: the probe with `timeout` for the crawl and the
    /// checkpoint; its report, and why it did not reach the checkpoint.
    pub(super) async fn checkpoint_steps(
        &self,
        op: &Operation,
        base: i64,
        id: Uuid,
        timeout: Duration,
        trigger: &str,
    ) -> (Option<ProbeReport>, Option<ServiceError>) {
        let ctx = match self.health_ctx(id).await {
            Ok(ctx) => ctx,
            Err(e) => return (None, Some(e)),
        };
        let waits = Waits {
            crawl: timeout,
            checkpoint: timeout,
            after_start: true,
        };
        match self.probe_locked(&ctx, trigger, waits, op, base).await {
            Ok(r) if r.result == ProbeResult::Passed => (Some(r), None),
            Ok(r) => {
                let e = ServiceError::Incomplete(format!(
                    "the checkpoint was not reached: {}",
                    r.message
                        .clone()
                        .unwrap_or_else(|| r.result.as_str().into())
                ));
                (Some(r), Some(e))
            }
            Err(e) => (None, Some(e)),
        }
    }

    /// An alert about a session: an event and the webhook.
    pub(in crate::service) fn alert(&self, audit: &Audit, kind: &'static str, reason: &str) {
        tracing::warn!(target = %audit.target, kind, reason, "alert");
        let s = self.clone();
        let (audit, reason) = (audit.clone(), reason.to_owned());
        tokio::spawn(async move {
            let event = Audit {
                actor: "georep".into(),
                action: kind.into(),
                ..audit.clone()
            };
            let failed: Result<()> = Err(ServiceError::Incomplete(reason.clone()));
            s.record(&event, &failed, Some(&reason)).await;
            s.send_alert(kind, &audit, &reason);
        });
    }
}

/// A session's DR state for `/metrics`.
#[derive(Clone, Debug, Default)]
pub struct DrFacts {
    pub recovery_point: Option<DateTime<Utc>>,
    pub overdue: bool,
    /// The last DR run that ended failed (or needs attention).
    pub last_run_failed: Option<bool>,
    /// Failed over (or failing back).
    pub failed_over: bool,
}

impl Service {
    /// Every session's DR state, and how many operations are in each unfinished (or
    /// needs-attention) state.
    pub async fn dr_facts(
        &self,
    ) -> Result<(std::collections::HashMap<Uuid, DrFacts>, Vec<(String, i64)>)> {
        let mut c = self.conn().await?;
        let schedules = store::all_schedules(&mut c).await?;
        let now = Utc::now();
        let mut facts: std::collections::HashMap<Uuid, DrFacts> = store::dr_facts(&mut c)
            .await?
            .into_iter()
            .map(|(id, point, last)| {
                let schedule = schedules.iter().find(|s| s.session_id == id);
                let f = DrFacts {
                    recovery_point: point,
                    overdue: overdue(schedule, point, now),
                    last_run_failed: last.map(|s| s != "succeeded" && s != "cancelled"),
                    failed_over: false,
                };
                (id.into_uuid(), f)
            })
            .collect();
        for f in store::failovers_in_effect(&mut c).await? {
            facts
                .entry(f.session_id.into_uuid())
                .or_default()
                .failed_over = true;
        }
        let counts = store::operation_counts(&mut c).await?;
        Ok((facts, counts))
    }
}

/// A run's plan: 1 start, 2–4 the probe, 5 stop.
fn dr_plan(id: Uuid, actor: &str) -> Plan {
    probe_steps(
        Plan::new(
            OperationKind::ScheduledSync,
            Subject::Session(id),
            Lane::Change,
            actor,
        )
        .quiet(Quiet::session(id, &["checkpoint"]))
        .cancellable()
        .step("start the session (unless it replicates already)", true),
    )
    .step("stop the session (if this run started it)", true)
}

fn check_schedule(session: Id, input: &ScheduleInput) -> Result<ScheduleRow> {
    let tz = input.time_zone.clone().unwrap_or_else(|| "UTC".into());
    if chrono_tz::Tz::from_str(&tz).is_err() {
        return Err(ServiceError::Invalid(format!(
            "time zone {tz:?}: an IANA name such as UTC or Europe/Berlin"
        )));
    }
    let (cron, every) = match &input.every {
        Every::Cron(c) => {
            let c = c.trim();
            if c.split_whitespace().count() != 5 {
                return Err(ServiceError::Invalid(format!(
                    "cron {c:?}: five fields (minute hour day month weekday)"
                )));
            }
            croner::Cron::from_str(c)
                .map_err(|e| ServiceError::Invalid(format!("cron {c:?}: {e}")))?;
            (Some(c.to_owned()), None)
        }
        Every::Seconds(s) if *s < MIN_EVERY => {
            return Err(ServiceError::Invalid(format!(
                "every {s} s: at least {MIN_EVERY} s"
            )))
        }
        Every::Seconds(s) => (None, Some(*s)),
    };
    let timeout = input.timeout_seconds.unwrap_or(DEFAULT_TIMEOUT);
    if !(30..=86_400).contains(&timeout) {
        return Err(ServiceError::Invalid(format!(
            "timeout {timeout} s: 30 to 86400"
        )));
    }
    if input.rpo_seconds.is_some_and(|r| r < 60) {
        return Err(ServiceError::Invalid("rpo: at least 60 s".into()));
    }
    Ok(ScheduleRow {
        session_id: session,
        enabled: input.enabled.unwrap_or(true),
        cron,
        every_seconds: every,
        time_zone: tz,
        timeout_seconds: timeout,
        rpo_seconds: input.rpo_seconds,
        next_run_at: None,
        updated_at: Utc::now(),
    })
}

fn describe(s: &ScheduleRow) -> String {
    let when = match (&s.cron, s.every_seconds) {
        (Some(c), _) => format!("cron {c:?} {}", s.time_zone),
        (None, Some(e)) => format!("every {e} s"),
        _ => "never".into(),
    };
    format!(
        "{when}, timeout {} s{}{}",
        s.timeout_seconds,
        s.rpo_seconds
            .map_or(String::new(), |r| format!(", rpo {r} s")),
        if s.enabled { "" } else { " (disabled)" }
    )
}

/// Whether the recovery point is older than the schedule's RPO (no point at all is overdue
/// once a run should have made one).
pub(super) fn overdue(
    s: Option<&ScheduleRow>,
    point: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> bool {
    let Some((s, rpo)) = s.and_then(|s| s.rpo_seconds.map(|r| (s, r))) else {
        return false;
    };
    let since = point.unwrap_or(s.updated_at);
    s.enabled && (now - since).num_seconds() > rpo
}

/// The schedule loop: runs due DR syncs (each in its own task), alerts when a recovery point
/// is overdue (once, until it is fresh again). Stops when `stop` turns true.
pub async fn run(service: Service, mut stop: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut alerted: HashSet<Uuid> = HashSet::new();
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        service.fence_failed_over().await;
        let rows = match service.conn().await {
            Ok(mut c) => store::all_schedules(&mut c).await.unwrap_or_default(),
            Err(_) => continue,
        };
        let now = Utc::now();
        for s in rows {
            let id = s.session_id.into_uuid();
            if s.enabled {
                let point = match service.conn().await {
                    Ok(mut c) => store::recovery_point(&mut c, s.session_id)
                        .await
                        .ok()
                        .flatten(),
                    Err(_) => None,
                };
                if overdue(Some(&s), point, now) {
                    if alerted.insert(id) {
                        if let Ok(scope) = service.session_scope(id).await {
                            let audit = scope.audit(SCHEDULE_ACTOR, "recovery_point_overdue");
                            let why = format!(
                                "recovery point {} is older than {} s",
                                point.map_or("(none yet)".into(), |p| p.to_rfc3339()),
                                s.rpo_seconds.unwrap_or_default()
                            );
                            service.alert(&audit, "recovery_point_overdue", &why);
                        }
                    }
                } else {
                    alerted.remove(&id);
                }
            }
            let due = s.enabled && s.next_run_at.is_none_or(|t| t <= now);
            if !due {
                continue;
            }
            let next = next_run(&s, now);
            // one georep takes a due run (the others see next_run_at moved)
            let taken = match service.conn().await {
                Ok(mut c) => store::advance_schedule(&mut c, s.session_id, s.next_run_at, next)
                    .await
                    .unwrap_or(false),
                Err(_) => false,
            };
            if !taken || s.next_run_at.is_none() {
                continue;
            }
            let (svc, timeout) = (service.clone(), s.timeout_seconds);
            tokio::spawn(async move {
                // a failed-over session's slave takes writes: no run until the failback
                if let Ok(Some(f)) = svc.failover_record(id).await {
                    tracing::info!(session = %id, role = f.role.as_str(), "scheduled DR sync skipped: failed over");
                    return;
                }
                match svc.dr_sync_now(SCHEDULE_ACTOR, id, Some(timeout)).await {
                    Ok(o) => {
                        tracing::info!(session = %id, recovery_point = ?o.recovery_point, "scheduled DR sync")
                    }
                    Err(e) => tracing::warn!(session = %id, error = %e, "scheduled DR sync"),
                }
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn row(cron: Option<&str>, every: Option<i64>, tz: &str) -> ScheduleRow {
        ScheduleRow {
            session_id: Uuid::nil().into(),
            enabled: true,
            cron: cron.map(str::to_owned),
            every_seconds: every,
            time_zone: tz.into(),
            timeout_seconds: 60,
            rpo_seconds: Some(3600),
            next_run_at: None,
            updated_at: Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(),
        }
    }

    #[test]
    fn cron_is_read_in_the_schedules_zone() {
        let at = Utc.with_ymd_and_hms(2026, 12, 1, 10, 30, 0).unwrap();
        // 11:00 in Berlin (UTC+1 in December) is 10:00 UTC: the next one is tomorrow's
        let next = next_run(&row(Some("0 11 * * *"), None, "Europe/Berlin"), at).unwrap();
        assert_eq!(next, Utc.with_ymd_and_hms(2026, 12, 2, 10, 0, 0).unwrap());
        let next = next_run(&row(Some("*/15 * * * *"), None, "UTC"), at).unwrap();
        assert_eq!(next, Utc.with_ymd_and_hms(2026, 12, 1, 10, 45, 0).unwrap());
        let next = next_run(&row(None, Some(300), "UTC"), at).unwrap();
        assert_eq!(next, at + chrono::Duration::seconds(300));
    }

    #[test]
    fn bad_schedules_are_refused_with_the_reason() {
        let s = Uuid::nil().into();
        let input = |every, tz: &str| ScheduleInput {
            every,
            time_zone: Some(tz.into()),
            enabled: None,
            timeout_seconds: None,
            rpo_seconds: None,
        };
        for (every, tz) in [
            (Every::Cron("61 * * * *".into()), "UTC"),
            (Every::Cron("* * * *".into()), "UTC"),
            (Every::Seconds(10), "UTC"),
            (Every::Seconds(600), "Mars/Olympus"),
        ] {
            assert!(matches!(
                check_schedule(s, &input(every, tz)),
                Err(ServiceError::Invalid(_))
            ));
        }
        assert!(
            check_schedule(s, &input(Every::Cron("0 */6 * * 1-5".into()), "Asia/Tokyo")).is_ok()
        );
    }

    #[test]
    fn a_recovery_point_older_than_the_rpo_is_overdue() {
        let s = row(None, Some(600), "UTC");
        let now = s.updated_at + chrono::Duration::seconds(7200);
        assert!(overdue(Some(&s), None, now));
        assert!(overdue(
            Some(&s),
            Some(now - chrono::Duration::seconds(3601)),
            now
        ));
        assert!(!overdue(
            Some(&s),
            Some(now - chrono::Duration::seconds(60)),
            now
        ));
        assert!(!overdue(None, None, now));
    }
}
