//! Keyless signing: an ephemeral P-256 key, a short-lived Fulcio certificate for the
//! identity token, a Rekor v1 entry, and a Sigstore bundle v0.3 (message signature for a
//! blob, DSSE envelope for an in-toto statement).
//!
//! The signing library does not re-check what it made, so every bundle is verified here
//! against the instance's trusted root before it is handed back: a bundle that would not
//! verify is never written. Service calls have a timeout (on the HTTP client the caller
//! builds with [`http_client`]), and a signing attempt that fails on a connection error or a
//! 5xx answer is retried with backoff a bounded number of times. A timeout is not retried: it
//! already cost the whole timeout, and the caller is told at once.

use std::time::Duration;

use sigstore_sign::rekor::RekorApiVersion;
use sigstore_sign::{SigningContext, SigningServices, reqwest};
use sigstore_trust_root::SigningConfig;
use sigstore_types::{Artifact, Bundle, Sha256Hash};
use sigstore_verify::{VerificationPolicy, Verifier};

use super::instance::TrustMaterial;
use super::token::{Token, backoff, redact};

/// Timeouts and retries for the signing services.
#[derive(Debug, Clone, Copy)]
pub struct NetworkPolicy {
    /// Per-request timeout.
    pub timeout: Duration,
    /// How many times to try one signing operation.
    pub attempts: u32,
}

impl Default for NetworkPolicy {
    fn default() -> Self {
        NetworkPolicy {
            timeout: Duration::from_secs(30),
            attempts: 3,
        }
    }
}

/// An HTTP client with the policy's timeouts.
pub fn http_client(policy: &NetworkPolicy) -> Result<reqwest::Client, SignError> {
    reqwest::Client::builder()
        .timeout(policy.timeout)
        .connect_timeout(policy.timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("clearance/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| SignError::Setup(e.to_string()))
}

/// Why signing failed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The instance has no signing config (a bare trusted root, or an instance without one).
    #[error("{0} has no signing config: it names no Fulcio or Rekor to sign with")]
    NoSigningConfig(String),
    /// The signing config or HTTP client could not be set up.
    #[error("cannot set up signing: {0}")]
    Setup(String),
    /// A service failed (after retries, where they apply).
    #[error("signing failed: {message}")]
    Service {
        /// What failed, with the token scrubbed out.
        message: String,
        /// How many attempts were made.
        attempts: u32,
    },
    /// A service did not answer within the timeout.
    #[error("signing failed: {0} did not answer within {1:?}")]
    Timeout(&'static str, Duration),
    /// The bundle that came back does not verify against the instance's trusted root.
    #[error("the new bundle does not verify against {origin}: {message}")]
    SelfCheck {
        /// The trust material's origin.
        origin: String,
        /// Why.
        message: String,
    },
}

impl SignError {
    /// What the user can do about it.
    pub fn help(&self) -> &'static str {
        match self {
            SignError::NoSigningConfig(_) => {
                "use --sigstore public-good|staging|dev or a ClientTrustConfig with a signingConfig"
            }
            SignError::Setup(_) => "check the signing config's URLs",
            SignError::Service { .. } | SignError::Timeout(..) => {
                "check that the Sigstore instance is reachable and retry; nothing was written"
            }
            SignError::SelfCheck { .. } => {
                "the instance's services do not match its trusted root; nothing was written"
            }
        }
    }
}

/// A verified bundle, ready to write.
#[derive(Debug, Clone)]
pub struct SignedBundle {
    /// The bundle's JSON.
    pub json: Vec<u8>,
    /// The certificate identity (SAN).
    pub identity: String,
    /// The OIDC issuer in the certificate.
    pub issuer: String,
}

/// Signs with one identity token against one instance.
pub struct KeylessSigner {
    context: SigningContext,
    verifier: Verifier,
    token: Token,
    origin: String,
    policy: NetworkPolicy,
}

/// The service that failed, from the library's error.
fn service_name(error: &sigstore_sign::Error) -> &'static str {
    match error {
        sigstore_sign::Error::Fulcio(_) => "Fulcio",
        sigstore_sign::Error::Rekor(_) => "Rekor",
        sigstore_sign::Error::Tsa(_) => "the timestamp authority",
        _ => "the signing service",
    }
}

/// What a service error says, for people: the token scrubbed out, and the service's own
/// words (an HTTP error body is part of the library's message) made inert, so that an
/// answer cannot print escape sequences or lines of its own on the user's terminal or log.
fn service_message(error: &sigstore_sign::Error, token: &str) -> String {
    clearance_core::term::inert(&redact(&error.to_string(), token)).into_owned()
}

/// Whether an error is worth another attempt: a connection that failed fast, or a 5xx
/// answer.
fn is_transient(error: &sigstore_sign::Error) -> bool {
    use sigstore_sign::Error;
    match error {
        Error::Fulcio(sigstore_sign::fulcio::Error::Status { status, .. })
        | Error::Rekor(sigstore_sign::rekor::Error::Status { status, .. }) => *status >= 500,
        Error::Fulcio(sigstore_sign::fulcio::Error::Http(_))
        | Error::Rekor(sigstore_sign::rekor::Error::Http(_)) => true,
        _ => false,
    }
}

/// Whether a transport error took the whole timeout: the service accepted the connection
/// (or never refused it) and did not answer. The library keeps only the message of a
/// transport error, so the time it took is what tells a timeout from a refusal.
fn timed_out(error: &sigstore_sign::Error, took: Duration, timeout: Duration) -> bool {
    use sigstore_sign::Error;
    matches!(
        error,
        Error::Fulcio(sigstore_sign::fulcio::Error::Http(_))
            | Error::Rekor(sigstore_sign::rekor::Error::Http(_))
    ) && took >= timeout
}

/// The services to sign with: the signing config's Fulcio, its preferred Rekor, and its
/// timestamp authority when it lists one. (The library's own selection insists on a TSA, which
/// a Rekor v1 log does not need: its signed entry timestamp proves the signing time.)
fn services_of(config: &SigningConfig) -> Result<SigningServices, SignError> {
    let missing =
        |what: &str| SignError::Setup(format!("the signing config lists no valid {what}"));
    let fulcio = config
        .fulcio_url()
        .ok_or_else(|| missing("Fulcio (caUrls)"))?;
    let rekor = config
        .rekor_url(None)
        .ok_or_else(|| missing("Rekor (rekorTlogUrls)"))?;
    let version = RekorApiVersion::from_major(rekor.major_api_version).ok_or_else(|| {
        SignError::Setup(format!(
            "Rekor API version {} is not supported",
            rekor.major_api_version
        ))
    })?;
    let mut services =
        SigningServices::new(&fulcio.url, &rekor.url).with_rekor(&rekor.url, version);
    if let Some(tsa) = config.tsa_url() {
        services = services.with_tsa_url(&tsa.url);
    }
    if let Some(oidc) = config.oidc_url() {
        services = services.with_oidc_url(&oidc.url);
    }
    services
        .validate()
        .map_err(|e| SignError::Setup(e.to_string()))?;
    Ok(services)
}

impl KeylessSigner {
    /// A signer for `token` against the instance described by `material`.
    pub fn new(
        material: &TrustMaterial,
        token: Token,
        policy: NetworkPolicy,
    ) -> Result<KeylessSigner, SignError> {
        let config = material
            .signing_config
            .as_ref()
            .ok_or_else(|| SignError::NoSigningConfig(material.origin.clone()))?;
        let services = services_of(config)?;
        let context = SigningContext::new(services).with_http_client(http_client(&policy)?);
        let verifier = Verifier::new(&material.trusted_root).map_err(|e| SignError::SelfCheck {
            origin: material.origin.clone(),
            message: e.to_string(),
        })?;
        Ok(KeylessSigner {
            context,
            verifier,
            token,
            origin: material.origin.clone(),
            policy,
        })
    }

    /// Sign a blob into a message-signature bundle.
    pub async fn sign_blob(&self, bytes: &[u8]) -> Result<SignedBundle, SignError> {
        let signer = self.context.signer(self.token.token.clone());
        let bundle = self
            .with_retries(|| async { signer.sign(bytes).await })
            .await?;
        self.checked(bundle, Artifact::from_blob(bytes))
    }

    /// Sign an in-toto statement into a DSSE bundle. `subject_sha256` is one of its
    /// subjects' digests, which the self-check binds the bundle to.
    pub async fn sign_statement(
        &self,
        statement: &[u8],
        subject_sha256: &str,
    ) -> Result<SignedBundle, SignError> {
        let digest = Sha256Hash::from_hex(subject_sha256).map_err(|e| SignError::SelfCheck {
            origin: self.origin.clone(),
            message: format!("subject digest: {e}"),
        })?;
        let signer = self.context.signer(self.token.token.clone());
        let bundle = self
            .with_retries(|| async { signer.sign_raw_statement(statement).await })
            .await?;
        self.checked(bundle, Artifact::from_digest(digest))
    }

    async fn with_retries<F, Fut>(&self, mut attempt: F) -> Result<Bundle, SignError>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = sigstore_sign::Result<Bundle>>,
    {
        let attempts = self.policy.attempts.max(1);
        let mut tries = 0;
        loop {
            tries += 1;
            let started = std::time::Instant::now();
            match attempt().await {
                Ok(bundle) => return Ok(bundle),
                Err(e) if timed_out(&e, started.elapsed(), self.policy.timeout) => {
                    return Err(SignError::Timeout(service_name(&e), self.policy.timeout));
                }
                Err(e) if is_transient(&e) && tries < attempts => {
                    tokio::time::sleep(backoff(tries)).await;
                }
                Err(e) => {
                    return Err(SignError::Service {
                        message: service_message(&e, self.token.token.expose_secret()),
                        attempts: tries,
                    });
                }
            }
        }
    }

    /// 1. Verify the bundle against the instance's trusted root (chain, SCT, log inclusion,
    ///    SET, signature, artifact binding), with no identity constraint yet;
    /// 2. check that the certificate names the token's issuer;
    /// 3. serialise it.
    fn checked(&self, bundle: Bundle, artifact: Artifact<'_>) -> Result<SignedBundle, SignError> {
        let failed = |message: String| SignError::SelfCheck {
            origin: self.origin.clone(),
            message,
        };
        let result = self
            .verifier
            .verify(artifact, &bundle, &VerificationPolicy::any_identity())
            .map_err(|e| failed(clearance_core::term::inert(&e.to_string()).into_owned()))?;
        let issuer = result.issuer().unwrap_or_default().to_string();
        if issuer != self.token.token.issuer() {
            return Err(failed(format!(
                "the certificate names issuer `{issuer}`, the token `{}`",
                self.token.token.issuer()
            )));
        }
        let identity = result
            .identity()
            .map(|san| san.as_str().to_string())
            .ok_or_else(|| failed("the certificate names no identity".into()))?;
        let mut json = bundle
            .to_json_pretty()
            .map_err(|e| failed(e.to_string()))?
            .into_bytes();
        json.push(b'\n');
        Ok(SignedBundle {
            json,
            identity,
            issuer,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_errors_and_5xx_are_retried_timeouts_are_not() {
        use sigstore_sign::Error;
        let status = |status| {
            Error::Fulcio(sigstore_sign::fulcio::Error::Status {
                status,
                message: String::new(),
            })
        };
        assert!(is_transient(&status(500)));
        assert!(is_transient(&status(503)));
        assert!(!is_transient(&status(401)));
        let transport = Error::Rekor(sigstore_sign::rekor::Error::Http(
            "error sending request".into(),
        ));
        assert!(is_transient(&transport));
        let timeout = Duration::from_secs(2);
        assert!(!timed_out(&transport, Duration::from_millis(3), timeout));
        assert!(timed_out(&transport, Duration::from_secs(2), timeout));
        assert!(!timed_out(&status(500), Duration::from_secs(5), timeout));
    }

    #[test]
    fn error_bodies_of_services_are_shown_inert() {
        let token = "aaaa.bbbb.cccccccccccccccccccc";
        let error = sigstore_sign::Error::Fulcio(sigstore_sign::fulcio::Error::Status {
            status: 500,
            message: format!(
                "failed to create signing certificate: \x1b]0;owned\x07\x1b[2K\r\u{2713} signed\n::error::{token}"
            ),
        });
        let shown = service_message(&error, token);
        assert!(!shown.contains(['\x1b', '\x07', '\r', '\n']), "{shown:?}");
        assert!(shown.contains("\\x1b]0;owned\\x07\\x1b[2K\\r"), "{shown}");
        assert!(shown.contains("\\n::error::[token redacted]"), "{shown}");
    }
}
