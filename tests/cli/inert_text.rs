//! Text from outside is inert in human output: policy text (an exception's reason), package
//! names and descriptions from an SBOM, the lines of a policy file quoted in a diagnostic,
//! and the error body of a Sigstore service reach the terminal with their escape sequences
//! and line breaks shown as escapes, and no line of output starts with them (where a CI
//! runner would read `::error::…` as a workflow command).

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};

use sigstore_dev::TokenSpec;

use crate::net::read_request;
use crate::signing::{start_dev, without_credentials};
use crate::util::{clearance, stderr};

/// Characters no output may carry from outside: ESC, BEL, CR, and a bidi override.
const ACTIVE: [char; 4] = ['\x1b', '\x07', '\r', '\u{202e}'];

/// Asserts that `text` carries no active character and that no line of it is a workflow
/// command (the runner reads a line as one after trimming leading white space).
fn assert_inert(text: &str, what: &str) {
    for c in ACTIVE {
        assert!(!text.contains(c), "{what} contains {c:?}:\n{text}");
    }
    for line in text.lines() {
        assert!(
            !line.trim_start().starts_with("::"),
            "{what} has a line that is a workflow command: {line:?}\n{text}"
        );
    }
}

/// A CycloneDX SBOM whose dependency's name and description carry escapes and line breaks.
const SBOM: &str = r#"{
  "bomFormat": "CycloneDX",
  "specVersion": "1.5",
  "version": 1,
  "metadata": {
    "component": {
      "type": "application",
      "bom-ref": "app",
      "name": "app",
      "version": "1.0.0",
      "licenses": [{ "expression": "MIT" }]
    }
  },
  "components": [
    {
      "type": "library",
      "bom-ref": "evil",
      "name": "evil\u001b]0;pwned\u0007\n::error::name",
      "version": "1.0.0\n::error::version",
      "description": "\u001b[2J\u001b[H\n::warning::description \u202egnp.exe",
      "licenses": [{ "expression": "GPL-3.0-only" }]
    },
    {
      "type": "library",
      "bom-ref": "bidi",
      "name": "\u202eexe.bidi",
      "version": "2.0.0",
      "licenses": [{ "license": { "name": "Custom\n::error::license" } }]
    }
  ],
  "dependencies": [
    { "ref": "app", "dependsOn": ["evil", "bidi"] },
    { "ref": "evil", "dependsOn": [] },
    { "ref": "bidi", "dependsOn": [] }
  ]
}
"#;

/// A policy with an expired exception for the SBOM's dependency (its reason full of
/// escapes, so the finding's rule quotes it) and an unused exception with a hostile name.
const POLICY: &str = r#"[licenses]
allow = ["MIT"]

[[exceptions]]
package = "evil\u001B]0;pwned\u0007\n::error::name"
allow = ["GPL-3.0-only"]
reason = "reviewed\n::error::pwned \u001B]0;title\u0007 \u001B[1;32mok\u001B[0m \r::warning::cr"
expires = "2000-01-01"

[[exceptions]]
package = "\n::error::unused\u202E"
allow = ["GPL-3.0-only"]
reason = "\n::notice::reason"
"#;

#[test]
fn check_shows_policy_text_and_package_metadata_inert() {
    let dir = tempfile::tempdir().unwrap();
    let sbom = dir.path().join("evil.cdx.json");
    std::fs::write(&sbom, SBOM).unwrap();
    let policy = dir.path().join("policy.toml");
    std::fs::write(&policy, POLICY).unwrap();
    let out = clearance()
        .args(["check", "--sbom"])
        .arg(&sbom)
        .arg("--policy")
        .arg(&policy)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = String::from_utf8(out.stdout.clone()).unwrap();
    assert_inert(&text, "check's human report");
    assert_inert(&stderr(&out), "check's standard error");
    // The text is still there, escaped: the reader sees what the policy and the SBOM say.
    for shown in [
        "exception-expired",
        r"reviewed\n::error::pwned \x1b]0;title\x07 \x1b[1;32mok\x1b[0m \r::warning::cr",
        r"evil\x1b]0;pwned\x07\n::error::name",
        r"\u{202e}exe.bidi",
        r"\n::error::unused\u{202e}",
    ] {
        assert!(text.contains(shown), "{shown} is not shown:\n{text}");
    }

    // The machine formats keep the text as it is, escaped by JSON.
    let json = clearance()
        .args(["check", "--format", "json", "--sbom"])
        .arg(&sbom)
        .arg("--policy")
        .arg(&policy)
        .output()
        .unwrap();
    let doc: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let expired = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "exception-expired")
        .unwrap();
    assert!(
        expired["rule"]["rule"]
            .as_str()
            .unwrap()
            .contains("reviewed\n::error::pwned \u{1b}]0;title\u{7}"),
        "{expired}"
    );
}

#[test]
fn a_policy_diagnostic_quotes_the_file_inert() {
    let dir = tempfile::tempdir().unwrap();
    let policy = dir.path().join("policy.toml");
    // A raw ESC in a string is a syntax error, and the diagnostic quotes the line; an unknown
    // license id with a line break is quoted in the message.
    for (what, text) in [
        (
            "raw escape",
            "[licenses]\nallow = [\"MIT\"]\n# ok\nunknown = \"deny\x1b]0;pwned\x07\"\n",
        ),
        (
            "unknown license",
            "[licenses]\nallow = [\"MIT\\n::error::pwned\\u001B[2J\"]\n",
        ),
    ] {
        std::fs::write(&policy, text).unwrap();
        let out = clearance()
            .args(["check", "--sbom"])
            .arg(crate::util::fixture("sboms/cargo-sbom.cdx.json"))
            .arg("--policy")
            .arg(&policy)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{what}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains("error[policy-"), "{what}: {err}");
        assert!(err.contains(r"\x1b"), "{what}: the escape is shown: {err}");
        assert_inert(&err, what);
    }
}

/// A Fulcio that answers every request with HTTP 500 and a body full of escapes: it retitles
/// the terminal, clears the line, prints a fake success and a workflow command.
fn hostile_fulcio() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(16) {
            let Ok(mut stream) = stream else { continue };
            if read_request(&mut stream).is_none() {
                continue;
            }
            let body = "\x1b]0;pwned\x07\x1b[2K\r\x1b[1;32m\u{2713} signed and verified\x1b[0m\n::error::from-fulcio\u{202e}";
            let _ = write!(
                stream,
                "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    addr
}

/// `trust_config` with every Fulcio URL replaced by `url`, written into `dir`.
fn with_fulcio(trust_config: &Path, dir: &Path, url: &str) -> PathBuf {
    let mut config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(trust_config).unwrap()).unwrap();
    for endpoint in config["signingConfig"]["caUrls"].as_array_mut().unwrap() {
        endpoint["url"] = serde_json::Value::String(url.to_string());
    }
    let path = dir.join("trust_config_hostile_fulcio.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&config).unwrap()).unwrap();
    path
}

#[test]
fn an_error_body_of_a_service_is_shown_inert() {
    let dir = tempfile::tempdir().unwrap();
    let dev = start_dev(dir.path());
    let fulcio = hostile_fulcio();
    let config = with_fulcio(
        &dev.trust_config_path(),
        dir.path(),
        &format!("http://{fulcio}"),
    );
    let token = dev.mint_token(&TokenSpec::default());
    let artifact = dir.path().join("artifact.txt");
    std::fs::write(&artifact, b"bytes\n").unwrap();
    let bundle = dir.path().join("artifact.sigstore.json");
    let out = without_credentials()
        .arg("sign")
        .arg("--sigstore")
        .arg(&config)
        .args(["--timeout", "30", "--identity-token", &token, "--bundle"])
        .arg(&bundle)
        .arg(&artifact)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(!bundle.exists(), "nothing is written after a failure");
    let err = stderr(&out);
    assert!(err.contains("Fulcio returned HTTP 500"), "{err}");
    assert!(
        err.contains(r"\x1b]0;pwned\x07\x1b[2K\r\x1b[1;32m✓ signed and verified\x1b[0m\n::error::from-fulcio\u{202e}"),
        "the body is shown, escaped: {err}"
    );
    assert_inert(&err, "sign's error");
    assert!(out.stdout.is_empty());
}
