//! Live updates: one watcher compares a cheap fingerprint of what the pages show
//! (`Service::live_fingerprint`) once a second (the sync loop, actions and probes all write
//! SQLite) and every open page hears of a change through server-sent events at `/rpc/live`,
//! then re-reads what it shows.
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::Stream;
use tokio::sync::watch;
use tokio_stream::{wrappers::WatchStream, StreamExt};

use crate::service::Service;

/// A counter that goes up whenever what the pages show has changed.
#[derive(Clone)]
pub struct Live(watch::Receiver<u64>);

const EVERY: Duration = Duration::from_secs(1);

impl Live {
    /// Starts the watcher; it ends when `stop` turns true.
    pub fn spawn(service: Service, mut stop: watch::Receiver<bool>) -> Live {
        let (tx, rx) = watch::channel(0u64);
        tokio::spawn(async move {
            let mut last = String::new();
            let mut tick = tokio::time::interval(EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stop.changed() => break,
                }
                match service.live_fingerprint().await {
                    Ok(now) if now != last => {
                        last = now;
                        tx.send_modify(|v| *v += 1);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "live updates: cannot read the fingerprint")
                    }
                }
            }
        });
        Live(rx)
    }
}

/// `GET /rpc/live`: an event `change` (data: the counter) after every change; a comment
/// every 15 s keeps proxies from closing the stream.
pub async fn stream(
    State(live): State<Live>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    // from now on: a receiver cloned unseen would report the last change at once, and a
    // page just rendered would read everything again for nothing
    let mut since_now = live.0.clone();
    since_now.borrow_and_update();
    let changes = WatchStream::from_changes(since_now)
        .map(|v| Ok(Event::default().event("change").data(v.to_string())));
    Sse::new(changes).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
