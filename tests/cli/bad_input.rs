//! Bad input gets a clear message naming the file (and line and column where there is one),
//! exit code 2, and no output file.

use std::path::Path;

use crate::util::{clearance, copy_dir, fixture, stderr};

/// Runs `clearance sbom ARGS -o OUT` in `cwd` and checks: exit code 2, no panic, no output
/// file and no temporary file left in the output directory. Returns standard error.
fn fails_cleanly(cwd: &Path, args: &[&str]) -> String {
    let out_dir = tempfile::tempdir().unwrap();
    let target = out_dir.path().join("out.json");
    let out = clearance()
        .current_dir(cwd)
        .args(args)
        .arg("-o")
        .arg(&target)
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!target.exists(), "{args:?} left an output file");
    assert_eq!(
        std::fs::read_dir(out_dir.path()).unwrap().count(),
        0,
        "a temporary file was left behind"
    );
    err
}

#[test]
fn no_cargo_toml() {
    let empty = tempfile::tempdir().unwrap();
    let err = fails_cleanly(empty.path(), &["sbom", "--offline"]);
    assert!(err.contains("error: no Cargo.toml at Cargo.toml"), "{err}");
    let dir = fixture("bad/no-manifest");
    let err = fails_cleanly(
        empty.path(),
        &[
            "sbom",
            "--offline",
            "--manifest-path",
            dir.to_str().unwrap(),
        ],
    );
    assert!(err.contains("no-manifest/Cargo.toml"), "{err}");
}

#[test]
fn broken_cargo_toml_names_line_and_column() {
    let m = fixture("bad/broken-manifest/Cargo.toml");
    let err = fails_cleanly(
        Path::new("."),
        &["sbom", "--offline", "--manifest-path", m.to_str().unwrap()],
    );
    assert!(err.contains("Cargo.toml:3:17"), "{err}");
    assert!(err.contains("help: fix the manifest"), "{err}");
}

#[test]
fn a_lockfile_that_locked_rejects() {
    let src = fixture("bad/stale-lock");
    let copy = tempfile::tempdir().unwrap();
    copy_dir(&src, copy.path());
    let m = copy.path().join("Cargo.toml");
    let lock_before = std::fs::read(copy.path().join("Cargo.lock")).unwrap();
    let err = fails_cleanly(
        copy.path(),
        &["sbom", "--offline", "--manifest-path", m.to_str().unwrap()],
    );
    assert!(err.contains("--locked"), "{err}");
    assert!(err.contains("cargo update --workspace"), "{err}");
    assert_eq!(
        std::fs::read(copy.path().join("Cargo.lock")).unwrap(),
        lock_before,
        "the lockfile is untouched"
    );
    // --no-locked resolves anyway.
    let out = clearance()
        .args([
            "sbom",
            "--offline",
            "--no-locked",
            "--manifest-path",
            m.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn a_truncated_sbom_names_where_it_ends() {
    let f = fixture("sboms/bad/truncated.cdx.json");
    let err = fails_cleanly(Path::new("."), &["sbom", "--sbom", f.to_str().unwrap()]);
    let lines = std::fs::read_to_string(&f).unwrap().lines().count();
    assert!(err.contains("error[sbom-truncated]"), "{err}");
    assert!(
        err.contains(&format!("truncated.cdx.json:{lines}:")),
        "{err}"
    );
    assert!(err.contains("help: "), "{err}");
}

#[test]
fn an_unknown_spec_version_is_named_with_its_place() {
    let f = fixture("sboms/bad/unknown-version.cdx.json");
    let err = fails_cleanly(Path::new("."), &["sbom", "--sbom", f.to_str().unwrap()]);
    assert!(
        err.contains("error[sbom-unsupported-version]: CycloneDX version \"9.9\" is not supported"),
        "{err}"
    );
    let text = std::fs::read_to_string(&f).unwrap();
    let line = text
        .lines()
        .position(|l| l.contains("specVersion"))
        .unwrap()
        + 1;
    assert!(
        err.contains(&format!("unknown-version.cdx.json:{line}:")),
        "{err}"
    );
    assert!(err.contains("1.4, 1.5, 1.6, 1.7"), "{err}");
}

#[test]
fn json_that_is_not_an_sbom() {
    let f = fixture("sboms/bad/not-an-sbom.json");
    let err = fails_cleanly(Path::new("."), &["sbom", "--sbom", f.to_str().unwrap()]);
    assert!(err.contains("error[sbom-unknown-format]"), "{err}");
}

#[test]
fn a_field_of_the_wrong_type_names_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("wrong.cdx.json");
    std::fs::write(&f, "{\n  \"bomFormat\": \"CycloneDX\",\n  \"specVersion\": \"1.6\",\n  \"components\": [\n    {\"name\": 42}\n  ]\n}\n").unwrap();
    let err = fails_cleanly(Path::new("."), &["sbom", "--sbom", f.to_str().unwrap()]);
    assert!(err.contains("error[sbom-invalid-structure]"), "{err}");
    assert!(err.contains("wrong.cdx.json:5:"), "{err}");
    assert!(
        err.contains("{\"name\": 42}"),
        "the offending line is shown: {err}"
    );
}

#[test]
fn an_unwritable_output_is_an_error_not_a_panic() {
    let m = crate::util::workspace_manifest();
    let out = clearance()
        .args([
            "sbom",
            "--offline",
            "--manifest-path",
            m.to_str().unwrap(),
            "-o",
            "/nonexistent-dir/x.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot write /nonexistent-dir/x.json"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn usage_errors_exit_2() {
    let out = clearance()
        .args(["sbom", "--format", "xml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let m = crate::util::workspace_manifest();
    let out = clearance()
        .args([
            "sbom",
            "--offline",
            "--manifest-path",
            m.to_str().unwrap(),
            "--spec-version",
            "1.2",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains(
            "cyclonedx-json cannot be written as spec version 1.2; choose one of 1.6, 1.5, 1.7"
        ),
        "{}",
        stderr(&out)
    );
    let out = clearance()
        .args(["sbom", "--offline", "--manifest-path", m.to_str().unwrap()])
        .env("SOURCE_DATE_EPOCH", "soon")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("SOURCE_DATE_EPOCH=\"soon\""),
        "{}",
        stderr(&out)
    );
}
