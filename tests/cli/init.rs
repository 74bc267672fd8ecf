//! `clearance init`: a cargo-deny configuration translated into a policy that gives
//! cargo-deny's verdicts, a policy made from a workspace's licenses that the workspace passes,
//! and an existing policy replaced only with `--force`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use serde_json::Value;

use clearance_core::policy::file::PolicyFormat;
use clearance_core::policy::load_policy;

use crate::util::{clearance, copy_dir, fixture, stderr};

/// cargo-deny's verdicts on `tests/fixtures/deny-licenses` with its `deny.toml`, recorded
/// from a real run of cargo-deny 0.20.2 inside that directory:
///
/// ```sh
/// cargo deny --offline --format json check licenses
/// ```
///
/// The packages with an error diagnostic (`rejected` for agpl-build, and-dep, gpl-dep,
/// gpl-dev and mpl-dep; `unlicensed` for acme-stale, whose clarification's hash no longer
/// matches its LICENSE), and the rest of its graph (`cargo deny --offline list --layout crate
/// --format json`), which passed. The graph holds the build- and dev-dependencies of the
/// workspace member, as `clearance check --include build,dev` does.
const CARGO_DENY_FAILED: [&str; 6] = [
    "acme-stale",
    "agpl-build",
    "and-dep",
    "gpl-dep",
    "gpl-dev",
    "mpl-dep",
];
const CARGO_DENY_PASSED: [&str; 6] = [
    "acme-internal",
    "deny-app",
    "dual-dep",
    "lgpl-dep",
    "mit-dep",
    "mit-text",
];

/// A copy of the `deny-licenses` fixture in a temporary directory, and its manifest.
fn deny_workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture("deny-licenses"), dir.path());
    let manifest = dir.path().join("Cargo.toml");
    (dir, manifest)
}

fn run(args: &[&str], manifest: &Path) -> Output {
    clearance()
        .args(args)
        .args(["--offline", "--manifest-path"])
        .arg(manifest)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// (failed, allowed) package names of a JSON check report.
fn verdicts(out: &Output) -> (BTreeSet<String>, BTreeSet<String>) {
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}{}", text(out), stderr(out)));
    let mut failed = BTreeSet::new();
    let mut allowed = BTreeSet::new();
    for c in doc["components"].as_array().unwrap() {
        let name = c["name"].as_str().unwrap().to_owned();
        match c["status"].as_str().unwrap() {
            "failed" => failed.insert(name),
            "allowed" | "warned" => allowed.insert(name),
            other => panic!("{name} is {other}"),
        };
    }
    (failed, allowed)
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn a_translated_deny_toml_gives_cargo_denys_verdicts() {
    let (dir, manifest) = deny_workspace();
    let out = run(&["init"], &manifest);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("translated from deny.toml"),
        "{}",
        stderr(&out)
    );
    let written = dir.path().join("clearance.toml");
    let policy = load_policy(&written).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(policy.format, PolicyFormat::Clearance);

    // The policy is found beside the manifest and judges as cargo-deny does.
    let check = run(
        &["check", "--include", "build,dev", "--format", "json"],
        &manifest,
    );
    assert_eq!(check.status.code(), Some(1), "{}", stderr(&check));
    let doc: Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(doc["policy"], written.display().to_string());
    let (failed, allowed) = verdicts(&check);
    assert_eq!(failed, names(&CARGO_DENY_FAILED));
    assert_eq!(allowed, names(&CARGO_DENY_PASSED));

    if let Some((live_failed, live_graph)) = cargo_deny_verdicts(dir.path()) {
        assert_eq!(live_failed, names(&CARGO_DENY_FAILED), "cargo-deny today");
        let passed: BTreeSet<String> = live_graph.difference(&live_failed).cloned().collect();
        assert_eq!(passed, names(&CARGO_DENY_PASSED), "cargo-deny today");
    }
}

/// cargo-deny's failing packages and whole graph for the workspace in `dir`, when cargo-deny
/// is installed; `None` (said on stderr) when it is not.
fn cargo_deny_verdicts(dir: &Path) -> Option<(BTreeSet<String>, BTreeSet<String>)> {
    let deny = |args: &[&str]| {
        std::process::Command::new("cargo-deny")
            .args(["deny", "--offline"])
            .args(args)
            .current_dir(dir)
            .output()
    };
    let Ok(check) = deny(&["--format", "json", "check", "licenses"]) else {
        eprintln!("cargo-deny is not installed: compared with the recorded verdicts only");
        return None;
    };
    let mut failed = BTreeSet::new();
    for line in String::from_utf8_lossy(&check.stderr).lines() {
        let Ok(event) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let fields = &event["fields"];
        if event["type"] == "diagnostic" && fields["severity"] == "error" {
            for graph in fields["graphs"].as_array().into_iter().flatten() {
                failed.insert(graph["Krate"]["name"].as_str().unwrap().to_owned());
            }
        }
    }
    let list = deny(&["list", "--layout", "crate", "--format", "json"]).unwrap();
    let listing: Value = serde_json::from_slice(&list.stdout).unwrap_or_else(|e| {
        panic!(
            "cargo deny list: {e}: {}",
            String::from_utf8_lossy(&list.stderr)
        )
    });
    let graph = listing
        .as_object()
        .unwrap()
        .keys()
        .map(|k| k.split_whitespace().next().unwrap().to_owned())
        .collect();
    Some((failed, graph))
}

#[test]
fn the_translation_restates_hashes_and_says_what_it_left_out() {
    let (dir, manifest) = deny_workspace();
    let out = run(&["init", "-o", "-"], &manifest);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let policy = text(&out);
    assert!(!dir.path().join("clearance.toml").exists());
    // cargo-deny's XxHash32 pin becomes the SHA-256 of the file it pinned.
    let license = std::fs::read(dir.path().join("crates/acme-internal/LICENSE")).unwrap();
    let pin = format!(
        "files = [{{ path = \"LICENSE\", sha256 = \"{}\" }}]",
        clearance_core::license::sha256_hex(&license)
    );
    assert!(policy.contains(&pin), "{policy}");
    assert!(policy.contains("LICENSE hash 0x988a2b94"), "{policy}");
    // `crate = "mpl-dep@1.0.0"` pins the version.
    assert!(
        policy.contains("package = \"mpl-dep\"\nversions = \"=1.0.0\"\nallow = [\"MPL-2.0\"]"),
        "{policy}"
    );
    for said in [
        "# - `graph.all-features` (line 6)",
        "# - `licenses.unused-allowed-license` (line 21)",
        "# Not translated: the clarification for acme-stale (deny.toml line 30) no longer",
        "\"Unicode-3.0\", # permissive, no package uses it",
    ] {
        assert!(policy.contains(said), "{said}\n{policy}");
    }
}

#[test]
fn a_policy_made_from_the_workspace_allows_every_license_it_uses() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixture("workspace"), dir.path());
    let manifest = dir.path().join("Cargo.toml");
    let out = run(&["init", "--include", "build,dev"], &manifest);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("all 11 packages pass under it"),
        "{}",
        stderr(&out)
    );
    let written = dir.path().join("clearance.toml");
    let policy_text = std::fs::read_to_string(&written).unwrap();
    for line in [
        "\"Apache-2.0\",                            # permissive, 8 packages",
        "\"LGPL-3.0-or-later\",                     # weak-copyleft, 1 package: legacy-lgpl",
        "\"LicenseRef-custom-license-LICENSE.txt\", # unknown, 1 package: custom-license",
        "\"MIT\",                                   # permissive, 7 packages",
    ] {
        assert!(policy_text.contains(line), "{line}\n{policy_text}");
    }
    let policy = load_policy(&written).unwrap_or_else(|e| panic!("{e}"));
    let allowed: BTreeSet<String> = policy.allow.iter().map(|a| a.value.to_string()).collect();

    let check = run(
        &["check", "--include", "build,dev", "--format", "json"],
        &manifest,
    );
    assert_eq!(check.status.code(), Some(0), "{}", text(&check));
    let doc: Value = serde_json::from_slice(&check.stdout).unwrap();
    assert_eq!(doc["summary"]["allowed"], 11);
    for c in doc["components"].as_array().unwrap() {
        let license = c["license"].as_str().unwrap();
        let expression = spdx::Expression::parse(license).unwrap();
        for term in expression.requirements() {
            let id = term.req.license.to_string();
            assert!(
                allowed.contains(&id),
                "{id} of {} is not in {allowed:?}",
                c["name"]
            );
        }
    }

    // The same workspace gives the same bytes.
    let again = run(&["init", "--include", "build,dev", "-o", "-"], &manifest);
    assert_eq!(text(&again), policy_text);
}

#[test]
fn packages_without_a_license_make_unknown_a_warning_that_names_them() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        "[package]\nname = \"nameless\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\n[workspace]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), "").unwrap();
    let manifest = dir.path().join("Cargo.toml");
    let out = run(&["init", "--no-locked", "-o", "-"], &manifest);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let policy = text(&out);
    assert!(
        policy.contains("no license can be read for nameless.")
            && policy.contains("unknown = \"warn\""),
        "{policy}"
    );
    assert!(
        stderr(&out).contains("its 1 package passes"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn an_existing_policy_is_replaced_only_with_force() {
    let (dir, manifest) = deny_workspace();
    let existing = dir.path().join("clearance.toml");
    std::fs::write(&existing, "# my own policy\n").unwrap();
    let listing = || {
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    };
    let before = listing();

    let refused = run(&["init"], &manifest);
    assert_eq!(refused.status.code(), Some(2));
    let message = stderr(&refused);
    assert!(
        message.contains(&format!("error: {} already exists", existing.display()))
            && message.contains("--force"),
        "{message}"
    );
    assert_eq!(
        std::fs::read_to_string(&existing).unwrap(),
        "# my own policy\n"
    );
    assert_eq!(listing(), before, "nothing else was written either");

    let other = dir.path().join("deny.toml");
    let refused = run(&["init", "-o", other.to_str().unwrap()], &manifest);
    assert_eq!(refused.status.code(), Some(2), "-o refuses too");

    let forced = run(&["init", "--force"], &manifest);
    assert_eq!(forced.status.code(), Some(0), "{}", stderr(&forced));
    let replaced = std::fs::read_to_string(&existing).unwrap();
    assert!(replaced.starts_with("# clearance's license policy, translated"));
    assert_eq!(listing(), before, "replaced in place, no temporary left");
}

#[test]
fn a_broken_deny_toml_is_reported_where_it_is_broken_and_nothing_is_written() {
    let (dir, manifest) = deny_workspace();
    std::fs::write(
        dir.path().join("deny.toml"),
        "[licenses]\nallow = [\"MIT\", \"Apache2\"]\n",
    )
    .unwrap();
    let out = run(&["init"], &manifest);
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert!(message.contains("deny.toml:2:"), "{message}");
    assert!(message.contains("did you mean `Apache-2.0`?"), "{message}");
    assert!(!dir.path().join("clearance.toml").exists());
}
