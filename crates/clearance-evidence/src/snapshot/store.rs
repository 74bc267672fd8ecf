//! Reading the evidence store for a snapshot: one folder per release, each described by its
//! `release.json`. Files are hashed as they stream; only the few a check reads are held.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use super::period::parse_time;
use super::posture::{POLICY_FILE, REPORT_FILE};
use crate::store::record::{RELEASE_FILE, ReleaseRecord};
use clearance_core::bounded::{BoundedError, digest_stream, open_regular, read_capped};
use clearance_core::diag::{Diagnostic, Location};

/// The most bytes of one file kept in memory to be verified or read (`release.json`, the
/// license report, the policy, attestation bundles): 64 MiB. Larger ones are hashed only,
/// and a check that needs their content reports them.
pub const KEEP_CAP: u64 = 64 << 20;

/// One release folder: every file's digest, and the content of the files a check reads.
#[derive(Debug, Clone)]
pub struct StoredRelease {
    /// The folder's name.
    pub folder: String,
    /// Its files (regular files directly in the folder), by name.
    pub files: BTreeMap<String, StoredFile>,
    /// Entries that are not regular files (subfolders, links, FIFOs): never written by
    /// `release`.
    pub strays: Vec<String>,
    /// `release.json`, or why it could not be read.
    pub record: Result<ReleaseRecord, String>,
    /// When the release was made: from `release.json`, else from the folder's name.
    pub time: Option<OffsetDateTime>,
}

/// A file's digest and size, and its bytes when they are kept.
#[derive(Debug, Clone)]
pub struct StoredFile {
    /// The bytes, for the files a check reads (see [`is_kept`]) up to [`KEEP_CAP`].
    pub bytes: Option<Vec<u8>>,
    /// Lower-case hex SHA-256.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
}

impl StoredFile {
    /// Wraps bytes held in memory, computing their digest.
    pub fn new(bytes: Vec<u8>) -> StoredFile {
        let sha256 = clearance_core::license::sha256_hex(&bytes);
        StoredFile {
            size: bytes.len() as u64,
            bytes: Some(bytes),
            sha256,
        }
    }

    /// Drops the bytes, keeping the digest and size.
    pub fn forget_bytes(&mut self) {
        self.bytes = None;
    }
}

/// Whether a file of a release folder is read by the checks, so its bytes are kept.
pub fn is_kept(name: &str) -> bool {
    name == RELEASE_FILE
        || name == REPORT_FILE
        || name == POLICY_FILE
        || name.ends_with(".sigstore.json")
        || name.ends_with(".intoto.json")
}

/// The release folders of `store`, sorted by name (time first, as `release` names them).
/// Staging folders (names starting with a dot) and folders set aside by older versions are
/// skipped.
pub fn list_releases(store: &Path) -> Result<Vec<PathBuf>, Box<Diagnostic>> {
    let entries = std::fs::read_dir(store).map_err(|e| {
        Box::new(
            Diagnostic::error(
                "evidence-store",
                format!("cannot read the evidence store {}: {e}", store.display()),
            )
            .with_help(
                "give the folder `clearance release --evidence` wrote to with --evidence \
                 (default .clearance/evidence)",
            ),
        )
    })?;
    let mut folders: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            !name.starts_with('.') && !name.ends_with(".old-clearance")
        })
        .map(|e| e.path())
        .collect();
    folders.sort();
    Ok(folders)
}

/// The time a release folder's name starts with (`2026-10-02T09-30-00Z_app-1.0.0`).
pub fn time_from_folder_name(name: &str) -> Option<OffsetDateTime> {
    let stamp = name.split('_').next()?;
    let (day, clock) = stamp.split_once('T')?;
    parse_time(&format!("{day}T{}", clock.replace('-', ":")))
}

/// Reads the time of the release in `folder` cheaply: from `release.json` when it parses,
/// else from the folder's name. A `release.json` that is not a regular file is never opened
/// for long: it counts as unreadable.
pub fn release_time(folder: &Path) -> Option<OffsetDateTime> {
    let from_record = read_capped(&folder.join(RELEASE_FILE), KEEP_CAP)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<ReleaseRecord>(&bytes).ok())
        .and_then(|record| parse_time(&record.time));
    from_record.or_else(|| time_from_folder_name(&folder_name(folder)))
}

fn folder_name(folder: &Path) -> String {
    folder
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Reads a release folder: every regular file hashed as it streams by, the bytes of the
/// files a check reads kept; anything else (FIFOs, devices, links, folders) is a stray,
/// never opened.
pub fn read_release(folder: &Path) -> std::io::Result<StoredRelease> {
    let mut files = BTreeMap::new();
    let mut strays = Vec::new();
    for entry in std::fs::read_dir(folder)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !entry.file_type()?.is_file() {
            strays.push(name);
            continue;
        }
        match read_file(&entry.path(), is_kept(&name)) {
            Ok(file) => {
                files.insert(name, file);
            }
            Err(BoundedError::Io(e)) => return Err(e),
            Err(_) => strays.push(name),
        }
    }
    strays.sort();
    Ok(StoredRelease::from_files(
        folder_name(folder),
        files,
        strays,
    ))
}

/// Hashes the regular file at `path` as it streams, keeping its bytes when `keep`.
pub fn read_file(path: &Path, keep: bool) -> Result<StoredFile, BoundedError> {
    let file = open_regular(path)?;
    let streamed = digest_stream(
        std::io::BufReader::new(file),
        u64::MAX - 1,
        keep.then_some(KEEP_CAP),
    )?;
    Ok(StoredFile {
        bytes: streamed.kept,
        sha256: streamed.sha256,
        size: streamed.size,
    })
}

impl StoredRelease {
    /// The release in `folder` made of `files` (and `strays`, entries that are not files):
    /// its record read from `release.json`, its time from the record or the folder's name.
    pub fn from_files(
        folder: String,
        files: BTreeMap<String, StoredFile>,
        strays: Vec<String>,
    ) -> StoredRelease {
        let record = match files.get(RELEASE_FILE) {
            None => Err(format!("{RELEASE_FILE} is missing")),
            Some(StoredFile { bytes: None, .. }) => Err(format!(
                "{RELEASE_FILE} is larger than {} MiB: not a record clearance wrote",
                KEEP_CAP >> 20
            )),
            Some(StoredFile {
                bytes: Some(bytes), ..
            }) => parse_record(&Path::new(&folder).join(RELEASE_FILE), bytes),
        };
        let time = record
            .as_ref()
            .ok()
            .and_then(|r| parse_time(&r.time))
            .or_else(|| time_from_folder_name(&folder));
        StoredRelease {
            folder,
            files,
            strays,
            record,
            time,
        }
    }
}

/// Parses `release.json`; the error names the line and column.
pub fn parse_record(path: &Path, bytes: &[u8]) -> Result<ReleaseRecord, String> {
    serde_json::from_slice::<ReleaseRecord>(bytes).map_err(|e| {
        let text = String::from_utf8_lossy(bytes);
        let location = Location::from_line_column(path, &text, e.line(), e.column());
        format!(
            "{RELEASE_FILE} cannot be read at line {}, column {}: {e}",
            location.line, location.column
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn folder_names_carry_the_release_time() {
        assert_eq!(
            time_from_folder_name("2026-10-02T09-30-00Z_app-1.0.0"),
            Some(datetime!(2026-10-02 09:30 UTC))
        );
        assert_eq!(time_from_folder_name("notes"), None);
    }
}
