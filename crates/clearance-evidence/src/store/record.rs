//! The release record, `release.json`: what a release was (product, version, commit, time,
//! tool, verdict, signer), its attestations, and the SHA-256 of every file of its folder. It
//! is written by `clearance release` and read back, never recomputed, by snapshots.

use serde::Serialize;

/// Schema name of `release.json`.
pub const RELEASE_SCHEMA: &str = "clearance-release/1";

/// The file every release folder is described by.
pub const RELEASE_FILE: &str = "release.json";

/// `release.json`.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct ReleaseRecord {
    /// Always [`RELEASE_SCHEMA`].
    pub schema: String,
    /// The product released.
    pub product: Product,
    /// The source revision, when the workspace is a git checkout.
    pub git_commit: Option<String>,
    /// When the release was made (RFC 3339; `SOURCE_DATE_EPOCH` when set).
    pub time: String,
    /// The tool that made it.
    pub tool: Tool,
    /// `pass` or `fail`: the license check's verdict.
    pub verdict: String,
    /// The signature's identity, when signed.
    pub signing: Option<SigningRecord>,
    /// The attestations, each a bundle (or an unsigned statement) in the folder.
    pub attestations: Vec<AttestationRecord>,
    /// Every other file in the folder with its SHA-256, sorted by path.
    pub files: Vec<FileRecord>,
}

/// Name and version of what was released.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Product {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
}

/// Name and version of clearance.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Tool {
    /// Name.
    pub name: String,
    /// Version.
    pub version: String,
}

/// Who signed.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct SigningRecord {
    /// The Sigstore instance.
    pub instance: String,
    /// The certificate identity (SAN).
    pub identity: String,
    /// The OIDC issuer.
    pub issuer: String,
}

/// One attestation of the release.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct AttestationRecord {
    /// The bundle (`.sigstore.json`) or unsigned statement (`.intoto.json`) in the folder.
    pub file: String,
    /// The predicate type.
    pub predicate_type: String,
    /// The subjects' names and SHA-256.
    pub subjects: Vec<FileRecord>,
}

/// A file and its digest.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
pub struct FileRecord {
    /// Its path (relative to the release folder for the folder's files).
    pub path: String,
    /// Lower-case hex SHA-256.
    pub sha256: String,
}

impl ReleaseRecord {
    /// `release.json`'s bytes: pretty JSON and a final newline.
    pub fn to_json(&self) -> Vec<u8> {
        let mut json = serde_json::to_vec_pretty(self).expect("the record serialises");
        json.push(b'\n');
        json
    }
}

/// Hex digits of `release.json`'s SHA-256 in a record's id.
const ID_DIGEST_LEN: usize = 16;

/// A record's id in the evidence store, and its folder's name: the release time (to the
/// nanosecond unless `SOURCE_DATE_EPOCH` pinned it, `:` written `-`), product and version,
/// and the first 16 hex digits of `release.json`'s SHA-256. Ids sort by time, and two
/// different records never share one; the same record always gets the same id.
pub fn record_id(record: &ReleaseRecord, json: &[u8]) -> String {
    let stamp: String = record
        .time
        .chars()
        .map(|c| if c == ':' { '-' } else { c })
        .collect();
    let digest = clearance_core::license::sha256_hex(json);
    format!(
        "{}_{}-{}_{}",
        safe_name(&stamp),
        safe_name(&record.product.name),
        safe_name(&record.product.version),
        &digest[..ID_DIGEST_LEN]
    )
}

/// `text` with anything but ASCII letters, digits, `.`, `+` and `-` written `_`, so that a
/// name from a manifest can never leave the store's folder.
fn safe_name(text: &str) -> String {
    let name: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '+' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.chars().all(|c| c == '.') {
        name.replace('.', "_")
    } else {
        name
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(time: &str, name: &str) -> ReleaseRecord {
        ReleaseRecord {
            schema: RELEASE_SCHEMA.into(),
            product: Product {
                name: name.into(),
                version: "1.0.0".into(),
            },
            git_commit: None,
            time: time.into(),
            tool: Tool {
                name: "clearance".into(),
                version: "0".into(),
            },
            verdict: "pass".into(),
            signing: None,
            attestations: Vec::new(),
            files: Vec::new(),
        }
    }

    #[test]
    fn ids_carry_time_product_and_digest_and_differ_with_the_record() {
        let one = record("2026-10-02T09:30:00.123456789Z", "app");
        let id = record_id(&one, &one.to_json());
        assert!(
            id.starts_with("2026-10-02T09-30-00.123456789Z_app-1.0.0_"),
            "{id}"
        );
        assert_eq!(
            id.len(),
            "2026-10-02T09-30-00.123456789Z_app-1.0.0_".len() + 16
        );
        assert_eq!(id, record_id(&one, &one.to_json()), "stable");
        let mut other = one.clone();
        other.verdict = "fail".into();
        assert_ne!(id, record_id(&other, &other.to_json()));
    }

    #[test]
    fn names_from_manifests_cannot_leave_the_folder() {
        let sneaky = record("2026-10-02T09:30:00Z", "../../etc");
        let id = record_id(&sneaky, b"{}");
        assert!(!id.contains('/'), "{id}");
        assert_eq!(safe_name(".."), "__");
    }
}
