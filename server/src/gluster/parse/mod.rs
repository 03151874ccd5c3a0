//! Pure parsers for the stdout of `gluster --mode=script --xml …` (no I/O).
//!
//! Every function takes the whole stdout (as `&str`; give invalid UTF-8 through
//! `String::from_utf8_lossy`) and never panics, whatever the input.
//!
//! How it works: the XML is read with quick-xml's serde support into private `Raw*` structs
//! whose leaves are all `Option<String>` (so a missing element, an empty element, "N/A" or a
//! bad number become *our* decision, with a useful error, instead of a generic serde error);
//! then the raw structs are checked and turned into the types of `model.rs`.
//!
//! Errors (see [`ParseError`]):
//! * stdout empty or not starting with `<` (CLI-side errors print nothing; `gsec_create`
//!   prints plain text; a geo-rep `status` with no session at all prints the plain line
//!   `geo-replication command failed` and exits 2) → [`ParseError::NotXml`] with the text.
//! * `opRet` ≠ 0 → [`ParseError::Command`] with gluster's `opErrstr` verbatim (entities decoded).
//! * XML that does not have the expected shape, or is truncated → [`ParseError::Malformed`].
//!
//! `events` and `nodes` are the odd ones out: the plain-text tables of `gluster-eventsapi`
//! and the JSON events glustereventsd pushes; the `key=value` lines of georep's node scripts.
//!
//! gluster < 10 says master/slave where gluster ≥ 10 says primary/secondary in the geo-rep
//! status; both are accepted (serde `alias`).

mod action;
mod common;
mod envelope;
pub mod events;
#[cfg(test)]
mod fixtures;
mod georep_config;
mod georep_status;
pub mod nodes;
mod pool_list;
mod volume_get;
mod volume_info;
mod volume_status;

pub use action::parse_action;
pub use envelope::check_envelope;
pub use georep_config::parse_georep_config;
pub use georep_status::parse_georep_status;
pub use pool_list::parse_pool_list;
pub use volume_get::parse_volume_get;
pub use volume_info::parse_volume_info;
pub use volume_status::parse_volume_status;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// gluster answered, with `opRet` ≠ 0. `message` is `opErrstr` verbatim (entities decoded;
    /// empty when gluster gave none).
    #[error("gluster: {message} (opRet {op_ret}, opErrno {op_errno})")]
    Command {
        op_ret: i32,
        op_errno: i32,
        message: String,
    },
    /// stdout was empty or plain text (first ~200 characters kept, whitespace trimmed).
    /// For a geo-rep status this is how gluster says "no session at all":
    /// `NotXml("geo-replication command failed")`; the caller decides what that means.
    #[error("gluster printed no XML: {0:?}")]
    NotXml(String),
    /// XML that does not fit the expected document (or is truncated / not well formed).
    #[error("unexpected gluster XML: {0}")]
    Malformed(String),
}

type Result<T> = std::result::Result<T, ParseError>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gluster::model::*;
    use crate::gluster::parse::fixtures::*;

    #[test]
    fn not_xml_and_empty() {
        for p in PARSERS {
            assert_eq!(p(""), Err(ParseError::NotXml(String::new())));
            assert_eq!(p("  \n"), Err(ParseError::NotXml(String::new())));
            assert_eq!(
                p(GSEC_CREATE),
                Err(ParseError::NotXml(
                    "Common secret pub file present at /var/lib/glusterd/geo-replication/common_secret.pem.pub"
                        .into()
                ))
            );
        }
        let long = "x".repeat(5000);
        match check_envelope(&long) {
            Err(ParseError::NotXml(s)) => assert_eq!(s.chars().count(), 200),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_display() {
        let e = parse_action(PAUSE_AGAIN).unwrap_err();
        assert_eq!(
            e.to_string(),
            "gluster: Geo-replication session between mastervol and vm::slavevol already Paused. (opRet 2, opErrno 30800)"
        );
    }
    // ----- robustness -------------------------------------------------------------------------

    /// The real captures and the well-formed hand-made files.
    const GOOD: &[&str] = &[
        PEER_STATUS,
        POOL_LIST,
        VOL_INFO_NONE,
        VOL_START,
        VOL_START_AGAIN,
        VOL_INFO_PRE,
        VOL_STATUS_PRE,
        CREATE_BAD_SLAVEVOL,
        CREATE_UNREACHABLE,
        CREATE_BAD_MASTERVOL,
        START_NO_SESSION,
        DELETE_NO_SESSION,
        CONFIG_NO_SESSION,
        CREATE_OK,
        ST_CREATED,
        ST_ALL_CREATED,
        CREATE_EXISTS,
        CONFIG_CREATED,
        CONFIG_ONE,
        START_OK,
        ST_INITIALIZING,
        ST_ACTIVE,
        PAUSE_OK,
        ST_PAUSED,
        PAUSE_AGAIN,
        START_PAUSED,
        ST_ALL_PAUSED,
        RESUME_AGAIN,
        STOP_OK,
        ST_STOPPED,
        STOP_AGAIN,
        RESUME_STOPPED,
        ST_CHECKPOINT_SET,
        ST_COUNTERS,
        ST_CHECKPOINT_DONE,
        ST_VOL_CHECKPOINT_DONE,
        ST_ALL_CHECKPOINT_DONE,
        CONFIG_SET,
        CONFIG_BAD_OPTION,
        CONFIG_BAD_VALUE,
        CONFIG_RESET,
        CONFIG_RESERVED,
        CONFIG_AFTER_SETS,
        ST_FAULTY,
        ST_HISTORY,
        CREATE_FORCE_NOT_EMPTY,
        DELETE_RUNNING,
        CREATE_BAD_USER,
        VOL_INFO_MASTER,
        VOL_STATUS_MASTER,
        VOL_STATUS_DETAIL,
        VOL_INFO_SLAVE,
        VOL_INFO_ALL,
        VOL_STATUS_ALL,
        DELETE_OK,
        DELETE_AGAIN,
        ST_HYBRID,
        ST_REPLICA_BOTH_ACTIVE,
        ST_TWO_SESSIONS_A,
        ST_ACTIVE_PASSIVE,
        ST_TWO_SESSIONS_B,
        VOL_STATUS_SHD,
        ST_EMPTY,
        ST_NON_ROOT,
    ];
    /// Plain-text stdout (real).
    const PLAIN: &[&str] = &[
        GSEC_CREATE,
        ST_NO_SESSION_ALL,
        ST_NO_SESSION,
        ST_ALL_AFTER_DELETE,
        ST_AFTER_DELETE,
    ];
    const BAD: &[&str] = &[G_TRUNCATED, G_HTML];

    #[test]
    fn every_fixture_through_every_parser() {
        let v9 = V9.iter().map(|(_, v9)| *v9);
        for xml in GOOD.iter().copied().chain(v9) {
            check_envelope(xml).unwrap();
            // Each answer fits at least the action parser or its own parser; none panics.
            let fits = PARSERS[1..].iter().filter(|p| p(xml).is_ok()).count();
            let failed_command = matches!(parse_action(xml), Err(ParseError::Command { .. }));
            assert!(fits >= 1 || failed_command);
        }
        for xml in PLAIN {
            for p in PARSERS {
                assert!(matches!(p(xml), Err(ParseError::NotXml(_))));
            }
        }
        for xml in BAD {
            for p in PARSERS {
                assert!(matches!(p(xml), Err(ParseError::Malformed(_))));
            }
        }
        // A well-formed answer with an out-of-range counter: only the status parser reads it.
        assert!(parse_action(G_HUGE).is_ok());
        assert!(matches!(
            parse_georep_status(G_HUGE),
            Err(ParseError::Malformed(_))
        ));
    }

    /// Random damage (deterministic): removed, replaced and inserted bytes, including XML
    /// syntax, through every parser. (Run with many more rounds while developing.)
    #[test]
    fn mutated_fixtures_never_panic() {
        let tokens: [&[u8]; 12] = [
            b"<",
            b">",
            b"/",
            b"&amp;",
            b"&",
            b"<![CDATA[",
            b"]]>",
            b"<!--",
            b"\"",
            b"=",
            b"<x>",
            b"</x>",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut rnd = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let sources = [
            ST_TWO_SESSIONS_B,
            VOL_INFO_ALL,
            VOL_STATUS_SHD,
            CONFIG_CREATED,
            START_PAUSED,
        ];
        for _ in 0..3000 {
            let mut b = sources[(rnd() % sources.len() as u64) as usize]
                .as_bytes()
                .to_vec();
            for _ in 0..1 + rnd() % 4 {
                let at = (rnd() % b.len() as u64) as usize;
                match rnd() % 4 {
                    0 => {
                        b.remove(at);
                    }
                    1 => {
                        let tok = tokens[(rnd() % tokens.len() as u64) as usize];
                        b.splice(at..at, tok.iter().copied());
                    }
                    2 => {
                        let end = (at + (rnd() % 50) as usize).min(b.len());
                        b.drain(at..end);
                    }
                    _ => b[at] = (rnd() % 256) as u8,
                }
            }
            let s = String::from_utf8_lossy(&b);
            for p in PARSERS {
                let _ = p(&s);
            }
        }
    }

    #[test]
    fn garbage_is_an_error() {
        for p in PARSERS {
            assert!(matches!(p(G_TRUNCATED), Err(ParseError::Malformed(_))));
            assert!(matches!(p(G_HTML), Err(ParseError::Malformed(_))));
            assert!(matches!(p("<"), Err(ParseError::Malformed(_))));
            assert!(matches!(p("<cliOutput"), Err(ParseError::Malformed(_))));
            assert!(matches!(
                p("<?xml version=\"1.0\"?>"),
                Err(ParseError::Malformed(_))
            ));
            assert!(matches!(p("<a><b></a>"), Err(ParseError::Malformed(_))));
            assert!(matches!(
                p("<cliOutput><opRet>0</opRet><opRet>1</opRet></cliOutput>"),
                Err(ParseError::Malformed(_))
            ));
            assert!(matches!(
                p("<cliOutput><opRet>&bogus;</opRet></cliOutput>"),
                Err(ParseError::Malformed(_))
            ));
            let binary = String::from_utf8_lossy(G_BINARY);
            assert!(matches!(p(&binary), Err(ParseError::NotXml(_))));
        }
        // Deep nesting does not blow the stack.
        let deep = format!(
            "<cliOutput><opRet>0</opRet><geoRep>{}</geoRep></cliOutput>",
            "<volume>".repeat(50_000)
        );
        for p in PARSERS {
            let _ = p(&deep);
        }
    }

    #[test]
    fn invalid_utf8_lossy() {
        let xml = String::from_utf8_lossy(G_BAD_UTF8);
        let st = parse_georep_status(&xml).unwrap();
        for p in &st.volumes[0].sessions[0].pairs {
            assert_eq!(p.master_node, "v\u{fffd}m");
            assert_eq!(
                p.status,
                WorkerStatus::Unknown("Act\u{fffd}\u{fffd}ive".into())
            );
            assert_eq!(p.crawl_status, CrawlStatus::Changelog);
        }
    }

    #[test]
    fn every_prefix_never_panics() {
        for xml in [ST_TWO_SESSIONS_B, VOL_INFO_ALL, VOL_STATUS_DETAIL] {
            let full_ok = PARSERS.iter().filter(|p| p(xml).is_ok()).count();
            assert!(full_ok >= 2);
            for (end, _) in xml.char_indices() {
                let prefix = &xml[..end];
                if xml[end..].trim().is_empty() {
                    break; // only the final newline is missing: a complete answer
                }
                for p in PARSERS {
                    if let Ok(()) = p(prefix) {
                        panic!("a truncated answer ({end} bytes) was accepted");
                    }
                }
            }
        }
    }
}
