//! The evidence store in a folder: one subfolder per release, named by its record id
//! ([`record_id`]), holding the release's files and its `release.json`.
//!
//! The store is append-only. A record is copied into a locked staging folder in the store
//! (files and folder synced to disk), then renamed to its id with a rename that fails rather
//! than replace ([`clearance_core::atomic::rename_exclusive`]), so concurrent runs never overwrite one
//! another, and a record is either absent or whole. Recording the same `release.json` again
//! finds its folder and reports it as already recorded; nothing is ever replaced or removed,
//! except staging folders that no live run holds.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::record::{RELEASE_FILE, ReleaseRecord, record_id};
use super::{EvidenceStore, Recorded, StoreError};
use clearance_core::staging::{Staging, clean_stale};

/// Prefix of the staging folders in the store (hidden, so listings skip them).
pub const STAGING_PREFIX: &str = ".clearance-record";

/// An evidence store in a folder.
#[derive(Debug, Clone)]
pub struct FolderStore {
    root: PathBuf,
}

impl FolderStore {
    /// The store at `root` (created when the first release is recorded).
    pub fn new(root: impl Into<PathBuf>) -> FolderStore {
        FolderStore { root: root.into() }
    }

    /// The store's folder.
    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl EvidenceStore for FolderStore {
    fn location(&self) -> String {
        self.root.display().to_string()
    }

    /// Records the release whose files are in `folder` (its `release.json` is `record`),
    /// append-only. Staging folders left by runs that ended before `run_started` are
    /// removed first.
    fn record(
        &self,
        folder: &Path,
        record: &ReleaseRecord,
        run_started: SystemTime,
    ) -> Result<Recorded, StoreError> {
        let io = |path: &Path| {
            let path = path.to_path_buf();
            move |source| StoreError::Io { path, source }
        };
        std::fs::create_dir_all(&self.root).map_err(io(&self.root))?;
        clean_stale(&self.root, STAGING_PREFIX, run_started);
        let json = record.to_json();
        let target = self.root.join(record_id(record, &json));
        if let Some(done) = already_recorded(&target, &json)? {
            return Ok(done);
        }
        let staging = Staging::create(&self.root, STAGING_PREFIX).map_err(io(&self.root))?;
        copy_synced(folder, staging.path(), &json)?;
        match staging
            .rename_with(|staged| clearance_core::atomic::rename_exclusive(staged, &target))
        {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                // Another run recorded the same id between the check and the rename.
                return already_recorded(&target, &json)?
                    .ok_or(StoreError::Conflict { path: target });
            }
            Err(e) => return Err(io(&target)(e)),
        }
        clearance_core::atomic::sync_dir(&self.root).map_err(io(&self.root))?;
        Ok(Recorded::New(target))
    }
}

/// `Some` when `target` exists: already recorded if it holds the same `release.json`, else a
/// conflict.
fn already_recorded(target: &Path, json: &[u8]) -> Result<Option<Recorded>, StoreError> {
    if std::fs::symlink_metadata(target).is_err() {
        return Ok(None);
    }
    match std::fs::read(target.join(RELEASE_FILE)) {
        Ok(existing) if existing == json => Ok(Some(Recorded::Already(target.to_path_buf()))),
        _ => Err(StoreError::Conflict {
            path: target.to_path_buf(),
        }),
    }
}

/// Copies the regular files of `from` into `to`, with `release_json` as `release.json`,
/// each synced, then the folder synced and made `rwxr-xr-x`.
fn copy_synced(from: &Path, to: &Path, release_json: &[u8]) -> Result<(), StoreError> {
    let io = |path: PathBuf| move |source| StoreError::Io { path, source };
    for entry in std::fs::read_dir(from).map_err(io(from.to_path_buf()))? {
        let entry = entry.map_err(io(from.to_path_buf()))?;
        let name = entry.file_name();
        if name == RELEASE_FILE || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let dest = to.join(&name);
        std::fs::copy(entry.path(), &dest).map_err(io(entry.path()))?;
        std::fs::File::open(&dest)
            .and_then(|f| f.sync_all())
            .map_err(io(dest.clone()))?;
    }
    let record = to.join(RELEASE_FILE);
    clearance_core::atomic::write_new_synced(&record, release_json).map_err(io(record))?;
    set_dir_mode(to);
    clearance_core::atomic::sync_dir(to).map_err(io(to.to_path_buf()))
}

/// Gives a finished folder the usual `rwxr-xr-x` (staging folders are created private).
pub fn set_dir_mode(dir: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
    }
    #[cfg(not(unix))]
    let _ = dir;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::record::{Product, RELEASE_SCHEMA, Tool};

    fn release(dir: &Path, verdict: &str) -> ReleaseRecord {
        std::fs::write(dir.join("NOTICE"), verdict).unwrap();
        ReleaseRecord {
            schema: RELEASE_SCHEMA.into(),
            product: Product {
                name: "app".into(),
                version: "1.0.0".into(),
            },
            git_commit: None,
            time: "2026-10-02T09:30:00Z".into(),
            tool: Tool {
                name: "clearance".into(),
                version: "0".into(),
            },
            verdict: verdict.into(),
            signing: None,
            attestations: Vec::new(),
            files: Vec::new(),
        }
    }

    #[test]
    fn the_same_second_gives_two_records_and_a_rerun_is_already_recorded() {
        let out = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        let store = FolderStore::new(root.path().join("evidence"));
        let now = SystemTime::now();
        let pass = release(out.path(), "pass");
        let first = store.record(out.path(), &pass, now).unwrap();
        let fail = release(out.path(), "fail");
        let second = store.record(out.path(), &fail, now).unwrap();
        assert!(matches!(first, Recorded::New(_)) && matches!(second, Recorded::New(_)));
        assert_ne!(first.path(), second.path());
        assert_eq!(std::fs::read(first.path().join("NOTICE")).unwrap(), b"pass");
        assert_eq!(
            std::fs::read(second.path().join("NOTICE")).unwrap(),
            b"fail"
        );

        let again = store.record(out.path(), &fail, now).unwrap();
        assert_eq!(again, Recorded::Already(second.path().to_path_buf()));
        let names: Vec<_> = std::fs::read_dir(store.root()).unwrap().collect();
        assert_eq!(names.len(), 2, "nothing else is left in the store");
    }

    #[test]
    fn a_different_record_under_the_same_id_is_never_replaced() {
        let out = tempfile::tempdir().unwrap();
        let root = tempfile::tempdir().unwrap();
        let store = FolderStore::new(root.path());
        let pass = release(out.path(), "pass");
        let json = pass.to_json();
        let target = root.path().join(record_id(&pass, &json));
        std::fs::create_dir(&target).unwrap();
        std::fs::write(target.join(RELEASE_FILE), "{}").unwrap();
        let err = store
            .record(out.path(), &pass, SystemTime::now())
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
        assert_eq!(std::fs::read(target.join(RELEASE_FILE)).unwrap(), b"{}");
    }
}
