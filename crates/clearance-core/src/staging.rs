//! Staging folders: where a folder of output is written before it is renamed into place.
//!
//! Each staging folder is named `PREFIX-XXXXXX` and sits beside a lock file
//! `PREFIX-XXXXXX.lock`, made and locked (`flock`) before the folder, that its run holds for
//! as long as it lives. The
//! kernel drops the lock when the process ends, however it ends, so a later run can tell the
//! debris of a killed run (lock free) from the folder of a run still going (lock held), and
//! [`clean_stale`] removes only the former. A folder with no lock file is removed only when
//! it is older than the run looking at it.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// A staging folder, removed with its lock file when dropped unless [`Staging::finish`]ed.
#[derive(Debug)]
pub struct Staging {
    dir: PathBuf,
    finished: bool,
    lock: tempfile::NamedTempFile,
}

impl Staging {
    /// Creates `PREFIX-XXXXXX` in `parent`, locked for this run. The lock file is made and
    /// locked first, so the folder is never there without a held lock.
    pub fn create(parent: &Path, prefix: &str) -> std::io::Result<Staging> {
        loop {
            let lock = tempfile::Builder::new()
                .prefix(&format!("{prefix}-"))
                .suffix(".lock")
                .tempfile_in(parent)?;
            lock.as_file().try_lock().map_err(std::io::Error::from)?;
            let dir = dir_path_of(lock.path());
            match std::fs::create_dir(&dir) {
                Ok(()) => {
                    set_private(&dir);
                    return Ok(Staging {
                        dir,
                        finished: false,
                        lock,
                    });
                }
                // Another run's folder of that name, left without its lock file: try
                // another name.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(e),
            }
        }
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Moves the finished folder into place with `rename` (given the folder's path), still
    /// holding the lock, so no other run can take it for debris in between. When `rename`
    /// fails the folder is removed; either way the lock file goes.
    pub fn rename_with<T>(
        mut self,
        rename: impl FnOnce(&Path) -> std::io::Result<T>,
    ) -> std::io::Result<T> {
        let moved = rename(&self.dir)?;
        self.finished = true;
        Ok(moved)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.finished {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
        // The lock file itself is removed by `NamedTempFile`, after the folder.
        let _ = &self.lock;
    }
}

/// Staging folders are private to their run until they are put in place.
fn set_private(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700));
    }
    #[cfg(not(unix))]
    let _ = dir;
}

/// The staging folder a lock file stands for: its path without `.lock`.
fn dir_path_of(lock: &Path) -> PathBuf {
    let name = lock.file_name().unwrap_or_default().to_string_lossy();
    lock.with_file_name(name.strip_suffix(".lock").unwrap_or(&name))
}

fn lock_path_of(dir: &Path) -> PathBuf {
    let mut name = dir.file_name().unwrap_or_default().to_os_string();
    name.push(".lock");
    dir.with_file_name(name)
}

/// Removes the staging folders `PREFIX-*` in `parent` that no live run holds, and their lock
/// files: those whose lock file can be locked, and those without a lock file that are older
/// than `run_started`. Folders of runs still going are left alone. Returns what was removed.
pub fn clean_stale(parent: &Path, prefix: &str, run_started: SystemTime) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return Vec::new();
    };
    let start = format!("{prefix}-");
    let mut removed = Vec::new();
    for entry in entries.filter_map(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with(&start) {
            continue;
        }
        let path = entry.path();
        if name.ends_with(".lock") {
            // A lock file whose folder was never made (a run killed in between).
            let free = File::open(&path).is_ok_and(|lock| lock.try_lock().is_ok());
            if free
                && older_than(&path, run_started)
                && std::fs::symlink_metadata(dir_path_of(&path)).is_err()
            {
                let _ = std::fs::remove_file(&path);
            }
            continue;
        }
        if !entry.file_type().is_ok_and(|t| t.is_dir()) {
            continue;
        }
        if is_stale(&path, run_started) && std::fs::remove_dir_all(&path).is_ok() {
            let _ = std::fs::remove_file(lock_path_of(&path));
            removed.push(path);
        }
    }
    removed.sort();
    removed
}

/// Whether no live run holds the staging folder `dir`.
fn is_stale(dir: &Path, run_started: SystemTime) -> bool {
    match File::open(lock_path_of(dir)) {
        // The lock stays taken until this handle closes, after the folder is gone.
        Ok(lock) => lock.try_lock().is_ok(),
        Err(_) => older_than(dir, run_started),
    }
}

/// Whether `path` was last changed before `time`.
fn older_than(path: &Path, time: SystemTime) -> bool {
    std::fs::symlink_metadata(path)
        .and_then(|m| m.modified())
        .is_ok_and(|modified| modified < time)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn debris_of_ended_runs_goes_and_live_runs_stay() {
        let parent = tempfile::tempdir().unwrap();
        let live = Staging::create(parent.path(), ".clearance-release").unwrap();
        std::fs::write(live.path().join("f"), "x").unwrap();

        // A run killed after creating its folder: its lock file is there but nobody holds it.
        let killed = parent.path().join(".clearance-release-killed");
        std::fs::create_dir(&killed).unwrap();
        std::fs::write(killed.join("sbom.json"), "half").unwrap();
        std::fs::write(lock_path_of(&killed), "").unwrap();
        // A folder of an older version, without a lock file.
        let old = parent.path().join(".clearance-release-old");
        std::fs::create_dir(&old).unwrap();
        // Something that is not ours.
        let other = parent.path().join("notes");
        std::fs::create_dir(&other).unwrap();

        let later = SystemTime::now() + Duration::from_secs(5);
        let removed = clean_stale(parent.path(), ".clearance-release", later);
        assert_eq!(removed, vec![killed.clone(), old.clone()]);
        assert!(live.path().join("f").exists(), "a live run's folder stays");
        assert!(other.exists());
        assert!(!lock_path_of(&killed).exists());

        // Without a lock file, a folder newer than the run is left alone.
        std::fs::create_dir(&old).unwrap();
        let earlier = SystemTime::now() - Duration::from_secs(60);
        assert!(clean_stale(parent.path(), ".clearance-release", earlier).is_empty());

        let staged = live.path().to_path_buf();
        let target = parent.path().join("out");
        live.rename_with(|dir| std::fs::rename(dir, &target))
            .unwrap();
        assert!(target.join("f").exists());
        assert!(
            !lock_path_of(&staged).exists(),
            "the lock file goes with the run"
        );
    }

    #[test]
    fn a_dropped_staging_folder_leaves_nothing() {
        let parent = tempfile::tempdir().unwrap();
        drop(Staging::create(parent.path(), ".clearance-record").unwrap());
        assert_eq!(std::fs::read_dir(parent.path()).unwrap().count(), 0);
    }
}
