//! Representations: one serde document written as XML (quick-xml) or JSON (serde_json), chosen
//! by `Accept`; request bodies read as XML or JSON by `Content-Type`, at most 1 MiB, with
//! DTDs and entities other than XML's five refused.
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use quick_xml::events::Event;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::Fault;

/// The largest request body accepted.
pub const BODY_LIMIT: usize = crate::limits::API_BODY;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Format {
    Xml,
    Json,
}

tokio::task_local! {
    /// The representation the current request asked for (set by the edge middleware).
    static FORMAT: Format;
}

impl Format {
    /// From `Accept`: JSON when it names `application/json` (or `+json`) before any XML type
    /// and its q is not 0; XML otherwise (the default, also for `*/*`).
    pub fn from_headers(headers: &HeaderMap) -> Format {
        let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
            return Format::Xml;
        };
        let mut best: Option<(f32, Format)> = None;
        for item in accept.split(',') {
            let mut parts = item.split(';');
            let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
            let q = parts
                .filter_map(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.parse::<f32>().ok())
                })
                .next()
                .unwrap_or(1.0);
            let format = match media.as_str() {
                "application/json" => Format::Json,
                m if m.ends_with("+json") => Format::Json,
                "application/xml" | "text/xml" => Format::Xml,
                m if m.ends_with("+xml") => Format::Xml,
                _ => continue,
            };
            if q > 0.0 && best.is_none_or(|(bq, _)| q > bq) {
                best = Some((q, format));
            }
        }
        best.map(|(_, f)| f).unwrap_or(Format::Xml)
    }

    /// The current request's format (XML outside a request).
    pub fn current() -> Format {
        FORMAT.try_with(|f| *f).unwrap_or(Format::Xml)
    }

    pub async fn scope<F: std::future::Future>(self, f: F) -> F::Output {
        FORMAT.scope(self, f).await
    }
}

/// The REST API's 413, a `<fault>` in XML or JSON as the client asked: what the body-limit
/// layer answers for `/api` (it runs before the API's own edge, and is handed this by the
/// router so that it depends on no edge above it).
pub fn too_large(headers: &HeaderMap, detail: String) -> axum::response::Response {
    use axum::response::IntoResponse;
    let fault = body_too_large(detail);
    FORMAT.sync_scope(Format::from_headers(headers), || fault.into_response())
}

/// A document with its status (and, for a creation, its `Location`).
pub struct Doc<T> {
    pub status: StatusCode,
    pub doc: T,
    pub location: Option<String>,
}

impl<T> Doc<T> {
    pub fn ok(doc: T) -> Self {
        Doc {
            status: StatusCode::OK,
            doc,
            location: None,
        }
    }

    /// An operation accepted and running on: `Location` is the operation.
    pub fn accepted(doc: T, location: String) -> Self {
        Doc {
            status: StatusCode::ACCEPTED,
            doc,
            location: Some(location),
        }
    }

    pub fn created(doc: T, location: String) -> Self {
        Doc {
            status: StatusCode::CREATED,
            doc,
            location: Some(location),
        }
    }
}

/// XML with its declaration.
pub fn to_xml<T: Serialize>(doc: &T) -> Result<String, quick_xml::SeError> {
    let mut body = String::with_capacity(1024);
    body.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    quick_xml::se::to_writer(&mut body, doc)?;
    Ok(body)
}

/// JSON of the same document: attributes (`@id`) become plain fields; where an attribute and
/// a child share a name (`id`) they hold the same value and one is kept.
pub fn to_json<T: Serialize>(doc: &T) -> serde_json::Result<Vec<u8>> {
    let mut value = serde_json::to_value(doc)?;
    plain_attributes(&mut value);
    serde_json::to_vec(&value)
}

fn plain_attributes(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(map) => {
            let old = std::mem::take(map);
            for (k, mut child) in old {
                plain_attributes(&mut child);
                match k.strip_prefix('@') {
                    Some(plain) => {
                        map.entry(plain.to_owned()).or_insert(child);
                    }
                    None => {
                        map.insert(k, child);
                    }
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(plain_attributes),
        _ => {}
    }
}

impl<T: Serialize> IntoResponse for Doc<T> {
    fn into_response(self) -> Response {
        let (body, content_type) = match Format::current() {
            Format::Xml => (
                to_xml(&self.doc)
                    .map(String::into_bytes)
                    .map_err(|e| e.to_string()),
                "application/xml; charset=utf-8",
            ),
            Format::Json => (
                to_json(&self.doc).map_err(|e| e.to_string()),
                "application/json",
            ),
        };
        match body {
            Ok(body) => {
                let mut resp = (self.status, body).into_response();
                let h = resp.headers_mut();
                h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
                if let Some(loc) = self.location.and_then(|l| HeaderValue::try_from(l).ok()) {
                    h.insert(header::LOCATION, loc);
                }
                resp
            }
            Err(e) => {
                // our own documents always serialize: this is a bug, never client input
                tracing::error!(error = %e, "cannot serialize a document");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "cannot serialize the document",
                )
                    .into_response()
            }
        }
    }
}

/// A request body of root element `T::ROOT` (XML) or the same fields (JSON).
pub struct Body<T>(pub T);

/// The root element a request document must have.
pub trait Root {
    const ROOT: &'static str;
}

/// A body that may be absent (the actions' `<action>`): None for an empty body.
pub struct OptionalBody<T>(pub Option<T>);

async fn read_limited(req: Request) -> Result<(Option<Format>, axum::body::Bytes), Fault> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("?").to_owned());
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|len| len > crate::limits::DRAIN as u64) {
        return Err(over_limit());
    }
    // the limit layer has read it already (crate::limits); this keeps the rule where it is used
    let bytes = crate::limits::read_or_drain(req.into_body(), BODY_LIMIT)
        .await
        .map_err(|_| over_limit())?;
    let format = match content_type {
        None if bytes.is_empty() => None,
        None => return Err(unsupported("none")),
        Some(ct) => {
            let media = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            match media.as_str() {
                "application/xml" | "text/xml" => Some(Format::Xml),
                "application/json" => Some(Format::Json),
                _ => return Err(unsupported(&ct)),
            }
        }
    };
    Ok((format, bytes))
}

fn body_too_large(detail: String) -> Fault {
    Fault::new(StatusCode::PAYLOAD_TOO_LARGE, "Body too large", detail)
}

fn over_limit() -> Fault {
    body_too_large(format!("a request body has at most {BODY_LIMIT} bytes"))
}

fn unsupported(ct: &str) -> Fault {
    Fault::new(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "Unsupported media type",
        format!("Content-Type {ct:?}: application/xml or application/json"),
    )
}

fn bad_body(detail: impl Into<String>) -> Fault {
    Fault::new(StatusCode::BAD_REQUEST, "Malformed body", detail)
}

/// Refuses DTDs, processing instructions other than the declaration, entities other than
/// XML's five and character references, and a root element other than `root`.
pub fn check_xml(text: &str, root: &str) -> Result<(), Fault> {
    let mut reader = quick_xml::Reader::from_str(text);
    let (mut depth, mut roots) = (0usize, 0usize);
    let mut check_root = |name: &[u8]| {
        roots += 1;
        if roots > 1 {
            Err(bad_body("more than one root element"))
        } else if name != root.as_bytes() {
            Err(bad_body(format!(
                "the root element is <{}>, expected <{root}>",
                String::from_utf8_lossy(name)
            )))
        } else {
            Ok(())
        }
    };
    loop {
        match reader
            .read_event()
            .map_err(|e| bad_body(format!("not well-formed XML: {e}")))?
        {
            Event::DocType(_) => return Err(bad_body("a DTD is not accepted")),
            Event::PI(_) => return Err(bad_body("processing instructions are not accepted")),
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| bad_body(e.to_string()))?;
                if !(matches!(&*name, "amp" | "lt" | "gt" | "apos" | "quot")
                    || name.starts_with('#'))
                {
                    return Err(bad_body(format!("entity &{name}; is not accepted")));
                }
            }
            Event::Start(e) => {
                if depth == 0 {
                    check_root(e.name().as_ref())?;
                }
                depth += 1;
            }
            Event::Empty(e) if depth == 0 => check_root(e.name().as_ref())?,
            Event::End(_) => depth = depth.saturating_sub(1),
            Event::Eof => break,
            _ => {}
        }
    }
    if roots == 0 {
        return Err(bad_body(format!("no <{root}> element")));
    }
    Ok(())
}

/// A request body of `format` as `T` (what the extractors below do after reading it).
pub fn parse_body<T: DeserializeOwned + Root>(format: Format, bytes: &[u8]) -> Result<T, Fault> {
    match format {
        Format::Json => {
            // serde reads a struct from a JSON array too (`[true, "now"]` by field order):
            // a request document is an object, nothing else
            if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
                return Err(bad_body(format!(
                    "a JSON object ({{…}}) is required for <{}>",
                    T::ROOT
                )));
            }
            serde_json::from_slice(bytes).map_err(|e| bad_body(e.to_string()))
        }
        Format::Xml => {
            let text = std::str::from_utf8(bytes).map_err(|_| bad_body("the body is not UTF-8"))?;
            check_xml(text, T::ROOT)?;
            crate::xml::from_str(text).map_err(bad_body)
        }
    }
}

impl<S: Send + Sync, T: DeserializeOwned + Root> FromRequest<S> for Body<T> {
    type Rejection = Fault;

    async fn from_request(req: Request, _: &S) -> Result<Self, Fault> {
        let (format, bytes) = read_limited(req).await?;
        let Some(format) = format else {
            return Err(bad_body(format!("a <{}> document is required", T::ROOT)));
        };
        parse_body(format, &bytes).map(Body)
    }
}

impl<S: Send + Sync, T: DeserializeOwned + Root> FromRequest<S> for OptionalBody<T> {
    type Rejection = Fault;

    async fn from_request(req: Request, _: &S) -> Result<Self, Fault> {
        let (format, bytes) = read_limited(req).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(OptionalBody(None));
        }
        let format = format.ok_or_else(|| unsupported("none"))?;
        parse_body(format, &bytes).map(|t| OptionalBody(Some(t)))
    }
}
