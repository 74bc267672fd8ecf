//! Declared license strings (Cargo.toml `license`, SBOM license fields): normalisation into
//! SPDX expressions, `LicenseRef-` ids, and a component declaring the result, read from an
//! SBOM and judged by the shipped policies.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use clearance_core::license::{NormalisedLicense, license_ref_id, normalise_declared};
use clearance_core::policy::{Policy, evaluate};
use clearance_core::sbom::read_sbom;
use clearance_fuzz::{shipped_policies, today};
use libfuzzer_sys::fuzz_target;

fn policies() -> &'static [Policy] {
    static POLICIES: OnceLock<Vec<Policy>> = OnceLock::new();
    POLICIES.get_or_init(shipped_policies)
}

/// A CycloneDX document whose one dependency declares `license` as an expression or by name.
fn sbom_declaring(license: &serde_json::Value) -> String {
    serde_json::json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "metadata": { "component": {
            "type": "application", "bom-ref": "app", "name": "app", "version": "1.0.0",
            "licenses": [{ "expression": "MIT" }]
        }},
        "components": [{
            "type": "library", "bom-ref": "dep", "name": "dep", "version": "0.1.0",
            "purl": "pkg:cargo/dep@0.1.0",
            "licenses": [license]
        }],
        "dependencies": [{ "ref": "app", "dependsOn": ["dep"] }]
    })
    .to_string()
}

fuzz_target!(|data: &[u8]| {
    clearance_fuzz::guard_stack();
    let Ok(raw) = std::str::from_utf8(data) else {
        return;
    };
    let policies = policies();
    std::hint::black_box(license_ref_id(&[raw, raw]));
    match normalise_declared(raw) {
        NormalisedLicense::Expression(canonical) => {
            // Normalised text is written into SBOMs and read back: it must stay as it is.
            assert_eq!(
                normalise_declared(&canonical),
                NormalisedLicense::Expression(canonical.clone()),
                "normalising {raw:?} gave {canonical:?}, which does not normalise to itself"
            );
        }
        NormalisedLicense::Invalid { reason } => {
            std::hint::black_box(reason);
        }
    }
    for license in [
        serde_json::json!({ "expression": raw }),
        serde_json::json!({ "license": { "name": raw } }),
        serde_json::json!({ "license": { "id": raw } }),
    ] {
        let text = sbom_declaring(&license);
        let inventory = match read_sbom(Path::new("declared.cdx.json"), &text) {
            Ok(inventory) => inventory,
            Err(e) => {
                std::hint::black_box(e.to_string());
                continue;
            }
        };
        for policy in policies {
            std::hint::black_box(evaluate(policy, &inventory, None, today()));
        }
    }
});
