//! `clearance release`: its options, its run and its summary; the steps are in [`pipeline`].

pub mod pipeline;

use std::path::PathBuf;

use clap::Args;

use crate::cli::common::{InventorySource, Verdict};
use clearance_core::output::Destination;
use clearance_core::term::{self, TermEnv};

use super::args::*;

#[derive(Args)]
pub(crate) struct ReleaseArgs {
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

pub(crate) fn run_release(args: &ReleaseArgs) -> anyhow::Result<Verdict> {
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
            Some(crate::cli::attest::pipeline::RunSigning::start(
                &args.signing.options(),
            )?)
        }
        SignModeArg::None => None,
    };
    let store = clearance_evidence::store::folder::FolderStore::new(&args.evidence);
    let request = crate::cli::release::pipeline::ReleaseRequest {
        source: InventorySource::Cargo(args.workspace.cargo_options()),
        policy: policy_choice(args.policy.as_ref()),
        subjects: args.subject.clone(),
        signing: signing.as_ref().map(|s| &s.signing),
        instance: signing.as_ref().map(|s| s.instance.clone()),
        out: args.out.clone(),
        evidence: Some(&store),
        cache: clearance_core::license::cache::Cache::user(),
        today: today(),
        epoch: std::env::var("SOURCE_DATE_EPOCH").ok(),
        progress: &progress,
    };
    let result = crate::cli::release::pipeline::release(&request);
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
    text.push_str(&format!(
        "    {}\n",
        clearance_evidence::store::record::RELEASE_FILE
    ));
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
        Some(clearance_evidence::store::Recorded::New(path)) => {
            text.push_str(&format!("  recorded in {}\n", path.display()));
        }
        Some(clearance_evidence::store::Recorded::Already(path)) => text.push_str(&format!(
            "  already recorded in {} (the same release.json): nothing written to the store\n",
            path.display()
        )),
        None => {}
    }
    write_to(&Destination::Stdout, text.as_bytes())?;
    Ok(output.verdict)
}
