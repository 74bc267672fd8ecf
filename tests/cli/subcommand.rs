//! `cargo clearance`: the `cargo-clearance` binary is clearance as a cargo subcommand. cargo
//! runs it as `cargo-clearance clearance ARGS`; it must behave as `clearance ARGS`.

use std::process::Command;

use crate::util::{clearance, hermetic, stderr, workspace_manifest};

fn cargo_clearance() -> Command {
    hermetic(Command::new(env!("CARGO_BIN_EXE_cargo-clearance")))
}

#[test]
fn run_directly_as_cargo_runs_it() {
    let out = cargo_clearance()
        .args(["clearance", "--version"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("clearance {}\n", env!("CARGO_PKG_VERSION"))
    );
    let help = cargo_clearance()
        .args(["clearance", "check", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("Usage: cargo clearance check [OPTIONS]"),
        "{help}"
    );
    // Without the word cargo adds, it is still clearance.
    let out = cargo_clearance().arg("--version").output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn cargo_finds_it_on_path_and_it_checks_like_clearance() {
    let bin = tempfile::tempdir().unwrap();
    std::fs::copy(
        env!("CARGO_BIN_EXE_cargo-clearance"),
        bin.path().join("cargo-clearance"),
    )
    .unwrap();
    // An empty CARGO_HOME: no other cargo-clearance is found before this one (the fixture
    // needs nothing from it).
    let cargo_home = tempfile::tempdir().unwrap();
    let path = std::env::join_paths(
        std::iter::once(bin.path().to_owned())
            .chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    let manifest = workspace_manifest();
    let args = [
        "check",
        "--offline",
        "--manifest-path",
        manifest.to_str().unwrap(),
        "--format",
        "json",
    ];
    let via_cargo = hermetic(Command::new(env!("CARGO")))
        .arg("clearance")
        .args(args)
        .env("PATH", &path)
        .env("CARGO_HOME", cargo_home.path())
        .output()
        .unwrap();
    let direct = clearance().args(args).output().unwrap();
    assert_eq!(via_cargo.status.code(), Some(1), "{}", stderr(&via_cargo));
    assert_eq!(
        String::from_utf8_lossy(&via_cargo.stdout),
        String::from_utf8_lossy(&direct.stdout)
    );

    let help = hermetic(Command::new(env!("CARGO")))
        .args(["clearance", "--help"])
        .env("PATH", &path)
        .env("CARGO_HOME", cargo_home.path())
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(help.contains("Usage: cargo clearance <COMMAND>"), "{help}");
}
