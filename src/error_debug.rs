//! How the crate's errors print under `Debug`: as their `Display` text (see [`display_as_debug`]).
//! A leaf module, so that every layer's errors can use it without importing the others.

use std::fmt;

/// Implements `Debug` for the named public error types as [`display_as_debug`] writes it: one
/// line beside each type's `Display`, and the rule lives in one place.
macro_rules! debug_as_display {
    ($($error:ident),+ $(,)?) => {$(
        impl ::std::fmt::Debug for $error {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                $crate::error_debug::display_as_debug(self, stringify!($error), f)
            }
        }
    )+};
}
pub(crate) use debug_as_display;

/// An error's `Debug`: its `Display` text, because `fn main() -> Result<(), Box<dyn Error>>`
/// prints the error it returns with `Debug`, and a derived `Debug` showed users Rust syntax
/// (`Permissions { path: .., mode: 33188 }`) where the `Display` text says what to do. The
/// alternate form (`{:#?}`) adds what a developer tracing it wants and `Display` leaves out:
/// the type's name and the `Debug` of its source (an I/O error's kind and OS code). Neither form
/// prints more than `Display` and the source do, so no secret reaches it either.
pub(crate) fn display_as_debug(
    error: &dyn std::error::Error,
    type_name: &str,
    f: &mut fmt::Formatter<'_>,
) -> fmt::Result {
    if !f.alternate() {
        return fmt::Display::fmt(error, f);
    }
    let mut shown = f.debug_struct(type_name);
    shown.field("message", &error.to_string());
    if let Some(source) = error.source() {
        shown.field("source", &source);
    }
    shown.finish()
}
