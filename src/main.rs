//! The `clearance` command line: parses arguments, calls one library function per
//! subcommand, prints, and picks the exit code (0 success, 1 findings or failed
//! verification, 2 usage, configuration or input errors).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use clearance::commands::{
    self, BaseSource, CheckRequest, DiffRequest, FailOn, InventorySource, PolicyChoice,
    RenderRequest, ReportOutput, SbomRequest, TimeRequirement, Verdict,
};
use clearance::inventory::DepKind;
use clearance::inventory::cargo::{CargoOptions, FeatureSelection, LockMode, Network};
use clearance::output::Destination;
use clearance::report::{Color, ReportFormat};
use clearance::sbom::Format;
use clearance::sigstore_dev::{DevOptions, GitHubIdentity};

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
    let requirement = match format {
        Format::CycloneDxJson => TimeRequirement::Optional,
        Format::SpdxJson | Format::Spdx3Json => TimeRequirement::Required,
    };
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
        let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0");
        let on = match self.color {
            ColorArg::Always => true,
            ColorArg::Never => false,
            ColorArg::Auto if set("CLICOLOR_FORCE") => true,
            ColorArg::Auto if set("NO_COLOR") => false,
            ColorArg::Auto => self.output.is_none() && std::io::stdout().is_terminal(),
        };
        if on { Color::Always } else { Color::Never }
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

fn run_sigstore_dev(args: &SigstoreDevArgs) -> anyhow::Result<()> {
    let options = DevOptions {
        dir: args
            .dir
            .clone()
            .unwrap_or_else(clearance::attest::instance::dev_dir),
        port: args.port,
        identity: GitHubIdentity::default(),
    };
    clearance::sigstore_dev::serve_until_signal(options, &mut std::io::stdout())?;
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Completions { shell } => run_completions(*shell).map(|()| Verdict::Pass),
        Command::Man { dir } => run_man(dir.as_deref()).map(|()| Verdict::Pass),
        Command::Sbom(args) => run_sbom(args).map(|()| Verdict::Pass),
        Command::Check(args) => run_check(args),
        Command::SigstoreDev(args) => run_sigstore_dev(args).map(|()| Verdict::Pass),
        Command::Diff(args) => run_diff(args),
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
