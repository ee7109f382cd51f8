//! Reading a key-ring file (refusing one other users can read) and replacing it atomically.

use std::io::Write as _;
use std::path::Path;

use zeroize::Zeroizing;

use super::document::RingDocument;
use super::error::KeyFileError;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyFileError + '_ {
    move |source| KeyFileError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The file's text, if only its owner can read it. Wiped when dropped.
pub(super) fn read(path: &Path) -> Result<Zeroizing<String>, KeyFileError> {
    let file = std::fs::File::open(path).map_err(io(path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = file.metadata().map_err(io(path))?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(KeyFileError::Permissions {
                path: path.to_owned(),
                mode,
            });
        }
    }
    let mut text = Zeroizing::new(String::new());
    std::io::Read::read_to_string(&mut &file, &mut text).map_err(io(path))?;
    Ok(text)
}

impl RingDocument {
    /// Reads and parses the key-ring file at `path`.
    ///
    /// # Errors
    /// [`KeyFileError::Io`], [`KeyFileError::Permissions`] (the file is readable by others),
    /// [`KeyFileError::Syntax`], [`KeyFileError::Invalid`].
    pub fn read(path: &Path) -> Result<Self, KeyFileError> {
        Self::parse(&read(path)?, path)
    }

    /// Writes the document to `path`, replacing the file atomically: a new file (mode 600 on
    /// Unix) is written and flushed to disk beside it, then renamed over the old one, so a
    /// reader sees the old ring or the new one, never half of one, even if the writer dies.
    ///
    /// # Errors
    /// [`KeyFileError::Io`]; the old file is then untouched.
    pub fn write(&self, path: &Path) -> Result<(), KeyFileError> {
        let dir = match path.parent() {
            Some(dir) if !dir.as_os_str().is_empty() => dir,
            _ => Path::new("."),
        };
        // `tempfile` creates the file readable by its owner only.
        let mut file = tempfile::Builder::new()
            .prefix(".sealed-session-ring")
            .tempfile_in(dir)
            .map_err(io(path))?;
        file.write_all(self.to_toml().as_bytes())
            .map_err(io(path))?;
        file.as_file().sync_all().map_err(io(path))?;
        file.persist(path).map_err(|e| io(path)(e.error))?;
        // The rename itself reaches the disk with the directory.
        #[cfg(unix)]
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(path))?;
        Ok(())
    }
}
