//! `app::backend::Backend` for the server functions: the service (the same one the REST
//! edge calls) plus the authenticator for browser logins.
use app::backend::Backend;
use app::domain::*;
use app::error::AppError;
use app::failover::{FailbackInput, FailoverCheck, FailoverInput};
use app::health::{LagSample, ProbeReport, RestartOutcome, SessionHealth};
use app::views::{
    SessionDetail, SessionFilter, SessionOverview, SessionSort, SessionSummary, SortOrder,
    VolumeView,
};
use uuid::Uuid;

use crate::service::auth::{Authenticator, WEB_SESSION};
use crate::service::operations::{Answer, OperationQuery};
use crate::service::Service;
use app::operations::{OperationView, RecoveryView, ScheduleInput, ScheduleView};

pub struct UiBackend {
    pub service: Service,
    pub auth: Authenticator,
    /// Served over TLS: the secure login cookie.
    pub tls: bool,
}

#[async_trait::async_trait]
impl Backend for UiBackend {
    async fn clusters(&self) -> Result<Vec<ClusterSummary>, AppError> {
        Ok(self.service.list_clusters().await?)
    }

    async fn add_cluster(
        &self,
        actor: &str,
        new: NewCluster,
        verify: bool,
    ) -> Result<ClusterSummary, AppError> {
        Ok(self.service.register_cluster(actor, new, verify).await?)
    }

    async fn cluster_hosts(&self, id: Uuid) -> Result<Vec<HostView>, AppError> {
        Ok(self.service.hosts(id).await?)
    }

    async fn edit_cluster(
        &self,
        actor: &str,
        id: Uuid,
        edit: ClusterEdit,
        verify: bool,
    ) -> Result<ClusterSummary, AppError> {
        Ok(self.service.edit_cluster(actor, id, edit, verify).await?)
    }

    async fn set_gluster_events(
        &self,
        actor: &str,
        id: Uuid,
        on: bool,
    ) -> Result<GlusterEventsSetup, AppError> {
        Ok(if on {
            self.service.enable_gluster_events(actor, id).await?
        } else {
            self.service.disable_gluster_events(actor, id).await?
        })
    }

    async fn remove_cluster(
        &self,
        actor: &str,
        id: Uuid,
        force: bool,
    ) -> Result<RemovedCluster, AppError> {
        Ok(self.service.remove_cluster(actor, id, force).await?)
    }

    async fn create_session(
        &self,
        actor: &str,
        new: NewSession,
    ) -> Result<CreatedSession, AppError> {
        Ok(self.service.create_session(actor, new).await?)
    }

    async fn session_action(
        &self,
        actor: &str,
        id: Uuid,
        action: SessionAction,
        force: bool,
        reset_sync_time: bool,
    ) -> Result<ActionOutcome, AppError> {
        Ok(self
            .service
            .session_action(actor, id, action, force, reset_sync_time)
            .await?)
    }

    async fn session_options(&self, id: Uuid) -> Result<Vec<SessionOption>, AppError> {
        Ok(self.service.session_options(id).await?)
    }

    async fn set_option(
        &self,
        actor: &str,
        id: Uuid,
        key: String,
        value: String,
    ) -> Result<SessionOption, AppError> {
        Ok(self.service.set_option(actor, id, &key, &value).await?)
    }

    async fn reset_option(
        &self,
        actor: &str,
        id: Uuid,
        key: String,
    ) -> Result<SessionOption, AppError> {
        Ok(self.service.reset_option(actor, id, &key).await?)
    }

    async fn set_checkpoint(
        &self,
        actor: &str,
        id: Uuid,
        at: Checkpoint,
    ) -> Result<ActionOutcome, AppError> {
        Ok(self.service.set_checkpoint(actor, id, at).await?)
    }

    async fn refresh_session(&self, id: Uuid) -> Result<SessionInfo, AppError> {
        Ok(self.service.refresh_session(id).await?)
    }

    async fn events(
        &self,
        filter: EventFilter,
        cursor: EventCursor,
        limit: i64,
    ) -> Result<EventPage, AppError> {
        Ok(self.service.events(&filter, cursor, limit).await?)
    }

    async fn session_health(&self, id: Uuid) -> Result<SessionHealth, AppError> {
        Ok(self.service.session_health(id).await?)
    }

    async fn probe_session(&self, actor: &str, id: Uuid) -> Result<ProbeReport, AppError> {
        Ok(self.service.probe_session(actor, id).await?)
    }

    async fn cleanup_session(&self, actor: &str, id: Uuid) -> Result<ActionOutcome, AppError> {
        Ok(self.service.cleanup_session(actor, id).await?)
    }

    async fn restart_stalled(&self, actor: &str, id: Uuid) -> Result<RestartOutcome, AppError> {
        Ok(self.service.restart_stalled(actor, id).await?)
    }

    async fn operations(
        &self,
        session: Option<Uuid>,
        unfinished: bool,
        limit: i64,
    ) -> Result<Vec<OperationView>, AppError> {
        let q = OperationQuery {
            session,
            unfinished,
            limit: Some(limit),
            ..Default::default()
        };
        Ok(self.service.operations(&q).await?)
    }

    async fn cancel_operation(&self, actor: &str, id: Uuid) -> Result<OperationView, AppError> {
        Ok(self.service.cancel_operation(actor, id).await?)
    }

    async fn recovery(&self, session: Uuid) -> Result<RecoveryView, AppError> {
        Ok(self.service.recovery(session).await?)
    }

    async fn set_schedule(
        &self,
        actor: &str,
        session: Uuid,
        input: ScheduleInput,
    ) -> Result<ScheduleView, AppError> {
        Ok(self.service.set_schedule(actor, session, input).await?)
    }

    async fn delete_schedule(&self, actor: &str, session: Uuid) -> Result<(), AppError> {
        Ok(self.service.delete_schedule(actor, session).await?)
    }

    async fn sync_now(&self, actor: &str, session: Uuid) -> Result<Uuid, AppError> {
        match self
            .service
            .accepting(true, self.service.dr_sync(actor, session))
            .await?
        {
            Answer::Accepted(id) => Ok(id),
            Answer::Done { value, .. } => Ok(value.operation),
        }
    }

    async fn set_self_heal(
        &self,
        actor: &str,
        session: Uuid,
        on: Option<bool>,
    ) -> Result<RecoveryView, AppError> {
        Ok(self.service.set_self_heal(actor, session, on).await?)
    }

    async fn failover_check(&self, session: Uuid) -> Result<FailoverCheck, AppError> {
        Ok(self.service.failover_check(session).await?)
    }

    async fn start_failover(
        &self,
        actor: &str,
        session: Uuid,
        input: FailoverInput,
    ) -> Result<Uuid, AppError> {
        Ok(self.service.start_failover(actor, session, input).await?)
    }

    async fn start_failback(
        &self,
        actor: &str,
        session: Uuid,
        input: FailbackInput,
    ) -> Result<Uuid, AppError> {
        Ok(self.service.start_failback(actor, session, input).await?)
    }

    async fn confirm_operation(&self, actor: &str, id: Uuid) -> Result<OperationView, AppError> {
        Ok(self.service.confirm_operation(actor, id).await?)
    }

    async fn lag_history(
        &self,
        id: Uuid,
        since: Option<chrono::DateTime<chrono::Utc>>,
    ) -> Result<Vec<LagSample>, AppError> {
        Ok(self.service.lag_history(id, since).await?)
    }

    async fn login(&self, name: String, password: String) -> Result<String, AppError> {
        // the browser's address, for the failed-login limit (leptos_axum provides the
        // request's parts, with the client's address, to server functions)
        let client = leptos::prelude::use_context::<axum::http::request::Parts>()
            .and_then(|p| p.extensions.get::<super::client::ClientAddr>().map(|c| c.0));
        match self.auth.open_web_session(&name, &password, client).await? {
            Some((_, cookie)) => Ok(super::session_cookie(&cookie, WEB_SESSION, self.tls)),
            None => Err(AppError::Unauthorized("wrong user name or password".into())),
        }
    }

    async fn logout(&self, cookie: Option<String>) -> Result<String, AppError> {
        if let Some(c) = cookie {
            self.auth.close_web_session(&c).await?;
        }
        Ok(super::session_cookie(
            "",
            std::time::Duration::ZERO,
            self.tls,
        ))
    }

    async fn volumes(&self) -> Result<Vec<VolumeView>, AppError> {
        Ok(self.service.volume_views().await?)
    }

    async fn volume_sessions(
        &self,
        id: Uuid,
    ) -> Result<(VolumeView, Vec<SessionSummary>), AppError> {
        Ok(self.service.volume_with_sessions(id).await?)
    }

    async fn sessions(&self) -> Result<Vec<SessionSummary>, AppError> {
        Ok(self.service.session_summaries().await?)
    }

    async fn not_healthy(&self) -> Result<usize, AppError> {
        Ok(self.service.not_healthy().await?)
    }

    async fn session_overview(
        &self,
        filter: SessionFilter,
        sort: SessionSort,
        order: SortOrder,
    ) -> Result<SessionOverview, AppError> {
        Ok(self.service.overview(&filter, sort, order).await?)
    }

    async fn session_detail(&self, id: Uuid) -> Result<SessionDetail, AppError> {
        Ok(self.service.session_detail_view(id).await?)
    }

    async fn eligibility(
        &self,
        master_volume_id: Uuid,
        slave_host: String,
        slave_volume: String,
        slave_user: Option<String>,
    ) -> Result<Vec<Ineligibility>, AppError> {
        Ok(self
            .service
            .eligibility_for(
                master_volume_id,
                &slave_host,
                &slave_volume,
                slave_user.as_deref(),
            )
            .await?)
    }

    async fn preflight(&self, new: NewSession) -> Result<app::preflight::Preflight, AppError> {
        Ok(self.service.preflight(&new).await?)
    }
}
