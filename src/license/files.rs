//! Finding a package's license files: the declared `license-file`, and the files named
//! LICENSE*, LICENCE*, COPYING*, NOTICE*, UNLICENSE*, COPYRIGHT* at the package root and one
//! level down in license folders (`LICENSES/` of the REUSE convention holds one file per
//! license under any name). Nothing outside the package root is ever read: a `license-file`
//! that resolves outside it (`../../etc/passwd`, a symbolic link out) is refused.

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

/// The largest file read; longer files are not license texts.
const MAX_FILE: u64 = 1 << 20;

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
/// Returns the files found (sorted by path) and, separately, a refusal of the declared file.
pub fn find_license_files(
    root: &Path,
    declared: Option<&str>,
) -> (Vec<LicenseFile>, Option<FileError>) {
    let Ok(root) = root.canonicalize() else {
        return (Vec::new(), None);
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
    let mut refusal = None;
    if let Some(declared) = declared {
        match declared_path(&root, declared) {
            Ok(rel) if !paths.iter().any(|(p, _)| *p == rel) => {
                paths.push((rel, FileKind::License))
            }
            Ok(_) => {}
            Err(e) => refusal = Some(e),
        }
    }
    paths.sort();
    paths.dedup();
    let files = paths
        .into_iter()
        .filter_map(|(path, kind)| {
            let full = root.join(&path);
            let meta = std::fs::metadata(&full).ok()?;
            if meta.len() > MAX_FILE || !inside(&root, &full) {
                return None;
            }
            let bytes = std::fs::read(&full).ok()?;
            Some(LicenseFile {
                sha256: crate::license::sha256_hex(&bytes),
                text: String::from_utf8_lossy(&bytes).into_owned(),
                path,
                kind,
            })
        })
        .collect();
    (files, refusal)
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

/// The bytes of `file` below the package root `root`, or `None` when it is missing or resolves
/// outside the root (through `..`, an absolute path or a symbolic link): such a file is never
/// read.
pub fn read_inside(root: &Path, file: &str) -> Option<Vec<u8>> {
    let root = root.canonicalize().ok()?;
    let path = root.join(file);
    inside(&root, &path)
        .then(|| std::fs::read(path).ok())
        .flatten()
}

fn inside(root: &Path, path: &Path) -> bool {
    path.canonicalize().is_ok_and(|p| p.starts_with(root))
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

        let (files, refusal) = find_license_files(&pkg, None);
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

        let (files, refusal) = find_license_files(&pkg, Some("../secret"));
        assert_eq!(refusal, Some(FileError::OutsideRoot("../secret".into())));
        assert!(files.iter().all(|f| f.text != "outside"), "never read");
        let (_, refusal) = find_license_files(&pkg, Some("/etc/passwd"));
        assert_eq!(refusal, Some(FileError::OutsideRoot("/etc/passwd".into())));
        let (_, refusal) = find_license_files(&pkg, Some("../../etc/passwd"));
        assert_eq!(
            refusal,
            Some(FileError::OutsideRoot("../../etc/passwd".into()))
        );
        let (_, refusal) = find_license_files(&pkg, Some("MISSING.txt"));
        assert_eq!(refusal, Some(FileError::Missing("MISSING.txt".into())));
    }

    #[cfg(unix)]
    #[test]
    fn a_link_out_of_the_package_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let pkg = dir.path().join("pkg");
        std::fs::create_dir_all(&pkg).unwrap();
        std::fs::write(dir.path().join("secret"), "outside").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), pkg.join("LICENSE")).unwrap();
        let (files, _) = find_license_files(&pkg, None);
        assert!(files.is_empty());
        let (_, refusal) = find_license_files(&pkg, Some("LICENSE"));
        assert_eq!(refusal, Some(FileError::OutsideRoot("LICENSE".into())));
    }

    #[test]
    fn a_declared_file_elsewhere_in_the_package_is_read() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("docs")).unwrap();
        std::fs::write(dir.path().join("docs/TERMS.txt"), "terms").unwrap();
        let (files, refusal) = find_license_files(dir.path(), Some("docs/TERMS.txt"));
        assert!(refusal.is_none());
        assert_eq!(files[0].path, "docs/TERMS.txt");
    }
}
