//! `clearance release`: the whole job of a release workflow in one run. One inventory, then
//! the CycloneDX and SPDX SBOMs, the license check (its findings decide the exit code),
//! NOTICE, THIRD_PARTY.md, the HTML report, the attestations (provenance for the subjects,
//! SBOM, license report), signed into bundles or written unsigned, `release.json` listing the
//! SHA-256 of every file, and a copy of all of it in the evidence store.
//!
//! Everything is written into a temporary directory beside `--out` and renamed into place
//! at the end, so a failed run leaves the previous output as it was, never a half-written
//! one; the evidence store gets its folder the same way.

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::attest::provenance::provenance_predicate;
use crate::attest::statement::{PredicateKind, Statement, Subject};
use crate::diag::Diagnostic;
use crate::inventory::Inventory;
use crate::policy::file::{DEFAULT_POLICY, DEFAULT_POLICY_NAME};
use crate::policy::{Policy, evaluate};
use crate::report::{Color, Context, ReportFormat, render_check};
use crate::sbom::{Format, WriteOptions, write_sbom};

use super::attest::{Signing, read_subjects, run_facts};
use super::{
    CommandError, InventorySource, PolicyChoice, TOOL_NAME, TOOL_VERSION, TimeRequirement, Verdict,
    creation_time, load_inventory, render_context, resolve_policy, time_requirement,
};

/// Schema name of `release.json`.
pub const RELEASE_SCHEMA: &str = "clearance-release/1";

/// The file every release folder is described by.
pub const RELEASE_FILE: &str = "release.json";

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
    pub evidence: Option<PathBuf>,
    /// Where license detection results are cached.
    pub cache: crate::license::cache::Cache,
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
    /// The release's folder in the evidence store, if one was written.
    pub record: Option<PathBuf>,
    /// The record written as `release.json`.
    pub release: ReleaseRecord,
    /// The license check's verdict.
    pub verdict: Verdict,
}

/// `release.json`.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ReleaseRecord {
    /// Always [`RELEASE_SCHEMA`].
    pub schema: String,
    /// The product released.
    pub product: Product,
    /// The source revision, when the workspace is a git checkout.
    pub git_commit: Option<String>,
    /// When the release was made (RFC 3339; `SOURCE_DATE_EPOCH` when set).
    pub time: String,
    /// The tool that made it.
    pub tool: Tool,
    /// `pass` or `fail`: the license check's verdict.
    pub verdict: String,
    /// The signature's identity, when signed.
    pub signing: Option<SigningRecord>,
    /// The attestations, each a bundle (or an unsigned statement) in the folder.
    pub attestations: Vec<AttestationRecord>,
    /// Every other file in the folder with its SHA-256, sorted by path.
    pub files: Vec<FileRecord>,
}

/// Name and version of what was released.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Product {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
}

/// Name and version of clearance.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Tool {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
}

/// Who signed.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct SigningRecord {
    /// The Sigstore instance.
    pub instance: String,
    /// The certificate identity (SAN).
    pub identity: String,
    /// The OIDC issuer.
    pub issuer: String,
}

/// One attestation of the release.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct AttestationRecord {
    /// The bundle (`.sigstore.json`) or unsigned statement (`.intoto.json`) in the folder.
    pub file: String,
    /// The predicate type.
    pub predicate_type: String,
    /// The subjects' names and SHA-256.
    pub subjects: Vec<FileRecord>,
}

/// A file and its digest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct FileRecord {
    /// Its path (relative to the release folder for the folder's files).
    pub path: String,
    /// Lower-case hex SHA-256.
    pub sha256: String,
}

struct Folder {
    dir: PathBuf,
    files: Vec<FileRecord>,
}

impl Folder {
    fn write(&mut self, name: &str, bytes: &[u8]) -> Result<Subject, CommandError> {
        std::fs::write(self.dir.join(name), bytes)
            .map_err(|e| io_error(&self.dir.join(name), e))?;
        let subject = Subject::from_bytes(name, bytes);
        self.files.push(FileRecord {
            path: name.to_string(),
            sha256: subject.sha256.clone(),
        });
        Ok(subject)
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

/// Runs `clearance release`.
pub fn release(request: &ReleaseRequest<'_>) -> Result<ReleaseOutput, CommandError> {
    let started =
        creation_time(request.epoch.as_deref(), TimeRequirement::Required)?.unwrap_or_default();
    let subjects = read_subjects(&request.subjects)?;

    (request.progress)("collecting the inventory");
    let inventory = load_inventory(&request.source)?;
    let policy = resolve_policy(&request.policy, &request.source)?;
    let product = product_of(&inventory);
    let stem = format!("{}-{}", product.name, product.version);

    let parent = request
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(|e| io_error(parent, e))?;
    let staging = tempfile::Builder::new()
        .prefix(".clearance-release-")
        .tempdir_in(parent)
        .map_err(|e| io_error(parent, e))?;
    let mut folder = Folder {
        dir: staging.path().to_path_buf(),
        files: Vec::new(),
    };

    (request.progress)("writing the SBOMs");
    let options = |format| -> Result<WriteOptions, CommandError> {
        Ok(WriteOptions {
            spec_version: None,
            created: creation_time(request.epoch.as_deref(), time_requirement(format))?,
            tool_name: TOOL_NAME.to_owned(),
            tool_version: TOOL_VERSION.to_owned(),
        })
    };
    let cdx_name = format!("{stem}.cdx.json");
    let spdx_name = format!("{stem}.spdx.json");
    let cdx = folder.write(
        &cdx_name,
        &write_sbom(
            &inventory,
            Format::CycloneDxJson,
            &options(Format::CycloneDxJson)?,
        )?,
    )?;
    let spdx = folder.write(
        &spdx_name,
        &write_sbom(&inventory, Format::SpdxJson, &options(Format::SpdxJson)?)?,
    )?;

    (request.progress)("checking licenses");
    let evidence = crate::evidence::gather_evidence(&inventory, &request.cache);
    let evaluation = evaluate(&policy, &inventory, Some(&evidence), request.today);
    let verdict = if evaluation.has_errors() {
        Verdict::Fail
    } else {
        Verdict::Pass
    };
    let policy_name = policy.path.display().to_string();
    let ctx = Context::new(policy_name.clone(), &inventory, TOOL_VERSION, Color::Never);
    let report = folder.write(
        "license-report.json",
        &render_check(ReportFormat::Json, &ctx, &evaluation),
    )?;
    folder.write(
        "license-report.md",
        &render_check(ReportFormat::Markdown, &ctx, &evaluation),
    )?;
    folder.write("policy.toml", policy_text(&policy)?.as_bytes())?;

    (request.progress)("rendering NOTICE, THIRD_PARTY.md and the report");
    let context = render_context(&inventory, &evidence, &evaluation, &policy);
    for (document, name) in [
        (crate::render::Document::Notice, "NOTICE"),
        (crate::render::Document::ThirdParty, "THIRD_PARTY.md"),
        (crate::render::Document::Report, "report.html"),
    ] {
        let text = crate::render::render(document, &context, None)?;
        folder.write(name, text.as_bytes())?;
    }

    (request.progress)(if request.signing.is_some() {
        "signing the attestations"
    } else {
        "writing the attestations (unsigned)"
    });
    let finished =
        creation_time(request.epoch.as_deref(), TimeRequirement::Required)?.unwrap_or_default();
    let evidence_files: Vec<Subject> = folder
        .files
        .iter()
        .map(|f| Subject {
            name: f.path.clone(),
            sha256: f.sha256.clone(),
        })
        .collect();
    let about = |own: Vec<Subject>| {
        if subjects.is_empty() {
            own
        } else {
            subjects.clone()
        }
    };
    let facts = run_facts(&request.source, "release", started.clone(), finished);
    let statements = [
        (
            "provenance",
            Statement::new(
                about(evidence_files),
                PredicateKind::Provenance,
                provenance_predicate(&|name| std::env::var(name).ok(), &facts),
            ),
        ),
        (
            "sbom.cdx",
            Statement::new(
                about(vec![cdx.clone()]),
                PredicateKind::CycloneDx,
                json_of(&folder, &cdx_name)?,
            ),
        ),
        (
            "sbom.spdx",
            Statement::new(
                about(vec![spdx.clone()]),
                PredicateKind::Spdx,
                json_of(&folder, &spdx_name)?,
            ),
        ),
        (
            "license-report",
            Statement::new(
                about(vec![report.clone()]),
                PredicateKind::LicenseReport,
                json_of(&folder, "license-report.json")?,
            ),
        ),
    ];
    let mut attestations = Vec::new();
    let mut signing_record = None;
    for (name, statement) in &statements {
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
        verdict: match verdict {
            Verdict::Pass => "pass",
            Verdict::Fail => "fail",
        }
        .to_string(),
        signing: signing_record,
        attestations,
        files,
    };
    let mut json = serde_json::to_vec_pretty(&record).expect("the record serialises");
    json.push(b'\n');
    std::fs::write(folder.dir.join(RELEASE_FILE), &json)
        .map_err(|e| io_error(&folder.dir.join(RELEASE_FILE), e))?;

    let record_dir = match &request.evidence {
        Some(store) => {
            (request.progress)("recording the release in the evidence store");
            Some(store_release(store, &folder.dir, &record)?)
        }
        None => None,
    };
    replace_dir(staging, &request.out)?;
    Ok(ReleaseOutput {
        out: request.out.clone(),
        record: record_dir,
        release: record,
        verdict,
    })
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

fn json_of(folder: &Folder, name: &str) -> Result<serde_json::Value, CommandError> {
    let bytes =
        std::fs::read(folder.dir.join(name)).map_err(|e| io_error(&folder.dir.join(name), e))?;
    Ok(serde_json::from_slice(&bytes).expect("clearance writes JSON"))
}

/// The folder name of a release in the evidence store: time first, so that names sort by
/// time, then product and version.
pub fn record_name(record: &ReleaseRecord) -> String {
    let time: String = record
        .time
        .chars()
        .map(|c| if c == ':' { '-' } else { c })
        .collect();
    format!("{time}_{}-{}", record.product.name, record.product.version)
}

fn store_release(
    store: &Path,
    folder: &Path,
    record: &ReleaseRecord,
) -> Result<PathBuf, CommandError> {
    std::fs::create_dir_all(store).map_err(|e| io_error(store, e))?;
    let target = store.join(record_name(record));
    let staging = tempfile::Builder::new()
        .prefix(".clearance-record-")
        .tempdir_in(store)
        .map_err(|e| io_error(store, e))?;
    for entry in std::fs::read_dir(folder).map_err(|e| io_error(folder, e))? {
        let entry = entry.map_err(|e| io_error(folder, e))?;
        std::fs::copy(entry.path(), staging.path().join(entry.file_name()))
            .map_err(|e| io_error(&entry.path(), e))?;
    }
    replace_dir(staging, &target)?;
    Ok(target)
}

/// Moves a finished temporary directory to `target`, replacing what was there.
fn replace_dir(staging: tempfile::TempDir, target: &Path) -> Result<(), CommandError> {
    let staged = staging.keep();
    set_dir_mode(&staged);
    if target.exists() {
        let old = target.with_extension("old-clearance");
        let _ = std::fs::remove_dir_all(&old);
        std::fs::rename(target, &old).map_err(|e| io_error(target, e))?;
        std::fs::rename(&staged, target).map_err(|e| io_error(target, e))?;
        let _ = std::fs::remove_dir_all(&old);
    } else {
        std::fs::rename(&staged, target).map_err(|e| io_error(target, e))?;
    }
    Ok(())
}

#[cfg(unix)]
fn set_dir_mode(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
}

#[cfg(not(unix))]
fn set_dir_mode(_dir: &Path) {}
