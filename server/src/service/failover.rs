//! Failover and failback (issue 18): see `app::failover`.
use app::failover::{FailbackInput, FailoverCheck, FailoverInput};
use uuid::Uuid;

use super::{Result, Service, ServiceError};

/// What a failover or failback reached (the operation's outcome).
#[derive(Clone, Debug)]
pub struct DrSwitch {
    pub operation: Uuid,
    pub message: String,
}

impl Service {
    /// What an admin sees before a failover or failback: reachability, checkpoint, per brick
    /// what the slave holds, what blocks either.
    pub async fn failover_check(&self, id: Uuid) -> Result<FailoverCheck> {
        Err(ServiceError::Conflict(format!("failover of {id}: not yet")))
    }

    pub(super) async fn failover_now(
        &self,
        _actor: &str,
        id: Uuid,
        _input: FailoverInput,
    ) -> Result<DrSwitch> {
        Err(ServiceError::Conflict(format!("failover of {id}: not yet")))
    }

    pub(super) async fn failback_now(
        &self,
        _actor: &str,
        id: Uuid,
        _input: FailbackInput,
    ) -> Result<DrSwitch> {
        Err(ServiceError::Conflict(format!("failback of {id}: not yet")))
    }
}
