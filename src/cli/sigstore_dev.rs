//! `clearance sigstore-dev`: its options and its run.

use std::path::PathBuf;

use clap::Args;

use sigstore_dev::{DevOptions, GitHubIdentity};

#[derive(Args)]
pub(crate) struct SigstoreDevArgs {
    /// Directory of the trust files and the log (default: $CLEARANCE_SIGSTORE_DEV_DIR, else
    /// .clearance/sigstore-dev).
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, value_name = "N", default_value_t = 0)]
    port: u16,
}

pub(crate) fn run_sigstore_dev(args: &SigstoreDevArgs) -> anyhow::Result<()> {
    let options = DevOptions {
        dir: args
            .dir
            .clone()
            .unwrap_or_else(clearance_attest::instance::dev_dir),
        port: args.port,
        identity: GitHubIdentity::default(),
        role: sigstore_dev::lock::Role::Server,
    };
    sigstore_dev::serve_until_signal(options, &mut std::io::stdout())?;
    Ok(())
}
