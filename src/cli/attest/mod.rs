//! `clearance attest`: its options and its run; signing sessions and statements are in
//! [`pipeline`].

pub mod pipeline;

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use crate::cli::common::InventorySource;
use clearance_core::output::Destination;
use clearance_core::term::{self};

use super::args::*;

#[derive(Clone, Copy, ValueEnum)]
pub(crate) enum PredicateArg {
    Provenance,
    Cyclonedx,
    Spdx,
    Spdx3,
    LicenseReport,
}

#[derive(Args)]
pub(crate) struct AttestArgs {
    #[command(flatten)]
    workspace: WorkspaceArgs,
    /// What the statement says about its subjects.
    #[arg(long, value_enum)]
    predicate: PredicateArg,
    /// A file the statement is about (repeatable); recorded with its SHA-256.
    #[arg(long, value_name = "FILE", required = true, num_args = 1..)]
    subject: Vec<PathBuf>,
    /// Use this document as the predicate instead of generating it from the workspace.
    #[arg(long, value_name = "FILE")]
    predicate_file: Option<PathBuf>,
    /// Policy of a license-report predicate (default as for `check`).
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Sign the statement, or write it unsigned.
    #[arg(long, value_enum, default_value = "none")]
    sign: SignModeArg,
    #[command(flatten)]
    signing: SigningArgs,
    /// Write to FILE (atomically) instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
}

pub(crate) fn run_attest(args: &AttestArgs) -> anyhow::Result<()> {
    use clearance_attest::statement::PredicateKind;
    let request = crate::cli::attest::pipeline::AttestRequest {
        kind: match args.predicate {
            PredicateArg::Provenance => PredicateKind::Provenance,
            PredicateArg::Cyclonedx => PredicateKind::CycloneDx,
            PredicateArg::Spdx => PredicateKind::Spdx,
            PredicateArg::Spdx3 => PredicateKind::Spdx3,
            PredicateArg::LicenseReport => PredicateKind::LicenseReport,
        },
        subjects: args.subject.clone(),
        predicate_file: args.predicate_file.clone(),
        source: InventorySource::Cargo(args.workspace.cargo_options()),
        policy: policy_choice(args.policy.as_ref()),
        cache: clearance_core::license::cache::Cache::user(),
        today: today(),
        epoch: std::env::var("SOURCE_DATE_EPOCH").ok(),
        signing: (args.sign == SignModeArg::Keyless).then(|| args.signing.options()),
    };
    let output = crate::cli::attest::pipeline::attest(&request)?;
    write_to(
        &Destination::from_arg(args.output.as_deref()),
        &output.document,
    )?;
    if let Some(bundle) = &output.signed {
        eprintln!(
            "signed as {} (issuer {}) through {}",
            term::inert(&bundle.identity),
            term::inert(&bundle.issuer),
            args.signing.sigstore
        );
    }
    Ok(())
}
