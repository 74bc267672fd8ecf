//! What the fuzz targets share: a scratch directory for the files the library reads by path,
//! a fixed day, fixed inventories, and the steps the CLI runs after reading an input
//! (evaluation against a policy, every report format, the built-in templates).
//!
//! Nothing here touches the network, and nothing is written outside the scratch directory,
//! which lives in the system's temporary directory and is removed when the process exits.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use clearance_core::inventory::Inventory;
use clearance_core::license::files::FileKind;
use clearance_core::license::scan::{AnalysedFile, Evidence, PackageEvidence};
use clearance_core::policy::diff::diff;
use clearance_core::policy::{Evaluation, Policy, evaluate};
use clearance_core::report::{Color, Context, ReportFormat, render_check, render_diff};
use clearance_core::sbom::{Format, WriteOptions, read_sbom, write_sbom};

/// Every report format of `check` and `diff`.
pub const REPORT_FORMATS: [ReportFormat; 5] = [
    ReportFormat::Human,
    ReportFormat::Json,
    ReportFormat::Sarif,
    ReportFormat::Junit,
    ReportFormat::Markdown,
];

/// Every SBOM format clearance writes.
pub const SBOM_FORMATS: [Format; 3] = [Format::CycloneDxJson, Format::SpdxJson, Format::Spdx3Json];

/// The version recorded in rendered documents.
pub const TOOL_VERSION: &str = "0.0.0-fuzz";

/// The day expiries are checked against: fixed, so that a run is reproducible.
pub fn today() -> time::Date {
    time::Date::from_calendar_date(2025, time::Month::June, 1).expect("a valid date")
}

/// The creation time recorded in written SBOMs.
pub const CREATED: &str = "2025-06-01T00:00:00Z";

/// Makes a stack overflow a crash that libFuzzer reports and saves, like any other.
///
/// Without a sanitizer nothing gives the main thread an alternate signal stack, so libFuzzer's
/// SIGSEGV handler would itself overflow the exhausted stack and the process would die
/// without saving its input. This gives the thread one and has the handlers that libFuzzer
/// installed run on it. Every target calls it first; only the first call does anything (by
/// then libFuzzer's handlers are in place).
pub fn guard_stack() {
    static GUARD: std::sync::Once = std::sync::Once::new();
    GUARD.call_once(|| {
        const SIZE: usize = 1 << 20;
        let stack: &'static mut [u8] = Box::leak(vec![0u8; SIZE].into_boxed_slice());
        // SAFETY: the alternate stack is leaked, so it outlives the thread; `sigaction` is
        // given valid pointers and only gains SA_ONSTACK on handlers already installed.
        unsafe {
            let alternate = libc::stack_t {
                ss_sp: stack.as_mut_ptr().cast(),
                ss_flags: 0,
                ss_size: SIZE,
            };
            if libc::sigaltstack(&alternate, std::ptr::null_mut()) != 0 {
                return;
            }
            for signal in [libc::SIGSEGV, libc::SIGBUS] {
                let mut action: libc::sigaction = std::mem::zeroed();
                if libc::sigaction(signal, std::ptr::null(), &mut action) != 0 {
                    continue;
                }
                if action.sa_sigaction == libc::SIG_DFL || action.sa_sigaction == libc::SIG_IGN {
                    continue;
                }
                action.sa_flags |= libc::SA_ONSTACK;
                libc::sigaction(signal, &action, std::ptr::null_mut());
            }
        }
    });
}

unsafe extern "C" {
    fn atexit(callback: extern "C" fn()) -> std::ffi::c_int;
}

extern "C" fn remove_scratch() {
    if let Some(dir) = SCRATCH.get() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

static SCRATCH: OnceLock<PathBuf> = OnceLock::new();

/// This process's scratch directory (created on first use, removed at exit).
pub fn scratch_dir() -> &'static Path {
    SCRATCH.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("clearance-fuzz-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("the scratch directory can be created");
        // SAFETY: `atexit` takes a plain function pointer that lives for the whole program.
        unsafe {
            atexit(remove_scratch);
        }
        dir
    })
}

/// Writes `bytes` to the scratch file `name` and returns its path.
pub fn scratch_file(name: &str, bytes: &[u8]) -> PathBuf {
    let path = scratch_dir().join(name);
    std::fs::write(&path, bytes).expect("the scratch file can be written");
    path
}

/// An SBOM of the repository's fixtures: ten components, licenses of several categories.
pub const FIXTURE_SBOM: &str = include_str!("../../tests/fixtures/sboms/cargo-sbom.cdx.json");

/// A small SBOM: a product with three dependencies (permissive, dual, strong copyleft), one
/// with characters that Markdown and HTML treat specially.
pub const SMALL_SBOM: &str = r#"{
  "bomFormat": "CycloneDX",
  "specVersion": "1.6",
  "metadata": {
    "component": {
      "type": "application",
      "bom-ref": "app",
      "name": "app",
      "version": "1.0.0",
      "purl": "pkg:cargo/app@1.0.0",
      "licenses": [{ "expression": "MIT" }]
    }
  },
  "components": [
    {
      "type": "library",
      "bom-ref": "tiny",
      "name": "tiny",
      "version": "0.1.0",
      "purl": "pkg:cargo/tiny@0.1.0",
      "description": "A <tiny> crate | with a pipe & an ampersand",
      "author": "Ann Author <ann@example.org>",
      "licenses": [{ "expression": "MIT OR Apache-2.0" }],
      "externalReferences": [{ "type": "vcs", "url": "https://example.org/tiny" }]
    },
    {
      "type": "library",
      "bom-ref": "gpl",
      "name": "gpl-thing",
      "version": "2.0.0",
      "purl": "pkg:cargo/gpl-thing@2.0.0",
      "licenses": [{ "expression": "GPL-3.0-only" }]
    },
    {
      "type": "library",
      "bom-ref": "isc",
      "name": "isc-thing",
      "version": "1.2.3",
      "purl": "pkg:cargo/isc-thing@1.2.3",
      "licenses": [{ "expression": "ISC" }]
    }
  ],
  "dependencies": [
    { "ref": "app", "dependsOn": ["tiny", "gpl", "isc"] }
  ]
}
"#;

/// Reads an embedded SBOM (they are known to be valid).
pub fn embedded_inventory(name: &str, text: &str) -> Inventory {
    read_sbom(Path::new(name), text).unwrap_or_else(|e| panic!("the embedded {name}: {e}"))
}

/// The policies shipped with clearance, by name.
pub fn shipped_policies() -> Vec<Policy> {
    [
        (
            "policies/default.toml",
            include_str!("../../policies/default.toml"),
        ),
        (
            "policies/strict.toml",
            include_str!("../../policies/strict.toml"),
        ),
        (
            "policies/weak-copyleft-ok.toml",
            include_str!("../../policies/weak-copyleft-ok.toml"),
        ),
    ]
    .into_iter()
    .map(|(name, text)| {
        clearance_core::policy::parse_policy(Path::new(name), text)
            .unwrap_or_else(|e| panic!("the shipped {name}: {e}"))
    })
    .collect()
}

/// Evidence with a license file and an Apache NOTICE for the first third-party component, so
/// that templates see copyrights and notices.
pub fn small_evidence(inventory: &Inventory) -> Evidence {
    let mut evidence = Evidence::default();
    if let Some(c) = inventory.components.values().find(|c| !c.workspace_member) {
        let file = |path: &str, kind, text: &str| AnalysedFile {
            path: path.to_owned(),
            kind,
            sha256: "0".repeat(64),
            text: text.to_owned(),
            detection: None,
            copyrights: vec!["Copyright (c) 2024 Ann Author".to_owned()],
        };
        evidence.packages.insert(
            c.id.clone(),
            PackageEvidence {
                files: vec![
                    file(
                        "LICENSE-MIT",
                        FileKind::License,
                        "Copyright (c) 2024 Ann Author\n\nPermission is hereby granted...\n",
                    ),
                    file(
                        "NOTICE",
                        FileKind::Notice,
                        "tiny\nCopyright 2024 Ann Author\n<b>bold</b> | {{not a template}}\n",
                    ),
                ],
                refused: None,
                skipped: Vec::new(),
            },
        );
    }
    evidence
}

/// Every report of `check`, as the CLI renders it for `inventory` judged by `policy`.
pub fn render_check_reports(policy: &Policy, inventory: &Inventory, evaluation: &Evaluation) {
    for color in [Color::Never, Color::Always] {
        let ctx = Context::new(
            policy.path.display().to_string(),
            inventory,
            TOOL_VERSION,
            color,
        );
        for format in REPORT_FORMATS {
            if color == Color::Always && format != ReportFormat::Human {
                continue;
            }
            std::hint::black_box(render_check(format, &ctx, evaluation));
        }
    }
}

/// Every report of `diff` from `base` to `head`, both judged by `policy`.
pub fn render_diff_reports(policy: &Policy, base: &Inventory, head: &Inventory) {
    let base_eval = evaluate(policy, base, None, today());
    let head_eval = evaluate(policy, head, None, today());
    let result = diff(base, &base_eval, head, &head_eval);
    let ctx = Context::new(
        policy.path.display().to_string(),
        head,
        TOOL_VERSION,
        Color::Never,
    );
    for format in REPORT_FORMATS {
        std::hint::black_box(render_diff(format, &ctx, &result, &head_eval));
    }
}

/// The built-in NOTICE, THIRD_PARTY.md and HTML report for `inventory`.
pub fn render_builtin_documents(policy: &Policy, inventory: &Inventory, evaluation: &Evaluation) {
    let evidence = small_evidence(inventory);
    let context = clearance_core::render::build_context(&clearance_core::render::Inputs {
        inventory,
        evidence: &evidence,
        evaluation,
        policy: &policy.path.display().to_string(),
        min_confidence: policy.min_confidence,
        tool_version: TOOL_VERSION,
    });
    for document in [
        clearance_core::render::Document::Notice,
        clearance_core::render::Document::ThirdParty,
        clearance_core::render::Document::Report,
    ] {
        if let Err(e) = clearance_core::render::render(document, &context, None) {
            panic!("the built-in template of {document:?} failed to render: {e}");
        }
    }
}

/// Writes `inventory` in every SBOM format and reads each document back: clearance must read
/// what it writes.
pub fn write_and_reread(inventory: &Inventory) {
    let options = WriteOptions {
        spec_version: None,
        created: Some(CREATED.to_owned()),
        tool_name: "clearance".to_owned(),
        tool_version: TOOL_VERSION.to_owned(),
    };
    for format in SBOM_FORMATS {
        let document = write_sbom(inventory, format, &options)
            .unwrap_or_else(|e| panic!("writing {format}: {e}"));
        let text = std::str::from_utf8(&document).expect("SBOMs are written as UTF-8");
        let name = format!("written.{}", format.extension());
        if let Err(e) = read_sbom(Path::new(&name), text) {
            panic!("clearance cannot read the {format} it wrote: {e}\n{text}");
        }
    }
}
