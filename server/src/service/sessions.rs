//! The session lifecycle: create, start, stop, pause, resume, delete, options, checkpoint,
//! refresh. Every action is checked here before gluster is called (names, state machine,
//! eligibility, option values), runs one at a time per session, really happens on gluster, is
//! reflected in SQLite before it returns (the session's cluster is re-read at once) and is
//! recorded in the audit trail.
use app::domain::{
    ActionOutcome, Checkpoint, CreatedSession, Ineligibility, NewSession, SessionAction,
    SessionInfo, SessionOption, SessionStatus,
};
use chrono::Utc;
use uuid::Uuid;

use super::audit::Audit;
use super::names::{HostName, OptionKey, UserName, VolumeName};
use super::options;
use super::{Result, Service, ServiceError};
use crate::domain::hosts::{first_to_ask, target_of};
use crate::gluster::{GlusterError, Target};
use crate::store::{self, ClusterRow, SessionRow, VolumeRow};
use crate::sync::{self, Hold, Lane, Quiet, Subject};

/// How long a status an action caused is kept over gluster's stale reports.
const HOLD_SECS: i64 = 30;
/// `create push-pem` installs the keys on the slave in a hook that runs after it returned
/// (FINDINGS P6): starting earlier kills the monitor and leaves the session Created for ever.
const PUSH_PEM_SETTLE: std::time::Duration = std::time::Duration::from_secs(4);

/// Everything an action on a stored session needs.
type Ctx = super::scope::SessionScope;

fn info(s: &SessionRow) -> SessionInfo {
    SessionInfo {
        id: s.session_id.into_uuid(),
        master_volume_id: s.master_volume_id.into_uuid(),
        session_key: s.session_key.clone(),
        slave_host_name: s.slave_host_name.clone(),
        slave_volume_name: s.slave_volume_name.clone(),
        slave_volume_id: s.slave_volume_id.map(|v| v.into_uuid()),
        slave_user: s.slave_user.clone(),
        status: SessionStatus::from_db(&s.status),
        updated_at: s.updated_at,
    }
}

impl Service {
    /// Where the cluster's gluster CLI is asked: a connected host first.
    async fn target_of_cluster(&self, cluster: &ClusterRow) -> Result<Target> {
        let mut c = self.conn().await?;
        first_to_ask(store::hosts_of_cluster(&mut c, cluster.id).await?)
            .map(|h| target_of(&h))
            .ok_or_else(|| {
                ServiceError::Conflict(format!("cluster {} has no host to ask", cluster.name))
            })
    }

    async fn volume_and_cluster(&self, volume_id: Uuid) -> Result<(VolumeRow, ClusterRow)> {
        let mut c = self.conn().await?;
        let vol = store::get_volume(&mut c, volume_id.hyphenated())
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("volume {volume_id}")))?;
        let cluster = store::get_cluster(&mut c, vol.cluster_id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("cluster {}", vol.cluster_id)))?;
        Ok((vol, cluster))
    }

    async fn ctx(&self, id: Uuid) -> Result<Ctx> {
        self.session_scope(id).await
    }

    /// Re-reads the session's cluster now (one transaction, like a sync cycle), without
    /// recording the changes `quiet` covers as discoveries.
    async fn refresh_cluster(&self, cluster: &ClusterRow, quiet: &Quiet) -> Result<()> {
        self.syncer()
            .cluster_with(cluster, quiet)
            .await
            .map(|_| ())
            .map_err(|e| self.sync_error(cluster, e))
    }

    fn sync_error(&self, cluster: &ClusterRow, e: sync::SyncError) -> ServiceError {
        match e {
            sync::SyncError::Gluster(g) => ServiceError::Gluster(g),
            sync::SyncError::Store(s) => ServiceError::Store(s),
            sync::SyncError::NoHost => {
                ServiceError::Conflict(format!("cluster {} has no host to ask", cluster.name))
            }
        }
    }

    async fn stored_session(&self, id: Uuid) -> Result<Option<SessionRow>> {
        let mut c = self.conn().await?;
        Ok(store::get_session(&mut c, id.hyphenated()).await?)
    }

    /// Re-reads one session from gluster now; its stored form.
    pub async fn refresh_session(&self, id: Uuid) -> Result<SessionInfo> {
        let ctx = self.ctx(id).await?;
        self.refresh_cluster(&ctx.cluster, &Quiet::default())
            .await?;
        let s = self
            .stored_session(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("session {id} (gone from gluster)")))?;
        Ok(info(&s))
    }

    /// start, stop, pause, resume or delete. Without `force` the state machine decides first;
    /// with it, the check is skipped and `force` is passed to gluster (delete has no force in
    /// gluster: it only skips the check). `reset_sync_time` applies to delete.
    pub(super) async fn session_action_now(
        &self,
        actor: &str,
        id: Uuid,
        action: SessionAction,
        force: bool,
        reset_sync_time: bool,
    ) -> Result<ActionOutcome> {
        let quiet = Quiet::session(id, &[]);
        // claimed before the session is read: the state read is the one the action starts from
        let claim = self.claim(
            Subject::Session(id),
            Lane::Change,
            action.as_str(),
            quiet.clone(),
        );
        let ctx = self.ctx(id).await?;
        let audit = ctx.audit(actor, action.as_str());
        let outcome = match claim {
            Ok(_claim) => {
                self.run_action(&ctx, action, force, reset_sync_time, quiet)
                    .await
            }
            Err(busy) => Err(busy),
        };
        let message = outcome.as_ref().ok().and_then(|o| o.message.clone());
        self.record(&audit, &outcome, message.as_deref()).await;
        outcome
    }

    async fn run_action(
        &self,
        ctx: &Ctx,
        action: SessionAction,
        force: bool,
        reset_sync_time: bool,
        quiet: Quiet,
    ) -> Result<ActionOutcome> {
        let id = ctx.session.session_id.into_uuid();
        let status = SessionStatus::from_db(&ctx.session.status);
        if !force && !action.allowed_from().contains(&status) {
            return Err(ServiceError::WrongState { action, status });
        }
        let mut words = vec![action.as_str()];
        match action {
            SessionAction::Delete if reset_sync_time => words.push("reset-sync-time"),
            SessionAction::Delete => {}
            _ if force => words.push("force"),
            _ => {}
        }
        self.coord().touch(&ctx.session.session_key);
        let answer = self
            .gluster()
            .georep_action(&ctx.target, &ctx.master.name, &ctx.slave, &words)
            .await?;
        // the known outcome, at once; the details follow from a refresh in the background
        let sid = ctx.session.session_id;
        let stored = {
            let mut c = self.conn().await?;
            match action.outcome() {
                None => {
                    store::delete_session(&mut c, sid).await?;
                    None
                }
                Some((s, b)) => {
                    let now = Utc::now();
                    store::set_session_status(&mut c, sid, s.as_db(), b.as_db(), now).await?;
                    Some(SessionRow {
                        status: s.as_db().to_owned(),
                        updated_at: now,
                        ..ctx.session.clone()
                    })
                }
            }
        };
        // gluster answers `start` before its workers exist and reports Created/Stopped for
        // ~3 s; a refresh must not take the outcome back to that
        let stale = match action {
            SessionAction::Start => vec![SessionStatus::Created, SessionStatus::Stopped, status],
            SessionAction::Resume => vec![SessionStatus::Paused],
            _ => vec![],
        };
        if let (false, Some((held, _))) = (stale.is_empty(), action.outcome()) {
            self.coord().hold(
                id,
                Hold {
                    status: held,
                    stale,
                    until: Utc::now() + chrono::Duration::seconds(HOLD_SECS),
                },
            );
        }
        if action != SessionAction::Delete {
            self.refresh_later(ctx, quiet);
        }
        Ok(ActionOutcome {
            session: stored.as_ref().map(info),
            message: answer.message,
        })
    }

    /// Re-reads the session in the background, the action's changes kept out of the trail
    /// (a deleted one is gone from SQLite already: the loop confirms it).
    fn refresh_later(&self, ctx: &Ctx, quiet: Quiet) {
        let service = self.clone();
        let (cluster, master, slave) = (
            ctx.cluster.clone(),
            ctx.master.name.clone(),
            ctx.slave.clone(),
        );
        // the admin's next action goes first
        tokio::spawn(crate::gluster::follow_up(async move {
            let _acting = service.coord().quiet_while(quiet.clone());
            let read = service
                .syncer()
                .refresh_pair(&cluster, &master, &slave, &quiet, sync::PairRead::Acted)
                .await;
            if let Err(e) = read {
                // the next cycle of the loop catches up
                tracing::warn!(cluster = %cluster.name, error = %e, "refresh after an action failed");
            }
        }));
    }

    /// The eligibility reasons for a planned session, before anything is asked of gluster
    /// (the create dialog shows them while the admin types).
    pub async fn eligibility_for(
        &self,
        master_volume_id: Uuid,
        host: &str,
        volume: &str,
    ) -> Result<Vec<Ineligibility>> {
        let (master, _) = self.volume_and_cluster(master_volume_id).await?;
        self.eligibility(
            &master,
            &HostName::parse(host)?,
            &VolumeName::parse(volume)?,
        )
        .await
    }

    /// Why `host::volume` is not a good slave for `master`, as far as georep can know.
    pub async fn eligibility(
        &self,
        master: &VolumeRow,
        host: &HostName,
        volume: &VolumeName,
    ) -> Result<Vec<Ineligibility>> {
        let mut c = self.conn().await?;
        let mut reasons = Vec::new();
        let slave = store::volume_by_host_and_name(&mut c, host.as_str(), volume.as_str()).await?;
        for s in store::sessions_with_slave(
            &mut c,
            slave.as_ref().map(|v| v.id),
            host.as_str(),
            volume.as_str(),
        )
        .await?
        {
            reasons.push(Ineligibility::AlreadySlave {
                session_key: s.session_key,
            });
        }
        // a slave in a cluster georep does not manage: gluster's own verification (create
        // without force) checks the rest
        let Some(slave) = slave else {
            return Ok(reasons);
        };
        if slave.status != "Started" {
            reasons.push(Ineligibility::SlaveVolumeNotUp);
        }
        if slave.cluster_id == master.cluster_id {
            reasons.push(Ineligibility::SameCluster);
        }
        match (slave.size_total, master.size_total) {
            (None, _) => reasons.push(Ineligibility::SlaveSizeUnknown),
            (_, None) => reasons.push(Ineligibility::MasterSizeUnknown),
            (Some(s), Some(m)) if s < m => reasons.push(Ineligibility::SlaveSmallerThanMaster {
                slave: s,
                master: m,
            }),
            _ => {}
        }
        let bricks = store::bricks_of_volume(&mut c, slave.id).await?;
        if !bricks.iter().any(|b| b.status == "online") {
            reasons.push(Ineligibility::NoUpSlaveServer);
        }
        Ok(reasons)
    }

    /// Creates a session: eligibility first (refused without `force` when there is a reason),
    /// then `gsec_create` (once per cluster and process) and `create push-pem [force]`, then
    /// the cluster is re-read so the session is stored with its details and options.
    pub(super) async fn create_session_now(
        &self,
        actor: &str,
        new: NewSession,
    ) -> Result<CreatedSession> {
        let (master, cluster) = self.volume_and_cluster(new.master_volume_id).await?;
        let host = HostName::parse(&new.slave_host)?;
        let volume = VolumeName::parse(&new.slave_volume)?;
        let user = UserName::parse(new.slave_user.as_deref().unwrap_or(""))?;
        let slave = sync::slave_spec(user.as_str(), host.as_str(), volume.as_str());
        let audit = Audit {
            actor: actor.into(),
            action: "create".into(),
            cluster_id: Some(cluster.id),
            session_id: None,
            target: format!("{} -> {slave}", master.name),
        };
        let outcome = self
            .run_create(&master, &cluster, &host, &volume, &slave, new.force)
            .await;
        let audit = Audit {
            session_id: outcome.as_ref().ok().map(|c| c.session.id.hyphenated()),
            ..audit
        };
        let message = outcome.as_ref().ok().and_then(|c| c.message.clone());
        self.record(&audit, &outcome, message.as_deref()).await;
        let created = outcome?;
        if !new.start {
            return Ok(created);
        }
        tokio::time::sleep(PUSH_PEM_SETTLE).await;
        let started = self
            .session_action(
                actor,
                created.session.id,
                SessionAction::Start,
                false,
                false,
            )
            .await?;
        Ok(CreatedSession {
            session: started.session.unwrap_or(created.session),
            ..created
        })
    }

    async fn run_create(
        &self,
        master: &VolumeRow,
        cluster: &ClusterRow,
        host: &HostName,
        volume: &VolumeName,
        slave: &str,
        force: bool,
    ) -> Result<CreatedSession> {
        let quiet = Quiet::created(format!("{host}::{volume}"));
        let subject = Subject::NewSession {
            master: master.id.into_uuid(),
            slave: slave.to_owned(),
        };
        let _claim = self.claim(subject, Lane::Change, "create", quiet.clone())?;
        // SQLite lags behind a session deleted with the CLI by up to a cycle: one read of the
        // cluster before "already the slave" or "exists already" refuses on a stale row (if
        // the cluster cannot be read, what is stored decides)
        let mut stored = self.stored_pair(master, host, volume).await?;
        if stored.is_some() {
            if let Err(e) = self.refresh_cluster(cluster, &Quiet::default()).await {
                tracing::warn!(cluster = %cluster.name, error = %e, "create: cannot re-read the cluster; the stored sessions decide");
            }
            stored = self.stored_pair(master, host, volume).await?;
        }
        let mut reasons = self.eligibility(master, host, volume).await?;
        if !reasons.is_empty() && !force {
            return Err(ServiceError::NotEligible(reasons));
        }
        // the same session again is refused even with force (without, "already the slave"
        // refused it above): gluster would re-run its push-pem hook over the first one's,
        // and glusterd 10.3 was seen to deadlock on that
        if let Some(s) = stored {
            return Err(ServiceError::Conflict(format!(
                "the session {} -> {slave} exists already ({})",
                master.name, s.session_key
            )));
        }
        let target = self.target_of_cluster(cluster).await?;
        let first = !self
            .inner
            .gsec_done
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .contains(&cluster.id.into_uuid());
        if first {
            self.gluster().gsec_create(&target).await?;
            self.inner
                .gsec_done
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(cluster.id.into_uuid());
        }
        let mut words = vec!["create", "push-pem"];
        if force {
            words.push("force");
        }
        let answer = match self
            .gluster()
            .georep_action(&target, &master.name, slave, &words)
            .await
        {
            Ok(a) => a,
            // gluster's own verification (gverify: size, emptiness, versions) refused
            Err(GlusterError::Command { message, .. })
                if !force && gverify_reason(&message).is_some() =>
            {
                return Err(ServiceError::NotEligible(vec![
                    gverify_reason(&message).unwrap_or(Ineligibility::Gluster(message))
                ]));
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(r) = answer.message.as_deref().and_then(gverify_reason) {
            if !reasons.contains(&r) {
                reasons.push(r);
            }
        }
        self.syncer()
            .refresh_pair(
                cluster,
                &master.name,
                slave,
                &quiet,
                sync::PairRead::Created,
            )
            .await
            .map_err(|e| self.sync_error(cluster, e))?;
        let mut c = self.conn().await?;
        let session = store::sessions_of_volume(&mut c, master.id)
            .await?
            .into_iter()
            .find(|s| {
                s.slave_host_name.eq_ignore_ascii_case(host.as_str())
                    && s.slave_volume_name == volume.as_str()
            })
            .ok_or_else(|| {
                ServiceError::Gluster(GlusterError::Unreadable(format!(
                    "gluster created {slave} but does not list it"
                )))
            })?;
        Ok(CreatedSession {
            session: info(&session),
            reasons,
            message: answer.message,
        })
    }

    /// The stored session from `master` to `host::volume`, if SQLite has one.
    async fn stored_pair(
        &self,
        master: &VolumeRow,
        host: &HostName,
        volume: &VolumeName,
    ) -> Result<Option<SessionRow>> {
        let mut c = self.conn().await?;
        let slave_id = store::volume_by_host_and_name(&mut c, host.as_str(), volume.as_str())
            .await?
            .map(|v| v.id);
        Ok(
            store::sessions_with_slave(&mut c, slave_id, host.as_str(), volume.as_str())
                .await?
                .into_iter()
                .find(|s| s.master_volume_id == master.id),
        )
    }

    pub async fn session_options(&self, id: Uuid) -> Result<Vec<SessionOption>> {
        let mut c = self.conn().await?;
        if store::get_session(&mut c, id.hyphenated()).await?.is_none() {
            return Err(ServiceError::NotFound(format!("session {id}")));
        }
        let rows = store::config_of_session(&mut c, id.hyphenated()).await?;
        let policy = self.command_options();
        Ok(rows
            .into_iter()
            .map(|r| option_of(r.config_key, r.config_value, policy))
            .collect())
    }

    /// The option's stored value (what gluster's config read last), if SQLite has one.
    async fn stored_option(&self, id: Uuid, key: &str) -> Result<Option<String>> {
        let mut c = self.conn().await?;
        let rows = store::config_of_session(&mut c, id.hyphenated()).await?;
        Ok(rows
            .into_iter()
            .find(|r| r.config_key == key)
            .map(|r| r.config_value))
    }

    async fn option_now(&self, id: Uuid, key: &OptionKey) -> Result<SessionOption> {
        let value = self.stored_option(id, key.as_str()).await?;
        let spec = options::spec(key);
        Ok(option_of(
            key.as_str().to_owned(),
            value
                .or(spec.map(|s| s.default.to_owned()))
                .unwrap_or_default(),
            self.command_options(),
        ))
    }

    /// Sets one option (validated against gluster 10's rules and this server's command option
    /// policy before gluster sees it). Answers, and stores, what gluster's config reads back.
    pub(super) async fn set_option_now(
        &self,
        actor: &str,
        id: Uuid,
        key: &str,
        value: &str,
    ) -> Result<SessionOption> {
        let ctx = self.ctx(id).await?;
        let mut audit = ctx.audit(actor, "option_set");
        let parsed = OptionKey::parse(key)
            .and_then(|k| options::validate_set(&k, value).map(|(s, v)| (k, s, v)));
        let outcome = match parsed {
            Ok((k, spec, v)) => {
                audit.target = format!("{} {k}={v}", ctx.target_text());
                if let Some(why) = options::command_refusal(spec, self.command_options()) {
                    let refused: Result<(OptionKey, Change)> = Err(ServiceError::Forbidden(why));
                    return self.finish_option(&audit, id, refused).await;
                }
                let set = self
                    .config_call(&ctx, k.as_str(), &[&k.dashed(), &v], Some(spec))
                    .await;
                match set {
                    // gluster answered 0 but kept another value: never georep's
                    Ok(change)
                        if !change
                            .reads
                            .as_deref()
                            .is_some_and(|r| options::same_value(r, &v)) =>
                    {
                        Err(ServiceError::NotTaken {
                            key: k.to_string(),
                            sent: v,
                            reads: change.reads,
                        })
                    }
                    other => other.map(|change| (k, change)),
                }
            }
            Err(e) => {
                audit.target = format!("{} {key}", ctx.target_text());
                Err(e)
            }
        };
        self.finish_option(&audit, id, outcome).await
    }

    /// Resets one option to its default (`config '!key'`); answers, and stores, what
    /// gluster's config reads back.
    pub(super) async fn reset_option_now(
        &self,
        actor: &str,
        id: Uuid,
        key: &str,
    ) -> Result<SessionOption> {
        let ctx = self.ctx(id).await?;
        let mut audit = ctx.audit(actor, "option_reset");
        audit.target = format!("{} {key}", ctx.target_text());
        let outcome =
            match OptionKey::parse(key).and_then(|k| options::validate_reset(&k).map(|s| (k, s))) {
                Ok((k, spec)) => self
                    .config_call(&ctx, k.as_str(), &[&format!("!{}", k.dashed())], Some(spec))
                    .await
                    .map(|change| (k, change)),
                Err(e) => Err(e),
            };
        self.finish_option(&audit, id, outcome).await
    }

    async fn finish_option(
        &self,
        audit: &Audit,
        id: Uuid,
        outcome: Result<(OptionKey, Change)>,
    ) -> Result<SessionOption> {
        let message = outcome.as_ref().ok().map(|(k, change)| change.describe(k));
        self.record(audit, &outcome, message.as_deref()).await;
        let (key, _) = outcome?;
        self.option_now(id, &key).await
    }

    /// `config <words…>` under the session's lock. With `option`, gluster's config is read
    /// again at once and the option's value stored as gluster reads it (gluster may answer 0
    /// without having taken a value); the rest comes from a refresh in the background.
    async fn config_call(
        &self,
        ctx: &Ctx,
        key: &str,
        words: &[&str],
        option: Option<&options::Spec>,
    ) -> Result<Change> {
        let id = ctx.session.session_id.into_uuid();
        let quiet = Quiet::session(id, &[key]);
        let _claim = self.claim(
            Subject::Session(id),
            Lane::Change,
            &format!("config {key}"),
            quiet.clone(),
        )?;
        let mut all = vec!["config"];
        all.extend_from_slice(words);
        let was = self.stored_option(id, key).await?;
        self.coord().touch(&ctx.session.session_key);
        let answer = self
            .gluster()
            .georep_action(&ctx.target, &ctx.master.name, &ctx.slave, &all)
            .await?;
        let mut change = Change {
            message: answer.message,
            was,
            reads: None,
            command: option.is_some_and(|s| s.command),
        };
        if option.is_some() {
            let config = self
                .gluster()
                .georep_config(&ctx.target, &ctx.master.name, &ctx.slave)
                .await?;
            change.reads = config.into_iter().find(|(k, _)| k == key).map(|(_, v)| v);
            let mut c = self.conn().await?;
            match &change.reads {
                Some(v) => store::set_config_value(&mut c, ctx.session.session_id, key, v).await?,
                None => store::delete_config(&mut c, ctx.session.session_id, key).await?,
            }
        }
        self.refresh_later(ctx, quiet);
        Ok(change)
    }

    /// Sets a checkpoint: now, or a given time (gluster reads the label in the master node's
    /// local time; the lab's is UTC).
    pub(super) async fn set_checkpoint_now(
        &self,
        actor: &str,
        id: Uuid,
        at: Checkpoint,
    ) -> Result<ActionOutcome> {
        let ctx = self.ctx(id).await?;
        let label = match at {
            Checkpoint::Now => "now".to_owned(),
            Checkpoint::At(t) => t.format("%Y-%m-%d %H:%M:%S").to_string(),
        };
        let mut audit = ctx.audit(actor, "checkpoint");
        audit.target = format!("{} checkpoint={label}", ctx.target_text());
        let outcome = self
            .config_call(&ctx, "checkpoint", &["checkpoint", &label], None)
            .await
            .map(|change| change.message);
        let message = outcome.as_ref().ok().cloned().flatten();
        self.record(&audit, &outcome, message.as_deref()).await;
        let message = outcome?;
        Ok(ActionOutcome {
            session: self.stored_session(id).await?.as_ref().map(info),
            message,
        })
    }
}

/// What a `config` call did: gluster's note, and for an option its value before (as stored)
/// and as gluster's config reads it after.
struct Change {
    message: Option<String>,
    was: Option<String>,
    reads: Option<String>,
    command: bool,
}

impl Change {
    /// The audit message: old and new value (a command option says so), gluster's note.
    fn describe(&self, key: &OptionKey) -> String {
        let shown = |v: &Option<String>| {
            v.as_deref()
                .map_or("(not listed)".into(), |v| format!("{v:?}"))
        };
        let kind = if self.command { "command option " } else { "" };
        let mut m = format!(
            "{kind}{key}: {} -> {}",
            shown(&self.was),
            shown(&self.reads)
        );
        if let Some(note) = &self.message {
            m.push_str("; gluster: ");
            m.push_str(note);
        }
        m
    }
}

fn option_of(key: String, value: String, policy: options::CommandOptions) -> SessionOption {
    let spec = OptionKey::parse(&key).ok().and_then(|k| options::spec(&k));
    SessionOption {
        command_option: spec.is_some_and(|s| s.command),
        refused_reason: spec.and_then(|s| options::command_refusal(s, policy)),
        default_value: spec.map(|s| s.default.to_owned()),
        allowed_values: spec
            .map(|s| options::allowed_values(s.kind))
            .unwrap_or_default(),
        // an option gluster lists that gluster 10's table does not know cannot be validated
        read_only: spec.is_none_or(|s| !s.settable()),
        description: options::description(&key).to_owned(),
        min: spec.and_then(|s| match s.kind {
            options::Kind::Int { min, .. } => Some(min),
            _ => None,
        }),
        max: spec.and_then(|s| match s.kind {
            options::Kind::Int { max, .. } => Some(max),
            _ => None,
        }),
        key,
        value,
    }
}

/// gverify's refusals (create without force), by their text.
fn gverify_reason(message: &str) -> Option<Ineligibility> {
    let m = message.to_ascii_lowercase();
    if m.contains("is not empty") {
        Some(Ineligibility::NotEmpty)
    } else if m.contains("version mismatch") {
        Some(Ineligibility::VersionMismatch(message.to_owned()))
    } else if m.contains("disk size") || m.contains("available size") {
        Some(Ineligibility::Gluster(message.to_owned()))
    } else {
        None
    }
}
