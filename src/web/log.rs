//! What an adapter logs about a session at the end of a request, through `tracing`.

use crate::cookie::CookieReadError;
use crate::error::OpenError;
use crate::handle::Refusal;

/// Logs why the request's session cookie did not open: `debug` for a session that simply ended
/// (expired, not yet valid, a type that changed, revoked by a logout), `warn` for what points at
/// tampering or a misconfiguration (a forged or damaged value, an unknown key, duplicated or stray
/// cookies), `info` for a session the revocation store no longer vouches for (one per live
/// session after the store forgot: many at once mean it lost its data).
pub(crate) fn refused(reason: &Refusal) {
    match reason {
        Refusal::Forgotten => {
            tracing::info!(%reason, "session cookie refused; the request has no session")
        }
        Refusal::Cookie(CookieReadError::Open(
            OpenError::Expired { .. } | OpenError::NotYetValid { .. } | OpenError::Deserialize(_),
        ))
        | Refusal::Revoked => {
            tracing::debug!(%reason, "session cookie refused; the request has no session")
        }
        _ => tracing::warn!(%reason, "session cookie refused; the request has no session"),
    }
}

/// Logs a rejection the `Session<T>` extractor answers with its status: an error either way, as
/// both are the server's fault (a handler served without the layer, a store that could not
/// answer), never the client's.
#[cfg(any(feature = "axum", feature = "actix"))]
pub(crate) fn rejected(rejection: &super::SessionRejection) {
    match rejection {
        super::SessionRejection::Missing(_) => tracing::error!(%rejection, "answering 500"),
        super::SessionRejection::Unavailable(_) => tracing::error!(%rejection, "answering 503"),
    }
}
