//! The command line itself: the subcommands and their help, parsing (also as `cargo
//! clearance`), dispatch to each command's `run`, and the exit code (0 success, 1 findings or
//! failed verification, 2 usage, configuration or input errors).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::cli::common::Verdict;
use clearance_core::output::Destination;
use clearance_core::term::{self, ColorWhen, TermEnv};

use super::args::*;
#[cfg(feature = "sigstore-dev")]
use super::sigstore_dev::*;
use super::{
    attest::*, check::*, init::*, notice::*, release::*, sbom::*, sign::*, snapshot::*, verify::*,
};
use std::process::ExitCode;

/// Supply-chain evidence for Cargo workspaces: SBOMs, license policy, notices, attestations.
#[derive(Parser)]
#[command(name = "clearance", version, about, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
pub(crate) enum Command {
    /// Write an SBOM of a Cargo workspace (or convert another tool's SBOM).
    ///
    /// Examples:
    ///   clearance sbom -o app.cdx.json
    ///   clearance sbom --format spdx-json --include build -o app.spdx.json
    ///   clearance sbom --sbom other.spdx.json --format cyclonedx-json --spec-version 1.7
    #[command(verbatim_doc_comment)]
    Sbom(SbomArgs),
    /// Check every component's license against the policy.
    ///
    /// Exit code 0 when nothing fails (warnings allowed), 1 when a finding is an error, 2 when
    /// the input or the policy cannot be read.
    ///
    /// Examples:
    ///   clearance check
    ///   clearance check --policy deny.toml --format sarif -o clearance.sarif
    ///   clearance check --sbom vendor.cdx.json --format markdown
    #[command(verbatim_doc_comment)]
    Check(CheckArgs),
    /// Compare the licenses of a base and a head; fail only on what the head brings in.
    ///
    /// Examples:
    ///   clearance diff --base-ref origin/main
    ///   clearance diff --base-ref "$BASE_SHA" --format markdown >> "$GITHUB_STEP_SUMMARY"
    ///   clearance diff --base old.cdx.json --head new.cdx.json --fail-on any
    #[command(verbatim_doc_comment)]
    Diff(DiffArgs),
    /// Write the NOTICE file: every license text once, the packages under it with their
    /// copyright lines, then the NOTICE files of dependencies.
    ///
    /// License texts and copyright lines are read from each package's sources (the cargo
    /// registry cache, git checkouts, path dependencies); what the texts are is detected and
    /// cached per package checksum.
    ///
    /// Examples:
    ///   clearance notice -o NOTICE
    ///   clearance notice --template my-notice.hbs -o NOTICE
    ///   clearance notice --dump-context > context.json
    #[command(
        about = "Write the NOTICE file: every license text once, the packages under it with their copyright lines, then the NOTICE files of dependencies."
    )]
    #[command(verbatim_doc_comment)]
    Notice(RenderArgs),
    /// Write THIRD_PARTY.md: a matrix of every package with its version, license, license
    /// category, policy status, source and repository.
    ///
    /// Examples:
    ///   clearance third-party -o THIRD_PARTY.md
    ///   clearance third-party --template matrix.hbs -o matrix.csv
    #[command(
        about = "Write THIRD_PARTY.md: a matrix of every package with its version, license, license category, policy status, source and repository."
    )]
    #[command(verbatim_doc_comment)]
    ThirdParty(RenderArgs),
    /// Write a self-contained HTML report: summary, charts of packages per license and per
    /// category, the policy's findings, and a table that can be filtered.
    ///
    /// Nothing is loaded from the network: CSS, script and SVG charts are inline, and
    /// everything from package metadata is escaped.
    ///
    /// Examples:
    ///   clearance report -o target/clearance-report.html
    #[command(
        about = "Write a self-contained HTML report: summary, charts of packages per license and per category, the policy's findings, and a table that can be filtered."
    )]
    #[command(verbatim_doc_comment)]
    Report(RenderArgs),
    /// The release job: SBOMs, license check, NOTICE, THIRD_PARTY.md, HTML report and
    /// attestations in one run, signed, listed in release.json, and recorded in the evidence
    /// store.
    ///
    /// The license check's findings decide the exit code; everything is written either way,
    /// so a failing release still leaves its evidence. With `--sigstore dev` and no
    /// `clearance sigstore-dev` running, a local untrusted instance is started for the run.
    ///
    /// Examples:
    ///   clearance release --sigstore dev
    ///   clearance release --sign keyless --subject target/release/app --out dist/clearance
    ///   clearance release --sign none --evidence compliance/evidence
    #[command(
        about = "The release job: SBOMs, license check, NOTICE, THIRD_PARTY.md, HTML report and attestations in one run, signed, listed in release.json, and recorded in the evidence store."
    )]
    #[command(verbatim_doc_comment)]
    Release(ReleaseArgs),
    /// Export a period of the evidence store for reviewers: verified, summarised, signed and
    /// packed into one deterministic snapshot-<period>.tar.gz.
    ///
    /// Every release of the period is checked: each file against the SHA-256 in its
    /// release.json, each attestation bundle against the trusted root and the allowed
    /// signers, each signed subject against its file. The archive holds the releases'
    /// evidence, manifest.json (every file with its SHA-256), index.html (the reviewer's
    /// page: releases, license categories and changes as SVG charts, verification status),
    /// summary.md, and the manifest's own bundle. Problems are listed on the page and in the
    /// summary, and make the exit code 1 unless --allow-failures.
    ///
    /// `clearance snapshot verify FILE` re-checks an archive offline: the manifest's
    /// signature, every file's digest, every release again.
    ///
    /// Examples:
    ///   clearance snapshot --period 2026-Q4 --signers signers.toml
    ///   clearance snapshot --since 2026-10-01 --until 2026-11-15 \
    ///     --identity-regexp 'https://github\.com/acme/app/\.github/workflows/release\.yml@.*' \
    ///     --issuer https://token.actions.githubusercontent.com -o evidence.tar.gz
    ///   clearance snapshot verify snapshot-2026-Q4.tar.gz --signers signers.toml
    #[command(
        about = "Export a period of the evidence store for reviewers: verified, summarised, signed and packed into one deterministic snapshot-<period>.tar.gz."
    )]
    #[command(verbatim_doc_comment)]
    Snapshot(Box<SnapshotArgs>),
    /// Write an in-toto statement about files, unsigned or signed into a Sigstore bundle.
    ///
    /// The predicate is SLSA provenance of this run (builder and source from the CI
    /// environment), the workspace's SBOM (CycloneDX, SPDX 2, SPDX 3), or its license check
    /// report; --predicate-file uses an existing document instead of generating one.
    ///
    /// Examples:
    ///   clearance attest --predicate provenance --subject target/release/app -o app.intoto.json
    ///   clearance attest --predicate cyclonedx --subject app.tar.gz --sign keyless \
    ///     -o app.cdx.sigstore.json
    ///   clearance attest --predicate license-report --subject app.tar.gz --sign keyless \
    ///     --sigstore dev -o lic.sigstore.json
    #[command(verbatim_doc_comment)]
    Attest(AttestArgs),
    /// Sign a file keylessly into a Sigstore bundle (a DSSE bundle when the file is an
    /// in-toto statement, a message signature otherwise).
    ///
    /// The identity token comes from --identity-token, SIGSTORE_ID_TOKEN, the CI's ambient
    /// credential (GitHub Actions with `id-token: write`), or a browser sign-in on a terminal.
    ///
    /// Examples:
    ///   clearance sign --bundle app.tar.gz.sigstore.json app.tar.gz
    ///   clearance sign --sigstore dev --bundle statement.sigstore.json statement.intoto.json
    #[command(
        about = "Sign a file keylessly into a Sigstore bundle (a DSSE bundle when the file is an in-toto statement, a message signature otherwise)."
    )]
    #[command(verbatim_doc_comment)]
    Sign(SignArgs),
    /// Verify a Sigstore bundle for an artifact, offline, against a trusted root and the
    /// identity of the expected signer.
    ///
    /// Checks the certificate chain and its SCT, the transparency-log inclusion proof and
    /// signed checkpoint or entry timestamp, the signature over FILE (for an attestation: the
    /// DSSE envelope, and that a subject of the statement has FILE's SHA-256), then the
    /// signer: certificate identity (SAN), OIDC issuer and any GitHub claims asked for.
    /// Nothing is fetched from the network. FILE may be given as its digest, sha256:HEX.
    ///
    /// Exit code 0 when verified, 1 when verification failed (the reason and what was
    /// checked are printed), 2 when an input cannot be used.
    ///
    /// Examples:
    ///   clearance verify --bundle app.tar.gz.sigstore.json \
    ///     --certificate-identity https://github.com/acme/app/.github/workflows/rel.yml@refs/tags/v1 \
    ///     --certificate-oidc-issuer https://token.actions.githubusercontent.com app.tar.gz
    ///   clearance verify --bundle app.intoto.sigstore.json \
    ///     --certificate-identity-regexp 'https://github\.com/acme/app/\.github/workflows/.*' \
    ///     --certificate-oidc-issuer https://token.actions.githubusercontent.com \
    ///     --github-repository acme/app --github-ref refs/tags/v1.2.0 --format json app.tar.gz
    ///   clearance verify --bundle blob.sigstore.json --key cosign.pub sha256:9f86d081884c7d65...
    ///   clearance verify --sigstore dev --bundle out.sigstore.json --certificate-identity ... FILE
    #[command(
        about = "Verify a Sigstore bundle for an artifact, offline, against a trusted root and the identity of the expected signer."
    )]
    #[command(verbatim_doc_comment)]
    Verify(VerifyArgs),
    /// Run a local, UNTRUSTED Sigstore instance for development and tests.
    ///
    /// One port on 127.0.0.1 serves an OIDC issuer of GitHub-Actions-shaped tokens, a CA
    /// speaking Fulcio's protocol and a transparency log speaking Rekor's. The trust files
    /// (trusted_root.json, signing_config.json, trust_config.json) are written into DIR, and
    /// the log's entries kept in DIR/log.jsonl. Prints the environment of a GitHub Actions
    /// job whose tokens it issues, then serves until Ctrl-C.
    ///
    /// Keys are new at every start and never leave the process: nothing signed here is
    /// trusted anywhere but by a verifier pointed at DIR. Earlier starts' public keys stay in
    /// the trusted root, so older bundles still verify.
    ///
    /// Examples:
    ///   clearance sigstore-dev
    ///   clearance sigstore-dev --dir /tmp/sigstore-dev --port 8080
    #[command(verbatim_doc_comment)]
    #[cfg(feature = "sigstore-dev")]
    SigstoreDev(SigstoreDevArgs),
    /// Write a starter policy, clearance.toml, beside the workspace's manifest.
    ///
    /// When cargo-deny is configured (deny.toml, .deny.toml or .cargo/deny.toml in the
    /// manifest's directory or above it), its [licenses] section is translated, and comments
    /// say what has no equivalent. Otherwise every license the workspace uses is allowed by
    /// name, with its category and how many packages use it, so that the workspace passes.
    /// An existing file is replaced only with --force.
    ///
    /// Examples:
    ///   clearance init
    ///   clearance init --manifest-path ../app/Cargo.toml --offline
    ///   clearance init --force -o policies/clearance.toml
    ///   clearance init -o - | less
    #[command(verbatim_doc_comment)]
    Init(InitArgs),
    /// Print a shell completion script.
    ///
    /// Examples:
    ///   clearance completions bash > /etc/bash_completion.d/clearance
    ///   clearance completions zsh > "${fpath[1]}/_clearance"
    ///   clearance completions fish > ~/.config/fish/completions/clearance.fish
    ///   clearance completions powershell >> $PROFILE
    #[command(verbatim_doc_comment)]
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command into a directory.
    ///
    /// Examples:
    ///   clearance man | man -l -
    ///   clearance man --dir /usr/local/share/man/man1
    #[command(verbatim_doc_comment)]
    Man {
        /// Write clearance.1 and clearance-COMMAND.1 into this directory.
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

pub(crate) fn run_completions(shell: clap_complete::Shell) -> anyhow::Result<()> {
    use clap::CommandFactory;
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "clearance", &mut out);
    write_to(&Destination::Stdout, &out)
}

pub(crate) fn run_man(dir: Option<&std::path::Path>) -> anyhow::Result<()> {
    use clap::CommandFactory;
    let command = Cli::command();
    let page = |cmd: clap::Command| -> anyhow::Result<Vec<u8>> {
        let mut out = Vec::new();
        clap_mangen::Man::new(cmd).render(&mut out)?;
        Ok(out)
    };
    let Some(dir) = dir else {
        return write_to(&Destination::Stdout, &page(command)?);
    };
    write_to(
        &Destination::File(dir.join("clearance.1")),
        &page(command.clone())?,
    )?;
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        let name = format!("clearance-{}", sub.get_name());
        write_to(
            &Destination::File(dir.join(format!("{name}.1"))),
            &page(sub.clone().display_name(name))?,
        )?;
    }
    Ok(())
}

/// Parses the command line. The `cargo-clearance` binary is the same program run by cargo as
/// `cargo-clearance clearance ARGS` for `cargo clearance ARGS`: the extra word is dropped and
/// usage is shown as `cargo clearance`. Help, version and usage errors are printed by the
/// colour rules of every other output (`term`).
/// How the program was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Invocation {
    /// As `clearance`.
    Clearance,
    /// As `cargo-clearance`, by cargo for `cargo clearance`.
    CargoSubcommand,
}

pub(crate) fn parse_cli(invocation: Invocation) -> Cli {
    use clap::{CommandFactory, FromArgMatches};
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let mut command = Cli::command();
    if invocation == Invocation::CargoSubcommand {
        if args.get(1).is_some_and(|a| a == "clearance") {
            args.remove(1);
        }
        command = command.bin_name("cargo clearance");
    }
    let when = term::color_flag(&args);
    command
        .try_get_matches_from_mut(args)
        .and_then(|matches| Cli::from_arg_matches(&matches))
        .unwrap_or_else(|e| exit_on_clap_error(&e, when))
}

pub(crate) fn exit_on_clap_error(e: &clap::Error, when: ColorWhen) -> ! {
    use std::io::{IsTerminal, Write};
    let to_terminal = if e.use_stderr() {
        std::io::stderr().is_terminal()
    } else {
        std::io::stdout().is_terminal()
    };
    let styled = e.render();
    let text = if term::use_color(when, &TermEnv::from_process(), to_terminal) {
        styled.ansi().to_string()
    } else {
        styled.to_string()
    };
    // A closed pipe (`clearance --help | head -1`) is not worth a second error.
    let _ = if e.use_stderr() {
        std::io::stderr().write_all(text.as_bytes())
    } else {
        std::io::stdout().write_all(text.as_bytes())
    };
    std::process::exit(e.exit_code())
}

/// Runs the command line and returns the exit code.
pub fn main(invocation: Invocation) -> ExitCode {
    let cli = parse_cli(invocation);
    let result = match &cli.command {
        Command::Completions { shell } => run_completions(*shell).map(|()| Verdict::Pass),
        Command::Man { dir } => run_man(dir.as_deref()).map(|()| Verdict::Pass),
        Command::Sbom(args) => run_sbom(args).map(|()| Verdict::Pass),
        Command::Release(args) => run_release(args),
        Command::Snapshot(args) => run_snapshot(args),
        Command::Attest(args) => run_attest(args).map(|()| Verdict::Pass),
        Command::Sign(args) => run_sign(args).map(|()| Verdict::Pass),
        Command::Check(args) => run_check(args),
        #[cfg(feature = "sigstore-dev")]
        Command::SigstoreDev(args) => run_sigstore_dev(args).map(|()| Verdict::Pass),
        Command::Init(args) => run_init(args).map(|()| Verdict::Pass),
        Command::Diff(args) => run_diff(args),
        Command::Verify(args) => run_verify(args),
        Command::Notice(args) => {
            run_render(clearance_core::render::Document::Notice, args).map(|()| Verdict::Pass)
        }
        Command::Report(args) => {
            run_render(clearance_core::render::Document::Report, args).map(|()| Verdict::Pass)
        }
        Command::ThirdParty(args) => {
            run_render(clearance_core::render::Document::ThirdParty, args).map(|()| Verdict::Pass)
        }
    };
    match result {
        Ok(Verdict::Pass) => ExitCode::SUCCESS,
        Ok(Verdict::Fail) => ExitCode::from(1),
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", render_error(&e));
            ExitCode::from(2)
        }
    }
}

pub(crate) fn render_error(e: &anyhow::Error) -> String {
    let shown = e.to_string();
    if shown.starts_with("error") {
        shown
    } else {
        format!("error: {shown}")
    }
}

pub(crate) fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    }) || e.to_string().contains("Broken pipe")
}
