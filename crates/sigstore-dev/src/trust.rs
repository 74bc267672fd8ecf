//! The files a client needs to use the instance: `trusted_root.json` (what to trust),
//! `signing_config.json` (where to sign) and `trust_config.json` (the ClientTrustConfig
//! wrapping both, for `--sigstore FILE` and `sigstore --trust-config FILE`).
//!
//! Keys are new at every start, but bundles made before a restart must still verify: the
//! previous trusted root's CAs and logs are kept, their open validity periods closed at the
//! restart time, and the new ones appended. Only public material is written.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::keys::{KeyPair, b64};
use clearance_attest::instance::{CLIENT_TRUST_CONFIG_MEDIA_TYPE, TRUST_CONFIG_FILE};

/// File name of the trusted root.
pub const TRUSTED_ROOT_FILE: &str = "trusted_root.json";

/// File name of the signing config.
pub const SIGNING_CONFIG_FILE: &str = "signing_config.json";

const TRUSTED_ROOT_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.trustedroot+json;version=0.1";
const SIGNING_CONFIG_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.signingconfig.v0.2+json";
const OPERATOR: &str = "clearance sigstore-dev (untrusted)";

/// Why the trust files could not be written.
#[derive(Debug, thiserror::Error)]
pub enum TrustError {
    /// The previous trusted root could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The previous trusted root is not one this module wrote.
    #[error("{path}: {message}; move it away to start with a fresh trusted root")]
    Previous {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        message: String,
    },
    /// Writing failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// The public material of one start of the instance.
pub(crate) struct PublicMaterial<'a> {
    /// `http://127.0.0.1:PORT`.
    pub base_url: &'a str,
    /// The root CA certificate, DER.
    pub ca_root_der: &'a [u8],
    /// The transparency log key.
    pub log_key: &'a KeyPair,
    /// The CT log key.
    pub ct_key: &'a KeyPair,
    /// Unix seconds of this start.
    pub started: i64,
}

/// Where the trust files are.
#[derive(Debug, Clone)]
pub struct TrustFiles {
    /// `trusted_root.json`.
    pub trusted_root: PathBuf,
    /// `signing_config.json`.
    pub signing_config: PathBuf,
    /// `trust_config.json` (ClientTrustConfig).
    pub trust_config: PathBuf,
}

fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".into())
}

/// Writes the three files into `dir`, keeping earlier starts' material from the previous
/// trusted root.
pub(crate) fn write_trust_files(
    dir: &Path,
    material: &PublicMaterial<'_>,
) -> Result<TrustFiles, TrustError> {
    let files = TrustFiles {
        trusted_root: dir.join(TRUSTED_ROOT_FILE),
        signing_config: dir.join(SIGNING_CONFIG_FILE),
        trust_config: dir.join(TRUST_CONFIG_FILE),
    };
    let mut trusted_root = previous_trusted_root(&files.trusted_root, material.started)?;
    append_material(&mut trusted_root, material);
    let signing_config = signing_config(material);
    let trust_config = json!({
        "mediaType": CLIENT_TRUST_CONFIG_MEDIA_TYPE,
        "trustedRoot": trusted_root,
        "signingConfig": signing_config,
    });
    for (path, value) in [
        (&files.trusted_root, &trusted_root),
        (&files.signing_config, &signing_config),
        (&files.trust_config, &trust_config),
    ] {
        let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
        text.push('\n');
        clearance_core::output::write_atomically(path, text.as_bytes()).map_err(|source| {
            TrustError::Write {
                path: path.clone(),
                source,
            }
        })?;
    }
    Ok(files)
}

/// The previous trusted root with every open validity period closed at `restart`, or an
/// empty one.
fn previous_trusted_root(path: &Path, restart: i64) -> Result<Value, TrustError> {
    let empty = json!({
        "mediaType": TRUSTED_ROOT_MEDIA_TYPE,
        "tlogs": [],
        "certificateAuthorities": [],
        "ctlogs": [],
        "timestampAuthorities": [],
    });
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(empty),
        Err(source) => {
            return Err(TrustError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let previous = |message: String| TrustError::Previous {
        path: path.to_path_buf(),
        message,
    };
    let mut root: Value = serde_json::from_str(&text).map_err(|e| previous(e.to_string()))?;
    if root["mediaType"] != TRUSTED_ROOT_MEDIA_TYPE {
        return Err(previous(format!(
            "mediaType is not {TRUSTED_ROOT_MEDIA_TYPE}"
        )));
    }
    let end = Value::String(rfc3339(restart));
    for (list, validity) in [
        ("certificateAuthorities", &["validFor"][..]),
        ("tlogs", &["publicKey", "validFor"][..]),
        ("ctlogs", &["publicKey", "validFor"][..]),
    ] {
        let Some(entries) = root[list].as_array_mut() else {
            return Err(previous(format!("`{list}` is not a list")));
        };
        for entry in entries {
            let valid_for = validity.iter().fold(&mut *entry, |v, key| &mut v[*key]);
            match valid_for.as_object_mut() {
                Some(range) => {
                    range.entry("end").or_insert_with(|| end.clone());
                }
                None => return Err(previous(format!("an entry of `{list}` has no validFor"))),
            }
        }
    }
    Ok(root)
}

fn append_material(root: &mut Value, material: &PublicMaterial<'_>) {
    let start = rfc3339(material.started);
    let log = |key: &KeyPair, base_url: String| {
        json!({
            "baseUrl": base_url,
            "hashAlgorithm": "SHA2_256",
            "publicKey": {
                "rawBytes": b64(key.spki_der()),
                "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                "validFor": { "start": start },
            },
            "logId": { "keyId": b64(&key.key_id()) },
        })
    };
    let additions = [
        (
            "certificateAuthorities",
            json!({
                "subject": {
                    "organization": "clearance sigstore-dev (untrusted)",
                    "commonName": "sigstore-dev UNTRUSTED root",
                },
                "uri": material.base_url,
                "certChain": { "certificates": [{ "rawBytes": b64(material.ca_root_der) }] },
                "validFor": { "start": start },
            }),
        ),
        (
            "tlogs",
            log(material.log_key, material.base_url.to_string()),
        ),
        (
            "ctlogs",
            log(material.ct_key, format!("{}/ct", material.base_url)),
        ),
    ];
    for (list, entry) in additions {
        if let Some(entries) = root[list].as_array_mut() {
            entries.push(entry);
        }
    }
}

fn signing_config(material: &PublicMaterial<'_>) -> Value {
    let service = || {
        json!([{
            "url": material.base_url,
            "majorApiVersion": 1,
            "validFor": { "start": rfc3339(material.started) },
            "operator": OPERATOR,
        }])
    };
    json!({
        "mediaType": SIGNING_CONFIG_MEDIA_TYPE,
        "caUrls": service(),
        "oidcUrls": service(),
        "rekorTlogUrls": service(),
        "tsaUrls": [],
        "rekorTlogConfig": { "selector": "ANY" },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn material_files(dir: &Path, started: i64) -> (TrustFiles, KeyPair) {
        let log_key = KeyPair::generate().unwrap();
        let ct_key = KeyPair::generate().unwrap();
        let files = write_trust_files(
            dir,
            &PublicMaterial {
                base_url: "http://127.0.0.1:1234",
                ca_root_der: b"not really a certificate",
                log_key: &log_key,
                ct_key: &ct_key,
                started,
            },
        )
        .unwrap();
        (files, log_key)
    }

    fn read(path: &Path) -> Value {
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    #[test]
    fn a_restart_closes_the_previous_periods_and_adds_new_keys() {
        let dir = tempfile::tempdir().unwrap();
        let (files, first) = material_files(dir.path(), 1_750_000_000);
        let (_, second) = material_files(dir.path(), 1_750_000_600);
        let root = read(&files.trusted_root);
        let tlogs = root["tlogs"].as_array().unwrap();
        assert_eq!(tlogs.len(), 2);
        assert_eq!(tlogs[0]["logId"]["keyId"], b64(&first.key_id()));
        assert_eq!(tlogs[1]["logId"]["keyId"], b64(&second.key_id()));
        assert_eq!(
            tlogs[0]["publicKey"]["validFor"],
            json!({ "start": "2025-06-15T15:06:40Z", "end": "2025-06-15T15:16:40Z" })
        );
        assert_eq!(
            tlogs[1]["publicKey"]["validFor"],
            json!({ "start": "2025-06-15T15:16:40Z" })
        );
        let cas = root["certificateAuthorities"].as_array().unwrap();
        assert_eq!(cas[0]["validFor"]["end"], "2025-06-15T15:16:40Z");
        assert!(cas[1]["validFor"].get("end").is_none());
        assert_eq!(root["ctlogs"].as_array().unwrap().len(), 2);
        // The ClientTrustConfig wraps the same root and the current signing config.
        let config = read(&files.trust_config);
        assert_eq!(config["trustedRoot"], root);
        assert_eq!(config["signingConfig"], read(&files.signing_config));
        assert_eq!(config["mediaType"], CLIENT_TRUST_CONFIG_MEDIA_TYPE);
    }

    #[test]
    fn an_unreadable_previous_root_is_an_error_not_a_silent_reset() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(TRUSTED_ROOT_FILE), "{ not json").unwrap();
        let log_key = KeyPair::generate().unwrap();
        let error = write_trust_files(
            dir.path(),
            &PublicMaterial {
                base_url: "http://127.0.0.1:1",
                ca_root_der: b"x",
                log_key: &log_key,
                ct_key: &log_key,
                started: 0,
            },
        )
        .unwrap_err();
        assert!(matches!(error, TrustError::Previous { .. }), "{error}");
    }
}
