//! What a snapshot records: `manifest.json` (schema `clearance-snapshot/1`), read back by
//! `clearance snapshot verify`. Everything is sorted so that the same store gives the same
//! bytes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::period::Period;
use crate::store::record::{FileRecord, Product, Tool};
use clearance_attest::signers::SignerSpec;

/// Schema name of `manifest.json`.
pub const SNAPSHOT_SCHEMA: &str = "clearance-snapshot/1";
/// The manifest's name in the archive.
pub const MANIFEST_FILE: &str = "manifest.json";
/// The manifest's signature (a Sigstore bundle) in the archive.
pub const MANIFEST_BUNDLE: &str = "manifest.sigstore.json";
/// The reviewer's page in the archive.
pub const PAGE_FILE: &str = "index.html";
/// The Markdown summary in the archive.
pub const SUMMARY_FILE: &str = "summary.md";
/// The folder of the archive holding one folder per release.
pub const RELEASES_DIR: &str = "releases";

/// `manifest.json`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// Always [`SNAPSHOT_SCHEMA`].
    pub schema: String,
    /// The period covered.
    pub period: Period,
    /// When the snapshot was made (RFC 3339; `SOURCE_DATE_EPOCH` when set).
    pub created: String,
    /// The tool that made it.
    pub tool: Tool,
    /// The trusted root the bundles were verified against.
    pub trusted_root: TrustedRootRecord,
    /// Who was allowed to sign.
    pub signers: SignersRecord,
    /// Every release of the period, oldest first.
    pub releases: Vec<ReleaseEntry>,
    /// What changed from one release of a product to its next.
    pub changes: Vec<Change>,
    /// Every problem found, by release and file. Empty for a clean snapshot.
    pub problems: Vec<Problem>,
    /// Every other file of the archive with its SHA-256, sorted by path (the manifest and
    /// its bundle excepted).
    pub files: Vec<FileRecord>,
}

/// The trusted root used.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TrustedRootRecord {
    /// The instance or file it came from.
    pub origin: String,
    /// The SHA-256 of its JSON.
    pub sha256: String,
}

/// The signers policy applied.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignersRecord {
    /// The file, or `command line`.
    pub origin: String,
    /// Who may sign release evidence.
    pub evidence: Vec<SignerSpec>,
    /// Who may sign the snapshot.
    pub snapshot: Vec<SignerSpec>,
}

/// One release of the period.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReleaseEntry {
    /// Its folder: in the evidence store, and under `releases/` in the archive.
    pub folder: String,
    /// What was released, from `release.json`.
    pub product: Option<Product>,
    /// When (RFC 3339).
    pub time: Option<String>,
    /// The source revision.
    pub git_commit: Option<String>,
    /// The license check's verdict when it was released: `pass` or `fail`.
    pub verdict: Option<String>,
    /// Whether every file and every attestation of the release checked out.
    pub verified: bool,
    /// Each attestation and what its verification found.
    pub attestations: Vec<AttestationStatus>,
    /// The licensing posture, from its license report and policy.
    pub posture: Option<Posture>,
}

/// What verifying one attestation found.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttestationStatus {
    /// The bundle (or unsigned statement) file.
    pub file: String,
    /// The predicate type.
    pub predicate_type: String,
    /// `verified`, `failed`, `missing` or `unsigned`.
    pub status: String,
    /// The certificate identity, when the bundle could be read.
    pub signer: Option<String>,
    /// The OIDC issuer, when the bundle could be read.
    pub issuer: Option<String>,
    /// The transparency-log index.
    pub log_index: Option<u64>,
    /// Why it failed.
    pub detail: Option<String>,
}

/// The licensing posture of one release.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Posture {
    /// How many components.
    pub components: usize,
    /// Components per category: a component under several categories counts in the most
    /// restrictive one.
    pub by_category: BTreeMap<String, usize>,
    /// Each license id with its category and how many components it covers.
    pub licenses: Vec<LicenseCount>,
    /// Errors among the findings.
    pub errors: usize,
    /// Warnings among the findings.
    pub warnings: usize,
    /// The findings of the license check.
    pub findings: Vec<FindingEntry>,
    /// The policy's per-package exceptions.
    pub exceptions: Vec<ExceptionEntry>,
}

/// A license and how many components it covers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LicenseCount {
    /// The SPDX id (or LicenseRef).
    pub license: String,
    /// Its category.
    pub category: String,
    /// How many components name it.
    pub components: usize,
}

/// One finding of a release's license check.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FindingEntry {
    /// `error` or `warning`.
    pub severity: String,
    /// The finding's code.
    pub code: String,
    /// The component, `name version`.
    pub component: String,
    /// What it says.
    pub message: String,
}

/// An exception of the release's policy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExceptionEntry {
    /// The package (name or purl).
    pub package: String,
    /// The versions it covers, when limited.
    pub versions: Option<String>,
    /// The licenses it allows.
    pub allow: Vec<String>,
    /// Why it was granted.
    pub reason: Option<String>,
    /// Its last day.
    pub expires: Option<String>,
    /// `in-force` at the release, `expiring` (in force, ending within 90 days of the
    /// snapshot), or `expired` (ended before the release).
    pub status: String,
    /// The release's components it applies to, `name version`.
    pub applies_to: Vec<String>,
}

/// What changed between two consecutive releases of a product.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Change {
    /// The product.
    pub product: String,
    /// The earlier release's folder.
    pub from: String,
    /// The later release's folder.
    pub to: String,
    /// Components the later release has and the earlier had not.
    pub added: Vec<ComponentEntry>,
    /// Components the earlier release had and the later has not.
    pub removed: Vec<ComponentEntry>,
    /// Components whose version changed.
    pub upgraded: Vec<VersionChange>,
    /// Components whose license changed.
    pub relicensed: Vec<LicenseChange>,
}

/// A component as a change lists it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ComponentEntry {
    /// Its name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// Its license expression.
    pub license: String,
}

/// A component whose version changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct VersionChange {
    /// Its name.
    pub name: String,
    /// Before.
    pub from: String,
    /// After.
    pub to: String,
}

/// A component whose license changed.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LicenseChange {
    /// Its name.
    pub name: String,
    /// Its version in the later release.
    pub version: String,
    /// The license before.
    pub from: String,
    /// The license after.
    pub to: String,
}

/// Something a reviewer must know: a release's evidence that does not check out.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Problem {
    /// The release's folder.
    pub release: String,
    /// The file concerned.
    pub file: String,
    /// A stable code: `file-missing`, `file-unlisted`, `digest-mismatch`, `record-unreadable`,
    /// `attestation-unsigned`, `bundle-invalid`, `wrong-signer`, `subject-mismatch`,
    /// `report-unreadable`.
    pub code: String,
    /// What is wrong.
    pub message: String,
}
