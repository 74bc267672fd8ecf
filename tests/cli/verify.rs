//! `clearance verify` beyond the conformance vectors: the identity policy (exact and regexp
//! identity, issuer, GitHub claims), artifact binding, the choice of trusted root, bad input,
//! the JSON report, and that verifying needs no network.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::conformance::{BEACON_IDENTITY, GITHUB_ISSUER, case_dir, conformance};
use crate::util::{clearance, stderr};

const BEACON_REPOSITORY: &str = "sigstore-conformance/extremely-dangerous-public-oidc-beacon";

/// A message-signature bundle and a DSSE attestation bundle, both for `a.txt`.
const MESSAGE: &str = "happy-path-v0.3";
const DSSE: &str = "happy-path-intoto-in-dsse-v3";

fn a_txt() -> PathBuf {
    case_dir("a.txt")
}

/// `clearance verify --bundle CASE/bundle.sigstore.json ARGS` (no trusted root chosen: the
/// embedded public-good one, which is what the conformance bundles were made with).
fn verify(case: &str, args: &[&str]) -> Command {
    let mut cmd = clearance();
    cmd.arg("verify")
        .arg("--bundle")
        .arg(case_dir(case).join("bundle.sigstore.json"))
        .args(args);
    cmd
}

/// `verify` with the beacon's identity and issuer, then `args`, then `artifact`.
fn verify_beacon(case: &str, args: &[&str], artifact: &Path) -> Output {
    verify(case, &["--certificate-identity", BEACON_IDENTITY])
        .args(["--certificate-oidc-issuer", GITHUB_ISSUER])
        .args(args)
        .arg(artifact)
        .output()
        .unwrap()
}

/// The value on the line labelled `label` of a human report.
fn field<'a>(report: &'a str, label: &str) -> Option<&'a str> {
    report.lines().find_map(|line| {
        let rest = line.strip_prefix("  ")?.strip_prefix(label)?;
        rest.starts_with("  ").then(|| rest.trim())
    })
}

fn assert_exit(out: &Output, code: i32) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(code), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

#[test]
fn the_happy_paths_verify_and_say_what_they_established() {
    let out = verify_beacon(MESSAGE, &[], &a_txt());
    assert_exit(&out, 0);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("✓ verified "), "{text}");
    assert_eq!(field(&text, "signature"), Some("message signature"));
    assert_eq!(field(&text, "identity"), Some(BEACON_IDENTITY));
    assert_eq!(field(&text, "issuer"), Some(GITHUB_ISSUER));
    assert_eq!(
        field(&text, "integrated time"),
        Some("2024-03-19T17:26:26Z")
    );
    assert!(
        field(&text, "log index")
            .unwrap()
            .ends_with("(hashedrekord/0.0.1)")
    );
    assert_eq!(field(&text, "trusted root"), Some("public-good"));

    let out = verify_beacon(DSSE, &[], &a_txt());
    assert_exit(&out, 0);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("DSSE attestation"), "{text}");
    assert_eq!(
        field(&text, "predicate type"),
        Some("https://slsa.dev/provenance/v1")
    );
    assert!(text.contains("✓ this artifact"), "{text}");
}

#[test]
fn a_wrong_identity_or_issuer_fails_verification() {
    let out = verify(
        MESSAGE,
        &["--certificate-identity", "https://github.com/evil/x"],
    )
    .args(["--certificate-oidc-issuer", GITHUB_ISSUER])
    .arg(a_txt())
    .output()
    .unwrap();
    let err = assert_exit(&out, 1);
    assert!(
        err.starts_with("✗ verification failed: identity policy not satisfied"),
        "{err}"
    );
    assert!(err.contains("checked: bundle "), "{err}");
    assert!(err.contains("help: "), "{err}");

    let out = verify(MESSAGE, &["--certificate-identity", BEACON_IDENTITY])
        .args(["--certificate-oidc-issuer", "https://accounts.google.com"])
        .arg(a_txt())
        .output()
        .unwrap();
    let err = assert_exit(&out, 1);
    assert!(err.contains("issuer"), "{err}");

    // A failed verification writes no human report.
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("report.txt");
    let out = verify(
        MESSAGE,
        &["--certificate-identity", "https://github.com/evil/x"],
    )
    .args(["--certificate-oidc-issuer", GITHUB_ISSUER, "-o"])
    .arg(&target)
    .arg(a_txt())
    .output()
    .unwrap();
    assert_exit(&out, 1);
    assert!(!target.exists());
}

#[test]
fn an_identity_regexp_must_match_the_whole_identity() {
    let run = |pattern: &str| {
        verify(DSSE, &["--certificate-identity-regexp", pattern])
            .args(["--certificate-oidc-issuer", GITHUB_ISSUER])
            .arg(a_txt())
            .output()
            .unwrap()
    };
    assert_exit(
        &run(r"https://github\.com/sigstore-conformance/.+@refs/heads/main"),
        0,
    );
    // Found inside the identity, but not the whole of it.
    let err = assert_exit(&run(r"sigstore-conformance"), 1);
    assert!(err.contains("/sigstore-conformance/"), "{err}");
    assert_exit(&run(r"https://github\.com/someone-else/.*"), 1);

    let err = assert_exit(&run("(unclosed"), 2);
    assert!(err.contains("not a valid regular expression"), "{err}");
    assert!(err.contains("help: "), "{err}");
}

#[test]
fn a_changed_artifact_fails_verification() {
    let dir = tempfile::tempdir().unwrap();
    let tampered = dir.path().join("a.txt");
    let mut bytes = std::fs::read(a_txt()).unwrap();
    bytes.extend_from_slice(b"tampered\n");
    std::fs::write(&tampered, bytes).unwrap();
    for case in [MESSAGE, DSSE] {
        let err = assert_exit(&verify_beacon(case, &[], &tampered), 1);
        assert!(err.contains("✗ verification failed"), "{case}: {err}");
    }
    let err = assert_exit(&verify_beacon(DSSE, &[], &tampered), 1);
    assert!(err.contains("does not sign this artifact"), "{err}");
}

#[test]
fn the_artifact_may_be_given_as_its_digest() {
    let digest = sha256_hex(&std::fs::read(a_txt()).unwrap());
    for case in [MESSAGE, DSSE] {
        let out = verify_beacon(case, &[], Path::new(&format!("sha256:{digest}")));
        assert_exit(&out, 0);
    }
    let wrong = format!("sha256:{}", "0".repeat(64));
    assert_exit(&verify_beacon(MESSAGE, &[], Path::new(&wrong)), 1);
    let err = assert_exit(&verify_beacon(MESSAGE, &[], Path::new("sha256:abc")), 2);
    assert!(err.contains("is not a SHA-256 digest"), "{err}");
}

#[test]
fn a_bundle_fails_against_another_instances_root() {
    let out = verify_beacon(MESSAGE, &["--sigstore", "staging"], &a_txt());
    let err = assert_exit(&out, 1);
    assert!(err.contains("trusted root staging"), "{err}");
    // The conformance copy of the production root verifies it, like the embedded one.
    let root = conformance().join("production_trusted_root.json");
    let out = verify_beacon(
        MESSAGE,
        &["--trusted-root", root.to_str().unwrap()],
        &a_txt(),
    );
    assert_exit(&out, 0);
}

#[test]
fn github_claims_are_checked_against_the_certificate() {
    let matching = [
        "--github-repository",
        BEACON_REPOSITORY,
        "--github-ref",
        "refs/heads/main",
        "--github-sha",
        "C7B3DFB335F051E1C86BDA4C716FAC97DF62AD81",
        "--github-workflow",
        ".github/workflows/extremely-dangerous-oidc-beacon.yml",
    ];
    let out = verify_beacon(MESSAGE, &matching, &a_txt());
    assert_exit(&out, 0);
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.matches("✓ required").count(), 4, "{text}");

    let by_name = ["--github-workflow", "Extremely dangerous OIDC beacon"];
    assert_exit(&verify_beacon(MESSAGE, &by_name, &a_txt()), 0);

    let wrong_repository = ["--github-repository", "sigstore-conformance/other"];
    let err = assert_exit(&verify_beacon(MESSAGE, &wrong_repository, &a_txt()), 1);
    assert!(err.contains("GitHub claim `repository`"), "{err}");
    assert!(err.contains("sigstore-conformance/other"), "{err}");

    let wrong_ref = ["--github-ref", "refs/tags/v1.0.0"];
    let err = assert_exit(&verify_beacon(DSSE, &wrong_ref, &a_txt()), 1);
    assert!(err.contains("GitHub claim `ref`"), "{err}");
}

#[test]
fn a_malformed_bundle_is_an_input_error_with_its_position() {
    let out = verify(
        "bundle-malformed-json_fail",
        &["--certificate-identity", "x"],
    )
    .args(["--certificate-oidc-issuer", GITHUB_ISSUER])
    .arg(a_txt())
    .output()
    .unwrap();
    let err = assert_exit(&out, 2);
    assert!(err.starts_with("error[bundle-malformed-json]"), "{err}");
    let position = regex::Regex::new(r"bundle\.sigstore\.json:1:\d+\n").unwrap();
    assert!(position.is_match(&err), "{err}");
    assert!(err.contains("= help: "), "{err}");
}

#[test]
fn missing_inputs_are_usage_errors() {
    let missing = Path::new("no/such/file");
    let err = assert_exit(&verify_beacon(MESSAGE, &[], missing), 2);
    assert!(
        err.contains("cannot read the artifact no/such/file"),
        "{err}"
    );

    let out = verify(MESSAGE, &["--certificate-oidc-issuer", GITHUB_ISSUER])
        .arg(a_txt())
        .output()
        .unwrap();
    let err = assert_exit(&out, 2);
    assert!(err.contains("--certificate-identity"), "{err}");

    let out = verify_beacon(MESSAGE, &["--trusted-root", "no/such/root.json"], &a_txt());
    assert_exit(&out, 2);
}

#[test]
fn the_json_report_has_the_documented_shape() {
    let out = verify_beacon(
        DSSE,
        &["--format", "json", "--github-repository", BEACON_REPOSITORY],
        &a_txt(),
    );
    assert_exit(&out, 0);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["schema"], "clearance-verify/1");
    assert_eq!(report["verified"], true);
    assert_eq!(report["kind"], "attestation");
    assert_eq!(report["signer"]["identity"], BEACON_IDENTITY);
    assert_eq!(report["signer"]["issuer"], GITHUB_ISSUER);
    assert_eq!(report["policy"]["github"]["repository"], BEACON_REPOSITORY);
    assert_eq!(report["checked_claims"][0]["claim"], "repository");
    assert_eq!(
        report["claims"]["source_repository_uri"],
        format!("https://github.com/{BEACON_REPOSITORY}")
    );
    assert!(report["integrated_time"].as_str().unwrap().ends_with('Z'));
    assert_eq!(report["log_entries"][0]["kind"], "dsse/0.0.1");
    assert!(report["log_entries"][0]["index"].as_u64().unwrap() > 0);
    assert_eq!(
        report["attestation"]["predicate_type"],
        "https://slsa.dev/provenance/v1"
    );
    assert_eq!(
        report["attestation"]["subjects"][0]["sha256"],
        report["artifact"]["sha256"]
    );
    assert!(report["failure"].is_null());

    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("report.json");
    let out = verify(MESSAGE, &["--certificate-identity", BEACON_IDENTITY])
        .args(["--certificate-oidc-issuer", GITHUB_ISSUER])
        .args(["--format", "json", "--github-ref", "refs/tags/nope", "-o"])
        .arg(&target)
        .arg(a_txt())
        .output()
        .unwrap();
    assert_exit(&out, 1);
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&target).unwrap()).unwrap();
    assert_eq!(report["verified"], false);
    assert_eq!(report["failure"]["code"], "identity-mismatch");
    assert!(report["signer"].is_null());
}

#[test]
fn a_managed_key_bundle_verifies_with_its_key() {
    let dir = case_dir("managed-key-happy-path");
    let out = verify("managed-key-happy-path", &["--key"])
        .arg(dir.join("key.pub"))
        .arg(a_txt())
        .output()
        .unwrap();
    assert_exit(&out, 0);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        field(&text, "key").unwrap().starts_with("sha256:"),
        "{text}"
    );
}

#[test]
fn verification_needs_no_network() {
    let probe = Command::new("unshare").args(["-n", "true"]).output();
    match probe {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "`unshare -n` does not work here ({}): this test proves that verification runs \
             without a network and needs it; run the tests as root or where user namespaces \
             are allowed",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(e) => panic!("`unshare` cannot be run ({e}): install util-linux to run this test"),
    }
    let out = Command::new("unshare")
        .arg("-n")
        .arg(env!("CARGO_BIN_EXE_clearance"))
        .arg("verify")
        .arg("--bundle")
        .arg(case_dir(DSSE).join("bundle.sigstore.json"))
        .args(["--certificate-identity", BEACON_IDENTITY])
        .args(["--certificate-oidc-issuer", GITHUB_ISSUER])
        .args(["--github-repository", BEACON_REPOSITORY])
        .arg(a_txt())
        .output()
        .unwrap();
    assert_exit(&out, 0);
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
