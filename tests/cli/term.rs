//! Terminal conventions of every command: colours follow `--color`, then `CLICOLOR_FORCE`,
//! then `NO_COLOR`, then whether the output is a terminal, in reports, help and usage
//! errors alike; the release's progress spinner is drawn only on a terminal, and not on CI
//! when standard output is captured.
//!
//! The terminal is real: a pseudo-terminal made by Python's `pty` module (the validators'
//! venv), which shows what the program wrote to it on its own standard output.

use std::path::Path;
use std::process::{Command, Output};

use crate::util::{clearance, hermetic, validate_venv, workspace_manifest};

const ESC: char = '\x1b';

/// Runs `clearance ARGS` with standard output and standard error on a pseudo-terminal
/// (standard output into `stdout_file` instead, when given), with `env` set; returns what
/// the terminal showed.
fn in_terminal(args: &[&str], env: &[(&str, &str)], stdout_file: Option<&Path>) -> String {
    let script =
        "import os, pty, sys\nsys.exit(os.waitstatus_to_exitcode(pty.spawn(sys.argv[1:])))";
    let redirect = match stdout_file {
        Some(f) => format!("exec \"$0\" \"$@\" > '{}'", f.display()),
        None => "exec \"$0\" \"$@\"".to_owned(),
    };
    let mut cmd = hermetic(Command::new(validate_venv().join("bin/python")));
    cmd.args([
        "-c",
        script,
        "sh",
        "-c",
        &redirect,
        env!("CARGO_BIN_EXE_clearance"),
    ])
    .args(args)
    .envs(env.iter().copied())
    .stdin(std::process::Stdio::null());
    let out = cmd.output().expect("python runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn captured(args: &[&str], env: &[(&str, &str)]) -> Output {
    clearance()
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap()
}

fn coloured(bytes: &[u8]) -> bool {
    String::from_utf8_lossy(bytes).contains(ESC)
}

fn check_args() -> Vec<String> {
    vec![
        "check".into(),
        "--offline".into(),
        "--manifest-path".into(),
        workspace_manifest().display().to_string(),
    ]
}

#[test]
fn reports_follow_flag_then_clicolor_force_then_no_color_then_the_terminal() {
    let base = check_args();
    let args = |extra: &[&str]| -> Vec<String> {
        base.iter()
            .cloned()
            .chain(extra.iter().map(|s| (*s).to_owned()))
            .collect()
    };
    let report = |extra: &[&str], env: &[(&str, &str)]| {
        let a = args(extra);
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        captured(&a, env).stdout
    };
    // Captured: plain, unless forced by the flag or CLICOLOR_FORCE (which beats NO_COLOR).
    assert!(!coloured(&report(&[], &[])));
    assert!(coloured(&report(
        &["--color", "always"],
        &[("NO_COLOR", "1")]
    )));
    assert!(coloured(&report(&[], &[("CLICOLOR_FORCE", "1")])));
    assert!(coloured(&report(
        &[],
        &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]
    )));
    assert!(!coloured(&report(&[], &[("CLICOLOR_FORCE", "0")])));
    assert!(!coloured(&report(
        &["--color", "never"],
        &[("CLICOLOR_FORCE", "1")]
    )));

    // On a terminal: coloured, unless NO_COLOR or --color never says otherwise.
    let a = args(&[]);
    let a: Vec<&str> = a.iter().map(String::as_str).collect();
    let shown = in_terminal(&a, &[], None);
    assert!(shown.contains("\x1b[1;31merror"), "{shown}");
    assert!(!in_terminal(&a, &[("NO_COLOR", "1")], None).contains(ESC));
    assert!(!in_terminal(&a, &[("NO_COLOR", "0")], None).contains(ESC));
    let never = args(&["--color", "never"]);
    let never: Vec<&str> = never.iter().map(String::as_str).collect();
    assert!(!in_terminal(&never, &[], None).contains(ESC));
    // A report written to a file is not going to the terminal.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("report.txt");
    let to_file = args(&["-o", file.to_str().unwrap()]);
    let to_file: Vec<&str> = to_file.iter().map(String::as_str).collect();
    in_terminal(&to_file, &[], None);
    let written = std::fs::read(&file).unwrap();
    assert!(!written.is_empty() && !coloured(&written));
}

#[test]
fn help_and_usage_errors_follow_the_same_rules() {
    // Captured: plain unless forced.
    assert!(!coloured(&captured(&["--help"], &[]).stdout));
    assert!(coloured(
        &captured(&["--help"], &[("CLICOLOR_FORCE", "1")]).stdout
    ));
    assert!(coloured(
        &captured(&["--help"], &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).stdout
    ));
    assert!(!coloured(
        &captured(&["--help"], &[("CLICOLOR_FORCE", "0")]).stdout
    ));
    assert!(coloured(
        &captured(&["check", "--color", "always", "--help"], &[]).stdout
    ));
    assert!(!coloured(
        &captured(
            &["check", "--color=never", "--help"],
            &[("CLICOLOR_FORCE", "1")]
        )
        .stdout
    ));
    let error = captured(&["chekc"], &[("CLICOLOR_FORCE", "1")]);
    assert_eq!(error.status.code(), Some(2));
    assert!(coloured(&error.stderr));
    let error = captured(&["chekc"], &[]);
    assert_eq!(error.status.code(), Some(2));
    assert!(!coloured(&error.stderr), "a captured usage error is plain");

    // On a terminal.
    assert!(in_terminal(&["--help"], &[], None).contains(ESC));
    assert!(!in_terminal(&["--help"], &[("NO_COLOR", "1")], None).contains(ESC));
    assert!(
        in_terminal(
            &["--help"],
            &[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")],
            None
        )
        .contains(ESC)
    );
    assert!(!in_terminal(&["check", "--color", "never", "--help"], &[], None).contains(ESC));
}

#[test]
fn the_release_spinner_is_drawn_only_on_a_terminal_and_not_on_captured_ci() {
    let dir = tempfile::tempdir().unwrap();
    let release = |name: &str| -> Vec<String> {
        vec![
            "release".into(),
            "--offline".into(),
            "--sign".into(),
            "none".into(),
            "--manifest-path".into(),
            workspace_manifest().display().to_string(),
            "--out".into(),
            dir.path().join(name).join("out").display().to_string(),
            "--evidence".into(),
            dir.path().join(name).join("evidence").display().to_string(),
        ]
    };
    // `\r\x1b[2K` is how the spinner redraws its line.
    let spinner = "\r\x1b[2K";

    let args = release("captured");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = captured(&args, &[]);
    assert!(out.status.code() == Some(1), "the fixture fails its check");
    assert!(!String::from_utf8_lossy(&out.stderr).contains(ESC));

    let stdout = dir.path().join("stdout.txt");
    let args = release("terminal");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let shown = in_terminal(&args, &[], Some(&stdout));
    assert!(shown.contains(spinner), "{shown:?}");
    assert!(
        std::fs::read_to_string(&stdout)
            .unwrap()
            .contains("license check fail")
    );

    let args = release("ci");
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let shown = in_terminal(&args, &[("CI", "true")], Some(&stdout));
    assert!(!shown.contains(ESC), "{shown:?}");
    assert!(
        std::fs::read_to_string(&stdout)
            .unwrap()
            .contains("license check fail")
    );
}
