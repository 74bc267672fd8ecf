//! Where command output goes: standard output, or a file.
//!
//! A regular file (or nothing) at the path is replaced atomically: a temporary file in the
//! same directory, written, synced, then renamed over the target, so a failure never leaves
//! a half-written file behind. A symbolic link is followed and the file it names is replaced
//! the same way; the link stays. Anything else — a character device such as `/dev/null`, a
//! FIFO, a socket, a terminal, `/dev/stdout` — is written through, never renamed over: a
//! rename would replace the device with a regular file for every later user of the machine.

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

/// Writes `bytes` to `path`: a regular file (or none) is replaced atomically through a
/// temporary file in the same directory and a rename, keeping the permissions of the file it
/// replaces (or `rw-r--r--`); a link is followed to the file it names; a device, FIFO,
/// socket or terminal is written through.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_streamed(path, |out| out.write_all(bytes))
}

/// Like [`write_atomically`], for output too large to hold: `fill` writes it into the
/// temporary file (or straight through a device), and nothing is renamed into place unless
/// it succeeds.
pub fn write_streamed(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    match target_of(path)? {
        Target::Replace(file) => replace_through_temporary(&file, fill, Existing::Replace),
        Target::WriteThrough => {
            let mut file = std::fs::OpenOptions::new().append(true).open(path)?;
            fill(&mut file)?;
            file.flush()
        }
    }
}

/// How a path is written.
#[derive(Debug, PartialEq, Eq)]
enum Target {
    /// Replace this regular file (the path itself, or what its links lead to).
    Replace(PathBuf),
    /// Open the path and write into it.
    WriteThrough,
}

/// Links followed at most before giving up, as the kernel does (`ELOOP`).
const MAX_LINKS: usize = 40;

/// Follows `path`'s links to what they name: a regular file or nothing is replaced, anything
/// else (and any link through `/proc` or `/dev`, such as `/dev/stdout`) is written through.
fn target_of(path: &Path) -> std::io::Result<Target> {
    let mut current = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        let metadata = match std::fs::symlink_metadata(&current) {
            Ok(metadata) => metadata,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Target::Replace(current));
            }
            Err(e) => return Err(e),
        };
        let kind = metadata.file_type();
        if kind.is_symlink() {
            let link = std::fs::read_link(&current)?;
            current = match current.parent() {
                Some(parent) if link.is_relative() => parent.join(link),
                _ => link,
            };
            if is_kernel_path(&current) {
                return Ok(Target::WriteThrough);
            }
        } else if kind.is_file() {
            return Ok(Target::Replace(current));
        } else if kind.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::IsADirectory,
                format!("{} is a directory", current.display()),
            ));
        } else {
            return Ok(Target::WriteThrough);
        }
    }
    Err(std::io::Error::other(format!(
        "{} is a chain of more than {MAX_LINKS} links",
        path.display()
    )))
}

/// Paths whose files stand for open files of a process (`/proc/self/fd/1`, `/dev/fd/1`):
/// a rename there would never reach what the process writes to.
fn is_kernel_path(path: &Path) -> bool {
    path.starts_with("/proc") || path.starts_with("/dev")
}

/// Like [`write_atomically`], but for a file that must not exist yet: when `existing` is
/// [`Existing::Keep`] the rename fails if something appeared at `path` in the meantime.
pub fn write_through_temporary(
    path: &Path,
    bytes: &[u8],
    existing: Existing,
) -> std::io::Result<()> {
    replace_through_temporary(path, |out| out.write_all(bytes), existing)
}

fn replace_through_temporary(
    path: &Path,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    existing: Existing,
) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".clearance-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    let mut out = std::io::BufWriter::new(tmp);
    fill(&mut out)?;
    let tmp = out
        .into_inner()
        .map_err(std::io::IntoInnerError::into_error)?;
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
    crate::atomic::sync_dir(dir)
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

    /// Asserts `path` is still what `is_kind` says after writing through it.
    #[cfg(unix)]
    fn written_through(path: &Path, is_kind: fn(&std::fs::FileType) -> bool) {
        write_atomically(path, b"sbom").unwrap();
        let kind = std::fs::symlink_metadata(path).unwrap().file_type();
        assert!(is_kind(&kind), "{} was replaced: {kind:?}", path.display());
    }

    #[cfg(unix)]
    #[test]
    fn a_device_is_written_through_never_replaced() {
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let null = dir.path().join("null");
        // Making a device node needs root; elsewhere the machine's own /dev/null is used,
        // which an unprivileged rename could not replace either way.
        let made = std::process::Command::new("mknod")
            .args([null.as_os_str(), "c".as_ref(), "1".as_ref(), "3".as_ref()])
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        let null = if made {
            null
        } else {
            PathBuf::from("/dev/null")
        };
        written_through(&null, FileTypeExt::is_char_device);
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            usize::from(made)
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_written_through_and_its_reader_gets_the_bytes() {
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
        )
        .unwrap();
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::read(fifo).unwrap())
        };
        written_through(&fifo, FileTypeExt::is_fifo);
        assert_eq!(reader.join().unwrap(), b"sbom");
    }

    #[cfg(unix)]
    #[test]
    fn a_link_is_kept_and_the_file_it_names_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.json");
        std::fs::write(&real, "old").unwrap();
        let link = dir.path().join("link.json");
        std::os::unix::fs::symlink("real.json", &link).unwrap();
        written_through(&link, std::fs::FileType::is_symlink);
        assert_eq!(std::fs::read(&real).unwrap(), b"sbom");
        // A link to nothing yet: the file is created where it points.
        let dangling = dir.path().join("dangling.json");
        std::os::unix::fs::symlink("made.json", &dangling).unwrap();
        written_through(&dangling, std::fs::FileType::is_symlink);
        assert_eq!(
            std::fs::read(dir.path().join("made.json")).unwrap(),
            b"sbom"
        );
    }

    #[test]
    fn stdout_by_name_is_written_through() {
        assert_eq!(
            target_of(Path::new("/dev/stdout")).unwrap(),
            Target::WriteThrough
        );
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
