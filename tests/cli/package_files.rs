//! Files of a dependency's tree that are not what a license file should be: a FIFO named
//! `LICENSE` (and `NOTICE`), which no command may wait on, and a `LICENSE` larger than the
//! cap, which no command may read whole. `sbom`, `check` and `notice` finish, and `check`
//! reports each skipped file, naming the package, the file and why.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{clearance, stderr};

/// How long a command may take before it counts as hung.
const HANG: Duration = Duration::from_secs(120);

/// A workspace whose package `app` depends on path packages, not members of the workspace,
/// `fifo-dep` (whose `LICENSE`, also its declared `license-file`, and `NOTICE` are FIFOs)
/// and `big-dep` (whose `LICENSE` is a sparse file one byte over the 8 MiB cap).
fn workspace() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let package = |path: &Path, manifest: &str| {
        std::fs::create_dir_all(path.join("src")).unwrap();
        std::fs::write(path.join("Cargo.toml"), manifest).unwrap();
        std::fs::write(path.join("src/lib.rs"), "").unwrap();
    };
    package(
        root,
        "[package]\nname = \"app\"\nversion = \"0.1.0\"\nedition = \"2021\"\nlicense = \"MIT\"\n\
         publish = false\n\n[dependencies]\nfifo-dep = { path = \"fifo-dep\" }\n\
         big-dep = { path = \"big-dep\" }\n\n\
         [workspace]\nexclude = [\"fifo-dep\", \"big-dep\"]\n",
    );
    package(
        &root.join("fifo-dep"),
        "[package]\nname = \"fifo-dep\"\nversion = \"1.0.0\"\nedition = \"2021\"\n\
         license-file = \"LICENSE\"\n",
    );
    for name in ["LICENSE", "NOTICE"] {
        let made = Command::new("mkfifo")
            .arg(root.join("fifo-dep").join(name))
            .status()
            .expect("mkfifo runs");
        assert!(made.success(), "mkfifo {name}");
    }
    package(
        &root.join("big-dep"),
        "[package]\nname = \"big-dep\"\nversion = \"2.0.0\"\nedition = \"2021\"\n\
         license-file = \"LICENSE\"\n",
    );
    // Sparse: it claims 8 MiB + 1 byte and takes no disk space.
    let big = std::fs::File::create(root.join("big-dep/LICENSE")).unwrap();
    big.set_len((8 << 20) + 1).unwrap();
    drop(big);
    let manifest = root.join("Cargo.toml");
    (dir, manifest)
}

/// Runs `cmd`, failing the test (and ending the process) if it has not finished within
/// [`HANG`].
fn finishing(mut cmd: Command, what: &str) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("clearance starts");
    let drain = |mut pipe: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = pipe.read_to_end(&mut bytes);
            bytes
        })
    };
    let out = drain(Box::new(child.stdout.take().unwrap()));
    let err = drain(Box::new(child.stderr.take().unwrap()));
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            panic!("`clearance {what}` did not finish within {HANG:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    Output {
        status,
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
    }
}

fn run(args: &[&str], manifest: &Path, cache: &Path) -> Output {
    let mut cmd = clearance();
    cmd.args(args)
        .args(["--offline", "--no-locked", "--manifest-path"])
        .arg(manifest)
        .env("CLEARANCE_CACHE_DIR", cache);
    finishing(cmd, &args.join(" "))
}

#[cfg(unix)]
#[test]
fn sbom_check_and_notice_finish_and_check_reports_each_skipped_file() {
    let (dir, manifest) = workspace();
    let cache = tempfile::tempdir().unwrap();

    let sbom = run(&["sbom"], &manifest, cache.path());
    assert!(sbom.status.success(), "sbom: {}", stderr(&sbom));
    let doc: Value = serde_json::from_slice(&sbom.stdout).unwrap();
    assert!(
        doc["components"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["name"] == "fifo-dep"),
        "the package is still listed"
    );

    let notice = run(&["notice"], &manifest, cache.path());
    assert!(notice.status.success(), "notice: {}", stderr(&notice));

    // Both license-file-only packages have no license the policy can read: the check fails on
    // that (exit 1), not on a usage error or a crash.
    let check = run(&["check", "--format", "json"], &manifest, cache.path());
    assert_eq!(check.status.code(), Some(1), "check: {}", stderr(&check));
    let report: Value = serde_json::from_slice(&check.stdout).unwrap();
    let mut skipped: Vec<(String, String, String)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["code"] == "license-file-skipped")
        .map(|f| {
            assert_eq!(f["severity"], "warning", "{f}");
            (
                f["name"].as_str().unwrap().to_owned(),
                f["version"].as_str().unwrap().to_owned(),
                f["message"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    skipped.sort();
    assert_eq!(skipped.len(), 3, "{skipped:#?}");
    assert_eq!(
        skipped[0],
        (
            "big-dep".into(),
            "2.0.0".into(),
            "big-dep 2.0.0: LICENSE was not read: it is larger than 8 MiB, the most clearance \
             reads of a license or NOTICE file"
                .into()
        )
    );
    for (i, file) in [(1, "LICENSE"), (2, "NOTICE")] {
        assert_eq!(skipped[i].0, "fifo-dep");
        assert_eq!(
            skipped[i].2,
            format!(
                "fifo-dep 1.0.0: {file} was not read: it is not a regular file (a FIFO, \
                 device, socket or directory)"
            )
        );
    }

    // The human report says the same, one finding per file.
    let human = run(&["check"], &manifest, cache.path());
    assert_eq!(human.status.code(), Some(1), "{}", stderr(&human));
    let text = String::from_utf8_lossy(&human.stdout);
    assert_eq!(
        text.matches("warning[license-file-skipped]").count(),
        3,
        "{text}"
    );
    drop(dir);
}
