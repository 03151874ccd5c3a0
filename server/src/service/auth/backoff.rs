//! The failed-login back-off: failures counted per (client address, user name) and per client
//! address within a window; past a limit the client waits until the oldest one leaves it. The
//! counts are the database's (`store::login_failures`), so every georep process on it counts
//! the same failures: a guesser spread over several replicas gets no more guesses.
use std::net::IpAddr;
use std::time::Duration;

use crate::service::{Result, ServiceError};
use crate::store::{self, Conn, Store};

/// Failed logins counted within this window...
const FAILURE_WINDOW: Duration = Duration::from_secs(300);
/// ...at most this many per client and user name (a password guesser on one account)...
pub const PAIR_FAILURES: usize = 5;
/// ...and this many per client address (one guesser trying many accounts or tokens).
pub const CLIENT_FAILURES: usize = 20;

const WINDOW_MS: i64 = FAILURE_WINDOW.as_millis() as i64;

/// An attempt counted as a failure until it is forgiven.
pub(super) struct Attempt {
    id: i64,
    client: String,
    user: Option<String>,
}

/// Milliseconds since 1970: the time the processes sharing the database count failures in.
pub(super) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Takes this attempt's failure slot before any check, so that parallel attempts (through any
/// replica) cannot all pass the limit; with whether the client had failed within the window
/// already. `TooManyAttempts` while this client must wait for this user name or overall.
pub(super) async fn reserve(
    store: &Store,
    user: Option<&str>,
    client: Option<IpAddr>,
    now_ms: i64,
) -> Result<(Attempt, bool)> {
    let client = client_key(client);
    // a client that must wait is refused on a read: a flood of refused guesses takes no lock
    refuse(
        blocked(&mut *store.conn().await?, user, &client, now_ms)
            .await?
            .0,
    )?;
    let mut tx = store.begin_immediate().await?;
    let (wait, guessing) = blocked(&mut *tx, user, &client, now_ms).await?;
    refuse(wait)?;
    let id =
        store::insert_login_failure(&mut *tx, &client, user, now_ms, now_ms - WINDOW_MS).await?;
    tx.commit().await?;
    let user = user.map(str::to_owned);
    Ok((Attempt { id, client, user }, guessing))
}

/// `TooManyAttempts` while this client must wait for this user name or overall (one read).
pub(super) async fn check(
    store: &Store,
    user: Option<&str>,
    client: Option<IpAddr>,
    now_ms: i64,
) -> Result<()> {
    let client = client_key(client);
    refuse(
        blocked(&mut *store.conn().await?, user, &client, now_ms)
            .await?
            .0,
    )
}

/// A client as the table keeps it: its address, '' when unknown.
fn client_key(client: Option<IpAddr>) -> String {
    client.map(|c| c.to_string()).unwrap_or_default()
}

fn refuse(wait: Option<Duration>) -> Result<()> {
    match wait {
        Some(wait) => Err(ServiceError::TooManyAttempts(wait)),
        None => Ok(()),
    }
}

/// The attempt succeeded (or was not checked): not a failure, and the pair's earlier failures
/// are forgotten (the client's are not).
pub(super) async fn forgive(store: &Store, attempt: &Attempt) -> Result<()> {
    let Attempt { id, client, user } = attempt;
    Ok(store::forgive_login(&mut *store.conn().await?, *id, client, user.as_deref()).await?)
}

/// How long until this client may try this user name, if it must wait; with whether it has
/// failed within the window.
async fn blocked(
    conn: &mut dyn Conn,
    user: Option<&str>,
    client: &str,
    now_ms: i64,
) -> Result<(Option<Duration>, bool)> {
    let since = now_ms - WINDOW_MS;
    let pair_wait = match user {
        Some(u) => {
            let times =
                store::login_failures(conn, client, Some(u), since, PAIR_FAILURES as i64).await?;
            wait(&times, PAIR_FAILURES, now_ms)
        }
        None => None,
    };
    // an unknown address is no client: its attempts count for their user name only
    if client.is_empty() {
        return Ok((pair_wait, false));
    }
    let times = store::login_failures(conn, client, None, since, CLIENT_FAILURES as i64).await?;
    Ok((
        pair_wait.max(wait(&times, CLIENT_FAILURES, now_ms)),
        !times.is_empty(),
    ))
}

/// With `limit` failures within the window (`newest`: their times, newest first, at most
/// `limit`), the time until the oldest of them leaves it.
fn wait(newest: &[i64], limit: usize, now_ms: i64) -> Option<Duration> {
    let oldest = *newest.get(limit.checked_sub(1)?)?;
    let left = (oldest + WINDOW_MS - now_ms).max(0);
    Some(Duration::from_millis(left as u64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::on_both_engines;

    async fn reserve_ok(store: &Store, user: &str, client: Option<IpAddr>, at: i64) -> Attempt {
        reserve(store, Some(user), client, at).await.unwrap().0
    }

    /// How long a reservation was told to wait (None: it passed).
    fn waits(r: &Result<(Attempt, bool)>) -> Option<Duration> {
        match r {
            Err(ServiceError::TooManyAttempts(w)) => Some(*w),
            Ok(_) => None,
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn the_wait_is_until_the_oldest_counted_failure_leaves_the_window() {
        assert_eq!(wait(&[], 1, 0), None);
        assert_eq!(wait(&[30, 20], 3, 40), None);
        assert_eq!(
            wait(&[30, 20, 10], 3, 40),
            Some(Duration::from_millis(299_970))
        );
        assert_eq!(
            wait(&[30, 20, 10], 3, 10 + WINDOW_MS + 5),
            Some(Duration::ZERO)
        );
    }

    async fn failures_block_per_client_and_user_then_per_client_then_expire(store: Store) {
        let t0 = 1_000_000_000;
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..PAIR_FAILURES {
            reserve_ok(&store, "admin", Some(a), t0).await;
        }
        // this client waits for this user; the user from another client does not, nor another
        // user from this client
        let window = Some(FAILURE_WINDOW);
        assert_eq!(
            waits(&reserve(&store, Some("admin"), Some(a), t0).await),
            window
        );
        reserve_ok(&store, "admin", Some(b), t0).await;
        reserve_ok(&store, "ops", Some(a), t0).await;
        let later = t0 + 100_000;
        assert_eq!(
            waits(&reserve(&store, Some("admin"), Some(a), later).await),
            Some(FAILURE_WINDOW - Duration::from_secs(100))
        );
        reserve_ok(&store, "admin", Some(a), t0 + WINDOW_MS).await;
        // a success forgets the pair's failures (not the client's) and gives its slot back
        let c: IpAddr = "192.0.2.3".parse().unwrap();
        let (_, guessing) = reserve(&store, Some("ops"), Some(c), t0).await.unwrap();
        assert!(!guessing);
        for _ in 1..PAIR_FAILURES - 1 {
            reserve_ok(&store, "ops", Some(c), t0).await;
        }
        let (right, guessing) = reserve(&store, Some("ops"), Some(c), t0).await.unwrap();
        assert!(guessing);
        forgive(&store, &right).await.unwrap();
        for _ in 0..PAIR_FAILURES {
            reserve_ok(&store, "ops", Some(c), t0).await;
        }
        assert!(waits(&reserve(&store, Some("ops"), Some(c), t0).await).is_some());
        // many user names from one address: the address waits (its forgiven failures count),
        // others do not
        let mut n = 2 * PAIR_FAILURES - 1;
        while n < CLIENT_FAILURES {
            reserve_ok(&store, &format!("u{n}"), Some(c), t0).await;
            n += 1;
        }
        assert!(waits(&reserve(&store, Some("fresh"), Some(c), t0).await).is_some());
        reserve_ok(&store, "fresh", Some(b), t0).await;
        reserve_ok(&store, "fresh", Some(c), t0 + WINDOW_MS).await;
        // an unknown address counts per user name only
        for _ in 0..PAIR_FAILURES {
            reserve_ok(&store, "nobody", None, t0).await;
        }
        assert!(waits(&reserve(&store, Some("nobody"), None, t0).await).is_some());
        reserve_ok(&store, "other", None, t0).await;
    }

    async fn attempts_under_way_count_before_their_answer(store: Store) {
        // parallel guesses each take a slot before the password is checked: past the limit
        // the next ones are refused even though none has been answered yet
        let now = now_ms();
        let c: IpAddr = "192.0.2.9".parse().unwrap();
        let names: Vec<String> = (0..64).map(|i| format!("made-up-{i}")).collect();
        let tries = names.iter().map(|n| reserve(&store, Some(n), Some(c), now));
        let passed = futures_util::future::join_all(tries)
            .await
            .into_iter()
            .filter(|r| waits(r).is_none())
            .count();
        assert_eq!(passed, CLIENT_FAILURES);
        let tries = (0..64).map(|_| reserve(&store, Some("admin"), None, now));
        let passed = futures_util::future::join_all(tries)
            .await
            .into_iter()
            .filter(|r| waits(r).is_none())
            .count();
        assert_eq!(passed, PAIR_FAILURES);
    }

    on_both_engines!(
        failures_block_per_client_and_user_then_per_client_then_expire,
        attempts_under_way_count_before_their_answer,
    );
}
