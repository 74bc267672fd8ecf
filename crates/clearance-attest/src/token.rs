//! Where the OIDC identity token for keyless signing comes from, in this order:
//!
//! 1. `--identity-token` on the command line;
//! 2. `SIGSTORE_ID_TOKEN` (also where GitLab CI puts an `id_tokens:` entry named so, with
//!    `aud: sigstore`);
//! 3. GitHub Actions' ambient credential: `GET $ACTIONS_ID_TOKEN_REQUEST_URL&audience=sigstore`
//!    with `Authorization: bearer $ACTIONS_ID_TOKEN_REQUEST_TOKEN`;
//! 4. an interactive browser flow with the instance's OIDC provider, when standard input is a
//!    terminal.
//!
//! A token is a bearer credential: it is never printed, logged or written anywhere. Errors
//! name where a token came from, never its value, and [`redact`] scrubs any message that
//! passes through from a service. Such a message is also made inert
//! ([`clearance_core::term::inert`]): a service's words cannot carry escape sequences or line breaks
//! into the user's terminal or log.

use std::time::Duration;

use sigstore_oidc::IdentityToken;
use sigstore_sign::reqwest;

/// The audience Fulcio expects.
pub const AUDIENCE: &str = "sigstore";

/// Where a token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenSource {
    /// `--identity-token`.
    Flag,
    /// The `SIGSTORE_ID_TOKEN` variable.
    Environment,
    /// GitHub Actions' token endpoint.
    GitHubActions,
    /// The interactive browser flow.
    Interactive,
}

impl std::fmt::Display for TokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TokenSource::Flag => "--identity-token",
            TokenSource::Environment => "SIGSTORE_ID_TOKEN",
            TokenSource::GitHubActions => "the GitHub Actions token endpoint",
            TokenSource::Interactive => "the browser sign-in",
        })
    }
}

/// An identity token and where it came from. Its `Debug` output hides the token.
#[derive(Debug, Clone)]
pub struct Token {
    /// The parsed token (claims are not trusted here: Fulcio verifies them).
    pub token: IdentityToken,
    /// Where it came from.
    pub source: TokenSource,
}

/// Why no usable token was found.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// No source had a token and there is no terminal to sign in on.
    #[error(
        "no identity token: none given, SIGSTORE_ID_TOKEN unset, no CI credential found, and no terminal to sign in on"
    )]
    Missing,
    /// GitHub Actions is running but the job may not request tokens.
    #[error("GitHub Actions gives this job no identity token ({0} is unset)")]
    GitHubPermission(&'static str),
    /// The token endpoint failed.
    #[error("the GitHub Actions token endpoint failed: {0}")]
    GitHubEndpoint(String),
    /// The token is not a JWT.
    #[error("the identity token from {origin} is not a JWT: {message}")]
    Malformed {
        /// Where it came from.
        origin: TokenSource,
        /// What was wrong (never the token).
        message: String,
    },
    /// The token has expired.
    #[error("the identity token from {origin} expired at {expired}")]
    Expired {
        /// Where it came from.
        origin: TokenSource,
        /// When.
        expired: String,
    },
    /// The token is not meant for Sigstore.
    #[error("the identity token from {origin} is for audience {audience}, not `sigstore`")]
    WrongAudience {
        /// Where it came from.
        origin: TokenSource,
        /// Its audience claim.
        audience: String,
    },
    /// The interactive flow failed.
    #[error("browser sign-in failed: {0}")]
    Interactive(String),
}

impl TokenError {
    /// What the user can do about it.
    pub fn help(&self) -> &'static str {
        match self {
            TokenError::Missing => {
                "pass --identity-token, set SIGSTORE_ID_TOKEN, run in GitHub Actions with \
                 `permissions: id-token: write` (or GitLab CI with an `id_tokens:` entry \
                 SIGSTORE_ID_TOKEN, `aud: sigstore`), or run on a terminal to sign in"
            }
            TokenError::GitHubPermission(_) => {
                "add `permissions: id-token: write` to the job (or the workflow)"
            }
            TokenError::GitHubEndpoint(_) => {
                "retry the job; check that the runner can reach GitHub"
            }
            TokenError::Malformed { .. } | TokenError::WrongAudience { .. } => {
                "request a token with audience `sigstore` from your OIDC provider"
            }
            TokenError::Expired { .. } => "identity tokens live minutes: request a fresh one",
            TokenError::Interactive(_) => "sign in again, or pass a token with --identity-token",
        }
    }
}

/// Everything [`acquire`] may look at.
pub struct TokenRequest<'a> {
    /// `--identity-token`, if given.
    pub explicit: Option<String>,
    /// The environment.
    pub env: &'a dyn Fn(&str) -> Option<String>,
    /// The instance's OIDC provider, for the interactive flow.
    pub oidc_url: Option<String>,
    /// Whether the interactive flow may run (standard input is a terminal).
    pub interactive: bool,
    /// The HTTP client (timeouts set by the caller).
    pub http: reqwest::Client,
    /// How many times to try the token endpoint.
    pub attempts: u32,
}

/// Find an identity token, in the documented order.
pub async fn acquire(request: &TokenRequest<'_>) -> Result<Token, TokenError> {
    let var = |name: &str| (request.env)(name).filter(|v| !v.trim().is_empty());
    if let Some(raw) = &request.explicit {
        return parse(raw.trim(), TokenSource::Flag);
    }
    if let Some(raw) = var("SIGSTORE_ID_TOKEN") {
        return parse(raw.trim(), TokenSource::Environment);
    }
    let url = var("ACTIONS_ID_TOKEN_REQUEST_URL");
    let bearer = var("ACTIONS_ID_TOKEN_REQUEST_TOKEN");
    match (url, bearer) {
        (Some(url), Some(bearer)) => {
            let raw = github_token(request, &url, &bearer).await?;
            return parse(&raw, TokenSource::GitHubActions);
        }
        (None, _) if var("GITHUB_ACTIONS").as_deref() == Some("true") => {
            return Err(TokenError::GitHubPermission("ACTIONS_ID_TOKEN_REQUEST_URL"));
        }
        (Some(_), None) => {
            return Err(TokenError::GitHubPermission(
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
            ));
        }
        _ => {}
    }
    match (&request.oidc_url, request.interactive) {
        (Some(oidc_url), true) => interactive(request, oidc_url).await,
        _ => Err(TokenError::Missing),
    }
}

async fn github_token(
    request: &TokenRequest<'_>,
    url: &str,
    bearer: &str,
) -> Result<String, TokenError> {
    #[derive(serde::Deserialize)]
    struct Answer {
        value: String,
    }
    let separator = if url.contains('?') { '&' } else { '?' };
    let url = format!("{url}{separator}audience={AUDIENCE}");
    let mut last = String::new();
    for attempt in 0..request.attempts.max(1) {
        if attempt > 0 {
            tokio::time::sleep(backoff(attempt)).await;
        }
        let sent = request
            .http
            .get(&url)
            .header("Authorization", format!("bearer {bearer}"))
            .header("Accept", "application/json")
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {
                let answer: Answer = response
                    .json()
                    .await
                    .map_err(|e| TokenError::GitHubEndpoint(without_url(&e)))?;
                return Ok(answer.value);
            }
            Ok(response) if response.status().is_server_error() => {
                last = format!("HTTP {}", response.status());
            }
            Ok(response) => {
                return Err(TokenError::GitHubEndpoint(format!(
                    "HTTP {}",
                    response.status()
                )));
            }
            Err(e) if e.is_connect() => last = without_url(&e),
            Err(e) => return Err(TokenError::GitHubEndpoint(without_url(&e))),
        }
    }
    Err(TokenError::GitHubEndpoint(format!(
        "{last} (after {} attempts)",
        request.attempts.max(1)
    )))
}

/// A reqwest error and its causes, without the request URL (which names the endpoint's
/// internals, not something a user can act on), made inert.
fn without_url(error: &reqwest::Error) -> String {
    let mut message = match error.url() {
        Some(url) => error.to_string().replace(url.as_str(), "(token endpoint)"),
        None => error.to_string(),
    };
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    clearance_core::term::inert(&message).into_owned()
}

async fn interactive(request: &TokenRequest<'_>, oidc_url: &str) -> Result<Token, TokenError> {
    let client = sigstore_oidc::OAuthClient::with_http_client(
        sigstore_oidc::OAuthConfig::dex(oidc_url),
        request.http.clone(),
    );
    let token = client
        .authenticate(sigstore_oidc::DefaultAuthCallback)
        .await
        .map_err(|e| {
            TokenError::Interactive(clearance_core::term::inert(&e.to_string()).into_owned())
        })?;
    check(token, TokenSource::Interactive)
}

fn parse(raw: &str, source: TokenSource) -> Result<Token, TokenError> {
    let token = IdentityToken::from_jwt(raw).map_err(|e| TokenError::Malformed {
        origin: source,
        message: clearance_core::term::inert(&redact(&e.to_string(), raw)).into_owned(),
    })?;
    check(token, source)
}

fn check(token: IdentityToken, source: TokenSource) -> Result<Token, TokenError> {
    if token.is_expired() {
        return Err(TokenError::Expired {
            origin: source,
            expired: token.expiration().to_string(),
        });
    }
    let audience = &token.claims().aud;
    if !audience.contains(AUDIENCE) {
        return Err(TokenError::WrongAudience {
            origin: source,
            audience: clearance_core::term::inert(&format!("{audience:?}")).into_owned(),
        });
    }
    Ok(Token { token, source })
}

/// The delay before retry number `attempt` (1-based): 0.5 s, 1 s, 2 s, ….
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(500u64.saturating_mul(1 << attempt.saturating_sub(1).min(6)))
}

/// `message` with every occurrence of the token (and of its signature part) replaced.
pub fn redact(message: &str, token: &str) -> String {
    let mut out = message.replace(token, "[token redacted]");
    if let Some(signature) = token.rsplit('.').next().filter(|s| s.len() >= 16) {
        out = out.replace(signature, "[token redacted]");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn jwt(claims: serde_json::Value) -> String {
        let part = |v: serde_json::Value| URL_SAFE_NO_PAD.encode(v.to_string());
        format!(
            "{}.{}.{}",
            part(serde_json::json!({"alg": "ES256"})),
            part(claims),
            URL_SAFE_NO_PAD.encode(b"not-a-real-signature-but-long-enough")
        )
    }

    fn request<'a>(
        explicit: Option<String>,
        env: &'a dyn Fn(&str) -> Option<String>,
    ) -> TokenRequest<'a> {
        TokenRequest {
            explicit,
            env,
            oidc_url: None,
            interactive: false,
            http: reqwest::Client::new(),
            attempts: 1,
        }
    }

    fn claims(exp: i64, aud: &str) -> serde_json::Value {
        serde_json::json!({"iss": "https://issuer.example", "sub": "s", "aud": aud, "exp": exp, "iat": 0})
    }

    #[tokio::test]
    async fn the_flag_wins_over_the_environment() {
        let from_env = jwt(claims(4_000_000_000, "other"));
        let env = move |name: &str| (name == "SIGSTORE_ID_TOKEN").then(|| from_env.clone());
        let token = acquire(&request(Some(jwt(claims(4_000_000_000, "sigstore"))), &env))
            .await
            .unwrap();
        assert_eq!(token.source, TokenSource::Flag);
    }

    #[tokio::test]
    async fn expired_and_foreign_tokens_are_refused_without_showing_them() {
        let env = |_: &str| None;
        let expired = jwt(claims(1_000, "sigstore"));
        let err = acquire(&request(Some(expired.clone()), &env))
            .await
            .unwrap_err();
        assert!(matches!(err, TokenError::Expired { .. }), "{err}");
        assert!(!err.to_string().contains(&expired));
        let foreign = jwt(claims(4_000_000_000, "someone-else"));
        let err = acquire(&request(Some(foreign), &env)).await.unwrap_err();
        assert!(matches!(err, TokenError::WrongAudience { .. }), "{err}");
    }

    #[tokio::test]
    async fn no_source_and_no_terminal_is_a_clear_error() {
        let env = |_: &str| None;
        let err = acquire(&request(None, &env)).await.unwrap_err();
        assert!(matches!(err, TokenError::Missing));
        let env = |name: &str| (name == "GITHUB_ACTIONS").then(|| "true".to_string());
        let err = acquire(&request(None, &env)).await.unwrap_err();
        assert!(matches!(err, TokenError::GitHubPermission(_)));
    }

    #[test]
    fn redaction_removes_the_token_and_its_signature() {
        let token = "aaaa.bbbb.cccccccccccccccccccc";
        let message = format!("denied {token} and cccccccccccccccccccc");
        let out = redact(&message, token);
        assert!(!out.contains("cccc"));
        assert!(out.contains("[token redacted]"));
    }
}
