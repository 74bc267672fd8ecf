//! Who may sign a body of evidence: a list of keyless identity policies, read from a signers
//! file or built from command-line flags. A bundle is accepted when any one of them accepts
//! it. Used where many bundles from a known set of signers are checked at once (snapshots).
//!
//! ```toml
//! # Who signs the releases.
//! [[signer]]
//! identity-regexp = '^https://github\.com/acme/app/\.github/workflows/release\.yml@refs/tags/v.*$'
//! issuer = "https://token.actions.githubusercontent.com"
//! github-repository = "acme/app"
//!
//! # Who signs snapshots (default: the signers above).
//! [[snapshot-signer]]
//! identity = "compliance@acme.example"
//! issuer = "https://accounts.google.com"
//! ```

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::policy::{GitHubClaims, Identity, IdentityPolicy};
use clearance_core::diag::{Diagnostic, Location};

/// The signers of a body of evidence.
#[derive(Debug, Clone)]
pub struct Signers {
    /// Where the list came from: the file, or `command line`.
    pub origin: String,
    /// Who may sign the evidence (release bundles).
    pub evidence: Vec<IdentityPolicy>,
    /// Who may sign the package of evidence itself (a snapshot's manifest).
    pub snapshot: Vec<IdentityPolicy>,
}

/// One signer as written in a signers file, and as recorded in a snapshot's manifest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct SignerSpec {
    /// The certificate identity, matched exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// A regular expression the whole certificate identity must match.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_regexp: Option<String>,
    /// The OIDC issuer, matched exactly.
    pub issuer: String,
    /// The GitHub repository claim, `OWNER/REPO`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_repository: Option<String>,
    /// The GitHub workflow claim.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub github_workflow: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct SignersFile {
    #[serde(default)]
    signer: Vec<SignerSpec>,
    #[serde(default)]
    snapshot_signer: Vec<SignerSpec>,
}

impl SignerSpec {
    /// The identity policy this spec stands for, or why it is not one.
    pub fn policy(&self) -> Result<IdentityPolicy, String> {
        let identity = match (&self.identity, &self.identity_regexp) {
            (Some(exact), None) => Identity::Exact(exact.clone()),
            (None, Some(pattern)) => Identity::regex(pattern).map_err(|e| e.to_string())?,
            (Some(_), Some(_)) => {
                return Err("give `identity` or `identity-regexp`, not both".to_string());
            }
            (None, None) => {
                return Err("a signer needs `identity` or `identity-regexp`".to_string());
            }
        };
        Ok(IdentityPolicy {
            identity,
            issuer: self.issuer.clone(),
            github: GitHubClaims {
                repository: self.github_repository.clone(),
                git_ref: None,
                sha: None,
                workflow: self.github_workflow.clone(),
            },
        })
    }

    /// The spec of `policy`, for records.
    pub fn of(policy: &IdentityPolicy) -> SignerSpec {
        let (identity, identity_regexp) = match &policy.identity {
            Identity::Exact(exact) => (Some(exact.clone()), None),
            Identity::Regex { pattern, .. } => (None, Some(pattern.clone())),
        };
        SignerSpec {
            identity,
            identity_regexp,
            issuer: policy.issuer.clone(),
            github_repository: policy.github.repository.clone(),
            github_workflow: policy.github.workflow.clone(),
        }
    }
}

/// What to do about a signers file that cannot be used.
const SIGNERS_HELP: &str = "a signers file holds [[signer]] tables (and optionally \
    [[snapshot-signer]] tables) with `identity` or `identity-regexp`, `issuer`, and optionally \
    `github-repository` and `github-workflow`; see docs/commands/snapshot.md";

impl Signers {
    /// One signer for everything, from command-line flags.
    pub fn single(policy: IdentityPolicy) -> Signers {
        Signers {
            origin: "command line".to_string(),
            evidence: vec![policy.clone()],
            snapshot: vec![policy],
        }
    }

    /// Reads a signers file.
    pub fn load(path: &Path) -> Result<Signers, Box<Diagnostic>> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Box::new(
                Diagnostic::error(
                    "signers-read",
                    format!("cannot read the signers file {}: {e}", path.display()),
                )
                .with_help("check the path given to --policy"),
            )
        })?;
        Signers::parse(path, &text)
    }

    /// Parses the signers file `text` read from `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Signers, Box<Diagnostic>> {
        let at = |offset: usize| Location::from_offset(path, text, offset);
        let file: SignersFile = toml::from_str(text).map_err(|e| {
            let offset = e.span().map_or(0, |s| s.start);
            Box::new(
                Diagnostic::error("signers-invalid", e.message().trim().to_string())
                    .at(at(offset))
                    .with_help(SIGNERS_HELP),
            )
        })?;
        if file.signer.is_empty() {
            return Err(Box::new(
                Diagnostic::error(
                    "signers-empty",
                    format!("{} names no [[signer]]", path.display()),
                )
                .at(at(0))
                .with_help(SIGNERS_HELP),
            ));
        }
        let convert = |specs: &[SignerSpec], table: &str| {
            specs
                .iter()
                .enumerate()
                .map(|(n, spec)| {
                    spec.policy().map_err(|why| {
                        let offset = nth_table(text, table, n).unwrap_or(0);
                        Box::new(
                            Diagnostic::error("signers-invalid", why)
                                .at(at(offset))
                                .with_help(SIGNERS_HELP),
                        )
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let evidence = convert(&file.signer, "signer")?;
        let snapshot = if file.snapshot_signer.is_empty() {
            evidence.clone()
        } else {
            convert(&file.snapshot_signer, "snapshot-signer")?
        };
        Ok(Signers {
            origin: path.display().to_string(),
            evidence,
            snapshot,
        })
    }

    /// The file or flags the list came from, as a path when it is one.
    pub fn path(&self) -> Option<PathBuf> {
        (self.origin != "command line").then(|| PathBuf::from(&self.origin))
    }
}

/// The offset of the `n`th `[[table]]` header in `text`.
fn nth_table(text: &str, table: &str, n: usize) -> Option<usize> {
    let header = format!("[[{table}]]");
    let mut offset = 0;
    let mut seen = 0;
    for line in text.split_inclusive('\n') {
        if line.trim() == header {
            if seen == n {
                return Some(offset);
            }
            seen += 1;
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[[signer]]
identity-regexp = '^https://github\.com/acme/app/.*$'
issuer = "https://token.actions.githubusercontent.com"
github-repository = "acme/app"

[[signer]]
identity = "release@acme.example"
issuer = "https://accounts.google.com"
"#;

    #[test]
    fn a_file_lists_signers_and_snapshot_signers_default_to_them() {
        let signers = Signers::parse(Path::new("signers.toml"), FILE).unwrap();
        assert_eq!(signers.evidence.len(), 2);
        assert_eq!(signers.snapshot.len(), 2);
        assert!(
            signers.evidence[0]
                .identity
                .matches("https://github.com/acme/app/.github/workflows/r.yml@refs/tags/v1")
        );
        assert_eq!(
            signers.evidence[0].github.repository.as_deref(),
            Some("acme/app")
        );
        let spec = SignerSpec::of(&signers.evidence[0]);
        assert_eq!(
            spec.identity_regexp.as_deref(),
            Some(r"^https://github\.com/acme/app/.*$")
        );
        let with_reviewer = format!(
            "{FILE}\n[[snapshot-signer]]\nidentity = \"audit@acme.example\"\nissuer = \"https://accounts.google.com\"\n"
        );
        let signers = Signers::parse(Path::new("s.toml"), &with_reviewer).unwrap();
        assert_eq!(signers.snapshot.len(), 1);
        assert!(signers.snapshot[0].identity.matches("audit@acme.example"));
    }

    #[test]
    fn the_example_file_parses() {
        let text = include_str!("../../../policies/signers.example.toml");
        let signers = Signers::parse(Path::new("signers.example.toml"), text).unwrap();
        assert_eq!((signers.evidence.len(), signers.snapshot.len()), (1, 1));
        assert!(
            signers.evidence[0].identity.matches(
                "https://github.com/acme/app/.github/workflows/release.yml@refs/tags/v1.2.0"
            )
        );
        assert!(
            !signers.evidence[0].identity.matches(
                "https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main"
            )
        );
    }

    #[test]
    fn mistakes_are_located() {
        let typo = "[[signer]]\nidentity = \"a@b\"\nisuer = \"https://x\"\n";
        let e = Signers::parse(Path::new("s.toml"), typo).unwrap_err();
        assert_eq!(e.code, "signers-invalid");
        assert!(e.message.contains("isuer"), "{e}");
        assert_eq!(e.location.as_ref().unwrap().line, 3);

        let both = "[[signer]]\nissuer = \"https://x\"\n\n[[signer]]\nissuer = \"https://x\"\nidentity = \"a\"\nidentity-regexp = \"b\"\n";
        let e = Signers::parse(Path::new("s.toml"), both).unwrap_err();
        // The first signer lacks an identity: reported at its own header.
        assert_eq!(e.location.as_ref().unwrap().line, 1, "{e}");
        assert!(e.message.contains("needs `identity`"), "{e}");

        let e = Signers::parse(Path::new("s.toml"), "# nobody\n").unwrap_err();
        assert_eq!(e.code, "signers-empty");

        let e = Signers::parse(
            Path::new("s.toml"),
            "[[signer]]\nidentity-regexp = \"(\"\nissuer = \"u\"\n",
        )
        .unwrap_err();
        assert_eq!(e.code, "signers-invalid");
    }
}
