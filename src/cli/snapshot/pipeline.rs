//! `clearance snapshot` and `clearance snapshot verify`: a period of the evidence store,
//! verified, laid out for a reviewer, its manifest signed, packed into one deterministic
//! `.tar.gz` and written atomically; and the re-check of such an archive.

use std::path::{Path, PathBuf};

use crate::cli::attest::pipeline::Signing;
use crate::cli::common::{CommandError, TOOL_NAME, TOOL_VERSION, TimeRequirement, creation_time};
use clearance_attest::instance::TrustedRootChoice;
use clearance_attest::signers::Signers;
use clearance_attest::verify::prepare_verifier;
use clearance_core::diag::Diagnostic;
use clearance_evidence::snapshot::archive::Limits;
use clearance_evidence::snapshot::model::Manifest;
use clearance_evidence::snapshot::period::Period;
use clearance_evidence::snapshot::{
    ArchiveReport, SnapshotError, SnapshotRequest, build, pack, verify_archive,
};
use clearance_evidence::store::record::Tool;

/// What `clearance snapshot` needs.
pub struct SnapshotCommand<'a> {
    /// The period.
    pub period: Period,
    /// The evidence store.
    pub evidence: PathBuf,
    /// Who may sign.
    pub signers: &'a Signers,
    /// The trusted root.
    pub trusted_root: &'a TrustedRootChoice,
    /// The session that signs the manifest, or `None` to leave it unsigned.
    pub signing: Option<&'a Signing>,
    /// The archive to write.
    pub output: PathBuf,
    /// `SOURCE_DATE_EPOCH`, if set.
    pub epoch: Option<String>,
    /// Today, for exceptions expiring soon (the snapshot's own day when `SOURCE_DATE_EPOCH`
    /// is set).
    pub today: time::Date,
}

/// What `clearance snapshot` wrote.
pub struct SnapshotOutput {
    /// The archive.
    pub path: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// Who signed the manifest.
    pub signer: Option<(String, String)>,
    /// The archive's size in bytes.
    pub size: u64,
}

fn diagnostic(code: &'static str, message: String, help: &str) -> CommandError {
    CommandError::Attest(Box::new(Diagnostic::error(code, message).with_help(help)))
}

impl From<SnapshotError> for CommandError {
    fn from(e: SnapshotError) -> Self {
        match e {
            SnapshotError::Input(d) => CommandError::Attest(d),
            SnapshotError::Render(r) => CommandError::Render(r),
        }
    }
}

/// The default archive name for a period.
pub fn default_output(period: &Period) -> PathBuf {
    PathBuf::from(format!("snapshot-{}.tar.gz", period.label))
}

/// Runs `clearance snapshot`.
pub fn snapshot(command: &SnapshotCommand<'_>) -> Result<SnapshotOutput, CommandError> {
    let created =
        creation_time(command.epoch.as_deref(), TimeRequirement::Required)?.unwrap_or_default();
    let created_at = clearance_evidence::snapshot::period::parse_time(&created)
        .expect("creation_time writes RFC 3339");
    let today = if command.epoch.is_some() {
        created_at.date()
    } else {
        command.today
    };
    let verifier = prepare_verifier(&command.trusted_root.root)
        .map_err(|e| diagnostic("trusted-root-unusable", e.to_string(), e.help()))?;
    let mut root_json =
        serde_json::to_vec_pretty(&command.trusted_root.root).expect("a trusted root serialises");
    root_json.push(b'\n');
    let request = SnapshotRequest {
        period: command.period.clone(),
        evidence: command.evidence.clone(),
        verifier: &verifier,
        trusted_root: (command.trusted_root.origin.clone(), root_json),
        signers: command.signers,
        created,
        today,
        tool: Tool {
            name: TOOL_NAME.to_string(),
            version: TOOL_VERSION.to_string(),
        },
    };
    let snapshot = build(&request)?;
    let bundle = command
        .signing
        .map(|signing| signing.sign_blob(&snapshot.manifest_json))
        .transpose()?;
    let mtime = created_at.unix_timestamp().max(0) as u64;
    if let Some(parent) = command
        .output
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|e| write_error(&command.output, e))?;
    }
    let mut size = 0;
    clearance_core::output::write_streamed(&command.output, |out| {
        let counted = pack(
            Counting {
                inner: out,
                count: 0,
            },
            &snapshot,
            bundle.as_ref().map(|b| b.json.as_slice()),
            mtime,
        )?;
        size = counted.count;
        Ok(())
    })
    .map_err(|e| write_error(&command.output, e))?;
    Ok(SnapshotOutput {
        path: command.output.clone(),
        size,
        signer: bundle.map(|b| (b.identity, b.issuer)),
        manifest: snapshot.manifest,
    })
}

fn write_error(path: &Path, e: std::io::Error) -> CommandError {
    diagnostic(
        "snapshot-write",
        format!("cannot write {}: {e}", path.display()),
        "check that the output directory is writable",
    )
}

/// Counts what passes through to `inner`.
struct Counting<W> {
    inner: W,
    count: u64,
}

impl<W: std::io::Write> std::io::Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.count += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Runs `clearance snapshot verify FILE`, reading it within `limits`.
pub fn verify(
    path: &Path,
    limits: &Limits,
    signers: &Signers,
    trusted_root: &TrustedRootChoice,
) -> Result<ArchiveReport, CommandError> {
    let file = clearance_core::bounded::open_regular(path).map_err(|e| {
        diagnostic(
            "snapshot-read",
            format!("cannot read {}: {e}", path.display()),
            "give the path of a snapshot-<period>.tar.gz",
        )
    })?;
    let verifier = prepare_verifier(&trusted_root.root)
        .map_err(|e| diagnostic("trusted-root-unusable", e.to_string(), e.help()))?;
    verify_archive(
        path,
        std::io::BufReader::new(file),
        limits,
        &verifier,
        signers,
    )
    .map_err(CommandError::Attest)
}
