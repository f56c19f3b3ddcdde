//! The database holds access tokens and OAuth client secrets, so it is the owner's alone: created
//! with mode 0600, with SQLite's `-wal` and `-shm` files kept the same, and a warning at start
//! when an existing file is open to other users.
//!
//! SQLite creates `-wal` and `-shm` with the permissions of the database file (`os_unix.c`,
//! `findCreateFileMode`), so a 0600 database gets 0600 companions; they are tightened here too in
//! case they were left behind by an older, looser database file.

use std::path::{Path, PathBuf};

use super::{Result, StoreError};

/// Creates `path` owner-only if it does not exist yet. An existing file is left as it is.
#[cfg(unix)]
pub(super) fn create_private(path: &Path) -> Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
    {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(StoreError::Open {
            path: path.display().to_string(),
            message: e.to_string(),
        }),
    }
}

#[cfg(not(unix))]
pub(super) fn create_private(_path: &Path) -> Result<()> {
    Ok(())
}

/// The database's companion files: SQLite appends these suffixes to the database path.
fn companions(path: &Path) -> [PathBuf; 2] {
    let with = |suffix: &str| {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        PathBuf::from(p)
    };
    [with("-wal"), with("-shm")]
}

/// After opening: gives `-wal` and `-shm` no more access than owner read/write, and says so
/// when the database itself is readable by others (the owner's choice to fix: it may be shared on
/// purpose with a backup user).
#[cfg(unix)]
pub(super) fn check(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for file in companions(path) {
        if let Ok(meta) = std::fs::metadata(&file) {
            if meta.permissions().mode() & 0o077 != 0 {
                let _ = std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600));
            }
        }
    }
    if let Ok(meta) = std::fs::metadata(path) {
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                mode = format!("{mode:o}"),
                "store: the database {} is readable by other users (mode {mode:o}) and holds \
                 access tokens; make it private with `chmod 600 {}`",
                path.display(),
                path.display()
            );
        }
    }
}

#[cfg(not(unix))]
pub(super) fn check(_path: &Path) {}
