//! What every parser shares: telling plain text from XML, quick-xml's serde, and the small
//! checks that turn the raw `Option<String>` leaves into values (or a [`ParseError::Malformed`]).

use std::str::FromStr;

use serde::de::DeserializeOwned;
use uuid::Uuid;

use super::{ParseError, Result};

/// How much of an offending text is kept in an error.
pub(super) const SNIPPET_CHARS: usize = 200;

/// quick-xml's serde, after telling plain text from XML.
pub(super) fn de<T: DeserializeOwned>(xml: &str, what: &str) -> Result<T> {
    let xml = xml.trim_start_matches('\u{feff}').trim();
    if !xml.starts_with('<') {
        return Err(ParseError::NotXml(snippet(xml)));
    }
    crate::xml::from_str(xml).map_err(|e| malformed(format!("{what}: {e}")))
}

pub(super) fn malformed(msg: impl Into<String>) -> ParseError {
    ParseError::Malformed(msg.into())
}

/// The first [`SNIPPET_CHARS`] characters.
pub(super) fn snippet(s: &str) -> String {
    s.chars().take(SNIPPET_CHARS).collect()
}

/// "N/A" or empty: gluster's way to say "no value".
pub(super) fn is_absent(s: &str) -> bool {
    let s = s.trim();
    s.is_empty() || s.eq_ignore_ascii_case("N/A")
}

/// A required, non-empty element's text, trimmed.
pub(super) fn req(v: Option<String>, ctx: &str, what: &str) -> Result<String> {
    match v {
        Some(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        Some(_) => Err(malformed(format!("{ctx}: empty <{what}>"))),
        None => Err(malformed(format!("{ctx}: no <{what}>"))),
    }
}

pub(super) fn opt_text(v: Option<String>) -> Option<String> {
    v.filter(|s| !is_absent(s)).map(|s| s.trim().to_string())
}

pub(super) fn num<T: FromStr>(s: &str, what: &str) -> Result<T> {
    s.trim()
        .parse()
        .map_err(|_| malformed(format!("{what}: {:?} is not a valid number", snippet(s))))
}

pub(super) fn req_num<T: FromStr>(v: Option<String>, ctx: &str, what: &str) -> Result<T> {
    num(&req(v, ctx, what)?, &format!("{ctx}: {what}"))
}

pub(super) fn num_or_zero<T: FromStr + Default>(
    v: Option<String>,
    ctx: &str,
    what: &str,
) -> Result<T> {
    match v {
        Some(s) if !s.trim().is_empty() => num(&s, &format!("{ctx}: {what}")),
        _ => Ok(T::default()),
    }
}

/// A number, or `None` for absent / empty / "N/A".
pub(super) fn opt_num<T: FromStr>(s: Option<&str>, ctx: &str, what: &str) -> Result<Option<T>> {
    match s {
        Some(s) if !is_absent(s) => num(s, &format!("{ctx}: {what}")).map(Some),
        _ => Ok(None),
    }
}

pub(super) fn uuid(s: &str, ctx: &str, what: &str) -> Result<Uuid> {
    Uuid::parse_str(s.trim()).map_err(|e| malformed(format!("{ctx}: {what} {:?}: {e}", snippet(s))))
}

/// gluster's 1/0 flags.
pub(super) fn flag(s: &str, ctx: &str, what: &str) -> Result<bool> {
    match s.trim() {
        "1" => Ok(true),
        "0" => Ok(false),
        other => Err(malformed(format!(
            "{ctx}: {what} {:?} is not 0/1",
            snippet(other)
        ))),
    }
}
