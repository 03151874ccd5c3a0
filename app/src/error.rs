//! The one error type server functions return; the UI shows its text as it is.
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The request itself is wrong (a bad name, a bad value).
    #[error("{0}")]
    Invalid(String),
    #[error("not found: {0}")]
    NotFound(String),
    /// Refused because of the current state (a transition, a duplicate, a lock).
    #[error("{0}")]
    Conflict(String),
    /// Gluster answered with an error; the text is gluster's own message.
    #[error("gluster: {0}")]
    Gluster(String),
    #[error("gluster did not answer in time: {0}")]
    Timeout(String),
    /// Not logged in (or the login expired).
    #[error("{0}")]
    Unauthorized(String),
    /// Logged in, but the role does not allow it.
    #[error("{0}")]
    Forbidden(String),
    /// Details are in the server log, never sent to the browser.
    #[error("internal error (see the server log)")]
    Internal,
    #[error("could not reach the server: {0}")]
    Transport(String),
    /// The action is not possible from the session's current state.
    #[error("cannot {action} a session that is {}", .status.as_api())]
    WrongState {
        action: String,
        status: crate::domain::SessionStatus,
    },
    /// Another action on the same session is running.
    #[error("another action on this session is in progress: {0}")]
    Busy(String),
    /// The volumes are not eligible for a session (and no force): every reason.
    #[error("not eligible for a session: {}", .0.iter().map(|r| r.to_string()).collect::<Vec<_>>().join("; "))]
    NotEligible(Vec<crate::domain::Ineligibility>),
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        AppError::Transport(value.to_string())
    }
}
