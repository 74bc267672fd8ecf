//! Nothing lost, nothing corrupted: `-o` onto a device, a FIFO or a link writes through it
//! and leaves it what it was; concurrent releases into one evidence store each get their own
//! intact record, and a re-run is recorded again or found already recorded, never replaced;
//! concurrent runs that each start a local Sigstore instance all sign; a killed run's
//! staging folder goes with the next run; `snapshot` never waits on a FIFO in the store, and
//! `snapshot verify` refuses a tiny archive claiming an exabyte and a compression bomb.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::signing::{in_github_job, start_dev, without_credentials};
use crate::snapshot::{VERSIONS, json, snapshot, workspace};
use crate::util::{clearance, hermetic, stderr, workspace_manifest};

/// `clearance` stopped after a minute, so that a regression fails instead of hanging.
fn within_a_minute() -> Command {
    let mut cmd = hermetic(Command::new("timeout"));
    cmd.arg("60").arg(env!("CARGO_BIN_EXE_clearance"));
    cmd
}

/// `clearance sbom` of the fixture workspace into `out`.
fn sbom_to(out: &Path) -> Output {
    within_a_minute()
        .args(["sbom", "--offline", "--manifest-path"])
        .arg(workspace_manifest())
        .arg("-o")
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn output_onto_a_device_a_fifo_or_a_link_is_written_through_never_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let kind = |p: &Path| std::fs::symlink_metadata(p).unwrap().file_type();

    // A device node: made here when root (as in CI and containers), else the machine's own.
    let null = dir.path().join("null");
    let made = Command::new("mknod")
        .arg(&null)
        .args(["c", "1", "3"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    let null = if made {
        null
    } else {
        PathBuf::from("/dev/null")
    };
    let out = sbom_to(&null);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        kind(&null).is_char_device(),
        "{} was replaced",
        null.display()
    );
    assert!(
        Path::new("/dev/null")
            .metadata()
            .unwrap()
            .file_type()
            .is_char_device()
    );

    // A FIFO: its reader gets the SBOM, and it stays a FIFO.
    let fifo = dir.path().join("sbom.fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let out = sbom_to(&fifo);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let read = reader.join().unwrap();
    assert!(serde_json::from_slice::<serde_json::Value>(&read).is_ok());
    assert!(kind(&fifo).is_fifo());

    // A link: it stays a link, and the file it names gets the SBOM.
    let real = dir.path().join("real.cdx.json");
    std::fs::write(&real, "old").unwrap();
    let link = dir.path().join("link.cdx.json");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let out = sbom_to(&link);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(kind(&link).is_symlink());
    assert_eq!(std::fs::read(&real).unwrap(), read, "the same SBOM");
}

/// The record folders of `store`.
fn records(store: &Path) -> Vec<PathBuf> {
    let mut folders: Vec<PathBuf> = std::fs::read_dir(store)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    folders.sort();
    folders
}

/// Runs the commands `command(0..n)` at the same time and returns their outputs, in order.
fn concurrently(n: usize, command: impl Fn(usize) -> Command) -> Vec<Output> {
    let children: Vec<_> = (0..n)
        .map(|i| {
            command(i)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    children
        .into_iter()
        .map(|child| child.wait_with_output().unwrap())
        .collect()
}

#[test]
fn ten_concurrent_releases_in_the_same_second_are_ten_intact_verifiable_records() {
    let dir = tempfile::tempdir().unwrap();
    let dev = start_dev(dir.path());
    let ws = dir.path().join("ws");
    workspace(&ws, &VERSIONS[0]);
    let store = dir.path().join("evidence");
    let outputs = concurrently(10, |n| {
        let mut cmd = in_github_job(&dev);
        cmd.env("SOURCE_DATE_EPOCH", "1791000000")
            .args(["release", "--offline", "--sigstore"])
            .arg(dev.trust_config_path())
            .arg("--manifest-path")
            .arg(ws.join("Cargo.toml"))
            .arg("--evidence")
            .arg(&store)
            .arg("--out")
            .arg(dir.path().join(format!("dist-{n}")));
        cmd
    });
    let mut recorded = Vec::new();
    for out in outputs {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let line = text.lines().find(|l| l.contains("recorded in")).unwrap();
        assert!(!line.contains("already"), "{line}");
        recorded.push(line.to_string());
    }
    recorded.sort();
    recorded.dedup();
    assert_eq!(recorded.len(), 10, "each run names its own record");
    assert_eq!(records(&store).len(), 10, "{:?}", records(&store));

    // Every record verifies: files, signatures and subjects.
    let archive = dir.path().join("snapshot.tar.gz");
    let out = snapshot(&dev, &store, &archive, &["--sign", "none"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let listed = Command::new("tar")
        .arg("-xzOf")
        .arg(&archive)
        .arg("snapshot-2026-Q4/manifest.json")
        .output()
        .unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    let releases = manifest["releases"].as_array().unwrap();
    assert_eq!(releases.len(), 10);
    assert!(
        releases.iter().all(|r| r["verified"] == true),
        "{manifest:#}"
    );
    assert_eq!(manifest["problems"].as_array().unwrap().len(), 0);
}

/// An unsigned release of `ws` into `store` at the pinned time.
fn unsigned_release(ws: &Path, store: &Path, out: &Path) -> Output {
    clearance()
        .env("SOURCE_DATE_EPOCH", "1791000000")
        .args(["release", "--offline", "--sign", "none", "--manifest-path"])
        .arg(ws.join("Cargo.toml"))
        .arg("--evidence")
        .arg(store)
        .arg("--out")
        .arg(out)
        .output()
        .unwrap()
}

#[test]
fn a_rerun_at_the_same_time_is_already_recorded_or_a_new_record_never_a_replacement() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    workspace(&ws, &VERSIONS[0]);
    let store = dir.path().join("evidence");
    let out = dir.path().join("dist");

    let first = unsigned_release(&ws, &store, &out);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let [record] = records(&store).try_into().unwrap();
    let before = std::fs::read(record.join("release.json")).unwrap();

    // The same inputs: the same release.json, found already recorded.
    let again = unsigned_release(&ws, &store, &out);
    let text = String::from_utf8_lossy(&again.stdout);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert!(text.contains("already recorded in"), "{text}");
    assert_eq!(records(&store), vec![record.clone()]);
    assert_eq!(std::fs::read(record.join("release.json")).unwrap(), before);

    // A different release in the same second: a second record beside the first.
    workspace(&ws, &VERSIONS[1]);
    let other = unsigned_release(&ws, &store, &out);
    assert_eq!(other.status.code(), Some(0), "{}", stderr(&other));
    assert_eq!(records(&store).len(), 2);
    assert_eq!(std::fs::read(record.join("release.json")).unwrap(), before);
}

#[test]
fn concurrent_runs_each_starting_a_local_instance_all_sign() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    workspace(&ws, &VERSIONS[0]);
    let state = dir.path().join("sigstore-dev");
    let outputs = concurrently(3, |n| {
        let mut cmd = without_credentials();
        cmd.env("CLEARANCE_SIGSTORE_DEV_DIR", &state)
            .args(["release", "--offline", "--sigstore", "dev"])
            .arg("--manifest-path")
            .arg(ws.join("Cargo.toml"))
            .arg("--evidence")
            .arg(dir.path().join("evidence"))
            .arg("--out")
            .arg(dir.path().join(format!("dist-{n}")));
        cmd
    });
    for out in outputs {
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
    // Every bundle verifies against the instance's trusted root as it now stands.
    for n in 0..3 {
        let dist = dir.path().join(format!("dist-{n}"));
        let record = json(&dist.join("release.json"));
        let sbom = record["files"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(".cdx.json"))
            .unwrap()["path"]
            .as_str()
            .unwrap()
            .to_string();
        let identity = &record["signing"]["identity"];
        let out = without_credentials()
            .args(["verify", "--sigstore"])
            .arg(state.join("trust_config.json"))
            .args(["--certificate-identity", identity.as_str().unwrap()])
            .args([
                "--certificate-oidc-issuer",
                record["signing"]["issuer"].as_str().unwrap(),
            ])
            .arg("--bundle")
            .arg(dist.join("sbom.cdx.sigstore.json"))
            .arg(dist.join(&sbom))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    }
}

#[test]
fn the_staging_folder_of_a_killed_run_goes_with_the_next_run() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    workspace(&ws, &VERSIONS[0]);
    let out = dir.path().join("dist");
    // What `kill -9` leaves: a staging folder and its lock file, which no process holds.
    let debris = dir.path().join(".clearance-release-AbC123");
    std::fs::create_dir_all(&debris).unwrap();
    std::fs::write(debris.join("snapapp-1.0.0.cdx.json"), "{\"half").unwrap();
    std::fs::write(dir.path().join(".clearance-release-AbC123.lock"), "").unwrap();
    // A folder that is not ours stays.
    std::fs::create_dir_all(dir.path().join("keep-me")).unwrap();

    let run = unsigned_release(&ws, &dir.path().join("evidence"), &out);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["dist", "evidence", "keep-me", "ws"]);
}

#[test]
fn a_fifo_in_the_store_never_stalls_a_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("ws");
    workspace(&ws, &VERSIONS[0]);
    let store = dir.path().join("evidence");
    let run = unsigned_release(&ws, &store, &dir.path().join("dist"));
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let [record] = records(&store).try_into().unwrap();
    std::fs::remove_file(record.join("release.json")).unwrap();
    assert!(
        Command::new("mkfifo")
            .arg(record.join("release.json"))
            .status()
            .unwrap()
            .success()
    );
    let out = within_a_minute()
        .env("SOURCE_DATE_EPOCH", "1795000000")
        .args(["snapshot", "--period", "2026-Q4", "--sign", "none"])
        .args(["--identity", "x", "--issuer", "https://issuer.example"])
        .arg("--evidence")
        .arg(&store)
        .arg("-o")
        .arg(dir.path().join("s.tar.gz"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("release.json is not a regular file"),
        "{text}"
    );
}

/// `clearance snapshot verify` of `archive` (no network needed).
fn verify_archive(archive: &Path) -> Output {
    clearance()
        .args(["snapshot", "verify"])
        .arg(archive)
        .args(["--identity", "x", "--issuer", "https://issuer.example"])
        .output()
        .unwrap()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

#[test]
fn a_tiny_archive_claiming_an_exabyte_and_a_compression_bomb_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let mut header = tar::Header::new_gnu();
    header.set_path("snapshot-2026-Q4/manifest.json").unwrap();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(1 << 60);
    header.set_cksum();
    let tiny = dir.path().join("tiny.tar.gz");
    std::fs::write(&tiny, gzip(header.as_bytes())).unwrap();
    assert!(std::fs::metadata(&tiny).unwrap().len() < 100);
    let out = verify_archive(&tiny);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--max-entry-size"),
        "{}",
        stderr(&out)
    );

    // 256 MiB of zeros in a few hundred KiB.
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(256 << 20);
    builder
        .append_data(
            &mut header,
            "snapshot-2026-Q4/releases/r/NOTICE",
            std::io::repeat(0).take(256 << 20),
        )
        .unwrap();
    let bomb = dir.path().join("bomb.tar.gz");
    std::fs::write(&bomb, gzip(&builder.into_inner().unwrap())).unwrap();
    let out = verify_archive(&bomb);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--max-ratio"), "{}", stderr(&out));
}
