//! Offline verification of a Sigstore bundle against an artifact, a trusted root and a
//! [`Policy`]: what `clearance verify` does.
//!
//! The cryptography is `sigstore-verify`'s: certificate chain at the signing time, SCT,
//! transparency-log inclusion proof and checkpoint, signed entry timestamp, RFC 3161
//! timestamps, the signature over the artifact or the DSSE envelope, and the consistency of
//! the log entry with the bundle. This module adds what a release reviewer needs on top: a
//! regular-expression identity, the GitHub claims of the certificate, an explicit check that
//! an attestation names the artifact, and a [`Verified`] report of what was established.
//! Nothing is fetched: the trusted root is given, the bundle carries the rest.
//!
//! Skipped on purpose: attestation subjects are matched by SHA-256 only (the digest every
//! Sigstore client writes); a statement whose subjects carry only other digests fails.

use std::path::Path;

use sigstore_verify::crypto::x509::FulcioCiClaims;
use sigstore_verify::trust_root::TrustedRoot;
use sigstore_verify::types::{Bundle, Sha256Hash, SignatureContent, Statement};
use sigstore_verify::{PublicKeyVerificationPolicy, VerificationPolicy, VerificationResult};
use time::OffsetDateTime;

pub use sigstore_verify::Verifier;

use super::policy::{CheckedClaim, Identity, IdentityPolicy, ManagedKey, Policy};
use clearance_core::diag::{Diagnostic, Location};

/// The DSSE payload type of an in-toto statement.
const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// What to do about a bundle that is not JSON.
const MALFORMED_JSON_HELP: &str =
    "the bundle file is damaged or is not a Sigstore bundle: fetch or regenerate it";

/// The artifact a bundle is checked against.
#[derive(Debug, Clone)]
pub enum Artifact {
    /// The artifact's bytes.
    Bytes(Vec<u8>),
    /// Only the artifact's SHA-256 digest (`sha256:HEX` on the command line).
    Sha256(Sha256Hash),
}

impl Artifact {
    /// The artifact given as 64 hexadecimal digits, or `None` if `hex` is not that.
    pub fn from_sha256_hex(hex: &str) -> Option<Self> {
        if hex.len() != 64 {
            return None;
        }
        Sha256Hash::from_hex(hex).ok().map(Artifact::Sha256)
    }

    /// The artifact's SHA-256 digest.
    pub fn sha256(&self) -> Sha256Hash {
        match self {
            Artifact::Bytes(bytes) => sigstore_verify::crypto::sha256(bytes),
            Artifact::Sha256(digest) => *digest,
        }
    }

    fn as_library_artifact(&self) -> sigstore_verify::types::Artifact<'_> {
        match self {
            Artifact::Bytes(bytes) => bytes.as_slice().into(),
            Artifact::Sha256(digest) => digest.into(),
        }
    }
}

/// What a verified bundle established.
#[derive(Debug, Clone)]
pub struct Verified {
    /// What the bundle signs.
    pub kind: BundleKind,
    /// Who signed it.
    pub signer: Signer,
    /// The artifact's SHA-256, hexadecimal.
    pub artifact_sha256: String,
    /// The Rekor v1 integrated time, authenticated by the log's signed entry timestamp.
    pub integrated_time: Option<OffsetDateTime>,
    /// Every authenticated signing time used (integrated times and RFC 3161 timestamps).
    pub verified_times: Vec<OffsetDateTime>,
    /// The transparency-log entries whose inclusion was verified.
    pub log_entries: Vec<LogEntry>,
}

/// What a bundle signs.
#[derive(Debug, Clone)]
pub enum BundleKind {
    /// A signature over the artifact itself (`messageSignature`).
    MessageSignature,
    /// An in-toto statement about the artifact in a DSSE envelope (`dsseEnvelope`).
    Attestation(Attestation),
}

/// The in-toto statement of an attestation bundle.
#[derive(Debug, Clone)]
pub struct Attestation {
    /// The statement's `predicateType`, e.g. `https://slsa.dev/provenance/v1`.
    pub predicate_type: String,
    /// The statement's subjects: name and SHA-256 (hexadecimal, when the subject has one).
    pub subjects: Vec<(String, Option<String>)>,
}

/// Who signed a bundle.
#[derive(Debug, Clone)]
pub enum Signer {
    /// A Fulcio certificate (keyless signing).
    Certificate(CertificateSigner),
    /// A managed key.
    Key {
        /// SHA-256 of the key's DER SubjectPublicKeyInfo, hexadecimal.
        fingerprint: String,
    },
}

/// The identity a verified Fulcio certificate was issued to.
#[derive(Debug, Clone)]
pub struct CertificateSigner {
    /// The SAN: a workflow URI or an email address.
    pub identity: String,
    /// The OIDC issuer that vouched for the identity.
    pub issuer: String,
    /// The CI claims the certificate carries (Fulcio extensions), by name, in OID order.
    pub claims: Vec<(&'static str, String)>,
    /// The GitHub claims the policy required, as they matched.
    pub checked: Vec<CheckedClaim>,
}

/// A transparency-log entry of the bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// The entry's index in its log.
    pub index: u64,
    /// Kind and version, e.g. `hashedrekord/0.0.1`.
    pub kind: String,
}

/// Why a bundle was not verified, grouped by what failed.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    /// The bundle file is not JSON: an input error, not a verification result.
    #[error("{0}")]
    MalformedJson(Box<Diagnostic>),
    /// The trusted root cannot be used to verify anything: an input error.
    #[error("the trusted root cannot be used: {0}")]
    TrustedRoot(String),
    /// The bundle is JSON but not a Sigstore bundle this verifier accepts (unknown version,
    /// missing or inconsistent parts).
    #[error("not a valid Sigstore bundle: {0}")]
    Bundle(String),
    /// A signature, certificate, timestamp or transparency-log check failed.
    #[error("cryptographic verification failed: {0}")]
    Cryptographic(String),
    /// The signer is not the one the policy asks for.
    #[error("identity policy not satisfied: {0}")]
    Identity(String),
    /// The bundle is genuine but not about this artifact.
    #[error("the bundle does not sign this artifact: {0}")]
    ArtifactBinding(String),
}

impl VerifyError {
    /// Whether this is a verification that failed (exit code 1), as opposed to input that
    /// could not be used (exit code 2).
    pub fn is_verification_failure(&self) -> bool {
        !matches!(
            self,
            VerifyError::MalformedJson(_) | VerifyError::TrustedRoot(_)
        )
    }

    /// A stable code for reports.
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::MalformedJson(_) => "bundle-malformed-json",
            VerifyError::TrustedRoot(_) => "trusted-root-unusable",
            VerifyError::Bundle(_) => "bundle-invalid",
            VerifyError::Cryptographic(_) => "verification-failed",
            VerifyError::Identity(_) => "identity-mismatch",
            VerifyError::ArtifactBinding(_) => "artifact-mismatch",
        }
    }

    /// What the user can do about it.
    pub fn help(&self) -> &'static str {
        match self {
            VerifyError::MalformedJson(_) => MALFORMED_JSON_HELP,
            VerifyError::TrustedRoot(_) => {
                "pass a Sigstore trusted_root.json with --trusted-root, or an instance with \
                 --sigstore public-good|staging|dev|FILE"
            }
            VerifyError::Bundle(_) => {
                "the file is not a Sigstore bundle (v0.1 to v0.3) or is damaged; do not trust \
                 the artifact, obtain a bundle from its publisher again"
            }
            VerifyError::Cryptographic(_) => {
                "do not trust the artifact; if the bundle comes from another Sigstore instance, \
                 pass its trusted root (--trusted-root or --sigstore)"
            }
            VerifyError::Identity(_) => {
                "the bundle was signed by someone else: check --certificate-identity, \
                 --certificate-oidc-issuer and the --github-* flags against the publisher's \
                 documented identity, and do not trust the artifact if they are right"
            }
            VerifyError::ArtifactBinding(_) => {
                "check that FILE is the artifact this bundle was made for; a changed artifact \
                 must not be trusted"
            }
        }
    }
}

/// Prepares a verifier for `trusted_root` (parses and checks every key and certificate in
/// it), to verify any number of bundles with [`verify_with`].
pub fn prepare_verifier(trusted_root: &TrustedRoot) -> Result<Verifier, VerifyError> {
    Verifier::new(trusted_root).map_err(|e| VerifyError::TrustedRoot(e.to_string()))
}

/// Verifies the bundle `bundle_bytes` (read from `bundle_path`, named in messages) for
/// `artifact` against `trusted_root` and `policy`.
pub fn verify(
    bundle_path: &Path,
    bundle_bytes: &[u8],
    artifact: &Artifact,
    trusted_root: &TrustedRoot,
    policy: &Policy,
) -> Result<Verified, VerifyError> {
    let verifier = prepare_verifier(trusted_root)?;
    verify_with(&verifier, bundle_path, bundle_bytes, artifact, policy)
}

/// [`verify`] with a verifier prepared once by [`prepare_verifier`].
pub fn verify_with(
    verifier: &Verifier,
    bundle_path: &Path,
    bundle_bytes: &[u8],
    artifact: &Artifact,
    policy: &Policy,
) -> Result<Verified, VerifyError> {
    // Security steps, in order; each must pass, the first failure is reported.
    //  1. Parse the bundle: JSON first (a syntax error is an input error with its position),
    //     then the Sigstore bundle schema (media type and version, non-negative log indexes,
    //     well-formed certificates and signatures).
    //  2. The kind of signer must be the policy's: a certificate for an identity, a key hint
    //     for a managed key (either way round is refused before any cryptography).
    //  3. Cryptographic verification by sigstore-verify, with no check relaxed: establish the
    //     signing times (signed entry timestamps, RFC 3161 timestamps), the certificate chain
    //     to a trusted Fulcio CA valid at every one of them, the SCT, the transparency-log
    //     inclusion proof and signed checkpoint, the integrated time within the certificate's
    //     validity, the signature over the artifact (or the DSSE PAE), and the log entry's
    //     consistency with the bundle. Keyless: the library also matches the issuer and an
    //     exact identity. Managed key: the key is the policy's and there is no certificate.
    //  4. Fail closed on the library's evidence: certificate, SCT and log must be reported as
    //     verified, not merely absent from the list of errors.
    //  5. The identity policy, on the verified certificate: the SAN (exactly or by anchored
    //     regular expression) and the issuer, then every requested GitHub claim against the
    //     Fulcio extensions.
    //  6. Artifact binding, visible here even though the library checked it: an attestation
    //     must be an in-toto statement one of whose subjects has the artifact's SHA-256.
    let bundle = parse_bundle(bundle_path, bundle_bytes)?;
    let (result, signer) = match policy {
        Policy::Identity(identity) => verify_keyless(verifier, &bundle, artifact, identity)?,
        Policy::Key(key) => verify_managed_key(verifier, &bundle, artifact, key)?,
    };
    let artifact_sha256 = artifact.sha256();
    let kind = bundle_kind(&bundle, &artifact_sha256)?;
    Ok(Verified {
        kind,
        signer,
        artifact_sha256: artifact_sha256.to_hex(),
        integrated_time: result
            .integrated_time()
            .and_then(|t| to_datetime(t.as_second())),
        verified_times: result
            .verified_timestamps()
            .iter()
            .filter_map(|t| to_datetime(t.as_second()))
            .collect(),
        log_entries: bundle
            .verification_material
            .tlog_entries
            .iter()
            .map(|entry| LogEntry {
                index: entry.log_index.get(),
                kind: format!(
                    "{}/{}",
                    entry.kind_version.kind(),
                    entry.kind_version.version()
                ),
            })
            .collect(),
    })
}

/// Steps 2 to 5 for a keyless bundle: what the library verified, and the accepted signer.
fn verify_keyless(
    verifier: &Verifier,
    bundle: &Bundle,
    artifact: &Artifact,
    policy: &IdentityPolicy,
) -> Result<(VerificationResult, Signer), VerifyError> {
    if bundle.signing_certificate().is_none() {
        return Err(VerifyError::Identity(
            "the bundle is signed with a managed key, not a certificate: verify it with \
             --key PUBKEY.pem"
                .into(),
        ));
    }
    let result = verifier
        .verify(
            artifact.as_library_artifact(),
            bundle,
            &library_identity_policy(policy),
        )
        .map_err(classify)?;
    if !(result.certificate_verified() && result.sct_verified() && result.tlog_verified()) {
        return Err(VerifyError::Cryptographic(
            "the verifier did not confirm the certificate chain, SCT and log inclusion".into(),
        ));
    }
    let signer = check_identity(&result, policy)?;
    Ok((result, Signer::Certificate(signer)))
}

/// Steps 2 to 4 for a managed-key bundle.
fn verify_managed_key(
    verifier: &Verifier,
    bundle: &Bundle,
    artifact: &Artifact,
    key: &ManagedKey,
) -> Result<(VerificationResult, Signer), VerifyError> {
    if bundle.signing_certificate().is_some() {
        return Err(VerifyError::Identity(
            "the bundle is signed with a certificate, not a managed key: verify it with \
             --certificate-identity and --certificate-oidc-issuer"
                .into(),
        ));
    }
    let result = verifier
        .verify(
            artifact.as_library_artifact(),
            bundle,
            &PublicKeyVerificationPolicy::new(key.key.clone()),
        )
        .map_err(classify)?;
    if !result.tlog_verified() {
        return Err(VerifyError::Cryptographic(
            "the verifier did not confirm the log inclusion".into(),
        ));
    }
    let fingerprint = sigstore_verify::crypto::sha256(key.key.as_bytes()).to_hex();
    Ok((result, Signer::Key { fingerprint }))
}

/// Step 6: what the bundle signs; for an attestation, its statement must name the artifact.
fn bundle_kind(bundle: &Bundle, artifact_sha256: &Sha256Hash) -> Result<BundleKind, VerifyError> {
    match &bundle.content {
        SignatureContent::MessageSignature(_) => Ok(BundleKind::MessageSignature),
        SignatureContent::DsseEnvelope(envelope) => {
            if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
                return Err(VerifyError::ArtifactBinding(format!(
                    "the DSSE payload is `{}`, not an in-toto statement",
                    envelope.payload_type
                )));
            }
            let statement: Statement = serde_json::from_slice(envelope.payload.as_bytes())
                .map_err(|e| VerifyError::Bundle(format!("the in-toto statement: {e}")))?;
            Ok(BundleKind::Attestation(attestation_for(
                &statement,
                artifact_sha256,
            )?))
        }
        _ => Err(VerifyError::Bundle(
            "the bundle signs neither a message nor a DSSE envelope".into(),
        )),
    }
}

/// Step 1: the bundle, or why it is not one.
fn parse_bundle(path: &Path, bytes: &[u8]) -> Result<Bundle, VerifyError> {
    if let Err(e) = serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
        let text = String::from_utf8_lossy(bytes);
        let message = e.to_string();
        let message = message
            .rfind(" at line ")
            .map_or(message.as_str(), |i| &message[..i]);
        let diagnostic = Diagnostic::error(
            "bundle-malformed-json",
            format!("the bundle is not valid JSON: {message}"),
        )
        .at(Location::from_line_column(
            path,
            &text,
            e.line(),
            e.column(),
        ))
        .with_help(MALFORMED_JSON_HELP);
        return Err(VerifyError::MalformedJson(Box::new(diagnostic)));
    }
    let text = std::str::from_utf8(bytes).map_err(|e| VerifyError::Bundle(e.to_string()))?;
    Bundle::from_json(text).map_err(|e| VerifyError::Bundle(e.to_string()))
}

/// The library's policy for step 3: the issuer always, the identity when it is exact (a
/// regular expression is matched in step 5). Nothing is skipped.
fn library_identity_policy(policy: &IdentityPolicy) -> VerificationPolicy {
    let library_policy = VerificationPolicy::any_identity().require_issuer(policy.issuer.clone());
    match &policy.identity {
        Identity::Exact(identity) => library_policy.require_identity(identity.as_str()),
        Identity::Regex { .. } => library_policy,
    }
}

/// Step 5: the signer of a verified certificate, if the policy accepts it.
fn check_identity(
    result: &VerificationResult,
    policy: &IdentityPolicy,
) -> Result<CertificateSigner, VerifyError> {
    let identity = result
        .identity()
        .map(|san| san.as_str().to_string())
        .ok_or_else(|| VerifyError::Identity("the certificate has no identity (SAN)".into()))?;
    if !policy.identity.matches(&identity) {
        return Err(VerifyError::Identity(format!(
            "the certificate identity is {identity}, the policy asks for {}",
            policy.identity
        )));
    }
    let issuer = result.issuer().unwrap_or_default().to_string();
    if issuer != policy.issuer {
        return Err(VerifyError::Identity(format!(
            "the certificate's OIDC issuer is {issuer}, the policy asks for {}",
            policy.issuer
        )));
    }
    let claims = result
        .certificate()
        .map(|c| c.ci_claims.clone())
        .unwrap_or_default();
    let checked = policy
        .github
        .check(&claims)
        .map_err(|e| VerifyError::Identity(e.to_string()))?;
    Ok(CertificateSigner {
        identity,
        issuer,
        claims: claim_list(&claims),
        checked,
    })
}

/// Step 6: the statement's subjects must include the artifact.
fn attestation_for(
    statement: &Statement,
    artifact_sha256: &Sha256Hash,
) -> Result<Attestation, VerifyError> {
    if !statement.matches_sha256(artifact_sha256) {
        return Err(VerifyError::ArtifactBinding(format!(
            "no subject of the attestation has the artifact's SHA-256 {}",
            artifact_sha256.to_hex()
        )));
    }
    Ok(Attestation {
        predicate_type: statement.predicate_type.clone(),
        subjects: statement
            .subject
            .iter()
            .map(|s| (s.name.clone(), s.digest.sha256.map(|d| d.to_hex())))
            .collect(),
    })
}

/// The claims present in the certificate, named after the Fulcio extension they come from,
/// in OID order.
fn claim_list(claims: &FulcioCiClaims) -> Vec<(&'static str, String)> {
    let old = &claims.deprecated_github;
    [
        ("github_workflow_trigger", &old.workflow_trigger),
        ("github_workflow_sha", &old.workflow_sha),
        ("github_workflow_name", &old.workflow_name),
        ("github_workflow_repository", &old.workflow_repository),
        ("github_workflow_ref", &old.workflow_ref),
        ("build_signer_uri", &claims.build_signer_uri),
        ("build_signer_digest", &claims.build_signer_digest),
        ("runner_environment", &claims.runner_environment),
        ("source_repository_uri", &claims.source_repository_uri),
        ("source_repository_digest", &claims.source_repository_digest),
        ("source_repository_ref", &claims.source_repository_ref),
        (
            "source_repository_identifier",
            &claims.source_repository_identifier,
        ),
        (
            "source_repository_owner_uri",
            &claims.source_repository_owner_uri,
        ),
        (
            "source_repository_owner_identifier",
            &claims.source_repository_owner_identifier,
        ),
        ("build_config_uri", &claims.build_config_uri),
        ("build_config_digest", &claims.build_config_digest),
        ("build_trigger", &claims.build_trigger),
        ("run_invocation_uri", &claims.run_invocation_uri),
        (
            "source_repository_visibility_at_signing",
            &claims.source_repository_visibility_at_signing,
        ),
        ("deployment_environment", &claims.deployment_environment),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.clone().map(|v| (name, v)))
    .collect()
}

/// Sorts a library error into the group of what failed.
fn classify(error: sigstore_verify::Error) -> VerifyError {
    use sigstore_verify::Error as E;
    let message = error.to_string();
    match error {
        E::IdentityMismatch { .. } | E::IssuerMismatch { .. } => VerifyError::Identity(message),
        E::ArtifactMismatch(_) | E::UnsupportedArtifact(_) => VerifyError::ArtifactBinding(message),
        E::InvalidBundle(_) | E::UnsupportedBundle(_) | E::Bundle(_) | E::Types(_) => {
            VerifyError::Bundle(message)
        }
        _ => VerifyError::Cryptographic(message),
    }
}

/// A time from whole seconds since the Unix epoch.
fn to_datetime(seconds: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(seconds).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_64_hex_digits() {
        let hex = "a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf";
        let artifact = Artifact::from_sha256_hex(hex).unwrap();
        assert_eq!(artifact.sha256().to_hex(), hex);
        assert!(Artifact::from_sha256_hex(&hex[..63]).is_none());
        assert!(Artifact::from_sha256_hex(&hex.replace('a', "g")).is_none());
    }

    #[test]
    fn bad_json_is_input_and_names_its_position() {
        let err = parse_bundle(Path::new("b.json"), b"{\n  \"mediaType\": \n").unwrap_err();
        assert!(!err.is_verification_failure());
        let shown = err.to_string();
        assert!(shown.contains("b.json:3:"), "{shown}");
        assert!(shown.contains("help: "), "{shown}");
    }

    #[test]
    fn json_that_is_no_bundle_fails_verification() {
        let err = parse_bundle(Path::new("b.json"), br#"{"mediaType": "x"}"#).unwrap_err();
        assert!(err.is_verification_failure());
        assert_eq!(err.code(), "bundle-invalid");
    }

    #[test]
    fn library_errors_are_grouped_by_what_failed() {
        use sigstore_verify::Error as E;
        let identity = classify(E::IssuerMismatch {
            expected: "a".into(),
            actual: None,
        });
        assert_eq!(identity.code(), "identity-mismatch");
        let binding = classify(E::ArtifactMismatch("digest".into()));
        assert_eq!(binding.code(), "artifact-mismatch");
        let crypto = classify(E::SignatureInvalid("bad".into()));
        assert_eq!(crypto.code(), "verification-failed");
        let bundle = classify(E::InvalidBundle("no certificate".into()));
        assert_eq!(bundle.code(), "bundle-invalid");
    }
}
