//! The supplier of workspace-local packages: the manifest's `[package.metadata.clearance]`,
//! then `--supplier`, then `[workspace.metadata.clearance]`; a warning when none is known.

use std::path::Path;

use serde_json::Value;

use crate::util::{clearance, fixture, stderr};

/// A throwaway workspace (root package + one path dependency, no registry crates, no authors).
fn workspace(root_extra: &str, dep_extra: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let src = fixture("bad/stale-lock");
    let root = std::fs::read_to_string(src.join("Cargo.toml")).unwrap();
    std::fs::write(
        dir.path().join("Cargo.toml"),
        format!("{root}\n{root_extra}\n"),
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/lib.rs"), "").unwrap();
    let dep = dir.path().join("stale-dep");
    std::fs::create_dir_all(dep.join("src")).unwrap();
    std::fs::write(dep.join("src/lib.rs"), "").unwrap();
    let dep_manifest = std::fs::read_to_string(src.join("stale-dep/Cargo.toml")).unwrap();
    std::fs::write(
        dep.join("Cargo.toml"),
        format!("{dep_manifest}\n{dep_extra}\n"),
    )
    .unwrap();
    dir
}

fn spdx_suppliers(dir: &Path, extra: &[&str]) -> (Vec<(String, String)>, String) {
    let m = dir.join("Cargo.toml");
    let mut args = vec![
        "sbom",
        "--offline",
        "--no-locked",
        "--format",
        "spdx-json",
        "--manifest-path",
        m.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = clearance()
        .args(&args)
        .env("SOURCE_DATE_EPOCH", "0")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut suppliers: Vec<(String, String)> = doc["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap().to_owned(),
                p["supplier"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    suppliers.sort();
    (suppliers, stderr(&out))
}

#[test]
fn without_a_supplier_the_sbom_says_noassertion_and_clearance_warns() {
    let ws = workspace("", "");
    let (suppliers, err) = spdx_suppliers(ws.path(), &[]);
    assert!(
        suppliers.iter().all(|(_, s)| s == "NOASSERTION"),
        "{suppliers:?}"
    );
    assert!(
        err.contains("warning[sbom-no-supplier]: no supplier is known for stale-dep, stale-lock"),
        "{err}"
    );
    assert!(err.contains("--supplier"), "{err}");
}

#[test]
fn the_flag_the_workspace_and_the_package_name_suppliers_in_that_order() {
    let ws = workspace(
        "[workspace.metadata.clearance]\nsupplier = \"Workspace Org\"",
        "[package.metadata.clearance]\nsupplier = \"Dep Org <dep@example.org>\"",
    );
    let (suppliers, err) = spdx_suppliers(ws.path(), &[]);
    assert_eq!(
        suppliers,
        [
            (
                "stale-dep".to_owned(),
                "Organization: Dep Org (dep@example.org)".to_owned()
            ),
            (
                "stale-lock".to_owned(),
                "Organization: Workspace Org".to_owned()
            )
        ]
    );
    assert!(!err.contains("warning"), "{err}");
    let (suppliers, _) = spdx_suppliers(ws.path(), &["--supplier", "Flag Org"]);
    assert_eq!(
        suppliers[1].1, "Organization: Flag Org",
        "the flag overrides the workspace table"
    );
    assert_eq!(
        suppliers[0].1, "Organization: Dep Org (dep@example.org)",
        "a package's own table wins"
    );
}

#[test]
fn the_fixture_names_crates_io_and_the_git_host_as_suppliers() {
    let m = crate::util::workspace_manifest();
    let out = clearance()
        .args([
            "sbom",
            "--offline",
            "--format",
            "spdx-json",
            "--manifest-path",
            m.to_str().unwrap(),
        ])
        .env("SOURCE_DATE_EPOCH", "0")
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let supplier = |name: &str| {
        doc["packages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()["supplier"]
            .clone()
    };
    assert_eq!(supplier("itoa"), "Organization: crates.io");
    assert_eq!(supplier("tiny-git-dep"), "Organization: git.example.com");
}
