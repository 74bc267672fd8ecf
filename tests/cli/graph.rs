//! The components of the SBOM are exactly the packages of the `cargo metadata` resolve graph
//! for the chosen dependency kinds and target, computed here independently from cargo's own
//! JSON.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

use serde_json::Value;

use crate::util::{fixture, run_ok, workspace_manifest};

/// `name@version` of every package cargo's resolve graph reaches from the workspace members:
/// normal edges always, build edges when asked, dev edges from the members when asked.
fn expected(target: Option<&str>, build: bool, dev: bool) -> BTreeSet<String> {
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(fixture("workspace")).args([
        "metadata",
        "--format-version",
        "1",
        "--locked",
        "--offline",
    ]);
    if let Some(t) = target {
        cmd.args(["--filter-platform", t]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: BTreeMap<&str, String> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["id"].as_str().unwrap(),
                format!(
                    "{}@{}",
                    p["name"].as_str().unwrap(),
                    p["version"].as_str().unwrap()
                ),
            )
        })
        .collect();
    let members: BTreeSet<&str> = meta["workspace_members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap())
        .collect();
    let nodes: BTreeMap<&str, &Value> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    let mut seen: BTreeSet<&str> = members.clone();
    let mut todo: Vec<&str> = members.iter().copied().collect();
    while let Some(id) = todo.pop() {
        for dep in nodes[id]["deps"].as_array().unwrap() {
            let ok =
                dep["dep_kinds"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|k| match k["kind"].as_str() {
                        None => true,
                        Some("build") => build,
                        Some("dev") => dev && members.contains(id),
                        Some(other) => panic!("unknown kind {other}"),
                    });
            let to = dep["pkg"].as_str().unwrap();
            if ok && seen.insert(to) {
                todo.push(to);
            }
        }
    }
    seen.iter().map(|id| names[id].clone()).collect()
}

fn actual(extra: &[&str]) -> BTreeSet<String> {
    let manifest = workspace_manifest();
    let mut args = vec![
        "sbom",
        "--offline",
        "--manifest-path",
        manifest.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let doc: Value = serde_json::from_slice(&run_ok(&args)).unwrap();
    let mut all: Vec<&Value> = doc["components"].as_array().unwrap().iter().collect();
    all.push(&doc["metadata"]["component"]);
    all.iter()
        .filter(|c| {
            c["properties"]
                .as_array()
                .is_none_or(|ps| ps.iter().all(|p| p["name"] != "clearance:workspace"))
        })
        .map(|c| {
            format!(
                "{}@{}",
                c["name"].as_str().unwrap(),
                c["version"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn components_match_the_resolve_graph_for_each_kind_and_target() {
    let cases: [(&[&str], Option<&str>, bool, bool); 6] = [
        (&[], None, false, false),
        (&["--include", "build"], None, true, false),
        (&["--include", "dev"], None, false, true),
        (&["--include", "dev,build"], None, true, true),
        (
            &[
                "--target",
                "x86_64-unknown-linux-gnu",
                "--include",
                "build,dev",
            ],
            Some("x86_64-unknown-linux-gnu"),
            true,
            true,
        ),
        (
            &["--target", "x86_64-pc-windows-msvc"],
            Some("x86_64-pc-windows-msvc"),
            false,
            false,
        ),
    ];
    for (args, target, build, dev) in cases {
        let want = expected(target, build, dev);
        assert_eq!(actual(args), want, "clearance sbom {args:?}");
    }
}

#[test]
fn the_fixture_exercises_every_kind_of_edge_and_source() {
    // The cases above only mean something if the kinds and targets make a difference.
    let all = expected(None, true, true);
    let normal = expected(None, false, false);
    let linux = expected(Some("x86_64-unknown-linux-gnu"), false, false);
    assert!(
        all.contains("autocfg@1.5.1") && !normal.contains("autocfg@1.5.1"),
        "a build dependency"
    );
    assert!(
        all.contains("static_assertions@1.1.0") && !normal.contains("static_assertions@1.1.0"),
        "a dev dependency"
    );
    assert!(
        normal.contains("fnv@1.0.7") && !linux.contains("fnv@1.0.7"),
        "a target-specific dependency"
    );
    assert!(
        normal.contains("tiny-git-dep@0.3.0") && normal.contains("legacy-lgpl@0.9.1"),
        "git and path dependencies"
    );
}

#[test]
fn sources_purls_hashes_and_licenses_are_right() {
    let manifest = workspace_manifest();
    let doc: Value = serde_json::from_slice(&run_ok(&[
        "sbom",
        "--offline",
        "--include",
        "build",
        "--manifest-path",
        manifest.to_str().unwrap(),
    ]))
    .unwrap();
    let by_name: BTreeMap<&str, &Value> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c))
        .collect();
    let license = |n: &str| {
        let l = &by_name[n]["licenses"][0];
        let shown = l["expression"]
            .as_str()
            .or(l["license"]["id"].as_str())
            .or(l["license"]["name"].as_str());
        shown.unwrap().to_owned()
    };
    assert_eq!(by_name["itoa"]["purl"], "pkg:cargo/itoa@1.0.19");
    assert_eq!(
        by_name["tiny-git-dep"]["purl"],
        "pkg:cargo/tiny-git-dep@0.3.0?vcs_url=git%2Bhttps://git.example.com/tiny-git-dep.git@685177db37babce21684b5533e1224d4f46bb840"
    );
    assert_eq!(
        by_name["legacy-lgpl"]["purl"],
        "pkg:cargo/legacy-lgpl@0.9.1?download_url=file:local/legacy-lgpl"
    );
    // SHA-256 from Cargo.lock, for registry crates only.
    let lock = std::fs::read_to_string(fixture("workspace/Cargo.lock")).unwrap();
    let itoa_sum = by_name["itoa"]["hashes"][0]["content"].as_str().unwrap();
    assert!(lock.contains(&format!("checksum = \"{itoa_sum}\"")));
    assert!(by_name["legacy-lgpl"].get("hashes").is_none());
    // Legacy license strings normalised, the original kept.
    assert_eq!(license("lazy_static"), "MIT OR Apache-2.0");
    assert_eq!(license("fnv"), "Apache-2.0 OR MIT");
    assert_eq!(license("legacy-lgpl"), "LGPL-3.0-or-later");
    assert_eq!(
        license("unicode-ident"),
        "(MIT OR Apache-2.0) AND Unicode-3.0"
    );
    // A crate with only `license-file` gets a LicenseRef, never "Unknown" or nothing.
    assert_eq!(
        license("custom-license"),
        "LicenseRef-custom-license-LICENSE.txt"
    );
    assert_eq!(by_name["autocfg"]["scope"], "excluded", "build-only");
    assert_eq!(by_name["itoa"]["scope"], "required");
    let props: Vec<String> = by_name["lazy_static"]["properties"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            format!(
                "{}={}",
                p["name"].as_str().unwrap(),
                p["value"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(props, ["clearance:license-declared=MIT/Apache-2.0"]);
    // The root carries authors, external references, and its dependency graph.
    let root = &doc["metadata"]["component"];
    assert_eq!(root["name"], "fixture-app");
    assert_eq!(root["type"], "application");
    let refs: Vec<&str> = root["externalReferences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(refs, ["vcs", "website", "documentation"]);
    assert!(root["authors"].as_array().is_some_and(|a| !a.is_empty()));
    let deps: BTreeMap<&str, Vec<&str>> = doc["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["ref"].as_str().unwrap(),
                d["dependsOn"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_str().unwrap())
                    .collect(),
            )
        })
        .collect();
    let root_ref = root["bom-ref"].as_str().unwrap();
    assert!(deps[root_ref].contains(&"pkg:cargo/autocfg@1.5.1"));
    assert!(
        deps["pkg:cargo/fixture-util@0.2.0?download_url=file:util"]
            .contains(&"pkg:cargo/itoa@1.0.19")
    );
    assert_eq!(
        doc["metadata"]["tools"]["components"][0]["name"],
        "clearance"
    );
}

#[test]
fn the_spdx_document_carries_the_license_file_text() {
    let manifest = workspace_manifest();
    let out = crate::util::clearance()
        .args([
            "sbom",
            "--offline",
            "--format",
            "spdx-json",
            "--manifest-path",
            manifest.to_str().unwrap(),
        ])
        .env("SOURCE_DATE_EPOCH", "0")
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let infos = doc["hasExtractedLicensingInfos"].as_array().unwrap();
    assert_eq!(infos.len(), 1);
    assert_eq!(
        infos[0]["licenseId"],
        "LicenseRef-custom-license-LICENSE.txt"
    );
    assert!(
        infos[0]["extractedText"]
            .as_str()
            .unwrap()
            .contains("Example Corp")
    );
}
