//! Every SBOM written for the fixture workspace passes the independent validators in
//! `tests/validate`: the official CycloneDX schemas (strict), spdx-tools with the NTIA
//! minimum elements, and spdx3-validate (JSON schema and SHACL model).

use crate::util::{assert_valid, validate, workspace_manifest};

fn write(args: &[&str], name: &str, dir: &std::path::Path) -> std::path::PathBuf {
    let out = dir.join(name);
    let manifest = workspace_manifest();
    let mut full = vec![
        "sbom",
        "--offline",
        "--manifest-path",
        manifest.to_str().unwrap(),
    ];
    full.extend_from_slice(args);
    full.extend_from_slice(&["-o", out.to_str().unwrap()]);
    let status = crate::util::clearance()
        .args(&full)
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .status()
        .unwrap();
    assert!(status.success(), "clearance {full:?}");
    out
}

#[test]
fn cyclonedx_passes_the_official_schemas() {
    let dir = tempfile::tempdir().unwrap();
    for version in ["1.5", "1.6", "1.7"] {
        for include in ["", "build,dev"] {
            let mut args = vec!["--spec-version", version];
            if !include.is_empty() {
                args.extend(["--include", include]);
            }
            let file = write(&args, &format!("{version}-{include}.cdx.json"), dir.path());
            assert_valid("validate-cyclonedx.py", &file);
        }
    }
}

#[test]
fn spdx_2_3_passes_spdx_tools_and_ntia_minimum_elements() {
    let dir = tempfile::tempdir().unwrap();
    for include in ["normal", "build,dev"] {
        let mut args = vec!["--format", "spdx-json"];
        if include != "normal" {
            args.extend(["--include", include]);
        }
        let file = write(&args, &format!("{include}.spdx.json"), dir.path());
        assert_valid("validate-spdx.sh", &file);
    }
}

#[test]
fn spdx_3_passes_spdx3_validate() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        &["--format", "spdx3-json", "--include", "build,dev"],
        "a.spdx3.jsonld",
        dir.path(),
    );
    assert_valid("validate-spdx3.py", &file);
}

#[test]
fn the_validators_do_reject_broken_documents() {
    // Guards against a validator setup that passes everything.
    let dir = tempfile::tempdir().unwrap();
    let cdx = write(&[], "ok.cdx.json", dir.path());
    let broken = dir.path().join("broken.cdx.json");
    let text = std::fs::read_to_string(&cdx).unwrap().replacen(
        "\"type\": \"library\"",
        "\"type\": \"librar\"",
        1,
    );
    std::fs::write(&broken, text).unwrap();
    assert!(!validate("validate-cyclonedx.py", &broken).0);

    let spdx3 = write(&["--format", "spdx3-json"], "ok.spdx3.jsonld", dir.path());
    let broken = dir.path().join("broken.spdx3.jsonld");
    let text =
        std::fs::read_to_string(&spdx3)
            .unwrap()
            .replacen("\"dependsOn\"", "\"dependsOnX\"", 1);
    std::fs::write(&broken, text).unwrap();
    assert!(!validate("validate-spdx3.py", &broken).0);

    let spdx = write(&["--format", "spdx-json"], "ok.spdx.json", dir.path());
    let broken = dir.path().join("broken.spdx.json");
    let text = std::fs::read_to_string(&spdx)
        .unwrap()
        .replacen("\"SPDX-2.3\"", "\"SPDX-2.9\"", 1);
    std::fs::write(&broken, text).unwrap();
    assert!(!validate("validate-spdx.sh", &broken).0);
}
