//! Quarterly attestation snapshots: one period of the evidence store, verified and packed for
//! a reviewer.
//!
//! [`build`] selects the releases of the period (by the time in their `release.json`), checks
//! each one ([`check`]: every file against `release.json`, every bundle against the trusted
//! root and the signers, every signed subject against its file), reads its licensing posture
//! from what it recorded ([`posture`]), and lays out the archive: the releases' folders
//! verbatim under `releases/`, the trusted root used, `index.html`, `summary.md`, and
//! `manifest.json` listing every file with its SHA-256. The caller signs the manifest and
//! [`pack`]s; [`verify_archive`] re-checks a packed snapshot.
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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::attest::policy::IdentityPolicy;
use crate::attest::signers::{SignerSpec, Signers};
use crate::attest::verify::{Artifact, Signer, Verifier};
use crate::store::record::{FileRecord, ReleaseRecord, Tool};
use crate::diag::Diagnostic;
use model::{
    MANIFEST_BUNDLE, MANIFEST_FILE, Manifest, PAGE_FILE, Problem, RELEASES_DIR, ReleaseEntry,
    SNAPSHOT_SCHEMA, SUMMARY_FILE, SignersRecord, TrustedRootRecord,
};
use period::Period;
use posture::{POLICY_FILE, REPORT_FILE, Report};
use store::{StoredFile, StoredRelease};

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

/// A snapshot ready to sign and pack.
pub struct Snapshot {
    /// The archive's top folder: `snapshot-<period>`.
    pub top: String,
    /// The manifest.
    pub manifest: Manifest,
    /// `manifest.json`, the bytes to sign.
    pub manifest_json: Vec<u8>,
    /// Every other file of the archive, by path, with its digest.
    pub files: BTreeMap<String, StoredFile>,
}

/// Why no snapshot could be made.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The evidence store or its contents could not be read.
    #[error("{0}")]
    Input(Box<Diagnostic>),
    /// A page could not be rendered.
    #[error(transparent)]
    Render(#[from] crate::render::RenderError),
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

/// Selects, checks and lays out the releases of the period.
pub fn build(request: &SnapshotRequest<'_>) -> Result<Snapshot, SnapshotError> {
    let folders: Vec<PathBuf> = store::list_releases(&request.evidence)
        .map_err(SnapshotError::Input)?
        .into_iter()
        .filter(|folder| {
            store::release_time(folder).is_none_or(|time| request.period.contains(time))
        })
        .collect();
    let mut checked = folders
        .par_iter()
        .map(|folder| {
            let stored = store::read_release(folder).map_err(|e| read_error(folder, e))?;
            Ok(check_one(
                stored,
                request.verifier,
                &request.signers.evidence,
                request.today,
            ))
        })
        .collect::<Result<Vec<Checked>, SnapshotError>>()?;
    checked.sort_by(|a, b| {
        (a.entry.time.as_deref(), &a.entry.folder).cmp(&(b.entry.time.as_deref(), &b.entry.folder))
    });

    let mut changes = Vec::new();
    let mut latest: BTreeMap<String, usize> = BTreeMap::new();
    for (i, release) in checked.iter().enumerate() {
        let (Some(product), Some(_)) = (&release.entry.product, &release.report) else {
            continue;
        };
        if let Some(&previous) = latest.get(&product.name) {
            let before = &checked[previous];
            let mut change = posture::changes(
                before
                    .report
                    .as_ref()
                    .expect("only releases with a report are kept"),
                release.report.as_ref().expect("checked above"),
            );
            change.product = product.name.clone();
            change.from = before.entry.folder.clone();
            change.to = release.entry.folder.clone();
            changes.push(change);
        }
        latest.insert(product.name.clone(), i);
    }

    let top = format!("snapshot-{}", request.period.label);
    let mut files: BTreeMap<String, StoredFile> = BTreeMap::new();
    let mut problems = Vec::new();
    let mut releases = Vec::new();
    for release in checked {
        for (name, file) in release.stored.files {
            files.insert(
                format!("{RELEASES_DIR}/{}/{name}", release.stored.folder),
                file,
            );
        }
        problems.extend(release.problems);
        releases.push(release.entry);
    }
    let trusted_root = StoredFile::new(request.trusted_root.1.clone());
    let trusted_root_sha256 = trusted_root.sha256.clone();
    files.insert(TRUSTED_ROOT_FILE.to_string(), trusted_root);

    let mut manifest = Manifest {
        schema: SNAPSHOT_SCHEMA.to_string(),
        period: request.period.clone(),
        created: request.created.clone(),
        tool: request.tool.clone(),
        trusted_root: TrustedRootRecord {
            origin: request.trusted_root.0.clone(),
            sha256: trusted_root_sha256,
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
        releases,
        changes,
        problems,
        files: Vec::new(),
    };
    let context = page::page_context(&manifest);
    let html = crate::render::render(crate::render::Document::SnapshotPage, &context, None)?;
    let summary = crate::render::render(crate::render::Document::SnapshotSummary, &context, None)?;
    files.insert(PAGE_FILE.to_string(), StoredFile::new(html.into_bytes()));
    files.insert(
        SUMMARY_FILE.to_string(),
        StoredFile::new(summary.into_bytes()),
    );
    manifest.files = files
        .iter()
        .map(|(path, file)| FileRecord {
            path: path.clone(),
            sha256: file.sha256.clone(),
        })
        .collect();
    let mut manifest_json = serde_json::to_vec_pretty(&manifest).expect("the manifest serialises");
    manifest_json.push(b'\n');
    Ok(Snapshot {
        top,
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
    let report = match stored.files.get(REPORT_FILE) {
        Some(file) => match Report::parse(&file.bytes) {
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
        .and_then(|f| std::str::from_utf8(&f.bytes).ok());
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

/// Packs `snapshot` with the manifest's bundle (when signed) into `.tar.gz` bytes, every entry
/// dated `mtime`.
pub fn pack(snapshot: &Snapshot, bundle: Option<&[u8]>, mtime: u64) -> std::io::Result<Vec<u8>> {
    let mut entries: BTreeMap<String, &[u8]> = snapshot
        .files
        .iter()
        .map(|(path, file)| (path.clone(), file.bytes.as_slice()))
        .collect();
    entries.insert(MANIFEST_FILE.to_string(), &snapshot.manifest_json);
    if let Some(bundle) = bundle {
        entries.insert(MANIFEST_BUNDLE.to_string(), bundle);
    }
    archive::pack(&snapshot.top, &entries, mtime)
}

/// What re-checking a packed snapshot found.
#[derive(Debug)]
pub struct ArchiveReport {
    /// The manifest.
    pub manifest: Manifest,
    /// Who signed the manifest, when its bundle verified.
    pub signer: Option<(String, String)>,
    /// How many files were checked against the manifest.
    pub files_checked: usize,
    /// How many attestation bundles verified.
    pub attestations_verified: usize,
    /// Problems with the snapshot itself: its manifest, its signature, its files.
    pub integrity: Vec<Problem>,
    /// Problems with the releases it holds, found now.
    pub releases: Vec<Problem>,
}

impl ArchiveReport {
    /// Release problems found now that the manifest did not record.
    pub fn unrecorded(&self) -> Vec<&Problem> {
        self.releases
            .iter()
            .filter(|p| !self.manifest.problems.contains(p))
            .collect()
    }
}

/// Re-checks a packed snapshot: the manifest's signature against `signers.snapshot`, every
/// file against the manifest, and every release again (files, bundles against
/// `signers.evidence`). Errors are archives that are not snapshots at all.
pub fn verify_archive(
    path: &Path,
    bytes: &[u8],
    verifier: &Verifier,
    signers: &Signers,
) -> Result<ArchiveReport, Box<Diagnostic>> {
    let unusable = |message: String| {
        Box::new(Diagnostic::error("snapshot-unreadable", message).with_help(
            "give a snapshot-<period>.tar.gz written by `clearance snapshot`; if it was, \
                 it is damaged: fetch it again",
        ))
    };
    let (_, mut files) =
        archive::unpack(bytes).map_err(|e| unusable(format!("{} is {e}", path.display())))?;
    let manifest_json = files
        .remove(MANIFEST_FILE)
        .ok_or_else(|| unusable(format!("{} holds no {MANIFEST_FILE}", path.display())))?;
    let manifest: Manifest = serde_json::from_slice(&manifest_json).map_err(|e| {
        unusable(format!(
            "{MANIFEST_FILE} in {} cannot be read at line {}, column {}: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    })?;
    if manifest.schema != SNAPSHOT_SCHEMA {
        return Err(unusable(format!(
            "{MANIFEST_FILE} in {} has schema `{}`, not {SNAPSHOT_SCHEMA}",
            path.display(),
            manifest.schema
        )));
    }
    let mut integrity = Vec::new();
    let mut problem = |file: &str, code: &str, message: String| {
        integrity.push(Problem {
            release: SNAPSHOT_ITSELF.to_string(),
            file: file.to_string(),
            code: code.to_string(),
            message,
        });
    };

    let mut signer = None;
    match files.remove(MANIFEST_BUNDLE) {
        None => problem(
            MANIFEST_BUNDLE,
            "attestation-unsigned",
            "the manifest is not signed: nothing vouches for this snapshot".to_string(),
        ),
        Some(bundle) => match check::verify_any(
            verifier,
            Path::new(MANIFEST_BUNDLE),
            &bundle,
            &Artifact::Bytes(manifest_json),
            &signers.snapshot,
        ) {
            Ok(verified) => {
                if let Signer::Certificate(cert) = verified.signer {
                    signer = Some((cert.identity, cert.issuer));
                }
            }
            Err(error) => problem(
                MANIFEST_BUNDLE,
                check::problem_code(&error),
                format!("the manifest's signature: {error}"),
            ),
        },
    }

    // Each file is hashed once, here; the releases' checks below reuse the digests.
    let files: BTreeMap<String, StoredFile> = files
        .into_par_iter()
        .map(|(path, bytes)| (path, StoredFile::new(bytes)))
        .collect();
    for record in &manifest.files {
        match files.get(&record.path) {
            None => problem(
                &record.path,
                "file-missing",
                format!("{} is listed in the manifest but missing", record.path),
            ),
            Some(file) if file.sha256 != record.sha256 => problem(
                &record.path,
                "digest-mismatch",
                format!(
                    "{} has SHA-256 {}, but the manifest records {}",
                    record.path, file.sha256, record.sha256
                ),
            ),
            Some(_) => {}
        }
    }
    for path in files.keys() {
        if !manifest.files.iter().any(|f| &f.path == path) {
            problem(
                path,
                "file-unlisted",
                format!("{path} is in the archive but not in the manifest"),
            );
        }
    }

    let mut by_release: BTreeMap<String, BTreeMap<String, StoredFile>> = BTreeMap::new();
    let mut strays: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for entry in &manifest.releases {
        by_release.entry(entry.folder.clone()).or_default();
    }
    for (path, file) in files {
        let Some((folder, name)) = path
            .strip_prefix(&format!("{RELEASES_DIR}/"))
            .and_then(|rest| rest.split_once('/'))
        else {
            continue;
        };
        if name.contains('/') {
            strays
                .entry(folder.to_string())
                .or_default()
                .push(name.to_string());
        } else {
            by_release
                .entry(folder.to_string())
                .or_default()
                .insert(name.to_string(), file);
        }
    }
    let results: Vec<check::ReleaseCheck> = by_release
        .into_par_iter()
        .map(|(folder, files)| {
            let strays = strays.get(&folder).cloned().unwrap_or_default();
            let stored = StoredRelease::from_files(folder, files, strays);
            check::check_release(&stored, verifier, &signers.evidence)
        })
        .collect();
    let attestations_verified = results
        .iter()
        .flat_map(|r| &r.attestations)
        .filter(|a| a.status == "verified")
        .count();
    let mut releases: Vec<Problem> = results.into_iter().flat_map(|r| r.problems).collect();
    releases.sort();
    integrity.sort();
    Ok(ArchiveReport {
        files_checked: manifest.files.len(),
        manifest,
        signer,
        attestations_verified,
        integrity,
        releases,
    })
}
