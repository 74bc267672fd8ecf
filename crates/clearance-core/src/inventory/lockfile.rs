//! Reading the checksums out of `Cargo.lock` (`cargo metadata` does not report them).
//!
//! Versions 2 to 4 keep `checksum` on each `[[package]]`; version 1 keeps them in a
//! `[metadata]` table keyed `"checksum NAME VERSION (SOURCE)"`. Both are read.

use std::collections::HashMap;
use std::path::Path;

use serde::Deserialize;

/// SHA-256 checksums by (name, version, source) as written in the lockfile.
pub(crate) type Checksums = HashMap<(String, String, String), String>;

#[derive(Deserialize)]
struct Lock {
    #[serde(default)]
    package: Vec<LockedPackage>,
    #[serde(default)]
    metadata: HashMap<String, String>,
}

#[derive(Deserialize)]
struct LockedPackage {
    name: String,
    version: String,
    source: Option<String>,
    checksum: Option<String>,
}

/// Reads the checksums of `lock_path`. A missing lockfile gives none; a lockfile that is not
/// TOML is an error with cargo's own position.
pub(crate) fn read_checksums(lock_path: &Path) -> Result<Checksums, String> {
    let text = match std::fs::read_to_string(lock_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Checksums::new()),
        Err(e) => return Err(format!("cannot read {}: {e}", lock_path.display())),
    };
    let lock: Lock = toml::from_str(&text).map_err(|e| format!("{}: {e}", lock_path.display()))?;
    let mut sums = Checksums::new();
    for p in lock.package {
        if let (Some(source), Some(sum)) = (p.source, p.checksum) {
            sums.insert((p.name, p.version, source), sum);
        }
    }
    for (key, sum) in lock.metadata {
        let Some(rest) = key.strip_prefix("checksum ") else {
            continue;
        };
        let mut parts = rest.splitn(3, ' ');
        if let (Some(name), Some(version), Some(source)) =
            (parts.next(), parts.next(), parts.next())
        {
            let source = source.trim_start_matches('(').trim_end_matches(')');
            sums.insert((name.into(), version.into(), source.into()), sum);
        }
    }
    Ok(sums)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_v3_and_v1_checksums() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("Cargo.lock");
        std::fs::write(
            &path,
            r#"
version = 3
[[package]]
name = "itoa"
version = "1.0.11"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b"

[[package]]
name = "local"
version = "0.1.0"

[metadata]
"checksum old 0.1.0 (registry+https://github.com/rust-lang/crates.io-index)" = "abcd"
"#,
        )
        .unwrap();
        let sums = read_checksums(&path).unwrap();
        assert_eq!(sums.len(), 2);
        let crates_io = "registry+https://github.com/rust-lang/crates.io-index".to_owned();
        assert_eq!(
            sums[&("old".into(), "0.1.0".into(), crates_io)],
            "abcd".to_owned()
        );
        assert!(
            read_checksums(&dir.path().join("missing.lock"))
                .unwrap()
                .is_empty()
        );
        std::fs::write(&path, "[[package]\n").unwrap();
        assert!(read_checksums(&path).is_err());
    }
}
