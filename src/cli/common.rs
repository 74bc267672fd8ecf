//! What several commands share: the requests of `sbom`, `check`, `diff` and the rendered
//! documents, each run through the pipeline (collect → model → evaluate → render) into what
//! to write; loading the inventory and the policy; the creation time. Printing and exit
//! codes stay with each command and [`super::app`].

use std::path::{Path, PathBuf};

use clearance_core::diag::Diagnostic;
use clearance_core::inventory::cargo::{CargoError, CargoOptions};
use clearance_core::inventory::{Collector, Inventory};
use clearance_core::policy::diff::diff;
use clearance_core::policy::{
    Evaluation, Policy, PolicyError, default_policy, evaluate, load_policy,
};
use clearance_core::report::{Color, Context, ReportFormat, render_check, render_diff};
use clearance_core::sbom::{Format, SbomError, SbomFile, WriteOptions, write_sbom};

/// Where the inventory comes from.
#[derive(Debug, Clone)]
pub enum InventorySource {
    /// A Cargo workspace, through `cargo metadata`.
    Cargo(CargoOptions),
    /// An existing SBOM file of any supported format.
    Sbom(PathBuf),
}

/// What `clearance sbom` needs.
#[derive(Debug, Clone)]
pub struct SbomRequest {
    /// The input.
    pub source: InventorySource,
    /// The output format.
    pub format: Format,
    /// The spec version, or the format's default.
    pub spec_version: Option<String>,
    /// The creation time to record; see [`creation_time`].
    pub created: Option<String>,
}

/// Errors of the commands, by where they arose.
#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    /// Collecting from Cargo failed.
    #[error(transparent)]
    Cargo(#[from] CargoError),
    /// Reading or writing an SBOM failed.
    #[error(transparent)]
    Sbom(#[from] SbomError),
    /// The policy could not be read or is invalid.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// `--base-ref` could not be checked out.
    #[error("cannot read the base revision {reference}: {reason}")]
    BaseRef {
        /// The git revision.
        reference: String,
        /// What went wrong.
        reason: String,
    },
    /// A template could not be rendered.
    #[error(transparent)]
    Render(#[from] clearance_core::render::RenderError),
    /// `SOURCE_DATE_EPOCH` is set but not a timestamp.
    #[error(
        "SOURCE_DATE_EPOCH={0:?} is not a number of seconds since 1970-01-01 UTC; unset it or set it to e.g. the last commit's time (`git log -1 --format=%ct`)"
    )]
    SourceDateEpoch(String),
    /// Building, signing or verifying an attestation failed.
    #[error(transparent)]
    Attest(Box<Diagnostic>),
    /// `clearance init` would replace a file without `--force`.
    #[error(
        "{} already exists; nothing was written\n  = help: pass --force to replace it, or -o FILE to write the policy elsewhere",
        .0.display()
    )]
    PolicyExists(PathBuf),
    /// The policy could not be written.
    #[error("cannot write {}: {source}", .path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

/// The tool name recorded in documents.
pub const TOOL_NAME: &str = env!("CARGO_PKG_NAME");
/// The tool version recorded in documents.
pub const TOOL_VERSION: &str = env!("CARGO_PKG_VERSION");

/// Builds the inventory from its source.
pub fn load_inventory(source: &InventorySource) -> Result<Inventory, CommandError> {
    Ok(match source {
        InventorySource::Cargo(options) => options.collect()?,
        InventorySource::Sbom(path) => SbomFile(path.clone()).collect()?,
    })
}

/// What `clearance sbom` produced.
#[derive(Debug)]
pub struct SbomOutput {
    /// The document's bytes.
    pub document: Vec<u8>,
    /// Things worth telling the user that do not stop the command.
    pub warnings: Vec<Diagnostic>,
}

/// Runs `clearance sbom`: the document and any warnings about its completeness.
pub fn sbom(request: &SbomRequest) -> Result<SbomOutput, CommandError> {
    let inventory = load_inventory(&request.source)?;
    let warnings = completeness_warnings(&inventory);
    let options = WriteOptions {
        spec_version: request.spec_version.clone(),
        created: request.created.clone(),
        tool_name: TOOL_NAME.to_owned(),
        tool_version: TOOL_VERSION.to_owned(),
    };
    let document = write_sbom(&inventory, request.format, &options)?;
    Ok(SbomOutput { document, warnings })
}

/// Warnings about what the NTIA minimum elements ask for and the inventory cannot say: the
/// product's supplier, when neither the manifest nor `--supplier` names one.
fn completeness_warnings(inventory: &Inventory) -> Vec<Diagnostic> {
    let mut unsupplied: Vec<&str> = inventory
        .components
        .values()
        .filter(|c| c.supplier.is_none() && c.authors.is_empty())
        .map(|c| c.name.as_str())
        .collect();
    if unsupplied.is_empty() {
        return Vec::new();
    }
    unsupplied.sort_unstable();
    let shown = unsupplied
        .iter()
        .take(5)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    let more = unsupplied.len().saturating_sub(5);
    let more = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    vec![
        Diagnostic::warning(
            "sbom-no-supplier",
            format!("no supplier is known for {shown}{more}; the SBOM says NOASSERTION, which the NTIA minimum elements do not accept"),
        )
        .with_help(
            "name one with --supplier \"Your Org <contact@example.org>\", or in Cargo.toml under \
             [workspace.metadata.clearance] or [package.metadata.clearance]: supplier = \"...\"",
        ),
    ]
}

/// Which policy to use.
#[derive(Debug, Clone)]
pub enum PolicyChoice {
    /// `--policy FILE`.
    File(PathBuf),
    /// `clearance.toml` beside the manifest (or in the current directory when no manifest is
    /// named), else the built-in default.
    Discover,
}

/// The name of a workspace's own policy file.
pub const POLICY_FILE: &str = "clearance.toml";

/// Where the workspace's own policy is: `clearance.toml` beside the manifest given (in the
/// directory given, when `--manifest-path` names one), else in the current directory.
pub fn workspace_policy_path(options: &CargoOptions) -> PathBuf {
    let dir = match &options.manifest_path {
        Some(m) if m.is_dir() => m.clone(),
        Some(m) => m.parent().map(Path::to_owned).unwrap_or_default(),
        None => PathBuf::new(),
    };
    if dir.as_os_str().is_empty() {
        PathBuf::from(POLICY_FILE)
    } else {
        dir.join(POLICY_FILE)
    }
}

/// The policy file `choice` names, found for the workspace of `source`.
pub fn resolve_policy(
    choice: &PolicyChoice,
    source: &InventorySource,
) -> Result<Policy, CommandError> {
    if let PolicyChoice::File(path) = choice {
        return Ok(load_policy(path)?);
    }
    let candidate = match source {
        InventorySource::Cargo(options) => workspace_policy_path(options),
        InventorySource::Sbom(_) => PathBuf::from(POLICY_FILE),
    };
    if candidate.is_file() {
        // Named relative to the current directory where it lies below it, so that reports and
        // generated files say `clearance.toml` however the manifest was given.
        let shown = clearance_core::diag::relative_to_cwd(&candidate).unwrap_or(candidate);
        return Ok(load_policy(&shown)?);
    }
    Ok(default_policy())
}

/// How a check or diff ended, for the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Nothing fails (warnings allowed): exit 0.
    Pass,
    /// Findings at error severity: exit 1.
    Fail,
}

/// What `clearance check` needs.
#[derive(Debug, Clone)]
pub struct CheckRequest {
    /// The input.
    pub source: InventorySource,
    /// The policy.
    pub policy: PolicyChoice,
    /// The report format.
    pub format: ReportFormat,
    /// Colours in human output.
    pub color: Color,
    /// The day exceptions are checked against.
    pub today: time::Date,
    /// Where license detection results are cached.
    pub cache: clearance_core::license::cache::Cache,
}

/// A rendered report and the verdict behind it.
#[derive(Debug)]
pub struct ReportOutput {
    /// The report's bytes.
    pub report: Vec<u8>,
    /// Pass or fail.
    pub verdict: Verdict,
}

/// Runs `clearance check`.
pub fn check(request: &CheckRequest) -> Result<ReportOutput, CommandError> {
    let inventory = load_inventory(&request.source)?;
    let policy = resolve_policy(&request.policy, &request.source)?;
    let evidence = clearance_core::license::scan::gather_evidence(&inventory, &request.cache);
    let evaluation = evaluate(&policy, &inventory, Some(&evidence), request.today);
    let ctx = Context::new(
        policy.path.display().to_string(),
        &inventory,
        TOOL_VERSION,
        request.color,
    );
    Ok(ReportOutput {
        report: render_check(request.format, &ctx, &evaluation),
        verdict: if evaluation.has_errors() {
            Verdict::Fail
        } else {
            Verdict::Pass
        },
    })
}

/// Where the base of a diff comes from.
#[derive(Debug, Clone)]
pub enum BaseSource {
    /// An SBOM file.
    Sbom(PathBuf),
    /// A git revision of the workspace's repository, collected like the head.
    GitRef(String),
}

/// Which findings fail a diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOn {
    /// Only errors the head brings in (the pull-request gate).
    New,
    /// Any error in the head.
    Any,
}

/// What `clearance diff` needs.
#[derive(Debug, Clone)]
pub struct DiffRequest {
    /// The base.
    pub base: BaseSource,
    /// The head (the workspace, or an SBOM).
    pub head: InventorySource,
    /// The policy (applied to both).
    pub policy: PolicyChoice,
    /// Which findings fail.
    pub fail_on: FailOn,
    /// The report format.
    pub format: ReportFormat,
    /// Colours in human output.
    pub color: Color,
    /// The day exceptions are checked against.
    pub today: time::Date,
    /// Where license detection results are cached.
    pub cache: clearance_core::license::cache::Cache,
}

/// Runs `clearance diff`.
pub fn diff_command(request: &DiffRequest) -> Result<ReportOutput, CommandError> {
    let head = load_inventory(&request.head)?;
    let base = match &request.base {
        BaseSource::Sbom(path) => SbomFile(path.clone()).collect()?,
        BaseSource::GitRef(reference) => inventory_at_revision(&request.head, reference)?,
    };
    let policy = resolve_policy(&request.policy, &request.head)?;
    let base_evidence = clearance_core::license::scan::gather_evidence(&base, &request.cache);
    let head_evidence = clearance_core::license::scan::gather_evidence(&head, &request.cache);
    let base_eval: Evaluation = evaluate(&policy, &base, Some(&base_evidence), request.today);
    let head_eval = evaluate(&policy, &head, Some(&head_evidence), request.today);
    let result = diff(&base, &base_eval, &head, &head_eval);
    let ctx = Context::new(
        policy.path.display().to_string(),
        &head,
        TOOL_VERSION,
        request.color,
    );
    let failing = match request.fail_on {
        FailOn::New => result
            .new
            .iter()
            .any(|f| f.severity == clearance_core::diag::Severity::Error),
        FailOn::Any => head_eval.has_errors(),
    };
    Ok(ReportOutput {
        report: render_diff(request.format, &ctx, &result, &head_eval),
        verdict: if failing {
            Verdict::Fail
        } else {
            Verdict::Pass
        },
    })
}

/// Collects the workspace of `head` as it is at git revision `reference`, from a temporary
/// worktree that is removed afterwards; the working tree is not touched.
fn inventory_at_revision(
    head: &InventorySource,
    reference: &str,
) -> Result<Inventory, CommandError> {
    let InventorySource::Cargo(options) = head else {
        return Err(CommandError::BaseRef {
            reference: reference.to_owned(),
            reason: "--base-ref needs a workspace as the head, not --head FILE".to_owned(),
        });
    };
    let fail = |reason: String| CommandError::BaseRef {
        reference: reference.to_owned(),
        reason,
    };
    let manifest = std::path::absolute(
        options
            .manifest_path
            .clone()
            .unwrap_or_else(|| PathBuf::from("Cargo.toml")),
    )
    .map_err(|e| fail(e.to_string()))?;
    let manifest = if manifest.is_dir() {
        manifest.join("Cargo.toml")
    } else {
        manifest
    };
    let dir = manifest.parent().unwrap_or(Path::new(".")).to_owned();
    let top = git(&dir, &["rev-parse", "--show-toplevel"]).map_err(fail)?;
    let top = PathBuf::from(top.trim());
    let relative = manifest
        .strip_prefix(&top)
        .map_err(|_| {
            fail(format!(
                "{} is not inside the repository {}",
                manifest.display(),
                top.display()
            ))
        })?
        .to_owned();
    let scratch = tempfile::tempdir().map_err(|e| fail(e.to_string()))?;
    let tree = scratch.path().join("base");
    let tree_arg = tree.to_string_lossy().into_owned();
    git(
        &top,
        &[
            "worktree", "add", "--detach", "--quiet", &tree_arg, reference,
        ],
    )
    .map_err(fail)?;
    let _cleanup = Worktree {
        repo: top.clone(),
        path: tree_arg.clone(),
    };
    let mut base_options = options.clone();
    base_options.manifest_path = Some(tree.join(relative));
    Ok(base_options.collect()?)
}

/// Removes the temporary worktree when dropped, whatever happened.
struct Worktree {
    repo: PathBuf,
    path: String,
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let _ = git(&self.repo, &["worktree", "remove", "--force", &self.path]);
    }
}

fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// What `clearance notice` and `clearance third-party` need.
#[derive(Debug, Clone)]
pub struct RenderRequest {
    /// Which document.
    pub document: clearance_core::render::Document,
    /// The input (a workspace: its packages' sources are read).
    pub source: InventorySource,
    /// The policy (verdicts in the matrix; `min-confidence` for detected licenses).
    pub policy: PolicyChoice,
    /// A template instead of the built-in one.
    pub template: Option<PathBuf>,
    /// Print the template context as JSON instead of rendering.
    pub dump_context: bool,
    /// Where detection results are cached.
    pub cache: clearance_core::license::cache::Cache,
    /// The day exceptions are checked against.
    pub today: time::Date,
}

/// The context templates see, for an evaluated inventory.
pub(crate) fn render_context(
    inventory: &Inventory,
    evidence: &clearance_core::license::scan::Evidence,
    evaluation: &Evaluation,
    policy: &Policy,
) -> clearance_core::render::Context {
    clearance_core::render::build_context(&clearance_core::render::Inputs {
        inventory,
        evidence,
        evaluation,
        policy: &policy.path.display().to_string(),
        min_confidence: policy.min_confidence,
        tool_version: TOOL_VERSION,
    })
}

/// Renders a document (or dumps its context as JSON).
pub fn render_document(request: &RenderRequest) -> Result<Vec<u8>, CommandError> {
    let inventory = load_inventory(&request.source)?;
    let policy = resolve_policy(&request.policy, &request.source)?;
    let evidence = clearance_core::license::scan::gather_evidence(&inventory, &request.cache);
    let evaluation = evaluate(&policy, &inventory, Some(&evidence), request.today);
    let context = render_context(&inventory, &evidence, &evaluation, &policy);
    if request.dump_context {
        let mut out = serde_json::to_vec_pretty(&context).expect("the context serialises");
        out.push(b'\n');
        return Ok(out);
    }
    Ok(
        clearance_core::render::render(request.document, &context, request.template.as_deref())?
            .into_bytes(),
    )
}

/// Whether a document must carry a creation time even when none is pinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeRequirement {
    /// Leave it out unless `SOURCE_DATE_EPOCH` pins it (keeps output reproducible).
    Optional,
    /// The format requires one: `SOURCE_DATE_EPOCH` if set, else now, to the second.
    Required,
    /// A record requires one that orders it among others made the same second:
    /// `SOURCE_DATE_EPOCH` if set, else now, to the nanosecond.
    Precise,
}

/// Whether a format must record when it was created (SPDX must; CycloneDX may).
pub fn time_requirement(format: Format) -> TimeRequirement {
    match format {
        Format::CycloneDxJson => TimeRequirement::Optional,
        Format::SpdxJson | Format::Spdx3Json => TimeRequirement::Required,
    }
}

/// The creation time for a document as RFC 3339 UTC: `SOURCE_DATE_EPOCH` (`epoch`) when
/// set, else the current time if the format requires one, else none.
pub fn creation_time(
    epoch: Option<&str>,
    requirement: TimeRequirement,
) -> Result<Option<String>, CommandError> {
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;
    let when = match epoch.map(str::trim).filter(|e| !e.is_empty()) {
        Some(e) => {
            let secs: i64 = e
                .parse()
                .map_err(|_| CommandError::SourceDateEpoch(e.to_owned()))?;
            OffsetDateTime::from_unix_timestamp(secs)
                .map_err(|_| CommandError::SourceDateEpoch(e.to_owned()))?
        }
        None => match requirement {
            TimeRequirement::Optional => return Ok(None),
            TimeRequirement::Required => OffsetDateTime::now_utc()
                .replace_nanosecond(0)
                .unwrap_or_else(|_| OffsetDateTime::now_utc()),
            TimeRequirement::Precise => OffsetDateTime::now_utc(),
        },
    };
    Ok(Some(
        when.format(&Rfc3339)
            .expect("a UTC time formats as RFC 3339"),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_date_epoch_pins_the_time() {
        assert_eq!(
            creation_time(Some("1700000000"), TimeRequirement::Optional)
                .unwrap()
                .as_deref(),
            Some("2023-11-14T22:13:20Z")
        );
        assert_eq!(
            creation_time(None, TimeRequirement::Optional).unwrap(),
            None
        );
        assert!(
            creation_time(None, TimeRequirement::Required)
                .unwrap()
                .is_some()
        );
        assert!(matches!(
            creation_time(Some("yesterday"), TimeRequirement::Optional),
            Err(CommandError::SourceDateEpoch(_))
        ));
    }
}
