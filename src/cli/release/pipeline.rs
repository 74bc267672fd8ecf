//! `clearance release`: the whole job of a release workflow in one run. One inventory, then
//! the CycloneDX and SPDX SBOMs, the license check (its findings decide the exit code),
//! NOTICE, THIRD_PARTY.md, the HTML report, the attestations (provenance for the subjects,
//! SBOM, license report), signed into bundles or written unsigned, `release.json` listing the
//! SHA-256 of every file, and a copy of all of it in the evidence store.
//!
//! Everything is written into a locked staging folder beside `--out` (each file synced to
//! disk), recorded in the evidence store (append-only: [`clearance_evidence::store::folder`]), then
//! exchanged with `--out` in one rename, so `--out` always names a whole folder and a failed
//! or killed run leaves the previous output as it was. Staging folders of killed runs are
//! removed by the next run.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use clearance_attest::provenance::provenance_predicate;
use clearance_attest::statement::{PredicateKind, Statement, Subject};
use clearance_core::diag::Diagnostic;
use clearance_core::inventory::Inventory;
use clearance_core::policy::file::{DEFAULT_POLICY, DEFAULT_POLICY_NAME};
use clearance_core::policy::{Evaluation, Policy, evaluate};
use clearance_core::report::{Color, Context, ReportFormat, render_check};
use clearance_core::sbom::{Format, WriteOptions, write_sbom};
use clearance_core::staging::{Staging, clean_stale};
use clearance_evidence::store::folder::set_dir_mode;
use clearance_evidence::store::record::{
    AttestationRecord, FileRecord, Product, RELEASE_FILE, RELEASE_SCHEMA, ReleaseRecord,
    SigningRecord, Tool,
};
use clearance_evidence::store::{EvidenceStore, Recorded, StoreError};

use crate::cli::attest::pipeline::{Signing, read_subjects, run_facts};
use crate::cli::common::{
    CommandError, InventorySource, PolicyChoice, TOOL_NAME, TOOL_VERSION, TimeRequirement, Verdict,
    creation_time, load_inventory, render_context, resolve_policy, time_requirement,
};

/// Prefix of the staging folders beside `--out`.
pub const STAGING_PREFIX: &str = ".clearance-release";

/// What `clearance release` needs.
pub struct ReleaseRequest<'a> {
    /// The workspace.
    pub source: InventorySource,
    /// The policy.
    pub policy: PolicyChoice,
    /// Release artifacts the provenance (and the SBOM and license attestations) are about.
    pub subjects: Vec<PathBuf>,
    /// The signing session, or `None` to write unsigned statements.
    pub signing: Option<&'a Signing>,
    /// Which instance signs, for the record.
    pub instance: Option<String>,
    /// The output folder.
    pub out: PathBuf,
    /// The evidence store, or `None` to keep no record.
    pub evidence: Option<&'a dyn EvidenceStore>,
    /// Where license detection results are cached.
    pub cache: clearance_core::license::cache::Cache,
    /// The day exceptions are checked against.
    pub today: time::Date,
    /// `SOURCE_DATE_EPOCH`, if set.
    pub epoch: Option<String>,
    /// Told each step as it starts.
    pub progress: &'a dyn Fn(&str),
}

/// What `clearance release` produced.
#[derive(Debug)]
pub struct ReleaseOutput {
    /// The output folder.
    pub out: PathBuf,
    /// The release's folder in the evidence store, if one was kept: new, or found already
    /// recorded.
    pub record: Option<Recorded>,
    /// The record written as `release.json`.
    pub release: ReleaseRecord,
    /// The license check's verdict.
    pub verdict: Verdict,
}

struct Folder {
    dir: PathBuf,
    files: Vec<FileRecord>,
}

impl Folder {
    /// Writes a new file into the folder, synced to disk, and lists it with its digest.
    fn write(&mut self, name: &str, bytes: &[u8]) -> Result<Subject, CommandError> {
        let path = self.dir.join(name);
        clearance_core::atomic::write_new_synced(&path, bytes).map_err(|e| io_error(&path, e))?;
        let subject = Subject::from_bytes(name, bytes);
        self.files.push(FileRecord {
            path: name.to_string(),
            sha256: subject.sha256.clone(),
        });
        Ok(subject)
    }

    fn json_of(&self, name: &str) -> Result<serde_json::Value, CommandError> {
        let path = self.dir.join(name);
        let bytes = std::fs::read(&path).map_err(|e| io_error(&path, e))?;
        Ok(serde_json::from_slice(&bytes).expect("clearance writes JSON"))
    }
}

fn io_error(path: &Path, e: std::io::Error) -> CommandError {
    CommandError::Attest(Box::new(
        Diagnostic::error(
            "release-write",
            format!("cannot write {}: {e}", path.display()),
        )
        .with_help("check that the output and evidence directories are writable"),
    ))
}

/// The files the SBOMs and the license check wrote, for the attestations.
struct Written {
    cdx: (String, Subject),
    spdx: (String, Subject),
    report: Subject,
    verdict: Verdict,
}

/// Runs `clearance release`.
pub fn release(request: &ReleaseRequest<'_>) -> Result<ReleaseOutput, CommandError> {
    let run_started = SystemTime::now();
    let started =
        creation_time(request.epoch.as_deref(), TimeRequirement::Precise)?.unwrap_or_default();
    let subjects = read_subjects(&request.subjects)?;

    (request.progress)("collecting the inventory");
    let inventory = load_inventory(&request.source)?;
    let policy = resolve_policy(&request.policy, &request.source)?;
    let product = product_of(&inventory);

    let staging = stage_beside(&request.out, run_started)?;
    let mut folder = Folder {
        dir: staging.path().to_path_buf(),
        files: Vec::new(),
    };
    let written = write_evidence(request, &inventory, &policy, &product, &mut folder)?;

    (request.progress)(if request.signing.is_some() {
        "signing the attestations"
    } else {
        "writing the attestations (unsigned)"
    });
    let facts = run_facts(
        &request.source,
        "release",
        started.clone(),
        creation_time(request.epoch.as_deref(), TimeRequirement::Required)?.unwrap_or_default(),
    );
    let statements = statements(&written, &subjects, &folder, &facts)?;
    let (attestations, signing) = write_attestations(request, &statements, &mut folder)?;

    let mut files = folder.files.clone();
    files.sort();
    let record = ReleaseRecord {
        schema: RELEASE_SCHEMA.to_string(),
        product,
        git_commit: facts.git_commit.clone(),
        time: started,
        tool: Tool {
            name: TOOL_NAME.to_string(),
            version: TOOL_VERSION.to_string(),
        },
        verdict: match written.verdict {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
        }
        .to_string(),
        signing,
        attestations,
        files,
    };
    let record_path = folder.dir.join(RELEASE_FILE);
    clearance_core::atomic::write_new_synced(&record_path, &record.to_json())
        .map_err(|e| io_error(&record_path, e))?;
    clearance_core::atomic::sync_dir(&folder.dir).map_err(|e| io_error(&folder.dir, e))?;

    let recorded = match &request.evidence {
        Some(store) => {
            (request.progress)("recording the release in the evidence store");
            Some(
                store
                    .record(&folder.dir, &record, run_started)
                    .map_err(store_error)?,
            )
        }
        None => None,
    };
    put_in_place(staging, &request.out)?;
    Ok(ReleaseOutput {
        out: request.out.clone(),
        record: recorded,
        release: record,
        verdict: written.verdict,
    })
}

/// A new staging folder beside `out`, after removing those of runs that were killed.
fn stage_beside(out: &Path, run_started: SystemTime) -> Result<Staging, CommandError> {
    let parent = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
    clean_stale(parent, STAGING_PREFIX, run_started);
    Staging::create(parent, STAGING_PREFIX).map_err(|e| io_error(parent, e))
}

/// The SBOMs, the license check and its report, the policy, NOTICE, THIRD_PARTY.md and the
/// HTML report.
fn write_evidence(
    request: &ReleaseRequest<'_>,
    inventory: &Inventory,
    policy: &Policy,
    product: &Product,
    folder: &mut Folder,
) -> Result<Written, CommandError> {
    (request.progress)("writing the SBOMs");
    let stem = format!("{}-{}", product.name, product.version);
    let mut sbom = |format, name: String| -> Result<(String, Subject), CommandError> {
        let options = WriteOptions {
            spec_version: None,
            created: creation_time(request.epoch.as_deref(), time_requirement(format))?,
            tool_name: TOOL_NAME.to_owned(),
            tool_version: TOOL_VERSION.to_owned(),
        };
        let subject = folder.write(&name, &write_sbom(inventory, format, &options)?)?;
        Ok((name, subject))
    };
    let cdx = sbom(Format::CycloneDxJson, format!("{stem}.cdx.json"))?;
    let spdx = sbom(Format::SpdxJson, format!("{stem}.spdx.json"))?;

    (request.progress)("checking licenses");
    let evidence = clearance_core::license::scan::gather_evidence(inventory, &request.cache);
    let evaluation = evaluate(policy, inventory, Some(&evidence), request.today);
    let report = write_check(inventory, policy, &evaluation, folder)?;

    (request.progress)("rendering NOTICE, THIRD_PARTY.md and the report");
    let context = render_context(inventory, &evidence, &evaluation, policy);
    for (document, name) in [
        (clearance_core::render::Document::Notice, "NOTICE"),
        (
            clearance_core::render::Document::ThirdParty,
            "THIRD_PARTY.md",
        ),
        (clearance_core::render::Document::Report, "report.html"),
    ] {
        let text = clearance_core::render::render(document, &context, None)?;
        folder.write(name, text.as_bytes())?;
    }
    Ok(Written {
        cdx,
        spdx,
        report,
        verdict: if evaluation.has_errors() {
            Verdict::Fail
        } else {
            Verdict::Pass
        },
    })
}

/// The license report (JSON and Markdown) and the policy it applied.
fn write_check(
    inventory: &Inventory,
    policy: &Policy,
    evaluation: &Evaluation,
    folder: &mut Folder,
) -> Result<Subject, CommandError> {
    let ctx = Context::new(
        policy.path.display().to_string(),
        inventory,
        TOOL_VERSION,
        Color::Never,
    );
    let report = folder.write(
        "license-report.json",
        &render_check(ReportFormat::Json, &ctx, evaluation),
    )?;
    folder.write(
        "license-report.md",
        &render_check(ReportFormat::Markdown, &ctx, evaluation),
    )?;
    folder.write("policy.toml", policy_text(policy)?.as_bytes())?;
    Ok(report)
}

/// The four statements: provenance, the two SBOMs, the license report. Each is about the
/// `--subject` files when given, else about the evidence itself.
fn statements(
    written: &Written,
    subjects: &[Subject],
    folder: &Folder,
    facts: &clearance_attest::provenance::RunFacts,
) -> Result<[(&'static str, Statement); 4], CommandError> {
    let about = |own: Vec<Subject>| {
        if subjects.is_empty() {
            own
        } else {
            subjects.to_vec()
        }
    };
    let evidence_files = folder
        .files
        .iter()
        .map(|f| Subject {
            name: f.path.clone(),
            sha256: f.sha256.clone(),
        })
        .collect();
    Ok([
        (
            "provenance",
            Statement::new(
                about(evidence_files),
                PredicateKind::Provenance,
                provenance_predicate(&|name| std::env::var(name).ok(), facts),
            ),
        ),
        (
            "sbom.cdx",
            Statement::new(
                about(vec![written.cdx.1.clone()]),
                PredicateKind::CycloneDx,
                folder.json_of(&written.cdx.0)?,
            ),
        ),
        (
            "sbom.spdx",
            Statement::new(
                about(vec![written.spdx.1.clone()]),
                PredicateKind::Spdx,
                folder.json_of(&written.spdx.0)?,
            ),
        ),
        (
            "license-report",
            Statement::new(
                about(vec![written.report.clone()]),
                PredicateKind::LicenseReport,
                folder.json_of("license-report.json")?,
            ),
        ),
    ])
}

/// Signs (or writes unsigned) each statement into the folder.
fn write_attestations(
    request: &ReleaseRequest<'_>,
    statements: &[(&'static str, Statement)],
    folder: &mut Folder,
) -> Result<(Vec<AttestationRecord>, Option<SigningRecord>), CommandError> {
    let mut attestations = Vec::new();
    let mut signing_record = None;
    for (name, statement) in statements {
        let (file, bytes) = match request.signing {
            Some(signing) => {
                let bundle = signing.sign_statement(statement)?;
                signing_record.get_or_insert_with(|| SigningRecord {
                    instance: request.instance.clone().unwrap_or_default(),
                    identity: bundle.identity.clone(),
                    issuer: bundle.issuer.clone(),
                });
                (format!("{name}.sigstore.json"), bundle.json)
            }
            None => (format!("{name}.intoto.json"), statement.to_json_pretty()),
        };
        folder.write(&file, &bytes)?;
        attestations.push(AttestationRecord {
            file,
            predicate_type: statement.kind.predicate_type().to_string(),
            subjects: statement
                .subjects
                .iter()
                .map(|s| FileRecord {
                    path: s.name.clone(),
                    sha256: s.sha256.clone(),
                })
                .collect(),
        });
    }
    Ok((attestations, signing_record))
}

fn store_error(e: StoreError) -> CommandError {
    let help = match e {
        StoreError::Io { .. } => "check that the evidence store is writable",
        StoreError::Conflict { .. } => {
            "the store was changed by hand: restore that folder from a backup, or record into \
             another --evidence"
        }
    };
    CommandError::Attest(Box::new(
        Diagnostic::error("evidence-store-write", e.to_string()).with_help(help),
    ))
}

fn product_of(inventory: &Inventory) -> Product {
    match inventory.primary_root() {
        Some(root) => Product {
            name: root.name.clone(),
            version: root.version.clone(),
        },
        None => Product {
            name: inventory.name.clone(),
            version: "0.0.0".to_string(),
        },
    }
}

fn policy_text(policy: &Policy) -> Result<String, CommandError> {
    if policy.path == Path::new(DEFAULT_POLICY_NAME) {
        return Ok(DEFAULT_POLICY.to_string());
    }
    std::fs::read_to_string(&policy.path).map_err(|e| io_error(&policy.path, e))
}

/// Puts the finished staging folder at `target` in one step (exchanging it with the old
/// folder when there is one), then removes the old folder.
fn put_in_place(staging: Staging, target: &Path) -> Result<(), CommandError> {
    let staged = staging.path().to_path_buf();
    let swapped = staging
        .rename_with(|staged| {
            set_dir_mode(staged);
            clearance_core::atomic::swap_dirs(staged, target)
        })
        .map_err(|e| io_error(target, e))?;
    if let Some(parent) = target.parent() {
        clearance_core::atomic::sync_dir(parent).map_err(|e| io_error(parent, e))?;
    }
    if swapped {
        let _ = std::fs::remove_dir_all(&staged);
    }
    Ok(())
}
