//! `clearance notice`: license texts found in the packages' sources, detected with
//! confidence, copyright lines under their packages, NOTICE files carried verbatim, a
//! `license-file` outside the package refused, and templates in strict mode.

use serde_json::Value;

use crate::util::{clearance, fixture, stderr};

fn notice(args: &[&str]) -> std::process::Output {
    let m = fixture("notice/Cargo.toml");
    let cache = tempfile::tempdir().unwrap();
    let mut full = vec![
        "notice",
        "--offline",
        "--manifest-path",
        m.to_str().unwrap(),
    ];
    full.extend_from_slice(args);
    clearance()
        .args(&full)
        .env("CLEARANCE_CACHE_DIR", cache.path())
        .output()
        .unwrap()
}

fn context() -> Value {
    let out = notice(&["--dump-context"]);
    assert!(out.status.success(), "{}", stderr(&out));
    serde_json::from_slice(&out.stdout).unwrap()
}

fn package<'a>(ctx: &'a Value, name: &str) -> &'a Value {
    ctx["packages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == name)
        .unwrap()
}

#[test]
fn a_gpl_license_file_is_detected_with_confidence() {
    let ctx = context();
    let gpl = package(&ctx, "gpl-file");
    assert_eq!(gpl["declared"], "LicenseRef-gpl-file-COPYING");
    assert_eq!(
        gpl["license"], "GPL-2.0-or-later",
        "the file's text says 'or any later version'"
    );
    assert!(gpl["confidence"].as_f64().unwrap() > 0.95);
    assert_eq!(
        gpl["copyrights"].as_array().unwrap().len(),
        0,
        "the FSF line belongs to the license text"
    );
}

#[test]
fn a_declared_license_the_files_contradict_is_visible() {
    let ctx = context();
    let m = package(&ctx, "mismatch");
    assert_eq!(m["declared"], "MIT");
    assert_eq!(m["detected"], serde_json::json!(["GPL-2.0-or-later"]));
}

#[test]
fn a_license_file_outside_the_package_is_refused_and_never_read() {
    let ctx = context();
    let e = package(&ctx, "escape");
    assert!(
        e["refused_license_file"]
            .as_str()
            .unwrap()
            .contains("points outside the package root and was not read")
    );
    assert_eq!(e["files"].as_array().unwrap().len(), 0);
    let out = notice(&[]);
    let text = String::from_utf8(out.stdout).unwrap();
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    let first = passwd.lines().next().unwrap_or("root:x:0:0");
    assert!(!text.contains(first), "the file was not read");
    assert!(!serde_json::to_string(&ctx).unwrap().contains(first));
}

#[test]
fn notice_files_are_carried_and_copyrights_listed_under_their_package() {
    let out = notice(&[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    let carried = std::fs::read_to_string(fixture("notice/local/apache-notice/NOTICE")).unwrap();
    assert!(
        text.contains(&format!(
            "---- apache-notice 2.1.0: NOTICE ----\n\n{carried}"
        )),
        "verbatim and attributed:\n{text}"
    );
    let apache = text.find("Apache License 2.0 (Apache-2.0)").unwrap();
    let entry = text[apache..]
        .find("  * apache-notice 2.1.0\n      Copyright 2021 The Notice Fixture Authors\n");
    assert!(
        entry.is_some(),
        "the copyright line under its package:\n{text}"
    );
    for section in [
        "Apache License 2.0 (Apache-2.0)",
        "GNU General Public License v2.0 or later (GPL-2.0-or-later)",
        "MIT License (MIT)",
    ] {
        assert_eq!(
            text.matches(section).count(),
            1,
            "each license once: {section}"
        );
    }
    assert!(
        text.contains("TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION"),
        "the real text"
    );
}

#[test]
fn output_is_deterministic_and_written_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("NOTICE-a");
    let b = dir.path().join("NOTICE-b");
    assert!(notice(&["-o", a.to_str().unwrap()]).status.success());
    assert!(notice(&["-o", b.to_str().unwrap()]).status.success());
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        2,
        "no temporary files left"
    );
}

#[test]
fn templates_can_be_replaced_and_strict_mode_catches_typos() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("short.hbs");
    std::fs::write(
        &good,
        "{{product.name}}:{{#each licenses}} {{id}}{{/each}}\n",
    )
    .unwrap();
    let out = notice(&["--template", good.to_str().unwrap()]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "notice-app: Apache-2.0 GPL-2.0-or-later LicenseRef-escape-..-..-..-..-..-..-..-..-etc-passwd MIT\n"
    );

    let typo = dir.path().join("typo.hbs");
    std::fs::write(&typo, "{{product.nmae}}\n").unwrap();
    let target = dir.path().join("NOTICE");
    let out = notice(&[
        "--template",
        typo.to_str().unwrap(),
        "-o",
        target.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("product.nmae"), "{}", stderr(&out));
    assert!(!target.exists());

    let broken = dir.path().join("broken.hbs");
    std::fs::write(&broken, "line one\n{{#each licenses}}\n{{id}}\n").unwrap();
    let out = notice(&["--template", broken.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("error[template-syntax]") && err.contains("broken.hbs:"),
        "{err}"
    );
}

#[test]
fn the_third_party_matrix_lists_license_category_status_and_source() {
    let m = fixture("notice/Cargo.toml");
    let out = clearance()
        .args([
            "third-party",
            "--offline",
            "--manifest-path",
            m.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains(
            "| gpl-file | 0.1.0 | `GPL-2.0-or-later` | strong-copyleft | failed | path |  |"
        ),
        "{text}"
    );
    assert!(
        text.contains("| apache-notice | 2.1.0 | `Apache-2.0` | permissive | allowed | path |  |"),
        "{text}"
    );
    assert!(
        !text.contains("| notice-app |"),
        "the workspace's own crates are not third-party"
    );
    assert!(
        !text.contains('<'),
        "no HTML passes through a Markdown cell: {text}"
    );
    assert!(
        text.contains("5 packages, judged by the policy `policies/default.toml (built in)`"),
        "{text}"
    );
}
