//! `clearance sign`: its options and its run.

use std::path::PathBuf;

use clap::Args;

use clearance_core::output::Destination;
use clearance_core::term::{self};

use super::args::*;

#[derive(Args)]
pub(crate) struct SignArgs {
    #[command(flatten)]
    signing: SigningArgs,
    /// Where to write the bundle (atomically).
    #[arg(long, value_name = "OUT")]
    bundle: PathBuf,
    /// The file to sign.
    file: PathBuf,
}

pub(crate) fn run_sign(args: &SignArgs) -> anyhow::Result<()> {
    let bundle = crate::cli::attest::pipeline::sign_file(&args.file, &args.signing.options())?;
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
