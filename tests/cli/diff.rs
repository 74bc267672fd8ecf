//! `clearance diff`: the pull-request gate. Only findings the head brings in fail it; the
//! base is read from a git revision without touching the working tree, or from an SBOM.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::util::{clearance, copy_dir, finding_codes, fixture, stderr};

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.org")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.org")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A git repository holding the fixture workspace (committed as the base, on `main`), then
/// changed in the working tree: a new path dependency under AGPL-3.0-only, legacy-lgpl
/// relicensed to GPL-3.0-only and lazy_static removed, with Cargo.lock updated.
pub(crate) fn repository() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path();
    copy_dir(&fixture("workspace"), ws);
    git(ws, &["init", "-q", "-b", "main"]);
    git(ws, &["add", "-A"]);
    git(ws, &["commit", "-q", "-m", "base"]);
    let app = ws.join("app/Cargo.toml");
    let manifest = std::fs::read_to_string(&app).unwrap().replacen(
        "[dependencies]\n",
        "[dependencies]\nnew-dep = { path = \"../local/new-dep\" }\n",
        1,
    );
    let manifest: String = manifest
        .lines()
        .filter(|l| !l.starts_with("lazy_static"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&app, manifest).unwrap();
    std::fs::create_dir_all(ws.join("local/new-dep/src")).unwrap();
    std::fs::write(ws.join("local/new-dep/Cargo.toml"), "[package]\nname = \"new-dep\"\nversion = \"0.1.0\"\nedition = \"2021\"\nlicense = \"AGPL-3.0-only\"\nauthors = [\"Example <dev@example.org>\"]\n").unwrap();
    std::fs::write(ws.join("local/new-dep/src/lib.rs"), "").unwrap();
    let lgpl = ws.join("local/legacy-lgpl/Cargo.toml");
    let text = std::fs::read_to_string(&lgpl)
        .unwrap()
        .replace("LGPL-3.0+", "GPL-3.0-only");
    std::fs::write(&lgpl, text).unwrap();
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(ws)
        .args(["update", "--offline", "--workspace", "--quiet"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

fn diff(ws: &Path, args: &[&str]) -> std::process::Output {
    let m = ws.join("Cargo.toml");
    let mut full = vec!["diff", "--offline", "--manifest-path", m.to_str().unwrap()];
    full.extend_from_slice(args);
    clearance().args(&full).current_dir(ws).output().unwrap()
}

#[test]
fn base_ref_fails_only_on_what_the_change_brings_in() {
    let repo = repository();
    let ws = repo.path();
    let status_before = git(ws, &["status", "--porcelain"]);
    let out = diff(ws, &["--base-ref", "main", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["schema"], "clearance-diff/1");
    assert_eq!(
        finding_codes(&doc["new"]),
        [
            ("license-denied".to_owned(), "legacy-lgpl".to_owned()),
            ("license-denied".to_owned(), "new-dep".to_owned())
        ]
    );
    assert_eq!(
        finding_codes(&doc["existing"]),
        [("license-unknown".to_owned(), "custom-license".to_owned())]
    );
    assert_eq!(
        finding_codes(&doc["resolved"]),
        [("license-not-allowed".to_owned(), "legacy-lgpl".to_owned())]
    );
    let changes = &doc["changes"];
    assert_eq!(changes["added"][0]["name"], "new-dep");
    assert_eq!(changes["removed"][0]["name"], "lazy_static");
    assert_eq!(changes["removed"].as_array().unwrap().len(), 1);
    assert_eq!(changes["relicensed"][0]["name"], "legacy-lgpl");
    assert_eq!(changes["relicensed"][0]["from"], "LGPL-3.0-or-later");
    assert_eq!(changes["relicensed"][0]["to"], "GPL-3.0-only");
    // The working tree and the repository's worktree list are as they were.
    assert_eq!(git(ws, &["status", "--porcelain"]), status_before);
    assert_eq!(git(ws, &["worktree", "list"]).lines().count(), 1);
}

#[test]
fn without_new_findings_the_gate_passes_unless_fail_on_any() {
    let repo = repository();
    let ws = repo.path();
    git(ws, &["add", "-A"]);
    git(ws, &["commit", "-q", "-m", "head"]);
    let out = diff(ws, &["--base-ref", "HEAD"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("new findings: none"));
    let out = diff(ws, &["--base-ref", "HEAD", "--fail-on", "any"]);
    assert_eq!(out.status.code(), Some(1), "the head still has errors");
    let md = diff(ws, &["--base-ref", "HEAD~1", "--format", "markdown"]);
    let text = String::from_utf8(md.stdout).unwrap();
    assert!(
        text.contains("❌ This change brings in 2 new finding(s), 2 of them errors"),
        "{text}"
    );
    assert!(
        text.contains("| added | new-dep | 0.1.0 | `AGPL-3.0-only` |"),
        "{text}"
    );
}

#[test]
fn sboms_as_base_and_head() {
    let repo = repository();
    let ws = repo.path();
    let head = ws.join("head.cdx.json");
    let m = ws.join("Cargo.toml");
    let out = clearance()
        .args([
            "sbom",
            "--offline",
            "--manifest-path",
            m.to_str().unwrap(),
            "-o",
            head.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let base = fixture("sboms/handwritten-2.2.spdx.json");
    let out = clearance()
        .args([
            "diff",
            "--base",
            base.to_str().unwrap(),
            "--head",
            head.to_str().unwrap(),
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        finding_codes(&doc["new"]).contains(&("license-denied".to_owned(), "new-dep".to_owned()))
    );
}

#[test]
fn a_bad_revision_is_an_input_error() {
    let repo = repository();
    let out = diff(repo.path(), &["--base-ref", "no-such-branch"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read the base revision no-such-branch"),
        "{}",
        stderr(&out)
    );
    assert_eq!(git(repo.path(), &["worktree", "list"]).lines().count(), 1);
    let out = clearance().args(["diff"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "--base or --base-ref is required"
    );
}
