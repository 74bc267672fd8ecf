//! The `clearance` command line: parses arguments, calls one library function per
//! subcommand, prints, and picks the exit code (0 success, 1 findings or failed
//! verification, 2 usage, configuration or input errors).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use clearance::attest::instance::{self, Instance};
use clearance::attest::policy::{GitHubClaims, Identity, IdentityPolicy, ManagedKey, Policy};
use clearance::attest::verify::{self, Artifact, VerifyError};
use clearance::commands::{
    self, BaseSource, CheckRequest, DiffRequest, FailOn, InventorySource, PolicyChoice,
    RenderRequest, ReportOutput, SbomRequest, Verdict,
};
use clearance::inventory::DepKind;
use clearance::inventory::cargo::{CargoOptions, FeatureSelection, LockMode, Network};
use clearance::output::Destination;
use clearance::report::verify::{self as report, VerifyContext};
use clearance::report::{Color, ReportFormat};
use clearance::sbom::Format;
use clearance::sigstore_dev::{DevOptions, GitHubIdentity};
use clearance::term::{self, ColorWhen, TermEnv};

/// Supply-chain evidence for Cargo workspaces: SBOMs, license policy, notices, attestations.
#[derive(Parser)]
#[command(name = "clearance", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write an SBOM of a Cargo workspace (or convert another tool's SBOM).
    ///
    /// Examples:
    ///   clearance sbom -o app.cdx.json
    ///   clearance sbom --format spdx-json --include build -o app.spdx.json
    ///   clearance sbom --sbom other.spdx.json --format cyclonedx-json --spec-version 1.7
    #[command(verbatim_doc_comment)]
    Sbom(SbomArgs),
    /// Check every component's license against the policy.
    ///
    /// Exit code 0 when nothing fails (warnings allowed), 1 when a finding is an error, 2 when
    /// the input or the policy cannot be read.
    ///
    /// Examples:
    ///   clearance check
    ///   clearance check --policy deny.toml --format sarif -o clearance.sarif
    ///   clearance check --sbom vendor.cdx.json --format markdown
    #[command(verbatim_doc_comment)]
    Check(CheckArgs),
    /// Compare the licenses of a base and a head; fail only on what the head brings in.
    ///
    /// Examples:
    ///   clearance diff --base-ref origin/main
    ///   clearance diff --base-ref "$BASE_SHA" --format markdown >> "$GITHUB_STEP_SUMMARY"
    ///   clearance diff --base old.cdx.json --head new.cdx.json --fail-on any
    #[command(verbatim_doc_comment)]
    Diff(DiffArgs),
    /// Write the NOTICE file: every license text once, the packages under it with their
    /// copyright lines, then the NOTICE files of dependencies.
    ///
    /// License texts and copyright lines are read from each package's sources (the cargo
    /// registry cache, git checkouts, path dependencies); what the texts are is detected and
    /// cached per package checksum.
    ///
    /// Examples:
    ///   clearance notice -o NOTICE
    ///   clearance notice --template my-notice.hbs -o NOTICE
    ///   clearance notice --dump-context > context.json
    #[command(verbatim_doc_comment)]
    Notice(RenderArgs),
    /// Write THIRD_PARTY.md: a matrix of every package with its version, license, license
    /// category, policy status, source and repository.
    ///
    /// Examples:
    ///   clearance third-party -o THIRD_PARTY.md
    ///   clearance third-party --template matrix.hbs -o matrix.csv
    #[command(verbatim_doc_comment)]
    ThirdParty(RenderArgs),
    /// Write a self-contained HTML report: summary, charts of packages per license and per
    /// category, the policy's findings, and a table that can be filtered.
    ///
    /// Nothing is loaded from the network: CSS, script and SVG charts are inline, and
    /// everything from package metadata is escaped.
    ///
    /// Examples:
    ///   clearance report -o target/clearance-report.html
    #[command(verbatim_doc_comment)]
    Report(RenderArgs),
    /// The release job: SBOMs, license check, NOTICE, THIRD_PARTY.md, HTML report and
    /// attestations in one run, signed, listed in release.json, and recorded in the evidence
    /// store.
    ///
    /// The license check's findings decide the exit code; everything is written either way,
    /// so a failing release still leaves its evidence. With `--sigstore dev` and no
    /// `clearance sigstore-dev` running, a local untrusted instance is started for the run.
    ///
    /// Examples:
    ///   clearance release --sigstore dev
    ///   clearance release --sign keyless --subject target/release/app --out dist/clearance
    ///   clearance release --sign none --evidence compliance/evidence
    #[command(verbatim_doc_comment)]
    Release(ReleaseArgs),
    /// Export a period of the evidence store for reviewers: verified, summarised, signed and
    /// packed into one deterministic snapshot-<period>.tar.gz.
    ///
    /// Every release of the period is checked: each file against the SHA-256 in its
    /// release.json, each attestation bundle against the trusted root and the allowed
    /// signers, each signed subject against its file. The archive holds the releases'
    /// evidence, manifest.json (every file with its SHA-256), index.html (the reviewer's
    /// page: releases, license categories and changes as SVG charts, verification status),
    /// summary.md, and the manifest's own bundle. Problems are listed on the page and in the
    /// summary, and make the exit code 1 unless --allow-failures.
    ///
    /// `clearance snapshot verify FILE` re-checks an archive offline: the manifest's
    /// signature, every file's digest, every release again.
    ///
    /// Examples:
    ///   clearance snapshot --period 2026-Q4 --policy signers.toml
    ///   clearance snapshot --since 2026-10-01 --until 2026-11-15 \
    ///     --identity-regexp 'https://github\.com/acme/app/\.github/workflows/release\.yml@.*' \
    ///     --issuer https://token.actions.githubusercontent.com -o evidence.tar.gz
    ///   clearance snapshot verify snapshot-2026-Q4.tar.gz --policy signers.toml
    #[command(verbatim_doc_comment)]
    Snapshot(Box<SnapshotArgs>),
    /// Write an in-toto statement about files, unsigned or signed into a Sigstore bundle.
    ///
    /// The predicate is SLSA provenance of this run (builder and source from the CI
    /// environment), the workspace's SBOM (CycloneDX, SPDX 2, SPDX 3), or its license check
    /// report; --predicate-file uses an existing document instead of generating one.
    ///
    /// Examples:
    ///   clearance attest --predicate provenance --subject target/release/app -o app.intoto.json
    ///   clearance attest --predicate cyclonedx --subject app.tar.gz --sign keyless \
    ///     -o app.cdx.sigstore.json
    ///   clearance attest --predicate license-report --subject app.tar.gz --sign keyless \
    ///     --sigstore dev -o lic.sigstore.json
    #[command(verbatim_doc_comment)]
    Attest(AttestArgs),
    /// Sign a file keylessly into a Sigstore bundle (a DSSE bundle when the file is an
    /// in-toto statement, a message signature otherwise).
    ///
    /// The identity token comes from --identity-token, SIGSTORE_ID_TOKEN, the CI's ambient
    /// credential (GitHub Actions with `id-token: write`), or a browser sign-in on a terminal.
    ///
    /// Examples:
    ///   clearance sign --bundle app.tar.gz.sigstore.json app.tar.gz
    ///   clearance sign --sigstore dev --bundle statement.sigstore.json statement.intoto.json
    #[command(verbatim_doc_comment)]
    Sign(SignArgs),
    /// Verify a Sigstore bundle for an artifact, offline, against a trusted root and the
    /// identity of the expected signer.
    ///
    /// Checks the certificate chain and its SCT, the transparency-log inclusion proof and
    /// signed checkpoint or entry timestamp, the signature over FILE (for an attestation: the
    /// DSSE envelope, and that a subject of the statement has FILE's SHA-256), then the
    /// signer: certificate identity (SAN), OIDC issuer and any GitHub claims asked for.
    /// Nothing is fetched from the network. FILE may be given as its digest, sha256:HEX.
    ///
    /// Exit code 0 when verified, 1 when verification failed (the reason and what was
    /// checked are printed), 2 when an input cannot be used.
    ///
    /// Examples:
    ///   clearance verify --bundle app.tar.gz.sigstore.json \
    ///     --certificate-identity https://github.com/acme/app/.github/workflows/rel.yml@refs/tags/v1 \
    ///     --certificate-oidc-issuer https://token.actions.githubusercontent.com app.tar.gz
    ///   clearance verify --bundle app.intoto.sigstore.json \
    ///     --certificate-identity-regexp 'https://github\.com/acme/app/\.github/workflows/.*' \
    ///     --certificate-oidc-issuer https://token.actions.githubusercontent.com \
    ///     --github-repository acme/app --github-ref refs/tags/v1.2.0 --format json app.tar.gz
    ///   clearance verify --bundle blob.sigstore.json --key cosign.pub sha256:9f86d081884c7d65...
    ///   clearance verify --sigstore dev --bundle out.sigstore.json --certificate-identity ... FILE
    #[command(verbatim_doc_comment)]
    Verify(VerifyArgs),
    /// Run a local, UNTRUSTED Sigstore instance for development and tests.
    ///
    /// One port on 127.0.0.1 serves an OIDC issuer of GitHub-Actions-shaped tokens, a CA
    /// speaking Fulcio's protocol and a transparency log speaking Rekor's. The trust files
    /// (trusted_root.json, signing_config.json, trust_config.json) are written into DIR, and
    /// the log's entries kept in DIR/log.jsonl. Prints the environment of a GitHub Actions
    /// job whose tokens it issues, then serves until Ctrl-C.
    ///
    /// Keys are new at every start and never leave the process: nothing signed here is
    /// trusted anywhere but by a verifier pointed at DIR. Earlier starts' public keys stay in
    /// the trusted root, so older bundles still verify.
    ///
    /// Examples:
    ///   clearance sigstore-dev
    ///   clearance sigstore-dev --dir /tmp/sigstore-dev --port 8080
    #[command(verbatim_doc_comment)]
    SigstoreDev(SigstoreDevArgs),
    /// Write a starter policy, clearance.toml, beside the workspace's manifest.
    ///
    /// When cargo-deny is configured (deny.toml, .deny.toml or .cargo/deny.toml in the
    /// manifest's directory or above it), its [licenses] section is translated, and comments
    /// say what has no equivalent. Otherwise every license the workspace uses is allowed by
    /// name, with its category and how many packages use it, so that the workspace passes.
    /// An existing file is replaced only with --force.
    ///
    /// Examples:
    ///   clearance init
    ///   clearance init --manifest-path ../app/Cargo.toml --offline
    ///   clearance init --force -o policies/clearance.toml
    ///   clearance init -o - | less
    #[command(verbatim_doc_comment)]
    Init(InitArgs),
    /// Print a shell completion script.
    ///
    /// Examples:
    ///   clearance completions bash > /etc/bash_completion.d/clearance
    ///   clearance completions zsh > "${fpath[1]}/_clearance"
    ///   clearance completions fish > ~/.config/fish/completions/clearance.fish
    ///   clearance completions powershell >> $PROFILE
    #[command(verbatim_doc_comment)]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command into a directory.
    ///
    /// Examples:
    ///   clearance man | man -l -
    ///   clearance man --dir /usr/local/share/man/man1
    #[command(verbatim_doc_comment)]
    Man {
        /// Write clearance.1 and clearance-COMMAND.1 into this directory.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Args)]
struct SigningArgs {
    /// Sigstore instance: public-good, staging, dev (the local `clearance sigstore-dev`), or a
    /// ClientTrustConfig JSON file.
    #[arg(long, value_name = "S", default_value = "public-good")]
    sigstore: String,
    /// OIDC identity token (else SIGSTORE_ID_TOKEN, the CI's credential, or a browser sign-in).
    #[arg(long, value_name = "TOKEN", hide_env_values = true)]
    identity_token: Option<String>,
    /// Seconds to wait for each request to the signing services.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    timeout: u64,
}

impl SigningArgs {
    fn options(&self) -> commands::attest::SigningOptions {
        commands::attest::SigningOptions {
            instance: self
                .sigstore
                .parse()
                .expect("instance names are infallible"),
            identity_token: self.identity_token.clone(),
            network: clearance::attest::sign::NetworkPolicy {
                timeout: std::time::Duration::from_secs(self.timeout.max(1)),
                ..Default::default()
            },
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum PredicateArg {
    Provenance,
    Cyclonedx,
    Spdx,
    Spdx3,
    LicenseReport,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SignModeArg {
    /// Sigstore keyless: OIDC identity, Fulcio certificate, Rekor entry.
    Keyless,
    /// Write the statement unsigned.
    None,
}

#[derive(Args)]
struct AttestArgs {
    #[command(flatten)]
    workspace: WorkspaceArgs,
    /// What the statement says about its subjects.
    #[arg(long, value_enum)]
    predicate: PredicateArg,
    /// A file the statement is about (repeatable); recorded with its SHA-256.
    #[arg(long, value_name = "FILE", required = true, num_args = 1..)]
    subject: Vec<PathBuf>,
    /// Use this document as the predicate instead of generating it from the workspace.
    #[arg(long, value_name = "FILE")]
    predicate_file: Option<PathBuf>,
    /// Policy of a license-report predicate (default as for `check`).
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Sign the statement, or write it unsigned.
    #[arg(long, value_enum, default_value = "none")]
    sign: SignModeArg,
    #[command(flatten)]
    signing: SigningArgs,
    /// Write to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Args)]
struct ReleaseArgs {
    #[command(flatten)]
    workspace: WorkspaceArgs,
    /// Policy file (default as for `check`).
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// A release artifact the attestations are about (repeatable); without one, they are
    /// about the evidence files themselves.
    #[arg(long, value_name = "FILE")]
    subject: Vec<PathBuf>,
    /// Sign the attestations, or write them unsigned.
    #[arg(long, value_enum, default_value = "keyless")]
    sign: SignModeArg,
    #[command(flatten)]
    signing: SigningArgs,
    /// The evidence store: one folder per release is recorded there.
    #[arg(long, value_name = "DIR", default_value = ".clearance/evidence")]
    evidence: PathBuf,
    /// The output folder (replaced as a whole when the run succeeds).
    #[arg(long, value_name = "DIR", default_value = "dist/clearance")]
    out: PathBuf,
}

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
struct SnapshotArgs {
    #[command(subcommand)]
    command: Option<SnapshotCommand>,
    /// The quarter: YYYY-QN, e.g. 2026-Q4.
    #[arg(long, value_name = "YYYY-QN", required_unless_present = "since", conflicts_with_all = ["since", "until"])]
    period: Option<String>,
    /// The first day of the period (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE", requires = "until")]
    since: Option<String>,
    /// The last day of the period, included (YYYY-MM-DD, UTC).
    #[arg(long, value_name = "DATE", requires = "since")]
    until: Option<String>,
    /// The evidence store `clearance release` records into.
    #[arg(long, value_name = "DIR", default_value = ".clearance/evidence")]
    evidence: PathBuf,
    #[command(flatten)]
    signers: SignerArgs,
    /// A trusted root file (trusted_root.json) to verify against instead of the instance's.
    #[arg(long, value_name = "F")]
    trusted_root: Option<PathBuf>,
    /// Sign the manifest, or leave it unsigned.
    #[arg(long, value_enum, default_value = "keyless")]
    sign: SignModeArg,
    #[command(flatten)]
    signing: SigningArgs,
    /// Exit 0 even when a release fails verification (the problems are still recorded).
    #[arg(long)]
    allow_failures: bool,
    /// The archive to write (default snapshot-<period>.tar.gz).
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Subcommand)]
enum SnapshotCommand {
    /// Re-check a snapshot offline: the manifest's signature, every file's SHA-256 against
    /// the manifest, and every release's files and bundles again.
    ///
    /// Examples:
    ///   clearance snapshot verify snapshot-2026-Q4.tar.gz --policy signers.toml
    ///   clearance snapshot verify snapshot-2026-Q4.tar.gz --identity release@acme.example \
    ///     --issuer https://accounts.google.com
    #[command(verbatim_doc_comment)]
    Verify(SnapshotVerifyArgs),
}

#[derive(Args)]
struct SnapshotVerifyArgs {
    /// The snapshot archive.
    #[arg(value_name = "FILE")]
    file: PathBuf,
    #[command(flatten)]
    signers: SignerArgs,
    /// A trusted root file (trusted_root.json) instead of an instance's.
    #[arg(long, value_name = "F", conflicts_with = "sigstore")]
    trusted_root: Option<PathBuf>,
    /// The instance whose trusted root to use: public-good, staging (both embedded), dev, or
    /// a ClientTrustConfig JSON file.
    #[arg(long, value_name = "S", default_value = "public-good")]
    sigstore: Instance,
    /// Exit 0 when the snapshot is intact and its releases fail only as the manifest
    /// recorded (a snapshot made with --allow-failures).
    #[arg(long)]
    allow_failures: bool,
    /// The largest file the archive may hold (bytes, or with K, M, G, T: 1024-based).
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = clearance::snapshot::archive::parse_size)]
    max_entry_size: u64,
    /// The most the archive may unpack to, all files together.
    #[arg(long, value_name = "SIZE", default_value = "16G", value_parser = clearance::snapshot::archive::parse_size)]
    max_total_size: u64,
    /// The most uncompressed bytes per compressed byte (checked past the first 16 MiB).
    #[arg(long, value_name = "N", default_value_t = 100)]
    max_ratio: u64,
}

/// Who may sign, for `snapshot`: one identity from flags, or a signers file.
#[derive(Args)]
struct SignerArgs {
    /// The certificate identity every bundle must carry, matched exactly.
    #[arg(long, value_name = "I", visible_alias = "certificate-identity", conflicts_with_all = ["identity_regexp", "policy"])]
    identity: Option<String>,
    /// A regular expression the whole certificate identity must match.
    #[arg(
        long,
        value_name = "R",
        visible_alias = "certificate-identity-regexp",
        conflicts_with = "policy"
    )]
    identity_regexp: Option<String>,
    /// The OIDC issuer the certificates must name.
    #[arg(
        long,
        value_name = "U",
        visible_alias = "certificate-oidc-issuer",
        conflicts_with = "policy"
    )]
    issuer: Option<String>,
    /// Require the certificates' GitHub repository claim: OWNER/REPO.
    #[arg(long, value_name = "O/R", conflicts_with = "policy")]
    github_repository: Option<String>,
    /// A signers file: [[signer]] tables for the releases, [[snapshot-signer]] for snapshots
    /// (docs/commands/snapshot.md).
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
}

impl SignerArgs {
    fn signers(&self) -> anyhow::Result<clearance::attest::signers::Signers> {
        use clearance::attest::signers::{SignerSpec, Signers};
        if let Some(path) = &self.policy {
            return Signers::load(path).map_err(|d| anyhow::anyhow!("{d}"));
        }
        let (Some(issuer), true) = (
            &self.issuer,
            self.identity.is_some() || self.identity_regexp.is_some(),
        ) else {
            anyhow::bail!(
                "no signer given\n  = help: pass --identity (or --identity-regexp) with \
                 --issuer, or a signers file with --policy FILE"
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
fn trusted_root_choice(
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
struct SignArgs {
    #[command(flatten)]
    signing: SigningArgs,
    /// Where to write the bundle (atomically).
    #[arg(long, value_name = "OUT")]
    bundle: PathBuf,
    /// The file to sign.
    file: PathBuf,
}

#[derive(Args)]
struct VerifyArgs {
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
enum VerifyFormatArg {
    /// A few lines: what was verified and who signed it.
    Human,
    /// JSON (schema clearance-verify/1).
    Json,
}

#[derive(Args)]
struct RenderArgs {
    #[command(flatten)]
    workspace: WorkspaceArgs,
    /// Policy file (its verdicts are shown; its min-confidence applies to licenses detected
    /// from text).
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// A handlebars template instead of the built-in one (templates/).
    #[arg(long, value_name = "FILE")]
    template: Option<PathBuf>,
    /// Print the JSON context templates see (docs/templates.md) instead of rendering.
    #[arg(long)]
    dump_context: bool,
    /// Write to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Args)]
struct ReportArgs {
    /// Policy file: clearance's format or cargo-deny's deny.toml (default: clearance.toml beside
    /// the manifest, else the built-in policies/default.toml).
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Report format.
    #[arg(long, value_enum, default_value = "human")]
    format: ReportFormatArg,
    /// Write the report to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Colours in human output (auto: when writing to a terminal and NO_COLOR is unset).
    #[arg(long, value_enum, default_value = "auto")]
    color: ColorArg,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportFormatArg {
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
enum ColorArg {
    /// Colours on a terminal, unless NO_COLOR is set (CLICOLOR_FORCE forces them).
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    workspace: WorkspaceArgs,
    /// Check this SBOM (CycloneDX 1.4–1.7, SPDX 2.2/2.3/3.0 JSON) instead of a workspace.
    #[arg(long, value_name = "FILE", conflicts_with = "manifest_path")]
    sbom: Option<PathBuf>,
    #[command(flatten)]
    report: ReportArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum FailOnArg {
    /// Errors the head brings in.
    New,
    /// Any error in the head.
    Any,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("base_input").required(true).args(["base", "base_ref"])))]
struct DiffArgs {
    #[command(flatten)]
    workspace: WorkspaceArgs,
    /// The base as an SBOM file.
    #[arg(long, value_name = "FILE")]
    base: Option<PathBuf>,
    /// The base as a git revision of the workspace (read from a temporary worktree).
    #[arg(long, value_name = "GITREF")]
    base_ref: Option<String>,
    /// The head as an SBOM file (default: the workspace).
    #[arg(long, value_name = "FILE", conflicts_with = "manifest_path")]
    head: Option<PathBuf>,
    /// Which findings fail the command.
    #[arg(long, value_enum, default_value = "new")]
    fail_on: FailOnArg,
    #[command(flatten)]
    report: ReportArgs,
}

#[derive(Args)]
struct WorkspaceArgs {
    /// Path to the workspace's or package's Cargo.toml.
    #[arg(long, value_name = "PATH")]
    manifest_path: Option<PathBuf>,
    /// Run cargo without network access.
    #[arg(long)]
    offline: bool,
    /// Let cargo update Cargo.lock instead of failing when it is out of date (default: --locked).
    #[arg(long)]
    no_locked: bool,
    /// Activate these features (comma-separated or repeated).
    #[arg(long, short = 'F', value_delimiter = ',', value_name = "FEATURES")]
    features: Vec<String>,
    /// Activate all features.
    #[arg(long)]
    all_features: bool,
    /// Do not activate the `default` feature.
    #[arg(long)]
    no_default_features: bool,
    /// Only dependencies for this target triple (default: all platforms).
    #[arg(long, value_name = "TRIPLE")]
    target: Option<String>,
    /// Dependency kinds to include besides normal ones.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "KINDS")]
    include: Vec<IncludeKind>,
    /// Supplier of the workspace's own packages, e.g. "Acme Corp <oss@acme.example>"
    /// (default: `[workspace.metadata.clearance] supplier`).
    #[arg(long, value_name = "NAME")]
    supplier: Option<String>,
}

#[derive(Clone, Copy, ValueEnum)]
enum IncludeKind {
    /// Dependencies of build scripts.
    Build,
    /// Dependencies of tests, examples and benchmarks (of the workspace members).
    Dev,
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    /// CycloneDX JSON (1.6 by default; 1.5 and 1.7 with --spec-version).
    #[value(name = "cyclonedx-json")]
    CycloneDx,
    /// SPDX 2.3 JSON.
    #[value(name = "spdx-json")]
    Spdx,
    /// SPDX 3.0.1 JSON-LD.
    #[value(name = "spdx3-json")]
    Spdx3,
}

#[derive(Args)]
struct SbomArgs {
    #[command(flatten)]
    workspace: WorkspaceArgs,
    /// Read this SBOM (CycloneDX 1.4–1.7 or SPDX 2.2/2.3/3.0 JSON) instead of a workspace.
    #[arg(long, value_name = "FILE", conflicts_with = "manifest_path")]
    sbom: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value = "cyclonedx-json")]
    format: FormatArg,
    /// Spec version of the output format (CycloneDX: 1.5, 1.6, 1.7).
    #[arg(long, value_name = "V")]
    spec_version: Option<String>,
    /// Write to FILE (atomically) instead of standard output; `-` is standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Args)]
struct InitArgs {
    #[command(flatten)]
    workspace: WorkspaceArgs,
    /// Replace the policy file if it exists.
    #[arg(long)]
    force: bool,
    /// Write to FILE (atomically) instead of clearance.toml beside the manifest; `-` is
    /// standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

#[derive(Args)]
struct SigstoreDevArgs {
    /// Directory of the trust files and the log (default: $CLEARANCE_SIGSTORE_DEV_DIR, else
    /// .clearance/sigstore-dev).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, value_name = "N", default_value_t = 0)]
    port: u16,
}

impl WorkspaceArgs {
    fn cargo_options(&self) -> CargoOptions {
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

fn run_sbom(args: &SbomArgs) -> anyhow::Result<()> {
    let format = match args.format {
        FormatArg::CycloneDx => Format::CycloneDxJson,
        FormatArg::Spdx => Format::SpdxJson,
        FormatArg::Spdx3 => Format::Spdx3Json,
    };
    let requirement = commands::time_requirement(format);
    let epoch = std::env::var("SOURCE_DATE_EPOCH").ok();
    let request = SbomRequest {
        source: match &args.sbom {
            Some(path) => InventorySource::Sbom(path.clone()),
            None => InventorySource::Cargo(args.workspace.cargo_options()),
        },
        format,
        spec_version: args.spec_version.clone(),
        created: commands::creation_time(epoch.as_deref(), requirement)?,
    };
    let output = commands::sbom(&request)?;
    for warning in &output.warnings {
        eprintln!("{warning}");
    }
    write_to(
        &Destination::from_arg(args.output.as_deref()),
        &output.document,
    )
}

/// `--policy FILE`, or discovery when it is not given.
fn policy_choice(flag: Option<&PathBuf>) -> PolicyChoice {
    match flag {
        Some(p) => PolicyChoice::File(p.clone()),
        None => PolicyChoice::Discover,
    }
}

impl ReportArgs {
    fn policy(&self) -> PolicyChoice {
        policy_choice(self.policy.as_ref())
    }

    fn format(&self) -> ReportFormat {
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
    fn color(&self) -> Color {
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

    fn write(&self, output: &ReportOutput) -> anyhow::Result<Verdict> {
        write_to(
            &Destination::from_arg(self.output.as_deref()),
            &output.report,
        )?;
        Ok(output.verdict)
    }
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc().date()
}

fn run_check(args: &CheckArgs) -> anyhow::Result<Verdict> {
    let request = CheckRequest {
        source: match &args.sbom {
            Some(path) => InventorySource::Sbom(path.clone()),
            None => InventorySource::Cargo(args.workspace.cargo_options()),
        },
        policy: args.report.policy(),
        format: args.report.format(),
        color: args.report.color(),
        today: today(),
        cache: clearance::license::cache::Cache::user(),
    };
    args.report.write(&commands::check(&request)?)
}

fn run_diff(args: &DiffArgs) -> anyhow::Result<Verdict> {
    let request = DiffRequest {
        base: match (&args.base, &args.base_ref) {
            (Some(path), _) => BaseSource::Sbom(path.clone()),
            (None, Some(reference)) => BaseSource::GitRef(reference.clone()),
            (None, None) => unreachable!("clap requires --base or --base-ref"),
        },
        head: match &args.head {
            Some(path) => InventorySource::Sbom(path.clone()),
            None => InventorySource::Cargo(args.workspace.cargo_options()),
        },
        policy: args.report.policy(),
        fail_on: match args.fail_on {
            FailOnArg::New => FailOn::New,
            FailOnArg::Any => FailOn::Any,
        },
        format: args.report.format(),
        color: args.report.color(),
        today: today(),
        cache: clearance::license::cache::Cache::user(),
    };
    args.report.write(&commands::diff_command(&request)?)
}

fn run_render(document: clearance::render::Document, args: &RenderArgs) -> anyhow::Result<()> {
    let request = RenderRequest {
        document,
        source: InventorySource::Cargo(args.workspace.cargo_options()),
        policy: policy_choice(args.policy.as_ref()),
        template: args.template.clone(),
        dump_context: args.dump_context,
        cache: clearance::license::cache::Cache::user(),
        today: today(),
    };
    write_to(
        &Destination::from_arg(args.output.as_deref()),
        &commands::render_document(&request)?,
    )
}

fn run_release(args: &ReleaseArgs) -> anyhow::Result<Verdict> {
    use std::io::IsTerminal;
    let progress_shown = term::show_progress(
        &TermEnv::from_process(),
        std::io::stderr().is_terminal(),
        std::io::stdout().is_terminal(),
    );
    let bar = progress_shown.then(|| {
        let bar = indicatif::ProgressBar::new_spinner();
        bar.enable_steady_tick(std::time::Duration::from_millis(120));
        bar
    });
    let progress = |step: &str| {
        if let Some(bar) = &bar {
            bar.set_message(step.to_string());
        }
    };
    let signing = match args.sign {
        SignModeArg::Keyless => {
            progress("finding an identity token");
            Some(commands::attest::RunSigning::start(
                &args.signing.options(),
            )?)
        }
        SignModeArg::None => None,
    };
    let request = commands::release::ReleaseRequest {
        source: InventorySource::Cargo(args.workspace.cargo_options()),
        policy: policy_choice(args.policy.as_ref()),
        subjects: args.subject.clone(),
        signing: signing.as_ref().map(|s| &s.signing),
        instance: signing.as_ref().map(|s| s.instance.clone()),
        out: args.out.clone(),
        evidence: Some(args.evidence.clone()),
        cache: clearance::license::cache::Cache::user(),
        today: today(),
        epoch: std::env::var("SOURCE_DATE_EPOCH").ok(),
        progress: &progress,
    };
    let result = commands::release::release(&request);
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let output = result?;
    let mut text = format!(
        "{} {}: license check {}\n",
        output.release.product.name, output.release.product.version, output.release.verdict
    );
    text.push_str(&format!("  {}/\n", output.out.display()));
    for file in &output.release.files {
        text.push_str(&format!("    {}\n", file.path));
    }
    text.push_str(&format!("    {}\n", clearance::store::record::RELEASE_FILE));
    match &output.release.signing {
        Some(s) => text.push_str(&format!(
            "  signed as {} (issuer {}) through {}\n",
            term::inert(&s.identity),
            term::inert(&s.issuer),
            s.instance
        )),
        None => text.push_str("  attestations unsigned (--sign none)\n"),
    }
    match &output.record {
        Some(clearance::store::folder::Recorded::New(path)) => {
            text.push_str(&format!("  recorded in {}\n", path.display()));
        }
        Some(clearance::store::folder::Recorded::Already(path)) => text.push_str(&format!(
            "  already recorded in {} (the same release.json): nothing written to the store\n",
            path.display()
        )),
        None => {}
    }
    write_to(&Destination::Stdout, text.as_bytes())?;
    Ok(output.verdict)
}

fn run_snapshot(args: &SnapshotArgs) -> anyhow::Result<Verdict> {
    use clearance::snapshot::period::{Period, format_day};
    if let Some(SnapshotCommand::Verify(verify)) = &args.command {
        return run_snapshot_verify(verify);
    }
    let period = match (&args.period, &args.since, &args.until) {
        (Some(quarter), _, _) => Period::quarter(quarter),
        (None, Some(since), Some(until)) => Period::range(since, until),
        _ => unreachable!("clap requires --period or --since with --until"),
    }
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let signers = args.signers.signers()?;
    let signing_options = args.signing.options();
    let signing = match args.sign {
        SignModeArg::Keyless => Some(commands::attest::RunSigning::start(&signing_options)?),
        SignModeArg::None => None,
    };
    // Verified against the instance that signs (for dev, its files exist once signing has
    // started), unless a trusted root is given.
    let trusted_root = trusted_root_choice(args.trusted_root.as_ref(), &signing_options.instance)?;
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| commands::snapshot::default_output(&period));
    let result = commands::snapshot::snapshot(&commands::snapshot::SnapshotCommand {
        period,
        evidence: args.evidence.clone(),
        signers: &signers,
        trusted_root: &trusted_root,
        signing: signing.as_ref().map(|s| &s.signing),
        output,
        epoch: std::env::var("SOURCE_DATE_EPOCH").ok(),
        today: today(),
    })?;
    let manifest = &result.manifest;
    let verified = manifest
        .releases
        .iter()
        .flat_map(|r| &r.attestations)
        .filter(|a| a.status == "verified")
        .count();
    let mut text = format!(
        "{}: {} from {} to {}, {verified} attestations verified, {} files ({} bytes)\n",
        result.path.display(),
        count(manifest.releases.len(), "release"),
        format_day(manifest.period.since),
        format_day(manifest.period.until),
        manifest.files.len(),
        result.size,
    );
    for release in &manifest.releases {
        let problems = manifest
            .problems
            .iter()
            .filter(|p| p.release == release.folder)
            .count();
        text.push_str(&format!(
            "  {} {}\n",
            release.folder,
            if release.verified {
                "verified".to_string()
            } else {
                format!("FAILED ({problems} problems)")
            }
        ));
    }
    match &result.signer {
        Some((identity, issuer)) => text.push_str(&format!(
            "  manifest signed as {} (issuer {})\n",
            term::inert(identity),
            term::inert(issuer)
        )),
        None => text.push_str("  manifest unsigned (--sign none)\n"),
    }
    write_to(&Destination::Stdout, text.as_bytes())?;
    for problem in &manifest.problems {
        eprintln!(
            "problem: {}/{}: {} [{}]",
            term::inert(&problem.release),
            term::inert(&problem.file),
            term::inert(&problem.message),
            problem.code
        );
    }
    Ok(if manifest.problems.is_empty() || args.allow_failures {
        Verdict::Pass
    } else {
        Verdict::Fail
    })
}

/// `1 release`, `3 releases`.
fn count(n: usize, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

fn run_snapshot_verify(args: &SnapshotVerifyArgs) -> anyhow::Result<Verdict> {
    let signers = args.signers.signers()?;
    let trusted_root = trusted_root_choice(args.trusted_root.as_ref(), &args.sigstore)?;
    let limits = clearance::snapshot::archive::Limits {
        max_entry: args.max_entry_size,
        max_total: args.max_total_size,
        max_ratio: args.max_ratio,
    };
    let report = commands::snapshot::verify(&args.file, &limits, &signers, &trusted_root)?;
    let mut text = format!(
        "{}: snapshot of {} ({})\n",
        args.file.display(),
        report.manifest.period.label,
        count(report.manifest.releases.len(), "release")
    );
    match &report.signer {
        Some((identity, issuer)) => text.push_str(&format!(
            "  manifest signed by {} (issuer {})\n",
            term::inert(identity),
            term::inert(issuer)
        )),
        None => text.push_str("  manifest signature NOT verified\n"),
    }
    text.push_str(&format!(
        "  {} files checked against the manifest, {} attestations verified\n",
        report.files_checked, report.attestations_verified
    ));
    let unrecorded = report.unrecorded();
    for problem in &report.integrity {
        text.push_str(&format!(
            "  problem: {}: {} [{}]\n",
            term::inert(&problem.file),
            term::inert(&problem.message),
            problem.code
        ));
    }
    for problem in &report.releases {
        let seen = if unrecorded.contains(&problem) {
            "NEW"
        } else {
            "recorded"
        };
        text.push_str(&format!(
            "  problem ({seen}): {}/{}: {} [{}]\n",
            term::inert(&problem.release),
            term::inert(&problem.file),
            term::inert(&problem.message),
            problem.code
        ));
    }
    let pass = report.integrity.is_empty()
        && (report.releases.is_empty() || (args.allow_failures && unrecorded.is_empty()));
    text.push_str(if pass {
        "  snapshot verified\n"
    } else {
        "  snapshot NOT verified\n"
    });
    write_to(&Destination::Stdout, text.as_bytes())?;
    Ok(if pass { Verdict::Pass } else { Verdict::Fail })
}

fn run_attest(args: &AttestArgs) -> anyhow::Result<()> {
    use clearance::attest::statement::PredicateKind;
    let request = commands::attest::AttestRequest {
        kind: match args.predicate {
            PredicateArg::Provenance => PredicateKind::Provenance,
            PredicateArg::Cyclonedx => PredicateKind::CycloneDx,
            PredicateArg::Spdx => PredicateKind::Spdx,
            PredicateArg::Spdx3 => PredicateKind::Spdx3,
            PredicateArg::LicenseReport => PredicateKind::LicenseReport,
        },
        subjects: args.subject.clone(),
        predicate_file: args.predicate_file.clone(),
        source: InventorySource::Cargo(args.workspace.cargo_options()),
        policy: policy_choice(args.policy.as_ref()),
        cache: clearance::license::cache::Cache::user(),
        today: today(),
        epoch: std::env::var("SOURCE_DATE_EPOCH").ok(),
        signing: (args.sign == SignModeArg::Keyless).then(|| args.signing.options()),
    };
    let output = commands::attest::attest(&request)?;
    write_to(
        &Destination::from_arg(args.output.as_deref()),
        &output.document,
    )?;
    if let Some(bundle) = &output.signed {
        eprintln!(
            "signed as {} (issuer {}) through {}",
            term::inert(&bundle.identity),
            term::inert(&bundle.issuer),
            args.signing.sigstore
        );
    }
    Ok(())
}

fn run_sign(args: &SignArgs) -> anyhow::Result<()> {
    let bundle = commands::attest::sign_file(&args.file, &args.signing.options())?;
    write_to(&Destination::File(args.bundle.clone()), &bundle.json)?;
    eprintln!(
        "signed {} as {} (issuer {}) into {}",
        args.file.display(),
        term::inert(&bundle.identity),
        term::inert(&bundle.issuer),
        args.bundle.display()
    );
    Ok(())
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

/// What to do about a `--trusted-root` file that cannot be used.
const TRUSTED_ROOT_HELP: &str = "pass a Sigstore trusted root (trusted_root.json, media type \
    application/vnd.dev.sigstore.trustedroot+json), or choose an instance with --sigstore";

/// An error with what to do about it on a second line, as diagnostics show it.
fn with_help(error: &dyn std::fmt::Display, help: &str) -> anyhow::Error {
    anyhow::anyhow!("{error}\n  = help: {help}")
}

fn run_verify(args: &VerifyArgs) -> anyhow::Result<Verdict> {
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
        tool_version: commands::TOOL_VERSION,
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

fn run_sigstore_dev(args: &SigstoreDevArgs) -> anyhow::Result<()> {
    let options = DevOptions {
        dir: args
            .dir
            .clone()
            .unwrap_or_else(clearance::attest::instance::dev_dir),
        port: args.port,
        identity: GitHubIdentity::default(),
        role: clearance::sigstore_dev::lock::Role::Server,
    };
    clearance::sigstore_dev::serve_until_signal(options, &mut std::io::stdout())?;
    Ok(())
}

fn run_init(args: &InitArgs) -> anyhow::Result<()> {
    use commands::init::{InitRequest, Overwrite};
    let request = InitRequest {
        cargo: args.workspace.cargo_options(),
        output: args.output.clone(),
        overwrite: if args.force {
            Overwrite::Replace
        } else {
            Overwrite::Refuse
        },
        cache: clearance::license::cache::Cache::user(),
        today: today(),
    };
    let output = commands::init::init(&request)?;
    output.write()?;
    eprintln!("{}", output.summary());
    Ok(())
}

fn run_completions(shell: clap_complete::Shell) -> anyhow::Result<()> {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "clearance", &mut out);
    write_to(&Destination::Stdout, &out)
}

fn run_man(dir: Option<&std::path::Path>) -> anyhow::Result<()> {
    use clap::CommandFactory;
    let command = Cli::command();
    let page = |cmd: clap::Command| -> anyhow::Result<Vec<u8>> {
        let mut out = Vec::new();
        clap_mangen::Man::new(cmd).render(&mut out)?;
        Ok(out)
    };
    let Some(dir) = dir else {
        return write_to(&Destination::Stdout, &page(command)?);
    };
    write_to(
        &Destination::File(dir.join("clearance.1")),
        &page(command.clone())?,
    )?;
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("clearance-{}", sub.get_name());
        write_to(
            &Destination::File(dir.join(format!("{name}.1"))),
            &page(sub.clone().display_name(name))?,
        )?;
    }
    Ok(())
}

fn write_to(destination: &Destination, bytes: &[u8]) -> anyhow::Result<()> {
    destination.write(bytes).map_err(|e| match destination {
        Destination::File(p) => anyhow::anyhow!("cannot write {}: {e}", p.display()),
        Destination::Stdout => anyhow::anyhow!("cannot write to standard output: {e}"),
    })
}

/// Parses the command line. The `cargo-clearance` binary is the same program run by cargo as
/// `cargo-clearance clearance ARGS` for `cargo clearance ARGS`: the extra word is dropped and
/// usage is shown as `cargo clearance`. Help, version and usage errors are printed by the
/// colour rules of every other output (`term`).
fn parse_cli() -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let mut command = Cli::command();
    if env!("CARGO_BIN_NAME") == "cargo-clearance" {
        if args.get(1).is_some_and(|a| a == "clearance") {
            args.remove(1);
        }
        command = command.bin_name("cargo clearance");
    }
    let when = term::color_flag(&args);
    command
        .try_get_matches_from_mut(args)
        .and_then(|matches| Cli::from_arg_matches(&matches))
        .unwrap_or_else(|e| exit_on_clap_error(&e, when))
}

fn exit_on_clap_error(e: &clap::Error, when: ColorWhen) -> ! {
    use std::io::{IsTerminal, Write};
    let to_terminal = if e.use_stderr() {
        std::io::stderr().is_terminal()
    } else {
        std::io::stdout().is_terminal()
    };
    let styled = e.render();
    let text = if term::use_color(when, &TermEnv::from_process(), to_terminal) {
        styled.ansi().to_string()
    } else {
        styled.to_string()
    };
    // A closed pipe (`clearance --help | head -1`) is not worth a second error.
    let _ = if e.use_stderr() {
        std::io::stderr().write_all(text.as_bytes())
    } else {
        std::io::stdout().write_all(text.as_bytes())
    };
    std::process::exit(e.exit_code())
}

/// Runs the command line; `pub(crate)` for the `cargo-clearance` binary, which includes this
/// file as a module.
pub(crate) fn main() -> ExitCode {
    let cli = parse_cli();
    let result = match &cli.command {
        Command::Completions { shell } => run_completions(*shell).map(|()| Verdict::Pass),
        Command::Man { dir } => run_man(dir.as_deref()).map(|()| Verdict::Pass),
        Command::Sbom(args) => run_sbom(args).map(|()| Verdict::Pass),
        Command::Release(args) => run_release(args),
        Command::Snapshot(args) => run_snapshot(args),
        Command::Attest(args) => run_attest(args).map(|()| Verdict::Pass),
        Command::Sign(args) => run_sign(args).map(|()| Verdict::Pass),
        Command::Check(args) => run_check(args),
        Command::SigstoreDev(args) => run_sigstore_dev(args).map(|()| Verdict::Pass),
        Command::Init(args) => run_init(args).map(|()| Verdict::Pass),
        Command::Diff(args) => run_diff(args),
        Command::Verify(args) => run_verify(args),
        Command::Notice(args) => {
            run_render(clearance::render::Document::Notice, args).map(|()| Verdict::Pass)
        }
        Command::Report(args) => {
            run_render(clearance::render::Document::Report, args).map(|()| Verdict::Pass)
        }
        Command::ThirdParty(args) => {
            run_render(clearance::render::Document::ThirdParty, args).map(|()| Verdict::Pass)
        }
    };
    match result {
        Ok(Verdict::Pass) => ExitCode::SUCCESS,
        Ok(Verdict::Fail) => ExitCode::from(1),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", render_error(&e));
            ExitCode::from(2)
        }
    }
}

fn render_error(e: &anyhow::Error) -> String {
    let shown = e.to_string();
    if shown.starts_with("error") {
        shown
    } else {
        format!("error: {shown}")
    }
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    }) || e.to_string().contains("Broken pipe")
}
