//! The OIDC issuer: ES256 identity tokens shaped like the ones GitHub Actions hands a job
//! (`iss` `https://token.actions.githubusercontent.com`), the discovery document and JWKS,
//! and the Actions token endpoint (`GET /token?audience=X` with the job's bearer secret).
//!
//! The tokens carry GitHub's real issuer URL so that GitHub identity policies behave as
//! they do with CI tokens; what keeps them apart from real ones is the signing key, which
//! only this instance's Fulcio trusts, and the trusted root, which only lists this
//! instance. Verification ([`Issuer::verify`]) is what Fulcio runs on every request.

use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use base64::Engine;
use serde::{Deserialize, Serialize};

use super::Instance;
use super::http::{ApiError, bearer_token};
use super::keys::{KeyPair, verifies_raw};

/// The issuer URL of GitHub Actions identity tokens.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// The audience Fulcio requires.
pub const SIGSTORE_AUDIENCE: &str = "sigstore";

/// How far `exp` and `nbf` may be off before a token is refused.
const LEEWAY_SECONDS: i64 = 30;

/// The GitHub Actions job an instance's tokens describe.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitHubIdentity {
    /// `OWNER/REPO`.
    pub repository: String,
    /// Numeric id of the repository.
    pub repository_id: String,
    /// Numeric id of the owner.
    pub repository_owner_id: String,
    /// The git ref the job runs on, e.g. `refs/heads/main` or `refs/tags/v1.2.3`.
    pub git_ref: String,
    /// The commit (40 hex digits).
    pub sha: String,
    /// The workflow file, e.g. `.github/workflows/release.yml`.
    pub workflow_file: String,
    /// The workflow's name (the `workflow` claim).
    pub workflow: String,
    /// The event that triggered the run, e.g. `push`.
    pub event_name: String,
    /// `public`, `private` or `internal`.
    pub visibility: String,
    /// The run id.
    pub run_id: String,
    /// The run attempt.
    pub run_attempt: String,
}

impl Default for GitHubIdentity {
    fn default() -> Self {
        GitHubIdentity {
            repository: "clearance-dev/example".into(),
            repository_id: "100000001".into(),
            repository_owner_id: "100000000".into(),
            git_ref: "refs/heads/main".into(),
            sha: "0123456789abcdef0123456789abcdef01234567".into(),
            workflow_file: ".github/workflows/release.yml".into(),
            workflow: "release".into(),
            event_name: "push".into(),
            visibility: "public".into(),
            run_id: "1".into(),
            run_attempt: "1".into(),
        }
    }
}

impl GitHubIdentity {
    /// The owner part of `OWNER/REPO`.
    pub fn owner(&self) -> &str {
        self.repository
            .split_once('/')
            .map_or(self.repository.as_str(), |(owner, _)| owner)
    }

    /// `OWNER/REPO/WORKFLOW_FILE@REF`, the `job_workflow_ref` claim.
    pub fn job_workflow_ref(&self) -> String {
        format!(
            "{}/{}@{}",
            self.repository, self.workflow_file, self.git_ref
        )
    }

    /// The certificate identity (URI SAN) Fulcio gives this job:
    /// `https://github.com/OWNER/REPO/WORKFLOW_FILE@REF`.
    pub fn certificate_identity(&self) -> String {
        format!("https://github.com/{}", self.job_workflow_ref())
    }

    fn ref_type(&self) -> &'static str {
        if self.git_ref.starts_with("refs/tags/") {
            "tag"
        } else {
            "branch"
        }
    }
}

/// How long a minted token is valid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenLifetime {
    /// Valid from now for this long.
    ValidFor(Duration),
    /// Expired this long ago (for tests of refusals).
    ExpiredFor(Duration),
}

/// Which key signs a minted token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSigner {
    /// The instance's issuer key, published in its JWKS.
    Issuer,
    /// A key generated for this token alone, unknown to Fulcio.
    UnknownKey,
}

/// What to put in a token minted by [`super::DevInstance::mint_token`].
#[derive(Debug, Clone)]
pub struct TokenSpec {
    /// The `aud` claim.
    pub audience: String,
    /// Validity.
    pub lifetime: TokenLifetime,
    /// The job described; `None` means the instance's identity.
    pub identity: Option<GitHubIdentity>,
    /// The signing key.
    pub signer: TokenSigner,
}

impl Default for TokenSpec {
    /// Audience `sigstore`, valid for 10 minutes, the instance's identity and key.
    fn default() -> Self {
        TokenSpec {
            audience: SIGSTORE_AUDIENCE.into(),
            lifetime: TokenLifetime::ValidFor(Duration::from_secs(600)),
            identity: None,
            signer: TokenSigner::Issuer,
        }
    }
}

/// The claims of a GitHub Actions identity token, as minted and as Fulcio requires them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Claims {
    pub iss: String,
    pub aud: Audience,
    pub sub: String,
    pub jti: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub repository: String,
    pub repository_owner: String,
    pub repository_id: String,
    pub repository_owner_id: String,
    pub repository_visibility: String,
    #[serde(rename = "ref")]
    pub git_ref: String,
    pub ref_type: String,
    pub sha: String,
    pub workflow: String,
    pub workflow_ref: String,
    pub workflow_sha: String,
    pub job_workflow_ref: String,
    pub job_workflow_sha: String,
    pub event_name: String,
    pub run_id: String,
    pub run_attempt: String,
    pub runner_environment: String,
}

/// The `aud` claim: one audience or several.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub(crate) enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn contains(&self, audience: &str) -> bool {
        match self {
            Audience::One(one) => one == audience,
            Audience::Many(many) => many.iter().any(|a| a == audience),
        }
    }
}

impl std::fmt::Display for Audience {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Audience::One(one) => f.write_str(one),
            Audience::Many(many) => f.write_str(&many.join(", ")),
        }
    }
}

/// Why an identity token is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    /// Not three base64url parts with JSON header and claims.
    #[error("identity token is malformed: {0}")]
    Malformed(String),
    /// The header names another algorithm than ES256.
    #[error("identity token algorithm `{0}` is not supported (expected ES256)")]
    Algorithm(String),
    /// The header's key id is not one of the issuer's keys.
    #[error("identity token is signed by an unknown key (kid `{0}`)")]
    UnknownKey(String),
    /// The signature does not verify with the issuer's key.
    #[error("identity token signature does not verify")]
    BadSignature,
    /// The issuer is not the one this instance serves.
    #[error(
        "identity token issuer `{0}` is not trusted by this instance (expected {GITHUB_ISSUER})"
    )]
    Issuer(String),
    /// The audience is not `sigstore`.
    #[error("identity token audience `{0}` is not `{SIGSTORE_AUDIENCE}`")]
    Audience(String),
    /// `exp` has passed.
    #[error("identity token expired at {exp} (now {now})")]
    Expired {
        /// The `exp` claim.
        exp: i64,
        /// The time of the check.
        now: i64,
    },
    /// `nbf` is in the future.
    #[error("identity token is not valid before {nbf} (now {now})")]
    NotYetValid {
        /// The `nbf` claim.
        nbf: i64,
        /// The time of the check.
        now: i64,
    },
}

/// The instance's token issuer: its signing key and the secret of the Actions endpoint.
pub(crate) struct Issuer {
    key: KeyPair,
    kid: String,
    request_token: String,
}

#[derive(Serialize, Deserialize)]
struct Header {
    alg: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    typ: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    kid: Option<String>,
}

fn b64url(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64url(part: &str, what: &str) -> Result<Vec<u8>, TokenError> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|e| TokenError::Malformed(format!("{what} is not base64url: {e}")))
}

fn kid_of(key: &KeyPair) -> String {
    hex::encode(&key.key_id()[..8])
}

fn random_hex(bytes: usize) -> String {
    use rand_core::RngCore;
    let mut buf = vec![0u8; bytes];
    rand_core::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

impl Issuer {
    /// A fresh key and a fresh Actions request secret.
    pub(crate) fn generate() -> Result<Issuer, spki::Error> {
        let key = KeyPair::generate()?;
        Ok(Issuer {
            kid: kid_of(&key),
            key,
            request_token: random_hex(32),
        })
    }

    /// The secret a job presents to the token endpoint (`ACTIONS_ID_TOKEN_REQUEST_TOKEN`).
    pub(crate) fn request_token(&self) -> &str {
        &self.request_token
    }

    /// A signed token for `identity`, per `spec`, at Unix time `now`.
    pub(crate) fn mint(&self, spec: &TokenSpec, identity: &GitHubIdentity, now: i64) -> String {
        let (iat, exp) = match spec.lifetime {
            TokenLifetime::ValidFor(d) => (now, now + seconds(d)),
            TokenLifetime::ExpiredFor(d) => (now - seconds(d) - 600, now - seconds(d)),
        };
        let claims = claims_for(identity, &spec.audience, iat, exp);
        match spec.signer {
            TokenSigner::Issuer => sign_jwt(&self.key, &self.kid, &claims),
            TokenSigner::UnknownKey => match KeyPair::generate() {
                Ok(key) => sign_jwt(&key, &kid_of(&key), &claims),
                // Without a second key, a token with a key id nobody knows is just as unknown.
                Err(_) => sign_jwt(&self.key, "unknown", &claims),
            },
        }
    }

    /// Verifies a token as Fulcio does and returns its claims.
    pub(crate) fn verify(&self, jwt: &str, now: i64) -> Result<Claims, TokenError> {
        // 1. Three base64url parts; the header names ES256.
        // 2. The key id (if any) is the issuer's, and the signature verifies with its key.
        // 3. The claims parse as a GitHub Actions token.
        // 4. Issuer, audience, expiry and not-before (with a small leeway) are acceptable.
        let mut parts = jwt.trim().split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed(
                "expected three dot-separated parts".into(),
            ));
        };
        let header: Header = serde_json::from_slice(&unb64url(header, "header")?)
            .map_err(|e| TokenError::Malformed(format!("header: {e}")))?;
        if header.alg != "ES256" {
            return Err(TokenError::Algorithm(header.alg));
        }
        match header.kid {
            Some(kid) if kid != self.kid => return Err(TokenError::UnknownKey(kid)),
            _ => {}
        }
        let signed = &jwt.trim()[..jwt.trim().len() - signature.len() - 1];
        let signature = unb64url(signature, "signature")?;
        if !verifies_raw(self.key.verifying_key(), signed.as_bytes(), &signature) {
            return Err(TokenError::BadSignature);
        }
        let claims: Claims = serde_json::from_slice(&unb64url(payload, "claims")?)
            .map_err(|e| TokenError::Malformed(format!("claims: {e}")))?;
        if claims.iss != GITHUB_ISSUER {
            return Err(TokenError::Issuer(claims.iss));
        }
        if !claims.aud.contains(SIGSTORE_AUDIENCE) {
            return Err(TokenError::Audience(claims.aud.to_string()));
        }
        if claims.exp + LEEWAY_SECONDS <= now {
            return Err(TokenError::Expired {
                exp: claims.exp,
                now,
            });
        }
        if claims.nbf - LEEWAY_SECONDS > now {
            return Err(TokenError::NotYetValid {
                nbf: claims.nbf,
                now,
            });
        }
        Ok(claims)
    }

    /// The JWKS document.
    pub(crate) fn jwks(&self) -> serde_json::Value {
        let point = self.key.verifying_key().to_encoded_point(false);
        let coordinate = |c: Option<&p256::FieldBytes>| c.map(|c| b64url(c)).unwrap_or_default();
        serde_json::json!({
            "keys": [{
                "kty": "EC",
                "crv": "P-256",
                "alg": "ES256",
                "use": "sig",
                "kid": self.kid,
                "x": coordinate(point.x()),
                "y": coordinate(point.y()),
            }]
        })
    }
}

fn seconds(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs()).unwrap_or(i64::MAX / 2)
}

fn claims_for(identity: &GitHubIdentity, audience: &str, iat: i64, exp: i64) -> Claims {
    let job_workflow_ref = identity.job_workflow_ref();
    Claims {
        iss: GITHUB_ISSUER.into(),
        aud: Audience::One(audience.into()),
        sub: format!("repo:{}:ref:{}", identity.repository, identity.git_ref),
        jti: random_hex(16),
        iat,
        nbf: iat,
        exp,
        repository: identity.repository.clone(),
        repository_owner: identity.owner().into(),
        repository_id: identity.repository_id.clone(),
        repository_owner_id: identity.repository_owner_id.clone(),
        repository_visibility: identity.visibility.clone(),
        git_ref: identity.git_ref.clone(),
        ref_type: identity.ref_type().into(),
        sha: identity.sha.clone(),
        workflow: identity.workflow.clone(),
        workflow_ref: job_workflow_ref.clone(),
        workflow_sha: identity.sha.clone(),
        job_workflow_ref,
        job_workflow_sha: identity.sha.clone(),
        event_name: identity.event_name.clone(),
        run_id: identity.run_id.clone(),
        run_attempt: identity.run_attempt.clone(),
        runner_environment: "github-hosted".into(),
    }
}

fn sign_jwt(key: &KeyPair, kid: &str, claims: &Claims) -> String {
    let header = Header {
        alg: "ES256".into(),
        typ: Some("JWT".into()),
        kid: Some(kid.into()),
    };
    let signing_input = format!("{}.{}", json_part(&header), json_part(claims));
    let signature = key.sign_raw(signing_input.as_bytes());
    format!("{signing_input}.{}", b64url(&signature))
}

/// A JWT part: base64url of the JSON of a plain struct (which always serialises).
fn json_part<T: Serialize>(value: &T) -> String {
    b64url(&serde_json::to_vec(value).unwrap_or_default())
}

/// Whether `given` equals `expected`, in time independent of where they differ.
fn same_secret(given: &str, expected: &str) -> bool {
    given.len() == expected.len()
        && given
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// `GET /.well-known/openid-configuration`.
pub(crate) async fn discovery(State(instance): State<Arc<Instance>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "issuer": GITHUB_ISSUER,
        "jwks_uri": format!("{}/.well-known/jwks", instance.base_url),
        "subject_types_supported": ["public", "pairwise"],
        "response_types_supported": ["id_token"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "scopes_supported": ["openid"],
        "claims_supported": [
            "sub", "aud", "exp", "iat", "iss", "jti", "nbf", "ref", "sha", "repository",
            "repository_id", "repository_owner", "repository_owner_id", "run_id",
            "run_attempt", "actor", "workflow", "workflow_ref", "workflow_sha",
            "job_workflow_ref", "job_workflow_sha", "event_name", "ref_type",
            "repository_visibility", "runner_environment"
        ],
    }))
}

/// `GET /.well-known/jwks`.
pub(crate) async fn jwks(State(instance): State<Arc<Instance>>) -> Json<serde_json::Value> {
    Json(instance.issuer.jwks())
}

/// Query of the Actions token endpoint. Other parameters (`api-version`) are accepted and
/// ignored, as GitHub's endpoint does.
#[derive(Deserialize)]
pub(crate) struct TokenQuery {
    audience: Option<String>,
}

/// `GET /token?audience=X`: the Actions ID token endpoint.
pub(crate) async fn token(
    State(instance): State<Arc<Instance>>,
    headers: HeaderMap,
    Query(query): Query<TokenQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    match bearer_token(&headers) {
        Some(given) if same_secret(given, instance.issuer.request_token()) => {}
        Some(_) => return Err(ApiError::unauthorized("bad ACTIONS_ID_TOKEN_REQUEST_TOKEN")),
        None => {
            return Err(ApiError::unauthorized(
                "missing `Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`",
            ));
        }
    }
    let spec = TokenSpec {
        audience: query.audience.unwrap_or_else(|| SIGSTORE_AUDIENCE.into()),
        ..TokenSpec::default()
    };
    let jwt = instance
        .issuer
        .mint(&spec, &instance.identity, super::unix_now());
    Ok(Json(serde_json::json!({ "count": 1, "value": jwt })))
}

#[cfg(test)]
mod tests {
    use super::super::keys::p256_key;
    use super::*;

    const NOW: i64 = 1_750_000_000;

    fn issuer() -> Issuer {
        Issuer::generate().unwrap()
    }

    fn mint(issuer: &Issuer, spec: TokenSpec) -> String {
        issuer.mint(&spec, &GitHubIdentity::default(), NOW)
    }

    #[test]
    fn a_minted_token_verifies_with_github_claims() {
        let issuer = issuer();
        let claims = issuer
            .verify(&mint(&issuer, TokenSpec::default()), NOW)
            .unwrap();
        assert_eq!(claims.iss, GITHUB_ISSUER);
        assert_eq!(claims.sub, "repo:clearance-dev/example:ref:refs/heads/main");
        assert_eq!(
            claims.job_workflow_ref,
            "clearance-dev/example/.github/workflows/release.yml@refs/heads/main"
        );
        assert_eq!(claims.repository_owner, "clearance-dev");
        assert_eq!(claims.ref_type, "branch");
        assert_eq!(claims.runner_environment, "github-hosted");
        assert_eq!(claims.exp - claims.iat, 600);
    }

    #[test]
    fn an_expired_token_is_refused() {
        let issuer = issuer();
        let spec = TokenSpec {
            lifetime: TokenLifetime::ExpiredFor(Duration::from_secs(120)),
            ..TokenSpec::default()
        };
        assert_eq!(
            issuer.verify(&mint(&issuer, spec), NOW).unwrap_err(),
            TokenError::Expired {
                exp: NOW - 120,
                now: NOW
            }
        );
        // Within the leeway, a token that just expired still passes.
        let spec = TokenSpec {
            lifetime: TokenLifetime::ExpiredFor(Duration::from_secs(5)),
            ..TokenSpec::default()
        };
        assert!(issuer.verify(&mint(&issuer, spec), NOW).is_ok());
    }

    #[test]
    fn a_token_from_the_future_is_refused() {
        let issuer = issuer();
        let token = mint(&issuer, TokenSpec::default());
        assert!(matches!(
            issuer.verify(&token, NOW - 3600),
            Err(TokenError::NotYetValid { .. })
        ));
    }

    #[test]
    fn a_wrong_audience_is_refused() {
        let issuer = issuer();
        let spec = TokenSpec {
            audience: "not-sigstore".into(),
            ..TokenSpec::default()
        };
        assert_eq!(
            issuer.verify(&mint(&issuer, spec), NOW).unwrap_err(),
            TokenError::Audience("not-sigstore".into())
        );
    }

    #[test]
    fn a_token_of_an_unknown_key_is_refused() {
        let issuer = issuer();
        let spec = TokenSpec {
            signer: TokenSigner::UnknownKey,
            ..TokenSpec::default()
        };
        let error = issuer.verify(&mint(&issuer, spec), NOW).unwrap_err();
        assert!(matches!(error, TokenError::UnknownKey(_)), "{error}");
        // Another issuer's token, with a key id that happens to be absent.
        let other = Issuer::generate().unwrap();
        let token = mint(&other, TokenSpec::default());
        assert!(matches!(
            issuer.verify(&token, NOW),
            Err(TokenError::UnknownKey(_))
        ));
    }

    #[test]
    fn a_bad_signature_is_refused() {
        let issuer = issuer();
        let token = mint(&issuer, TokenSpec::default());
        // Claims swapped for another token's: the signature no longer covers them.
        let other = mint(&issuer, TokenSpec::default());
        let mut parts: Vec<&str> = token.split('.').collect();
        parts[1] = other.split('.').nth(1).unwrap();
        assert_eq!(
            issuer.verify(&parts.join("."), NOW).unwrap_err(),
            TokenError::BadSignature
        );
        // A signature without a key id is checked against the issuer's key too.
        let claims = claims_for(&GitHubIdentity::default(), SIGSTORE_AUDIENCE, NOW, NOW + 60);
        let unsigned = format!(
            "{}.{}",
            b64url(br#"{"alg":"ES256"}"#),
            b64url(&serde_json::to_vec(&claims).unwrap())
        );
        let stranger = KeyPair::generate().unwrap();
        let forged = format!(
            "{unsigned}.{}",
            b64url(&stranger.sign_raw(unsigned.as_bytes()))
        );
        assert_eq!(
            issuer.verify(&forged, NOW).unwrap_err(),
            TokenError::BadSignature
        );
    }

    #[test]
    fn malformed_tokens_and_other_algorithms_are_refused() {
        let issuer = issuer();
        assert!(matches!(
            issuer.verify("a.b", NOW),
            Err(TokenError::Malformed(_))
        ));
        let none = format!("{}.{}.", b64url(br#"{"alg":"none"}"#), b64url(b"{}"));
        assert_eq!(
            issuer.verify(&none, NOW).unwrap_err(),
            TokenError::Algorithm("none".into())
        );
    }

    #[test]
    fn the_jwks_publishes_the_verifying_key() {
        let issuer = issuer();
        let jwks = issuer.jwks();
        let key = &jwks["keys"][0];
        assert_eq!(key["kid"], issuer.kid);
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let mut sec1 = vec![4u8];
        sec1.extend(engine.decode(key["x"].as_str().unwrap()).unwrap());
        sec1.extend(engine.decode(key["y"].as_str().unwrap()).unwrap());
        let published = p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).unwrap();
        assert_eq!(&published, issuer.key.verifying_key());
        assert!(p256_key(issuer.key.spki_der()).is_some());
    }

    #[test]
    fn tag_refs_have_ref_type_tag() {
        let identity = GitHubIdentity {
            git_ref: "refs/tags/v1.2.3".into(),
            ..GitHubIdentity::default()
        };
        assert_eq!(identity.ref_type(), "tag");
        assert_eq!(
            identity.certificate_identity(),
            "https://github.com/clearance-dev/example/.github/workflows/release.yml@refs/tags/v1.2.3"
        );
    }
}
