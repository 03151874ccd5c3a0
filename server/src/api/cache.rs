//! A cache of the GET documents of `/api`: every one is read from the database only, so a
//! document stays right until the next commit (`store::Generation`: this process's commit
//! count on SQLite, the database's snapshot on PostgreSQL, which every process's commits move).
//! It sits behind authentication (each request is still checked) and keeps no per-user
//! variant: a GET answers the same to every user who may read it. On SQLite only this
//! process's commits are seen: a second process writing the same file (the `georep` CLI adds
//! users and tokens only) changes no document.
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tokio::sync::OnceCell;

use super::repr::{Format, BODY_LIMIT};
use crate::store::{self, Generation, Store};

/// The documents held, in bytes; past it the cache starts over. Enough for every route of a
/// large inventory (a session detail of 1,000 bricks is about 1 MiB), and bounded by bytes,
/// not by count: 4,096 documents of up to 16 MiB each could have held 64 GiB.
const MAX_BYTES: usize = 64 << 20;
/// The largest document read (a larger one is a 500; none comes near).
const MAX_DOC: usize = BODY_LIMIT * 16;

type Key = (String, Format);

/// A request's key: its path and query, and the representation asked for.
fn key(uri: &axum::http::Uri, format: Format) -> Key {
    (
        uri.path_and_query()
            .map_or_else(|| uri.path().to_owned(), |p| p.as_str().to_owned()),
        format,
    )
}

/// Each path's document under the commit count it was read at. The document is filled once
/// per count: after a commit, the GETs that arrive together for a path wait for the first
/// one's read instead of all reading SQLite at once (each commit of the sync loop made every
/// polling client miss together: the tail of `scripts/load.sh`).
#[derive(Clone)]
pub struct DocCache {
    entries: Arc<Mutex<Entries>>,
    /// Where the generation comes from (None: this process's SQLite commits).
    store: Option<Store>,
}

impl Default for DocCache {
    fn default() -> Self {
        DocCache::with_budget(MAX_BYTES)
    }
}

struct Entries {
    slots: HashMap<Key, Slot>,
    /// The bodies of the filled slots.
    bytes: usize,
    budget: usize,
}

struct Slot {
    read_at: Generation,
    /// None once filled: the answer was not a 200 (each request then answers for itself).
    doc: Arc<OnceCell<Option<Doc>>>,
    /// Its body's bytes once counted in `Entries::bytes`.
    counted: usize,
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
    /// The cache of the documents read from `store`.
    pub fn of(store: Store) -> Self {
        DocCache {
            store: Some(store),
            ..DocCache::default()
        }
    }

    /// The generation a request that begins now asks for; None: the database cannot say (the
    /// request is answered uncached).
    async fn generation(&self) -> Option<Generation> {
        match &self.store {
            None => Some(Generation::Commits(store::commits())),
            Some(store) => store.generation().await.ok(),
        }
    }

    pub fn with_budget(budget: usize) -> Self {
        DocCache {
            store: None,
            entries: Arc::new(Mutex::new(Entries {
                slots: HashMap::new(),
                bytes: 0,
                budget,
            })),
        }
    }

    /// The slot for `key` at `asked`: the stored one when it serves that generation (on
    /// SQLite a newer one is fine too: its rows are newer than the caller's count), else a new
    /// one replacing it.
    fn slot(&self, key: &Key, asked: Generation) -> Arc<OnceCell<Option<Doc>>> {
        let mut e = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(s) = e.slots.get(key).filter(|s| s.read_at.serves(asked)) {
            return s.doc.clone();
        }
        let doc = Arc::new(OnceCell::new());
        let new = Slot {
            read_at: asked,
            doc: doc.clone(),
            counted: 0,
        };
        if let Some(old) = e.slots.insert(key.clone(), new) {
            e.bytes -= old.counted;
        }
        doc
    }

    /// Counts a document just filled into `doc` (if its slot is still held); over the budget,
    /// the cache starts over from it.
    fn count(&self, key: &Key, doc: &Arc<OnceCell<Option<Doc>>>, len: usize) {
        let mut e = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let Some(slot) = e.slots.get_mut(key).filter(|s| Arc::ptr_eq(&s.doc, doc)) else {
            return;
        };
        slot.counted = len;
        e.bytes += len;
        if e.bytes > e.budget {
            // starts over with this document (when it fits alone)
            let budget = e.budget;
            e.slots
                .retain(|_, s| Arc::ptr_eq(&s.doc, doc) && len <= budget);
            e.bytes = e.slots.values().map(|s| s.counted).sum();
        }
    }

    /// The answer to a GET of `uri` in `format` when the document read for the current
    /// generation is held; None otherwise (nothing is read, nothing waited for).
    pub async fn peek(&self, uri: &axum::http::Uri, format: Format) -> Option<Response> {
        let key = key(uri, format);
        let asked = self.generation().await?;
        let cell = {
            let e = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            e.slots
                .get(&key)
                .filter(|s| s.read_at.serves(asked))?
                .doc
                .clone()
        };
        let doc = cell.get()?.as_ref()?;
        Some(doc.response())
    }

    /// The bytes of the documents held.
    #[cfg(test)]
    fn held(&self) -> usize {
        let e = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        e.slots
            .values()
            .filter_map(|s| s.doc.get().cloned().flatten())
            .map(|d| d.body.len())
            .sum()
    }
}

/// Answers a GET from the document read under the current commit count, reading it (once per
/// count and path) when there is none yet. The count is taken before the handler runs, so a
/// commit during the read makes the document stale at once.
pub async fn cached(State(cache): State<DocCache>, req: Request, next: Next) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let key = key(req.uri(), Format::current());
    let Some(asked) = cache.generation().await else {
        return next.run(req).await;
    };
    let slot = cache.slot(&key, asked);
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
            match axum::body::to_bytes(body, MAX_DOC).await {
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
        if mine.is_none() {
            cache.count(&key, &slot, doc.body.len());
        }
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
        let seven = cache.slot(&key, Generation::Commits(7));
        assert!(
            Arc::ptr_eq(&seven, &cache.slot(&key, Generation::Commits(7))),
            "same count"
        );
        assert!(
            Arc::ptr_eq(&seven, &cache.slot(&key, Generation::Commits(6))),
            "a caller that counted before the last commit gets the newer document"
        );
        let eight = cache.slot(&key, Generation::Commits(8));
        assert!(!Arc::ptr_eq(&seven, &eight), "a commit since: a new slot");
        assert!(Arc::ptr_eq(
            &eight,
            &cache.slot(&key, Generation::Commits(8))
        ));
        let json = cache.slot(
            &("/api/clusters".into(), Format::Json),
            Generation::Commits(8),
        );
        // PostgreSQL: only the snapshot it was read at (any process's commit moves it)
        let at_one = cache.slot(&key, Generation::Snapshot(1));
        assert!(Arc::ptr_eq(
            &at_one,
            &cache.slot(&key, Generation::Snapshot(1))
        ));
        assert!(!Arc::ptr_eq(
            &at_one,
            &cache.slot(&key, Generation::Snapshot(0))
        ));
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
    async fn the_documents_held_stay_within_the_byte_budget() {
        let cache = DocCache::with_budget(3_000);
        let app = Router::new()
            .route("/doc/{n}", get(|| async { "x".repeat(1_000) }))
            .layer(axum::middleware::from_fn_with_state(cache.clone(), cached));
        for n in 0..10 {
            let (status, body) = get_all(&app, &format!("/doc/{n}"), 2).await.remove(0);
            assert_eq!((status, body.len()), (StatusCode::OK, 1_000));
            assert!(cache.held() <= 3_000, "{} bytes held", cache.held());
            assert!(cache.held() >= 1_000, "the last document is kept");
        }
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
