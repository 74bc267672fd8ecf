//! Sigstore bundles (`verify --bundle FILE`): parsing and offline verification against a
//! fixed trusted root (the public-good one of the sigstore-conformance fixtures, given as
//! `--trusted-root`), for the conformance artifact, under an exact identity, an identity
//! pattern with GitHub claims, and a managed key; then the human and JSON reports of the
//! outcome. Verification failing is expected; panicking is not.

#![no_main]

use std::path::Path;

use clearance_attest::instance::load_trusted_root;
use clearance_attest::policy::{GitHubClaims, Identity, IdentityPolicy, ManagedKey, Policy};
use clearance_attest::report::{VerifyContext, failure_human, json_report, verified_human};
use clearance_attest::verify::{Artifact, Verifier, prepare_verifier, verify_with};
use clearance_fuzz::TOOL_VERSION;
use libfuzzer_sys::fuzz_target;

/// The sigstore-conformance fixtures, which also seed this target.
const CONFORMANCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/sigstore-conformance"
);

/// The artifact their bundles sign.
const ARTIFACT: &[u8] =
    include_bytes!("../../tests/fixtures/sigstore-conformance/test/assets/bundle-verify/a.txt");

/// The identity and issuer of the conformance beacon that signed them.
const IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";

struct Fixed {
    verifier: Verifier,
    artifact: Artifact,
    exact: Policy,
    pattern: Policy,
    key: Policy,
}

fn fixed() -> Fixed {
    let root = load_trusted_root(Path::new(&format!(
        "{CONFORMANCE}/production_trusted_root.json"
    )))
    .expect("the conformance trusted root loads");
    let verifier = prepare_verifier(&root).expect("the public-good trusted root is usable");
    let exact = Policy::Identity(IdentityPolicy {
        identity: Identity::Exact(IDENTITY.to_owned()),
        issuer: ISSUER.to_owned(),
        github: GitHubClaims::default(),
    });
    let pattern = Policy::Identity(IdentityPolicy {
        identity: Identity::regex(r"https://github\.com/sigstore-conformance/.*@refs/heads/.*")
            .expect("a valid pattern"),
        issuer: ISSUER.to_owned(),
        github: GitHubClaims {
            repository: Some(
                "sigstore-conformance/extremely-dangerous-public-oidc-beacon".to_owned(),
            ),
            git_ref: Some("refs/heads/main".to_owned()),
            sha: None,
            workflow: Some(".github/workflows/extremely-dangerous-oidc-beacon.yml".to_owned()),
        },
    });
    let key = Policy::Key(
        ManagedKey::load(Path::new(&format!(
            "{CONFORMANCE}/test/assets/bundle-verify/managed-key-happy-path/key.pub"
        )))
        .expect("the conformance managed key loads"),
    );
    Fixed {
        verifier,
        artifact: Artifact::Bytes(ARTIFACT.to_vec()),
        exact,
        pattern,
        key,
    }
}

thread_local! {
    static FIXED: Fixed = fixed();
}

fuzz_target!(|data: &[u8]| {
    clearance_fuzz::guard_stack();
    FIXED.with(|fixed| {
        let bundle_path = Path::new("bundle.sigstore.json");
        // A keyless bundle goes through the cryptography under one identity policy, a
        // managed-key bundle under the key; the other kind is refused before any cryptography.
        let identity = if data.len() % 2 == 0 {
            &fixed.exact
        } else {
            &fixed.pattern
        };
        for policy in [identity, &fixed.key] {
            let outcome = verify_with(&fixed.verifier, bundle_path, data, &fixed.artifact, policy);
            let context = VerifyContext {
                bundle: bundle_path,
                artifact: "a.txt",
                artifact_sha256: fixed.artifact.sha256().to_hex(),
                trusted_root: "production_trusted_root.json",
                policy,
                tool_version: TOOL_VERSION,
            };
            match &outcome {
                Ok(verified) => {
                    std::hint::black_box(verified_human(&context, verified));
                }
                Err(error) => {
                    std::hint::black_box((error.code(), error.help(), error.to_string()));
                    std::hint::black_box(failure_human(&context, error));
                }
            }
            std::hint::black_box(json_report(&context, outcome.as_ref()));
        }
    });
});
