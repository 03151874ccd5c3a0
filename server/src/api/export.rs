//! The audit trail as a file: every event a filter selects, newest first, as CSV or as the
//! JSON of `/api/events` (`{"event": […]}`), streamed a thousand events at a time (keyset
//! pages: memory stays flat however long the trail, and no event is read twice). Served to
//! REST clients at `/api/events/export` and to the browser at `/events/export` (behind the
//! login gate: the audit log page's export links).
use std::borrow::Cow;

use app::domain::{Event, EventCursor, EventFilter, EventPage};
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::{StreamExt, TryStreamExt};
use serde::Deserialize;

use super::docs::{time, EventDoc, FaultDoc};
use super::handlers::EventFilterParams;
use super::{Fault, QueryParams};
use crate::service::{Service, ServiceError};

/// Events read per page of the export.
const CHUNK: i64 = 1000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportFormat {
    Csv,
    Json,
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct ExportParams {
    /// csv (the default) or json.
    format: Option<String>,
}

#[utoipa::path(get, path = "/api/events/export", tag = "api", params(EventFilterParams, ExportParams),
    responses((status = 200, description = "every event the filter selects, newest first, as a download: CSV (`text/csv`, a header row; RFC 4180 quoting; a text cell that a spreadsheet would take for a formula starts with `'`) or JSON (`{\"event\": [...]}`, the documents of `/api/events`)"),
        (status = 400, description = "a malformed parameter, an unknown format, from after to", body = FaultDoc),
        (status = "default", body = FaultDoc)))]
pub async fn export_events(
    State(service): State<Service>,
    QueryParams(f): QueryParams<EventFilterParams>,
    QueryParams(x): QueryParams<ExportParams>,
) -> Result<Response, Fault> {
    let format = match x.format.as_deref().map(str::trim) {
        None | Some("" | "csv") => ExportFormat::Csv,
        Some("json") => ExportFormat::Json,
        Some(other) => {
            return Err(Fault::new(
                StatusCode::BAD_REQUEST,
                "Bad parameter",
                format!("format {other:?}: csv or json"),
            ))
        }
    };
    let filter = f.filter()?;
    // the first page before the answer begins: a filter the service refuses is a 400, not a
    // cut download
    let first = service.events(&filter, EventCursor::Newest, CHUNK).await?;
    Ok(download(format, pages(service, filter, first)))
}

/// The pages of `filter` from `first` on, each read while the one before is sent.
fn pages(
    service: Service,
    filter: EventFilter,
    first: EventPage,
) -> impl futures_util::Stream<Item = Result<Vec<Event>, ServiceError>> + Send {
    futures_util::stream::try_unfold(Some(first), move |page| {
        let (service, filter) = (service.clone(), filter.clone());
        async move {
            let Some(page) = page else {
                return Ok(None);
            };
            let next = match page.older {
                Some(b) => Some(
                    service
                        .events(&filter, EventCursor::Before(b), CHUNK)
                        .await?,
                ),
                None => None,
            };
            Ok(Some((page.events, next)))
        }
    })
}

/// The download of `pages` in `format`; a read failing half-way ends the body early (the
/// status was sent already), and is logged.
fn download(
    format: ExportFormat,
    pages: impl futures_util::Stream<Item = Result<Vec<Event>, ServiceError>> + Send + 'static,
) -> Response {
    let (content_type, file, head, tail) = match format {
        ExportFormat::Csv => (
            "text/csv; charset=utf-8",
            "georep-events.csv",
            csv_header(),
            Bytes::new(),
        ),
        ExportFormat::Json => (
            "application/json",
            "georep-events.json",
            Bytes::from_static(b"{\"event\":["),
            Bytes::from_static(b"]}"),
        ),
    };
    let mut first = true;
    let body = pages
        .map_ok(move |events| match format {
            ExportFormat::Csv => csv_rows(&events),
            ExportFormat::Json => {
                let rows = json_rows(&events, first);
                first &= events.is_empty();
                rows
            }
        })
        .map_err(|e| {
            tracing::error!(error = %e, "audit trail export cut short");
            std::io::Error::other(e.to_string())
        });
    let body = futures_util::stream::once(async move { Ok(head) })
        .chain(body)
        .chain(futures_util::stream::once(async move { Ok(tail) }));
    let mut resp = (StatusCode::OK, Body::from_stream(body)).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{file}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    // the trail at the time of the request, never a cached copy
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

const CSV_COLUMNS: [&str; 10] = [
    "id",
    "at",
    "actor",
    "action",
    "target",
    "result",
    "message",
    "session_id",
    "cluster_id",
    "operation_id",
];

fn csv_header() -> Bytes {
    let mut w = csv::Writer::from_writer(Vec::new());
    // writing to a Vec cannot fail
    let _ = w.write_record(CSV_COLUMNS);
    Bytes::from(w.into_inner().unwrap_or_default())
}

/// Events as CSV rows (the csv crate quotes what RFC 4180 asks: commas, quotes and line
/// breaks, which gluster's messages have).
fn csv_rows(events: &[Event]) -> Bytes {
    let mut w = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::with_capacity(events.len() * 200));
    let id = |u: Option<uuid::Uuid>| u.map(|u| u.to_string()).unwrap_or_default();
    for e in events {
        let cells = [
            Cow::Owned(e.id.to_string()),
            Cow::Owned(time(e.at)),
            inert(&e.actor),
            inert(&e.action),
            inert(&e.target),
            Cow::Borrowed(e.result.as_str()),
            inert(e.message.as_deref().unwrap_or("")),
            Cow::Owned(id(e.session_id)),
            Cow::Owned(id(e.cluster_id)),
            Cow::Owned(id(e.operation_id)),
        ];
        let _ = w.write_record(cells.iter().map(|c| c.as_bytes()));
    }
    Bytes::from(w.into_inner().unwrap_or_default())
}

/// A text cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, a tab or a carriage
/// return first: OWASP's CSV injection) starts with `'`: the trail holds what others typed
/// (option values set from the CLI, user names), and an export is opened by an admin.
fn inert(s: &str) -> Cow<'_, str> {
    if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{s}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// Events as the JSON documents of `/api/events`, comma-separated (`first`: the first ones of
/// the array, no comma before them).
fn json_rows(events: &[Event], first: bool) -> Bytes {
    let mut out = Vec::with_capacity(events.len() * 300);
    for (i, e) in events.iter().enumerate() {
        if !(first && i == 0) {
            out.push(b',');
        }
        match super::repr::to_json(&EventDoc::from(e.clone())) {
            Ok(doc) => out.extend(doc),
            // our own documents always serialize
            Err(e) => tracing::error!(error = %e, "cannot serialize an event"),
        }
    }
    Bytes::from(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::domain::EventResult;

    fn event(id: i64, message: &str) -> Event {
        Event {
            id,
            at: chrono::DateTime::parse_from_rfc3339("2026-11-24T08:44:35Z")
                .unwrap()
                .into(),
            actor: "admin".into(),
            action: "option_set".into(),
            cluster_id: None,
            session_id: Some(uuid::Uuid::nil()),
            target: "mastervol -> vm::slavevol sync_jobs=4".into(),
            result: EventResult::Failed,
            message: Some(message.into()),
            operation_id: None,
        }
    }

    #[test]
    fn csv_quotes_what_needs_it_and_reads_back() {
        let mut bytes = csv_header().to_vec();
        bytes.extend(csv_rows(&[
            event(2, "gluster said \"no\", twice\nand a second line"),
            event(1, "=HYPERLINK(\"http://x\")"),
        ]));
        let mut r = csv::Reader::from_reader(bytes.as_slice());
        assert_eq!(r.headers().unwrap(), CSV_COLUMNS.as_slice());
        let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
        assert_eq!(rows.len(), 2);
        assert_eq!(&rows[0][0], "2");
        assert_eq!(&rows[0][1], "2026-11-24T08:44:35Z");
        assert_eq!(&rows[0][6], "gluster said \"no\", twice\nand a second line");
        assert_eq!(&rows[0][7], uuid::Uuid::nil().to_string());
        assert_eq!(&rows[0][8], "", "no cluster: an empty cell");
        assert_eq!(&rows[1][6], "'=HYPERLINK(\"http://x\")", "not a formula");
    }

    #[test]
    fn json_pages_join_into_one_array() {
        let mut bytes = b"{\"event\":[".to_vec();
        bytes.extend(json_rows(&[event(3, "a"), event(2, "b")], true));
        bytes.extend(json_rows(&[event(1, "c")], false));
        bytes.extend(b"]}");
        let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
        let ids: Vec<_> = doc["event"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["id"].as_i64().unwrap())
            .collect();
        assert_eq!(ids, [3, 2, 1]);
    }
}
