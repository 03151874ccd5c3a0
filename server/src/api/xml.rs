//! An XML response: a serde document written by quick-xml with an XML declaration.
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

pub struct Xml<T>(pub StatusCode, pub T);

impl<T> Xml<T> {
    pub fn ok(doc: T) -> Self {
        Xml(StatusCode::OK, doc)
    }
}

impl<T: Serialize> IntoResponse for Xml<T> {
    fn into_response(self) -> Response {
        let mut body = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        match quick_xml::se::to_writer(&mut body, &self.1) {
            Ok(_) => {
                let mut resp = (self.0, body).into_response();
                resp.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/xml; charset=utf-8"),
                );
                resp
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot serialize an XML document");
                (StatusCode::INTERNAL_SERVER_ERROR, "cannot serialize the document").into_response()
            }
        }
    }
}
