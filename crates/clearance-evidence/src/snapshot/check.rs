//! Verifying one release folder: every file against `release.json`, every attestation bundle
//! against the trusted root and the signers, and every signed subject against the file it
//! names. Nothing is skipped and nothing stops at the first problem: a reviewer sees all of
//! them.

use std::path::Path;

use super::model::{AttestationStatus, Problem};
use super::store::StoredRelease;
use crate::store::record::{AttestationRecord, RELEASE_FILE};
use clearance_attest::policy::{IdentityPolicy, Policy};
use clearance_attest::verify::{
    Artifact, BundleKind, Signer, Verified, Verifier, VerifyError, verify_with,
};

/// What checking a release found.
#[derive(Debug, Clone, Default)]
pub struct ReleaseCheck {
    /// Each attestation's status, in `release.json` order.
    pub attestations: Vec<AttestationStatus>,
    /// Every problem, sorted.
    pub problems: Vec<Problem>,
}

impl ReleaseCheck {
    fn problem(&mut self, release: &StoredRelease, file: &str, code: &str, message: String) {
        self.problems.push(Problem {
            release: release.folder.clone(),
            file: file.to_string(),
            code: code.to_string(),
            message,
        });
    }
}

/// Checks `release` with `verifier` (prepared for the trusted root) against `signers`.
pub fn check_release(
    release: &StoredRelease,
    verifier: &Verifier,
    signers: &[IdentityPolicy],
) -> ReleaseCheck {
    let mut check = ReleaseCheck::default();
    for stray in &release.strays {
        check.problem(
            release,
            stray,
            "file-unlisted",
            format!("{stray} is not a regular file; a release folder holds only files"),
        );
    }
    let record = match &release.record {
        Ok(record) => record,
        Err(why) => {
            check.problem(release, RELEASE_FILE, "record-unreadable", why.clone());
            check.problems.sort();
            return check;
        }
    };

    for file in &record.files {
        match release.files.get(&file.path) {
            None => check.problem(
                release,
                &file.path,
                "file-missing",
                format!("{} is listed in {RELEASE_FILE} but missing", file.path),
            ),
            Some(stored) if stored.sha256 != file.sha256 => check.problem(
                release,
                &file.path,
                "digest-mismatch",
                format!(
                    "{} has SHA-256 {}, but {RELEASE_FILE} records {}: the file changed after \
                     the release",
                    file.path, stored.sha256, file.sha256
                ),
            ),
            Some(_) => {}
        }
    }
    for name in release.files.keys() {
        if name != RELEASE_FILE && !record.files.iter().any(|f| &f.path == name) {
            check.problem(
                release,
                name,
                "file-unlisted",
                format!("{name} is in the folder but not in {RELEASE_FILE}"),
            );
        }
    }

    for attestation in &record.attestations {
        let status = check_attestation(release, attestation, verifier, signers, &mut check);
        check.attestations.push(status);
    }
    check.problems.sort();
    check.problems.dedup();
    check
}

fn check_attestation(
    release: &StoredRelease,
    attestation: &AttestationRecord,
    verifier: &Verifier,
    signers: &[IdentityPolicy],
    check: &mut ReleaseCheck,
) -> AttestationStatus {
    let mut status = AttestationStatus {
        file: attestation.file.clone(),
        predicate_type: attestation.predicate_type.clone(),
        status: "failed".to_string(),
        signer: None,
        issuer: None,
        log_index: None,
        detail: None,
    };
    let Some(bundle) = release.files.get(&attestation.file) else {
        status.status = "missing".to_string();
        status.detail = Some("the bundle is missing".to_string());
        if !record_lists(release, &attestation.file) {
            check.problem(
                release,
                &attestation.file,
                "file-missing",
                format!("the attestation {} is missing", attestation.file),
            );
        }
        return status;
    };
    if !attestation.file.ends_with(".sigstore.json") {
        status.status = "unsigned".to_string();
        status.detail = Some("an unsigned statement (released with --sign none)".to_string());
        check.problem(
            release,
            &attestation.file,
            "attestation-unsigned",
            format!(
                "{} is an unsigned statement: nothing vouches for this release's evidence",
                attestation.file
            ),
        );
        return status;
    }
    let Some(first) = attestation
        .subjects
        .first()
        .and_then(|s| Artifact::from_sha256_hex(&s.sha256))
    else {
        status.detail = Some(format!("{RELEASE_FILE} records no subject for it"));
        check.problem(
            release,
            &attestation.file,
            "bundle-invalid",
            format!(
                "{RELEASE_FILE} records no SHA-256 subject for {}",
                attestation.file
            ),
        );
        return status;
    };
    let Some(bytes) = bundle.bytes.as_deref() else {
        let message = format!(
            "{} is larger than {} MiB: not a bundle clearance wrote, and not verified",
            attestation.file,
            super::store::KEEP_CAP >> 20
        );
        status.detail = Some(message.clone());
        check.problem(release, &attestation.file, "bundle-invalid", message);
        return status;
    };
    let path = Path::new(&release.folder).join(&attestation.file);
    match verify_any(verifier, &path, bytes, &first, signers) {
        Ok(verified) => {
            if let Signer::Certificate(cert) = &verified.signer {
                status.signer = Some(cert.identity.clone());
                status.issuer = Some(cert.issuer.clone());
            }
            status.log_index = verified.log_entries.first().map(|e| e.index);
            let problems = subject_problems(release, attestation, &verified);
            if problems.is_empty() {
                status.status = "verified".to_string();
            } else {
                status.detail = Some(problems.join("; "));
                for message in problems {
                    check.problem(release, &attestation.file, "subject-mismatch", message);
                }
            }
        }
        Err(error) => {
            status.detail = Some(error.to_string());
            check.problem(
                release,
                &attestation.file,
                problem_code(&error),
                error.to_string(),
            );
        }
    }
    status
}

fn record_lists(release: &StoredRelease, name: &str) -> bool {
    release
        .record
        .as_ref()
        .is_ok_and(|r| r.files.iter().any(|f| f.path == name))
}

/// The problem code of a bundle that did not verify.
pub fn problem_code(error: &VerifyError) -> &'static str {
    match error {
        VerifyError::Identity(_) => "wrong-signer",
        _ => "bundle-invalid",
    }
}

/// Verifies against each signer in turn; the first that accepts wins. A bundle that fails for
/// any other reason than its signer fails the same way for every signer.
pub fn verify_any(
    verifier: &Verifier,
    path: &Path,
    bytes: &[u8],
    artifact: &Artifact,
    signers: &[IdentityPolicy],
) -> Result<Verified, VerifyError> {
    let mut last = None;
    for signer in signers {
        match verify_with(
            verifier,
            path,
            bytes,
            artifact,
            &Policy::Identity(signer.clone()),
        ) {
            Ok(verified) => return Ok(verified),
            Err(error @ VerifyError::Identity(_)) => last = Some(error),
            Err(error) => return Err(error),
        }
    }
    Err(last.unwrap_or_else(|| VerifyError::Identity("no signer is allowed".to_string())))
}

/// What the signed statement says against what `release.json` and the folder hold.
fn subject_problems(
    release: &StoredRelease,
    attestation: &AttestationRecord,
    verified: &Verified,
) -> Vec<String> {
    let BundleKind::Attestation(statement) = &verified.kind else {
        return vec![format!(
            "{} signs a blob, not an in-toto statement",
            attestation.file
        )];
    };
    let mut problems = Vec::new();
    if statement.predicate_type != attestation.predicate_type {
        problems.push(format!(
            "{} states predicate type {}, {RELEASE_FILE} records {}",
            attestation.file, statement.predicate_type, attestation.predicate_type
        ));
    }
    let mut signed: Vec<(String, String)> = statement
        .subjects
        .iter()
        .map(|(name, digest)| (name.clone(), digest.clone().unwrap_or_default()))
        .collect();
    signed.sort();
    let mut recorded: Vec<(String, String)> = attestation
        .subjects
        .iter()
        .map(|s| (s.path.clone(), s.sha256.clone()))
        .collect();
    recorded.sort();
    if signed != recorded {
        problems.push(format!(
            "the subjects {} signs are not the ones {RELEASE_FILE} records",
            attestation.file
        ));
    }
    for (name, digest) in &signed {
        if let Some(file) = release.files.get(name)
            && &file.sha256 != digest
        {
            problems.push(format!(
                "{name} has SHA-256 {}, but {} signed {digest}",
                file.sha256, attestation.file
            ));
        }
    }
    problems
}
