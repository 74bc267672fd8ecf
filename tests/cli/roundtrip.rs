//! Write → read gives back the same inventory (names, versions, purls, licenses, edges with
//! their kinds, roots) for every format and version written.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use clearance_core::inventory::cargo::{CargoOptions, Network, collect_cargo_inventory};
use clearance_core::inventory::{DepKind, Inventory};
use clearance_core::sbom::{Format, WriteOptions, read_sbom, write_sbom};

use crate::util::workspace_manifest;

fn fixture_inventory() -> Inventory {
    collect_cargo_inventory(&CargoOptions {
        manifest_path: Some(workspace_manifest()),
        network: Network::Offline,
        include: BTreeSet::from([DepKind::Build, DepKind::Dev]),
        ..CargoOptions::default()
    })
    .expect("the fixture workspace resolves offline")
}

type Projection = (
    BTreeMap<
        String,
        (
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
        ),
    >,
    Vec<(String, String, DepKind)>,
    Vec<String>,
);

/// What a round trip must keep: per component name, version, purl, license and SHA-256;
/// the edges with their kinds; the roots.
fn projection(inv: &Inventory) -> Projection {
    let comps = inv
        .components
        .values()
        .map(|c| {
            (
                c.id.0.clone(),
                (
                    c.name.clone(),
                    c.version.clone(),
                    c.purl.clone(),
                    c.license.clone(),
                    c.sha256.clone(),
                ),
            )
        })
        .collect();
    let edges = inv
        .edges
        .iter()
        .map(|e| (e.from.0.clone(), e.to.0.clone(), e.kind))
        .collect();
    let roots = inv.roots.iter().map(|r| r.0.clone()).collect();
    (comps, edges, roots)
}

#[test]
fn every_format_reads_back_into_the_same_inventory() {
    let inv = fixture_inventory();
    assert_eq!(inv.components.len(), 11);
    assert!(
        inv.edges.iter().any(|e| e.kind == DepKind::Build)
            && inv.edges.iter().any(|e| e.kind == DepKind::Dev)
    );
    let want = projection(&inv);
    for (format, version) in [
        (Format::CycloneDxJson, "1.5"),
        (Format::CycloneDxJson, "1.6"),
        (Format::CycloneDxJson, "1.7"),
        (Format::SpdxJson, "2.3"),
        (Format::Spdx3Json, "3.0.1"),
    ] {
        let options = WriteOptions {
            spec_version: Some(version.to_owned()),
            created: Some("2024-01-01T00:00:00Z".to_owned()),
            tool_name: "clearance".to_owned(),
            tool_version: "0.0.0".to_owned(),
        };
        let bytes = write_sbom(&inv, format, &options).unwrap();
        let text = String::from_utf8(bytes).unwrap();
        let back = read_sbom(Path::new("roundtrip.json"), &text)
            .unwrap_or_else(|e| panic!("{format} {version}: {e}"));
        pretty_assertions::assert_eq!(projection(&back), want, "{format} {version}");
        // License texts behind LicenseRefs survive too.
        assert_eq!(
            back.license_refs.keys().collect::<Vec<_>>(),
            inv.license_refs.keys().collect::<Vec<_>>(),
            "{format} {version}"
        );
        assert_eq!(back.name, inv.name, "{format} {version}");
    }
}

#[test]
fn a_virtual_workspace_with_independent_members_round_trips_through_a_workspace_root() {
    let mut inv = fixture_inventory();
    // Drop the edge that makes fixture-app the single top-level member.
    let app = inv
        .roots
        .iter()
        .find(|r| r.0.contains("fixture-app"))
        .unwrap()
        .clone();
    inv.edges
        .retain(|e| !(e.from == app && e.to.0.contains("fixture-util")));
    inv.name = "workspace".to_owned();
    assert!(inv.primary_root().is_none());
    let options = WriteOptions {
        spec_version: None,
        created: None,
        tool_name: "clearance".into(),
        tool_version: "0".into(),
    };
    let bytes = write_sbom(&inv, Format::CycloneDxJson, &options).unwrap();
    let back = read_sbom(Path::new("ws.json"), std::str::from_utf8(&bytes).unwrap()).unwrap();
    assert_eq!(projection(&back), projection(&inv));
}

#[test]
fn or_later_terms_round_trip_through_every_format() {
    let mut inv = fixture_inventory();
    let itoa = inv
        .components
        .values_mut()
        .find(|c| c.name == "itoa")
        .unwrap();
    itoa.license = Some("MPL-2.0+ OR (Apache-2.0+ AND MIT)".to_owned());
    let options = WriteOptions {
        spec_version: None,
        created: Some("2024-01-01T00:00:00Z".into()),
        tool_name: "clearance".into(),
        tool_version: "0".into(),
    };
    for format in [Format::CycloneDxJson, Format::SpdxJson, Format::Spdx3Json] {
        let bytes = write_sbom(&inv, format, &options).unwrap();
        let back = read_sbom(Path::new("x.json"), std::str::from_utf8(&bytes).unwrap()).unwrap();
        assert_eq!(projection(&back), projection(&inv), "{format}");
        assert_eq!(
            back.license_refs.len(),
            inv.license_refs.len(),
            "{format}: no stray LicenseRefs"
        );
    }
    let spdx = String::from_utf8(write_sbom(&inv, Format::SpdxJson, &options).unwrap()).unwrap();
    assert!(spdx.contains("\"licenseDeclared\": \"LicenseRef-MPL-2.0-or-later OR (LicenseRef-Apache-2.0-or-later AND MIT)\""), "{spdx}");
}
