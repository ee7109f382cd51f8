//! Server-side sessions with overflow ([`ServerSide::overflow`](crate::ServerSide::overflow)):
//! the state stays in the cookie while it fits there, and moves to the store only when it does
//! not, so small sessions cost no store round trip and large ones are not capped near 4 KB.
//! Where a change goes is all that differs from the server-side mode (server.rs), whose cookie
//! may hold the state or name a record either way.

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::super::Core;
use super::{Next, Server};
use crate::error::SealError;
use crate::error::WriteError;

/// Commits `next` into the cookie if the state fits there (leaving the store, if it was
/// there), otherwise into the store.
pub(super) fn commit<T: Serialize + DeserializeOwned>(
    server: &mut Server<T>,
    core: &mut Core<T>,
    next: Next<T>,
) -> Result<(), WriteError> {
    let Next {
        state,
        envelope,
        how,
    } = next;
    match server.keep_in_cookie(core, state, envelope) {
        Ok(()) => Ok(()),
        Err((e, _)) if !too_large(&e) => Err(e),
        Err((_, state)) => server.store_state(
            core,
            Next {
                state,
                envelope,
                how,
            },
        ),
    }
}

/// Whether a write failed only because the state does not fit the cookie.
fn too_large(e: &WriteError) -> bool {
    matches!(
        e,
        WriteError::Seal(SealError::TooLarge { .. }) | WriteError::TooManyChunks { .. }
    )
}
