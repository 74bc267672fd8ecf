//! Who must have signed a bundle: the identity policy of `clearance verify`.
//!
//! A keyless bundle is accepted for a certificate identity (the SAN, matched exactly or by an
//! anchored regular expression), an OIDC issuer, and optionally the GitHub Actions claims
//! Fulcio wrote into the certificate (repository, ref, commit, workflow). A managed-key bundle
//! is accepted for a public key instead.
//!
//! The SAN and issuer are matched by `sigstore-verify` (for an exact identity) or here (for a
//! regular expression). The GitHub claims are always matched here, against the Fulcio
//! extensions of the verified certificate: the library's policy knows only SAN and issuer.
//! Each claim is read from its current, provider-neutral extension and, for certificates that
//! predate it, from the deprecated GitHub-specific one:
//!
//! | claim | extension (1.3.6.1.4.1.57264.1.N) | deprecated fallback |
//! | --- | --- | --- |
//! | repository | 12, source repository URI (`https://github.com/O/R`) | 5 (`O/R`) |
//! | ref | 14, source repository ref | 6 |
//! | sha | 13, source repository digest | 3 |
//! | workflow | 18, build config URI (the workflow file) | 4 (the workflow name) |
//!
//! The workflow may be given as its file path in the repository
//! (`.github/workflows/release.yml`, taken from the build config URI) or as its display name
//! (`Release`, from the deprecated extension 4, which has no successor); either form matches.
//! A requested claim that the certificate does not carry fails the policy.

use std::path::{Path, PathBuf};

use regex::Regex;
use sigstore_verify::crypto::x509::FulcioCiClaims;
use sigstore_verify::types::DerPublicKey;

/// The host GitHub repository URIs start with, as Fulcio writes them.
const GITHUB: &str = "https://github.com/";

/// What a bundle must satisfy to verify.
#[derive(Debug, Clone)]
pub enum Policy {
    /// A keyless (Fulcio certificate) bundle from this identity.
    Identity(IdentityPolicy),
    /// A bundle signed with this managed key.
    Key(ManagedKey),
}

/// A keyless signer: certificate identity, OIDC issuer and optional GitHub claims.
#[derive(Debug, Clone)]
pub struct IdentityPolicy {
    /// How the certificate's SAN must look.
    pub identity: Identity,
    /// The OIDC issuer recorded in the certificate, matched exactly.
    pub issuer: String,
    /// GitHub Actions claims the certificate must carry.
    pub github: GitHubClaims,
}

/// How the certificate identity (SAN) is matched.
#[derive(Debug, Clone)]
pub enum Identity {
    /// The SAN equals this string.
    Exact(String),
    /// The whole SAN matches this pattern (anchored at both ends).
    Regex {
        /// The pattern as given.
        pattern: String,
        /// The anchored, compiled pattern.
        regex: Regex,
    },
}

impl Identity {
    /// An identity matched by a regular expression that must match the whole SAN, as cosign's
    /// `--certificate-identity-regexp` is commonly expected to (anchoring avoids accepting
    /// `https://github.com/evil/repo/...?https://github.com/good/repo`).
    pub fn regex(pattern: &str) -> Result<Self, PolicyError> {
        let invalid = |source| PolicyError::Regex {
            pattern: pattern.to_string(),
            source: Box::new(source),
        };
        Regex::new(pattern).map_err(invalid)?;
        let regex = Regex::new(&format!("^(?:{pattern})$")).map_err(invalid)?;
        Ok(Identity::Regex {
            pattern: pattern.to_string(),
            regex,
        })
    }

    /// Whether `san` satisfies this identity.
    pub fn matches(&self, san: &str) -> bool {
        match self {
            Identity::Exact(expected) => san == expected,
            Identity::Regex { regex, .. } => regex.is_match(san),
        }
    }
}

impl std::fmt::Display for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Identity::Exact(value) => f.write_str(value),
            Identity::Regex { pattern, .. } => write!(f, "/{pattern}/"),
        }
    }
}

/// GitHub Actions claims to require; `None` leaves a claim unchecked.
#[derive(Debug, Clone, Default)]
pub struct GitHubClaims {
    /// `OWNER/REPO` (or `https://github.com/OWNER/REPO`).
    pub repository: Option<String>,
    /// The git ref, e.g. `refs/tags/v1.2.3`.
    pub git_ref: Option<String>,
    /// The commit SHA (hexadecimal, any case).
    pub sha: Option<String>,
    /// The workflow file path (`.github/workflows/release.yml`) or the workflow name.
    pub workflow: Option<String>,
}

/// One GitHub claim that the certificate satisfied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedClaim {
    /// `repository`, `ref`, `sha` or `workflow`.
    pub claim: &'static str,
    /// What the policy asked for.
    pub expected: String,
    /// The certificate's value that matched.
    pub found: String,
    /// The extension it came from, e.g. `1.3.6.1.4.1.57264.1.12, source repository URI`.
    pub extension: &'static str,
}

/// A requested GitHub claim that the certificate does not satisfy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.describe())]
pub struct ClaimMismatch {
    /// `repository`, `ref`, `sha` or `workflow`.
    pub claim: &'static str,
    /// What the policy asked for.
    pub expected: String,
    /// What the certificate says, with the extension it came from; empty when it carries
    /// no such claim.
    pub found: Vec<(String, &'static str)>,
}

impl ClaimMismatch {
    fn describe(&self) -> String {
        if self.found.is_empty() {
            return format!(
                "GitHub claim `{}`: expected {}, but the certificate carries no such claim \
                 (it was not issued to a GitHub Actions workflow, or predates the claim)",
                self.claim, self.expected
            );
        }
        let found: Vec<String> = self
            .found
            .iter()
            .map(|(value, extension)| format!("{value} ({extension})"))
            .collect();
        format!(
            "GitHub claim `{}`: expected {}, the certificate says {}",
            self.claim,
            self.expected,
            found.join(" and ")
        )
    }
}

const REPOSITORY_URI: &str = "1.3.6.1.4.1.57264.1.12, source repository URI";
const REPOSITORY_OLD: &str = "1.3.6.1.4.1.57264.1.5, deprecated repository";
const REF: &str = "1.3.6.1.4.1.57264.1.14, source repository ref";
const REF_OLD: &str = "1.3.6.1.4.1.57264.1.6, deprecated ref";
const SHA: &str = "1.3.6.1.4.1.57264.1.13, source repository digest";
const SHA_OLD: &str = "1.3.6.1.4.1.57264.1.3, deprecated sha";
const WORKFLOW_FILE: &str = "1.3.6.1.4.1.57264.1.18, build config URI";
const WORKFLOW_NAME: &str = "1.3.6.1.4.1.57264.1.4, deprecated workflow name";

impl GitHubClaims {
    /// Whether no claim is requested.
    pub fn is_empty(&self) -> bool {
        self.repository.is_none()
            && self.git_ref.is_none()
            && self.sha.is_none()
            && self.workflow.is_none()
    }

    /// Checks every requested claim against the certificate's Fulcio extensions, in the order
    /// repository, ref, sha, workflow; the first one that fails is returned.
    pub fn check(&self, claims: &FulcioCiClaims) -> Result<Vec<CheckedClaim>, ClaimMismatch> {
        let old = &claims.deprecated_github;
        let mut checked = Vec::new();
        if let Some(expected) = &self.repository {
            let short = expected.strip_prefix(GITHUB).unwrap_or(expected);
            let uri = format!("{GITHUB}{short}");
            checked.push(match_claim(
                "repository",
                expected,
                &[
                    (
                        claims.source_repository_uri.as_deref(),
                        REPOSITORY_URI,
                        &uri,
                    ),
                    (old.workflow_repository.as_deref(), REPOSITORY_OLD, short),
                ],
            )?);
        }
        if let Some(expected) = &self.git_ref {
            checked.push(match_claim(
                "ref",
                expected,
                &[
                    (claims.source_repository_ref.as_deref(), REF, expected),
                    (old.workflow_ref.as_deref(), REF_OLD, expected),
                ],
            )?);
        }
        if let Some(expected) = &self.sha {
            let lower = expected.to_ascii_lowercase();
            let digest = claims
                .source_repository_digest
                .as_deref()
                .map(str::to_ascii_lowercase);
            let old_sha = old.workflow_sha.as_deref().map(str::to_ascii_lowercase);
            checked.push(match_claim(
                "sha",
                expected,
                &[
                    (digest.as_deref(), SHA, &lower),
                    (old_sha.as_deref(), SHA_OLD, &lower),
                ],
            )?);
        }
        if let Some(expected) = &self.workflow {
            let file = claims.build_config_uri.as_deref().and_then(workflow_path);
            let as_path = expected.trim_start_matches("./");
            checked.push(match_claim(
                "workflow",
                expected,
                &[
                    (file, WORKFLOW_FILE, as_path),
                    (old.workflow_name.as_deref(), WORKFLOW_NAME, expected),
                ],
            )?);
        }
        Ok(checked)
    }
}

/// The first candidate `(value in the certificate, extension, value it must equal)` whose
/// value is present: it decides. A newer extension thus wins over its deprecated fallback,
/// except for the workflow, whose two forms are not alternatives of one another: there any
/// present form that matches is enough.
fn match_claim(
    claim: &'static str,
    expected: &str,
    candidates: &[(Option<&str>, &'static str, &str)],
) -> Result<CheckedClaim, ClaimMismatch> {
    let present: Vec<_> = candidates
        .iter()
        .filter_map(|(value, extension, wanted)| value.map(|v| (v, *extension, *wanted)))
        .collect();
    let deciding: &[_] = if claim == "workflow" {
        &present
    } else {
        &present[..present.len().min(1)]
    };
    if let Some((value, extension, _)) = deciding.iter().find(|(v, _, wanted)| v == wanted) {
        return Ok(CheckedClaim {
            claim,
            expected: expected.to_string(),
            found: value.to_string(),
            extension,
        });
    }
    Err(ClaimMismatch {
        claim,
        expected: expected.to_string(),
        found: deciding
            .iter()
            .map(|(value, extension, _)| (value.to_string(), *extension))
            .collect(),
    })
}

/// The workflow file of a build config URI:
/// `https://github.com/O/R/.github/workflows/x.yml@refs/heads/main` →
/// `.github/workflows/x.yml`.
fn workflow_path(build_config_uri: &str) -> Option<&str> {
    let without_ref = build_config_uri.split('@').next()?;
    let start = without_ref.find("/.github/")?;
    Some(&without_ref[start + 1..])
}

/// A managed public key (`--key PUBKEY.pem`).
#[derive(Debug, Clone)]
pub struct ManagedKey {
    /// The PEM file, for messages.
    pub path: PathBuf,
    /// The key (DER SubjectPublicKeyInfo).
    pub key: DerPublicKey,
}

impl ManagedKey {
    /// Reads a PEM public key (`-----BEGIN PUBLIC KEY-----`).
    pub fn load(path: &Path) -> Result<Self, PolicyError> {
        let text = std::fs::read_to_string(path).map_err(|source| PolicyError::KeyRead {
            path: path.to_path_buf(),
            source,
        })?;
        let key = DerPublicKey::from_pem(&text).map_err(|e| PolicyError::KeyMalformed {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            key,
        })
    }
}

/// Why a policy could not be built from what the user gave.
#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    /// `--certificate-identity-regexp` is not a valid regular expression.
    #[error(
        "--certificate-identity-regexp `{pattern}` is not a valid regular expression: {source}"
    )]
    Regex {
        /// The pattern.
        pattern: String,
        /// The parser's complaint.
        source: Box<regex::Error>,
    },
    /// The key file could not be read.
    #[error("cannot read the public key {path}: {source}")]
    KeyRead {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The key file is not a PEM public key.
    #[error("{path} is not a PEM public key: {reason}")]
    KeyMalformed {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
}

impl PolicyError {
    /// What the user can do about it.
    pub fn help(&self) -> &'static str {
        match self {
            PolicyError::Regex { .. } => {
                "the pattern uses Rust regex syntax (https://docs.rs/regex) and must match the \
                 whole identity; escape `.` and `?` as `\\.` and `\\?`"
            }
            PolicyError::KeyRead { .. } => "pass the path of the signer's public key file",
            PolicyError::KeyMalformed { .. } => {
                "pass the signer's public key in PEM form (-----BEGIN PUBLIC KEY-----), e.g. \
                 as written by `cosign generate-key-pair`"
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn beacon_claims() -> FulcioCiClaims {
        let mut claims = FulcioCiClaims::default();
        claims.source_repository_uri = Some("https://github.com/o/r".into());
        claims.source_repository_ref = Some("refs/heads/main".into());
        claims.source_repository_digest = Some("c7b3dfb3".into());
        claims.build_config_uri =
            Some("https://github.com/o/r/.github/workflows/beacon.yml@refs/heads/main".into());
        claims.deprecated_github.workflow_name = Some("Beacon".into());
        claims
    }

    #[test]
    fn regex_identities_match_the_whole_san() {
        let identity = Identity::regex(r"https://github\.com/o/r/.*").unwrap();
        assert!(identity.matches("https://github.com/o/r/.github/workflows/x.yml@refs/tags/v1"));
        assert!(!identity.matches("https://evil.example/?https://github.com/o/r/x"));
        assert!(!Identity::regex("o/r").unwrap().matches("o/r/x"));
        assert!(matches!(
            Identity::regex("(unclosed"),
            Err(PolicyError::Regex { .. })
        ));
    }

    #[test]
    fn requested_claims_match_current_extensions() {
        let policy = GitHubClaims {
            repository: Some("o/r".into()),
            git_ref: Some("refs/heads/main".into()),
            sha: Some("C7B3DFB3".into()),
            workflow: Some(".github/workflows/beacon.yml".into()),
        };
        let checked = policy.check(&beacon_claims()).unwrap();
        assert_eq!(checked.len(), 4);
        assert_eq!(checked[0].found, "https://github.com/o/r");
        assert_eq!(checked[3].extension, WORKFLOW_FILE);
    }

    #[test]
    fn the_workflow_also_matches_by_name() {
        let policy = GitHubClaims {
            workflow: Some("Beacon".into()),
            ..GitHubClaims::default()
        };
        let checked = policy.check(&beacon_claims()).unwrap();
        assert_eq!(checked[0].extension, WORKFLOW_NAME);
    }

    #[test]
    fn a_wrong_or_missing_claim_fails_naming_it() {
        let policy = GitHubClaims {
            repository: Some("o/other".into()),
            ..GitHubClaims::default()
        };
        let err = policy.check(&beacon_claims()).unwrap_err();
        assert_eq!(err.claim, "repository");
        assert!(err.to_string().contains("`repository`"), "{err}");

        let policy = GitHubClaims {
            git_ref: Some("refs/heads/main".into()),
            ..GitHubClaims::default()
        };
        let err = policy.check(&FulcioCiClaims::default()).unwrap_err();
        assert!(err.found.is_empty());
        assert!(err.to_string().contains("no such claim"), "{err}");
    }

    #[test]
    fn deprecated_extensions_are_a_fallback() {
        let mut claims = FulcioCiClaims::default();
        claims.deprecated_github.workflow_repository = Some("o/r".into());
        claims.deprecated_github.workflow_ref = Some("refs/tags/v1".into());
        let policy = GitHubClaims {
            repository: Some("https://github.com/o/r".into()),
            git_ref: Some("refs/tags/v1".into()),
            ..GitHubClaims::default()
        };
        let checked = policy.check(&claims).unwrap();
        assert_eq!(checked[0].extension, REPOSITORY_OLD);
        assert_eq!(checked[1].extension, REF_OLD);
    }
}
