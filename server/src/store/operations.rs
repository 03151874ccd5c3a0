//! Operations and their steps (`operations`, `operation_steps`). Inserting a running operation
//! is taking its session's lock: the partial unique index refuses a second one per subject and
//! lane, whatever process asks.
use app::operations::{OperationKind, OperationState, StepState};
use chrono::{DateTime, Utc};
use sqlx::FromRow;

use super::{Conn, Id, Result, StoreError};

#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct OperationRow {
    pub id: Id,
    pub parent_id: Option<Id>,
    #[sqlx(try_from = "String")]
    pub kind: OperationKind,
    pub subject: String,
    pub lane: String,
    pub session_id: Option<Id>,
    pub cluster_id: Option<Id>,
    pub target: String,
    pub actor: String,
    #[sqlx(try_from = "String")]
    pub state: OperationState,
    pub params: String,
    pub step: i64,
    pub cancellable: bool,
    pub cancel_requested: bool,
    pub owner: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub message: Option<String>,
    pub recovery_point: Option<DateTime<Utc>>,
    /// What it waits for an admin to confirm, while it does.
    pub confirm_prompt: Option<String>,
    /// The step an admin confirmed (0: none; kept: a resumed run does not ask twice).
    pub confirmed: i64,
}

#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct StepRow {
    pub operation_id: Id,
    pub position: i64,
    pub name: String,
    #[sqlx(try_from = "String")]
    pub state: StepState,
    pub repeatable: bool,
    pub command: Option<String>,
    pub message: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

const OP_COLUMNS: &str = "id, parent_id, kind, subject, lane, session_id, cluster_id, target, \
    actor, state, params, step, cancellable, cancel_requested, owner, created_at, updated_at, \
    finished_at, message, recovery_point, confirm_prompt, confirmed";

const STEP_COLUMNS: &str =
    "operation_id, position, name, state, repeatable, command, message, started_at, finished_at";

/// A step as planned when its operation begins.
#[derive(Clone, Debug)]
pub struct PlannedStep {
    pub name: String,
    pub repeatable: bool,
}

/// Inserts `op` (running, or queued) with its planned steps, in one transaction. A second
/// running operation of the same subject and lane is refused: `Err(Some(holder))` names the
/// one that holds it.
pub async fn insert_operation(
    conn: &mut dyn Conn,
    op: &OperationRow,
    steps: &[PlannedStep],
) -> Result<std::result::Result<(), Option<OperationRow>>> {
    let mut tx = conn.begin().await?;
    let inserted = exec!(tx => |db| sqlx::query(
        "INSERT INTO operations (id, parent_id, kind, subject, lane, session_id, cluster_id,
             target, actor, state, params, step, cancellable, cancel_requested, owner,
             created_at, updated_at, finished_at, message, recovery_point)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 0, $12, FALSE, $13, $14, $15, NULL, NULL, NULL)",
    )
    .bind(op.id)
    .bind(op.parent_id)
    .bind(op.kind.as_str())
    .bind(&op.subject)
    .bind(&op.lane)
    .bind(op.session_id)
    .bind(op.cluster_id)
    .bind(&op.target)
    .bind(&op.actor)
    .bind(op.state.as_str())
    .bind(&op.params)
    .bind(op.cancellable)
    .bind(&op.owner)
    .bind(op.created_at)
    .bind(op.created_at)
    );
    match inserted {
        Ok(_) => {}
        Err(sqlx::Error::Database(db)) if db.is_unique_violation() => {
            drop(tx);
            return Ok(Err(holder(conn, &op.subject, &op.lane).await?));
        }
        Err(e) => return Err(StoreError::Db(e)),
    }
    for (i, s) in steps.iter().enumerate() {
        exec!(tx => |db| sqlx::query(
            "INSERT INTO operation_steps (operation_id, position, name, state, repeatable)
             VALUES ($1, $2, $3, 'pending', $4)",
        )
        .bind(op.id)
        .bind(i as i64 + 1)
        .bind(&s.name)
        .bind(s.repeatable)
        )?;
    }
    tx.commit().await?;
    Ok(Ok(()))
}

/// The running operation that holds `subject` in `lane`, if any.
pub async fn holder(
    conn: &mut dyn Conn,
    subject: &str,
    lane: &str,
) -> Result<Option<OperationRow>> {
    let sql = format!(
        "SELECT {OP_COLUMNS} FROM operations
         WHERE subject = $1 AND lane = $2 AND state IN ('running', 'waiting')"
    );
    Ok(on!(conn => |db| sqlx::query_as(&sql)
        .bind(subject)
        .bind(lane)
        .fetch_optional(db).await)?)
}

/// Adds a step after those planned (an operation that learns its steps as it goes).
pub async fn append_step(conn: &mut dyn Conn, op: Id, name: &str, repeatable: bool) -> Result<i64> {
    let position: i64 = on!(conn => |db| sqlx::query_scalar(
        "INSERT INTO operation_steps (operation_id, position, name, state, repeatable)
         VALUES ($1, (SELECT coalesce(max(position), 0) + 1 FROM operation_steps WHERE operation_id = $2),
                 $3, 'pending', $4)
         RETURNING position",
    )
    .bind(op)
    .bind(op)
    .bind(name)
    .bind(repeatable)
    .fetch_one(db).await)?;
    Ok(position)
}

/// Step `position` begins (the operation's current step), running `command` if given.
pub async fn begin_step(
    conn: &mut dyn Conn,
    op: Id,
    position: i64,
    command: Option<&str>,
    state: OperationState,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut tx = conn.begin().await?;
    exec!(tx => |db| sqlx::query(
        "UPDATE operation_steps SET state = 'running', command = $1, started_at = $2, message = NULL
         WHERE operation_id = $3 AND position = $4",
    )
    .bind(command)
    .bind(now)
    .bind(op)
    .bind(position)
    )?;
    exec!(tx => |db| sqlx::query("UPDATE operations SET step = $1, state = $2, updated_at = $3 WHERE id = $4")
    .bind(position)
    .bind(state.as_str())
    .bind(now)
    .bind(op)
    )?;
    tx.commit().await?;
    Ok(())
}

/// Step `position` ended in `state` with `message`.
pub async fn end_step(
    conn: &mut dyn Conn,
    op: Id,
    position: i64,
    state: StepState,
    message: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    exec!(conn => |db| sqlx::query(
        "UPDATE operation_steps SET state = $1, message = $2, finished_at = $3
         WHERE operation_id = $4 AND position = $5",
    )
    .bind(state.as_str())
    .bind(message)
    .bind(now)
    .bind(op)
    .bind(position)
    )?;
    exec!(conn => |db| sqlx::query("UPDATE operations SET updated_at = $1 WHERE id = $2")
    .bind(now)
    .bind(op)
    )?;
    Ok(())
}

/// The operation ends in `state` (its lock freed); steps never begun are skipped (cancelled).
pub async fn finish_operation(
    conn: &mut dyn Conn,
    op: Id,
    state: OperationState,
    message: Option<&str>,
    recovery_point: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut tx = conn.begin().await?;
    let rest = match state {
        OperationState::Cancelled => StepState::Cancelled,
        _ => StepState::Skipped,
    };
    // a step still running ends with its operation
    let running = match state {
        OperationState::Succeeded => StepState::Succeeded,
        OperationState::Cancelled => StepState::Cancelled,
        _ => StepState::Failed,
    };
    exec!(tx => |db| sqlx::query(
        "UPDATE operation_steps SET
             state = CASE state WHEN 'pending' THEN $1 ELSE $2 END,
             finished_at = CASE state WHEN 'running' THEN $3 ELSE finished_at END
         WHERE operation_id = $4 AND state IN ('pending', 'running')",
    )
    .bind(rest.as_str())
    .bind(running.as_str())
    .bind(now)
    .bind(op)
    )?;
    exec!(tx => |db| sqlx::query(
        "UPDATE operations SET state = $1, message = $2, recovery_point = coalesce($3, recovery_point),
             finished_at = $4, updated_at = $5, confirm_prompt = NULL
         WHERE id = $6",
    )
    .bind(state.as_str())
    .bind(message)
    .bind(recovery_point)
    .bind(now)
    .bind(now)
    .bind(op)
    )?;
    tx.commit().await?;
    Ok(())
}

/// Removes an operation that ended before its first step (it was refused; its audit event
/// says why).
pub async fn delete_operation(conn: &mut dyn Conn, op: Id) -> Result<()> {
    exec!(conn => |db| sqlx::query("DELETE FROM operations WHERE id = $1")
    .bind(op)
    )?;
    Ok(())
}

/// Asks a running operation to stop at its next safe point; false when it is not running or
/// not cancellable.
pub async fn request_cancel(conn: &mut dyn Conn, op: Id, now: DateTime<Utc>) -> Result<bool> {
    let done = exec!(conn => |db| sqlx::query(
        "UPDATE operations SET cancel_requested = TRUE, updated_at = $1
         WHERE id = $2 AND finished_at IS NULL AND cancellable",
    )
    .bind(now)
    .bind(op)
    )?;
    Ok(done == 1)
}

/// The operation waits for an admin to confirm `prompt` (None: it no longer waits).
pub async fn set_confirm_prompt(
    conn: &mut dyn Conn,
    op: Id,
    prompt: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    exec!(conn => |db| sqlx::query("UPDATE operations SET confirm_prompt = $1, updated_at = $2 WHERE id = $3")
    .bind(prompt)
    .bind(now)
    .bind(op)
    )?;
    Ok(())
}

/// An admin confirms what a running operation waits for (its current step), once; false when
/// it waits for nothing.
pub async fn confirm_operation(conn: &mut dyn Conn, op: Id, now: DateTime<Utc>) -> Result<bool> {
    let done = exec!(conn => |db| sqlx::query(
        "UPDATE operations SET confirmed = step, confirm_prompt = NULL, updated_at = $1
         WHERE id = $2 AND finished_at IS NULL AND confirm_prompt IS NOT NULL",
    )
    .bind(now)
    .bind(op)
    )?;
    Ok(done == 1)
}

/// The step an admin confirmed (0: none), and whether a cancel was asked.
pub async fn confirmed_or_cancelled(conn: &mut dyn Conn, op: Id) -> Result<(i64, bool)> {
    Ok(
        on!(conn => |db| sqlx::query_as("SELECT confirmed, cancel_requested FROM operations WHERE id = $1")
            .bind(op)
            .fetch_optional(db).await)?
            .unwrap_or((0, false)),
    )
}

/// Whether an admin may still cancel it.
pub async fn set_cancellable(
    conn: &mut dyn Conn,
    op: Id,
    cancellable: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    exec!(conn => |db| sqlx::query("UPDATE operations SET cancellable = $1, updated_at = $2 WHERE id = $3")
    .bind(cancellable)
    .bind(now)
    .bind(op)
    )?;
    Ok(())
}

pub async fn cancel_requested(conn: &mut dyn Conn, op: Id) -> Result<bool> {
    Ok(
        on!(conn => |db| sqlx::query_scalar("SELECT cancel_requested FROM operations WHERE id = $1")
            .bind(op)
            .fetch_optional(db).await)?
            .unwrap_or(false),
    )
}

pub async fn get_operation(conn: &mut dyn Conn, id: Id) -> Result<Option<OperationRow>> {
    let sql = format!("SELECT {OP_COLUMNS} FROM operations WHERE id = $1");
    Ok(on!(conn => |db| sqlx::query_as(&sql).bind(id).fetch_optional(db).await)?)
}

pub async fn steps_of(conn: &mut dyn Conn, ops: &[Id]) -> Result<Vec<StepRow>> {
    if ops.is_empty() {
        return Ok(vec![]);
    }
    let marks = (1..=ops.len())
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ");
    let sql = format!(
        "SELECT {STEP_COLUMNS} FROM operation_steps WHERE operation_id IN ({marks})
         ORDER BY operation_id, position"
    );
    Ok(on!(conn => |db| {
        let mut q = sqlx::query_as(&sql);
        for id in ops {
            q = q.bind(*id);
        }
        q.fetch_all(db).await
    })?)
}

/// Which operations a list shows.
#[derive(Clone, Debug, Default)]
pub struct OperationFilter {
    pub session: Option<Id>,
    pub state: Option<OperationState>,
    pub kind: Option<OperationKind>,
    /// Unfinished ones only (queued, running, waiting).
    pub unfinished: bool,
    /// Older than this one (keyset paging: created_at, id).
    pub before: Option<(DateTime<Utc>, Id)>,
    pub limit: i64,
}

/// Newest first.
pub async fn list_operations(
    conn: &mut dyn Conn,
    f: &OperationFilter,
) -> Result<Vec<OperationRow>> {
    // an operation without steps is a lock another one takes beside its own (a DR run's
    // health lane): not listed
    let mut sql = format!(
        "SELECT {OP_COLUMNS} FROM operations o WHERE EXISTS
           (SELECT 1 FROM operation_steps s WHERE s.operation_id = o.id)"
    );
    let mut n = 0;
    let mut mark = || {
        n += 1;
        format!("${n}")
    };
    if f.session.is_some() {
        sql.push_str(&format!(" AND session_id = {}", mark()));
    }
    if f.state.is_some() {
        sql.push_str(&format!(" AND state = {}", mark()));
    }
    if f.kind.is_some() {
        sql.push_str(&format!(" AND kind = {}", mark()));
    }
    if f.unfinished {
        sql.push_str(" AND finished_at IS NULL");
    }
    if f.before.is_some() {
        sql.push_str(&format!(" AND (created_at, id) < ({}, {})", mark(), mark()));
    }
    sql.push_str(&format!(
        " ORDER BY created_at DESC, id DESC LIMIT {}",
        mark()
    ));
    Ok(on!(conn => |db| {
        let mut q = sqlx::query_as(&sql);
        if let Some(s) = f.session {
            q = q.bind(s);
        }
        if let Some(s) = f.state {
            q = q.bind(s.as_str());
        }
        if let Some(k) = f.kind {
            q = q.bind(k.as_str());
        }
        if let Some((at, id)) = f.before {
            q = q.bind(at).bind(id);
        }
        q.bind(f.limit).fetch_all(db).await
    })?)
}

/// Unfinished operations another process (or an earlier run of this one) owns.
pub async fn orphaned_operations(conn: &mut dyn Conn, owner: &str) -> Result<Vec<OperationRow>> {
    let sql = format!(
        "SELECT {OP_COLUMNS} FROM operations WHERE finished_at IS NULL AND owner <> $1
         ORDER BY created_at"
    );
    Ok(on!(conn => |db| sqlx::query_as(&sql).bind(owner).fetch_all(db).await)?)
}

/// Unfinished operations about the cluster: described as its own, on a session whose master
/// or slave volume is one of its volumes, or creating a session from one of them. Oldest first.
pub async fn unfinished_operations_of_cluster(
    conn: &mut dyn Conn,
    cluster: Id,
) -> Result<Vec<OperationRow>> {
    let sql = format!(
        "SELECT {OP_COLUMNS} FROM operations o WHERE o.finished_at IS NULL AND (
            o.cluster_id = $1
            OR o.session_id IN (
                SELECT s.session_id FROM gluster_georep_session s
                  JOIN gluster_volumes v ON v.id IN (s.master_volume_id, s.slave_volume_id)
                 WHERE v.cluster_id = $1)
            OR EXISTS (SELECT 1 FROM gluster_volumes v
                        WHERE v.cluster_id = $1 AND o.subject LIKE 'new:' || v.id || ':%'))
         ORDER BY o.created_at"
    );
    Ok(on!(conn => |db| sqlx::query_as(&sql).bind(cluster).fetch_all(db).await)?)
}

/// A session another georep process acts on (several processes on one PostgreSQL).
#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct ActedElsewhere {
    /// None: a session being created (`slave` names it).
    pub session_id: Option<Id>,
    pub session_key: Option<String>,
    /// `host::volume` of a session being created.
    pub slave: Option<String>,
    /// Whether one of its operations moved (began or ended a step) at or after `since`.
    pub moved: bool,
}

/// The sessions on which a process other than `me` runs an operation, or ran a step at or
/// after `since` (when a sync began to read gluster), and the sessions other processes are
/// creating: what the sync must neither overwrite with an older read nor record as changed
/// outside georep.
pub async fn acted_on_elsewhere(
    conn: &mut dyn Conn,
    me: &str,
    since: DateTime<Utc>,
) -> Result<Vec<ActedElsewhere>> {
    let rows: Vec<(Option<Id>, Option<String>, String, bool)> = on!(conn => |db| sqlx::query_as(
        "SELECT o.session_id, s.session_key, o.subject, max(o.updated_at) >= $2
           FROM operations o LEFT JOIN gluster_georep_session s ON s.session_id = o.session_id
          WHERE o.owner <> $1 AND (o.finished_at IS NULL OR o.updated_at >= $2)
            AND (o.session_id IS NOT NULL OR o.subject LIKE 'new:%')
          GROUP BY o.session_id, s.session_key, o.subject",
    )
    .bind(me)
    .bind(since)
    .fetch_all(db)
    .await)?;
    Ok(rows
        .into_iter()
        .map(|(session_id, session_key, subject, moved)| ActedElsewhere {
            slave: match session_id {
                None => subject.splitn(3, ':').nth(2).map(str::to_owned),
                Some(_) => None,
            },
            session_id,
            session_key,
            moved,
        })
        .collect())
}

/// Takes over an orphaned operation (a resumed run) from `from`, its dead owner: false when
/// another process took it first or it ended (taking one's own again is a yes).
pub async fn adopt_operation(
    conn: &mut dyn Conn,
    op: Id,
    from: &str,
    owner: &str,
    now: DateTime<Utc>,
) -> Result<bool> {
    Ok(exec!(conn => |db| sqlx::query(
        "UPDATE operations SET owner = $1, updated_at = $2
          WHERE id = $3 AND owner IN ($4, $1) AND finished_at IS NULL"
    )
    .bind(owner)
    .bind(now)
    .bind(op)
    .bind(from)
    )? == 1)
}

/// Finished operations older than `before` go (their audit events stay), the scheduled
/// probes (actor `health`, one per session every probe interval) after a day already; DR
/// runs stay (the recovery points).
pub async fn prune_operations(conn: &mut dyn Conn, before: DateTime<Utc>) -> Result<u64> {
    let day = Utc::now() - chrono::Duration::days(1);
    Ok(exec!(conn => |db| sqlx::query(
        "DELETE FROM operations WHERE finished_at IS NOT NULL AND kind <> 'scheduled_sync'
           AND (finished_at < $1 OR (actor = 'health' AND finished_at < $2))",
    )
    .bind(before)
    .bind(day)
    )?)
}

/// The newest recovery point of a session: the checkpoint its last completed DR sync reached.
pub async fn recovery_point(conn: &mut dyn Conn, session: Id) -> Result<Option<DateTime<Utc>>> {
    Ok(on!(conn => |db| sqlx::query_scalar(
        "SELECT max(recovery_point) FROM operations WHERE session_id = $1 AND state = 'succeeded'",
    )
    .bind(session)
    .fetch_one(db).await)?)
}

/// Every session's newest recovery point (as `recovery_point`, in one query: the overview).
pub async fn recovery_points(
    conn: &mut dyn Conn,
) -> Result<std::collections::HashMap<Id, DateTime<Utc>>> {
    let rows: Vec<(Id, DateTime<Utc>)> = on!(conn => |db| sqlx::query_as(
        "SELECT session_id, max(recovery_point) FROM operations
          WHERE session_id IS NOT NULL AND state = 'succeeded' AND recovery_point IS NOT NULL
          GROUP BY session_id",
    )
    .fetch_all(db).await)?;
    Ok(rows.into_iter().collect())
}

/// What an operation is about, once its session is located.
pub async fn describe_operation(
    conn: &mut dyn Conn,
    op: Id,
    session: Option<Id>,
    cluster: Option<Id>,
    target: &str,
) -> Result<()> {
    exec!(conn => |db| sqlx::query(
        "UPDATE operations SET session_id = coalesce($1, session_id),
             cluster_id = coalesce($2, cluster_id), target = $3 WHERE id = $4",
    )
    .bind(session)
    .bind(cluster)
    .bind(target)
    .bind(op)
    )?;
    Ok(())
}

/// An operation's resume data changes (a DR sync notes whether it started the session).
pub async fn set_params(conn: &mut dyn Conn, op: Id, params: &str) -> Result<()> {
    exec!(conn => |db| sqlx::query("UPDATE operations SET params = $1 WHERE id = $2")
    .bind(params)
    .bind(op)
    )?;
    Ok(())
}

#[derive(Clone, Debug, PartialEq, FromRow)]
pub struct ScheduleRow {
    pub session_id: Id,
    pub enabled: bool,
    pub cron: Option<String>,
    pub every_seconds: Option<i64>,
    pub time_zone: String,
    pub timeout_seconds: i64,
    pub rpo_seconds: Option<i64>,
    pub next_run_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

const SCHEDULE_COLUMNS: &str = "session_id, enabled, cron, every_seconds, time_zone, \
    timeout_seconds, rpo_seconds, next_run_at, updated_at";

pub async fn put_schedule(conn: &mut dyn Conn, s: &ScheduleRow) -> Result<()> {
    exec!(conn => |db| sqlx::query(
        "INSERT INTO sync_schedules (session_id, enabled, cron, every_seconds, time_zone,
             timeout_seconds, rpo_seconds, next_run_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (session_id) DO UPDATE SET enabled = excluded.enabled, cron = excluded.cron,
             every_seconds = excluded.every_seconds, time_zone = excluded.time_zone,
             timeout_seconds = excluded.timeout_seconds, rpo_seconds = excluded.rpo_seconds,
             next_run_at = excluded.next_run_at, updated_at = excluded.updated_at",
    )
    .bind(s.session_id)
    .bind(s.enabled)
    .bind(&s.cron)
    .bind(s.every_seconds)
    .bind(&s.time_zone)
    .bind(s.timeout_seconds)
    .bind(s.rpo_seconds)
    .bind(s.next_run_at)
    .bind(s.updated_at)
    )?;
    Ok(())
}

pub async fn get_schedule(conn: &mut dyn Conn, session: Id) -> Result<Option<ScheduleRow>> {
    let sql = format!("SELECT {SCHEDULE_COLUMNS} FROM sync_schedules WHERE session_id = $1");
    Ok(on!(conn => |db| sqlx::query_as(&sql)
        .bind(session)
        .fetch_optional(db).await)?)
}

pub async fn all_schedules(conn: &mut dyn Conn) -> Result<Vec<ScheduleRow>> {
    let sql = format!("SELECT {SCHEDULE_COLUMNS} FROM sync_schedules ORDER BY session_id");
    Ok(on!(conn => |db| sqlx::query_as(&sql).fetch_all(db).await)?)
}

pub async fn delete_schedule(conn: &mut dyn Conn, session: Id) -> Result<bool> {
    Ok(
        exec!(conn => |db| sqlx::query("DELETE FROM sync_schedules WHERE session_id = $1")
        .bind(session)
        )? == 1,
    )
}

/// Moves a schedule's next run (only if it is still `was`: two georeps never both run it).
pub async fn advance_schedule(
    conn: &mut dyn Conn,
    session: Id,
    was: Option<DateTime<Utc>>,
    next: Option<DateTime<Utc>>,
) -> Result<bool> {
    Ok(exec!(conn => |db| sqlx::query(
        "UPDATE sync_schedules SET next_run_at = $1 WHERE session_id = $2 AND next_run_at IS NOT DISTINCT FROM $3",
    )
    .bind(next)
    .bind(session)
    .bind(was)
    )? == 1)
}

/// A session's self-healing setting (None: the server's default).
pub async fn self_heal_of(conn: &mut dyn Conn, session: Id) -> Result<Option<bool>> {
    Ok(on!(conn => |db| sqlx::query_scalar::<_, Option<bool>>(
        "SELECT self_heal FROM session_policies WHERE session_id = $1",
    )
    .bind(session)
    .fetch_optional(db)
    .await)?
    .flatten())
}

pub async fn set_self_heal(
    conn: &mut dyn Conn,
    session: Id,
    on: Option<bool>,
    now: DateTime<Utc>,
) -> Result<()> {
    exec!(conn => |db| sqlx::query(
        "INSERT INTO session_policies (session_id, self_heal, updated_at) VALUES ($1, $2, $3)
         ON CONFLICT (session_id) DO UPDATE SET self_heal = excluded.self_heal,
             updated_at = excluded.updated_at",
    )
    .bind(session)
    .bind(on)
    .bind(now)
    )?;
    Ok(())
}

/// Operations of `kind` on a session since `since` by `actor` (self-healing's hourly budget).
pub async fn count_operations_since(
    conn: &mut dyn Conn,
    session: Id,
    kind: OperationKind,
    actor: &str,
    since: DateTime<Utc>,
) -> Result<i64> {
    Ok(on!(conn => |db| sqlx::query_scalar(
        "SELECT count(*) FROM operations
         WHERE session_id = $1 AND kind = $2 AND actor = $3 AND created_at >= $4",
    )
    .bind(session)
    .bind(kind.as_str())
    .bind(actor)
    .bind(since)
    .fetch_one(db).await)?)
}

/// Per session: the newest recovery point and the state of the last DR run that ended.
pub async fn dr_facts(
    conn: &mut dyn Conn,
) -> Result<Vec<(Id, Option<DateTime<Utc>>, Option<String>)>> {
    Ok(on!(conn => |db| sqlx::query_as(
        "SELECT s.session_id,
             (SELECT max(o.recovery_point) FROM operations o
               WHERE o.session_id = s.session_id AND o.state = 'succeeded'),
             (SELECT o.state FROM operations o
               WHERE o.session_id = s.session_id AND o.kind = 'scheduled_sync'
                 AND o.finished_at IS NOT NULL
               ORDER BY o.created_at DESC LIMIT 1)
         FROM gluster_georep_session s",
    )
    .fetch_all(db).await)?)
}

/// How many operations are in each unfinished-or-attention state.
pub async fn operation_counts(conn: &mut dyn Conn) -> Result<Vec<(String, i64)>> {
    Ok(on!(conn => |db| sqlx::query_as(
        "SELECT state, count(*) FROM operations
         WHERE finished_at IS NULL OR state = 'needs_attention' GROUP BY state",
    )
    .fetch_all(db).await)?)
}
