//! `clearance notice`, `third-party` and `report`: their options and their run.

use std::path::PathBuf;

use clap::Args;

use crate::cli::common::{InventorySource, RenderRequest};
use clearance_core::output::Destination;

use super::args::*;

#[derive(Args)]
pub(crate) struct RenderArgs {
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

pub(crate) fn run_render(
    document: clearance_core::render::Document,
    args: &RenderArgs,
) -> anyhow::Result<()> {
    let request = RenderRequest {
        document,
        source: InventorySource::Cargo(args.workspace.cargo_options()),
        policy: policy_choice(args.policy.as_ref()),
        template: args.template.clone(),
        dump_context: args.dump_context,
        cache: clearance_core::license::cache::Cache::user(),
        today: today(),
    };
    write_to(
        &Destination::from_arg(args.output.as_deref()),
        &crate::cli::common::render_document(&request)?,
    )
}
