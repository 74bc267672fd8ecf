//! Snapshot archives (`snapshot verify FILE`): the streaming `.tar.gz` reader under small
//! limits, then the whole re-check of an archive (manifest, its signature, every file against
//! it, every release's files and bundles) against a fixed trusted root and signer. Refusing
//! an archive is expected; panicking, allocating from a claimed size or hanging is not.

#![no_main]

use std::path::Path;

use clearance_attest::instance::load_trusted_root;
use clearance_attest::policy::{GitHubClaims, Identity, IdentityPolicy};
use clearance_attest::signers::Signers;
use clearance_attest::verify::{Verifier, prepare_verifier};
use clearance_evidence::snapshot::archive::{Limits, read_archive};
use clearance_evidence::snapshot::verify_archive;
use libfuzzer_sys::fuzz_target;

/// The public-good trusted root of the sigstore-conformance fixtures.
const ROOT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/sigstore-conformance/production_trusted_root.json"
);

/// Small limits, so that the fuzzer reaches them: a few MiB in all.
const LIMITS: Limits = Limits {
    max_entry: 1 << 20,
    max_total: 4 << 20,
    max_ratio: 100,
};

struct Fixed {
    verifier: Verifier,
    signers: Signers,
}

fn fixed() -> &'static Fixed {
    static FIXED: std::sync::OnceLock<Fixed> = std::sync::OnceLock::new();
    FIXED.get_or_init(|| {
        let root = load_trusted_root(Path::new(ROOT)).expect("the conformance root loads");
        Fixed {
            verifier: prepare_verifier(&root).expect("the public-good root is usable"),
            signers: Signers::single(IdentityPolicy {
                identity: Identity::Exact("release@example.com".to_owned()),
                issuer: "https://issuer.example".to_owned(),
                github: GitHubClaims::default(),
            }),
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let mut files = 0usize;
    let _ = read_archive(data, &LIMITS, |_| true, |file| {
        assert!(file.content.size <= LIMITS.max_entry);
        files += 1;
        Ok(())
    });
    let fixed = fixed();
    if let Ok(report) = verify_archive(
        Path::new("fuzz.tar.gz"),
        data,
        &LIMITS,
        &fixed.verifier,
        &fixed.signers,
    ) {
        let _ = report.unrecorded();
    }
});
