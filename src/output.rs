//! Where command output goes: standard output, or a file written atomically (a temporary
//! file in the same directory, flushed, then renamed over the target), so a failure never
//! leaves a half-written file behind.

use std::io::Write;
use std::path::{Path, PathBuf};

/// An output destination.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// Standard output (`-o -` or no `-o`).
    Stdout,
    /// A file, replaced atomically.
    File(PathBuf),
}

impl Destination {
    /// `None` and `-` mean standard output; anything else is a file path.
    pub fn from_arg(arg: Option<&Path>) -> Self {
        match arg {
            None => Destination::Stdout,
            Some(p) if p.as_os_str() == "-" => Destination::Stdout,
            Some(p) => Destination::File(p.to_owned()),
        }
    }

    /// Writes `bytes` to the destination.
    pub fn write(&self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Destination::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(bytes)?;
                out.flush()
            }
            Destination::File(path) => write_atomically(path, bytes),
        }
    }
}

/// Whether writing may replace a file that exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existing {
    /// Replace it.
    Replace,
    /// Fail with [`std::io::ErrorKind::AlreadyExists`], leaving it as it is.
    Keep,
}

/// Writes `bytes` to `path` through a temporary file in the same directory and a rename.
/// The file keeps the permissions of the file it replaces, or gets `rw-r--r--`.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_through_temporary(path, bytes, Existing::Replace)
}

/// Like [`write_atomically`], but for a file that must not exist yet: when `existing` is
/// [`Existing::Keep`] the rename fails if something appeared at `path` in the meantime.
pub fn write_through_temporary(
    path: &Path,
    bytes: &[u8],
    existing: Existing,
) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".clearance-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    let permissions = match std::fs::metadata(path) {
        Ok(existing) => existing.permissions(),
        Err(_) => default_permissions(),
    };
    tmp.as_file().set_permissions(permissions)?;
    tmp.as_file().sync_all()?;
    match existing {
        Existing::Replace => tmp.persist(path).map_err(|e| e.error)?,
        Existing::Keep => tmp.persist_noclobber(path).map_err(|e| e.error)?,
    };
    Ok(())
}

#[cfg(unix)]
fn default_permissions() -> std::fs::Permissions {
    use std::os::unix::fs::PermissionsExt;
    std::fs::Permissions::from_mode(0o644)
}

#[cfg(not(unix))]
fn default_permissions() -> std::fs::Permissions {
    std::fs::metadata(".")
        .map(|m| m.permissions())
        .unwrap_or_else(|_| unreachable!("the current directory exists"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_the_file_and_leaves_no_temporary_behind() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.json");
        std::fs::write(&target, "old").unwrap();
        write_atomically(&target, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.json")]);
    }

    #[cfg(unix)]
    #[test]
    fn new_files_are_world_readable() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("new.json");
        write_atomically(&target, b"{}").unwrap();
        let mode = std::fs::metadata(&target).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
    }

    #[test]
    fn keeping_an_existing_file_fails_and_leaves_it_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("policy.toml");
        std::fs::write(&target, "old").unwrap();
        let err = write_through_temporary(&target, b"new", Existing::Keep).unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        write_through_temporary(&dir.path().join("new.toml"), b"x", Existing::Keep).unwrap();
    }

    #[test]
    fn a_missing_directory_is_an_error_not_a_panic() {
        let dir = tempfile::tempdir().unwrap();
        assert!(write_atomically(&dir.path().join("no/such/dir/f"), b"x").is_err());
    }

    #[test]
    fn dash_means_stdout() {
        assert_eq!(
            Destination::from_arg(Some(Path::new("-"))),
            Destination::Stdout
        );
        assert_eq!(Destination::from_arg(None), Destination::Stdout);
    }
}
