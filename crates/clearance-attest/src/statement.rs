//! in-toto Statement v1: subjects (files with their SHA-256), a predicate type and a
//! predicate, serialised to the bytes that get signed into a DSSE envelope.
//!
//! Subjects carry only `sha256` digests: that is what Sigstore verifiers match an artifact
//! against. The statement's key order follows the in-toto spec's examples (`_type`,
//! `subject`, `predicateType`, `predicate`); the predicate's own object keys are sorted, so
//! the same inputs always give the same bytes.

use std::path::{Path, PathBuf};

use serde::Serialize;
use sha2::{Digest, Sha256};

/// `_type` of an in-toto Statement v1.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";

/// DSSE payload type of an in-toto statement.
pub const PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// The predicates clearance writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PredicateKind {
    /// SLSA provenance v1.
    Provenance,
    /// A CycloneDX SBOM.
    CycloneDx,
    /// An SPDX 2 SBOM.
    Spdx,
    /// An SPDX 3 SBOM.
    Spdx3,
    /// clearance's license check report (`clearance-check/1` JSON).
    LicenseReport,
}

impl PredicateKind {
    /// The `predicateType` URI.
    pub fn predicate_type(self) -> &'static str {
        match self {
            PredicateKind::Provenance => "https://slsa.dev/provenance/v1",
            PredicateKind::CycloneDx => "https://cyclonedx.org/bom",
            PredicateKind::Spdx => "https://spdx.dev/Document",
            PredicateKind::Spdx3 => "https://spdx.dev/Document/v3",
            PredicateKind::LicenseReport => LICENSE_REPORT_PREDICATE_TYPE,
        }
    }

    /// A short name for file names and messages.
    pub fn short_name(self) -> &'static str {
        match self {
            PredicateKind::Provenance => "provenance",
            PredicateKind::CycloneDx => "cyclonedx",
            PredicateKind::Spdx => "spdx",
            PredicateKind::Spdx3 => "spdx3",
            PredicateKind::LicenseReport => "license-report",
        }
    }
}

/// Predicate type of clearance's license report, documented in docs/attestations.md.
pub const LICENSE_REPORT_PREDICATE_TYPE: &str =
    "https://github.com/clearance-rs/clearance/attestation/license-report/v1";

/// A statement's subject: a named artifact and its SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Subject {
    /// The artifact's name (the path it was given by, without a leading `./`).
    pub name: String,
    /// Lower-case hex SHA-256 of its bytes.
    pub sha256: String,
}

/// Why a subject could not be read.
#[derive(Debug, thiserror::Error)]
#[error("cannot read subject {}: {source}", path.display())]
pub struct SubjectError {
    /// The file.
    pub path: PathBuf,
    /// The I/O error.
    pub source: std::io::Error,
}

impl Subject {
    /// A subject for a file: its path as given, and the SHA-256 of its bytes, read in chunks.
    pub fn from_file(path: &Path) -> Result<Subject, SubjectError> {
        let failed = |source| SubjectError {
            path: path.to_path_buf(),
            source,
        };
        let mut file = std::fs::File::open(path).map_err(failed)?;
        let mut hasher = Sha256::new();
        std::io::copy(&mut file, &mut hasher).map_err(failed)?;
        Ok(Subject::from_digest(subject_name(path), &hasher.finalize()))
    }

    /// A subject for bytes already in memory.
    pub fn from_bytes(name: impl Into<String>, bytes: &[u8]) -> Subject {
        Subject::from_digest(name.into(), &Sha256::digest(bytes))
    }

    fn from_digest(name: String, digest: &[u8]) -> Subject {
        Subject {
            name,
            sha256: hex(digest),
        }
    }
}

fn subject_name(path: &Path) -> String {
    let shown = path.to_string_lossy().replace('\\', "/");
    shown.strip_prefix("./").unwrap_or(&shown).to_string()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// An in-toto Statement v1.
#[derive(Debug, Clone)]
pub struct Statement {
    /// What the statement is about, sorted by name.
    pub subjects: Vec<Subject>,
    /// What kind of predicate it carries.
    pub kind: PredicateKind,
    /// The predicate.
    pub predicate: serde_json::Value,
}

#[derive(Serialize)]
struct StatementOut<'a> {
    #[serde(rename = "_type")]
    kind: &'static str,
    subject: Vec<SubjectOut<'a>>,
    #[serde(rename = "predicateType")]
    predicate_type: &'static str,
    predicate: &'a serde_json::Value,
}

#[derive(Serialize)]
struct SubjectOut<'a> {
    name: &'a str,
    digest: DigestOut<'a>,
}

#[derive(Serialize)]
struct DigestOut<'a> {
    sha256: &'a str,
}

impl Statement {
    /// A statement about `subjects` (sorted and deduplicated here).
    pub fn new(
        mut subjects: Vec<Subject>,
        kind: PredicateKind,
        predicate: serde_json::Value,
    ) -> Statement {
        subjects.sort();
        subjects.dedup();
        Statement {
            subjects,
            kind,
            predicate,
        }
    }

    /// The compact JSON bytes that are signed (the DSSE payload).
    pub fn to_json(&self) -> Vec<u8> {
        serde_json::to_vec(&self.out()).expect("a statement is always serialisable")
    }

    /// The statement indented for reading, with a final newline (an unsigned statement file).
    pub fn to_json_pretty(&self) -> Vec<u8> {
        let mut bytes =
            serde_json::to_vec_pretty(&self.out()).expect("a statement is always serialisable");
        bytes.push(b'\n');
        bytes
    }

    fn out(&self) -> StatementOut<'_> {
        StatementOut {
            kind: STATEMENT_TYPE,
            subject: self
                .subjects
                .iter()
                .map(|s| SubjectOut {
                    name: &s.name,
                    digest: DigestOut { sha256: &s.sha256 },
                })
                .collect(),
            predicate_type: self.kind.predicate_type(),
            predicate: &self.predicate,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statement_json_has_the_in_toto_shape() {
        let statement = Statement::new(
            vec![
                Subject::from_bytes("b.txt", b"b"),
                Subject::from_bytes("./a.txt", b"a"),
            ],
            PredicateKind::CycloneDx,
            serde_json::json!({"bomFormat": "CycloneDX"}),
        );
        let value: serde_json::Value = serde_json::from_slice(&statement.to_json()).unwrap();
        assert_eq!(value["_type"], STATEMENT_TYPE);
        assert_eq!(value["predicateType"], "https://cyclonedx.org/bom");
        assert_eq!(value["subject"][0]["name"], "./a.txt");
        assert_eq!(
            value["subject"][1]["digest"]["sha256"],
            "3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"
        );
        assert_eq!(value["predicate"]["bomFormat"], "CycloneDX");
    }

    #[test]
    fn file_subjects_drop_a_leading_dot_slash() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.bin");
        std::fs::write(&path, b"a").unwrap();
        let subject = Subject::from_file(&path).unwrap();
        assert_eq!(
            subject.sha256,
            "ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
        );
        assert_eq!(subject_name(Path::new("./dist/x.bin")), "dist/x.bin");
    }
}
