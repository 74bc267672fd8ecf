//! The detection cache: per package checksum (registry crates never change), the detection
//! results of each license file, in the user's cache directory (`CLEARANCE_CACHE_DIR`
//! overrides it). An entry is used only when it parses and lists exactly the files just read,
//! with the same SHA-256 each; anything else is ignored and rewritten, never trusted.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::detect::Detection;
use super::files::LicenseFile;

/// The cache format's version, part of the directory name.
const VERSION: &str = "licenses-v1";

/// One file's cached result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedFile {
    /// Path relative to the package root.
    pub path: String,
    /// SHA-256 of the file when it was analysed.
    pub sha256: String,
    /// What it was found to be.
    pub detection: Detection,
}

#[derive(Serialize, Deserialize)]
struct Entry {
    files: Vec<CachedFile>,
}

/// A cache directory, or none (caching off).
#[derive(Debug, Clone)]
pub struct Cache {
    dir: Option<PathBuf>,
}

impl Cache {
    /// The user's cache (`CLEARANCE_CACHE_DIR`, else the platform cache directory).
    pub fn user() -> Self {
        let base = std::env::var_os("CLEARANCE_CACHE_DIR")
            .map(PathBuf::from)
            .or_else(|| {
                directories::ProjectDirs::from("", "", "clearance")
                    .map(|d| d.cache_dir().to_owned())
            });
        Self {
            dir: base.map(|b| b.join(VERSION)),
        }
    }

    /// A cache rooted at `dir`.
    pub fn at(dir: &Path) -> Self {
        Self {
            dir: Some(dir.join(VERSION)),
        }
    }

    /// No caching.
    pub fn disabled() -> Self {
        Self { dir: None }
    }

    fn path(&self, checksum: &str) -> Option<PathBuf> {
        let valid = checksum.len() >= 8 && checksum.bytes().all(|b| b.is_ascii_hexdigit());
        let dir = self.dir.as_ref()?;
        valid.then(|| dir.join(&checksum[..2]).join(format!("{checksum}.json")))
    }

    /// The cached detections for `files` of the package with `checksum`, if the entry is
    /// intact and describes exactly these files.
    pub fn get(&self, checksum: &str, files: &[LicenseFile]) -> Option<Vec<Detection>> {
        let bytes = std::fs::read(self.path(checksum)?).ok()?;
        let entry: Entry = serde_json::from_slice(&bytes).ok()?;
        if entry.files.len() != files.len() {
            return None;
        }
        entry
            .files
            .into_iter()
            .zip(files)
            .map(|(cached, file)| {
                (cached.path == file.path && cached.sha256 == file.sha256)
                    .then_some(cached.detection)
            })
            .collect()
    }

    /// Stores the detections of `files` (best effort: a cache that cannot be written is
    /// simply not used).
    pub fn put(&self, checksum: &str, files: &[LicenseFile], detections: &[Detection]) {
        let Some(path) = self.path(checksum) else {
            return;
        };
        let entry = Entry {
            files: files
                .iter()
                .zip(detections)
                .map(|(f, d)| CachedFile {
                    path: f.path.clone(),
                    sha256: f.sha256.clone(),
                    detection: d.clone(),
                })
                .collect(),
        };
        let Ok(bytes) = serde_json::to_vec(&entry) else {
            return;
        };
        if let Some(dir) = path.parent()
            && std::fs::create_dir_all(dir).is_ok()
        {
            let _ = crate::output::write_atomically(&path, &bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::license::files::FileKind;

    fn file(path: &str, text: &str) -> LicenseFile {
        LicenseFile {
            path: path.into(),
            kind: FileKind::License,
            text: text.into(),
            sha256: crate::license::sha256_hex(text.as_bytes()),
        }
    }

    #[test]
    fn round_trips_and_distrusts_what_does_not_match() {
        let dir = tempfile::tempdir().unwrap();
        let cache = Cache::at(dir.path());
        let sum = "a".repeat(64);
        let files = vec![file("LICENSE", "mit text")];
        let det = vec![Detection {
            ids: vec!["MIT".into()],
            confidence: 1.0,
        }];
        assert!(cache.get(&sum, &files).is_none());
        cache.put(&sum, &files, &det);
        assert_eq!(cache.get(&sum, &files), Some(det.clone()));
        assert!(
            cache.get(&sum, &[file("LICENSE", "changed")]).is_none(),
            "a changed file is not trusted"
        );
        assert!(cache.get(&sum, &[]).is_none());
        let path = cache.path(&sum).unwrap();
        std::fs::write(&path, "{ not json").unwrap();
        assert!(
            cache.get(&sum, &files).is_none(),
            "a corrupt entry is ignored"
        );
        cache.put(&sum, &files, &det);
        assert_eq!(cache.get(&sum, &files), Some(det), "and rewritten");
        assert!(cache.path("../../etc").is_none(), "checksums are hex only");
    }
}
