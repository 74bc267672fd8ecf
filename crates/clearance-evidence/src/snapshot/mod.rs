//! Quarterly attestation snapshots: one period of the evidence store, verified and packed for
//! a reviewer.
//!
//! [`build`] selects the releases of the period (by the time in their `release.json`), checks
//! each one ([`check`]: every file against `release.json`, every bundle against the trusted
//! root and the signers, every signed subject against its file), reads its licensing posture
//! from what it recorded ([`posture`]), and lays out the archive: the releases' folders
//! verbatim under `releases/`, the trusted root used, `index.html`, `summary.md`, and
//! `manifest.json` listing every file with its SHA-256. The caller signs the manifest and
//! [`pack`]s; [`verify::verify_archive`] re-checks a packed snapshot.
//!
//! Memory stays bounded whatever the store's size: releases are read a few at a time, their
//! files hashed as they stream and only the small ones a check reads held; what is kept of
//! a release afterwards is its entry, its problems and its files' digests. Packing streams
//! each file from the store again, checking it still has the digest it was verified with.
//!
//! Problems are collected, never skipped: a release whose evidence does not check out is
//! listed with what is wrong, on the page, in the summary and in the manifest.

pub mod archive;
pub mod check;
pub mod model;
pub mod page;
pub mod period;
pub mod posture;
pub mod store;
pub mod verify;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::store::record::{FileRecord, ReleaseRecord, Tool};
use archive::Content;
use clearance_attest::policy::IdentityPolicy;
use clearance_attest::signers::{SignerSpec, Signers};
use clearance_attest::verify::Verifier;
use clearance_core::diag::Diagnostic;
use model::{
    Change, MANIFEST_BUNDLE, MANIFEST_FILE, Manifest, PAGE_FILE, Problem, RELEASES_DIR,
    ReleaseEntry, SNAPSHOT_SCHEMA, SUMMARY_FILE, SignersRecord, TrustedRootRecord,
};
use period::Period;
use posture::{POLICY_FILE, REPORT_FILE, Report};
use store::StoredRelease;

pub use verify::{ArchiveReport, verify_archive};

/// The trusted root's copy in the archive.
pub const TRUSTED_ROOT_FILE: &str = "trusted_root.json";

/// The release name problems of the snapshot itself are filed under.
pub const SNAPSHOT_ITSELF: &str = "snapshot";

/// What [`build`] needs.
pub struct SnapshotRequest<'a> {
    /// The period.
    pub period: Period,
    /// The evidence store.
    pub evidence: PathBuf,
    /// A verifier prepared for the trusted root.
    pub verifier: &'a Verifier,
    /// Where the trusted root came from, and its JSON (copied into the archive).
    pub trusted_root: (String, Vec<u8>),
    /// Who may sign.
    pub signers: &'a Signers,
    /// When the snapshot is made (RFC 3339).
    pub created: String,
    /// The day exceptions are checked against (expiring within 90 days of it).
    pub today: time::Date,
    /// The tool.
    pub tool: Tool,
}

/// A file of the snapshot: made for it, or a release's file in the store.
#[derive(Debug, Clone)]
pub enum SnapshotFile {
    /// Made by the snapshot (the page, the summary, the trusted root).
    Made(Vec<u8>),
    /// A file of the evidence store, as it was verified.
    Stored {
        /// Where it is.
        path: PathBuf,
        /// Its size then.
        size: u64,
        /// Its SHA-256 then.
        sha256: String,
    },
}

impl SnapshotFile {
    fn sha256(&self) -> String {
        match self {
            SnapshotFile::Made(bytes) => clearance_core::license::sha256_hex(bytes),
            SnapshotFile::Stored { sha256, .. } => sha256.clone(),
        }
    }
}

/// A snapshot ready to sign and pack.
pub struct Snapshot {
    /// The archive's top folder: `snapshot-<period>`.
    pub top: String,
    /// The manifest.
    pub manifest: Manifest,
    /// `manifest.json`, the bytes to sign.
    pub manifest_json: Vec<u8>,
    /// Every other file of the archive, by path.
    pub files: BTreeMap<String, SnapshotFile>,
}

/// Why no snapshot could be made.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The evidence store or its contents could not be read.
    #[error("{0}")]
    Input(Box<Diagnostic>),
    /// A page could not be rendered.
    #[error(transparent)]
    Render(#[from] clearance_core::render::RenderError),
}

fn read_error(path: &Path, e: std::io::Error) -> SnapshotError {
    SnapshotError::Input(Box::new(
        Diagnostic::error(
            "evidence-store",
            format!("cannot read {}: {e}", path.display()),
        )
        .with_help("check that the evidence store is readable"),
    ))
}

/// A release of the period, read and checked.
struct Checked {
    stored: StoredRelease,
    entry: ReleaseEntry,
    problems: Vec<Problem>,
    report: Option<Report>,
}

/// What [`build`] gathers, release after release, in time order.
#[derive(Default)]
struct Gathered {
    files: BTreeMap<String, SnapshotFile>,
    problems: Vec<Problem>,
    releases: Vec<ReleaseEntry>,
    changes: Vec<Change>,
    /// Each product's latest release with a report: its folder and report.
    latest: BTreeMap<String, (String, Report)>,
}

impl Gathered {
    /// Takes in a checked release: its files (as digests), problems, entry, and what
    /// changed since the product's previous release.
    fn add(&mut self, folder: &Path, release: Checked) {
        if let (Some(product), Some(report)) = (&release.entry.product, release.report) {
            if let Some((before, previous)) = self.latest.get(&product.name) {
                let mut change = posture::changes(previous, &report);
                change.product = product.name.clone();
                change.from = before.clone();
                change.to = release.entry.folder.clone();
                self.changes.push(change);
            }
            self.latest
                .insert(product.name.clone(), (release.entry.folder.clone(), report));
        }
        for (name, file) in release.stored.files {
            self.files.insert(
                format!("{RELEASES_DIR}/{}/{name}", release.stored.folder),
                SnapshotFile::Stored {
                    path: folder.join(&name),
                    size: file.size,
                    sha256: file.sha256,
                },
            );
        }
        self.problems.extend(release.problems);
        self.releases.push(release.entry);
    }
}

/// Selects, checks and lays out the releases of the period.
pub fn build(request: &SnapshotRequest<'_>) -> Result<Snapshot, SnapshotError> {
    let mut folders: Vec<(Option<time::OffsetDateTime>, PathBuf)> =
        store::list_releases(&request.evidence)
            .map_err(SnapshotError::Input)?
            .into_iter()
            .map(|folder| (store::release_time(&folder), folder))
            .filter(|(time, _)| time.is_none_or(|time| request.period.contains(time)))
            .collect();
    folders.sort();
    let mut gathered = Gathered::default();
    // A few releases at a time: the cores stay busy, and memory holds only those.
    let at_once = rayon::current_num_threads().max(1) * 2;
    for group in folders.chunks(at_once) {
        let checked = group
            .par_iter()
            .map(|(_, folder)| {
                let stored = store::read_release(folder).map_err(|e| read_error(folder, e))?;
                Ok(check_one(
                    stored,
                    request.verifier,
                    &request.signers.evidence,
                    request.today,
                ))
            })
            .collect::<Result<Vec<Checked>, SnapshotError>>()?;
        for ((_, folder), release) in group.iter().zip(checked) {
            gathered.add(folder, release);
        }
    }
    lay_out(request, gathered)
}

/// The manifest, the page and the summary over what was gathered.
fn lay_out(request: &SnapshotRequest<'_>, gathered: Gathered) -> Result<Snapshot, SnapshotError> {
    let mut files = gathered.files;
    files.insert(
        TRUSTED_ROOT_FILE.to_string(),
        SnapshotFile::Made(request.trusted_root.1.clone()),
    );
    let mut manifest = Manifest {
        schema: SNAPSHOT_SCHEMA.to_string(),
        period: request.period.clone(),
        created: request.created.clone(),
        tool: request.tool.clone(),
        trusted_root: TrustedRootRecord {
            origin: request.trusted_root.0.clone(),
            sha256: clearance_core::license::sha256_hex(&request.trusted_root.1),
        },
        signers: SignersRecord {
            origin: request.signers.origin.clone(),
            evidence: request
                .signers
                .evidence
                .iter()
                .map(SignerSpec::of)
                .collect(),
            snapshot: request
                .signers
                .snapshot
                .iter()
                .map(SignerSpec::of)
                .collect(),
        },
        releases: gathered.releases,
        changes: gathered.changes,
        problems: gathered.problems,
        files: Vec::new(),
    };
    let context = page::page_context(&manifest);
    let html = clearance_core::render::render(
        clearance_core::render::Document::SnapshotPage,
        &context,
        None,
    )?;
    let summary = clearance_core::render::render(
        clearance_core::render::Document::SnapshotSummary,
        &context,
        None,
    )?;
    files.insert(PAGE_FILE.to_string(), SnapshotFile::Made(html.into_bytes()));
    files.insert(
        SUMMARY_FILE.to_string(),
        SnapshotFile::Made(summary.into_bytes()),
    );
    manifest.files = files
        .iter()
        .map(|(path, file)| FileRecord {
            path: path.clone(),
            sha256: file.sha256(),
        })
        .collect();
    let mut manifest_json = serde_json::to_vec_pretty(&manifest).expect("the manifest serialises");
    manifest_json.push(b'\n');
    Ok(Snapshot {
        top: format!("snapshot-{}", request.period.label),
        manifest,
        manifest_json,
        files,
    })
}

/// Checks a release and reads its posture.
fn check_one(
    stored: StoredRelease,
    verifier: &Verifier,
    signers: &[IdentityPolicy],
    today: time::Date,
) -> Checked {
    let check = check::check_release(&stored, verifier, signers);
    let mut problems = check.problems;
    let record: Option<&ReleaseRecord> = stored.record.as_ref().ok();
    let report = match stored.files.get(REPORT_FILE).map(|f| f.bytes.as_deref()) {
        Some(None) => {
            problems.push(Problem {
                release: stored.folder.clone(),
                file: REPORT_FILE.to_string(),
                code: "report-unreadable".to_string(),
                message: format!(
                    "{REPORT_FILE} is larger than {} MiB: the posture is unknown",
                    store::KEEP_CAP >> 20
                ),
            });
            None
        }
        Some(Some(bytes)) => match Report::parse(bytes) {
            Ok(report) => Some(report),
            Err(why) => {
                problems.push(Problem {
                    release: stored.folder.clone(),
                    file: REPORT_FILE.to_string(),
                    code: "report-unreadable".to_string(),
                    message: why,
                });
                None
            }
        },
        None => {
            if !problems.iter().any(|p| p.file == REPORT_FILE) && record.is_some() {
                problems.push(Problem {
                    release: stored.folder.clone(),
                    file: REPORT_FILE.to_string(),
                    code: "report-unreadable".to_string(),
                    message: format!("{REPORT_FILE} is missing: the posture is unknown"),
                });
            }
            None
        }
    };
    problems.sort();
    let released = stored.time.map_or(today, |t| t.date());
    let policy = stored
        .files
        .get(POLICY_FILE)
        .and_then(|f| f.bytes.as_deref())
        .and_then(|bytes| std::str::from_utf8(bytes).ok());
    let entry = ReleaseEntry {
        folder: stored.folder.clone(),
        product: record.map(|r| r.product.clone()),
        time: record.map(|r| r.time.clone()),
        git_commit: record.and_then(|r| r.git_commit.clone()),
        verdict: record.map(|r| r.verdict.clone()),
        verified: problems.is_empty(),
        attestations: check.attestations,
        posture: report
            .as_ref()
            .map(|r| posture::posture(r, policy, released, today)),
    };
    Checked {
        stored,
        entry,
        problems,
        report,
    }
}

/// Packs `snapshot` with the manifest's bundle (when signed) as `.tar.gz` into `out`,
/// every entry dated `mtime`. The store's files are streamed in and must still have the
/// digests they were verified with.
pub fn pack<W: Write>(
    out: W,
    snapshot: &Snapshot,
    bundle: Option<&[u8]>,
    mtime: u64,
) -> std::io::Result<W> {
    let mut entries: BTreeMap<String, Content<'_>> = snapshot
        .files
        .iter()
        .map(|(path, file)| {
            let content = match file {
                SnapshotFile::Made(bytes) => Content::Bytes(bytes),
                SnapshotFile::Stored { path, size, sha256 } => Content::File {
                    path,
                    size: *size,
                    sha256,
                },
            };
            (path.clone(), content)
        })
        .collect();
    entries.insert(
        MANIFEST_FILE.to_string(),
        Content::Bytes(&snapshot.manifest_json),
    );
    if let Some(bundle) = bundle {
        entries.insert(MANIFEST_BUNDLE.to_string(), Content::Bytes(bundle));
    }
    archive::pack(out, &snapshot.top, &entries, mtime)
}
