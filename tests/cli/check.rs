//! `clearance check`: verdicts and exit codes under the fixture policies, policy errors with
//! their locations, cargo-deny configurations, and every report format against its schema.

use std::path::Path;

use serde_json::Value;

use crate::util::{clearance, finding_codes, fixture, stderr, workspace_manifest};

fn check(args: &[&str]) -> std::process::Output {
    let m = workspace_manifest();
    let mut full = vec!["check", "--offline", "--manifest-path", m.to_str().unwrap()];
    full.extend_from_slice(args);
    clearance().args(&full).output().unwrap()
}

fn policy(name: &str) -> String {
    fixture(&format!("policies/{name}"))
        .to_str()
        .unwrap()
        .to_owned()
}

/// (code, package) of every finding of a JSON check report.
fn findings(out: &std::process::Output) -> Vec<(String, String)> {
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)));
    assert_eq!(doc["schema"], "clearance-check/1");
    finding_codes(&doc["findings"])
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[test]
fn the_built_in_policy_flags_lgpl_and_the_proprietary_license_file() {
    let out = check(&["--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        findings(&out),
        pairs(&[
            ("license-unknown", "custom-license"),
            ("license-not-allowed", "legacy-lgpl")
        ])
    );
}

#[test]
fn a_policy_using_every_key_passes_the_workspace() {
    let out = check(&["--policy", &policy("valid-full.toml")]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok: 9 components: 9 allowed"));
}

#[test]
fn an_expired_exception_is_a_finding_and_grants_nothing() {
    let out = check(&[
        "--policy",
        &policy("expired-exception.toml"),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        findings(&out),
        pairs(&[
            ("license-not-allowed", "legacy-lgpl"),
            ("exception-expired", "legacy-lgpl")
        ])
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let expired = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "exception-expired")
        .unwrap();
    assert_eq!(expired["rule"]["line"], 18);
    assert!(
        expired["message"]
            .as_str()
            .unwrap()
            .contains("expired on 2020-01-01")
    );
}

#[test]
fn a_stale_clarification_says_so_and_offers_the_current_digest() {
    let out = check(&["--policy", &policy("stale-clarification.toml")]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("error[clarification-stale]: the clarification for custom-license no longer applies: LICENSE.txt changed"), "{text}");
    assert!(
        text.contains(
            "sha256 = \"5022283c71d21f278c19f55c175621013471f6632642618f0106260008ada01d\""
        ),
        "{text}"
    );
    assert!(
        text.contains("error[license-unknown]: custom-license"),
        "falls back to the declared license: {text}"
    );
}

#[test]
fn cargo_deny_configurations_are_accepted_as_they_are() {
    for name in ["deny.toml", "deny-old.toml"] {
        let out = check(&["--policy", &policy(name), "--format", "json"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            stderr(&out)
        );
    }
    // private = { ignore = true } skips the unpublished packages, as cargo-deny does.
    let out = check(&["--policy", &policy("deny.toml"), "--format", "json"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["summary"]["skipped"], 4);
}

#[test]
fn a_cargo_deny_clarification_is_checked_with_cargo_denys_hash() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("deny.toml");
    let write = |hash: &str| {
        std::fs::write(&p, format!("[licenses]\nallow = [\"MIT\", \"Apache-2.0\", \"BSD-3-Clause\", \"Unicode-3.0\", \"LGPL-3.0\"]\nexceptions = [{{ allow = [\"LicenseRef-Example\"], crate = \"custom-license\" }}]\nclarify = [{{ crate = \"custom-license\", expression = \"LicenseRef-Example\", license-files = [{{ path = \"LICENSE.txt\", hash = {hash} }}] }}]\n")).unwrap();
    };
    write("0x16a5202d");
    let out = check(&["--policy", p.to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    write("0x16a5202e");
    let out = check(&["--policy", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("clarification-stale"));
}

#[test]
fn broken_policies_name_file_line_and_column() {
    let cases = [
        ("bad-unknown-key.toml", vec![("policy-unknown-key", "6:1")]),
        (
            "bad-unknown-license.toml",
            vec![("policy-unknown-license", "8:6")],
        ),
        (
            "bad-expression.toml",
            vec![("policy-unknown-license", "10:15")],
        ),
        ("bad-date.toml", vec![("policy-invalid-date", "12:12")]),
        (
            "bad-semver.toml",
            vec![("policy-invalid-version-req", "10:13")],
        ),
        ("bad-toml-syntax.toml", vec![("policy-syntax", "8:")]),
        ("bad-sha256.toml", vec![("policy-invalid-sha256", "13:39")]),
        (
            "bad-several.toml",
            vec![
                ("policy-unknown-license", "6:18"),
                ("policy-unknown-key", "8:1"),
                ("policy-invalid-date", "14:12"),
            ],
        ),
    ];
    for (name, expected) in cases {
        let out_dir = tempfile::tempdir().unwrap();
        let target = out_dir.path().join("report.json");
        let out = check(&["--policy", &policy(name), "-o", target.to_str().unwrap()]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{name}: {err}");
        assert!(!target.exists(), "{name}: no report is written");
        assert!(!err.contains("panicked"), "{err}");
        for (code, at) in &expected {
            assert!(err.contains(&format!("error[{code}]")), "{name}: {err}");
            assert!(
                err.contains(&format!("{name}:{at}")),
                "{name}: expected {at}: {err}"
            );
        }
        let count = err.matches("\nerror[").count() + usize::from(err.starts_with("error["));
        assert_eq!(count, expected.len(), "{name}: every problem once: {err}");
        assert!(err.contains("help:"), "{name}: says what to do: {err}");
    }
    let out = check(&["--policy", &policy("bad-unknown-license.toml")]);
    assert!(stderr(&out).contains("did you mean `Apache-2.0`?"));
    let out = check(&["--policy", &policy("bad-several.toml")]);
    assert!(stderr(&out).contains("did you mean `deny-categories`?"));
    let out = check(&["--policy", "/nonexistent/policy.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cannot read the policy /nonexistent/policy.toml"));
}

#[test]
fn sarif_is_valid_and_located_in_cargo_lock() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("check.sarif.json");
    let out = check(&["--format", "sarif", "-o", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let schema = crate::util::validators().join("schemas/sarif-schema-2.1.0.json");
    let venv = crate::util::validate_venv().join("bin/check-jsonschema");
    let v = std::process::Command::new(venv)
        .arg("--schemafile")
        .arg(&schema)
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        v.status.success(),
        "{}{}",
        String::from_utf8_lossy(&v.stdout),
        String::from_utf8_lossy(&v.stderr)
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let run = &doc["runs"][0];
    assert_eq!(run["tool"]["driver"]["rules"].as_array().unwrap().len(), 9);
    assert!(
        run["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["help"]["text"].as_str().is_some_and(|t| !t.is_empty()))
    );
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    let lock = std::fs::read_to_string(fixture("workspace/Cargo.lock")).unwrap();
    for r in results {
        let loc = &r["locations"][0]["physicalLocation"];
        assert!(
            loc["artifactLocation"]["uri"]
                .as_str()
                .unwrap()
                .ends_with("tests/fixtures/workspace/Cargo.lock")
        );
        let line = loc["region"]["startLine"].as_u64().unwrap() as usize;
        let name = r["properties"]["package"].as_str().unwrap();
        assert_eq!(
            lock.lines().nth(line - 1),
            Some(format!("name = \"{name}\"").as_str()),
            "points at the package's entry"
        );
        assert!(r["partialFingerprints"]["clearanceFinding/v1"].is_string());
    }
}

#[test]
fn junit_has_one_test_case_per_component() {
    let out = check(&["--format", "junit"]);
    let xml = String::from_utf8(out.stdout).unwrap();
    let py = crate::util::validate_venv().join("bin/python");
    let parsed = std::process::Command::new(py)
        .args(["-c", "import sys, xml.etree.ElementTree as ET; r = ET.fromstring(sys.stdin.read()); s = r.find('testsuite'); print(s.get('tests'), s.get('failures'), len(s.findall('testcase')), len([c for c in s.findall('testcase') if c.find('failure') is not None]))"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(xml.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&parsed.stdout).trim(),
        "9 2 9 2",
        "{xml}"
    );
}

#[test]
fn markdown_is_one_line_when_all_is_well_and_a_table_otherwise() {
    let ok = check(&[
        "--policy",
        &policy("valid-full.toml"),
        "--format",
        "markdown",
    ]);
    let text = String::from_utf8(ok.stdout).unwrap();
    assert_eq!(
        text.lines().filter(|l| !l.trim().is_empty()).count(),
        2,
        "{text}"
    );
    assert!(text.contains("✅ All 9 components are allowed"));
    let bad = check(&["--format", "markdown"]);
    let text = String::from_utf8(bad.stdout).unwrap();
    assert!(
        text.contains("| ❌ | legacy-lgpl | 0.9.1 | `LGPL-3.0-or-later` | `license-not-allowed`"),
        "{text}"
    );
}

#[test]
fn human_output_is_plain_when_captured_and_coloured_on_request() {
    let plain = check(&[]);
    assert!(!String::from_utf8_lossy(&plain.stdout).contains('\x1b'));
    let forced = check(&["--color", "always"]);
    assert!(String::from_utf8_lossy(&forced.stdout).contains("\x1b[1;31merror"));
    let env_forced = clearance()
        .args([
            "check",
            "--offline",
            "--manifest-path",
            workspace_manifest().to_str().unwrap(),
        ])
        .env("CLICOLOR_FORCE", "1")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&env_forced.stdout).contains('\x1b'));
}

#[test]
fn an_sbom_from_another_tool_can_be_checked() {
    let sbom = fixture("sboms/cyclonedx-py-env-1.7.cdx.json");
    let out = clearance()
        .args([
            "check",
            "--sbom",
            sbom.to_str().unwrap(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let got = findings(&out);
    // The Python environment has MPL-2.0 (certifi): weak copyleft, not allowed by default.
    assert!(
        got.contains(&("license-not-allowed".to_owned(), "certifi".to_owned())),
        "{got:?}"
    );
    assert_eq!(out.status.code(), Some(1));
    let human = clearance()
        .args(["check", "--sbom", sbom.to_str().unwrap()])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&human.stdout);
    assert!(
        text.contains("cyclonedx-py-env-1.7.cdx.json:"),
        "located in the SBOM: {text}"
    );
}

#[test]
fn clearance_toml_in_the_workspace_is_found() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixture("bad/stale-lock");
    std::fs::copy(src.join("Cargo.toml"), dir.path().join("Cargo.toml")).unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), "").unwrap();
    std::fs::create_dir_all(dir.path().join("stale-dep/src")).unwrap();
    std::fs::copy(
        src.join("stale-dep/Cargo.toml"),
        dir.path().join("stale-dep/Cargo.toml"),
    )
    .unwrap();
    std::fs::write(dir.path().join("stale-dep/src/lib.rs"), "").unwrap();
    let m = dir.path().join("Cargo.toml");
    let run = || {
        clearance()
            .args([
                "check",
                "--offline",
                "--no-locked",
                "--manifest-path",
                m.to_str().unwrap(),
            ])
            .current_dir(Path::new("/"))
            .output()
            .unwrap()
    };
    assert_eq!(
        run().status.code(),
        Some(0),
        "MIT passes the built-in policy"
    );
    std::fs::write(
        dir.path().join("clearance.toml"),
        "[licenses]\nallow = [\"Apache-2.0\"]\n",
    )
    .unwrap();
    let out = run();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("clearance.toml"));
}

#[test]
fn license_files_are_checked_against_the_declaration() {
    let m = fixture("notice/Cargo.toml");
    let cache = tempfile::tempdir().unwrap();
    let out = clearance()
        .args([
            "check",
            "--offline",
            "--manifest-path",
            m.to_str().unwrap(),
            "--format",
            "json",
        ])
        .env("CLEARANCE_CACHE_DIR", cache.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        findings(&out),
        pairs(&[
            ("license-unknown", "escape"),
            ("license-file-outside", "escape"),
            ("license-denied", "gpl-file"),
            ("license-mismatch", "mismatch"),
        ])
    );
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mismatch = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "license-mismatch")
        .unwrap();
    assert_eq!(
        mismatch["severity"], "error",
        "the files name a license the policy refuses"
    );
    assert_eq!(
        mismatch["licenses"],
        serde_json::json!(["GPL-2.0-or-later"])
    );
    assert!(
        mismatch["suggestion"]
            .as_str()
            .unwrap()
            .contains("files = [{ path = \"LICENSE\", sha256 = ")
    );
    // The license-file-only crate is judged by what its text was detected as.
    let gpl = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "gpl-file")
        .unwrap();
    assert_eq!(gpl["license"], "GPL-2.0-or-later");
}
