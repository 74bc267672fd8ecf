//! Policy input (`--policy FILE`, `clearance.toml`, cargo-deny's `deny.toml`): the parser
//! and validator of both formats (the format the file's shape says, and cargo-deny's forced
//! as `clearance init --from-deny` reads it), then a `check` of a fixed inventory against a
//! valid policy with every report format.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use clearance_core::inventory::Inventory;
use clearance_core::policy::file::load_cargo_deny;
use clearance_core::policy::{Policy, PolicyError, evaluate, parse_policy};
use clearance_fuzz::{FIXTURE_SBOM, embedded_inventory, render_check_reports, scratch_file, today};
use libfuzzer_sys::fuzz_target;

fn inventory() -> &'static Inventory {
    static INVENTORY: OnceLock<Inventory> = OnceLock::new();
    INVENTORY.get_or_init(|| {
        let mut inventory = embedded_inventory("fixture.cdx.json", FIXTURE_SBOM);
        // The reports locate components in the file the inventory came from.
        inventory.origin = Some(scratch_file("fixture.cdx.json", FIXTURE_SBOM.as_bytes()));
        inventory
    })
}

fn judge(result: Result<Policy, PolicyError>) {
    match result {
        Ok(policy) => {
            let inventory = inventory();
            let evaluation = evaluate(&policy, inventory, None, today());
            render_check_reports(&policy, inventory, &evaluation);
        }
        Err(e) => {
            std::hint::black_box(e.to_string());
        }
    }
}

fuzz_target!(|data: &[u8]| {
    clearance_fuzz::guard_stack();
    // The CLI reads policies as UTF-8 text and stops at anything else.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = inventory();
    judge(parse_policy(Path::new("clearance.toml"), text));
    let path = scratch_file("deny.toml", data);
    judge(load_cargo_deny(&path));
});
