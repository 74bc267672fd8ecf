//! Re-checking a packed snapshot, as it streams: the manifest's signature, every file against
//! the manifest, and every release again.
//!
//! The archive is read once, in order, within [`Limits`]. Each file is hashed as it passes;
//! only the manifest, its bundle and the few files of a release that its check reads are
//! held, and releases are checked, a few per core at a time, as soon as their last file has
//! passed (the archive holds each release's files together, as `clearance snapshot` packs
//! them), so memory holds a few releases whatever the archive's size.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Read;
use std::path::Path;

use rayon::prelude::*;

use super::SNAPSHOT_ITSELF;
use super::archive::{ArchiveError, ArchiveFile, Limits, read_archive};
use super::check::{self, ReleaseCheck};
use super::model::{
    MANIFEST_BUNDLE, MANIFEST_FILE, Manifest, Problem, RELEASES_DIR, SNAPSHOT_SCHEMA,
};
use super::store::{StoredFile, StoredRelease, is_kept};
use clearance_attest::signers::Signers;
use clearance_attest::verify::{Artifact, Signer, Verifier};
use clearance_core::diag::Diagnostic;

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

/// The release whose files are passing by.
struct Open {
    folder: String,
    files: BTreeMap<String, StoredFile>,
    strays: Vec<String>,
}

/// What reading the archive gathers.
struct Reading<'a> {
    verifier: &'a Verifier,
    signers: &'a Signers,
    manifest_json: Option<Option<Vec<u8>>>,
    bundle: Option<Option<Vec<u8>>>,
    digests: BTreeMap<String, String>,
    open: Option<Open>,
    checked: BTreeSet<String>,
    /// Releases whose files have all passed, checked a few at a time on all cores.
    pending: Vec<Open>,
    results: Vec<ReleaseCheck>,
}

impl Reading<'_> {
    fn take(&mut self, file: ArchiveFile) -> Result<(), ArchiveError> {
        let ArchiveFile { path, content } = file;
        self.digests.insert(path.clone(), content.sha256.clone());
        if path == MANIFEST_FILE {
            self.manifest_json = Some(content.kept);
            return Ok(());
        }
        if path == MANIFEST_BUNDLE {
            self.bundle = Some(content.kept);
            return Ok(());
        }
        let Some((folder, name)) = release_file(&path) else {
            return Ok(());
        };
        if self.open.as_ref().is_none_or(|open| open.folder != folder) {
            self.close();
            if self.checked.contains(folder) {
                return Err(ArchiveError::Entry(
                    path.clone(),
                    "out of order: a release's files must stand together, as `clearance \
                     snapshot` packs them",
                ));
            }
            self.open = Some(Open {
                folder: folder.to_string(),
                files: BTreeMap::new(),
                strays: Vec::new(),
            });
        }
        let open = self.open.as_mut().expect("opened above");
        if name.contains('/') {
            open.strays.push(name.to_string());
        } else {
            open.files.insert(
                name.to_string(),
                StoredFile {
                    bytes: content.kept,
                    sha256: content.sha256,
                    size: content.size,
                },
            );
        }
        Ok(())
    }

    /// Queues the release whose files have all passed; checks the queue once it holds a
    /// few per core.
    fn close(&mut self) {
        if let Some(open) = self.open.take() {
            self.check(open);
        }
        if self.pending.len() >= 2 * rayon::current_num_threads().max(1) {
            self.flush();
        }
    }

    fn check(&mut self, open: Open) {
        self.checked.insert(open.folder.clone());
        self.pending.push(open);
    }

    /// Checks every queued release, in parallel.
    fn flush(&mut self) {
        let (verifier, signers) = (self.verifier, &self.signers.evidence);
        let checks: Vec<ReleaseCheck> = std::mem::take(&mut self.pending)
            .into_par_iter()
            .map(|open| {
                let stored = StoredRelease::from_files(open.folder, open.files, open.strays);
                check::check_release(&stored, verifier, signers)
            })
            .collect();
        self.results.extend(checks);
    }
}

/// `releases/FOLDER/NAME` as (FOLDER, NAME).
fn release_file(path: &str) -> Option<(&str, &str)> {
    path.strip_prefix(RELEASES_DIR)?
        .strip_prefix('/')?
        .split_once('/')
}

/// The files whose bytes the checks read.
fn keep(path: &str) -> bool {
    path == MANIFEST_FILE
        || path == MANIFEST_BUNDLE
        || release_file(path).is_some_and(|(_, name)| is_kept(name))
}

/// Re-checks the packed snapshot read from `input` (named `path` in messages): the
/// manifest's signature against `signers.snapshot`, every file against the manifest, and
/// every release again (files, bundles against `signers.evidence`). Errors are archives
/// that are not snapshots at all, or that pass `limits`.
pub fn verify_archive(
    path: &Path,
    input: impl Read,
    limits: &Limits,
    verifier: &Verifier,
    signers: &Signers,
) -> Result<ArchiveReport, Box<Diagnostic>> {
    let unusable = |message: String| {
        Box::new(Diagnostic::error("snapshot-unreadable", message).with_help(
            "give a snapshot-<period>.tar.gz written by `clearance snapshot`; if it was, it \
             is damaged: fetch it again (a larger genuine snapshot: raise --max-entry-size, \
             --max-total-size or --max-ratio)",
        ))
    };
    let mut reading = Reading {
        verifier,
        signers,
        manifest_json: None,
        bundle: None,
        digests: BTreeMap::new(),
        open: None,
        checked: BTreeSet::new(),
        pending: Vec::new(),
        results: Vec::new(),
    };
    read_archive(input, limits, keep, |file| reading.take(file)).map_err(|e| {
        unusable(match e {
            ArchiveError::Limit(_) => format!("{}: {e}", path.display()),
            _ => format!("{} is {e}", path.display()),
        })
    })?;
    reading.close();
    let manifest_json = match reading.manifest_json.take() {
        None => {
            return Err(unusable(format!(
                "{} holds no {MANIFEST_FILE}",
                path.display()
            )));
        }
        Some(None) => {
            return Err(unusable(format!(
                "{MANIFEST_FILE} in {} is larger than {} MiB",
                path.display(),
                super::store::KEEP_CAP >> 20
            )));
        }
        Some(Some(json)) => json,
    };
    let manifest = parse_manifest(path, &manifest_json).map_err(unusable)?;
    for entry in &manifest.releases {
        if !reading.checked.contains(&entry.folder) {
            reading.check(Open {
                folder: entry.folder.clone(),
                files: BTreeMap::new(),
                strays: Vec::new(),
            });
        }
    }
    reading.flush();
    let mut integrity = Vec::new();
    let signer = check_signature(
        verifier,
        signers,
        reading.bundle.take(),
        manifest_json,
        &mut integrity,
    );
    reading.digests.remove(MANIFEST_FILE);
    reading.digests.remove(MANIFEST_BUNDLE);
    check_files(&manifest, &reading.digests, &mut integrity);
    let attestations_verified = reading
        .results
        .iter()
        .flat_map(|r| &r.attestations)
        .filter(|a| a.status == "verified")
        .count();
    let mut releases: Vec<Problem> = reading
        .results
        .into_iter()
        .flat_map(|r| r.problems)
        .collect();
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

fn parse_manifest(path: &Path, json: &[u8]) -> Result<Manifest, String> {
    let manifest: Manifest = serde_json::from_slice(json).map_err(|e| {
        format!(
            "{MANIFEST_FILE} in {} cannot be read at line {}, column {}: {e}",
            path.display(),
            e.line(),
            e.column()
        )
    })?;
    if manifest.schema != SNAPSHOT_SCHEMA {
        return Err(format!(
            "{MANIFEST_FILE} in {} has schema `{}`, not {SNAPSHOT_SCHEMA}",
            path.display(),
            manifest.schema
        ));
    }
    Ok(manifest)
}

fn problem(integrity: &mut Vec<Problem>, file: &str, code: &str, message: String) {
    integrity.push(Problem {
        release: SNAPSHOT_ITSELF.to_string(),
        file: file.to_string(),
        code: code.to_string(),
        message,
    });
}

/// Verifies the manifest's bundle; returns who signed.
fn check_signature(
    verifier: &Verifier,
    signers: &Signers,
    bundle: Option<Option<Vec<u8>>>,
    manifest_json: Vec<u8>,
    integrity: &mut Vec<Problem>,
) -> Option<(String, String)> {
    let bundle = match bundle {
        None => {
            problem(
                integrity,
                MANIFEST_BUNDLE,
                "attestation-unsigned",
                "the manifest is not signed: nothing vouches for this snapshot".to_string(),
            );
            return None;
        }
        Some(None) => {
            problem(
                integrity,
                MANIFEST_BUNDLE,
                "bundle-invalid",
                format!(
                    "the manifest's signature is larger than {} MiB: not a bundle",
                    super::store::KEEP_CAP >> 20
                ),
            );
            return None;
        }
        Some(Some(bundle)) => bundle,
    };
    match check::verify_any(
        verifier,
        Path::new(MANIFEST_BUNDLE),
        &bundle,
        &Artifact::Bytes(manifest_json),
        &signers.snapshot,
    ) {
        Ok(verified) => match verified.signer {
            Signer::Certificate(cert) => Some((cert.identity, cert.issuer)),
            _ => None,
        },
        Err(error) => {
            problem(
                integrity,
                MANIFEST_BUNDLE,
                check::problem_code(&error),
                format!("the manifest's signature: {error}"),
            );
            None
        }
    }
}

/// Every file listed in the manifest against the archive's, and the reverse.
fn check_files(
    manifest: &Manifest,
    digests: &BTreeMap<String, String>,
    integrity: &mut Vec<Problem>,
) {
    for record in &manifest.files {
        match digests.get(&record.path) {
            None => problem(
                integrity,
                &record.path,
                "file-missing",
                format!("{} is listed in the manifest but missing", record.path),
            ),
            Some(sha256) if *sha256 != record.sha256 => problem(
                integrity,
                &record.path,
                "digest-mismatch",
                format!(
                    "{} has SHA-256 {sha256}, but the manifest records {}",
                    record.path, record.sha256
                ),
            ),
            Some(_) => {}
        }
    }
    let listed: BTreeSet<&str> = manifest.files.iter().map(|f| f.path.as_str()).collect();
    for path in digests.keys() {
        if !listed.contains(path.as_str()) {
            problem(
                integrity,
                path,
                "file-unlisted",
                format!("{path} is in the archive but not in the manifest"),
            );
        }
    }
}
