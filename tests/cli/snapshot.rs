//! `clearance snapshot` end to end: three releases of a small workspace (the second adds a
//! dependency, the third relicenses one) signed through an in-process sigstore-dev into an
//! evidence store, then the quarter's snapshot: its manifest against its files, `snapshot
//! verify` offline, sigstore-python on the manifest's bundle, the posture's changes, and
//! byte-identical archives for the same store. Then a store with a changed SBOM, a deleted
//! bundle and a release signed by someone else: each problem named, exit 1, the failed
//! releases marked on the page in headless Chromium.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use sigstore_dev::{DevHandle, GITHUB_ISSUER, GitHubIdentity, TokenSpec};

use crate::report::{headless, screenshot};
use crate::signing::{in_github_job, python_verify, start_dev, without_credentials};
use crate::util::{files_under, repo, stderr};

/// 2026-10-03, 2026-10-14 and 2026-10-26: three days of 2026-Q4.
const RELEASE_EPOCHS: [&str; 3] = ["1791000000", "1792000000", "1793000000"];
/// 2026-11-18, when the snapshots are made.
const SNAPSHOT_EPOCH: &str = "1795000000";

/// One version of the fixture workspace: `snapapp` and its path dependencies.
pub(crate) struct Version<'a> {
    app: &'a str,
    alpha_license: &'a str,
    with_beta: bool,
}

pub(crate) const VERSIONS: [Version<'static>; 3] = [
    Version {
        app: "1.0.0",
        alpha_license: "MIT",
        with_beta: false,
    },
    // beta is MPL-2.0, allowed by an exception of the workspace's policy.
    Version {
        app: "1.1.0",
        alpha_license: "MIT",
        with_beta: true,
    },
    Version {
        app: "1.2.0",
        alpha_license: "Apache-2.0",
        with_beta: true,
    },
];

const POLICY: &str = r#"[licenses]
allow-categories = ["permissive", "public-domain"]
unknown = "deny"

[[exceptions]]
package = "beta"
allow = ["MPL-2.0"]
reason = "legal review LR-7"
expires = "2027-01-31"
"#;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn package(name: &str, version: &str, license: &str) -> String {
    format!(
        "[package]\nname = \"{name}\"\nversion = \"{version}\"\nedition = \"2021\"\nlicense = \"{license}\"\n"
    )
}

/// Writes `version` of the workspace into `ws` and locks it (path dependencies only: no
/// registry, no network).
pub(crate) fn workspace(ws: &Path, version: &Version<'_>) {
    let mut manifest = package("snapapp", version.app, "MIT");
    manifest.push_str("publish = false\n\n[dependencies]\nalpha = { path = \"alpha\" }\n");
    if version.with_beta {
        manifest.push_str("beta = { path = \"beta\" }\n");
    }
    manifest.push_str("\n[workspace]\n");
    write(&ws.join("Cargo.toml"), &manifest);
    write(&ws.join("src/lib.rs"), "");
    write(&ws.join("clearance.toml"), POLICY);
    write(
        &ws.join("alpha/Cargo.toml"),
        &package("alpha", "0.1.0", version.alpha_license),
    );
    write(&ws.join("alpha/src/lib.rs"), "");
    write(
        &ws.join("beta/Cargo.toml"),
        &package("beta", "0.2.0", "MPL-2.0"),
    );
    write(&ws.join("beta/src/lib.rs"), "");
    let out = Command::new("cargo")
        .args(["generate-lockfile", "--offline", "--manifest-path"])
        .arg(ws.join("Cargo.toml"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Releases the three versions into `store`, signed through `dev`; the third with
/// `third_token` when given (another identity).
fn three_releases(dev: &DevHandle, dir: &Path, store: &Path, third_token: Option<&str>) {
    let ws = dir.join("ws");
    for (n, (version, epoch)) in VERSIONS.iter().zip(RELEASE_EPOCHS).enumerate() {
        workspace(&ws, version);
        let mut cmd = in_github_job(dev);
        cmd.env("SOURCE_DATE_EPOCH", epoch)
            .args(["release", "--offline", "--sigstore"])
            .arg(dev.trust_config_path())
            .arg("--manifest-path")
            .arg(ws.join("Cargo.toml"))
            .arg("--evidence")
            .arg(store)
            .arg("--out")
            .arg(dir.join("dist"));
        if let (2, Some(token)) = (n, third_token) {
            cmd.args(["--identity-token", token]);
        }
        let out = cmd.output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "release {}: {}",
            version.app,
            stderr(&out)
        );
    }
}

/// `clearance snapshot --period 2026-Q4` of `store` as the instance's own job, allowing the
/// instance's default identity.
pub(crate) fn snapshot(dev: &DevHandle, store: &Path, output: &Path, extra: &[&str]) -> Output {
    in_github_job(dev)
        .env("SOURCE_DATE_EPOCH", SNAPSHOT_EPOCH)
        .args(["snapshot", "--period", "2026-Q4", "--evidence"])
        .arg(store)
        .arg("--sigstore")
        .arg(dev.trust_config_path())
        .args([
            "--identity",
            &GitHubIdentity::default().certificate_identity(),
        ])
        .args(["--issuer", GITHUB_ISSUER, "-o"])
        .arg(output)
        .args(extra)
        .output()
        .unwrap()
}

/// `clearance snapshot verify FILE` with no network at all.
fn snapshot_verify(dev: &DevHandle, archive: &Path, extra: &[&str]) -> Output {
    let clearance = without_credentials().get_program().to_owned();
    Command::new("unshare")
        .arg("-n")
        .arg(clearance)
        .args(["snapshot", "verify"])
        .arg(archive)
        .arg("--sigstore")
        .arg(dev.trust_config_path())
        .args([
            "--identity",
            &GitHubIdentity::default().certificate_identity(),
        ])
        .args(["--issuer", GITHUB_ISSUER])
        .args(extra)
        .output()
        .unwrap()
}

/// Unpacks `archive` with the system's tar into `into`, returning the snapshot's folder.
fn untar(archive: &Path, into: &Path) -> PathBuf {
    std::fs::create_dir_all(into).unwrap();
    let out = Command::new("tar")
        .arg("xzf")
        .arg(archive)
        .arg("-C")
        .arg(into)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    into.join("snapshot-2026-Q4")
}

pub(crate) fn json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

/// Every entry of a `.tar.gz` with its bytes, in archive order, headers included.
fn entries(archive: &Path) -> Vec<(String, Vec<u8>, Vec<u8>)> {
    use std::io::Read;
    let bytes = std::fs::read(archive).unwrap();
    let mut tar = tar::Archive::new(flate2::read::MultiGzDecoder::new(bytes.as_slice()));
    tar.entries()
        .unwrap()
        .map(|e| {
            let mut e = e.unwrap();
            let header = e.header().as_bytes().to_vec();
            let path = e.path().unwrap().display().to_string();
            let mut content = Vec::new();
            e.read_to_end(&mut content).unwrap();
            (path, header, content)
        })
        .collect()
}

#[test]
fn a_quarter_of_signed_releases_makes_a_verified_deterministic_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let dev = start_dev(dir.path());
    let store = dir.path().join("evidence");
    three_releases(&dev, dir.path(), &store, None);
    // A release of another quarter stays out.
    std::fs::create_dir_all(store.join("2026-09-30T23-00-00Z_snapapp-0.9.0")).unwrap();

    let archive = dir.path().join("snapshot-2026-Q4.tar.gz");
    let out = snapshot(&dev, &store, &archive, &[]);
    assert_eq!(out.status.code(), Some(0), "snapshot: {}", stderr(&out));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("3 releases"), "{shown}");
    assert!(shown.contains("12 attestations verified"), "{shown}");

    // The manifest lists every file of the archive but itself and its bundle, each with the
    // SHA-256 of what is there.
    let root = untar(&archive, &dir.path().join("x"));
    let manifest = json(&root.join("manifest.json"));
    assert_eq!(manifest["schema"], "clearance-snapshot/1");
    let listed: BTreeMap<String, String> = manifest["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["sha256"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let mut on_disk = Vec::new();
    for entry in files_under(&root) {
        let rel = entry.strip_prefix(&root).unwrap().display().to_string();
        if rel == "manifest.json" || rel == "manifest.sigstore.json" {
            continue;
        }
        let digest = clearance_core::license::sha256_hex(&std::fs::read(&entry).unwrap());
        assert_eq!(listed.get(&rel), Some(&digest), "{rel}");
        on_disk.push(rel);
    }
    assert_eq!(on_disk.len(), listed.len(), "no file is missing or extra");
    assert!(listed.contains_key("index.html") && listed.contains_key("summary.md"));
    assert_eq!(
        listed
            .keys()
            .filter(|p| p.ends_with("/release.json"))
            .count(),
        3
    );

    // The posture: beta added by the second release, alpha relicensed by the third, beta's
    // exception in force and expiring within 90 days of the snapshot (2027-01-31).
    let releases = manifest["releases"].as_array().unwrap();
    assert!(releases.iter().all(|r| r["verified"] == true));
    assert_eq!(releases[1]["posture"]["by_category"]["weak-copyleft"], 1);
    let exception = &releases[1]["posture"]["exceptions"][0];
    assert_eq!(exception["status"], "expiring");
    assert_eq!(exception["applies_to"][0], "beta 0.2.0");
    let changes = manifest["changes"].as_array().unwrap();
    assert_eq!(changes.len(), 2);
    assert_eq!(changes[0]["added"][0]["name"], "beta");
    assert_eq!(changes[0]["added"][0]["license"], "MPL-2.0");
    assert_eq!(changes[0]["relicensed"].as_array().unwrap().len(), 0);
    let relicensed = &changes[1]["relicensed"][0];
    assert_eq!(
        (&relicensed["name"], &relicensed["from"], &relicensed["to"]),
        (
            &serde_json::json!("alpha"),
            &serde_json::json!("MIT"),
            &serde_json::json!("Apache-2.0")
        )
    );
    let summary = std::fs::read_to_string(root.join("summary.md")).unwrap();
    assert!(
        summary.contains("added **beta** 0.2.0 (`MPL-2.0`)"),
        "{summary}"
    );
    assert!(
        summary.contains("relicensed **alpha** 0.1.0: `MIT` → `Apache-2.0`"),
        "{summary}"
    );
    assert!(summary.contains("**Every release of the period verified**"));

    // Verified again, offline, by clearance and by sigstore-python.
    let out = snapshot_verify(&dev, &archive, &[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        stderr(&out)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("12 attestations verified"));
    let identity = GitHubIdentity::default().certificate_identity();
    let out = python_verify(
        &dev,
        &[
            "identity",
            "--cert-identity",
            &identity,
            "--cert-oidc-issuer",
            GITHUB_ISSUER,
        ],
        &root.join("manifest.sigstore.json"),
        &root.join("manifest.json"),
    );
    assert!(out.status.success(), "sigstore-python: {}", stderr(&out));

    // The same store gives the same archive: unsigned, byte for byte; signed, every entry
    // but the signature.
    let unsigned = |name: &str| {
        let path = dir.path().join(name);
        let out = snapshot(&dev, &store, &path, &["--sign", "none"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        std::fs::read(path).unwrap()
    };
    assert_eq!(unsigned("a.tar.gz"), unsigned("b.tar.gz"));
    let again = dir.path().join("again.tar.gz");
    assert_eq!(snapshot(&dev, &store, &again, &[]).status.code(), Some(0));
    let (first, second) = (entries(&archive), entries(&again));
    assert_eq!(first.len(), second.len());
    for (a, b) in first.iter().zip(&second) {
        assert_eq!(a.0, b.0);
        if a.0.ends_with("manifest.sigstore.json") {
            assert_ne!(a.2, b.2, "a new signature each time");
        } else {
            assert_eq!(a, b, "{}", a.0);
        }
    }

    // A changed byte in the packed archive is caught by `snapshot verify`.
    let tampered = dir.path().join("tampered.tar.gz");
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let top = clearance_evidence::snapshot::archive::read_archive(
        std::fs::File::open(&archive).unwrap(),
        &clearance_evidence::snapshot::archive::Limits::default(),
        |_| true,
        |file| {
            files.insert(file.path, file.content.kept.unwrap());
            Ok(())
        },
    )
    .unwrap();
    let notice = files
        .keys()
        .find(|p| p.ends_with("/NOTICE"))
        .unwrap()
        .clone();
    files.get_mut(&notice).unwrap()[0] ^= 1;
    let refs: BTreeMap<String, clearance_evidence::snapshot::archive::Content<'_>> = files
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                clearance_evidence::snapshot::archive::Content::Bytes(v.as_slice()),
            )
        })
        .collect();
    std::fs::write(
        &tampered,
        clearance_evidence::snapshot::archive::pack(Vec::new(), &top, &refs, 0).unwrap(),
    )
    .unwrap();
    let out = snapshot_verify(&dev, &tampered, &[]);
    let shown = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains(&format!("{notice}: ")) && shown.contains("digest-mismatch"),
        "{shown}"
    );
}

#[test]
fn a_changed_sbom_a_deleted_bundle_and_another_signer_are_each_named() {
    let dir = tempfile::tempdir().unwrap();
    let dev = start_dev(dir.path());
    let store = dir.path().join("evidence");
    let other = GitHubIdentity {
        repository: "mallory/fork".into(),
        ..GitHubIdentity::default()
    };
    let token = dev.mint_token(&TokenSpec {
        identity: Some(other.clone()),
        ..TokenSpec::default()
    });
    three_releases(&dev, dir.path(), &store, Some(&token));
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&store)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    folders.sort();
    // The first release loses a bundle; the second's CycloneDX SBOM changes by one byte.
    std::fs::remove_file(folders[0].join("sbom.spdx.sigstore.json")).unwrap();
    let sbom = folders[1].join("snapapp-1.1.0.cdx.json");
    let mut bytes = std::fs::read(&sbom).unwrap();
    let at = bytes.iter().position(|&b| b == b'1').unwrap();
    bytes[at] = b'2';
    std::fs::write(&sbom, bytes).unwrap();

    let archive = dir.path().join("snapshot-2026-Q4.tar.gz");
    let out = snapshot(&dev, &store, &archive, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let problems = stderr(&out);
    let name = |folder: &Path| folder.file_name().unwrap().to_string_lossy().into_owned();
    for (folder, file, code) in [
        (&folders[0], "sbom.spdx.sigstore.json", "file-missing"),
        (&folders[1], "snapapp-1.1.0.cdx.json", "digest-mismatch"),
        (&folders[2], "provenance.sigstore.json", "wrong-signer"),
    ] {
        let line = format!("problem: {}/{file}: ", name(folder));
        assert!(
            problems
                .lines()
                .any(|l| l.starts_with(&line) && l.ends_with(&format!("[{code}]"))),
            "{line}…[{code}] in:\n{problems}"
        );
    }
    assert!(
        problems.contains("mallory/fork"),
        "the other signer is named: {problems}"
    );

    // Still written, and the problems are in it: the summary, the page, the manifest.
    let root = untar(&archive, &dir.path().join("x"));
    let summary = std::fs::read_to_string(root.join("summary.md")).unwrap();
    assert!(
        summary.contains("**3 of 3 releases failed verification**"),
        "{summary}"
    );
    assert!(
        summary.contains("| snapapp-1.1.0.cdx.json | digest-mismatch |"),
        "{summary}"
    );
    let manifest = json(&root.join("manifest.json"));
    assert!(
        manifest["releases"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["verified"] == false)
    );

    // With --allow-failures the same snapshot exits 0, and `snapshot verify` accepts it only
    // when told the recorded failures are expected.
    let allowed = dir.path().join("allowed.tar.gz");
    let out = snapshot(&dev, &store, &allowed, &["--allow-failures"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(snapshot_verify(&dev, &allowed, &[]).status.code(), Some(1));
    let out = snapshot_verify(&dev, &allowed, &["--allow-failures"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // The reviewer's page in a real browser: charts, table, failed releases marked.
    let artifacts = repo().join("target/snapshot-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let page = artifacts.join("index.html");
    std::fs::copy(root.join("index.html"), &page).unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains("http://") && !html.contains("https://fonts"),
        "nothing from the network"
    );
    screenshot(&page, &artifacts.join("snapshot.png"), "1200,1600");
    let dom = String::from_utf8(headless(&["--dump-dom"], &page).stdout).unwrap();
    for needle in [
        "id=\"chart-categories\"",
        "id=\"chart-changes\"",
        "id=\"releases\"",
    ] {
        assert!(dom.contains(needle), "{needle} in the DOM");
    }
    assert_eq!(dom.matches("<tr id=\"release-").count(), 3);
    assert_eq!(
        dom.matches("class=\"failed\"").count(),
        3,
        "each failed release row is marked"
    );
    assert!(dom.contains("✗ verification failed"));
    assert!(
        dom.matches("<rect class=\"").count() >= 6,
        "bars in both charts"
    );
}

#[test]
fn unusable_input_is_named_with_exit_code_2_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("evidence");
    std::fs::create_dir_all(&store).unwrap();
    let archive = dir.path().join("out.tar.gz");
    let run = |args: &[&str]| {
        without_credentials()
            .current_dir(dir.path())
            .args(args)
            .output()
            .unwrap()
    };
    let base = [
        "snapshot",
        "--evidence",
        "evidence",
        "--sign",
        "none",
        "-o",
        "out.tar.gz",
    ];
    let signer = [
        "--identity",
        "a@b.example",
        "--issuer",
        "https://issuer.example",
    ];

    let out = run(&[&base[..], &["--period", "2026-Q5"], &signer[..]].concat());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`2026-Q5` is not a quarter"),
        "{}",
        stderr(&out)
    );

    let out = run(&[&base[..], &["--period", "2026-Q4"]].concat());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no signer given"), "{}", stderr(&out));

    std::fs::write(
        dir.path().join("signers.toml"),
        "[[signer]]\nidentity = \"a@b.example\"\nissuer = \"https://issuer.example\"\ngithub-repo = \"x/y\"\n",
    )
    .unwrap();
    let out = run(&[
        &base[..],
        &["--period", "2026-Q4", "--signers", "signers.toml"],
    ]
    .concat());
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("signers.toml:4:1") && err.contains("github-repo"),
        "{err}"
    );
    // The former name of --signers still reads the file, with a warning.
    let out = run(&[
        &base[..],
        &["--period", "2026-Q4", "--policy", "signers.toml"],
    ]
    .concat());
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("now spelled --signers") && err.contains("signers.toml:4:1"),
        "{err}"
    );

    let out = run(&[
        "snapshot",
        "--evidence",
        "missing",
        "--sign",
        "none",
        "-o",
        "out.tar.gz",
        "--period",
        "2026-Q4",
        "--identity",
        "a@b.example",
        "--issuer",
        "https://issuer.example",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("cannot read the evidence store missing"),
        "{}",
        stderr(&out)
    );
    assert!(!archive.exists(), "nothing written");

    // An empty period is not an error: the archive says there was nothing to verify.
    let out = run(&[&base[..], &["--period", "2026-Q4"], &signer[..]].concat());
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains(": 0 releases from 2026-10-01"));

    std::fs::write(dir.path().join("junk.tar.gz"), b"not an archive").unwrap();
    let out = run(&[&["snapshot", "verify", "junk.tar.gz"], &signer[..]].concat());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("junk.tar.gz is not a readable .tar.gz"),
        "{}",
        stderr(&out)
    );
}
