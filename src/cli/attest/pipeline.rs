//! `attest` and `sign`: in-toto statements built from what the other commands produce
//! (SBOMs, the license report, provenance of the run), and keyless signatures over
//! statements and files.
//!
//! [`Signing`] is one signing session: the instance's trust material, one identity token,
//! one signer. `release` signs several bundles through one session.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clearance_attest::instance::{Instance, InstanceError, TrustMaterial};
use clearance_attest::provenance::{RunFacts, provenance_predicate};
use clearance_attest::sign::{KeylessSigner, NetworkPolicy, SignError, SignedBundle, http_client};
use clearance_attest::statement::{PredicateKind, Statement, Subject};
use clearance_attest::token::{TokenError, TokenRequest, acquire};
use clearance_core::diag::{Diagnostic, Location};
use clearance_core::report::{Color, ReportFormat};
use clearance_core::sbom::Format;

use crate::cli::common::{
    CheckRequest, CommandError, InventorySource, PolicyChoice, SbomRequest, TOOL_VERSION,
    TimeRequirement, check, creation_time, sbom, time_requirement,
};

/// How to sign: which instance, which token, and the network's limits.
#[derive(Debug, Clone)]
pub struct SigningOptions {
    /// The Sigstore instance.
    pub instance: Instance,
    /// `--identity-token`, if given.
    pub identity_token: Option<String>,
    /// Timeouts and retries.
    pub network: NetworkPolicy,
}

/// One signing session: an identity token and a signer for one instance.
pub struct Signing {
    runtime: tokio::runtime::Runtime,
    signer: KeylessSigner,
}

fn diagnostic(code: &'static str, message: String, help: &str) -> CommandError {
    CommandError::Attest(Box::new(Diagnostic::error(code, message).with_help(help)))
}

impl From<InstanceError> for CommandError {
    fn from(e: InstanceError) -> Self {
        diagnostic("sigstore-instance", e.to_string(), e.help())
    }
}

impl From<TokenError> for CommandError {
    fn from(e: TokenError) -> Self {
        diagnostic("sigstore-identity-token", e.to_string(), e.help())
    }
}

impl From<SignError> for CommandError {
    fn from(e: SignError) -> Self {
        diagnostic("sigstore-signing", e.to_string(), e.help())
    }
}

impl Signing {
    /// Load the instance, find an identity token, and set up the signer.
    pub fn start(options: &SigningOptions) -> Result<Signing, CommandError> {
        let material = options.instance.load()?;
        Signing::with_material(options, &material)
    }

    /// As [`Signing::start`], with trust material already loaded.
    pub fn with_material(
        options: &SigningOptions,
        material: &TrustMaterial,
    ) -> Result<Signing, CommandError> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| diagnostic("sigstore-signing", e.to_string(), "retry"))?;
        let env = |name: &str| std::env::var(name).ok();
        let oidc_url = material
            .signing_config
            .as_ref()
            .and_then(|c| c.oidc_urls.first().map(|u| u.url.clone()));
        let request = TokenRequest {
            explicit: options.identity_token.clone(),
            env: &env,
            oidc_url,
            interactive: std::io::stdin().is_terminal() && std::io::stderr().is_terminal(),
            http: http_client(&options.network)?,
            attempts: options.network.attempts,
        };
        let token = runtime.block_on(acquire(&request))?;
        let signer = KeylessSigner::new(material, token, options.network)?;
        Ok(Signing { runtime, signer })
    }

    /// Sign a statement into a DSSE bundle (verified before it is returned).
    pub fn sign_statement(&self, statement: &Statement) -> Result<SignedBundle, CommandError> {
        let first = statement.subjects.first().ok_or_else(|| {
            diagnostic(
                "attest-no-subject",
                "a statement needs at least one subject".into(),
                "pass --subject FILE",
            )
        })?;
        let payload = statement.to_json();
        Ok(self
            .runtime
            .block_on(self.signer.sign_statement(&payload, &first.sha256))?)
    }

    /// Sign a file's bytes into a message-signature bundle (verified before it is returned).
    pub fn sign_blob(&self, bytes: &[u8]) -> Result<SignedBundle, CommandError> {
        Ok(self.runtime.block_on(self.signer.sign_blob(bytes))?)
    }
}

/// Runs `clearance sign`: a DSSE bundle when the file is an in-toto Statement v1, a
/// message-signature bundle otherwise.
pub fn sign_file(path: &Path, options: &SigningOptions) -> Result<SignedBundle, CommandError> {
    let bytes = std::fs::read(path).map_err(|e| {
        diagnostic(
            "sign-file-unreadable",
            format!("cannot read {}: {e}", path.display()),
            "pass a file that exists and can be read",
        )
    })?;
    let signing = Signing::start(options)?;
    match statement_subject(&bytes) {
        Some(subject_sha256) => Ok(signing
            .runtime
            .block_on(signing.signer.sign_statement(&bytes, &subject_sha256))?),
        None => signing.sign_blob(&bytes),
    }
}

/// The first subject's SHA-256 when `bytes` are an in-toto Statement v1.
fn statement_subject(bytes: &[u8]) -> Option<String> {
    let value: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    if value.get("_type")?.as_str()? != clearance_attest::statement::STATEMENT_TYPE {
        return None;
    }
    value
        .get("subject")?
        .as_array()?
        .iter()
        .find_map(|s| s.get("digest")?.get("sha256")?.as_str().map(str::to_string))
}

/// A signing session for a whole run. With `--sigstore dev`, the `clearance sigstore-dev`
/// server running in the instance directory is used; when none is, a local instance is
/// started in this process for the run (its state in the same directory, locked for the
/// run: a concurrent run waits for it) and signs with a token it mints itself, since it
/// trusts no other issuer. The instance stops when the session is dropped.
pub struct RunSigning {
    /// The session.
    pub signing: Signing,
    /// Where it signs, for messages and records.
    pub instance: String,
    _dev: Option<DevHandle>,
}

/// The options of a session signing through the local instance `dev`, with a token it
/// mints unless one was given.
#[cfg(feature = "sigstore-dev")]
fn signing_through(dev: &DevHandle, options: &SigningOptions) -> SigningOptions {
    SigningOptions {
        instance: Instance::File(dev.trust_config_path()),
        identity_token: Some(
            options
                .identity_token
                .clone()
                .unwrap_or_else(|| dev.mint_token(&sigstore_dev::TokenSpec::default())),
        ),
        network: options.network,
    }
}

#[cfg(not(feature = "sigstore-dev"))]
fn signing_through(dev: &DevHandle, _options: &SigningOptions) -> SigningOptions {
    match *dev {}
}

/// A local instance started for a run (built with the `sigstore-dev` feature).
#[cfg(feature = "sigstore-dev")]
type DevHandle = sigstore_dev::DevHandle;
/// Without the `sigstore-dev` feature no instance is started: `--sigstore dev` needs a
/// running `clearance sigstore-dev`.
#[cfg(not(feature = "sigstore-dev"))]
type DevHandle = std::convert::Infallible;

/// How long a run waits for another run's local instance to finish with the directory.
#[cfg(feature = "sigstore-dev")]
const DEV_WAIT: std::time::Duration = std::time::Duration::from_secs(600);

impl RunSigning {
    /// Start the session for `options`.
    pub fn start(options: &SigningOptions) -> Result<RunSigning, CommandError> {
        if options.instance != Instance::Dev {
            return Ok(RunSigning {
                signing: Signing::start(options)?,
                instance: options.instance.to_string(),
                _dev: None,
            });
        }
        let dir = clearance_attest::instance::dev_dir();
        let Some(dev) = start_dev_for_run(&dir)? else {
            return Ok(RunSigning {
                signing: Signing::start(options)?,
                instance: options.instance.to_string(),
                _dev: None,
            });
        };
        let local = signing_through(&dev, options);
        Ok(RunSigning {
            signing: Signing::start(&local)?,
            instance: format!("dev (started for this run, {})", dir.display()),
            _dev: Some(dev),
        })
    }
}

/// A local instance started for this run in `dir`, or `None` when a `clearance sigstore-dev`
/// server answers there. While another run's instance holds the directory, waits for it.
#[cfg(feature = "sigstore-dev")]
fn start_dev_for_run(dir: &Path) -> Result<Option<sigstore_dev::DevHandle>, CommandError> {
    use sigstore_dev::lock::{Holder, Role, holder};
    use sigstore_dev::{DevError, DevOptions, DevServer};
    let cannot_start = |e: DevError| {
        diagnostic(
            "sigstore-dev",
            format!(
                "cannot start the local Sigstore instance in {}: {e}",
                dir.display()
            ),
            "start it yourself with `clearance sigstore-dev`, or sign with another --sigstore",
        )
    };
    let waiting_since = std::time::Instant::now();
    let mut told = false;
    loop {
        if holder(dir) == Holder::Live(Role::Server) && dev_is_running() {
            return Ok(None);
        }
        let options = DevOptions {
            role: Role::Run,
            ..DevOptions::new(dir)
        };
        match DevServer::spawn(options) {
            Ok(dev) => return Ok(Some(dev)),
            Err(DevError::Busy(_)) if waiting_since.elapsed() < DEV_WAIT => {
                if !told {
                    eprintln!(
                        "waiting for another run's local Sigstore instance in {} to finish",
                        dir.display()
                    );
                    told = true;
                }
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            Err(e) => return Err(cannot_start(e)),
        }
    }
}

/// Without the `sigstore-dev` feature, only a running server is used.
#[cfg(not(feature = "sigstore-dev"))]
fn start_dev_for_run(_dir: &Path) -> Result<Option<DevHandle>, CommandError> {
    Ok(None)
}

/// Whether a `clearance sigstore-dev` answers at the address its trust config names.
#[cfg(feature = "sigstore-dev")]
fn dev_is_running() -> bool {
    let path =
        clearance_attest::instance::dev_dir().join(clearance_attest::instance::TRUST_CONFIG_FILE);
    let Ok(material) = clearance_attest::instance::load_client_trust_config(&path) else {
        return false;
    };
    let Some(url) = material
        .signing_config
        .as_ref()
        .and_then(|c| c.fulcio_url().map(|e| e.url.clone()))
    else {
        return false;
    };
    let authority = url
        .split("://")
        .nth(1)
        .unwrap_or_default()
        .split('/')
        .next()
        .unwrap_or_default()
        .to_string();
    use std::net::ToSocketAddrs;
    authority
        .to_socket_addrs()
        .ok()
        .and_then(|mut addrs| addrs.next())
        .is_some_and(|addr| {
            std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(300))
                .is_ok()
        })
}

/// What `clearance attest` needs.
#[derive(Debug, Clone)]
pub struct AttestRequest {
    /// The predicate to attest.
    pub kind: PredicateKind,
    /// The files the statement is about.
    pub subjects: Vec<PathBuf>,
    /// An existing document to use as the predicate, instead of generating it.
    pub predicate_file: Option<PathBuf>,
    /// The workspace (or SBOM) that SBOM and license-report predicates are made from.
    pub source: InventorySource,
    /// The policy of a license-report predicate.
    pub policy: PolicyChoice,
    /// The license detection cache.
    pub cache: clearance_core::license::cache::Cache,
    /// The day exceptions are checked against.
    pub today: time::Date,
    /// `SOURCE_DATE_EPOCH`, if set.
    pub epoch: Option<String>,
    /// Sign, and how; `None` writes the unsigned statement.
    pub signing: Option<SigningOptions>,
}

/// What `clearance attest` produced.
#[derive(Debug)]
pub struct AttestOutput {
    /// The bundle (signed) or the statement (unsigned).
    pub document: Vec<u8>,
    /// The signature's identity, when signed.
    pub signed: Option<SignedBundle>,
}

/// The subjects for `--subject` files, each with the SHA-256 of its bytes.
pub fn read_subjects(paths: &[PathBuf]) -> Result<Vec<Subject>, CommandError> {
    paths
        .iter()
        .map(|path| Subject::from_file(path))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| {
            diagnostic(
                "attest-subject-unreadable",
                e.to_string(),
                "pass files that exist and can be read (--subject FILE)",
            )
        })
}

/// Runs `clearance attest`.
pub fn attest(request: &AttestRequest) -> Result<AttestOutput, CommandError> {
    let started = creation_time(request.epoch.as_deref(), TimeRequirement::Required)?;
    let subjects = read_subjects(&request.subjects)?;
    let predicate = match request.kind {
        PredicateKind::Provenance => {
            let finished = creation_time(request.epoch.as_deref(), TimeRequirement::Required)?;
            let facts = run_facts(
                &request.source,
                "attest",
                started.unwrap_or_default(),
                finished.unwrap_or_default(),
            );
            provenance_predicate(&|name| std::env::var(name).ok(), &facts)
        }
        kind => match &request.predicate_file {
            Some(path) => predicate_from_file(kind, path)?,
            None => generated_predicate(kind, request)?,
        },
    };
    let statement = Statement::new(subjects, request.kind, predicate);
    match &request.signing {
        None => Ok(AttestOutput {
            document: statement.to_json_pretty(),
            signed: None,
        }),
        Some(options) => {
            let bundle = Signing::start(options)?.sign_statement(&statement)?;
            Ok(AttestOutput {
                document: bundle.json.clone(),
                signed: Some(bundle),
            })
        }
    }
}

/// The predicate generated from the workspace: its SBOM, or its license check report.
fn generated_predicate(
    kind: PredicateKind,
    request: &AttestRequest,
) -> Result<serde_json::Value, CommandError> {
    let bytes = match kind {
        PredicateKind::LicenseReport => {
            check(&CheckRequest {
                source: request.source.clone(),
                policy: request.policy.clone(),
                format: ReportFormat::Json,
                color: Color::Never,
                today: request.today,
                cache: request.cache.clone(),
            })?
            .report
        }
        sbom_kind => {
            let format = match sbom_kind {
                PredicateKind::Spdx => Format::SpdxJson,
                PredicateKind::Spdx3 => Format::Spdx3Json,
                _ => Format::CycloneDxJson,
            };
            sbom(&SbomRequest {
                source: request.source.clone(),
                format,
                spec_version: None,
                created: creation_time(request.epoch.as_deref(), time_requirement(format))?,
            })?
            .document
        }
    };
    Ok(serde_json::from_slice(&bytes).expect("clearance writes JSON"))
}

/// A predicate read from a file, checked to be the kind of document it claims to be.
pub fn predicate_from_file(
    kind: PredicateKind,
    path: &Path,
) -> Result<serde_json::Value, CommandError> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        diagnostic(
            "attest-predicate-unreadable",
            format!("cannot read {}: {e}", path.display()),
            "pass --predicate-file with a file that exists",
        )
    })?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
        CommandError::Attest(Box::new(
            Diagnostic::error("attest-predicate-malformed", format!("{e}"))
                .at(Location::from_line_column(
                    path,
                    &text,
                    e.line(),
                    e.column(),
                ))
                .with_help("the predicate file must be a JSON document"),
        ))
    })?;
    let found = document_kind(&value);
    if found != Some(kind) {
        return Err(diagnostic(
            "attest-predicate-kind",
            format!(
                "{} is {}, not a {} document",
                path.display(),
                found.map_or("not a document clearance recognises", |k| k.short_name()),
                kind.short_name()
            ),
            "pass a CycloneDX JSON file for cyclonedx, SPDX 2 JSON for spdx, SPDX 3 JSON-LD \
             for spdx3, `clearance check --format json` output for license-report",
        ));
    }
    Ok(value)
}

fn document_kind(value: &serde_json::Value) -> Option<PredicateKind> {
    if value.get("bomFormat").and_then(|v| v.as_str()) == Some("CycloneDX") {
        Some(PredicateKind::CycloneDx)
    } else if value.get("spdxVersion").is_some() {
        Some(PredicateKind::Spdx)
    } else if value.get("@context").is_some() && value.get("@graph").is_some() {
        Some(PredicateKind::Spdx3)
    } else if value.get("schema").and_then(|v| v.as_str()) == Some("clearance-check/1") {
        Some(PredicateKind::LicenseReport)
    } else {
        None
    }
}

/// What provenance records about this run beyond the CI environment: the workspace's git
/// commit and remote, and the lockfile's digest.
pub fn run_facts(
    source: &InventorySource,
    command: &str,
    started_on: String,
    finished_on: String,
) -> RunFacts {
    let dir = match source {
        InventorySource::Cargo(options) => options
            .manifest_path
            .as_deref()
            .and_then(Path::parent)
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from(".")),
        InventorySource::Sbom(_) => PathBuf::from("."),
    };
    let dir = if dir.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        dir
    };
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .args(args)
            .current_dir(&dir)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
    };
    let inputs = lockfile(&dir)
        .and_then(|path| Subject::from_file(&path).ok())
        .map(|s| vec![("Cargo.lock".to_string(), s.sha256)])
        .unwrap_or_default();
    RunFacts {
        command: command.to_string(),
        tool_version: TOOL_VERSION.to_string(),
        git_commit: git(&["rev-parse", "HEAD"]),
        git_remote: git(&["remote", "get-url", "origin"]).map(|url| without_credentials(&url)),
        inputs,
        started_on,
        finished_on,
    }
}

/// The workspace's `Cargo.lock`: beside the manifest or in a parent directory.
fn lockfile(dir: &Path) -> Option<PathBuf> {
    let absolute = std::path::absolute(dir).ok()?;
    absolute
        .ancestors()
        .map(|d| d.join("Cargo.lock"))
        .find(|p| p.is_file())
}

/// A remote URL without any `user:password@` part.
fn without_credentials(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.split_once('@') {
            Some((userinfo, host)) if !userinfo.contains('/') => format!("{scheme}://{host}"),
            _ => url.to_string(),
        },
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_credentials_are_dropped() {
        assert_eq!(
            without_credentials("https://user:secret@github.com/acme/app.git"),
            "https://github.com/acme/app.git"
        );
        assert_eq!(
            without_credentials("https://github.com/acme/app.git"),
            "https://github.com/acme/app.git"
        );
        assert_eq!(
            without_credentials("git@github.com:acme/app.git"),
            "git@github.com:acme/app.git"
        );
    }

    #[test]
    fn documents_are_recognised_by_shape() {
        let kind = |v| document_kind(&v);
        assert_eq!(
            kind(serde_json::json!({"bomFormat": "CycloneDX"})),
            Some(PredicateKind::CycloneDx)
        );
        assert_eq!(
            kind(serde_json::json!({"spdxVersion": "SPDX-2.3"})),
            Some(PredicateKind::Spdx)
        );
        assert_eq!(kind(serde_json::json!({"schema": "x"})), None);
    }
}
