//! The `clearance` command line: parses arguments, calls one library function per
//! subcommand, prints, and picks the exit code (0 success, 1 findings or failed
//! verification, 2 usage, configuration or input errors).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use clearance::commands::{self, InventorySource, SbomRequest, TimeRequirement};
use clearance::inventory::DepKind;
use clearance::inventory::cargo::{CargoOptions, FeatureSelection, LockMode, Network};
use clearance::output::Destination;
use clearance::sbom::Format;

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
    let bytes = output.document;
    let destination = Destination::from_arg(args.output.as_deref());
    destination.write(&bytes).map_err(|e| match &destination {
        Destination::File(p) => anyhow::anyhow!("cannot write {}: {e}", p.display()),
        Destination::Stdout => anyhow::anyhow!("cannot write to standard output: {e}"),
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Sbom(args) => run_sbom(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
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
