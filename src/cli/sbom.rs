//! `clearance sbom`: its options and its run.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::cli::common::{InventorySource, SbomRequest};
use clearance_core::output::Destination;
use clearance_core::sbom::Format;

use super::args::*;

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum FormatArg {
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
pub(crate) struct SbomArgs {
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

pub(crate) fn run_sbom(args: &SbomArgs) -> anyhow::Result<()> {
    let format = match args.format {
        FormatArg::CycloneDx => Format::CycloneDxJson,
        FormatArg::Spdx => Format::SpdxJson,
        FormatArg::Spdx3 => Format::Spdx3Json,
    };
    let requirement = crate::cli::common::time_requirement(format);
    let epoch = std::env::var("SOURCE_DATE_EPOCH").ok();
    let request = SbomRequest {
        source: match &args.sbom {
            Some(path) => InventorySource::Sbom(path.clone()),
            None => InventorySource::Cargo(args.workspace.cargo_options()),
        },
        format,
        spec_version: args.spec_version.clone(),
        created: crate::cli::common::creation_time(epoch.as_deref(), requirement)?,
    };
    let output = crate::cli::common::sbom(&request)?;
    for warning in &output.warnings {
        eprintln!("{warning}");
    }
    write_to(
        &Destination::from_arg(args.output.as_deref()),
        &output.document,
    )
}
