//! A fresh directory for one test (removed at the end), with the key-ring file's path in it.

use std::path::PathBuf;

pub(crate) struct Dir(pub(crate) tempfile::TempDir);

impl Dir {
    pub(crate) fn new(name: &str) -> Self {
        Self(
            tempfile::Builder::new()
                .prefix(&format!("sealed-session-{name}"))
                .tempdir()
                .unwrap(),
        )
    }

    /// Where the test's key-ring file goes.
    pub(crate) fn file(&self) -> PathBuf {
        self.0.path().join("keys.toml")
    }
}
