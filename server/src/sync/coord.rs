//! The coordinator: what the sync loop, the admin actions, the health probes and the refresh
//! after an action share, in one value the service owns and passes down (no process global).
//! - while an operation's [`Acting`] lives, the changes it causes are not recorded by a sync
//!   cycle as made outside georep ([`Quiet`]) (the per-session lock itself is the operation's
//!   row in the database: `service::operations`);
//! - the session keys actions **touched** (a cycle that began reading before leaves them alone)
//!   and the statuses they **hold** over gluster's stale reports;
//! - one sync of a cluster at a time (its read and its write together).
//!
//! Everything here is in memory, about this process's own sync.
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use chrono::Utc;
use uuid::Uuid;

use super::reconcile::{Change, Guard, Hold, Holds};

/// What an operation holds.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    Session(Uuid),
    /// A session being created: master volume id and `[user@]host::volume`.
    NewSession {
        master: Uuid,
        slave: String,
    },
}

/// Operations in different lanes of one subject do not exclude each other: a probe (which
/// only sets a checkpoint and reads) may run while an admin pauses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lane {
    /// Lifecycle, options, checkpoints, create.
    Change,
    /// Probes and the guided restart of stalled workers.
    Health,
}

#[derive(Clone, Default)]
pub struct Coordinator(Arc<State>);

#[derive(Default)]
struct State {
    clusters: Mutex<HashMap<Uuid, Arc<tokio::sync::Mutex<()>>>>,
    holds: Mutex<Holds>,
    /// Sessions (by key) an action changed, with the action sequence number and when.
    touched: Mutex<HashMap<String, (u64, Instant)>>,
    seq: AtomicU64,
    /// What the actions under way will record themselves.
    acting: Mutex<Vec<(u64, Quiet)>>,
    next_act: AtomicU64,
    /// Refreshes queued for pushed gluster events, by what they read.
    pushed: Mutex<std::collections::HashSet<String>>,
}

fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Coordinator {
    /// While the guard lives, no sync cycle records the changes `quiet` covers as discoveries:
    /// between gluster's answer to an action and the action's own refresh, a cycle would
    /// otherwise report (say) the deleted session as vanished outside georep.
    pub fn quiet_while(&self, quiet: Quiet) -> Acting {
        let id = self.0.next_act.fetch_add(1, Ordering::Relaxed);
        locked(&self.0.acting).push((id, quiet));
        Acting {
            coord: self.clone(),
            id,
        }
    }

    /// Called by an action before it changes a session on gluster: a cycle that began reading
    /// before this leaves the session alone (the action writes its outcome itself).
    pub fn touch(&self, session_key: &str) {
        let seq = self.0.seq.fetch_add(1, Ordering::SeqCst) + 1;
        let mut touched = locked(&self.0.touched);
        // no cycle reads for longer than this (gluster's timeout bounds every call)
        touched.retain(|_, (_, at)| at.elapsed() < Duration::from_secs(600));
        touched.insert(session_key.to_owned(), (seq, Instant::now()));
    }

    /// Keeps `hold.status` for the session while gluster still reports one of `hold.stale`.
    pub fn hold(&self, session_id: Uuid, hold: Hold) {
        locked(&self.0.holds).insert(session_id, hold);
    }

    /// The cluster's sync turn: one read-and-write of a cluster at a time.
    pub(super) fn cluster_lock(&self, id: Uuid) -> Arc<tokio::sync::Mutex<()>> {
        locked(&self.0.clusters).entry(id).or_default().clone()
    }

    /// A removed cluster: its sync turn is not kept (a cycle that holds it finds the
    /// cluster gone and writes nothing).
    pub fn forget_cluster(&self, id: Uuid) {
        locked(&self.0.clusters).remove(&id);
    }

    /// The sequence number of the last touch (a read begun now is older than any later one).
    pub(super) fn action_seq(&self) -> u64 {
        self.0.seq.load(Ordering::SeqCst)
    }

    /// What a reconcile of a read begun at `read_from` must leave alone.
    pub(super) fn guard_since(&self, read_from: u64) -> Guard {
        let now = Utc::now();
        let mut holds = locked(&self.0.holds);
        holds.retain(|_, h| h.until > now);
        let skip = locked(&self.0.touched)
            .iter()
            .filter(|(_, (seq, _))| *seq > read_from)
            .map(|(k, _)| k.clone())
            .collect();
        Guard {
            holds: holds.clone(),
            skip,
            since: None,
        }
    }

    /// Ends the holds of sessions gluster has shown past their stale states.
    pub(super) fn release_holds(&self, settled: &[Uuid]) {
        if settled.is_empty() {
            return;
        }
        let mut holds = locked(&self.0.holds);
        for id in settled {
            holds.remove(id);
        }
    }

    /// Queues a refresh of `what` for a pushed event: false when one is queued already (it
    /// has not begun reading, so it shows this event's change too).
    pub fn claim_push(&self, what: &str) -> bool {
        locked(&self.0.pushed).insert(what.to_owned())
    }

    /// The queued refresh of `what` begins reading: a later event queues another.
    pub fn release_push(&self, what: &str) {
        locked(&self.0.pushed).remove(what);
    }

    /// Whether an action under way causes `c` (and records it itself).
    pub(super) fn acted_on(&self, c: &Change) -> bool {
        locked(&self.0.acting).iter().any(|(_, q)| q.covers(c))
    }
}

/// See [`Coordinator::quiet_while`].
pub struct Acting {
    coord: Coordinator,
    id: u64,
}

impl Drop for Acting {
    fn drop(&mut self) {
        locked(&self.coord.0.acting).retain(|(id, _)| *id != self.id);
    }
}

/// Changes a refresh should not record as discovered outside georep: those the action that
/// asked for the refresh caused itself (its own event records them).
#[derive(Clone, Debug, Default)]
pub struct Quiet {
    pub session_id: Option<Uuid>,
    /// `host::volume` of a session being created.
    pub slave: Option<String>,
    /// The options of `session_id` the action sets (any other option changed meanwhile was
    /// changed by someone else, and is recorded).
    pub options: Vec<String>,
    /// Every option of `session_id` (an action of another georep process: which options it
    /// sets is not known here).
    pub all_options: bool,
}

impl Quiet {
    /// What an action on session `id` causes: its status, its disappearance, and `options`.
    pub fn session(id: Uuid, options: &[&str]) -> Self {
        Quiet {
            session_id: Some(id),
            slave: None,
            options: options.iter().map(|o| (*o).to_owned()).collect(),
            all_options: false,
        }
    }

    /// What an action another georep process runs on session `id` may cause.
    pub fn elsewhere(id: Uuid) -> Self {
        Quiet {
            all_options: true,
            ..Quiet::session(id, &[])
        }
    }

    /// What creating a session to `slave` (`host::volume`) causes.
    pub fn created(slave: String) -> Self {
        Quiet {
            session_id: None,
            slave: Some(slave),
            options: vec![],
            all_options: false,
        }
    }

    pub(super) fn covers(&self, c: &Change) -> bool {
        let sid = match c {
            Change::SessionAppeared {
                session_id,
                session_key,
                ..
            } => {
                if let Some(slave) = &self.slave {
                    if session_key.contains(&format!("ssh://{slave}:"))
                        || session_key.contains(&format!("@{slave}:"))
                    {
                        return true;
                    }
                }
                session_id
            }
            Change::OptionChanged {
                session_id, key, ..
            } => {
                return self.session_id == Some(*session_id)
                    && (self.all_options || self.options.contains(key));
            }
            // no action of georep deletes a slave volume
            Change::SessionStale { .. } => return false,
            Change::SessionVanished { session_id, .. }
            | Change::SessionStatus { session_id, .. } => session_id,
        };
        self.session_id == Some(*sid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_acting_guard_quiets_what_it_causes_while_it_lives() {
        let coord = Coordinator::default();
        let id = Uuid::from_u128(7);
        let status = Change::SessionStatus {
            session_id: id,
            name: "mastervol -> vm::slavevol".into(),
            from: app::domain::SessionStatus::Active,
            to: app::domain::SessionStatus::Paused,
        };
        assert!(!coord.acted_on(&status));
        let acting = coord.quiet_while(Quiet::session(id, &[]));
        assert!(coord.acted_on(&status));
        drop(acting);
        assert!(!coord.acted_on(&status));
    }

    #[test]
    fn a_touch_after_a_read_began_guards_the_session_from_that_read() {
        let coord = Coordinator::default();
        let before = coord.action_seq();
        coord.touch("k1");
        assert!(coord.guard_since(before).skip.contains("k1"));
        assert!(!coord.guard_since(coord.action_seq()).skip.contains("k1"));
        // coordinators share nothing
        assert!(!Coordinator::default().guard_since(0).skip.contains("k1"));
    }
}
