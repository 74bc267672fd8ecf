//! The evidence store: where every release is recorded, append-only, and read back for
//! snapshots. [`record`] is what a release is (`release.json`); [`EvidenceStore`] is what
//! every store does; [`folder`] keeps records in a folder.

pub mod folder;
pub mod record;

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use record::{RELEASE_FILE, ReleaseRecord};

/// Where releases are recorded. Every store keeps the same rules: a record's id is its time,
/// product, version and a digest of its `release.json` ([`record::record_id`]); a record is
/// written whole or not at all; nothing recorded is ever replaced or removed; recording the
/// same `release.json` again finds it ([`Recorded::Already`]).
pub trait EvidenceStore {
    /// Where the store is, for messages.
    fn location(&self) -> String;

    /// Records the release whose files are in `folder` (its `release.json` is `record`).
    /// `run_started` is when the recording run began: what other runs left unfinished
    /// before then may be cleaned up.
    fn record(
        &self,
        folder: &Path,
        record: &ReleaseRecord,
        run_started: SystemTime,
    ) -> Result<Recorded, StoreError>;
}

/// What recording did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recorded {
    /// A new record, in this folder.
    New(PathBuf),
    /// The same `release.json` was recorded before, in this folder; nothing was written.
    Already(PathBuf),
}

impl Recorded {
    /// The record's folder.
    pub fn path(&self) -> &Path {
        match self {
            Recorded::New(path) | Recorded::Already(path) => path,
        }
    }
}

/// Why a release could not be recorded. The store is left as it was.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Reading or writing failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// What was being read or written.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A folder with the record's id holds a different record.
    #[error(
        "the evidence store already holds {path} with a different {RELEASE_FILE}; nothing was \
         replaced"
    )]
    Conflict {
        /// The folder.
        path: PathBuf,
    },
}
