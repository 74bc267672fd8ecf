//! `clearance snapshot` and `snapshot verify`: their options, runs and summaries; the steps
//! are in [`pipeline`].

pub mod pipeline;

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::cli::common::Verdict;
use clearance_attest::instance::Instance;
use clearance_core::output::Destination;
use clearance_core::term::{self};

use super::args::*;

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub(crate) struct SnapshotArgs {
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
pub(crate) enum SnapshotCommand {
    /// Re-check a snapshot offline: the manifest's signature, every file's SHA-256 against
    /// the manifest, and every release's files and bundles again.
    ///
    /// Examples:
    ///   clearance snapshot verify snapshot-2026-Q4.tar.gz --signers signers.toml
    ///   clearance snapshot verify snapshot-2026-Q4.tar.gz --identity release@acme.example \
    ///     --issuer https://accounts.google.com
    #[command(verbatim_doc_comment)]
    Verify(SnapshotVerifyArgs),
}

#[derive(Args)]
pub(crate) struct SnapshotVerifyArgs {
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
    #[arg(long, value_name = "SIZE", default_value = "1G", value_parser = clearance_evidence::snapshot::archive::parse_size)]
    max_entry_size: u64,
    /// The most the archive may unpack to, all files together.
    #[arg(long, value_name = "SIZE", default_value = "16G", value_parser = clearance_evidence::snapshot::archive::parse_size)]
    max_total_size: u64,
    /// The most uncompressed bytes per compressed byte (checked past the first 16 MiB).
    #[arg(long, value_name = "N", default_value_t = 100)]
    max_ratio: u64,
}

pub(crate) fn run_snapshot(args: &SnapshotArgs) -> anyhow::Result<Verdict> {
    use clearance_evidence::snapshot::period::{Period, format_day};
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
        SignModeArg::Keyless => Some(crate::cli::attest::pipeline::RunSigning::start(
            &signing_options,
        )?),
        SignModeArg::None => None,
    };
    // Verified against the instance that signs (for dev, its files exist once signing has
    // started), unless a trusted root is given.
    let trusted_root = trusted_root_choice(args.trusted_root.as_ref(), &signing_options.instance)?;
    let output = args
        .output
        .clone()
        .unwrap_or_else(|| crate::cli::snapshot::pipeline::default_output(&period));
    let result = crate::cli::snapshot::pipeline::snapshot(
        &crate::cli::snapshot::pipeline::SnapshotCommand {
            period,
            evidence: args.evidence.clone(),
            signers: &signers,
            trusted_root: &trusted_root,
            signing: signing.as_ref().map(|s| &s.signing),
            output,
            epoch: std::env::var("SOURCE_DATE_EPOCH").ok(),
            today: today(),
        },
    )?;
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

pub(crate) fn run_snapshot_verify(args: &SnapshotVerifyArgs) -> anyhow::Result<Verdict> {
    let signers = args.signers.signers()?;
    let trusted_root = trusted_root_choice(args.trusted_root.as_ref(), &args.sigstore)?;
    let limits = clearance_evidence::snapshot::archive::Limits {
        max_entry: args.max_entry_size,
        max_total: args.max_total_size,
        max_ratio: args.max_ratio,
    };
    let report =
        crate::cli::snapshot::pipeline::verify(&args.file, &limits, &signers, &trusted_root)?;
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
