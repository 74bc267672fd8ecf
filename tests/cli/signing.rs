//! Keyless signing end to end against an in-process `sigstore-dev`: tokens through the
//! GitHub Actions endpoint, `clearance sign` and `clearance attest --sign keyless`, verified
//! by `clearance verify` and by sigstore-python offline; and the refusals: tampering, other
//! identities and instances, bad tokens, a flaky Fulcio, a silent Rekor. No test lets a
//! token reach any output or file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use sigstore_dev::{
    DevHandle, DevOptions, DevServer, GitHubIdentity, TokenLifetime, TokenSigner, TokenSpec,
};

use crate::net::{FlakyProxy, silent_server};
use crate::util::{clearance, files_under, sigstore_python, stderr, workspace_manifest};

/// Variables a CI runner may have set that would change which token is used.
const AMBIENT: &[&str] = &[
    "SIGSTORE_ID_TOKEN",
    "ACTIONS_ID_TOKEN_REQUEST_URL",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "GITHUB_ACTIONS",
    "GITLAB_CI",
];

pub(crate) fn start_dev(dir: &Path) -> DevHandle {
    DevServer::spawn(DevOptions::new(dir.join("sigstore-dev"))).expect("sigstore-dev starts")
}

/// `clearance ARGS` as a GitHub Actions job of `dev`'s identity, with its token endpoint.
pub(crate) fn in_github_job(dev: &DevHandle) -> Command {
    let mut cmd = clearance();
    for name in AMBIENT {
        cmd.env_remove(name);
    }
    let id: &GitHubIdentity = dev.identity();
    cmd.env("GITHUB_ACTIONS", "true")
        .env("GITHUB_REPOSITORY", &id.repository)
        .env("GITHUB_REF", &id.git_ref)
        .env("GITHUB_SHA", &id.sha)
        .env("GITHUB_EVENT_NAME", &id.event_name)
        .env("GITHUB_RUN_ID", &id.run_id)
        .env(
            "GITHUB_WORKFLOW_REF",
            format!("{}/{}@{}", id.repository, id.workflow_file, id.git_ref),
        );
    for (name, value) in dev.actions_env() {
        cmd.env(name, value);
    }
    cmd.stdin(Stdio::null());
    cmd
}

/// `clearance ARGS` with no ambient credential at all.
pub(crate) fn without_credentials() -> Command {
    let mut cmd = clearance();
    for name in AMBIENT {
        cmd.env_remove(name);
    }
    cmd.stdin(Stdio::null());
    cmd
}

pub(crate) fn output(cmd: &mut Command) -> Output {
    cmd.output().expect("clearance runs")
}

pub(crate) fn assert_ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed ({}):\n{}",
        out.status,
        stderr(out)
    );
}

/// `clearance verify` of `bundle` against `dev`'s trust config, expecting `dev`'s identity
/// and issuer unless `extra` names others.
fn verify(dev: &DevHandle, bundle: &Path, artifact: &Path, extra: &[&str]) -> Output {
    verify_in(&dev.trust_config_path(), bundle, artifact, extra)
}

/// `clearance verify` of `bundle` against the trust config `trust`, expecting the identity
/// and issuer of a sigstore-dev job (its default identity) unless `extra` names others.
fn verify_in(trust: &Path, bundle: &Path, artifact: &Path, extra: &[&str]) -> Output {
    let mut cmd = without_credentials();
    cmd.arg("verify").arg("--bundle").arg(bundle);
    if !extra.contains(&"--certificate-identity") {
        cmd.args([
            "--certificate-identity",
            &GitHubIdentity::default().certificate_identity(),
        ]);
    }
    if !extra.contains(&"--certificate-oidc-issuer") {
        cmd.args(["--certificate-oidc-issuer", sigstore_dev::GITHUB_ISSUER]);
    }
    cmd.arg("--sigstore").arg(trust).args(extra).arg(artifact);
    output(&mut cmd)
}

/// sigstore-python, without network (`unshare -n`), against `dev`'s trust config.
pub(crate) fn python_verify(
    dev: &DevHandle,
    args: &[&str],
    bundle: &Path,
    artifact: &Path,
) -> Output {
    let out = Command::new("unshare")
        .arg("-n")
        .arg(sigstore_python())
        .arg("--trust-config")
        .arg(dev.trust_config_path())
        .arg("verify")
        .args(args)
        .arg("--offline")
        .arg("--bundle")
        .arg(bundle)
        .arg(artifact)
        .output()
        .expect("unshare runs (it is in util-linux; the tests run as root)");
    assert!(
        !String::from_utf8_lossy(&out.stderr).contains("unshare failed"),
        "unshare -n is not available: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn predicate_type(bundle: &Path) -> String {
    use base64::Engine;
    let value: serde_json::Value = serde_json::from_slice(&std::fs::read(bundle).unwrap()).unwrap();
    let payload = value["dsseEnvelope"]["payload"].as_str().unwrap();
    let statement: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(payload)
            .unwrap(),
    )
    .unwrap();
    statement["predicateType"].as_str().unwrap().to_string()
}

#[test]
fn github_job_signs_blobs_and_every_attestation_and_both_verifiers_accept_them() {
    let dir = tempfile::tempdir().unwrap();
    let dev = start_dev(dir.path());
    let artifact = dir.path().join("app.tar.gz");
    std::fs::write(&artifact, b"release artifact bytes\n").unwrap();
    let manifest = workspace_manifest();
    let manifest = manifest.to_str().unwrap();
    let tc = dev.trust_config_path();
    let tc = tc.to_str().unwrap();

    let blob = dir.path().join("app.tar.gz.sigstore.json");
    let out = output(
        in_github_job(&dev)
            .args(["sign", "--sigstore", tc, "--bundle"])
            .arg(&blob)
            .arg(&artifact),
    );
    assert_ok(&out, "clearance sign");
    let mut bundles = vec![(blob, None)];
    for (predicate, expected) in [
        ("provenance", "https://slsa.dev/provenance/v1"),
        ("cyclonedx", "https://cyclonedx.org/bom"),
        ("spdx", "https://spdx.dev/Document"),
        (
            "license-report",
            "https://github.com/clearance-rs/clearance/attestation/license-report/v1",
        ),
    ] {
        let bundle = dir.path().join(format!("{predicate}.sigstore.json"));
        let out = output(
            in_github_job(&dev)
                .args(["attest", "--offline", "--manifest-path", manifest])
                .args([
                    "--predicate",
                    predicate,
                    "--sign",
                    "keyless",
                    "--sigstore",
                    tc,
                ])
                .arg("--subject")
                .arg(&artifact)
                .arg("-o")
                .arg(&bundle),
        );
        assert_ok(&out, predicate);
        assert_eq!(predicate_type(&bundle), expected);
        bundles.push((bundle, Some(expected)));
    }

    let id = dev.identity().clone();
    for (bundle, expected) in &bundles {
        let out = verify(
            &dev,
            bundle,
            &artifact,
            &[
                "--github-repository",
                &id.repository,
                "--github-sha",
                &id.sha,
                "--format",
                "json",
            ],
        );
        assert_ok(&out, &format!("clearance verify {}", bundle.display()));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(report["verified"], true);
        assert_eq!(
            report["attestation"]["predicate_type"].as_str(),
            *expected,
            "{}",
            bundle.display()
        );

        let out = python_verify(
            &dev,
            &[
                "identity",
                "--cert-identity",
                &dev.certificate_identity(),
                "--cert-oidc-issuer",
                dev.certificate_issuer(),
            ],
            bundle,
            &artifact,
        );
        assert_ok(
            &out,
            &format!("sigstore verify identity {}", bundle.display()),
        );
        let out = python_verify(
            &dev,
            &[
                "github",
                "--cert-identity",
                &dev.certificate_identity(),
                "--repository",
                &id.repository,
                "--ref",
                &id.git_ref,
                "--sha",
                &id.sha,
                "--trigger",
                &id.event_name,
            ],
            bundle,
            &artifact,
        );
        assert_ok(
            &out,
            &format!("sigstore verify github {}", bundle.display()),
        );
    }
}

#[test]
fn verification_refuses_tampering_other_signers_and_other_instances() {
    let dir = tempfile::tempdir().unwrap();
    let dev = start_dev(dir.path());
    let artifact = dir.path().join("artifact.txt");
    std::fs::write(&artifact, b"the real bytes\n").unwrap();
    let bundle = dir.path().join("artifact.sigstore.json");
    let tc = dev.trust_config_path();
    let out = output(
        in_github_job(&dev)
            .arg("sign")
            .arg("--sigstore")
            .arg(&tc)
            .arg("--bundle")
            .arg(&bundle)
            .arg(&artifact),
    );
    assert_ok(&out, "clearance sign");
    assert!(verify(&dev, &bundle, &artifact, &[]).status.success());

    let tampered = dir.path().join("tampered.txt");
    std::fs::write(&tampered, b"the real bytez\n").unwrap();
    let refusals = [
        ("tampered artifact", verify(&dev, &bundle, &tampered, &[])),
        (
            "wrong identity",
            verify(
                &dev,
                &bundle,
                &artifact,
                &[
                    "--certificate-identity",
                    "https://github.com/someone/else/.github/workflows/x.yml@refs/heads/main",
                ],
            ),
        ),
        (
            "wrong issuer",
            verify(
                &dev,
                &bundle,
                &artifact,
                &["--certificate-oidc-issuer", "https://accounts.google.com"],
            ),
        ),
        (
            "wrong repository",
            verify(
                &dev,
                &bundle,
                &artifact,
                &["--github-repository", "someone/else"],
            ),
        ),
    ];
    for (what, out) in refusals {
        assert_eq!(out.status.code(), Some(1), "{what}: {}", stderr(&out));
    }

    let other_dir = tempfile::tempdir().unwrap();
    let other = start_dev(other_dir.path());
    let out = verify_in(&other.trust_config_path(), &bundle, &artifact, &[]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "another instance's root: {}",
        stderr(&out)
    );
}

/// Runs `clearance sign --identity-token TOKEN` and checks the token appears nowhere.
fn sign_with_token(
    dev: &DevHandle,
    dir: &Path,
    token: &str,
    sigstore: &Path,
    timeout: &str,
) -> (Output, PathBuf) {
    let artifact = dir.join("artifact.txt");
    std::fs::write(&artifact, b"bytes\n").unwrap();
    let bundle = dir.join("out.sigstore.json");
    let _ = std::fs::remove_file(&bundle);
    let out = output(
        without_credentials()
            .arg("sign")
            .arg("--sigstore")
            .arg(sigstore)
            .args(["--timeout", timeout, "--identity-token", token, "--bundle"])
            .arg(&bundle)
            .arg(&artifact),
    );
    let signature = token.rsplit('.').next().unwrap();
    for text in [
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    ] {
        assert!(
            !text.contains(token) && !text.contains(signature),
            "the token leaked: {text}"
        );
    }
    assert_no_file_contains(dir, signature);
    let _ = dev;
    (out, bundle)
}

fn assert_no_file_contains(dir: &Path, needle: &str) {
    for entry in files_under(dir) {
        if let Ok(bytes) = std::fs::read(&entry) {
            assert!(
                !String::from_utf8_lossy(&bytes).contains(needle),
                "{} contains the token",
                entry.display()
            );
        }
    }
}

#[test]
fn bad_tokens_are_refused_without_a_bundle_or_a_trace_of_the_token() {
    let dir = tempfile::tempdir().unwrap();
    let dev = start_dev(dir.path());
    let tc = dev.trust_config_path();
    let cases = [
        (
            "expired",
            TokenSpec {
                lifetime: TokenLifetime::ExpiredFor(Duration::from_secs(600)),
                ..TokenSpec::default()
            },
            "expired",
        ),
        (
            "wrong audience",
            TokenSpec {
                audience: "not-sigstore".into(),
                ..TokenSpec::default()
            },
            "audience",
        ),
        (
            "unknown key",
            TokenSpec {
                signer: TokenSigner::UnknownKey,
                ..TokenSpec::default()
            },
            "Fulcio",
        ),
    ];
    for (what, spec, expected) in cases {
        let token = dev.mint_token(&spec);
        let (out, bundle) = sign_with_token(&dev, dir.path(), &token, &tc, "30");
        assert_eq!(out.status.code(), Some(2), "{what}: {}", stderr(&out));
        assert!(stderr(&out).contains(expected), "{what}: {}", stderr(&out));
        assert!(!bundle.exists(), "{what}: a bundle was written");
    }
    let good = dev.mint_token(&TokenSpec::default());
    let (out, bundle) = sign_with_token(&dev, dir.path(), &good, &tc, "30");
    assert_ok(&out, "signing with a good token");
    assert!(bundle.exists());
}

/// `dev`'s trust config with the Fulcio or Rekor URL replaced, written into `dir`.
fn trust_config_with(dev: &DevHandle, dir: &Path, service: &str, url: &str) -> PathBuf {
    let mut config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dev.trust_config_path()).unwrap()).unwrap();
    for endpoint in config["signingConfig"][service].as_array_mut().unwrap() {
        endpoint["url"] = serde_json::Value::String(url.to_string());
    }
    let path = dir.join(format!("trust_config_{service}.json"));
    std::fs::write(&path, serde_json::to_vec_pretty(&config).unwrap()).unwrap();
    path
}

#[test]
fn fulcio_failing_twice_is_retried_and_signing_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let dev = start_dev(dir.path());
    let upstream = dev.url().trim_start_matches("http://").parse().unwrap();
    let proxy = FlakyProxy::start(upstream, 2);
    let tc = trust_config_with(
        &dev,
        dir.path(),
        "caUrls",
        &format!("http://{}", proxy.addr),
    );
    let token = dev.mint_token(&TokenSpec::default());
    let (out, bundle) = sign_with_token(&dev, dir.path(), &token, &tc, "30");
    assert_ok(&out, "signing through a flaky Fulcio");
    assert_eq!(
        proxy.requests(),
        3,
        "two failures, then the request that passed"
    );
    assert!(
        verify(&dev, &bundle, &dir.path().join("artifact.txt"), &[])
            .status
            .success()
    );
}

#[test]
fn a_silent_rekor_fails_clearly_within_the_timeout_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let dev = start_dev(dir.path());
    let silent = silent_server();
    let tc = trust_config_with(
        &dev,
        dir.path(),
        "rekorTlogUrls",
        &format!("http://{silent}"),
    );
    let token = dev.mint_token(&TokenSpec::default());
    let started = Instant::now();
    let (out, bundle) = sign_with_token(&dev, dir.path(), &token, &tc, "2");
    let took = started.elapsed();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("Rekor did not answer within 2s"),
        "{}",
        stderr(&out)
    );
    assert!(!bundle.exists(), "no bundle after a failure");
    assert!(took < Duration::from_secs(20), "took {took:?}");
}

/// Reads lines of the child's standard output until `export ACTIONS_ID_TOKEN_REQUEST_TOKEN`
/// has been printed, returning the `export` lines as pairs.
fn read_exports(child: &mut std::process::Child) -> Vec<(String, String)> {
    use std::io::BufRead;
    let stdout = child.stdout.take().unwrap();
    let mut reader = std::io::BufReader::new(stdout);
    let mut exports = Vec::new();
    let mut line = String::new();
    while reader.read_line(&mut line).unwrap_or(0) > 0 {
        for part in line
            .trim()
            .strip_prefix("export ")
            .unwrap_or_default()
            .split_whitespace()
        {
            if let Some((name, value)) = part.split_once('=') {
                exports.push((
                    name.to_string(),
                    value.trim_matches('\'').trim_matches('"').to_string(),
                ));
            }
        }
        if exports
            .iter()
            .any(|(n, _)| n == "ACTIONS_ID_TOKEN_REQUEST_TOKEN")
        {
            break;
        }
        line.clear();
    }
    std::thread::spawn(move || std::io::copy(&mut reader, &mut std::io::sink()));
    exports
}

/// Kills the child process when dropped.
struct Kill(std::process::Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn sigstore_dev_from_the_cli_serves_another_process_that_attests() {
    let dir = tempfile::tempdir().unwrap();
    let dev_dir = dir.path().join("dev");
    let mut child = Kill(
        without_credentials()
            .arg("sigstore-dev")
            .arg("--dir")
            .arg(&dev_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("sigstore-dev starts"),
    );
    let exports = read_exports(&mut child.0);
    assert!(
        exports
            .iter()
            .any(|(n, _)| n == "ACTIONS_ID_TOKEN_REQUEST_URL"),
        "the banner tells how to get a token: {exports:?}"
    );
    let artifact = dir.path().join("app.bin");
    std::fs::write(&artifact, b"\x7fELF pretend").unwrap();
    let bundle = dir.path().join("app.provenance.sigstore.json");
    let mut cmd = without_credentials();
    cmd.env("GITHUB_ACTIONS", "true")
        .envs(exports.iter().map(|(n, v)| (n, v)));
    let out = output(
        cmd.args([
            "attest",
            "--predicate",
            "provenance",
            "--sign",
            "keyless",
            "--sigstore",
        ])
        .arg(dev_dir.join("trust_config.json"))
        .arg("--subject")
        .arg(&artifact)
        .arg("-o")
        .arg(&bundle),
    );
    assert_ok(
        &out,
        "clearance attest --sign keyless against the CLI's sigstore-dev",
    );
    let out = verify_in(&dev_dir.join("trust_config.json"), &bundle, &artifact, &[]);
    assert_ok(&out, "clearance verify");
    assert!(String::from_utf8_lossy(&out.stdout).contains("https://slsa.dev/provenance/v1"));
}

#[test]
fn release_with_sigstore_dev_signs_records_and_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let out = output(
        without_credentials()
            .current_dir(dir.path())
            .args([
                "release",
                "--offline",
                "--sigstore",
                "dev",
                "--manifest-path",
            ])
            .arg(workspace_manifest()),
    );
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "release failed: {}",
        stderr(&out)
    );
    let folder = dir.path().join("dist/clearance");
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("release.json")).unwrap()).unwrap();
    let files = record["files"].as_array().unwrap();
    assert!(files.len() >= 12, "{files:?}");
    for file in files {
        let bytes = std::fs::read(folder.join(file["path"].as_str().unwrap())).unwrap();
        let digest = clearance_core::license::sha256_hex(&bytes);
        assert_eq!(file["sha256"].as_str().unwrap(), digest, "{file}");
    }
    let identity = GitHubIdentity::default().certificate_identity();
    assert_eq!(record["signing"]["identity"], identity.as_str());
    let trust = dir.path().join(".clearance/sigstore-dev/trust_config.json");
    let attestations = record["attestations"].as_array().unwrap();
    assert_eq!(attestations.len(), 4);
    for attestation in attestations {
        let bundle = folder.join(attestation["file"].as_str().unwrap());
        let subject = attestation["subjects"][0]["path"].as_str().unwrap();
        let out = verify_in(&trust, &bundle, &folder.join(subject), &[]);
        assert_ok(&out, &format!("verify {}", bundle.display()));
    }
    let stored: Vec<_> = std::fs::read_dir(dir.path().join(".clearance/evidence"))
        .unwrap()
        .collect();
    assert_eq!(
        stored.len(),
        1,
        "one release recorded in the evidence store"
    );

    // Then the README's snapshot of that evidence, through a local instance started again.
    let snapshot = |args: &[&str]| {
        output(
            without_credentials()
                .current_dir(dir.path())
                .args(args)
                .args(["--sigstore", "dev", "--identity", &identity])
                .args(["--issuer", sigstore_dev::GITHUB_ISSUER]),
        )
    };
    let out = snapshot(&[
        "snapshot",
        "--since",
        "2000-01-01",
        "--until",
        "2999-12-31",
        "-o",
        "dist/snapshot.tar.gz",
    ]);
    assert_ok(&out, "snapshot");
    assert!(String::from_utf8_lossy(&out.stdout).contains(": 1 release from"));
    let out = snapshot(&["snapshot", "verify", "dist/snapshot.tar.gz"]);
    assert_ok(&out, "snapshot verify");
    assert!(String::from_utf8_lossy(&out.stdout).contains("4 attestations verified"));
}
