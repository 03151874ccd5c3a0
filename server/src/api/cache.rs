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

use super::repr::{Format, BODY_LIMIT};
use crate::store;

/// Enough for every route of a large inventory; past it the cache starts over.
const MAX_ENTRIES: usize = 4096;

#[derive(Clone, Default)]
pub struct DocCache(Arc<Mutex<HashMap<(String, Format), Entry>>>);

struct Entry {
    commits: u64,
    headers: HeaderMap,
    body: Bytes,
}

impl DocCache {
    fn get(&self, key: &(String, Format), commits: u64) -> Option<Response> {
        let map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let e = map.get(key).filter(|e| e.commits == commits)?;
        let mut resp = Body::from(e.body.clone()).into_response();
        *resp.headers_mut() = e.headers.clone();
        Some(resp)
    }

    fn put(&self, key: (String, Format), entry: Entry) {
        let mut map = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_ENTRIES {
            map.clear();
        }
        map.insert(key, entry);
    }
}

/// Answers a GET from the cache when nothing was committed since it was stored; stores a
/// 200 answer under the commit count read before the handler ran (a commit meanwhile makes
/// it stale at once).
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
    let commits = store::commits();
    if let Some(hit) = cache.get(&key, commits) {
        return hit;
    }
    let resp = next.run(req).await;
    if resp.status() != StatusCode::OK {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let Ok(body) = axum::body::to_bytes(body, BODY_LIMIT * 16).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    cache.put(
        key,
        Entry {
            commits,
            headers: parts.headers.clone(),
            body: body.clone(),
        },
    );
    Response::from_parts(parts, Body::from(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_serves_only_its_own_commit_count() {
        let cache = DocCache::default();
        let key = ("/api/clusters".to_owned(), Format::Xml);
        let mut headers = HeaderMap::new();
        headers.insert("content-type", "application/xml".parse().unwrap());
        cache.put(
            key.clone(),
            Entry {
                commits: 7,
                headers,
                body: Bytes::from_static(b"<clusters/>"),
            },
        );
        let hit = cache.get(&key, 7).expect("same count: a hit");
        assert_eq!(hit.headers()["content-type"], "application/xml");
        assert!(cache.get(&key, 8).is_none(), "a commit since: stale");
        assert!(cache
            .get(&("/api/clusters".into(), Format::Json), 7)
            .is_none());
    }
}
