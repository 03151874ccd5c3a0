//! georep's one read model: the views of `app::views` (and `HostView`, `ClusterSummary`),
//! built here from SQLite alone (the background sync keeps it fresh, so a read never waits
//! for gluster) and rendered twice: by the pages, and by the REST documents in `api/docs/`.
//! The builders are functions over rows; the whole inventory (pages, health) and the path
//! lookups of REST (`inventory.rs`) both use them.
use std::collections::HashMap;

use app::domain::HostView;
use app::failover::DrRole;
use app::health::Health;
use app::health::SessionHealth;
use app::views::{
    sort_overview, BrickProgress, BrickView, CheckpointState, OverviewRow, SessionDetail,
    SessionFilter, SessionOverview, SessionSort, SessionSummary, SortOrder, VolumeView,
};
use uuid::Uuid;

use super::names::VolumeName;
use super::{status, Result, Service, ServiceError};

use crate::store::{
    self, BrickRow, ClusterRow, HealthRow, HostRow, SessionDetailRow, SessionRow, VolumeRow,
};

/// Everything the volume and session pages (and the health scheduler) are made of, read in
/// one go.
pub(super) struct Inventory {
    pub clusters: HashMap<Uuid, ClusterRow>,
    pub volumes: Vec<VolumeRow>,
    pub bricks: Vec<BrickRow>,
    pub sessions: Vec<SessionRow>,
    pub details: Vec<SessionDetailRow>,
    pub health: HashMap<Uuid, HealthRow>,
    /// Failovers in effect, by session.
    pub failovers: HashMap<Uuid, DrRole>,
}

impl Service {
    pub(super) async fn inventory(&self) -> Result<Inventory> {
        inventory_in(&mut *self.conn().await?).await
    }

    /// Every volume of every cluster, by cluster and name.
    pub async fn volume_views(&self) -> Result<Vec<VolumeView>> {
        let inv = self.inventory().await?;
        let mut out: Vec<_> = inv.volumes.iter().map(|v| inv.volume(v)).collect();
        out.sort_by(|a, b| (&a.cluster_name, &a.name).cmp(&(&b.cluster_name, &b.name)));
        Ok(out)
    }

    /// A volume and the sessions whose master it is.
    pub async fn volume_with_sessions(
        &self,
        id: Uuid,
    ) -> Result<(VolumeView, Vec<SessionSummary>)> {
        let inv = self.inventory().await?;
        let v = inv
            .volumes
            .iter()
            .find(|v| v.id.into_uuid() == id)
            .ok_or_else(|| ServiceError::NotFound(format!("volume {id}")))?;
        let sessions = inv
            .sessions
            .iter()
            .filter(|s| s.master_volume_id == v.id)
            .map(|s| inv.summary(s))
            .collect();
        Ok((inv.volume(v), sessions))
    }

    pub async fn session_summaries(&self) -> Result<Vec<SessionSummary>> {
        let inv = self.inventory().await?;
        let mut out: Vec<_> = inv.sessions.iter().map(|s| inv.summary(s)).collect();
        out.sort_by(|a, b| {
            (&a.master_volume, &a.slave_host, &a.slave_volume).cmp(&(
                &b.master_volume,
                &b.slave_host,
                &b.slave_volume,
            ))
        });
        Ok(out)
    }

    /// The sessions `filter` lets through, each with its health verdict as of now (what the
    /// filter judges too), in the order of `session_summaries`. Volume names are checked.
    pub async fn session_overview(
        &self,
        filter: &SessionFilter,
    ) -> Result<Vec<(SessionSummary, SessionHealth)>> {
        check_volume_names(filter)?;
        Ok(self
            .sessions_with_health()
            .await?
            .into_iter()
            .filter(|(s, _)| filter.matches(s))
            .collect())
    }

    /// Every session with its health verdict as of now (in the summary too).
    async fn sessions_with_health(&self) -> Result<Vec<(SessionSummary, SessionHealth)>> {
        let mut health: HashMap<Uuid, SessionHealth> = self
            .health_views()
            .await?
            .into_iter()
            .map(|h| (h.health.session_id, h.health))
            .collect();
        Ok(self
            .session_summaries()
            .await?
            .into_iter()
            .filter_map(|mut s| {
                let h = health.remove(&s.id)?;
                s.health = Some(h.health);
                Some((s, h))
            })
            .collect())
    }

    /// How many sessions are not healthy as of now (the page title's number): the verdicts
    /// alone, without the rest of the overview.
    pub async fn not_healthy(&self) -> Result<usize> {
        Ok(self
            .health_views()
            .await?
            .iter()
            .filter(|h| h.health.health != Health::Healthy)
            .count())
    }

    /// The sessions overview of every cluster (the sessions page): the sessions `filter`
    /// lets through with their health, lag and recovery point, sorted; the counts of all.
    pub async fn overview(
        &self,
        filter: &SessionFilter,
        sort: SessionSort,
        order: SortOrder,
    ) -> Result<SessionOverview> {
        check_volume_names(filter)?;
        let all = self.sessions_with_health().await?;
        let mut c = self.conn().await?;
        let clusters: HashMap<Uuid, String> = store::list_clusters(&mut c)
            .await?
            .into_iter()
            .map(|c| (c.id.into_uuid(), c.name))
            .collect();
        let points = store::recovery_points(&mut c).await?;
        let schedules: HashMap<Uuid, store::ScheduleRow> = store::all_schedules(&mut c)
            .await?
            .into_iter()
            .map(|s| (s.session_id.into_uuid(), s))
            .collect();
        drop(c);
        let by_health = Health::ALL
            .iter()
            .map(|h| (*h, all.iter().filter(|(s, _)| s.health == Some(*h)).count()))
            .filter(|(_, n)| *n > 0)
            .collect();
        let total = all.len();
        let now = chrono::Utc::now();
        let mut rows: Vec<OverviewRow> = all
            .into_iter()
            .filter(|(s, _)| filter.matches(s))
            .map(|(s, h)| {
                let recovery_point = points.get(&s.id.into()).copied();
                OverviewRow {
                    cluster_name: clusters.get(&s.cluster_id).cloned().unwrap_or_default(),
                    health_reason: h.reason,
                    health_since: h.since,
                    lag_seconds: h.lag_seconds,
                    recovery_point,
                    recovery_overdue: super::schedule::overdue(
                        schedules.get(&s.id),
                        recovery_point,
                        now,
                    ),
                    session: s,
                }
            })
            .collect();
        sort_overview(&mut rows, sort, order);
        Ok(SessionOverview {
            rows,
            total,
            by_health,
        })
    }

    /// A string that changes whenever what the pages show has changed (`web/live.rs`).
    pub async fn live_fingerprint(&self) -> Result<String> {
        Ok(store::fingerprint(&mut *self.conn().await?).await?)
    }

    /// One session with its workers (the session page).
    pub async fn session_detail_view(&self, id: Uuid) -> Result<SessionDetail> {
        let mut c = self.conn().await?;
        let s = store::get_session(&mut c, id.into())
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("session {id}")))?;
        let master = store::get_volume(&mut c, s.master_volume_id).await?;
        session_detail_in(&mut c, s, master.as_ref()).await
    }
}

fn check_volume_names(filter: &SessionFilter) -> Result<()> {
    for name in [&filter.master_volume, &filter.slave_volume]
        .into_iter()
        .flatten()
    {
        VolumeName::parse(name)?;
    }
    Ok(())
}

/// The inventory as `conn` sees it (in a transaction: one snapshot).
pub(super) async fn inventory_in(c: &mut dyn store::Conn) -> Result<Inventory> {
    let mut inv = Inventory {
        clusters: HashMap::new(),
        volumes: Vec::new(),
        bricks: Vec::new(),
        sessions: Vec::new(),
        details: Vec::new(),
        health: HashMap::new(),
        failovers: HashMap::new(),
    };
    for cluster in store::list_clusters(c).await? {
        inv.volumes
            .extend(store::volumes_of_cluster(c, cluster.id).await?);
        inv.bricks
            .extend(store::bricks_of_cluster(c, cluster.id).await?);
        inv.sessions
            .extend(store::sessions_of_cluster(c, cluster.id).await?);
        inv.details
            .extend(store::details_of_cluster(c, cluster.id).await?);
        inv.clusters.insert(cluster.id.into_uuid(), cluster);
    }
    inv.health = store::list_health(c)
        .await?
        .into_iter()
        .map(|h| (h.session_id.into_uuid(), h))
        .collect();
    inv.failovers = store::failovers_in_effect(c)
        .await?
        .into_iter()
        .filter_map(|f| Some((f.session_id.into_uuid(), f.in_effect()?)))
        .collect();
    Ok(inv)
}

/// A session with its details, its master volume's bricks and its stored verdict, as `c`
/// sees them.
pub(super) async fn session_detail_in(
    c: &mut dyn store::Conn,
    s: SessionRow,
    master: Option<&VolumeRow>,
) -> Result<SessionDetail> {
    let bricks = match master {
        Some(m) => store::bricks_of_volume(c, m.id).await?,
        None => Vec::new(),
    };
    let details = store::details_of_session(c, s.session_id).await?;
    let health = store::get_health(c, s.session_id).await?;
    let role = store::failover_in_effect(c, s.session_id)
        .await?
        .and_then(|f| f.in_effect());
    Ok(session_detail(
        &s,
        master,
        &bricks,
        &details.iter().collect::<Vec<_>>(),
        health.as_ref(),
        role,
    ))
}

impl Inventory {
    pub(super) fn volume(&self, v: &VolumeRow) -> VolumeView {
        let cluster_name = self
            .clusters
            .get(&v.cluster_id.into_uuid())
            .map(|c| c.name.clone())
            .unwrap_or_default();
        let bricks = self.bricks.iter().filter(|b| b.volume_id == v.id);
        let master_of = self
            .sessions
            .iter()
            .filter(|s| s.master_volume_id == v.id)
            .count();
        let slave_of = self
            .sessions
            .iter()
            .filter(|s| s.slave_volume_id == Some(v.id))
            .count();
        volume_view(v, cluster_name, bricks, master_of, slave_of)
    }

    pub(super) fn summary(&self, s: &SessionRow) -> SessionSummary {
        let details: Vec<_> = self
            .details
            .iter()
            .filter(|d| d.session_id == s.session_id)
            .collect();
        let master = self.volumes.iter().find(|v| v.id == s.master_volume_id);
        session_summary(
            s,
            master,
            &details,
            self.health.get(&s.session_id.into_uuid()),
            self.failovers.get(&s.session_id.into_uuid()).copied(),
        )
    }
}

/// A host with the ssh host keys georep trusts for it (`ssh_fingerprints`).
pub(super) fn host_view(h: &HostRow, ssh_fingerprints: Vec<String>) -> HostView {
    HostView {
        id: h.id.into_uuid(),
        cluster_id: h.cluster_id.into_uuid(),
        address: h.address.clone(),
        gluster_uuid: h.gluster_uuid.map(|u| u.into_uuid()),
        status: h.status,
        connection: h.connection,
        ssh_user: h.ssh_user.clone(),
        ssh_port: u16::try_from(h.ssh_port).unwrap_or(22),
        ssh_fingerprints,
    }
}

/// A volume with `bricks` (in volume order) and the number of sessions it is the master and
/// the slave of.
pub(super) fn volume_view<'a>(
    v: &VolumeRow,
    cluster_name: String,
    bricks: impl Iterator<Item = &'a BrickRow>,
    master_of: usize,
    slave_of: usize,
) -> VolumeView {
    VolumeView {
        id: v.id.into_uuid(),
        cluster_id: v.cluster_id.into_uuid(),
        cluster_name,
        name: v.name.clone(),
        volume_type: v.volume_type.clone(),
        status: v.status.clone(),
        bricks: bricks
            .map(|b| BrickView {
                id: b.id.into_uuid(),
                server: b.server_name.clone(),
                path: b.path.clone(),
                status: b.status,
            })
            .collect(),
        master_of: master_of as i64,
        slave_of: slave_of as i64,
        size_total: v.size_total,
        size_free: v.size_free,
    }
}

/// A session in a list: its stored row, its master volume, its details (for the checkpoint)
/// and its stored verdict.
pub(super) fn session_summary(
    s: &SessionRow,
    master: Option<&VolumeRow>,
    details: &[&SessionDetailRow],
    health: Option<&HealthRow>,
    dr_role: Option<DrRole>,
) -> SessionSummary {
    let checkpoint_time = details.iter().filter_map(|d| d.checkpoint_time).max();
    let pairs: Vec<_> = details
        .iter()
        .map(|d| {
            (
                d.status,
                d.checkpoint_status.as_deref().map(|c| c == "completed"),
            )
        })
        .collect();
    let completed = status::checkpoint_completed(&pairs);
    let checkpoint = match checkpoint_time {
        None => CheckpointState::None,
        Some(_) if completed => CheckpointState::Completed,
        Some(_) => CheckpointState::Pending,
    };
    SessionSummary {
        id: s.session_id.into_uuid(),
        cluster_id: master.map(|v| v.cluster_id.into_uuid()).unwrap_or_default(),
        master_volume_id: s.master_volume_id.into_uuid(),
        master_volume: master.map(|v| v.name.clone()).unwrap_or_default(),
        session_key: s.session_key.clone(),
        slave_host: s.slave_host_name.clone(),
        slave_host_uuid: s.slave_host_uuid.map(|u| u.into_uuid()),
        slave_volume: s.slave_volume_name.clone(),
        slave_volume_id: s.slave_volume_id.map(|v| v.into_uuid()),
        slave_user: s.slave_user.clone(),
        status: s.status,
        checkpoint_completed: completed,
        checkpoint,
        checkpoint_time,
        health: health.map(|h| h.health),
        dr_role,
        updated_at: s.updated_at,
        stale: s
            .stale_reason
            .clone()
            .zip(s.stale_since)
            .map(|(reason, since)| app::views::Stale { reason, since }),
    }
}

/// A session with one row per master brick, in the master volume's brick order (a worker
/// whose brick is not the volume's first, as SQLite orders it).
pub(super) fn session_detail(
    s: &SessionRow,
    master: Option<&VolumeRow>,
    bricks: &[BrickRow],
    details: &[&SessionDetailRow],
    health: Option<&HealthRow>,
    dr_role: Option<DrRole>,
) -> SessionDetail {
    let mut progress: Vec<(Option<i64>, BrickProgress)> = details
        .iter()
        .map(|d| {
            let brick = bricks.iter().find(|b| b.id == d.master_brick_id);
            (brick.map(|b| b.position), brick_progress(d, brick))
        })
        .collect();
    progress.sort_by_key(|(position, _)| *position);
    SessionDetail {
        summary: session_summary(s, master, details, health, dr_role),
        bricks: progress.into_iter().map(|(_, b)| b).collect(),
        health_reason: health.map(|h| h.reason.clone()),
        lag_seconds: health.and_then(|h| h.lag_seconds),
    }
}

fn brick_progress(d: &SessionDetailRow, brick: Option<&BrickRow>) -> BrickProgress {
    BrickProgress {
        brick_id: d.master_brick_id.into_uuid(),
        master_host: brick.map(|b| b.server_name.clone()),
        master_brick: brick.map(|b| b.path.clone()),
        slave_node: d.slave_host_name.clone(),
        status: d.status,
        crawl_status: d.crawl_status.clone(),
        checkpoint_status: d.checkpoint_status.clone(),
        checkpoint_time: d.checkpoint_time,
        checkpoint_completed_at: d.checkpoint_completed_at,
        last_synced: d.last_synced_at,
        entry_pending: d.entry_pending,
        data_pending: d.data_pending,
        meta_pending: d.meta_pending,
        failures: d.failures,
        files_synced: d.files_synced,
        files_pending: d.files_pending,
        files_skipped: d.files_skipped,
        bytes_pending: d.bytes_pending,
        deletes_pending: d.deletes_pending,
        updated_at: d.updated_at,
    }
}
