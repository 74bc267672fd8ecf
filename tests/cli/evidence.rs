//! License evidence gathered from the fixture workspace's sources: files found, texts
//! detected, copyright lines, and the cache reused on a second run.

use std::collections::BTreeSet;

use clearance_core::inventory::cargo::{CargoOptions, Network, collect_cargo_inventory};
use clearance_core::inventory::{DepKind, Inventory};
use clearance_core::license::cache::Cache;
use clearance_core::license::scan::gather_evidence;

use crate::util::workspace_manifest;

fn inventory() -> Inventory {
    collect_cargo_inventory(&CargoOptions {
        manifest_path: Some(workspace_manifest()),
        network: Network::Offline,
        include: BTreeSet::from([DepKind::Build, DepKind::Dev]),
        ..CargoOptions::default()
    })
    .unwrap()
}

#[test]
fn files_texts_and_copyrights_of_the_fixture() {
    let inv = inventory();
    let dir = tempfile::tempdir().unwrap();
    let evidence = gather_evidence(&inv, &Cache::at(dir.path()));
    let of = |name: &str| {
        let c = inv.components.values().find(|c| c.name == name).unwrap();
        &evidence.packages[&c.id]
    };
    let itoa = of("itoa");
    let paths: Vec<&str> = itoa.files.iter().map(|f| f.path.as_str()).collect();
    assert_eq!(paths, ["LICENSE-APACHE", "LICENSE-MIT"]);
    assert_eq!(itoa.detected_ids(0.9), ["Apache-2.0", "MIT"]);
    let custom = of("custom-license");
    assert_eq!(custom.files[0].path, "LICENSE.txt");
    assert_eq!(
        custom.copyrights(),
        ["Copyright (c) 2023 Example Corp. All rights reserved."]
    );
    assert!(
        custom.detected_ids(0.9).is_empty(),
        "a proprietary text is no SPDX license"
    );
    assert!(
        of("legacy-lgpl").files.is_empty(),
        "it ships no license file"
    );

    // A second run reads the cache: same result.
    let again = gather_evidence(&inv, &Cache::at(dir.path()));
    assert_eq!(again, evidence);
    let cached = crate::util::files_under(dir.path());
    assert!(
        cached
            .iter()
            .any(|p| p.extension().is_some_and(|e| e == "json")),
        "registry crates are cached by checksum"
    );
}
