//! Staging folders: where a folder of output is written before it is renamed into place.
//!
//! Each staging folder is named `PREFIX-XXXXXX` and sits beside a lock file
//! `PREFIX-XXXXXX.lock` that its run holds locked (`flock`) for as long as it lives. The
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
    dir: Option<tempfile::TempDir>,
    lock_path: PathBuf,
    _lock: File,
}

impl Staging {
    /// Creates `PREFIX-XXXXXX` in `parent`, locked for this run.
    pub fn create(parent: &Path, prefix: &str) -> std::io::Result<Staging> {
        let dir = tempfile::Builder::new()
            .prefix(&format!("{prefix}-"))
            .tempdir_in(parent)?;
        let lock_path = lock_path_of(dir.path());
        let lock = File::create(&lock_path)?;
        lock.try_lock().map_err(std::io::Error::from)?;
        Ok(Staging {
            dir: Some(dir),
            lock_path,
            _lock: lock,
        })
    }

    /// The folder.
    pub fn path(&self) -> &Path {
        self.dir
            .as_ref()
            .map_or(Path::new(""), tempfile::TempDir::path)
    }

    /// Gives the folder up to the caller (to rename it into place); the lock file goes when
    /// `self` is dropped.
    pub fn finish(mut self) -> PathBuf {
        self.dir
            .take()
            .map(tempfile::TempDir::keep)
            .unwrap_or_default()
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.lock_path);
    }
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
        if !name.starts_with(&start) || name.ends_with(".lock") {
            continue;
        }
        let path = entry.path();
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
        Err(_) => std::fs::symlink_metadata(dir)
            .and_then(|m| m.modified())
            .is_ok_and(|modified| modified < run_started),
    }
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

        let kept = live.finish();
        assert!(kept.join("f").exists());
        assert!(
            !lock_path_of(&kept).exists(),
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
