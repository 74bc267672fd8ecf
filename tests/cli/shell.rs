//! Shell completions and man pages, generated from the same command definition as `--help`.

use crate::util::{clearance, run_ok};

#[test]
fn completions_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = String::from_utf8(run_ok(&["completions", shell])).unwrap();
        for command in [
            "sbom",
            "check",
            "diff",
            "notice",
            "third-party",
            "report",
            "init",
        ] {
            assert!(script.contains(command), "{shell} completes {command}");
        }
        assert!(
            script.contains("manifest-path"),
            "{shell} completes options"
        );
        assert!(
            script.contains("clearance__subcmd__init") || script.contains("Write a starter policy"),
            "{shell} completes the init command"
        );
        assert!(script.contains("force"), "{shell} completes init --force");
    }
    let dir = tempfile::tempdir().unwrap();
    let bash = dir.path().join("clearance.bash");
    std::fs::write(&bash, run_ok(&["completions", "bash"])).unwrap();
    let syntax = std::process::Command::new("bash")
        .arg("-n")
        .arg(&bash)
        .output()
        .unwrap();
    assert!(
        syntax.status.success(),
        "{}",
        String::from_utf8_lossy(&syntax.stderr)
    );
    let out = clearance().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

#[test]
fn man_pages_for_the_tool_and_each_command() {
    let page = String::from_utf8(run_ok(&["man"])).unwrap();
    assert!(page.contains(".TH clearance 1"), "{page}");
    assert!(
        page.contains(".SH SUBCOMMANDS") || page.contains("clearance\\-check"),
        "{page}"
    );
    let dir = tempfile::tempdir().unwrap();
    run_ok(&["man", "--dir", dir.path().to_str().unwrap()]);
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "clearance-attest.1",
            "clearance-check.1",
            "clearance-completions.1",
            "clearance-diff.1",
            "clearance-init.1",
            "clearance-man.1",
            "clearance-notice.1",
            "clearance-release.1",
            "clearance-report.1",
            "clearance-sbom.1",
            "clearance-sign.1",
            "clearance-sigstore-dev.1",
            "clearance-snapshot.1",
            "clearance-third-party.1",
            "clearance-verify.1",
            "clearance.1"
        ]
    );
    let check = std::fs::read_to_string(dir.path().join("clearance-check.1")).unwrap();
    assert!(
        check.contains(".TH clearance-check 1") && check.contains("policy"),
        "{check}"
    );
}
