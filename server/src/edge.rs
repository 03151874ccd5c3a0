//! Where connections are served: on HTTP workers, one thread per core with a current-thread
//! tokio runtime of its own, to which the accept loop hands the connections in turn. A worker
//! answers its connections' requests up to the router: compression, the security headers and,
//! on SQLite, a REST GET whose document the cache holds (api/fast.rs). The router's own work
//! (pages, the API's whole way, server functions, actions) runs on the main runtime
//! (`OnMain`), where the background loops, detached actions and every database connection
//! live, so that none of them depends on a worker's runtime and a long page render holds up
//! no worker.
//!
//! Why: the main runtime's scheduler wakes tasks across its threads and shares one I/O driver;
//! a worker keeps a connection's reads, answer and writes on one thread, as nginx's workers
//! do. A held document is served ~18 % faster so (docs/benchmarks.md, "REST throughput").
use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::response::Response;
use axum::serve::ListenerExt;
use axum::Router;
use tokio::net::TcpListener;
use tokio::runtime::Handle;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;
use tower::{Service, ServiceExt};

/// A connection as accepted, before its worker registers it with its own runtime.
type Handed = (std::net::TcpStream, SocketAddr);

/// How many connections wait for a busy worker before the accept loop waits too.
const HANDED_QUEUE: usize = 64;

/// Serves `app` on one HTTP worker per core, handing them the connections `listener` accepts
/// in turn, until `stop` turns true: then the listener closes and each worker finishes the
/// requests under way (axum's graceful shutdown) before this returns.
pub async fn serve(
    listener: TcpListener,
    tls: Option<TlsAcceptor>,
    app: Router,
    stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let local = listener.local_addr()?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut handed = Vec::with_capacity(cores);
    let mut drained = Vec::with_capacity(cores);
    for n in 0..cores {
        let (tx, rx) = mpsc::channel(HANDED_QUEUE);
        let (done, worker_drained) = oneshot::channel();
        let (app, tls, stop) = (app.clone(), tls.clone(), stop.clone());
        std::thread::Builder::new()
            .name(format!("georep-http-{n}"))
            .spawn(move || {
                let _ = done.send(worker(rx, tls, local, app, stop));
            })?;
        handed.push(tx);
        drained.push(worker_drained);
    }
    accept(listener, handed, stop).await;
    for worker in drained {
        worker
            .await
            .map_err(|_| std::io::Error::other("an HTTP worker ended without draining"))??;
    }
    Ok(())
}

/// Accepts until the stop, handing each connection to the next worker.
async fn accept(
    listener: TcpListener,
    workers: Vec<mpsc::Sender<Handed>>,
    mut stop: watch::Receiver<bool>,
) {
    let mut next = 0;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            _ = stop.wait_for(|s| *s) => return,
        };
        let (tcp, peer) = match accepted {
            Ok(c) => c,
            Err(e) => {
                // out of file descriptors and the like: as axum's own listener does
                tracing::warn!(error = %e, "cannot accept a connection");
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
                continue;
            }
        };
        // out of the main runtime's I/O driver: the worker registers it with its own
        let tcp = match tcp.into_std() {
            Ok(tcp) => tcp,
            Err(e) => {
                tracing::debug!(%peer, error = %e, "connection lost before it was handed");
                continue;
            }
        };
        if workers[next % workers.len()]
            .send((tcp, peer))
            .await
            .is_err()
        {
            tracing::error!("an HTTP worker stopped before the server: not accepting");
            return;
        }
        next = next.wrapping_add(1);
    }
}

/// One worker's thread: its runtime serves the connections handed to it until the stop.
fn worker(
    handed: mpsc::Receiver<Handed>,
    tls: Option<TlsAcceptor>,
    local: SocketAddr,
    app: Router,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = crate::tls::Edge::new(handed, tls, local);
        axum::serve(
            // tap_io: its connections carry their peer's address for ConnectInfo
            listener.tap_io(|_: &mut crate::tls::Io| ()),
            // the client's address reaches the authenticator (failed logins are counted per
            // address)
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            let _ = stop.wait_for(|s| *s).await;
        })
        .await
    })
}

/// `inner` called on the main runtime: a worker awaits the answer, and a request whose
/// client went away (the worker drops its future) is cancelled there as it would be here.
#[derive(Clone)]
pub struct OnMain<S> {
    inner: S,
    main: Handle,
}

impl<S> OnMain<S> {
    /// `inner` on the runtime this is called on.
    pub fn here(inner: S) -> Self {
        OnMain {
            inner,
            main: Handle::current(),
        }
    }
}

impl<S> Service<Request> for OnMain<S>
where
    S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = OnMainFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // readiness is the inner service's business on its own runtime (oneshot)
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> OnMainFuture {
        OnMainFuture(self.main.spawn(self.inner.clone().oneshot(req)))
    }
}

/// The answer of a request running on the main runtime; dropped, it cancels the request.
pub struct OnMainFuture(JoinHandle<Result<Response, Infallible>>);

impl Future for OnMainFuture {
    type Output = Result<Response, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Poll::Ready(match std::task::ready!(Pin::new(&mut self.0).poll(cx)) {
            Ok(answer) => answer,
            // a handler's panic ends its connection, as it would on the worker
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            // the main runtime is ending: the stop's grace is over and the process exits, so
            // the request gets no answer (an action it began may still have ended on gluster)
            Err(_) => return Poll::Pending,
        })
    }
}

impl Drop for OnMainFuture {
    fn drop(&mut self) {
        self.0.abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;

    /// Sets its flag when dropped.
    struct Dropped(Arc<AtomicBool>);
    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }

    /// Runs `f` on a current-thread runtime of its own thread, as a worker would.
    fn on_a_worker<F: Future + Send + 'static>(f: F) -> F::Output
    where
        F::Output: Send,
    {
        std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(f)
        })
        .join()
        .unwrap()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn runs_on_the_main_runtime_and_answers_the_worker() {
        let app = Router::new().fallback(|| async {
            std::thread::current()
                .name()
                .unwrap_or("unnamed")
                .to_string()
        });
        let mut svc = OnMain::here(app);
        let body = on_a_worker(async move {
            let resp = svc
                .call(Request::new(axum::body::Body::empty()))
                .await
                .unwrap();
            axum::body::to_bytes(resp.into_body(), 100).await.unwrap()
        });
        // the main runtime's thread, not the (unnamed) one the worker's runtime runs on
        assert_eq!(&body[..], b"tokio-rt-worker");
    }

    #[tokio::test]
    async fn a_dropped_client_cancels_the_request_on_the_main_runtime() {
        let started = Arc::new(tokio::sync::Notify::new());
        let dropped = Arc::new(AtomicBool::new(false));
        let app = {
            let (started, dropped) = (started.clone(), dropped.clone());
            Router::new().fallback(move || {
                let (started, guard) = (started.clone(), Dropped(dropped.clone()));
                async move {
                    let _guard = guard;
                    started.notify_one();
                    std::future::pending::<()>().await;
                    "never"
                }
            })
        };
        let mut svc = OnMain::here(app);
        let answer = svc.call(Request::new(axum::body::Body::empty()));
        started.notified().await;
        assert!(!dropped.load(Ordering::SeqCst));
        drop(answer);
        for _ in 0..100 {
            if dropped.load(Ordering::SeqCst) {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the handler still runs after its client went away");
    }

    #[tokio::test]
    async fn a_handler_panic_reaches_the_worker() {
        let app = Router::new().fallback(|| async {
            if true {
                panic!("handler bug");
            }
            "never"
        });
        let mut svc = OnMain::here(app);
        let answer = svc.call(Request::new(axum::body::Body::empty()));
        let caught = tokio::spawn(answer).await.unwrap_err();
        assert!(caught.is_panic());
    }
}
