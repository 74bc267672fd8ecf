//! Options several commands share: the workspace, the policy, report formats and colours,
//! signing, and who may sign; with the small helpers that turn them into requests.

use std::collections::BTreeSet;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::cli::common::{PolicyChoice, ReportOutput, Verdict};
use clearance_attest::instance::{self, Instance};
use clearance_core::inventory::DepKind;
use clearance_core::inventory::cargo::{CargoOptions, FeatureSelection, LockMode, Network};
use clearance_core::output::Destination;
use clearance_core::report::{Color, ReportFormat};
use clearance_core::term::{self, ColorWhen, TermEnv};

#[derive(Args)]
pub(crate) struct SigningArgs {
    /// Sigstore instance: public-good, staging, dev (the local `clearance sigstore-dev`), or a
    /// ClientTrustConfig JSON file.
    #[arg(long, value_name = "S", default_value = "public-good")]
    pub(crate) sigstore: String,
    /// OIDC identity token (else SIGSTORE_ID_TOKEN, the CI's credential, or a browser sign-in).
    #[arg(long, value_name = "TOKEN", hide_env_values = true)]
    pub(crate) identity_token: Option<String>,
    /// Seconds to wait for each request to the signing services.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub(crate) timeout: u64,
}

impl SigningArgs {
    pub(crate) fn options(&self) -> crate::cli::attest::pipeline::SigningOptions {
        crate::cli::attest::pipeline::SigningOptions {
            instance: self
                .sigstore
                .parse()
                .expect("instance names are infallible"),
            identity_token: self.identity_token.clone(),
            network: clearance_attest::sign::NetworkPolicy {
                timeout: std::time::Duration::from_secs(self.timeout.max(1)),
                ..Default::default()
            },
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SignModeArg {
    /// Sigstore keyless: OIDC identity, Fulcio certificate, Rekor entry.
    Keyless,
    /// Write the statement unsigned.
    None,
}

/// Who may sign, for `snapshot`: one identity from flags, or a signers file.
#[derive(Args)]
pub(crate) struct SignerArgs {
    /// The certificate identity every bundle must carry, matched exactly.
    #[arg(long, value_name = "I", visible_alias = "certificate-identity", conflicts_with_all = ["identity_regexp", "signers_file", "deprecated_policy"])]
    pub(crate) identity: Option<String>,
    /// A regular expression the whole certificate identity must match.
    #[arg(
        long,
        value_name = "R",
        visible_alias = "certificate-identity-regexp",
        conflicts_with_all = ["signers_file", "deprecated_policy"]
    )]
    pub(crate) identity_regexp: Option<String>,
    /// The OIDC issuer the certificates must name.
    #[arg(
        long,
        value_name = "U",
        visible_alias = "certificate-oidc-issuer",
        conflicts_with_all = ["signers_file", "deprecated_policy"]
    )]
    pub(crate) issuer: Option<String>,
    /// Require the certificates' GitHub repository claim: OWNER/REPO.
    #[arg(long, value_name = "O/R", conflicts_with_all = ["signers_file", "deprecated_policy"])]
    pub(crate) github_repository: Option<String>,
    /// A signers file: [[signer]] tables for the releases, [[snapshot-signer]] for snapshots
    /// (docs/commands/snapshot.md).
    #[arg(
        long = "signers",
        value_name = "FILE",
        conflicts_with = "deprecated_policy"
    )]
    pub(crate) signers_file: Option<PathBuf>,
    /// The former name of --signers, kept working with a warning.
    #[arg(long = "policy", value_name = "FILE", hide = true)]
    pub(crate) deprecated_policy: Option<PathBuf>,
}

impl SignerArgs {
    pub(crate) fn signers(&self) -> anyhow::Result<clearance_attest::signers::Signers> {
        use clearance_attest::signers::{SignerSpec, Signers};
        if self.deprecated_policy.is_some() {
            eprintln!(
                "warning: --policy here is the signers file and is now spelled --signers; \
                 --policy will go in a later version"
            );
        }
        if let Some(path) = self
            .signers_file
            .as_ref()
            .or(self.deprecated_policy.as_ref())
        {
            return Signers::load(path).map_err(|d| anyhow::anyhow!("{d}"));
        }
        let (Some(issuer), true) = (
            &self.issuer,
            self.identity.is_some() || self.identity_regexp.is_some(),
        ) else {
            anyhow::bail!(
                "no signer given\n  = help: pass --identity (or --identity-regexp) with \
                 --issuer, or a signers file with --signers FILE"
            );
        };
        let spec = SignerSpec {
            identity: self.identity.clone(),
            identity_regexp: self.identity_regexp.clone(),
            issuer: issuer.clone(),
            github_repository: self.github_repository.clone(),
            github_workflow: None,
        };
        let policy = spec.policy().map_err(|why| anyhow::anyhow!("{why}"))?;
        Ok(Signers::single(policy))
    }
}

/// The trusted root for `path` when given, else the instance's.
pub(crate) fn trusted_root_choice(
    path: Option<&PathBuf>,
    instance: &Instance,
) -> anyhow::Result<instance::TrustedRootChoice> {
    Ok(match path {
        Some(path) => instance::TrustedRootChoice {
            root: instance::load_trusted_root(path)
                .map_err(|e| with_help(&e, TRUSTED_ROOT_HELP))?,
            origin: path.display().to_string(),
        },
        None => {
            let material = instance.load().map_err(|e| with_help(&e, e.help()))?;
            instance::TrustedRootChoice {
                root: material.trusted_root,
                origin: material.origin,
            }
        }
    })
}

#[derive(Args)]
pub(crate) struct ReportArgs {
    /// Policy file: clearance's format or cargo-deny's deny.toml (default: clearance.toml beside
    /// the manifest, else the built-in policies/default.toml).
    #[arg(long, value_name = "FILE")]
    pub(crate) policy: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value = "human")]
    pub(crate) format: ReportFormatArg,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub(crate) output: Option<PathBuf>,
    /// Colours in human output (auto: when writing to a terminal and NO_COLOR is unset).
    #[arg(long, value_enum, default_value = "auto")]
    pub(crate) color: ColorArg,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum ReportFormatArg {
    /// Grouped text with the rule behind each finding.
    Human,
    /// JSON (schema clearance-check/1, clearance-diff/1).
    Json,
    /// SARIF 2.1.0 for GitHub code scanning.
    Sarif,
    /// JUnit XML, one test case per component.
    Junit,
    /// Markdown for pull-request comments and $GITHUB_STEP_SUMMARY.
    Markdown,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum ColorArg {
    /// Colours on a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces them).
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

#[derive(Args)]
pub(crate) struct WorkspaceArgs {
    /// Path to the workspace's or package's Cargo.toml.
    #[arg(long, value_name = "PATH")]
    pub(crate) manifest_path: Option<PathBuf>,
    /// Run cargo without network access.
    #[arg(long)]
    pub(crate) offline: bool,
    /// Let cargo update Cargo.lock instead of failing when it is out of date (default: --locked).
    #[arg(long)]
    pub(crate) no_locked: bool,
    /// Activate these features (comma-separated or repeated).
    #[arg(long, short = 'F', value_delimiter = ',', value_name = "FEATURES")]
    pub(crate) features: Vec<String>,
    /// Activate all features.
    #[arg(long)]
    pub(crate) all_features: bool,
    /// Do not activate the `default` feature.
    #[arg(long)]
    pub(crate) no_default_features: bool,
    /// Only dependencies for this target triple (default: all platforms).
    #[arg(long, value_name = "TRIPLE")]
    pub(crate) target: Option<String>,
    /// Dependency kinds to include besides normal ones.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "KINDS")]
    pub(crate) include: Vec<IncludeKind>,
    /// Supplier of the workspace's own packages, e.g. "Acme Corp <oss@acme.example>"
    /// (default: `[workspace.metadata.clearance] supplier`).
    #[arg(long, value_name = "NAME")]
    pub(crate) supplier: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum IncludeKind {
    /// Dependencies of build scripts.
    Build,
    /// Dependencies of tests, examples and benchmarks (of the workspace members).
    Dev,
}

impl WorkspaceArgs {
    pub(crate) fn cargo_options(&self) -> CargoOptions {
        CargoOptions {
            manifest_path: self.manifest_path.clone(),
            lock: if self.no_locked {
                LockMode::Unlocked
            } else {
                LockMode::Locked
            },
            network: if self.offline {
                Network::Offline
            } else {
                Network::Online
            },
            features: FeatureSelection {
                all: self.all_features,
                no_default: self.no_default_features,
                features: self.features.clone(),
            },
            target: self.target.clone(),
            include: self
                .include
                .iter()
                .map(|k| match k {
                    IncludeKind::Build => DepKind::Build,
                    IncludeKind::Dev => DepKind::Dev,
                })
                .collect::<BTreeSet<_>>(),
            supplier: self.supplier.clone(),
        }
    }
}

/// `--policy FILE`, or discovery when it is not given.
pub(crate) fn policy_choice(flag: Option<&PathBuf>) -> PolicyChoice {
    match flag {
        Some(p) => PolicyChoice::File(p.clone()),
        None => PolicyChoice::Discover,
    }
}

impl ReportArgs {
    pub(crate) fn policy(&self) -> PolicyChoice {
        policy_choice(self.policy.as_ref())
    }

    pub(crate) fn format(&self) -> ReportFormat {
        match self.format {
            ReportFormatArg::Human => ReportFormat::Human,
            ReportFormatArg::Json => ReportFormat::Json,
            ReportFormatArg::Sarif => ReportFormat::Sarif,
            ReportFormatArg::Junit => ReportFormat::Junit,
            ReportFormatArg::Markdown => ReportFormat::Markdown,
        }
    }

    /// Colours follow --color, then CLICOLOR_FORCE, then NO_COLOR, then whether the report
    /// goes to a terminal.
    pub(crate) fn color(&self) -> Color {
        use std::io::IsTerminal;
        let when = match self.color {
            ColorArg::Auto => ColorWhen::Auto,
            ColorArg::Always => ColorWhen::Always,
            ColorArg::Never => ColorWhen::Never,
        };
        let to_terminal = self.output.is_none() && std::io::stdout().is_terminal();
        if term::use_color(when, &TermEnv::from_process(), to_terminal) {
            Color::Always
        } else {
            Color::Never
        }
    }

    pub(crate) fn write(&self, output: &ReportOutput) -> anyhow::Result<Verdict> {
        write_to(
            &Destination::from_arg(self.output.as_deref()),
            &output.report,
        )?;
        Ok(output.verdict)
    }
}

pub(crate) fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

/// `1 release`, `3 releases`.
pub(crate) fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

/// What to do about a `--trusted-root` file that cannot be used.
pub(crate) const TRUSTED_ROOT_HELP: &str = "pass a Sigstore trusted root (trusted_root.json, media type \
    application/vnd.dev.sigstore.trustedroot+json), or choose an instance with --sigstore";

/// An error with what to do about it on a second line, as diagnostics show it.
pub(crate) fn with_help(error: &dyn std::fmt::Display, help: &str) -> anyhow::Error {
    anyhow::anyhow!("{error}\n  = help: {help}")
}

pub(crate) fn write_to(destination: &Destination, bytes: &[u8]) -> anyhow::Result<()> {
    destination.write(bytes).map_err(|e| match destination {
        Destination::File(p) => anyhow::anyhow!("cannot write {}: {e}", p.display()),
        Destination::Stdout => anyhow::anyhow!("cannot write to standard output: {e}"),
    })
}
