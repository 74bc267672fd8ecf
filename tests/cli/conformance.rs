//! The sigstore-conformance offline verification vectors (vendored in
//! `tests/fixtures/sigstore-conformance`, see its INDEX.md), run through the real `clearance
//! verify` binary: every case that ends in `_fail` must be refused, every other case verified.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::util::{clearance, fixture};

/// How many cases the vectors hold; a different count means the data changed.
const CASES: usize = 70;

/// The identity of the conformance beacon workflow, for cases without an `identity` file.
pub const BEACON_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";

/// The GitHub Actions OIDC issuer, for cases without an `issuer` file.
pub const GITHUB_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// Failing cases whose input is unusable, rather than a bundle that does not verify: they
/// exit 2. Every other failing case exits 1.
const INPUT_ERRORS: [&str; 3] = [
    // The bundle is truncated JSON.
    "bundle-malformed-json_fail",
    // The key file's base64 ends in `wrongkey==`, whose last symbol leaves non-zero padding
    // bits: it is not a PEM key at all, so it is refused before anything is verified.
    "managed-key-wrong-key_fail",
    // The trusted root lacks a required field (a tlog key's validFor.start).
    "trust-root-tlog-missing-validity-start_fail",
];

/// The conformance data folder.
pub fn conformance() -> PathBuf {
    fixture("sigstore-conformance")
}

/// `bundle-verify/CASE`.
pub fn case_dir(case: &str) -> PathBuf {
    conformance().join("test/assets/bundle-verify").join(case)
}

/// The `clearance verify` command for a case, as INDEX.md describes it: the case's artifact
/// (else `../a.txt`), its trusted root (else the production one), its key or its identity and
/// issuer (else the beacon's).
pub fn case_command(dir: &Path) -> Command {
    let file = |name: &str| Some(dir.join(name)).filter(|p| p.exists());
    let text = |name: &str, default: &str| {
        file(name).map_or(default.to_string(), |p| {
            std::fs::read_to_string(p).unwrap().trim().to_string()
        })
    };
    let mut cmd = clearance();
    cmd.arg("verify")
        .arg("--bundle")
        .arg(dir.join("bundle.sigstore.json"))
        .arg("--trusted-root")
        .arg(
            file("trusted_root.json")
                .unwrap_or_else(|| conformance().join("production_trusted_root.json")),
        );
    match file("key.pub") {
        Some(key) => cmd.arg("--key").arg(key),
        None => cmd
            .arg("--certificate-identity")
            .arg(text("identity", BEACON_IDENTITY))
            .arg("--certificate-oidc-issuer")
            .arg(text("issuer", GITHUB_ISSUER)),
    };
    cmd.arg(file("artifact").unwrap_or_else(|| dir.join("../a.txt")));
    cmd
}

/// The exit code a case must give.
fn expected_code(case: &str) -> i32 {
    match case {
        case if INPUT_ERRORS.contains(&case) => 2,
        case if case.ends_with("_fail") => 1,
        _ => 0,
    }
}

/// Runs one case; `Some(reason)` when it did not give the expected exit code.
fn mismatch(case: &str) -> Option<String> {
    let out = case_command(&case_dir(case))
        .output()
        .expect("clearance runs");
    let expected = expected_code(case);
    if out.status.code() == Some(expected) {
        return None;
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    Some(format!(
        "{case}: expected exit {expected}, got {}: {}",
        out.status,
        stderr.lines().next().unwrap_or("(no message)")
    ))
}

#[test]
fn every_conformance_case_gives_its_expected_exit_code() {
    let mut cases: Vec<String> = std::fs::read_dir(case_dir(""))
        .unwrap_or_else(|e| panic!("{}: {e}", case_dir("").display()))
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.file_type().unwrap().is_dir())
        .map(|entry| entry.file_name().into_string().unwrap())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), CASES, "the conformance data changed");

    let threads = std::thread::available_parallelism().map_or(2, |n| n.get() * 2);
    let chunk = cases.len().div_ceil(threads);
    let mut mismatches: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .chunks(chunk)
            .map(|chunk| {
                scope.spawn(|| chunk.iter().filter_map(|c| mismatch(c)).collect::<Vec<_>>())
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    mismatches.sort();
    assert!(
        mismatches.is_empty(),
        "{} of {CASES} conformance cases failed:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}
