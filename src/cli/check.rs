//! `clearance check` and `clearance diff`: their options and their runs.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::cli::common::{BaseSource, CheckRequest, DiffRequest, FailOn, InventorySource, Verdict};

use super::args::*;

#[derive(Args)]
pub(crate) struct CheckArgs {
    #[command(flatten)]
    workspace: WorkspaceArgs,
    /// Check this SBOM (CycloneDX 1.4–1.7, SPDX 2.2/2.3/3.0 JSON) instead of a workspace.
    #[arg(long, value_name = "FILE", conflicts_with = "manifest_path")]
    sbom: Option<PathBuf>,
    #[command(flatten)]
    report: ReportArgs,
}

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum FailOnArg {
    /// Errors the head brings in.
    New,
    /// Any error in the head.
    Any,
}

#[derive(Args)]
#[command(group(clap::ArgGroup::new("base_input").required(true).args(["base", "base_ref"])))]
pub(crate) struct DiffArgs {
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

pub(crate) fn run_check(args: &CheckArgs) -> anyhow::Result<Verdict> {
    let request = CheckRequest {
        source: match &args.sbom {
            Some(path) => InventorySource::Sbom(path.clone()),
            None => InventorySource::Cargo(args.workspace.cargo_options()),
        },
        policy: args.report.policy(),
        format: args.report.format(),
        color: args.report.color(),
        today: today(),
        cache: clearance_core::license::cache::Cache::user(),
    };
    args.report.write(&crate::cli::common::check(&request)?)
}

pub(crate) fn run_diff(args: &DiffArgs) -> anyhow::Result<Verdict> {
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
        cache: clearance_core::license::cache::Cache::user(),
    };
    args.report
        .write(&crate::cli::common::diff_command(&request)?)
}
