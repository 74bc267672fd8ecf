//! `clearance sigstore-dev`: a local, untrusted Sigstore instance on 127.0.0.1, for
//! developers' laptops and for tests. One HTTP server on one port serves three services:
//!
//! - an OIDC issuer of GitHub-Actions-shaped tokens, with the Actions token endpoint
//!   (`GET /token`), discovery and JWKS ([`oidc`]);
//! - a certificate authority speaking Fulcio's v2 protocol ([`fulcio`]);
//! - a transparency log speaking Rekor's v1 protocol ([`rekor`], on an RFC 6962 tree).
//!
//! The instance writes `trusted_root.json`, `signing_config.json` and `trust_config.json`
//! into its directory ([`trust`]); its log persists there as `log.jsonl`. Private keys are
//! generated at every start and never written, printed or logged: a restart brings new keys,
//! and the trusted root keeps the earlier ones (closed at the restart) so that bundles made
//! before still verify.
//!
//! # Use
//!
//! From async code, [`DevServer::start`] runs the instance on the current tokio runtime
//! until [`DevServer::shutdown`]. From synchronous code (and tests), [`DevServer::spawn`]
//! runs it on a thread of its own and stops it when the [`DevHandle`] is dropped. Both
//! dereference to [`DevInstance`], which has what a client needs:
//!
//! ```no_run
//! use sigstore_dev::{DevOptions, DevServer, TokenSpec};
//!
//! let dev = DevServer::spawn(DevOptions::new("target/sigstore-dev"))?;
//! let fulcio_and_rekor = dev.url();                 // http://127.0.0.1:PORT
//! let trust_config = dev.trust_config_path();       // for --sigstore / --trust-config
//! let token = dev.mint_token(&TokenSpec::default()); // or GET through dev.actions_env()
//! let (san, issuer) = (dev.certificate_identity(), dev.certificate_issuer());
//! # let _ = (fulcio_and_rekor, trust_config, token, san, issuer);
//! # Ok::<(), sigstore_dev::DevError>(())
//! ```
//!
//! [`serve_until_signal`] is the `clearance sigstore-dev` command itself.
//!
//! Two instances never share a directory at the same time ([`lock`]): each would close the
//! other's validity periods and interleave log lines. The second one to start gets
//! [`DevError::Busy`].

pub mod fulcio;
mod http;
mod keys;
pub mod lock;
mod merkle;
pub mod oidc;
pub mod rekor;
pub mod trust;

use std::net::{Ipv4Addr, SocketAddr};
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

pub use oidc::{GITHUB_ISSUER, GitHubIdentity, TokenLifetime, TokenSigner, TokenSpec};
pub use trust::TrustFiles;

/// Unix time in seconds.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// How to run an instance.
#[derive(Debug, Clone)]
pub struct DevOptions {
    /// Directory of the trust files and the log (created if missing).
    pub dir: PathBuf,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// The GitHub Actions job the instance's tokens describe.
    pub identity: GitHubIdentity,
    /// Whom it serves: recorded in its directory's lock file for other runs to see.
    pub role: lock::Role,
}

impl DevOptions {
    /// `dir`, an ephemeral port, the default identity.
    pub fn new(dir: impl Into<PathBuf>) -> DevOptions {
        DevOptions {
            dir: dir.into(),
            port: 0,
            identity: GitHubIdentity::default(),
            role: lock::Role::Server,
        }
    }
}

/// Why an instance could not start.
#[derive(Debug, thiserror::Error)]
pub enum DevError {
    /// The directory could not be created.
    #[error("cannot create {path}: {source}")]
    Dir {
        /// The directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The port could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The I/O error.
        source: std::io::Error,
    },
    /// Key generation failed.
    #[error("cannot generate keys: {0}")]
    Keys(#[from] spki::Error),
    /// The CA could not be created.
    #[error(transparent)]
    Ca(#[from] fulcio::CaError),
    /// The stored log could not be opened.
    #[error(transparent)]
    Log(#[from] rekor::LogError),
    /// The trust files could not be written.
    #[error(transparent)]
    Trust(#[from] trust::TrustError),
    /// Another live instance uses the directory.
    #[error(
        "another local Sigstore instance is running in {0} (see {lock} there)",
        lock = lock::LOCK_FILE
    )]
    Busy(PathBuf),
    /// The async runtime or its thread could not be started.
    #[error("cannot start the server runtime: {0}")]
    Runtime(std::io::Error),
}

/// The state the handlers share.
pub(crate) struct Instance {
    base_url: String,
    identity: GitHubIdentity,
    issuer: oidc::Issuer,
    ca: fulcio::CertificateAuthority,
    log: rekor::Log,
}

/// What clients need to know about a running instance.
#[derive(Clone)]
pub struct DevInstance {
    instance: Arc<Instance>,
    dir: PathBuf,
    files: TrustFiles,
}

impl std::fmt::Debug for DevInstance {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DevInstance")
            .field("url", &self.url())
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl DevInstance {
    /// `http://127.0.0.1:PORT`: the OIDC issuer, Fulcio and Rekor base URL.
    pub fn url(&self) -> String {
        self.instance.base_url.clone()
    }

    /// The instance directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The ClientTrustConfig (`trust_config.json`).
    pub fn trust_config_path(&self) -> PathBuf {
        self.files.trust_config.clone()
    }

    /// The trusted root (`trusted_root.json`).
    pub fn trusted_root_path(&self) -> PathBuf {
        self.files.trusted_root.clone()
    }

    /// The signing config (`signing_config.json`).
    pub fn signing_config_path(&self) -> PathBuf {
        self.files.signing_config.clone()
    }

    /// The environment of a GitHub Actions job with `id-token: write`:
    /// `ACTIONS_ID_TOKEN_REQUEST_URL` and `ACTIONS_ID_TOKEN_REQUEST_TOKEN`.
    pub fn actions_env(&self) -> Vec<(String, String)> {
        vec![
            (
                "ACTIONS_ID_TOKEN_REQUEST_URL".into(),
                format!("{}/token?api-version=2.0", self.instance.base_url),
            ),
            (
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN".into(),
                self.instance.issuer.request_token().into(),
            ),
        ]
    }

    /// The job the instance's tokens describe.
    pub fn identity(&self) -> &GitHubIdentity {
        &self.instance.identity
    }

    /// The certificate identity (URI SAN) a verifier should expect.
    pub fn certificate_identity(&self) -> String {
        self.instance.identity.certificate_identity()
    }

    /// The OIDC issuer a verifier should expect.
    pub fn certificate_issuer(&self) -> &'static str {
        GITHUB_ISSUER
    }

    /// Number of entries in the transparency log.
    pub fn log_size(&self) -> u64 {
        self.instance.log.size()
    }

    /// An identity token as `spec` says (expired, wrong audience, unknown key...).
    pub fn mint_token(&self, spec: &TokenSpec) -> String {
        let identity = spec.identity.as_ref().unwrap_or(&self.instance.identity);
        self.instance.issuer.mint(spec, identity, unix_now())
    }
}

/// A running instance on the current tokio runtime.
pub struct DevServer {
    instance: DevInstance,
    _lock: std::fs::File,
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Deref for DevServer {
    type Target = DevInstance;

    fn deref(&self) -> &DevInstance {
        &self.instance
    }
}

impl DevServer {
    /// Starts an instance: binds 127.0.0.1, generates keys, opens the log, writes the trust
    /// files, serves.
    pub async fn start(options: DevOptions) -> Result<DevServer, DevError> {
        std::fs::create_dir_all(&options.dir).map_err(|source| DevError::Dir {
            path: options.dir.clone(),
            source,
        })?;
        let dir_error = |source| DevError::Dir {
            path: options.dir.clone(),
            source,
        };
        let lock = lock::take(&options.dir, options.role)
            .map_err(dir_error)?
            .ok_or_else(|| DevError::Busy(options.dir.clone()))?;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, options.port));
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| DevError::Bind { addr, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| DevError::Bind { addr, source })?;
        let started = unix_now();
        let ca = fulcio::CertificateAuthority::generate(started.unsigned_abs())?;
        let log = rekor::Log::open(&options.dir, keys::KeyPair::generate()?, addr.to_string())?;
        let base_url = format!("http://{addr}");
        let files = trust::write_trust_files(
            &options.dir,
            &trust::PublicMaterial {
                base_url: &base_url,
                ca_root_der: ca.root_der(),
                log_key: log.key(),
                ct_key: ca.ct_key(),
                started,
            },
        )?;
        let instance = Arc::new(Instance {
            base_url,
            identity: options.identity,
            issuer: oidc::Issuer::generate()?,
            ca,
            log,
        });
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let app = router(Arc::clone(&instance));
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
        });
        Ok(DevServer {
            instance: DevInstance {
                instance,
                dir: options.dir,
                files,
            },
            _lock: lock,
            stop,
            task,
        })
    }

    /// Stops serving and waits for open connections to finish.
    pub async fn shutdown(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }

    /// Starts an instance on a thread with its own runtime; it stops when the handle drops.
    pub fn spawn(options: DevOptions) -> Result<DevHandle, DevError> {
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("sigstore-dev".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        let _ = started_tx.send(Err(DevError::Runtime(e)));
                        return;
                    }
                };
                runtime.block_on(async move {
                    match DevServer::start(options).await {
                        Ok(server) => {
                            let _ = started_tx.send(Ok(server.instance.clone()));
                            let _ = stopped.await;
                            server.shutdown().await;
                        }
                        Err(e) => {
                            let _ = started_tx.send(Err(e));
                        }
                    }
                });
            })
            .map_err(DevError::Runtime)?;
        let instance = started_rx.recv().map_err(|_| {
            DevError::Runtime(std::io::Error::other("the server thread ended early"))
        })??;
        Ok(DevHandle {
            instance,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

/// A running instance on its own thread; dropping it stops the server.
pub struct DevHandle {
    instance: DevInstance,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Deref for DevHandle {
    type Target = DevInstance;

    fn deref(&self) -> &DevInstance {
        &self.instance
    }
}

impl Drop for DevHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The largest entry the log accepts, as the public-good Rekor's ingress (32 MiB): an
/// attestation carries its whole predicate, and an SBOM of a large graph is megabytes.
const REKOR_MAX_BODY: usize = 32 << 20;

fn router(instance: Arc<Instance>) -> Router {
    Router::new()
        .route("/.well-known/openid-configuration", get(oidc::discovery))
        .route("/.well-known/jwks", get(oidc::jwks))
        .route("/token", get(oidc::token))
        .route("/api/v2/signingCert", post(fulcio::signing_cert))
        .route("/api/v2/trustBundle", get(fulcio::trust_bundle))
        .route("/api/v2/configuration", get(fulcio::configuration))
        .route("/api/v1/log", get(rekor::log_info))
        .route("/api/v1/log/publicKey", get(rekor::public_key))
        .route(
            "/api/v1/log/entries",
            post(rekor::create_entry)
                .get(rekor::entry_by_index)
                .layer(axum::extract::DefaultBodyLimit::max(REKOR_MAX_BODY)),
        )
        .route("/api/v1/log/entries/{uuid}", get(rekor::entry_by_uuid))
        .fallback(http::not_found)
        .with_state(instance)
}

/// What `clearance sigstore-dev` prints once the instance is up: an UNTRUSTED banner, the
/// endpoints, the files, the Actions environment, and how to point clients at it.
pub fn banner(dev: &DevInstance) -> String {
    use std::fmt::Write;
    let url = dev.url();
    let dir = dev.dir().display();
    let trust_config = dev.trust_config_path();
    let identity = dev.identity();
    let san = dev.certificate_identity();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\
clearance sigstore-dev: a LOCAL, UNTRUSTED Sigstore instance, for development and tests only.
Its keys are new at every start and exist only in this process: nothing it signs is trusted
anywhere but where you point a verifier at {trust}.

Services on {url}
  OIDC issuer    {url}/.well-known/openid-configuration (tokens with iss {GITHUB_ISSUER})
  Fulcio (CA)    {url}/api/v2/signingCert
  Rekor (log)    {url}/api/v1/log/entries ({size} entries)

Files in {dir}
  {trusted_root:<20} the trusted root (this and earlier starts' public keys)
  {signing_config:<20} the service URLs
  {trust_config_name:<20} both, as a ClientTrustConfig
  {log_file:<20} the transparency log's entries

Identity tokens, as a GitHub Actions job of {repository} at {git_ref} ({sha}):
  export ACTIONS_ID_TOKEN_REQUEST_URL='{request_url}'
  export ACTIONS_ID_TOKEN_REQUEST_TOKEN='{request_token}'

Point clearance at it:
  --sigstore {sigstore_arg}
Verify with sigstore-python, offline:
  sigstore --trust-config {trust} verify identity --offline \\
    --cert-identity '{san}' \\
    --cert-oidc-issuer {GITHUB_ISSUER} --bundle FILE.sigstore.json FILE

Serving until Ctrl-C.",
        trust = trust_config.display(),
        size = dev.log_size(),
        trusted_root = trust::TRUSTED_ROOT_FILE,
        signing_config = trust::SIGNING_CONFIG_FILE,
        trust_config_name = clearance_attest::instance::TRUST_CONFIG_FILE,
        log_file = rekor::LOG_FILE,
        repository = identity.repository,
        git_ref = identity.git_ref,
        sha = identity.sha,
        request_url = dev.actions_env()[0].1,
        request_token = dev.actions_env()[1].1,
        sigstore_arg = if dev.dir() == clearance_attest::instance::dev_dir() {
            "dev".to_string()
        } else {
            trust_config.display().to_string()
        },
    );
    out
}

/// Runs `clearance sigstore-dev`: starts the instance, prints [`banner`] to `out`, serves
/// until Ctrl-C or SIGTERM.
pub fn serve_until_signal(
    options: DevOptions,
    out: &mut dyn std::io::Write,
) -> Result<(), DevError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(DevError::Runtime)?;
    runtime.block_on(async {
        let server = DevServer::start(options).await?;
        out.write_all(banner(&server).as_bytes())
            .and_then(|()| out.flush())
            .map_err(DevError::Runtime)?;
        stop_signal().await;
        server.shutdown().await;
        Ok(())
    })
}

async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = terminate.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
