//! Filesystem steps that either happen whole or not at all, and survive a crash once done:
//! a rename that never replaces ([`rename_exclusive`]), a rename that swaps two folders in one
//! step ([`swap_dirs`]), and syncing a folder so that a rename in it is on disk
//! ([`sync_dir`]).
//!
//! Linux (`renameat2`) and macOS (`renameatx_np`) do both renames in the kernel. Elsewhere
//! [`rename_exclusive`] checks before it renames and [`swap_dirs`] moves the old folder aside
//! first, which leaves a moment without a folder; both are documented as such.

use std::io;
use std::path::Path;

/// Renames `from` to `to`, failing with [`io::ErrorKind::AlreadyExists`] if `to` exists
/// (a file, a folder — even an empty one — or a link), never replacing it.
pub fn rename_exclusive(from: &Path, to: &Path) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        match renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE) {
            Ok(()) => return Ok(()),
            Err(e) if e == rustix::io::Errno::EXIST => {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{} already exists", to.display()),
                ));
            }
            // Filesystems without the flag: fall back to the check below.
            Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {}
            Err(e) => return Err(e.into()),
        }
    }
    if std::fs::symlink_metadata(to).is_ok() {
        return Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} already exists", to.display()),
        ));
    }
    std::fs::rename(from, to)
}

/// Puts the folder `staged` at `target`. When `target` exists, the two are exchanged in one
/// step, so `target` always names a whole folder, and the old folder is then at `staged`
/// (the caller removes it). Returns whether an old folder was swapped out.
pub fn swap_dirs(staged: &Path, target: &Path) -> io::Result<bool> {
    if std::fs::symlink_metadata(target).is_err() {
        rename_exclusive(staged, target)?;
        return Ok(false);
    }
    #[cfg(any(target_os = "linux", target_os = "android", target_vendor = "apple"))]
    {
        use rustix::fs::{CWD, RenameFlags, renameat_with};
        match renameat_with(CWD, staged, CWD, target, RenameFlags::EXCHANGE) {
            Ok(()) => return Ok(true),
            Err(e) if e == rustix::io::Errno::INVAL || e == rustix::io::Errno::NOSYS => {}
            Err(e) => return Err(e.into()),
        }
    }
    // No exchange on this filesystem: move the old folder aside, then the new one in.
    let aside = staged.with_extension("old");
    std::fs::rename(target, &aside)?;
    std::fs::rename(staged, target)?;
    std::fs::rename(&aside, staged)?;
    Ok(true)
}

/// Flushes a folder's entries to disk, so that files created or renamed in it survive a
/// crash. A no-op where folders cannot be opened (Windows).
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        std::fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// Writes `bytes` to a new file at `path` (failing if it exists) and syncs it to disk.
pub fn write_new_synced(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exclusive_rename_never_replaces_even_an_empty_folder() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir(&a).unwrap();
        std::fs::write(a.join("f"), "new").unwrap();
        std::fs::create_dir(&b).unwrap();
        let err = rename_exclusive(&a, &b).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert!(a.join("f").exists());
        assert_eq!(std::fs::read_dir(&b).unwrap().count(), 0);
        std::fs::remove_dir(&b).unwrap();
        rename_exclusive(&a, &b).unwrap();
        assert_eq!(std::fs::read_to_string(b.join("f")).unwrap(), "new");
    }

    #[test]
    fn swapping_exchanges_the_folders_whole() {
        let dir = tempfile::tempdir().unwrap();
        let (staged, target) = (dir.path().join("staged"), dir.path().join("out"));
        std::fs::create_dir(&staged).unwrap();
        std::fs::write(staged.join("f"), "new").unwrap();
        assert!(!swap_dirs(&staged, &target).unwrap());
        assert_eq!(std::fs::read_to_string(target.join("f")).unwrap(), "new");
        std::fs::create_dir(&staged).unwrap();
        std::fs::write(staged.join("f"), "newer").unwrap();
        assert!(swap_dirs(&staged, &target).unwrap());
        assert_eq!(std::fs::read_to_string(target.join("f")).unwrap(), "newer");
        assert_eq!(std::fs::read_to_string(staged.join("f")).unwrap(), "new");
        sync_dir(dir.path()).unwrap();
    }

    #[test]
    fn a_new_file_is_never_written_over_an_existing_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("release.json");
        write_new_synced(&path, b"one").unwrap();
        assert!(write_new_synced(&path, b"two").is_err());
        assert_eq!(std::fs::read(&path).unwrap(), b"one");
    }
}
