//! The failed-login back-off: failures counted per (client address, user name) and per client
//! address within a window; past a limit the client waits until the oldest one leaves it.
use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// Failed logins counted within this window...
const FAILURE_WINDOW: Duration = Duration::from_secs(300);
/// ...at most this many per client and user name (a password guesser on one account)...
pub const PAIR_FAILURES: usize = 5;
/// ...and this many per client address (one guesser trying many accounts or tokens).
pub const CLIENT_FAILURES: usize = 20;
/// Bounds the failure table (a flood of made-up user names cannot grow it for ever).
const FAILURES_MAX: usize = 100_000;

/// Recent failed logins (and attempts under way) by client and user name, and by client.
#[derive(Default)]
pub(super) struct Failures {
    by_pair: HashMap<(Option<IpAddr>, String), VecDeque<Instant>>,
    by_client: HashMap<IpAddr, VecDeque<Instant>>,
}

impl Failures {
    /// How long until this client may try this user name again, or None when it may now.
    pub(super) fn blocked(
        &mut self,
        user: Option<&str>,
        client: Option<IpAddr>,
        now: Instant,
    ) -> Option<Duration> {
        let pair_wait = user
            .and_then(|u| self.by_pair.get_mut(&(client, u.to_owned())))
            .and_then(|q| wait(q, PAIR_FAILURES, now));
        let client_wait = client
            .and_then(|c| self.by_client.get_mut(&c))
            .and_then(|q| wait(q, CLIENT_FAILURES, now));
        pair_wait.max(client_wait)
    }

    /// Whether this client has failed within the window.
    pub(super) fn guessing(&mut self, client: Option<IpAddr>, now: Instant) -> bool {
        client
            .and_then(|c| self.by_client.get_mut(&c))
            .is_some_and(|q| {
                wait(q, CLIENT_FAILURES, now);
                !q.is_empty()
            })
    }

    /// Counts an attempt as a failure from `now` on, unless the client must wait.
    pub(super) fn reserve(
        &mut self,
        user: Option<&str>,
        client: Option<IpAddr>,
        now: Instant,
    ) -> std::result::Result<(), Duration> {
        match self.blocked(user, client, now) {
            Some(wait) => Err(wait),
            None => {
                self.record(user, client, now);
                Ok(())
            }
        }
    }

    fn record(&mut self, user: Option<&str>, client: Option<IpAddr>, now: Instant) {
        if self.by_pair.len() + self.by_client.len() >= FAILURES_MAX {
            let live = |q: &mut VecDeque<Instant>| {
                q.retain(|t| now.duration_since(*t) < FAILURE_WINDOW);
                !q.is_empty()
            };
            self.by_pair.retain(|_, q| live(q));
            self.by_client.retain(|_, q| live(q));
        }
        if let Some(u) = user {
            if self.by_pair.len() < FAILURES_MAX {
                self.by_pair
                    .entry((client, u.to_owned()))
                    .or_default()
                    .push_back(now);
            }
        }
        if let Some(c) = client {
            self.by_client.entry(c).or_default().push_back(now);
        }
    }

    /// An attempt reserved `at` succeeded: the pair's failures are forgotten, and the client's
    /// reserved slot given back.
    pub(super) fn release(&mut self, user: Option<&str>, client: Option<IpAddr>, at: Instant) {
        if let Some(u) = user {
            self.by_pair.remove(&(client, u.to_owned()));
        }
        if let Some(q) = client.and_then(|c| self.by_client.get_mut(&c)) {
            if let Some(i) = q.iter().rposition(|t| *t == at) {
                q.remove(i);
            }
        }
    }
}

/// Drops failures older than the window; with `limit` or more left, the time until the
/// oldest one leaves it.
fn wait(q: &mut VecDeque<Instant>, limit: usize, now: Instant) -> Option<Duration> {
    while q
        .front()
        .is_some_and(|t| now.duration_since(*t) >= FAILURE_WINDOW)
    {
        q.pop_front();
    }
    (q.len() >= limit).then(|| FAILURE_WINDOW - now.duration_since(q[q.len() - limit]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_block_per_client_and_user_then_per_client_then_expire() {
        let mut f = Failures::default();
        let t0 = Instant::now();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..PAIR_FAILURES {
            assert_eq!(f.reserve(Some("admin"), Some(a), t0), Ok(()));
        }
        // this client waits for this user; the user from another client does not, nor another
        // user from this client
        assert_eq!(f.blocked(Some("admin"), Some(a), t0), Some(FAILURE_WINDOW));
        assert_eq!(f.reserve(Some("admin"), Some(a), t0), Err(FAILURE_WINDOW));
        assert_eq!(f.blocked(Some("admin"), Some(b), t0), None);
        assert_eq!(f.blocked(Some("ops"), Some(a), t0), None);
        let later = t0 + Duration::from_secs(100);
        assert_eq!(
            f.blocked(Some("admin"), Some(a), later),
            Some(FAILURE_WINDOW - Duration::from_secs(100))
        );
        assert_eq!(f.blocked(Some("admin"), Some(a), t0 + FAILURE_WINDOW), None);
        // a success forgets the pair's failures and gives the client its slot back
        assert!(!f.guessing(Some(b), t0));
        f.reserve(Some("ops"), Some(b), t0).unwrap();
        assert!(f.guessing(Some(b), t0));
        let t1 = t0 + Duration::from_millis(1);
        f.reserve(Some("ops"), Some(b), t1).unwrap();
        f.release(Some("ops"), Some(b), t1);
        assert!(!f.by_pair.contains_key(&(Some(b), "ops".to_owned())));
        assert_eq!(f.by_client[&b], [t0]);
        // many user names from one address: the address waits, others do not
        for i in 1..CLIENT_FAILURES {
            f.reserve(Some(&format!("u{i}")), Some(b), t0).unwrap();
        }
        assert!(f.blocked(Some("fresh"), Some(b), t0).is_some());
        assert_eq!(f.blocked(Some("fresh"), Some(a), t0), None);
        assert_eq!(f.blocked(Some("fresh"), Some(b), t0 + FAILURE_WINDOW), None);
    }

    #[test]
    fn attempts_under_way_count_before_their_answer() {
        // parallel guesses each take a slot before the password is checked: past the limit
        // the next ones are refused even though none has been answered yet
        let mut f = Failures::default();
        let now = Instant::now();
        let c: IpAddr = "192.0.2.9".parse().unwrap();
        let passed = (0..64)
            .filter(|i| {
                f.reserve(Some(&format!("made-up-{i}")), Some(c), now)
                    .is_ok()
            })
            .count();
        assert_eq!(passed, CLIENT_FAILURES);
        let passed = (0..64)
            .filter(|_| f.reserve(Some("admin"), None, now).is_ok())
            .count();
        assert_eq!(passed, PAIR_FAILURES);
    }
}
