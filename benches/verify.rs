//! In-process cost of one `clearance verify`: a happy-path message-signature bundle and a
//! happy-path DSSE attestation bundle of the sigstore-conformance vectors, each verified 1,000
//! times (bundle parsing, cryptographic verification, identity policy, GitHub claims, subject
//! check) with one verifier prepared beforehand. Prints the mean, p50 and p99 per
//! verification.
//!
//! Run: `cargo bench --bench verify` (the conformance vectors are the tests' copy, in
//! `tests/fixtures/sigstore-conformance`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clearance_attest::instance::Instance;
use clearance_attest::policy::{GitHubClaims, Identity, IdentityPolicy, Policy};
use clearance_attest::verify::{Artifact, prepare_verifier, verify_with};

const ITERATIONS: usize = 1_000;
const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

fn bundle_verify_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/sigstore-conformance/test/assets/bundle-verify")
}

fn main() {
    let dir = bundle_verify_dir();
    let started = Instant::now();
    let trusted_root = Instance::PublicGood
        .load()
        .expect("the embedded root")
        .trusted_root;
    let verifier = prepare_verifier(&trusted_root).expect("a usable root");
    println!(
        "prepare verifier (embedded public-good root): {:.3} ms",
        ms(started.elapsed())
    );
    let artifact = Artifact::Bytes(std::fs::read(dir.join("a.txt")).unwrap());
    let policy = Policy::Identity(IdentityPolicy {
        identity: Identity::Exact(IDENTITY.into()),
        issuer: ISSUER.into(),
        github: GitHubClaims {
            repository: Some("sigstore-conformance/extremely-dangerous-public-oidc-beacon".into()),
            git_ref: Some("refs/heads/main".into()),
            ..GitHubClaims::default()
        },
    });
    for case in ["happy-path-v0.3", "happy-path-intoto-in-dsse-v3"] {
        let path = dir.join(case).join("bundle.sigstore.json");
        let bundle = std::fs::read(&path).unwrap();
        let mut samples = Vec::with_capacity(ITERATIONS);
        for _ in 0..ITERATIONS {
            let started = Instant::now();
            let verified = verify_with(&verifier, &path, &bundle, &artifact, &policy);
            samples.push(started.elapsed());
            assert!(verified.is_ok(), "{case}: {:?}", verified.err());
        }
        samples.sort();
        let mean = samples.iter().sum::<Duration>() / ITERATIONS as u32;
        println!(
            "{case:<30} {ITERATIONS} verifications: mean {:.3} ms, p50 {:.3} ms, p99 {:.3} ms",
            ms(mean),
            ms(samples[ITERATIONS / 2]),
            ms(samples[ITERATIONS * 99 / 100]),
        );
    }
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e3
}
