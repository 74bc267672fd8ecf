//! SBOMs made by other tools (cargo-cyclonedx, cargo-sbom, cyclonedx-py, a hand-written SPDX
//! 2.2 document) read into the inventory model.

use std::collections::BTreeMap;

use clearance_core::inventory::{DepKind, Ecosystem, Inventory, Source};
use clearance_core::sbom::read_sbom_file;

use crate::util::{fixture, run_ok};

fn read(name: &str) -> Inventory {
    let path = fixture(&format!("sboms/{name}"));
    read_sbom_file(&path).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn licenses(inv: &Inventory) -> BTreeMap<String, Option<String>> {
    inv.components
        .values()
        .map(|c| (c.name.clone(), c.license.clone()))
        .collect()
}

fn by_name<'a>(inv: &'a Inventory, name: &str) -> &'a clearance_core::inventory::Component {
    inv.components
        .values()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no {name}"))
}

#[test]
fn cargo_cyclonedx_1_4_and_1_5() {
    for name in [
        "cargo-cyclonedx-1.4.cdx.json",
        "cargo-cyclonedx-1.5.cdx.json",
    ] {
        let inv = read(name);
        assert_eq!(inv.name, "fixture-app", "{name}");
        assert_eq!(
            inv.components.len(),
            9,
            "{name}: the root and 8 dependencies"
        );
        let root = inv.primary_root().expect("metadata.component is the root");
        assert_eq!(root.name, "fixture-app");
        let git = by_name(&inv, "tiny-git-dep");
        assert_eq!(
            git.source,
            Source::Git {
                url: "https://git.example.com/tiny-git-dep.git".into(),
                rev: "685177db37babce21684b5533e1224d4f46bb840".into()
            }
        );
        assert_eq!(
            by_name(&inv, "legacy-lgpl").source,
            Source::Path {
                path: "../local/legacy-lgpl".into()
            }
        );
        let l = licenses(&inv);
        // cargo-cyclonedx writes `LGPL-3.0+` as a license name; it is read as the SPDX id.
        assert_eq!(l["legacy-lgpl"].as_deref(), Some("LGPL-3.0-or-later"));
        assert_eq!(
            l["unicode-ident"].as_deref(),
            Some("(MIT OR Apache-2.0) AND Unicode-3.0")
        );
        // Its "Unknown" license name becomes a LicenseRef, never silently nothing.
        assert_eq!(l["custom-license"].as_deref(), Some("LicenseRef-Unknown"));
        assert!(
            by_name(&inv, "itoa")
                .sha256
                .as_ref()
                .is_some_and(|h| h.len() == 64)
        );
        assert!(
            inv.edges
                .iter()
                .any(|e| e.from == root.id && e.to == git.id)
        );
    }
}

#[test]
fn cargo_sbom_cyclonedx_and_spdx() {
    let cdx = read("cargo-sbom.cdx.json");
    assert_eq!(
        licenses(&cdx)["lazy_static"].as_deref(),
        Some("MIT OR Apache-2.0")
    );
    assert!(
        cdx.components
            .values()
            .all(|c| c.ecosystem == Ecosystem::Cargo || c.purl.is_none())
    );
    let spdx = read("cargo-sbom.spdx.json");
    let l = licenses(&spdx);
    assert_eq!(l["legacy-lgpl"].as_deref(), Some("LGPL-3.0-or-later"));
    assert_eq!(
        l["custom-license"], None,
        "NOASSERTION means no license information"
    );
    assert_eq!(spdx.components.len(), 9);
    assert!(spdx.edges.iter().all(|e| e.kind == DepKind::Normal));
    assert!(!spdx.edges.is_empty());
}

#[test]
fn a_python_environment_from_cyclonedx_py() {
    for name in [
        "cyclonedx-py-env-1.6.cdx.json",
        "cyclonedx-py-env-1.7.cdx.json",
    ] {
        let inv = read(name);
        assert!(inv.components.len() >= 5, "{name}");
        let certifi = by_name(&inv, "certifi");
        assert_eq!(certifi.ecosystem, Ecosystem::Other("pypi".into()));
        assert_eq!(
            certifi.license.as_deref(),
            Some("MPL-2.0"),
            "the trove classifier restating it is dropped"
        );
        let requests = by_name(&inv, "requests");
        assert!(
            inv.edges.iter().any(|e| e.from == requests.id),
            "{name}: requests has dependencies"
        );
    }
}

#[test]
fn a_hand_written_spdx_2_2_document() {
    let inv = read("handwritten-2.2.spdx.json");
    assert_eq!(inv.components.len(), 11);
    assert_eq!(
        inv.primary_root().map(|r| r.name.as_str()),
        Some("fixture-app")
    );
    let kinds: std::collections::BTreeSet<DepKind> = inv.edges.iter().map(|e| e.kind).collect();
    assert_eq!(kinds.len(), 3, "normal, build and dev edges: {kinds:?}");
    assert_eq!(
        licenses(&inv)["legacy-lgpl"].as_deref(),
        Some("LGPL-3.0-or-later")
    );
    let custom = licenses(&inv)["custom-license"].clone().unwrap();
    assert!(custom.starts_with("LicenseRef-"));
    assert!(
        !inv.license_refs[&custom].text.is_empty(),
        "the extracted text is kept"
    );
}

#[test]
fn a_foreign_sbom_converts_into_valid_output() {
    let dir = tempfile::tempdir().unwrap();
    for (name, format, validator) in [
        (
            "cyclonedx-py-env-1.7.cdx.json",
            "spdx-json",
            "validate-spdx.sh",
        ),
        (
            "cargo-sbom.spdx.json",
            "cyclonedx-json",
            "validate-cyclonedx.py",
        ),
        (
            "handwritten-2.2.spdx.json",
            "spdx3-json",
            "validate-spdx3.py",
        ),
    ] {
        let input = fixture(&format!("sboms/{name}"));
        let out = dir.path().join(format!("{name}.{format}.json"));
        let args = [
            "sbom",
            "--sbom",
            input.to_str().unwrap(),
            "--format",
            format,
            "-o",
            out.to_str().unwrap(),
        ];
        run_ok(&args);
        if validator == "validate-spdx.sh" {
            // NTIA needs a supplier for every package; pip packages name none, so only the
            // SPDX schema is checked for this conversion.
            let (ok, text) = crate::util::validate(validator, &out);
            assert!(ok || text.contains("PASS spdx-validation"), "{text}");
        } else {
            crate::util::assert_valid(validator, &out);
        }
    }
}
