//! Actions before reads. glusterd runs one transaction at a time and refuses the others
//! ("another transaction is in progress"); a refused action waits through a back-off and
//! tries again. georep's own background reads (the sync loop, the scheduled health probes,
//! the refresh after an action) were most of what an admin's action collided with:
//! `volume geo-replication status detail` holds glusterd for 0.4–1.5 s under load. So, per
//! target, a call made inside [`background`] does not start while a foreground call (any
//! other: an action, a read the admin asked for) waits or runs, and a foreground call waits
//! for the background calls already running instead of colliding with them. Foreground calls
//! do not wait for each other (glusterd's own lock and the retry decide between them).
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::watch;

use super::Target;

tokio::task_local! {
    static BACKGROUND: ();
}

/// Runs `f` with its gluster calls in the background class (see the module).
pub async fn background<F: Future>(f: F) -> F::Output {
    BACKGROUND.scope((), f).await
}

fn in_background() -> bool {
    BACKGROUND.try_with(|_| ()).is_ok()
}

#[derive(Clone, Copy, Debug, Default)]
struct Load {
    /// Foreground calls waiting or running.
    foreground: usize,
    /// Background calls running.
    background: usize,
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
        if in_background() {
            let deadline = tokio::time::Instant::now() + bound;
            loop {
                let entered = load.send_if_modified(|l| {
                    let free = l.foreground == 0 || tokio::time::Instant::now() >= deadline;
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
                let _ = tokio::time::timeout_at(deadline, seen.wait_for(|l| l.foreground == 0))
                    .await;
            }
        }
        load.send_modify(|l| l.foreground += 1);
        let _ = tokio::time::timeout(bound, seen.wait_for(|l| l.background == 0)).await;
        Pass {
            load,
            background: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUND: Duration = Duration::from_secs(5);

    #[tokio::test]
    async fn a_background_call_waits_for_the_foreground_ones() {
        let gates = Gates::default();
        let t = Target::Local;
        let action = gates.enter(&t, BOUND).await;
        let read = tokio::spawn({
            let gates = gates.clone();
            let t = t.clone();
            background(async move { gates.enter(&t, BOUND).await.background })
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(!read.is_finished(), "a read started during an action");
        drop(action);
        assert!(read.await.unwrap(), "the read goes once the action is done");
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
            background(async move { gates.enter(&t, BOUND).await })
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
