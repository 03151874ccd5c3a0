//! Actions before reads. glusterd runs one transaction at a time and refuses the others
//! ("another transaction is in progress"); a refused action waits through a back-off and
//! tries again. georep's own background reads were most of what an admin's action met:
//! `volume geo-replication status detail` of every session holds glusterd for 0.4–1.5 s. So,
//! per target:
//! - a foreground call (an action, a read an admin asked for: anything not marked) waits for
//!   the background calls already running instead of colliding with them, and stops new ones
//!   from starting; foreground calls do not wait for each other (glusterd decides);
//! - a [`follow_up`] call (the refresh of the session an action just changed) starts once no
//!   foreground call waits or runs;
//! - a [`background`] call (the sync loop, scheduled probes) also waits for a quiet spell of
//!   [`QUIET`] after the last foreground call: admins act in bursts (stop, then delete; pause,
//!   then resume), and a loop read started between two of their actions delays the second.
//!   It waits at most [`MAX_DEFER`] for that, so the loop stays at most that much late.
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

use super::Target;

/// After an admin's call, how long the loop's reads hold off.
pub const QUIET: Duration = Duration::from_secs(3);
/// The longest a background call holds off for a quiet spell.
pub const MAX_DEFER: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Class {
    Background,
    FollowUp,
}

tokio::task_local! {
    static CLASS: Class;
}

/// Runs `f` with its gluster calls in the background class (see the module).
pub async fn background<F: Future>(f: F) -> F::Output {
    CLASS.scope(Class::Background, f).await
}

/// Runs `f` with its gluster calls in the follow-up class (see the module).
pub async fn follow_up<F: Future>(f: F) -> F::Output {
    CLASS.scope(Class::FollowUp, f).await
}

fn class() -> Option<Class> {
    CLASS.try_with(|c| *c).ok()
}

#[derive(Clone, Copy, Debug, Default)]
struct Load {
    /// Foreground calls waiting or running.
    foreground: usize,
    /// Background and follow-up calls running.
    background: usize,
    /// When the last foreground call ended.
    last_foreground: Option<Instant>,
}

impl Load {
    /// Whether a call of `class` may start now; `quiet_until` is when a quiet spell would end.
    fn free_for(&self, class: Class) -> (bool, Option<Instant>) {
        if self.foreground > 0 {
            return (false, None);
        }
        let quiet_until = self.last_foreground.map(|t| t + QUIET);
        match class {
            Class::FollowUp => (true, None),
            Class::Background => match quiet_until {
                Some(t) if Instant::now() < t => (false, Some(t)),
                _ => (true, None),
            },
        }
    }
}

/// One gate per target, shared by the clones of a `Gluster`.
#[derive(Clone, Debug, Default)]
pub(super) struct Gates(Arc<Mutex<HashMap<Target, watch::Sender<Load>>>>);

/// While alive, the call counts in its class; dropping it lets the other class go.
pub(super) struct Pass {
    load: watch::Sender<Load>,
    background: bool,
}

impl Drop for Pass {
    fn drop(&mut self) {
        let bg = self.background;
        self.load.send_modify(|l| {
            if bg {
                l.background -= 1;
            } else {
                l.foreground -= 1;
                l.last_foreground = Some(Instant::now());
            }
        });
    }
}

impl Gates {
    fn load(&self, target: &Target) -> watch::Sender<Load> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(target.clone())
            .or_insert_with(|| watch::channel(Load::default()).0)
            .clone()
    }

    /// Waits for the call's turn. No wait is longer than `bound` (a call never runs longer
    /// than gluster's timeout, so a turn is due by then anyway; past it, glusterd decides).
    pub(super) async fn enter(&self, target: &Target, bound: Duration) -> Pass {
        let t0 = std::time::Instant::now();
        let pass = self.turn(target, bound).await;
        let waited = t0.elapsed();
        if waited >= Duration::from_millis(10) {
            tracing::debug!(
                ?target,
                background = pass.background,
                ms = waited.as_millis() as u64,
                "gluster call waited its turn"
            );
        }
        pass
    }

    async fn turn(&self, target: &Target, bound: Duration) -> Pass {
        let load = self.load(target);
        let mut seen = load.subscribe();
        if let Some(class) = class() {
            let now = Instant::now();
            // past the deadline the call goes: glusterd decides
            let deadline = now + bound;
            let quiet_deadline = now + MAX_DEFER.min(bound);
            loop {
                let mut quiet_until = None;
                let entered = load.send_if_modified(|l| {
                    let (mut free, until) = l.free_for(class);
                    let now = Instant::now();
                    if !free && l.foreground == 0 && now >= quiet_deadline {
                        free = true;
                    }
                    free |= now >= deadline;
                    quiet_until = until;
                    if free {
                        l.background += 1;
                    }
                    free
                });
                if entered {
                    return Pass {
                        load,
                        background: true,
                    };
                }
                match quiet_until {
                    // a quiet spell under way: until it ends, or a foreground call starts
                    Some(t) => {
                        let t = t.min(quiet_deadline);
                        let _ = tokio::time::timeout_at(t, seen.changed()).await;
                    }
                    None => {
                        let _ =
                            tokio::time::timeout_at(deadline, seen.wait_for(|l| l.foreground == 0))
                                .await;
                    }
                }
            }
        }
        load.send_modify(|l| l.foreground += 1);
        // counted off again by the pass's drop, also when this wait is cancelled (the request
        // that made the call went away): a count left behind held every later read on this
        // target back for its whole bound (the server then took minutes to stop)
        let pass = Pass {
            load,
            background: false,
        };
        let _ = tokio::time::timeout(bound, seen.wait_for(|l| l.background == 0)).await;
        pass
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUND: Duration = Duration::from_secs(5);

    #[tokio::test]
    async fn a_follow_up_waits_for_the_foreground_calls() {
        let gates = Gates::default();
        let t = Target::Local;
        let action = gates.enter(&t, BOUND).await;
        let read = tokio::spawn({
            let gates = gates.clone();
            let t = t.clone();
            follow_up(async move { gates.enter(&t, BOUND).await.background })
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!read.is_finished(), "a read started during an action");
        drop(action);
        let t0 = Instant::now();
        assert!(read.await.unwrap(), "the read goes once the action is done");
        assert!(
            t0.elapsed() < Duration::from_secs(1),
            "a follow-up has no quiet spell"
        );
    }

    #[tokio::test]
    async fn a_foreground_call_waits_for_running_reads_and_stops_new_ones() {
        let gates = Gates::default();
        let t = Target::Local;
        let read = background(gates.enter(&t, BOUND)).await;
        let action = tokio::spawn({
            let gates = gates.clone();
            let t = t.clone();
            async move { gates.enter(&t, BOUND).await }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!action.is_finished(), "an action ran into a running read");
        // the action waits: a new read must not start before it
        let later = tokio::spawn({
            let gates = gates.clone();
            let t = t.clone();
            follow_up(async move { gates.enter(&t, BOUND).await })
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!later.is_finished(), "a new read overtook a waiting action");
        drop(read);
        let action = action.await.unwrap();
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!later.is_finished(), "a read ran alongside the action");
        drop(action);
        later.await.unwrap();
    }

    #[tokio::test]
    async fn the_loop_waits_for_a_quiet_spell_after_an_action() {
        let gates = Gates::default();
        let t = Target::Local;
        drop(gates.enter(&t, BOUND).await);
        let t0 = Instant::now();
        let read = tokio::spawn({
            let gates = gates.clone();
            let t = t.clone();
            background(async move { gates.enter(&t, BOUND).await })
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert!(!read.is_finished(), "a loop read right after an action");
        drop(read.await.unwrap());
        let waited = t0.elapsed();
        assert!(
            waited >= QUIET - Duration::from_millis(100) && waited < QUIET + Duration::from_secs(1),
            "{waited:?}"
        );
    }

    #[tokio::test]
    async fn targets_and_foreground_calls_do_not_wait_for_each_other() {
        let gates = Gates::default();
        let local = Target::Local;
        let remote = Target::Ssh {
            host: "b".into(),
            user: "root".into(),
            port: 22,
        };
        let _a = gates.enter(&local, BOUND).await;
        let _b = gates.enter(&local, BOUND).await;
        let _r = background(gates.enter(&remote, BOUND)).await;
    }

    #[tokio::test]
    async fn a_call_cancelled_while_it_waits_holds_nothing_back() {
        let gates = Gates::default();
        let t = Target::Local;
        let read = background(gates.enter(&t, BOUND)).await;
        // an action waiting for that read, then dropped (its client went away)
        let waiting = tokio::time::timeout(Duration::from_millis(50), gates.enter(&t, BOUND)).await;
        assert!(waiting.is_err(), "the action waited for the running read");
        drop(read);
        let t0 = Instant::now();
        let next = follow_up(gates.enter(&t, BOUND)).await;
        assert!(next.background);
        assert!(
            t0.elapsed() < Duration::from_secs(1),
            "a follow-up waited for a call that is gone: {:?}",
            t0.elapsed()
        );
    }

    #[tokio::test]
    async fn no_wait_outlasts_the_bound() {
        let gates = Gates::default();
        let t = Target::Local;
        let bound = Duration::from_millis(100);
        let _stuck = gates.enter(&t, bound).await;
        let read = background(gates.enter(&t, bound)).await;
        assert!(read.background);
        let _action = gates.enter(&t, bound).await;
    }
}
