//! Finding a package's license files: the declared `license-file`, and the files named
//! LICENSE*, LICENCE*, COPYING*, NOTICE*, UNLICENSE*, COPYRIGHT* at the package root and one
//! level down in license folders (`LICENSES/` of the REUSE convention holds one file per
//! license under any name). Nothing outside the package root is ever read: a `license-file`
//! that resolves outside it (`../../etc/passwd`, a symbolic link out) is refused.
//!
//! Every file of a package's tree is read through one bounded reader, [`read_inside`] (and
//! [`read_bounded`] below it): it opens without blocking, reads only regular files, and reads
//! at most [`MAX_FILE_BYTES`]. A FIFO, device or socket named `LICENSE` is never waited on,
//! and a huge file is never held in memory; both are reported as [`SkippedFile`]s rather
//! than silently left out.

use std::fmt;
use std::path::{Component, Path, PathBuf};

/// What a file is for.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum FileKind {
    /// A license text.
    License,
    /// An Apache-2.0 §4(d) NOTICE file, carried into our NOTICE verbatim.
    Notice,
}

/// One license or notice file of a package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LicenseFile {
    /// The path relative to the package root, with `/` separators.
    pub path: String,
    /// License or notice.
    pub kind: FileKind,
    /// The content (invalid UTF-8 replaced).
    pub text: String,
    /// SHA-256 of the bytes, lowercase hex.
    pub sha256: String,
}

/// What can go wrong finding license files.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    /// The declared `license-file` points outside the package.
    #[error("license-file `{0}` points outside the package root and was not read")]
    OutsideRoot(String),
    /// The declared `license-file` does not exist.
    #[error("license-file `{0}` does not exist in the package")]
    Missing(String),
}

/// The largest license or NOTICE file read, in bytes: 8 MiB, far more than any license text
/// or NOTICE file. A larger file is not read at all and is reported as skipped.
pub const MAX_FILE_BYTES: u64 = 8 << 20;

/// Why a file of a package was not read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    /// It is a FIFO, a device, a socket or a directory, which may never end or never answer.
    NotRegular,
    /// It is larger than [`MAX_FILE_BYTES`].
    TooLarge,
    /// Opening or reading it failed (permissions, an I/O error).
    Unreadable(String),
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::NotRegular => {
                f.write_str("it is not a regular file (a FIFO, device, socket or directory)")
            }
            SkipReason::TooLarge => write!(
                f,
                "it is larger than {} MiB, the most clearance reads of a license or NOTICE file",
                MAX_FILE_BYTES >> 20
            ),
            SkipReason::Unreadable(why) => write!(f, "it could not be read: {why}"),
        }
    }
}

/// A license or NOTICE file of a package that was found but not read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SkippedFile {
    /// The path relative to the package root, with `/` separators.
    pub path: String,
    /// License or notice.
    pub kind: FileKind,
    /// Why it was not read.
    pub reason: SkipReason,
}

/// Why the bounded reader returned no bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// There is no such file (or it resolves outside the package root): nothing was read.
    Absent,
    /// The file exists but was not read.
    Skipped(SkipReason),
}

/// The license files of a package, and those found but not read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PackageFiles {
    /// The files read, sorted by path.
    pub files: Vec<LicenseFile>,
    /// The files found but not read, sorted by path.
    pub skipped: Vec<SkippedFile>,
    /// A refusal of the declared `license-file`.
    pub refusal: Option<FileError>,
}

fn kind_of(name: &str) -> Option<FileKind> {
    let upper = name.to_ascii_uppercase();
    if upper.starts_with("NOTICE") {
        return Some(FileKind::Notice);
    }
    ["LICENSE", "LICENCE", "COPYING", "UNLICENSE", "COPYRIGHT"]
        .iter()
        .any(|p| upper.starts_with(p))
        .then_some(FileKind::License)
}

fn is_license_dir(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.starts_with("licen") || lower == "legal" || lower == "notices"
}

/// The license files of the package whose root is `root`; `declared` is its `license-file`.
/// Returns the files read and those skipped (each sorted by path) and, separately, a refusal
/// of the declared file.
pub fn find_license_files(root: &Path, declared: Option<&str>) -> PackageFiles {
    let Ok(root) = root.canonicalize() else {
        return PackageFiles::default();
    };
    let mut paths: Vec<(String, FileKind)> = Vec::new();
    for (name, is_dir) in entries(&root) {
        if !is_dir {
            if let Some(kind) = kind_of(&name) {
                paths.push((name, kind));
            }
        } else if is_license_dir(&name) {
            let dir_all = name.eq_ignore_ascii_case("LICENSES");
            for (inner, inner_dir) in entries(&root.join(&name)) {
                if inner_dir {
                    continue;
                }
                let kind = kind_of(&inner).or(dir_all.then_some(FileKind::License));
                if let Some(kind) = kind {
                    paths.push((format!("{name}/{inner}"), kind));
                }
            }
        }
    }
    let mut found = PackageFiles::default();
    if let Some(declared) = declared {
        match declared_path(&root, declared) {
            Ok(rel) if !paths.iter().any(|(p, _)| *p == rel) => {
                paths.push((rel, FileKind::License))
            }
            Ok(_) => {}
            Err(e) => found.refusal = Some(e),
        }
    }
    paths.sort();
    paths.dedup();
    for (path, kind) in paths {
        match read_below(&root, &path) {
            Ok(bytes) => found.files.push(LicenseFile {
                sha256: crate::license::sha256_hex(&bytes),
                text: String::from_utf8_lossy(&bytes).into_owned(),
                path,
                kind,
            }),
            Err(ReadError::Absent) => {}
            Err(ReadError::Skipped(reason)) => {
                found.skipped.push(SkippedFile { path, kind, reason })
            }
        }
    }
    found
}

/// The entries of `dir` as (name, is directory), without following links out of it.
fn entries(dir: &Path) -> Vec<(String, bool)> {
    let Ok(read) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    read.filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let is_dir = e.file_type().ok()?.is_dir();
            Some((name, is_dir))
        })
        .collect()
}

/// The bytes of `file` below the package root `root`, or `None` when it is missing, resolves
/// outside the root (through `..`, an absolute path or a symbolic link), or is skipped by
/// [`read_bounded`]: such a file is never read. [`read_package_file`] says which.
pub fn read_inside(root: &Path, file: &str) -> Option<Vec<u8>> {
    read_package_file(root, file).ok()
}

/// The bytes of `file` below the package root `root`, read by [`read_bounded`]; a file that
/// is missing or resolves outside the root is [`ReadError::Absent`] and never opened.
pub fn read_package_file(root: &Path, file: &str) -> Result<Vec<u8>, ReadError> {
    let root = root.canonicalize().map_err(|_| ReadError::Absent)?;
    read_below(&root, file)
}

/// [`read_package_file`] for a root already canonical.
fn read_below(root: &Path, file: &str) -> Result<Vec<u8>, ReadError> {
    let path = resolved_inside(root, &root.join(file)).ok_or(ReadError::Absent)?;
    read_bounded(&path)
}

/// Reads the file at `path` if it is a regular file of at most [`MAX_FILE_BYTES`].
///
/// It is opened without blocking (a FIFO with no writer would otherwise block the open
/// forever) and without becoming a controlling terminal; what was opened is then checked
/// with `fstat`, so a file swapped after a check by name cannot slip through. Only a regular
/// file is read, and through [`Read::take`] at most one byte more than the cap, so neither
/// its claimed size nor a file that grows while being read decides how much is held.
pub fn read_bounded(path: &Path) -> Result<Vec<u8>, ReadError> {
    read_capped(path, MAX_FILE_BYTES)
}

fn read_capped(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    use crate::bounded::BoundedError;
    crate::bounded::read_capped(path, cap).map_err(|e| match e {
        BoundedError::NotRegular => ReadError::Skipped(SkipReason::NotRegular),
        BoundedError::TooLarge { .. } => ReadError::Skipped(SkipReason::TooLarge),
        BoundedError::Io(e) if e.kind() == std::io::ErrorKind::NotFound => ReadError::Absent,
        BoundedError::Io(e) => ReadError::Skipped(SkipReason::Unreadable(e.to_string())),
    })
}

/// `path` with every link resolved, when it exists and lies below `root`.
fn resolved_inside(root: &Path, path: &Path) -> Option<PathBuf> {
    path.canonicalize().ok().filter(|p| p.starts_with(root))
}

fn inside(root: &Path, path: &Path) -> bool {
    resolved_inside(root, path).is_some()
}

/// The declared `license-file` relative to `root`, refused when it leaves it.
fn declared_path(root: &Path, declared: &str) -> Result<String, FileError> {
    let declared_norm = declared.replace('\\', "/");
    let relative = Path::new(&declared_norm);
    if relative.is_absolute()
        || relative
            .components()
            .any(|c| matches!(c, Component::ParentDir))
    {
        let full = root.join(relative);
        // A path that climbs out and back in (`../pkg/LICENSE`) is still inside; anything
        // else, including any absolute path, is refused without reading it.
        if relative.is_absolute() || !inside(root, &full) {
            return Err(FileError::OutsideRoot(declared.to_owned()));
        }
    }
    let full: PathBuf = root.join(relative);
    if !full.exists() {
        return Err(FileError::Missing(declared.to_owned()));
    }
    if !inside(root, &full) {
        return Err(FileError::OutsideRoot(declared.to_owned()));
    }
    let canonical = full
        .canonicalize()
        .map_err(|_| FileError::Missing(declared.to_owned()))?;
    let rel = canonical
        .strip_prefix(root)
        .map_err(|_| FileError::OutsideRoot(declared.to_owned()))?;
    Ok(rel.to_string_lossy().replace('\\', "/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_root_files_license_folders_and_refuses_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("pkg");
        std::fs::create_dir_all(pkg.join("LICENSES")).unwrap();
        std::fs::create_dir_all(pkg.join("src")).unwrap();
        std::fs::write(pkg.join("LICENSE-MIT"), "MIT text").unwrap();
        std::fs::write(pkg.join("NOTICE"), "notice").unwrap();
        std::fs::write(pkg.join("LICENSES/Apache-2.0.txt"), "apache").unwrap();
        std::fs::write(pkg.join("src/LICENSE"), "not a license folder").unwrap();
        std::fs::write(pkg.join("README.md"), "readme").unwrap();
        std::fs::write(dir.path().join("secret"), "outside").unwrap();

        let PackageFiles {
            files,
            skipped,
            refusal,
        } = find_license_files(&pkg, None);
        assert!(skipped.is_empty());
        let got: Vec<(&str, FileKind)> = files.iter().map(|f| (f.path.as_str(), f.kind)).collect();
        assert_eq!(
            got,
            [
                ("LICENSE-MIT", FileKind::License),
                ("LICENSES/Apache-2.0.txt", FileKind::License),
                ("NOTICE", FileKind::Notice)
            ]
        );
        assert!(refusal.is_none());

        let found = find_license_files(&pkg, Some("../secret"));
        assert_eq!(
            found.refusal,
            Some(FileError::OutsideRoot("../secret".into()))
        );
        assert!(
            found.files.iter().all(|f| f.text != "outside"),
            "never read"
        );
        let found = find_license_files(&pkg, Some("/etc/passwd"));
        assert_eq!(
            found.refusal,
            Some(FileError::OutsideRoot("/etc/passwd".into()))
        );
        let found = find_license_files(&pkg, Some("../../etc/passwd"));
        assert_eq!(
            found.refusal,
            Some(FileError::OutsideRoot("../../etc/passwd".into()))
        );
        let found = find_license_files(&pkg, Some("MISSING.txt"));
        assert_eq!(
            found.refusal,
            Some(FileError::Missing("MISSING.txt".into()))
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_link_out_of_the_package_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(dir.path().join("secret"), "outside").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), pkg.join("LICENSE")).unwrap();
        let found = find_license_files(&pkg, None);
        assert!(found.files.is_empty() && found.skipped.is_empty());
        let found = find_license_files(&pkg, Some("LICENSE"));
        assert_eq!(
            found.refusal,
            Some(FileError::OutsideRoot("LICENSE".into()))
        );
        assert_eq!(read_inside(&pkg, "LICENSE"), None);
    }

    #[test]
    fn a_declared_file_elsewhere_in_the_package_is_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("docs")).unwrap();
        std::fs::write(dir.path().join("docs/TERMS.txt"), "terms").unwrap();
        let found = find_license_files(dir.path(), Some("docs/TERMS.txt"));
        assert!(found.refusal.is_none());
        assert_eq!(found.files[0].path, "docs/TERMS.txt");
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_skipped_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path();
        std::fs::write(pkg.join("LICENSE-MIT"), "MIT text").unwrap();
        for name in ["LICENSE", "NOTICE"] {
            let made = std::process::Command::new("mkfifo")
                .arg(pkg.join(name))
                .status()
                .unwrap();
            assert!(made.success());
        }
        // Run where a hang fails the test instead of stopping it.
        let root = pkg.to_owned();
        let (send, receive) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let _ = send.send((
                find_license_files(&root, Some("LICENSE")),
                read_package_file(&root, "LICENSE"),
            ));
        });
        let (found, direct) = receive
            .recv_timeout(std::time::Duration::from_secs(20))
            .expect("reading a FIFO must not block");
        assert_eq!(found.files.len(), 1);
        assert_eq!(found.files[0].path, "LICENSE-MIT");
        assert_eq!(
            found.skipped,
            [
                SkippedFile {
                    path: "LICENSE".into(),
                    kind: FileKind::License,
                    reason: SkipReason::NotRegular
                },
                SkippedFile {
                    path: "NOTICE".into(),
                    kind: FileKind::Notice,
                    reason: SkipReason::NotRegular
                }
            ]
        );
        assert!(found.refusal.is_none(), "a declared FIFO exists");
        assert_eq!(direct, Err(ReadError::Skipped(SkipReason::NotRegular)));
    }

    #[test]
    fn a_file_over_the_cap_is_skipped_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path();
        // Sparse: claims more than the cap without taking the disk space.
        let big = std::fs::File::create(pkg.join("LICENSE")).unwrap();
        big.set_len(MAX_FILE_BYTES + 1).unwrap();
        drop(big);
        let exact = std::fs::File::create(pkg.join("COPYING")).unwrap();
        exact.set_len(MAX_FILE_BYTES).unwrap();
        drop(exact);
        let found = find_license_files(pkg, None);
        assert_eq!(found.files.len(), 1, "a file of exactly the cap is read");
        assert_eq!(found.files[0].path, "COPYING");
        assert_eq!(
            found.skipped,
            [SkippedFile {
                path: "LICENSE".into(),
                kind: FileKind::License,
                reason: SkipReason::TooLarge
            }]
        );
        assert_eq!(
            read_package_file(pkg, "LICENSE"),
            Err(ReadError::Skipped(SkipReason::TooLarge))
        );
        assert!(SkipReason::TooLarge.to_string().contains("8 MiB"));
    }

    #[test]
    fn reading_stops_one_byte_past_the_cap() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("LICENSE");
        std::fs::write(&path, "0123456789").unwrap();
        assert_eq!(read_capped(&path, 10).unwrap(), b"0123456789");
        assert_eq!(
            read_capped(&path, 9),
            Err(ReadError::Skipped(SkipReason::TooLarge))
        );
        assert_eq!(
            read_capped(&dir.path().join("missing"), 10),
            Err(ReadError::Absent)
        );
        assert_eq!(
            read_capped(dir.path(), 10),
            Err(ReadError::Skipped(SkipReason::NotRegular)),
            "a directory is not read"
        );
    }
}
