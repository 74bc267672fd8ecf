//! Shared helpers: running the binary, fixture paths, the independent validators.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A path under `tests/fixtures`.
pub fn fixture(rel: &str) -> PathBuf {
    repo().join("tests/fixtures").join(rel)
}

/// The fixture workspace's manifest.
pub fn workspace_manifest() -> PathBuf {
    fixture("workspace/Cargo.toml")
}

/// A `clearance` command with a clean environment for reproducible output (no pinned time,
/// none of the variables of the terminal conventions), caching license detections under
/// `target/` rather than in the user's cache directory.
pub fn clearance() -> Command {
    hermetic(Command::new(env!("CARGO_BIN_EXE_clearance")))
}

/// `cmd` with the clean environment of [`clearance`].
pub fn hermetic(mut cmd: Command) -> Command {
    for name in ["SOURCE_DATE_EPOCH", "CLICOLOR_FORCE", "NO_COLOR", "CI"] {
        cmd.env_remove(name);
    }
    cmd.env(
        "CLEARANCE_CACHE_DIR",
        repo().join("target/test-license-cache"),
    );
    cmd
}

/// Runs `clearance ARGS` and returns its output.
pub fn run(args: &[&str]) -> Output {
    clearance().args(args).output().expect("clearance runs")
}

/// Runs `clearance ARGS`, asserting success, and returns stdout.
pub fn run_ok(args: &[&str]) -> Vec<u8> {
    let out = run(args);
    assert!(
        out.status.success(),
        "clearance {args:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Standard error as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The validators' venv (made by `tests/validate/setup.sh`, which `scripts/test.sh` runs).
pub fn validate_venv() -> PathBuf {
    let venv = std::env::var_os("VALIDATE_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("target/validate-venv"));
    assert!(
        venv.join("bin/python").exists(),
        "the validators are not installed at {}: run scripts/test.sh, or \
         VALIDATE_VENV={} tests/validate/setup.sh",
        venv.display(),
        venv.display()
    );
    venv
}

/// sigstore-python's command line, from the validators' venv.
pub fn sigstore_python() -> PathBuf {
    validate_venv().join("bin/sigstore")
}

/// The independent validators' folder, `tests/validate` (scripts, schemas, pinned
/// requirements; see its README.md).
pub fn validators() -> PathBuf {
    repo().join("tests/validate")
}

/// `tests/validate/NAME`.
fn validator(name: &str) -> PathBuf {
    let path = validators().join(name);
    assert!(path.exists(), "validator {} not found", path.display());
    path
}

/// Runs an independent validator on `file`; returns (passed, its output).
pub fn validate(script: &str, file: &Path) -> (bool, String) {
    let venv = validate_venv();
    let out = Command::new(validator(script))
        .arg(file)
        .env("VALIDATE_VENV", &venv)
        .env(
            "PATH",
            format!(
                "{}:{}",
                venv.join("bin").display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .output()
        .expect("validator runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Asserts that `file` passes `script`.
pub fn assert_valid(script: &str, file: &Path) {
    let (ok, text) = validate(script, file);
    assert!(ok, "{script} rejected {}:\n{text}", file.display());
}

/// Copies the directory tree `from` into `to` (created if missing).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let dest = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &dest);
        } else {
            std::fs::copy(entry.path(), dest).unwrap();
        }
    }
}

/// Every file under `dir`, at any depth, sorted (none when `dir` does not exist).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// (code, package name) of each finding in a JSON list of findings.
pub fn finding_codes(list: &serde_json::Value) -> Vec<(String, String)> {
    list.as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}
