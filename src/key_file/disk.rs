//! Reading a key-ring file (refusing anything but a regular file of bounded size that only its
//! owner can read) and replacing it atomically.

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::path::Path;

use zeroize::{Zeroize as _, Zeroizing};

use super::document::RingDocument;
use super::error::KeyFileError;

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyFileError + '_ {
    move |source| KeyFileError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The most bytes a key-ring file may have (KEYS.md, "Reading and writing"): room for tens of
/// thousands of keys, and a bound on what a wrong path (a log file, a disk image) makes the reader
/// take into memory.
pub const MAX_FILE_LEN: u64 = 16 * 1024 * 1024;

/// Opens `path` for reading without ever waiting in `open` itself.
///
/// Opening a FIFO for reading blocks until a writer appears, so the file must be opened with
/// `O_NONBLOCK`, and only then asked what it is: checking the path first and opening it after
/// is racy (the path can be swapped in between), while the metadata of the opened handle is that
/// of the very file that will be read. `O_NOCTTY` keeps a terminal device given as the file from
/// becoming the process's controlling terminal. Neither flag changes how a regular file reads.
fn open(path: &Path) -> std::io::Result<File> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    options.open(path)
}

/// What a file that is not a regular file is, in words.
fn kind_of(file_type: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// Why `open` failed: a socket cannot be opened at all (`ENXIO`), so it is named from the path's
/// metadata. That metadata only explains an open that has already failed; nothing is read on
/// its word, so a change of the path in between cannot make a wrong file load.
fn open_error(path: &Path, source: std::io::Error) -> KeyFileError {
    match std::fs::metadata(path) {
        Ok(metadata) if !metadata.is_file() => KeyFileError::NotAFile {
            path: path.to_owned(),
            kind: kind_of(metadata.file_type()),
        },
        _ => io(path)(source),
    }
}

/// The file's text, if it is a regular file of at most [`MAX_FILE_LEN`] bytes that only its
/// owner can read. Wiped when dropped.
pub(super) fn read(path: &Path) -> Result<Zeroizing<String>, KeyFileError> {
    let file = open(path).map_err(|e| open_error(path, e))?;
    let metadata = file.metadata().map_err(io(path))?;
    if !metadata.is_file() {
        return Err(KeyFileError::NotAFile {
            path: path.to_owned(),
            kind: kind_of(metadata.file_type()),
        });
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = metadata.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(KeyFileError::Permissions {
                path: path.to_owned(),
                mode,
            });
        }
    }
    let too_large = || KeyFileError::TooLarge {
        path: path.to_owned(),
        max: MAX_FILE_LEN,
    };
    let len = usize::try_from(metadata.len())
        .ok()
        .filter(|&len| len as u64 <= MAX_FILE_LEN)
        .ok_or_else(too_large)?;
    // One buffer of the file's size and a byte more (to see the end without growing it): a
    // buffer that grows leaves a copy of the secrets in the block it frees. A file that grew
    // since its size was read still stops at the bound.
    let mut bytes = Zeroizing::new(Vec::with_capacity(len + 1));
    (&file)
        .take(MAX_FILE_LEN + 1)
        .read_to_end(&mut bytes)
        .map_err(io(path))?;
    if bytes.len() as u64 > MAX_FILE_LEN {
        return Err(too_large());
    }
    match String::from_utf8(std::mem::take(&mut *bytes)) {
        Ok(text) => Ok(Zeroizing::new(text)),
        Err(e) => {
            let valid = e.utf8_error().valid_up_to();
            let mut bytes = e.into_bytes();
            let line = bytes[..valid].iter().filter(|&&b| b == b'\n').count() + 1;
            bytes.zeroize();
            Err(KeyFileError::Syntax {
                path: path.to_owned(),
                line,
                message: "not UTF-8 text (TOML is UTF-8)".to_owned(),
            })
        }
    }
}

impl RingDocument {
    /// Reads and parses the key-ring file at `path`.
    ///
    /// # Errors
    /// [`KeyFileError::Io`], [`KeyFileError::NotAFile`], [`KeyFileError::TooLarge`],
    /// [`KeyFileError::Permissions`] (the file is readable by others), [`KeyFileError::Syntax`],
    /// [`KeyFileError::Invalid`].
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
