//! `clearance init`: its options and its run; writing the starter policy is in [`pipeline`].

pub mod pipeline;

use std::path::PathBuf;

use clap::Args;

use super::args::*;

#[derive(Args)]
pub(crate) struct InitArgs {
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

pub(crate) fn run_init(args: &InitArgs) -> anyhow::Result<()> {
    use crate::cli::init::pipeline::{InitRequest, Overwrite};
    let request = InitRequest {
        cargo: args.workspace.cargo_options(),
        output: args.output.clone(),
        overwrite: if args.force {
            Overwrite::Replace
        } else {
            Overwrite::Refuse
        },
        cache: clearance_core::license::cache::Cache::user(),
        today: today(),
    };
    let output = crate::cli::init::pipeline::init(&request)?;
    output.write()?;
    eprintln!("{}", output.summary());
    Ok(())
}
