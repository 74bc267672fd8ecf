//! The same inputs give byte-identical files.

use crate::util::{run_ok, workspace_manifest};

#[test]
fn the_same_command_twice_gives_identical_bytes() {
    let manifest = workspace_manifest();
    let m = manifest.to_str().unwrap();
    for format in ["cyclonedx-json", "spdx-json", "spdx3-json"] {
        let args = [
            "sbom",
            "--offline",
            "--include",
            "build,dev",
            "--format",
            format,
            "--manifest-path",
            m,
        ];
        let run = || {
            let out = crate::util::clearance()
                .args(args)
                .env("SOURCE_DATE_EPOCH", "1700000000")
                .output()
                .unwrap();
            assert!(out.status.success());
            out.stdout
        };
        let (a, b) = (run(), run());
        assert!(!a.is_empty());
        assert_eq!(a, b, "{format} differs between runs");
    }
}

#[test]
fn cyclonedx_without_source_date_epoch_has_no_timestamp_and_is_stable() {
    let manifest = workspace_manifest();
    let args = [
        "sbom",
        "--offline",
        "--manifest-path",
        manifest.to_str().unwrap(),
    ];
    let a = run_ok(&args);
    let b = run_ok(&args);
    assert_eq!(a, b);
    let doc: serde_json::Value = serde_json::from_slice(&a).unwrap();
    assert!(doc["metadata"].get("timestamp").is_none());
    let serial = doc["serialNumber"].as_str().unwrap();
    assert!(
        serial.starts_with("urn:uuid:") && serial.len() == 45,
        "{serial}"
    );
    let uuid = uuid::Uuid::parse_str(&serial[9..]).unwrap();
    assert_eq!(uuid.get_version_num(), 5);
}

#[test]
fn source_date_epoch_sets_the_timestamps_and_changes_the_serial() {
    let manifest = workspace_manifest();
    let m = manifest.to_str().unwrap();
    let at = |epoch: &str, format: &str| -> serde_json::Value {
        let out = crate::util::clearance()
            .args([
                "sbom",
                "--offline",
                "--format",
                format,
                "--manifest-path",
                m,
            ])
            .env("SOURCE_DATE_EPOCH", epoch)
            .output()
            .unwrap();
        assert!(out.status.success());
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let a = at("1700000000", "cyclonedx-json");
    assert_eq!(a["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
    let b = at("1700000001", "cyclonedx-json");
    assert_ne!(
        a["serialNumber"], b["serialNumber"],
        "the serial is derived from the content"
    );
    let spdx = at("1700000000", "spdx-json");
    assert_eq!(spdx["creationInfo"]["created"], "2023-11-14T22:13:20Z");
}
