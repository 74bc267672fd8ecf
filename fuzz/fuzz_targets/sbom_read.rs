//! SBOM input (`--sbom FILE` of check, diff, sbom, notice, report, third-party): the reader
//! of CycloneDX JSON 1.4–1.7, SPDX JSON 2.2/2.3 and SPDX 3.0 JSON-LD, then what the commands
//! do with the inventory: convert it to every format written (and read that back), judge it
//! with the shipped policies, render every `check` and `diff` report and the built-in
//! NOTICE, THIRD_PARTY.md and HTML report.

#![no_main]

use std::sync::OnceLock;

use clearance_core::inventory::Inventory;
use clearance_core::policy::{Policy, evaluate};
use clearance_core::sbom::read_sbom_file;
use clearance_fuzz::{
    FIXTURE_SBOM, embedded_inventory, render_builtin_documents, render_check_reports,
    render_diff_reports, scratch_file, shipped_policies, today, write_and_reread,
};
use libfuzzer_sys::fuzz_target;

struct Fixed {
    policies: Vec<Policy>,
    base: Inventory,
}

fn fixed() -> &'static Fixed {
    static FIXED: OnceLock<Fixed> = OnceLock::new();
    FIXED.get_or_init(|| Fixed {
        policies: shipped_policies(),
        base: embedded_inventory("base.cdx.json", FIXTURE_SBOM),
    })
}

fuzz_target!(|data: &[u8]| {
    clearance_fuzz::guard_stack();
    let fixed = fixed();
    // The CLI reads the file by path; so does this, from the scratch directory (reports then
    // locate components in it).
    let path = scratch_file("input.sbom.json", data);
    let inventory = match read_sbom_file(&path) {
        Ok(inventory) => inventory,
        Err(e) => {
            std::hint::black_box(e.to_string());
            return;
        }
    };
    write_and_reread(&inventory);
    for policy in &fixed.policies {
        let evaluation = evaluate(policy, &inventory, None, today());
        render_check_reports(policy, &inventory, &evaluation);
    }
    let policy = &fixed.policies[0];
    render_diff_reports(policy, &fixed.base, &inventory);
    render_diff_reports(policy, &inventory, &fixed.base);
    let evaluation = evaluate(policy, &inventory, None, today());
    render_builtin_documents(policy, &inventory, &evaluation);
});
