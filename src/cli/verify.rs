//! `clearance verify`: its options, the identity policy they make, and its run.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::cli::common::Verdict;
use clearance_attest::instance::{self, Instance};
use clearance_attest::policy::{GitHubClaims, Identity, IdentityPolicy, ManagedKey, Policy};
use clearance_attest::report::{self as report, VerifyContext};
use clearance_attest::verify::{self, Artifact, VerifyError};
use clearance_core::output::Destination;

use super::args::*;

#[derive(Args)]
pub(crate) struct VerifyArgs {
    /// The Sigstore bundle (JSON, v0.1 to v0.3).
    #[arg(long, value_name = "B")]
    bundle: PathBuf,
    /// The signer's certificate identity (SAN), matched exactly: a workflow URI or an email.
    #[arg(
        long,
        value_name = "I",
        required_unless_present_any = ["certificate_identity_regexp", "key"],
        conflicts_with = "certificate_identity_regexp"
    )]
    certificate_identity: Option<String>,
    /// A regular expression the whole certificate identity must match (anchored at both ends).
    #[arg(long, value_name = "R")]
    certificate_identity_regexp: Option<String>,
    /// The OIDC issuer recorded in the certificate, e.g.
    /// https://token.actions.githubusercontent.com.
    #[arg(long, value_name = "U", required_unless_present = "key")]
    certificate_oidc_issuer: Option<String>,
    /// Require the certificate's GitHub repository claim: OWNER/REPO.
    #[arg(long, value_name = "O/R")]
    github_repository: Option<String>,
    /// Require the certificate's git ref claim, e.g. refs/tags/v1.2.0.
    #[arg(long, value_name = "REF")]
    github_ref: Option<String>,
    /// Require the certificate's commit claim (the full SHA).
    #[arg(long, value_name = "SHA")]
    github_sha: Option<String>,
    /// Require the certificate's workflow claim: the workflow file
    /// (.github/workflows/release.yml) or the workflow's name.
    #[arg(long, value_name = "W")]
    github_workflow: Option<String>,
    /// A trusted root file (trusted_root.json) instead of an instance's.
    #[arg(long, value_name = "F", conflicts_with = "sigstore")]
    trusted_root: Option<PathBuf>,
    /// The instance whose trusted root to use: public-good, staging (both embedded), dev, or
    /// a ClientTrustConfig JSON file.
    #[arg(long, value_name = "S", default_value = "public-good")]
    sigstore: Instance,
    /// Verify a bundle signed with this managed public key (PEM) instead of a certificate.
    #[arg(
        long,
        value_name = "PUBKEY.pem",
        conflicts_with_all = [
            "certificate_identity",
            "certificate_identity_regexp",
            "certificate_oidc_issuer",
            "github_repository",
            "github_ref",
            "github_sha",
            "github_workflow",
        ]
    )]
    key: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value = "human")]
    format: VerifyFormatArg,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// The artifact, or its digest as sha256:HEX.
    #[arg(value_name = "FILE")]
    artifact: String,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum VerifyFormatArg {
    /// A few lines: what was verified and who signed it.
    Human,
    /// JSON (schema clearance-verify/1).
    Json,
}

impl VerifyArgs {
    fn policy(&self) -> anyhow::Result<Policy> {
        if let Some(path) = &self.key {
            return Ok(Policy::Key(
                ManagedKey::load(path).map_err(|e| with_help(&e, e.help()))?,
            ));
        }
        let identity = match (
            &self.certificate_identity,
            &self.certificate_identity_regexp,
        ) {
            (Some(exact), _) => Identity::Exact(exact.clone()),
            (None, Some(pattern)) => {
                Identity::regex(pattern).map_err(|e| with_help(&e, e.help()))?
            }
            (None, None) => unreachable!("clap requires an identity unless --key is given"),
        };
        Ok(Policy::Identity(IdentityPolicy {
            identity,
            issuer: self
                .certificate_oidc_issuer
                .clone()
                .expect("clap requires the issuer unless --key is given"),
            github: GitHubClaims {
                repository: self.github_repository.clone(),
                git_ref: self.github_ref.clone(),
                sha: self.github_sha.clone(),
                workflow: self.github_workflow.clone(),
            },
        }))
    }

    fn artifact(&self) -> anyhow::Result<Artifact> {
        if let Some(hex) = self.artifact.strip_prefix("sha256:") {
            return Artifact::from_sha256_hex(hex).ok_or_else(|| {
                anyhow::anyhow!(
                    "`{}` is not a SHA-256 digest\n  = help: write sha256: followed by 64 \
                     hexadecimal digits, or give the artifact's path",
                    self.artifact
                )
            });
        }
        std::fs::read(&self.artifact)
            .map(Artifact::Bytes)
            .map_err(|e| anyhow::anyhow!("cannot read the artifact {}: {e}", self.artifact))
    }
}

pub(crate) fn run_verify(args: &VerifyArgs) -> anyhow::Result<Verdict> {
    let policy = args.policy()?;
    let instance::TrustedRootChoice {
        root: trusted_root,
        origin,
    } = trusted_root_choice(args.trusted_root.as_ref(), &args.sigstore)?;
    let bundle = std::fs::read(&args.bundle)
        .map_err(|e| anyhow::anyhow!("cannot read the bundle {}: {e}", args.bundle.display()))?;
    let artifact = args.artifact()?;
    let context = VerifyContext {
        bundle: &args.bundle,
        artifact: &args.artifact,
        artifact_sha256: artifact.sha256().to_hex(),
        trusted_root: &origin,
        policy: &policy,
        tool_version: crate::cli::common::TOOL_VERSION,
    };
    let destination = Destination::from_arg(args.output.as_deref());
    match verify::verify(&args.bundle, &bundle, &artifact, &trusted_root, &policy) {
        Ok(verified) => {
            let report = match args.format {
                VerifyFormatArg::Human => report::verified_human(&context, &verified).into_bytes(),
                VerifyFormatArg::Json => report::json_report(&context, Ok(&verified)),
            };
            write_to(&destination, &report)?;
            Ok(Verdict::Pass)
        }
        Err(VerifyError::MalformedJson(diagnostic)) => Err(anyhow::anyhow!("{diagnostic}")),
        Err(error) if !error.is_verification_failure() => Err(with_help(&error, error.help())),
        Err(error) => {
            eprint!("{}", report::failure_human(&context, &error));
            if args.format == VerifyFormatArg::Json {
                write_to(&destination, &report::json_report(&context, Err(&error)))?;
            }
            Ok(Verdict::Fail)
        }
    }
}
