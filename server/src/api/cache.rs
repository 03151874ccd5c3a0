//! A cache of the GET documents of `/api`: every one is read from SQLite only, so a document
//! stays right until the next commit (`store::commits`). It sits behind authentication (each
//! request is still checked) and keeps no per-user variant: a GET answers the same to every
//! user who may read it. Only this process's commits are seen: a second process writing the
//! same file (the `georep` CLI adds users and tokens only) changes no document.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::OnceCell;

use super::repr::{Format, BODY_LIMIT};
use crate::store;

/// Enough for every route of a large inventory; past it the cache starts over.
const MAX_ENTRIES: usize = 4096;

type Key = (String, Format);

/// Each path's document under the commit count it was read at. The document is filled once
/// per count: after a commit, the GETs that arrive together for a path wait for the first
/// one's read instead of all reading SQLite at once (each commit of the sync loop made every
/// polling client miss together: the tail of `scripts/load.sh`).
#[derive(Clone, Default)]
pub struct DocCache(Arc<Mutex<HashMap<Key, Slot>>>);

struct Slot {
    commits: u64,
    /// None once filled: the answer was not a 200 (each request then answers for itself).
    doc: Arc<OnceCell<Option<Doc>>>,
}

#[derive(Clone)]
struct Doc {
    headers: HeaderMap,
    body: Bytes,
}

impl Doc {
    fn response(&self) -> Response {
        let mut resp = Body::from(self.body.clone()).into_response();
        *resp.headers_mut() = self.headers.clone();
        resp
    }
}

impl DocCache {
    /// The slot for `key` at `commits`: the stored one when it is that recent (a newer one is
    /// fine too: its rows are newer than the caller's count), else a new one replacing it.
    fn slot(&self, key: &Key, commits: u64) -> Arc<OnceCell<Option<Doc>>> {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = map.get(key).filter(|s| s.commits >= commits) {
            return s.doc.clone();
        }
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        let doc = Arc::new(OnceCell::new());
        map.insert(
            key.clone(),
            Slot {
                commits,
                doc: doc.clone(),
            },
        );
        doc
    }
}

/// Answers a GET from the document read under the current commit count, reading it (once per
/// count and path) when there is none yet. The count is taken before the handler runs, so a
/// commit during the read makes the document stale at once.
pub async fn cached(State(cache): State<DocCache>, req: Request, next: Next) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let key = (
        req.uri()
            .path_and_query()
            .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned()),
        Format::current(),
    );
    let slot = cache.slot(&key, store::commits());
    let mut mine = Some((req, next));
    // the answer of this request when it filled the slot with one that is not cached
    let mut own: Option<Response> = None;
    let (mine_ref, own_ref) = (&mut mine, &mut own);
    let doc = slot
        .get_or_init(move || async move {
            let (req, next) = mine_ref.take()?;
            let resp = next.run(req).await;
            if resp.status() != StatusCode::OK {
                *own_ref = Some(resp);
                return None;
            }
            let (parts, body) = resp.into_parts();
            match axum::body::to_bytes(body, BODY_LIMIT * 16).await {
                Ok(body) => Some(Doc {
                    headers: parts.headers,
                    body,
                }),
                Err(_) => {
                    *own_ref = Some(StatusCode::INTERNAL_SERVER_ERROR.into_response());
                    None
                }
            }
        })
        .await;
    if let Some(doc) = doc {
        return doc.response();
    }
    match (own, mine) {
        (Some(resp), _) => resp,
        // another request filled the slot with an answer that is not cached: ours is asked
        (None, Some((req, next))) => next.run(req).await,
        // not reached: the request that fills the slot keeps its answer in `own`
        (None, None) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use axum::routing::get;
    use axum::Router;
    use tower::ServiceExt;

    use super::*;

    #[test]
    fn a_slot_serves_its_own_count_or_a_later_one() {
        let cache = DocCache::default();
        let key = ("/api/clusters".to_owned(), Format::Xml);
        let seven = cache.slot(&key, 7);
        assert!(Arc::ptr_eq(&seven, &cache.slot(&key, 7)), "same count");
        assert!(
            Arc::ptr_eq(&seven, &cache.slot(&key, 6)),
            "a caller that counted before the last commit gets the newer document"
        );
        let eight = cache.slot(&key, 8);
        assert!(!Arc::ptr_eq(&seven, &eight), "a commit since: a new slot");
        assert!(Arc::ptr_eq(&eight, &cache.slot(&key, 8)));
        let json = cache.slot(&("/api/clusters".into(), Format::Json), 8);
        assert!(!Arc::ptr_eq(&eight, &json), "one slot per representation");
    }

    /// A router whose handlers count their calls and take 50 ms, behind the cache: `/doc`
    /// answers 200, `/missing` 404.
    fn app(calls: Arc<AtomicUsize>) -> Router {
        let answer = |status: StatusCode, body: &'static str| {
            let calls = calls.clone();
            get(move || async move {
                calls.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(50)).await;
                (status, body)
            })
        };
        Router::new()
            .route("/doc", answer(StatusCode::OK, "<doc/>"))
            .route("/missing", answer(StatusCode::NOT_FOUND, "<fault/>"))
            .layer(axum::middleware::from_fn_with_state(
                DocCache::default(),
                cached,
            ))
    }

    async fn get_all(app: &Router, path: &str, n: usize) -> Vec<(StatusCode, Bytes)> {
        let asks = (0..n).map(|_| {
            let app = app.clone();
            let req = Request::get(path).body(Body::empty()).unwrap();
            async move {
                let resp = app.oneshot(req).await.unwrap();
                let status = resp.status();
                (
                    status,
                    axum::body::to_bytes(resp.into_body(), 1 << 20)
                        .await
                        .unwrap(),
                )
            }
        });
        futures_util::future::join_all(asks).await
    }

    #[tokio::test]
    async fn requests_that_miss_together_read_once() {
        let calls = Arc::new(AtomicUsize::new(0));
        let app = app(calls.clone());
        for (status, body) in get_all(&app, "/doc", 16).await {
            assert_eq!(status, StatusCode::OK);
            assert_eq!(body, "<doc/>");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1, "one read for 16 requests");
        get_all(&app, "/doc", 4).await;
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "no commit since: still cached"
        );
    }

    #[tokio::test]
    async fn an_answer_other_than_200_is_each_requests_own() {
        let calls = Arc::new(AtomicUsize::new(0));
        let app = app(calls.clone());
        for (status, body) in get_all(&app, "/missing", 8).await {
            assert_eq!(status, StatusCode::NOT_FOUND);
            assert_eq!(body, "<fault/>");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 8, "not cached, not shared");
    }
}
