//! Creating a session: the eligibility of a slave (what georep can know before asking
//! gluster), then `create push-pem` and the first start.
use app::domain::{CreatedSession, Ineligibility, NewSession, SessionAction};
use uuid::Uuid;

use super::super::audit::Audit;
use super::super::names::{HostName, UserName, VolumeName};
use super::super::{Result, Service, ServiceError};
use super::info;
use super::nonroot::{PEM_KEYS_STEP, SETUP_STEPS};
use super::preflight::Planned;
use crate::gluster::GlusterError;
use crate::service::operations::{georep_command, Operation, Plan};
use crate::store::{self, ClusterRow, SessionRow, VolumeRow};
use crate::sync::{self, Lane, Quiet, Subject};
use app::operations::{OperationKind, StepState};
use app::preflight::{Check, Outcome, Preflight};
use futures_util::TryFutureExt;

/// `create push-pem` installs the keys on the slave in a hook that runs after it returned
/// (FINDINGS P6): starting earlier kills the monitor and leaves the session Created for ever.
pub(in crate::service) const PUSH_PEM_SETTLE: std::time::Duration =
    std::time::Duration::from_secs(4);

impl Service {
    /// The eligibility reasons for a planned session, before anything is asked of gluster
    /// (the create dialog shows them while the admin types; `user` None: not typed yet).
    pub async fn eligibility_for(
        &self,
        master_volume_id: Uuid,
        host: &str,
        volume: &str,
        user: Option<&str>,
    ) -> Result<Vec<Ineligibility>> {
        let (master, _) = self.volume_and_cluster(master_volume_id).await?;
        let user = user.map(UserName::parse).transpose()?;
        self.eligibility(
            &master,
            &HostName::parse(host)?,
            &VolumeName::parse(volume)?,
            user.as_ref(),
        )
        .await
    }

    /// Why `host::volume` is not a good slave for `master`, as far as georep can know. A
    /// session already into the volume is a reason when it is the same user's (`user` None:
    /// any user's): gluster keeps several into one slave volume apart by their users'
    /// mountbroker mounts. Master and slave volume name one session whatever the user (its
    /// directory is `<master>_<host>_<slave>`): that is refused as existing at create.
    pub async fn eligibility(
        &self,
        master: &VolumeRow,
        host: &HostName,
        volume: &VolumeName,
        user: Option<&UserName>,
    ) -> Result<Vec<Ineligibility>> {
        let mut c = self.conn().await?;
        let mut reasons = Vec::new();
        if master.status != "Started" {
            reasons.push(Ineligibility::MasterVolumeNotUp);
        }
        let slave = store::volume_by_host_and_name(&mut c, host.as_str(), volume.as_str()).await?;
        for s in store::sessions_with_slave(
            &mut c,
            slave.as_ref().map(|v| v.id),
            host.as_str(),
            volume.as_str(),
        )
        .await?
        .into_iter()
        .filter(|s| user.is_none_or(|u| same_user(&s.slave_user, u.as_str())))
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
        if !bricks
            .iter()
            .any(|b| b.status == app::domain::BrickState::Online)
        {
            reasons.push(Ineligibility::NoUpSlaveServer);
        }
        Ok(reasons)
    }

    /// The master's cluster and the slave's (when georep manages it) read from gluster now; the
    /// master volume as read. A cluster that cannot be read leaves what is stored to decide.
    pub(super) async fn read_again(
        &self,
        cluster: &ClusterRow,
        master: &VolumeRow,
        host: &HostName,
        volume: &VolumeName,
    ) -> Result<VolumeRow> {
        let slave_cluster = {
            let mut c = self.conn().await?;
            match store::volume_by_host_and_name(&mut c, host.as_str(), volume.as_str()).await? {
                Some(v) if v.cluster_id != cluster.id => {
                    store::get_cluster(&mut c, v.cluster_id).await?
                }
                _ => None,
            }
        };
        for c in std::iter::once(cluster).chain(slave_cluster.as_ref()) {
            if let Err(e) = self.refresh_cluster(c, &Quiet::default()).await {
                tracing::warn!(cluster = %c.name, error = %e, "create: cannot read the cluster again; what is stored decides");
            }
        }
        let mut c = self.conn().await?;
        Ok(store::get_volume(&mut c, master.id)
            .await?
            .unwrap_or_else(|| master.clone()))
    }

    /// Creates a session: eligibility first (refused without `force` when there is a reason),
    /// then `gsec_create` (once per cluster and process) and `create push-pem [force]`, then
    /// the cluster is re-read so the session is stored with its details and options.
    pub(in crate::service) async fn create_session_now(
        &self,
        actor: &str,
        new: NewSession,
    ) -> Result<CreatedSession> {
        let (master, cluster) = self.volume_and_cluster(new.master_volume_id).await?;
        let p = Planned::of(&new)?;
        let (host, volume) = (&p.host, &p.volume);
        let slave = sync::slave_spec(p.user.as_str(), host.as_str(), volume.as_str());
        let setup = match (new.setup_slave, p.user.as_str()) {
            (false, _) => None,
            (true, "root") => {
                return Err(ServiceError::Invalid(
                    "setup_slave: only a session of a user other than root needs the slave \
                     side set up (gluster's mountbroker)"
                        .into(),
                ))
            }
            (true, _) if new.no_verify => {
                return Err(ServiceError::Invalid(
                    "setup_slave: the set-up installs the session's keys after push-pem; \
                     no_verify leaves them to the admin"
                        .into(),
                ))
            }
            (true, _) => Some(self.planned_slave(&p).await?.ok_or_else(|| {
                ServiceError::Invalid(format!(
                    "setup_slave: {host}::{volume} is not a volume of a cluster georep \
                     manages; register the slave cluster first"
                ))
            })?),
        };
        let audit = Audit {
            actor: actor.into(),
            action: "create".into(),
            cluster_id: Some(cluster.id),
            session_id: None,
            target: format!("{} -> {slave}", master.name),
            operation_id: None,
        };
        let quiet = Quiet::created(format!("{host}::{volume}"));
        let subject = Subject::NewSession {
            master: master.id.into_uuid(),
            slave: slave.clone(),
        };
        if new.ssh_port == Some(0) {
            return Err(ServiceError::Invalid("ssh_port: 1 to 65535".into()));
        }
        let words = create_words(&new);
        let words: Vec<&str> = words.iter().map(String::as_str).collect();
        let mut plan =
            Plan::new(OperationKind::Create, subject, Lane::Change, actor).quiet(quiet.clone());
        let base = match setup {
            Some(_) => SETUP_STEPS.len() as i64,
            None => 0,
        };
        if setup.is_some() {
            for s in SETUP_STEPS {
                plan = plan.step(s, true);
            }
        }
        plan = plan
            .step("prepare the master cluster's ssh keys (gsec_create)", true)
            .step(georep_command(&master.name, &slave, &words), false)
            .step("read the new session from gluster", true);
        if setup.is_some() {
            plan = plan.step(PEM_KEYS_STEP, true);
        }
        let op = self.begin_audited(plan, &audit).await?;
        let outcome = async {
            let passed = self
                .check_before_create(&master, &cluster, &p, &new, setup.is_some())
                .await?;
            if let Some(s) = &setup {
                self.set_up_slave(&op, &cluster, &p, s, new.slave_group.as_deref())
                    .await?;
            }
            let mut created = self
                .run_create(
                    &op, base, &master, &cluster, host, volume, &slave, &words, new.force, &quiet,
                )
                .await?;
            if let Some(s) = &setup {
                self.install_session_keys(&op, base + 4, &master.name, &p, s)
                    .await?;
            }
            for r in passed {
                if !created.reasons.contains(&r) {
                    created.reasons.push(r);
                }
            }
            Ok(created)
        }
        .await;
        let audit = Audit {
            session_id: outcome.as_ref().ok().map(|c| c.session.id.into()),
            ..audit
        };
        let message = outcome.as_ref().ok().and_then(|c| c.message.clone());
        op.finish(&audit, &outcome, message.as_deref()).await;
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

    /// What stops a create, on a fresh read: eligibility (unless `force`) and the pre-flight's
    /// blocking checks. Answers what failed but `force` goes past (shown with the session).
    async fn check_before_create(
        &self,
        master: &VolumeRow,
        cluster: &ClusterRow,
        p: &Planned,
        new: &NewSession,
        setup: bool,
    ) -> Result<Vec<Ineligibility>> {
        let judged = |reasons: Vec<Ineligibility>, pre: &Preflight| {
            let blocking: Vec<Ineligibility> = pre
                .blocking(new.force, setup)
                .into_iter()
                // eligibility names the volume's own state (refused unless force)
                .filter(|c| {
                    !matches!(
                        c.check,
                        Check::SlaveStarted | Check::SlaveBricksUp | Check::SlaveSize
                    )
                })
                // no-verify: the admin put gsyncd's keys on the slave; root's own key is moot
                .filter(|c| {
                    !(new.no_verify
                        && matches!(c.check, Check::SshFromMaster | Check::AuthorizedKeys))
                })
                .cloned()
                .map(Ineligibility::Preflight)
                .collect();
            match new.force {
                true => {
                    let gone_past = pre
                        .checks
                        .iter()
                        .filter(|c| c.outcome == Outcome::Fail && c.check.force_passes())
                        .cloned()
                        .map(Ineligibility::Preflight);
                    (blocking, reasons.into_iter().chain(gone_past).collect())
                }
                false => ([reasons, blocking].concat(), vec![]),
            }
        };
        let reasons = self
            .eligibility(master, &p.host, &p.volume, Some(&p.user))
            .await?;
        let pre = self.preflight_now(master, cluster, p).await?;
        let (refused, passed) = judged(reasons, &pre);
        if refused.is_empty() {
            return Ok(passed);
        }
        // a refusal rests on a fresh read of the volumes it names, not on a copy up to a
        // cycle old (a slave started with the CLI a second ago is started)
        let master = self.read_again(cluster, master, &p.host, &p.volume).await?;
        let reasons = self
            .eligibility(&master, &p.host, &p.volume, Some(&p.user))
            .await?;
        let pre = self.preflight_now(&master, cluster, p).await?;
        let (refused, passed) = judged(reasons, &pre);
        match refused.is_empty() {
            true => Ok(passed),
            false => Err(ServiceError::NotEligible(refused)),
        }
    }

    #[allow(clippy::too_many_arguments)]
    async fn run_create(
        &self,
        op: &Operation,
        base: i64,
        master: &VolumeRow,
        cluster: &ClusterRow,
        host: &HostName,
        volume: &VolumeName,
        slave: &str,
        words: &[&str],
        force: bool,
        quiet: &Quiet,
    ) -> Result<CreatedSession> {
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
        let mut reasons = Vec::new();
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
            op.step(
                base + 1,
                Some("gluster system:: execute gsec_create"),
                self.gluster()
                    .gsec_create(&target)
                    .map_err(ServiceError::from),
                |_| None,
            )
            .await?;
            self.inner
                .gsec_done
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(cluster.id.into_uuid());
        } else {
            op.leave(
                base + 1,
                StepState::Skipped,
                Some("done earlier by this georep"),
            )
            .await;
        }
        let command = georep_command(&master.name, slave, words);
        op.enter(base + 2, Some(&command), false).await;
        let called = self
            .gluster()
            .georep_action(&target, &master.name, slave, words)
            .await;
        match &called {
            Ok(a) => {
                op.leave(base + 2, StepState::Succeeded, a.message.as_deref())
                    .await
            }
            Err(e) => {
                op.leave(base + 2, StepState::Failed, Some(&e.to_string()))
                    .await
            }
        }
        let answer = match called {
            Ok(a) => a,
            // gluster's own verification (gverify: size, emptiness, versions) refused
            Err(GlusterError::Command { message, .. })
                if !force && gverify_reason(&message).is_some() =>
            {
                return Err(ServiceError::NotEligible(vec![
                    gverify_reason(&message).unwrap_or(Ineligibility::Gluster(message))
                ]));
            }
            // gluster lists no such session (SQLite was refreshed above) yet says it exists:
            // its configuration outlived the master volume of that name, deleted with the
            // session stopped in it; `create force` writes it again
            Err(GlusterError::Command { message, .. })
                if !force && message.contains("is already created") =>
            {
                return Err(ServiceError::Conflict(format!(
                    "gluster kept the configuration of an earlier session {} -> {slave} that it \
                     no longer lists (a master volume of that name was deleted with the session \
                     in it): create with force to replace it ({})",
                    master.name,
                    message.trim()
                )));
            }
            Err(e) => return Err(e.into()),
        };
        if let Some(r) = answer.message.as_deref().and_then(gverify_reason) {
            if !reasons.contains(&r) {
                reasons.push(r);
            }
        }
        op.step(
            base + 3,
            None,
            self.syncer()
                .refresh_pair(cluster, &master.name, slave, quiet, sync::PairRead::Created)
                .map_err(|e| self.sync_error(cluster, e)),
            |_| None,
        )
        .await?;
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
}

/// Whether a stored session's slave user is `user` (gluster stores root as no user).
fn same_user(stored: &str, user: &str) -> bool {
    let root = |u: &str| u.is_empty() || u == "root";
    stored == user || (root(stored) && root(user))
}

/// `create [ssh-port N] push-pem|no-verify [force]`, gluster's grammar.
fn create_words(new: &NewSession) -> Vec<String> {
    let mut words = vec!["create".to_owned()];
    if let Some(port) = new.ssh_port {
        words.extend(["ssh-port".to_owned(), port.to_string()]);
    }
    words.push(
        if new.no_verify {
            "no-verify"
        } else {
            "push-pem"
        }
        .to_owned(),
    );
    if new.force {
        words.push("force".to_owned());
    }
    words
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
