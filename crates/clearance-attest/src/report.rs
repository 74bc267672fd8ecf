//! The report of `clearance verify`: a few lines for people, or a `clearance-verify/1` JSON
//! object (docs/json-schema.md). It formats what `attest::verify` established or why it
//! refused; it decides nothing.
//!
//! In the human report, every value (what the certificate, the bundle and the statement say,
//! the reason of a failure, the paths and values given) goes through [`inert`], and every
//! line starts with a fixed mark or label.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::policy::{Identity, Policy};
use crate::verify::{BundleKind, Signer, Verified, VerifyError};
use clearance_core::term::inert;

/// What was checked, whatever the outcome.
#[derive(Debug)]
pub struct VerifyContext<'a> {
    /// The bundle file.
    pub bundle: &'a Path,
    /// The artifact as given on the command line (a path or `sha256:HEX`).
    pub artifact: &'a str,
    /// The artifact's SHA-256, hexadecimal.
    pub artifact_sha256: String,
    /// Where the trusted root came from (an instance name or a file).
    pub trusted_root: &'a str,
    /// The policy.
    pub policy: &'a Policy,
    /// clearance's version.
    pub tool_version: &'a str,
}

/// The human report of a verified bundle.
pub fn verified_human(context: &VerifyContext<'_>, verified: &Verified) -> String {
    let mut out = format!(
        "✓ verified {} with {}\n",
        inert(context.artifact),
        inert(&context.bundle.display().to_string())
    );
    let mut line = |label: &str, value: &str| {
        let _ = writeln!(out, "  {label:<18} {}", inert(value));
    };
    line(
        "signature",
        match verified.kind {
            BundleKind::MessageSignature => "message signature",
            BundleKind::Attestation(_) => "DSSE attestation (in-toto statement)",
        },
    );
    match &verified.signer {
        Signer::Certificate(signer) => {
            line("identity", &signer.identity);
            line("issuer", &signer.issuer);
        }
        Signer::Key { fingerprint } => line("key", &format!("sha256:{fingerprint}")),
    }
    match verified.integrated_time {
        Some(time) => line("integrated time", &rfc3339(time)),
        None => {
            let times: Vec<String> = verified
                .verified_times
                .iter()
                .map(|t| rfc3339(*t))
                .collect();
            line("timestamp", &times.join(", "));
        }
    }
    for entry in &verified.log_entries {
        line("log index", &format!("{} ({})", entry.index, entry.kind));
    }
    if let Signer::Certificate(signer) = &verified.signer {
        for (label, names) in GITHUB_LINES {
            let Some(value) = names
                .iter()
                .find_map(|name| signer.claims.iter().find(|(n, _)| n == name))
                .map(|(_, v)| v)
            else {
                continue;
            };
            let required = signer.checked.iter().any(|c| c.claim == label);
            let mark = if required { "  ✓ required" } else { "" };
            line(&format!("github {label}"), &format!("{value}{mark}"));
        }
    }
    if let BundleKind::Attestation(attestation) = &verified.kind {
        line("predicate type", &attestation.predicate_type);
        for (name, sha256) in &attestation.subjects {
            let digest = sha256.as_deref().map_or("(no sha256)".into(), |d| {
                let mark = if d == verified.artifact_sha256 {
                    "  ✓ this artifact"
                } else {
                    ""
                };
                format!("sha256:{d}{mark}")
            });
            line("subject", &format!("{name} {digest}"));
        }
    }
    line("trusted root", context.trusted_root);
    out
}

/// Which claims the human report shows, and from which extensions (first present wins).
const GITHUB_LINES: [(&str, &[&str]); 5] = [
    (
        "repository",
        &["source_repository_uri", "github_workflow_repository"],
    ),
    ("ref", &["source_repository_ref", "github_workflow_ref"]),
    ("sha", &["source_repository_digest", "github_workflow_sha"]),
    ("workflow", &["build_config_uri", "github_workflow_name"]),
    ("trigger", &["build_trigger", "github_workflow_trigger"]),
];

/// The human report of a failed verification: the reason, what was checked, what to do.
pub fn failure_human(context: &VerifyContext<'_>, error: &VerifyError) -> String {
    format!(
        "✗ verification failed: {}\n  checked: {}\n  help: {}\n",
        inert(&error.to_string()),
        inert(&what_was_checked(context)),
        error.help()
    )
}

fn what_was_checked(context: &VerifyContext<'_>) -> String {
    let mut parts = vec![format!(
        "bundle {} for {} (sha256:{}) against trusted root {}",
        context.bundle.display(),
        context.artifact,
        context.artifact_sha256,
        context.trusted_root
    )];
    match context.policy {
        Policy::Identity(policy) => {
            parts.push(match &policy.identity {
                Identity::Exact(value) => format!("identity {value}"),
                Identity::Regex { pattern, .. } => format!("identity matching /{pattern}/"),
            });
            parts.push(format!("issuer {}", policy.issuer));
            for (claim, value) in github_requirements(policy) {
                parts.push(format!("github {claim} {value}"));
            }
        }
        Policy::Key(key) => parts.push(format!("key {}", key.path.display())),
    }
    parts.join("; ")
}

fn github_requirements(policy: &crate::policy::IdentityPolicy) -> Vec<(&'static str, &str)> {
    let github = &policy.github;
    [
        ("repository", &github.repository),
        ("ref", &github.git_ref),
        ("sha", &github.sha),
        ("workflow", &github.workflow),
    ]
    .into_iter()
    .filter_map(|(claim, value)| value.as_deref().map(|v| (claim, v)))
    .collect()
}

/// The `clearance-verify/1` JSON report of a verification, verified or not.
pub fn json_report(
    context: &VerifyContext<'_>,
    outcome: Result<&Verified, &VerifyError>,
) -> Vec<u8> {
    let mut report = json!({
        "schema": "clearance-verify/1",
        "tool": { "name": "clearance", "version": context.tool_version },
        "verified": outcome.is_ok(),
        "bundle": context.bundle.display().to_string(),
        "artifact": { "input": context.artifact, "sha256": context.artifact_sha256 },
        "trusted_root": context.trusted_root,
        "policy": policy_json(context.policy),
        "kind": null,
        "signer": null,
        "claims": {},
        "checked_claims": [],
        "integrated_time": null,
        "verified_times": [],
        "log_entries": [],
        "attestation": null,
        "failure": null,
    });
    match outcome {
        Ok(verified) => fill_verified(&mut report, verified),
        Err(error) => {
            report["failure"] = json!({
                "code": error.code(),
                "message": error.to_string(),
                "help": error.help(),
            });
        }
    }
    let mut bytes = serde_json::to_vec_pretty(&report).expect("a JSON value serializes");
    bytes.push(b'\n');
    bytes
}

fn policy_json(policy: &Policy) -> Value {
    match policy {
        Policy::Identity(policy) => {
            let github: serde_json::Map<String, Value> = github_requirements(policy)
                .into_iter()
                .map(|(claim, value)| (claim.to_string(), json!(value)))
                .collect();
            let (identity, regexp) = match &policy.identity {
                Identity::Exact(value) => (Some(value.as_str()), None),
                Identity::Regex { pattern, .. } => (None, Some(pattern.as_str())),
            };
            json!({
                "identity": identity,
                "identity_regexp": regexp,
                "issuer": policy.issuer,
                "github": github,
                "key": null,
            })
        }
        Policy::Key(key) => json!({
            "identity": null,
            "identity_regexp": null,
            "issuer": null,
            "github": {},
            "key": key.path.display().to_string(),
        }),
    }
}

fn fill_verified(report: &mut Value, verified: &Verified) {
    report["kind"] = json!(match verified.kind {
        BundleKind::MessageSignature => "message-signature",
        BundleKind::Attestation(_) => "attestation",
    });
    match &verified.signer {
        Signer::Certificate(signer) => {
            report["signer"] = json!({
                "identity": signer.identity,
                "issuer": signer.issuer,
                "key_sha256": null,
            });
            report["claims"] = signer
                .claims
                .iter()
                .map(|(name, value)| (name.to_string(), json!(value)))
                .collect::<serde_json::Map<_, _>>()
                .into();
            report["checked_claims"] = signer
                .checked
                .iter()
                .map(|c| {
                    json!({
                        "claim": c.claim,
                        "expected": c.expected,
                        "found": c.found,
                        "extension": c.extension,
                    })
                })
                .collect();
        }
        Signer::Key { fingerprint } => {
            report["signer"] =
                json!({ "identity": null, "issuer": null, "key_sha256": fingerprint });
        }
    }
    report["integrated_time"] = json!(verified.integrated_time.map(rfc3339));
    report["verified_times"] = verified
        .verified_times
        .iter()
        .map(|t| json!(rfc3339(*t)))
        .collect();
    report["log_entries"] = verified
        .log_entries
        .iter()
        .map(|e| json!({ "index": e.index, "kind": e.kind }))
        .collect();
    if let BundleKind::Attestation(attestation) = &verified.kind {
        report["attestation"] = json!({
            "predicate_type": attestation.predicate_type,
            "subjects": attestation
                .subjects
                .iter()
                .map(|(name, sha256)| json!({ "name": name, "sha256": sha256 }))
                .collect::<Vec<_>>(),
        });
    }
}

fn rfc3339(time: OffsetDateTime) -> String {
    time.format(&Rfc3339)
        .unwrap_or_else(|_| time.unix_timestamp().to_string())
}
