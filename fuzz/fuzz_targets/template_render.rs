//! Custom templates (`notice`, `third-party`, `report` with `--template FILE`): a fuzzed
//! handlebars template rendered, as text and as escaped HTML, against a small fixed context
//! (three third-party packages, one failing the policy, one with a NOTICE file).

#![no_main]

use std::sync::OnceLock;

use clearance_core::policy::evaluate;
use clearance_core::render::{Context, Document, Inputs, build_context, render};
use clearance_fuzz::{
    SMALL_SBOM, TOOL_VERSION, embedded_inventory, scratch_file, shipped_policies, small_evidence,
    today,
};
use libfuzzer_sys::fuzz_target;

fn context() -> &'static Context {
    static CONTEXT: OnceLock<Context> = OnceLock::new();
    CONTEXT.get_or_init(|| {
        let inventory = embedded_inventory("small.cdx.json", SMALL_SBOM);
        let policy = shipped_policies().swap_remove(0);
        let evaluation = evaluate(&policy, &inventory, None, today());
        let evidence = small_evidence(&inventory);
        build_context(&Inputs {
            inventory: &inventory,
            evidence: &evidence,
            evaluation: &evaluation,
            policy: &policy.path.display().to_string(),
            min_confidence: policy.min_confidence,
            tool_version: TOOL_VERSION,
        })
    })
}

fuzz_target!(|data: &[u8]| {
    clearance_fuzz::guard_stack();
    if std::str::from_utf8(data).is_err() {
        // The CLI reads templates as UTF-8 text and stops at anything else.
        return;
    }
    let context = context();
    let template = scratch_file("template.hbs", data);
    // NOTICE renders text as it is; the report escapes HTML.
    for document in [Document::Notice, Document::Report] {
        match render(document, context, Some(&template)) {
            Ok(text) => {
                std::hint::black_box(text);
            }
            Err(e) => {
                std::hint::black_box(e.to_string());
            }
        }
    }
});
