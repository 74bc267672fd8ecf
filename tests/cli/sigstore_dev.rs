//! The local Sigstore instance end to end: bundles signed against it with sigstore-rust and
//! sigstore-python verify with sigstore-verify and, offline, with sigstore-python; a restart
//! keeps old bundles verifiable and the log growing; Fulcio refuses bad tokens.

use std::path::{Path, PathBuf};
use std::process::Command;

use sigstore_dev::{
    DevHandle, DevInstance, DevOptions, DevServer, TokenLifetime, TokenSigner, TokenSpec,
};
use sigstore_sign::oidc::IdentityToken;
use sigstore_sign::{SigningContext, SigningServices};
use sigstore_verify::trust_root::TrustedRoot;
use sigstore_verify::types::Bundle;
use sigstore_verify::{VerificationPolicy, Verifier};

use crate::util::sigstore_python;

fn start(dir: &Path) -> DevHandle {
    DevServer::spawn(DevOptions::new(dir)).expect("sigstore-dev starts")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn http() -> sigstore_sign::reqwest::Client {
    sigstore_sign::reqwest::Client::new()
}

/// A token from the Actions endpoint, fetched as a job would (`$URL&audience=sigstore`).
fn actions_token(dev: &DevInstance) -> String {
    let env: std::collections::HashMap<_, _> = dev.actions_env().into_iter().collect();
    let url = format!("{}&audience=sigstore", env["ACTIONS_ID_TOKEN_REQUEST_URL"]);
    let body = runtime().block_on(async {
        let response = http()
            .get(&url)
            .header(
                "Authorization",
                format!("bearer {}", env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"]),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        response.bytes().await.unwrap()
    });
    let value: serde_json::Value = serde_json::from_slice(&body).unwrap();
    value["value"].as_str().unwrap().to_string()
}

fn signer(dev: &DevInstance, jwt: &str) -> sigstore_sign::Signer {
    SigningContext::new(SigningServices::new(dev.url(), dev.url()))
        .signer(IdentityToken::from_jwt(jwt).unwrap())
}

/// Writes `contents` to `dir/name` and returns the path.
fn write(dir: &Path, name: &str, contents: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn write_bundle(path: &Path, bundle: &Bundle) {
    std::fs::write(path, bundle.to_json_pretty().unwrap()).unwrap();
}

fn read_bundle(path: &Path) -> Bundle {
    Bundle::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// Verifies with sigstore-verify against the instance's trusted root and identity.
fn verify_rust(dev: &DevInstance, artifact: &[u8], bundle: &Bundle) {
    let root = TrustedRoot::from_file(dev.trusted_root_path()).unwrap();
    let policy = VerificationPolicy::new(dev.certificate_identity(), dev.certificate_issuer());
    Verifier::new(&root)
        .unwrap()
        .verify(artifact, bundle, &policy)
        .unwrap_or_else(|e| panic!("sigstore-verify rejected the bundle: {e}"));
}

/// `unshare -n sigstore --trust-config ... ARGS`: sigstore-python without a network;
/// whether it succeeded, and its output.
fn sigstore_offline(dev: &DevInstance, args: &[&str]) -> (bool, String) {
    let unshare = Command::new("unshare").args(["-n", "true"]).output();
    assert!(
        unshare.as_ref().is_ok_and(|o| o.status.success()),
        "`unshare -n` is needed to prove sigstore-python verifies offline (root, or user \
         namespaces): {unshare:?}"
    );
    let out = Command::new("unshare")
        .arg("-n")
        .arg(sigstore_python())
        .arg("--trust-config")
        .arg(dev.trust_config_path())
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn assert_offline_ok(dev: &DevInstance, args: &[&str]) {
    let (ok, text) = sigstore_offline(dev, args);
    assert!(ok, "sigstore-python {args:?} failed:\n{text}");
}

/// `verify identity` and `verify github` of `file` with its bundle, offline.
fn verify_python(dev: &DevInstance, file: &Path, bundle: &Path) {
    let san = dev.certificate_identity();
    let identity = dev.identity();
    let (file, bundle) = (file.to_str().unwrap(), bundle.to_str().unwrap());
    let common = ["--offline", "--bundle", bundle, "--cert-identity", &san];
    let mut args = vec!["verify", "identity"];
    args.extend(common);
    args.extend(["--cert-oidc-issuer", dev.certificate_issuer(), file]);
    assert_offline_ok(dev, &args);
    let mut args = vec!["verify", "github"];
    args.extend(common);
    args.extend([
        "--repository",
        &identity.repository,
        "--ref",
        &identity.git_ref,
        "--sha",
        &identity.sha,
        "--trigger",
        &identity.event_name,
        file,
    ]);
    assert_offline_ok(dev, &args);
    // The same check with another ref must fail, or the checks above prove nothing.
    let ref_at = args.iter().position(|a| *a == "--ref").unwrap() + 1;
    args[ref_at] = "refs/heads/elsewhere";
    let (ok, text) = sigstore_offline(dev, &args);
    assert!(!ok && text.contains("GitHubWorkflowRef"), "{text}");
}

fn statement_about(name: &str, contents: &[u8]) -> Vec<u8> {
    let digest = hex::encode(sigstore_verify::crypto::sha256(contents).as_bytes());
    serde_json::to_vec(&serde_json::json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{ "name": name, "digest": { "sha256": digest } }],
        "predicateType": "https://clearance.dev/test/v1",
        "predicate": { "note": "signed against sigstore-dev" },
    }))
    .unwrap()
}

fn log_index(bundle: &Bundle) -> i64 {
    bundle.verification_material.tlog_entries[0]
        .log_index
        .as_i64()
}

#[test]
fn rust_bundles_verify_with_sigstore_verify_and_sigstore_python() {
    let tmp = tempfile::tempdir().unwrap();
    let dev = start(&tmp.path().join("dev"));
    let signer = signer(&dev, &actions_token(&dev));
    let artifact = b"clearance release artifact\n";
    let file = write(tmp.path(), "artifact.txt", artifact);
    let statement = statement_about("artifact.txt", artifact);
    let (blob, dsse) = runtime().block_on(async {
        (
            signer.sign(&artifact[..]).await.unwrap(),
            signer.sign_raw_statement(&statement).await.unwrap(),
        )
    });
    verify_rust(&dev, artifact, &blob);
    verify_rust(&dev, artifact, &dsse);
    assert_eq!((log_index(&blob), log_index(&dsse)), (0, 1));

    let blob_path = tmp.path().join("artifact.txt.sigstore.json");
    let dsse_path = tmp.path().join("artifact.intoto.sigstore.json");
    write_bundle(&blob_path, &blob);
    write_bundle(&dsse_path, &dsse);
    verify_python(&dev, &file, &blob_path);
    verify_python(&dev, &file, &dsse_path);

    // A bundle is no proof for another artifact.
    let root = TrustedRoot::from_file(dev.trusted_root_path()).unwrap();
    let policy = VerificationPolicy::new(dev.certificate_identity(), dev.certificate_issuer());
    let verifier = Verifier::new(&root).unwrap();
    assert!(verifier.verify(&b"other"[..], &blob, &policy).is_err());
    assert!(verifier.verify(&b"other"[..], &dsse, &policy).is_err());
}

#[test]
fn sigstore_python_signs_with_a_csr_and_sigstore_verify_accepts_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dev = start(&tmp.path().join("dev"));
    let artifact = b"signed by sigstore-python\n";
    let file = write(tmp.path(), "python.txt", artifact);
    let bundle_path = tmp.path().join("python.txt.sigstore.json");
    let out = Command::new(sigstore_python())
        .arg("--trust-config")
        .arg(dev.trust_config_path())
        .args(["sign", "--identity-token", &actions_token(&dev), "--bundle"])
        .arg(&bundle_path)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "sigstore-python sign failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    verify_rust(&dev, artifact, &read_bundle(&bundle_path));
    assert_eq!(dev.log_size(), 1);
}

#[test]
fn a_restart_keeps_old_bundles_valid_and_the_log_growing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("dev");
    let sign_blob = |dev: &DevInstance, artifact: &'static [u8]| {
        let signer = signer(dev, &dev.mint_token(&TokenSpec::default()));
        runtime().block_on(async { signer.sign(artifact).await.unwrap() })
    };
    let before = {
        let dev = start(&dir);
        sign_blob(&dev, b"before the restart")
    };
    let dev = start(&dir);
    let after = sign_blob(&dev, b"after the restart");
    assert_eq!((log_index(&before), log_index(&after)), (0, 1));
    assert_eq!(dev.log_size(), 2);

    verify_rust(&dev, b"before the restart", &before);
    verify_rust(&dev, b"after the restart", &after);
    let file = write(tmp.path(), "before.txt", b"before the restart");
    let bundle_path = tmp.path().join("before.txt.sigstore.json");
    write_bundle(&bundle_path, &before);
    verify_python(&dev, &file, &bundle_path);

    let root: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dev.trusted_root_path()).unwrap()).unwrap();
    let tlogs = root["tlogs"].as_array().unwrap();
    assert_eq!(tlogs.len(), 2);
    assert!(tlogs[0]["publicKey"]["validFor"]["end"].is_string());
    assert!(tlogs[1]["publicKey"]["validFor"].get("end").is_none());
}

/// Asks Fulcio for a certificate with `jwt`; returns the error sigstore-sign reports.
fn fulcio_refusal(dev: &DevInstance, jwt: &str) -> String {
    let signer = signer(dev, jwt);
    let error = runtime()
        .block_on(async { signer.sign(&b"refused"[..]).await })
        .expect_err("Fulcio issues no certificate");
    error.to_string()
}

#[test]
fn fulcio_refuses_expired_misaddressed_and_foreign_tokens() {
    let tmp = tempfile::tempdir().unwrap();
    let dev = start(&tmp.path().join("dev"));
    let expired = dev.mint_token(&TokenSpec {
        lifetime: TokenLifetime::ExpiredFor(std::time::Duration::from_secs(300)),
        ..TokenSpec::default()
    });
    let error = fulcio_refusal(&dev, &expired);
    assert!(
        error.contains("HTTP 401") && error.contains("identity token expired at"),
        "{error}"
    );
    let wrong_audience = dev.mint_token(&TokenSpec {
        audience: "not-sigstore".into(),
        ..TokenSpec::default()
    });
    let error = fulcio_refusal(&dev, &wrong_audience);
    assert!(
        error.contains("HTTP 401")
            && error.contains("identity token audience `not-sigstore` is not `sigstore`"),
        "{error}"
    );
    let foreign = dev.mint_token(&TokenSpec {
        signer: TokenSigner::UnknownKey,
        ..TokenSpec::default()
    });
    let error = fulcio_refusal(&dev, &foreign);
    assert!(
        error.contains("HTTP 401") && error.contains("signed by an unknown key"),
        "{error}"
    );
    assert_eq!(dev.log_size(), 0, "nothing refused reaches the log");
}

#[test]
fn the_token_endpoint_wants_the_job_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let dev = start(&tmp.path().join("dev"));
    let url = format!("{}/token?api-version=2.0&audience=sigstore", dev.url());
    let statuses = runtime().block_on(async {
        let without = http().get(&url).send().await.unwrap();
        let wrong = http()
            .get(&url)
            .header("Authorization", "bearer not-the-secret")
            .send()
            .await
            .unwrap();
        let message: serde_json::Value =
            serde_json::from_slice(&wrong.bytes().await.unwrap()).expect("errors are JSON");
        (without.status().as_u16(), message)
    });
    assert_eq!(statuses.0, 401);
    assert_eq!(statuses.1["code"], 401);
    assert_eq!(statuses.1["message"], "bad ACTIONS_ID_TOKEN_REQUEST_TOKEN");
}

/// GET `path` (or POST `body` to it); returns the status and the JSON or text answered.
fn call(dev: &DevInstance, path: &str, body: Option<Vec<u8>>) -> (u16, String) {
    runtime().block_on(async {
        let url = format!("{}{path}", dev.url());
        let request = match body {
            Some(body) => http().post(&url).body(body),
            None => http().get(&url),
        };
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        (status, response.text().await.unwrap())
    })
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn the_services_answer_reads_like_the_real_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let dev = start(&tmp.path().join("dev"));
    let material = clearance_attest::instance::load_client_trust_config(&dev.trust_config_path())
        .expect("clearance loads the ClientTrustConfig");
    assert_eq!(material.trusted_root.tlogs.len(), 1);
    assert!(material.signing_config.is_some());

    let signer = signer(&dev, &dev.mint_token(&TokenSpec::default()));
    let bundle = runtime().block_on(async { signer.sign(&b"read me"[..]).await.unwrap() });
    let body = bundle.verification_material.tlog_entries[0]
        .canonicalized_body
        .to_base64();

    let (status, info) = call(&dev, "/api/v1/log", None);
    assert_eq!((status, json(&info)["treeSize"].as_u64()), (200, Some(1)));
    let (status, by_index) = call(&dev, "/api/v1/log/entries?logIndex=0", None);
    assert_eq!(status, 200);
    let by_index = json(&by_index);
    let (uuid, entry) = by_index.as_object().unwrap().iter().next().unwrap();
    assert_eq!(entry["body"], body);
    let (status, by_uuid) = call(&dev, &format!("/api/v1/log/entries/{uuid}"), None);
    assert_eq!((status, &json(&by_uuid)), (200, &by_index));
    assert_eq!(call(&dev, "/api/v1/log/entries?logIndex=1", None).0, 404);

    let (status, pem) = call(&dev, "/api/v1/log/publicKey", None);
    assert_eq!(status, 200);
    let key = sigstore_verify::types::DerPublicKey::from_pem(&pem).unwrap();
    let log_id = hex::encode(sigstore_verify::crypto::sha256(key.as_bytes()).as_bytes());
    assert_eq!(entry["logID"], log_id);

    // The stored body is itself a valid proposal: sending it again is a duplicate.
    let proposal = sigstore_verify::types::CanonicalizedBody::from_base64(&body)
        .unwrap()
        .as_bytes()
        .to_vec();
    let (status, conflict) = call(&dev, "/api/v1/log/entries", Some(proposal));
    assert_eq!(status, 409, "{conflict}");
    assert!(json(&conflict)["message"].as_str().unwrap().contains(uuid));

    // Attestations of large SBOMs are megabytes: the log reads entries up to 32 MiB (as the
    // public-good ingress), and refuses larger ones as too large.
    let (status, answer) = call(&dev, "/api/v1/log/entries", Some(vec![b' '; 5 << 20]));
    assert_eq!(
        status, 400,
        "a 5 MiB proposal is read, then refused as malformed: {answer}"
    );
    let (status, _) = call(&dev, "/api/v1/log/entries", Some(vec![b' '; 33 << 20]));
    assert_eq!(status, 413);

    let (status, discovery) = call(&dev, "/.well-known/openid-configuration", None);
    assert_eq!(status, 200);
    assert_eq!(json(&discovery)["issuer"], dev.certificate_issuer());
    let (_, jwks) = call(&dev, "/.well-known/jwks", None);
    assert_eq!(json(&jwks)["keys"][0]["alg"], "ES256");
    let (_, bundle_chains) = call(&dev, "/api/v2/trustBundle", None);
    assert!(
        json(&bundle_chains)["chains"][0]["certificates"][0]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----\n")
    );
    let (status, missing) = call(&dev, "/api/v1/nothing", None);
    assert_eq!((status, json(&missing)["code"].as_u64()), (404, Some(404)));
}
