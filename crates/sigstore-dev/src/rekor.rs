//! The transparency log, speaking Rekor's v1 REST protocol: `hashedrekord/0.0.1` and
//! `dsse/0.0.1` entries are checked like real Rekor checks them (the signature verifies
//! with the certificate's key, over the artifact digest or the DSSE PAE), plus one check of
//! ours (the certificate was issued by this instance's CA), then canonicalised, appended to
//! an RFC 6962 tree and answered with an inclusion proof, a signed checkpoint and a signed
//! entry timestamp (SET).
//!
//! Entries persist in `log.jsonl` (one JSON object per line, fsynced per entry), so the tree
//! continues across restarts. The log key does not persist: each start signs with a new
//! key, and the trusted root lists every key with its validity period.
//!
//! Appends are serialised under one lock, with the fsync inside it: ample for a development
//! log. A `dsse` body's `envelopeHash` is the SHA-256 of the envelope text as submitted
//! (verifiers cannot recompute it and do not check it).
//!
//! Not implemented: `intoto` and other kinds, public-key (non-certificate) verifiers, the
//! search index, consistency proofs, sharding.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use der::Decode;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use x509_cert::Certificate;

use super::Instance;
use super::fulcio::CertificateAuthority;
use super::http::ApiError;
use super::keys::{KeyPair, b64, p256_key, pem, sha256, unb64, verifies_der, verifies_digest};
use super::merkle::{Hash, Tree, leaf_hash};

/// File name of the log's entries in the instance directory.
pub const LOG_FILE: &str = "log.jsonl";

/// Why the stored log could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    /// Reading or opening the file failed.
    #[error("cannot open {path}: {source}")]
    Io {
        /// The log file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line is not a stored entry.
    #[error("{path}:{line}: not a log entry ({message}); move the file away to start a new log")]
    Corrupt {
        /// The log file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What was wrong.
        message: String,
    },
}

/// Why an entry is refused.
#[derive(Debug, thiserror::Error)]
pub enum RekorError {
    /// Not JSON of a known entry shape.
    #[error("malformed entry: {0}")]
    Malformed(String),
    /// A kind or version this log does not accept.
    #[error("unsupported entry kind {0} (this log accepts hashedrekord/0.0.1 and dsse/0.0.1)")]
    Unsupported(String),
    /// The certificate is unusable or not from this instance's CA.
    #[error("certificate: {0}")]
    Certificate(String),
    /// The signature does not verify.
    #[error("signature: {0}")]
    Signature(String),
    /// An identical entry is already in the log.
    #[error("an equivalent entry already exists in the transparency log with UUID {0}")]
    Duplicate(String),
    /// Appending to the log file failed.
    #[error("cannot store the entry: {0}")]
    Storage(std::io::Error),
}

impl From<RekorError> for ApiError {
    fn from(error: RekorError) -> ApiError {
        match &error {
            RekorError::Duplicate(_) => ApiError::new(StatusCode::CONFLICT, error),
            RekorError::Storage(_) => ApiError::internal(error),
            _ => ApiError::bad_request(error),
        }
    }
}

/// One line of `log.jsonl`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct StoredEntry {
    /// Base64 of the canonicalised entry body.
    body: String,
    /// Unix seconds.
    integrated_time: i64,
}

struct LogState {
    file: File,
    entries: Vec<StoredEntry>,
    tree: Tree,
}

/// The log: its signing key, checkpoint origin and entries.
pub(crate) struct Log {
    key: KeyPair,
    origin: String,
    state: Mutex<LogState>,
}

impl Log {
    /// Opens (or creates) `dir/log.jsonl` and rebuilds the tree from it.
    pub(crate) fn open(dir: &Path, key: KeyPair, origin: String) -> Result<Log, LogError> {
        let path = dir.join(LOG_FILE);
        let io = |source| LogError::Io {
            path: path.clone(),
            source,
        };
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(&path)
            .map_err(io)?;
        let mut entries = Vec::new();
        let mut tree = Tree::default();
        for (number, line) in BufReader::new(&file).lines().enumerate() {
            let line = line.map_err(io)?;
            let corrupt = |message: String| LogError::Corrupt {
                path: path.clone(),
                line: number + 1,
                message,
            };
            let entry: StoredEntry =
                serde_json::from_str(&line).map_err(|e| corrupt(e.to_string()))?;
            let body = unb64(&entry.body).map_err(|e| corrupt(e.to_string()))?;
            tree.push(leaf_hash(&body));
            entries.push(entry);
        }
        Ok(Log {
            key,
            origin,
            state: Mutex::new(LogState {
                file,
                entries,
                tree,
            }),
        })
    }

    /// The log's key (public half in the trusted root's `tlogs`).
    pub(crate) fn key(&self) -> &KeyPair {
        &self.key
    }

    /// Number of entries.
    pub(crate) fn size(&self) -> u64 {
        self.lock().tree.size()
    }

    fn lock(&self) -> MutexGuard<'_, LogState> {
        // A panic while holding the lock cannot leave the state half-updated: entries and
        // tree are pushed together after the file write.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends a canonicalised body integrated at `now`; returns its UUID and the answer.
    fn append(&self, body: &[u8], now: i64) -> Result<(String, Value), RekorError> {
        let leaf = leaf_hash(body);
        let mut state = self.lock();
        if state.tree.position(&leaf).is_some() {
            return Err(RekorError::Duplicate(hex::encode(leaf)));
        }
        let entry = StoredEntry {
            body: b64(body),
            integrated_time: now,
        };
        let mut line = serde_json::to_string(&entry)
            .map_err(|e| RekorError::Storage(std::io::Error::other(e)))?;
        line.push('\n');
        state
            .file
            .write_all(line.as_bytes())
            .and_then(|()| state.file.sync_data())
            .map_err(RekorError::Storage)?;
        state.entries.push(entry);
        state.tree.push(leaf);
        let index = state.tree.size() - 1;
        Ok(self.entry_json(&state, index))
    }

    /// The answer for entry `index`, with an inclusion proof against the current tree.
    fn entry_json(&self, state: &LogState, index: u64) -> (String, Value) {
        let Some((entry, leaf)) = usize::try_from(index)
            .ok()
            .and_then(|i| state.entries.get(i))
            .zip(state.tree.leaf(index))
        else {
            return (String::new(), Value::Null);
        };
        let uuid = hex::encode(leaf);
        let root = state.tree.root();
        let size = state.tree.size();
        let hashes: Vec<String> = state
            .tree
            .inclusion_proof(index)
            .unwrap_or_default()
            .iter()
            .map(hex::encode)
            .collect();
        let value = json!({
            "body": entry.body,
            "integratedTime": entry.integrated_time,
            "logID": hex::encode(self.key.key_id()),
            "logIndex": index,
            "verification": {
                "inclusionProof": {
                    "checkpoint": checkpoint(&self.key, &self.origin, size, &root),
                    "hashes": hashes,
                    "logIndex": index,
                    "rootHash": hex::encode(root),
                    "treeSize": size,
                },
                "signedEntryTimestamp":
                    signed_entry_timestamp(&self.key, &entry.body, entry.integrated_time, index),
            }
        });
        (uuid.clone(), json!({ uuid: value }))
    }

    fn entry_by_index(&self, index: u64) -> Option<Value> {
        let state = self.lock();
        (index < state.tree.size()).then(|| self.entry_json(&state, index).1)
    }

    fn entry_by_uuid(&self, uuid: &str) -> Option<Value> {
        // Entry ids may carry a 16-hex-digit tree id before the 64-hex-digit UUID.
        let uuid = uuid.get(uuid.len().saturating_sub(64)..)?;
        let leaf: Hash = hex::decode(uuid).ok()?.try_into().ok()?;
        let state = self.lock();
        let index = state.tree.position(&leaf)?;
        Some(self.entry_json(&state, index).1)
    }

    fn info(&self) -> Value {
        let state = self.lock();
        let root = state.tree.root();
        let size = state.tree.size();
        json!({
            "rootHash": hex::encode(root),
            "treeSize": size,
            "signedTreeHead": checkpoint(&self.key, &self.origin, size, &root),
            "treeID": hex::encode(&self.key.key_id()[..8]),
            "inactiveShards": [],
        })
    }
}

/// A signed checkpoint (signed note): origin, size and base64 root, a blank line, then one
/// signature line `— NAME base64(key hint || DER signature)` over the first three lines.
pub(crate) fn checkpoint(key: &KeyPair, origin: &str, size: u64, root: &Hash) -> String {
    let note = format!("{origin}\n{size}\n{}\n", b64(root));
    let mut signature = key.key_id()[..4].to_vec();
    signature.extend(key.sign_der(note.as_bytes()));
    format!("{note}\n\u{2014} {origin} {}\n", b64(&signature))
}

/// The SET: a signature over the RFC 8785 canonical JSON of body, integrated time, log id
/// and log index.
pub(crate) fn signed_entry_timestamp(
    key: &KeyPair,
    body_b64: &str,
    integrated_time: i64,
    log_index: u64,
) -> String {
    b64(&key.sign_der(&set_payload(key, body_b64, integrated_time, log_index)))
}

fn set_payload(key: &KeyPair, body_b64: &str, integrated_time: i64, log_index: u64) -> Vec<u8> {
    let payload = json!({
        "body": body_b64,
        "integratedTime": integrated_time,
        "logID": hex::encode(key.key_id()),
        "logIndex": log_index,
    });
    serde_json_canonicalizer::to_vec(&payload).unwrap_or_default()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ProposedEntry {
    api_version: String,
    kind: String,
    spec: Value,
}

#[derive(Deserialize)]
struct HashedRekordSpec {
    data: HashedRekordData,
    signature: HashedRekordSignature,
}

#[derive(Deserialize)]
struct HashedRekordData {
    hash: HashValue,
}

#[derive(Deserialize)]
struct HashValue {
    algorithm: String,
    value: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HashedRekordSignature {
    content: String,
    public_key: Content,
}

#[derive(Deserialize)]
struct Content {
    content: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DsseSpec {
    proposed_content: DsseProposedContent,
}

#[derive(Deserialize)]
struct DsseProposedContent {
    envelope: String,
    verifiers: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    payload: String,
    payload_type: String,
    signatures: Vec<EnvelopeSignature>,
}

#[derive(Deserialize)]
struct EnvelopeSignature {
    sig: String,
}

/// Checks a proposed entry and returns its canonical body.
pub(crate) fn canonical_body(
    proposed: &[u8],
    ca: &CertificateAuthority,
    now: u64,
) -> Result<Vec<u8>, RekorError> {
    let entry: ProposedEntry =
        serde_json::from_slice(proposed).map_err(|e| RekorError::Malformed(e.to_string()))?;
    let spec = |e: serde_json::Error| RekorError::Malformed(format!("spec: {e}"));
    let body = match (entry.kind.as_str(), entry.api_version.as_str()) {
        ("hashedrekord", "0.0.1") => {
            hashedrekord_body(serde_json::from_value(entry.spec).map_err(spec)?, ca, now)?
        }
        ("dsse", "0.0.1") => dsse_body(serde_json::from_value(entry.spec).map_err(spec)?, ca, now)?,
        (kind, version) => return Err(RekorError::Unsupported(format!("{kind}/{version}"))),
    };
    serde_json_canonicalizer::to_vec(&body).map_err(|e| RekorError::Malformed(e.to_string()))
}

fn hashedrekord_body(
    spec: HashedRekordSpec,
    ca: &CertificateAuthority,
    now: u64,
) -> Result<Value, RekorError> {
    // 1. The digest is a SHA-256 in hex.
    // 2. The verifier is a certificate from this instance's CA, valid now.
    // 3. The signature verifies with its key over the digest.
    let algorithm = spec.data.hash.algorithm.to_ascii_lowercase();
    if algorithm != "sha256" {
        return Err(RekorError::Malformed(format!(
            "hash algorithm `{algorithm}` is not supported (sha256 only)"
        )));
    }
    let digest = hex::decode(&spec.data.hash.value)
        .ok()
        .filter(|d| d.len() == 32)
        .ok_or_else(|| RekorError::Malformed("data.hash.value is not 64 hex digits".into()))?;
    let certificate = verifier_certificate(&spec.signature.public_key.content, ca, now)?;
    let signature = unb64(&spec.signature.content)
        .map_err(|e| RekorError::Malformed(format!("signature.content is not base64: {e}")))?;
    if !verifies_digest(&certificate.key, &digest, &signature) {
        return Err(RekorError::Signature(
            "does not verify with the certificate's key over the artifact digest".into(),
        ));
    }
    Ok(json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": { "hash": { "algorithm": "sha256", "value": hex::encode(&digest) } },
            "signature": {
                "content": b64(&signature),
                "publicKey": { "content": b64(certificate.pem.as_bytes()) },
            },
        },
    }))
}

fn dsse_body(spec: DsseSpec, ca: &CertificateAuthority, now: u64) -> Result<Value, RekorError> {
    // 1. The envelope parses; its payload is base64.
    // 2. Every verifier is a certificate from this instance's CA, valid now.
    // 3. Every envelope signature verifies over the PAE with one of the verifiers.
    let content = spec.proposed_content;
    let envelope: Envelope = serde_json::from_str(&content.envelope)
        .map_err(|e| RekorError::Malformed(format!("envelope: {e}")))?;
    let payload = unb64(&envelope.payload)
        .map_err(|e| RekorError::Malformed(format!("envelope payload is not base64: {e}")))?;
    if envelope.signatures.is_empty() {
        return Err(RekorError::Malformed(
            "the envelope has no signature".into(),
        ));
    }
    let verifiers = content
        .verifiers
        .iter()
        .map(|v| verifier_certificate(v, ca, now))
        .collect::<Result<Vec<_>, _>>()?;
    let pae = pae(&envelope.payload_type, &payload);
    let mut signatures = Vec::new();
    for signature in &envelope.signatures {
        let sig = unb64(&signature.sig)
            .map_err(|e| RekorError::Malformed(format!("envelope signature: {e}")))?;
        let verifier = verifiers
            .iter()
            .find(|v| verifies_der(&v.key, &pae, &sig))
            .ok_or_else(|| {
                RekorError::Signature("an envelope signature verifies with no verifier".into())
            })?;
        signatures
            .push(json!({ "signature": b64(&sig), "verifier": b64(verifier.pem.as_bytes()) }));
    }
    Ok(json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": { "algorithm": "sha256", "value": hex::encode(sha256(content.envelope.as_bytes())) },
            "payloadHash": { "algorithm": "sha256", "value": hex::encode(sha256(&payload)) },
            "signatures": signatures,
        },
    }))
}

/// DSSE pre-authentication encoding.
fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    )
    .into_bytes();
    out.extend(payload);
    out
}

/// A verifier certificate: its P-256 key and its PEM re-encoded with LF line endings.
struct Verifier {
    key: p256::ecdsa::VerifyingKey,
    pem: String,
}

fn verifier_certificate(
    b64_pem: &str,
    ca: &CertificateAuthority,
    now: u64,
) -> Result<Verifier, RekorError> {
    let invalid = |what: String| RekorError::Certificate(what);
    let text = unb64(b64_pem).map_err(|e| invalid(format!("not base64: {e}")))?;
    let (label, der) = der::pem::decode_vec(&text)
        .map_err(|e| invalid(format!("not PEM (public keys are not accepted here): {e}")))?;
    if label != "CERTIFICATE" {
        return Err(invalid(format!(
            "expected a CERTIFICATE PEM block, got {label}"
        )));
    }
    let certificate = Certificate::from_der(&der).map_err(|e| invalid(e.to_string()))?;
    ca.check_issued(&certificate, now).map_err(invalid)?;
    let spki = der::Encode::to_der(&certificate.tbs_certificate.subject_public_key_info)
        .map_err(|e| invalid(e.to_string()))?;
    let key = p256_key(&spki).ok_or_else(|| invalid("the key is not ECDSA P-256".into()))?;
    Ok(Verifier {
        key,
        pem: pem("CERTIFICATE", &der),
    })
}

/// `POST /api/v1/log/entries`.
pub(crate) async fn create_entry(
    State(instance): State<Arc<Instance>>,
    body: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let now = super::unix_now();
    let canonical = canonical_body(&body, &instance.ca, now.unsigned_abs())?;
    let (uuid, answer) = instance.log.append(&canonical, now)?;
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, format!("/api/v1/log/entries/{uuid}"))],
        Json(answer),
    ))
}

/// `GET /api/v1/log/entries?logIndex=N`.
pub(crate) async fn entry_by_index(
    State(instance): State<Arc<Instance>>,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let index = query
        .get("logIndex")
        .ok_or_else(|| ApiError::bad_request("missing logIndex"))?;
    let index: u64 = index
        .parse()
        .map_err(|_| ApiError::bad_request(format!("logIndex `{index}` is not a number")))?;
    instance
        .log
        .entry_by_index(index)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no entry at index {index}")))
}

/// `GET /api/v1/log/entries/{uuid}`.
pub(crate) async fn entry_by_uuid(
    State(instance): State<Arc<Instance>>,
    UrlPath(uuid): UrlPath<String>,
) -> Result<Json<Value>, ApiError> {
    instance
        .log
        .entry_by_uuid(&uuid)
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no entry with UUID {uuid}")))
}

/// `GET /api/v1/log`.
pub(crate) async fn log_info(State(instance): State<Arc<Instance>>) -> Json<Value> {
    Json(instance.log.info())
}

/// `GET /api/v1/log/publicKey`.
pub(crate) async fn public_key(State(instance): State<Arc<Instance>>) -> impl IntoResponse {
    (
        [(header::CONTENT_TYPE, "application/x-pem-file")],
        pem("PUBLIC KEY", instance.log.key.spki_der()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::{GitHubIdentity, Issuer, TokenSpec};
    use spki::SubjectPublicKeyInfoOwned;

    const NOW: u64 = 1_750_000_000;

    /// A CA and a leaf certificate (PEM) for `key`.
    fn ca_and_leaf(key: &KeyPair) -> (CertificateAuthority, String) {
        let issuer = Issuer::generate().unwrap();
        let token = issuer.mint(
            &TokenSpec::default(),
            &GitHubIdentity::default(),
            NOW as i64,
        );
        let claims = issuer.verify(&token, NOW as i64).unwrap();
        let ca = CertificateAuthority::generate(NOW).unwrap();
        let spki = SubjectPublicKeyInfoOwned::from_der(key.spki_der()).unwrap();
        let leaf = ca.issue(spki, &claims, NOW).unwrap();
        (ca, pem("CERTIFICATE", &leaf))
    }

    fn hashedrekord(digest: &[u8; 32], signature: &[u8], certificate_pem: &str) -> Vec<u8> {
        serde_json::to_vec(&json!({
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": { "hash": { "algorithm": "sha256", "value": hex::encode(digest) } },
                "signature": {
                    "content": b64(signature),
                    "publicKey": { "content": b64(certificate_pem.as_bytes()) },
                },
            },
        }))
        .unwrap()
    }

    #[test]
    fn checkpoints_are_signed_notes() {
        let key = KeyPair::generate().unwrap();
        let root = [7u8; 32];
        let text = checkpoint(&key, "127.0.0.1:8080", 42, &root);
        let note = format!("127.0.0.1:8080\n42\n{}\n", b64(&root));
        let (head, signature_line) = text.split_once("\n\n").unwrap();
        assert_eq!(format!("{head}\n"), note);
        let signature_line = signature_line.strip_suffix('\n').unwrap();
        let encoded = signature_line
            .strip_prefix("\u{2014} 127.0.0.1:8080 ")
            .unwrap();
        let bytes = unb64(encoded).unwrap();
        assert_eq!(&bytes[..4], &key.key_id()[..4]);
        assert!(verifies_der(
            key.verifying_key(),
            note.as_bytes(),
            &bytes[4..]
        ));

        // sigstore-rust reads it the same way.
        let parsed = sigstore_verify::types::Checkpoint::from_text(&text).unwrap();
        assert_eq!(parsed.origin(), "127.0.0.1:8080");
        assert_eq!(parsed.tree_size(), 42);
        assert_eq!(parsed.root_hash().as_bytes(), &root);
        assert_eq!(parsed.signed_data(), note.as_bytes());
    }

    #[test]
    fn the_set_signs_canonical_json() {
        let key = KeyPair::generate().unwrap();
        let set = signed_entry_timestamp(&key, "Ym9keQ==", 1_750_000_000, 7);
        let canonical = format!(
            r#"{{"body":"Ym9keQ==","integratedTime":1750000000,"logID":"{}","logIndex":7}}"#,
            hex::encode(key.key_id())
        );
        assert_eq!(
            set_payload(&key, "Ym9keQ==", 1_750_000_000, 7),
            canonical.as_bytes()
        );
        assert!(verifies_der(
            key.verifying_key(),
            canonical.as_bytes(),
            &unb64(&set).unwrap()
        ));
    }

    #[test]
    fn hashedrekord_entries_are_checked_and_stored_with_lf_pem() {
        let key = KeyPair::generate().unwrap();
        let (ca, leaf_pem) = ca_and_leaf(&key);
        let digest = sha256(b"artifact");
        let signature = key.sign_der(b"artifact");
        let crlf = leaf_pem.replace('\n', "\r\n");
        let body = canonical_body(&hashedrekord(&digest, &signature, &crlf), &ca, NOW).unwrap();
        let body: Value = serde_json::from_slice(&body).unwrap();
        let stored = unb64(
            body["spec"]["signature"]["publicKey"]["content"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        assert_eq!(String::from_utf8(stored).unwrap(), leaf_pem);

        let error = canonical_body(
            &hashedrekord(&sha256(b"other"), &signature, &leaf_pem),
            &ca,
            NOW,
        )
        .unwrap_err();
        assert!(matches!(error, RekorError::Signature(_)), "{error}");

        let (other_ca, _) = ca_and_leaf(&key);
        let error = canonical_body(
            &hashedrekord(&digest, &signature, &leaf_pem),
            &other_ca,
            NOW,
        )
        .unwrap_err();
        assert!(matches!(error, RekorError::Certificate(_)), "{error}");

        let intoto = br#"{"apiVersion":"0.0.2","kind":"intoto","spec":{}}"#;
        let error = canonical_body(intoto, &ca, NOW).unwrap_err();
        assert!(matches!(error, RekorError::Unsupported(_)), "{error}");
    }

    #[test]
    fn dsse_entries_record_hashes_and_signatures() {
        let key = KeyPair::generate().unwrap();
        let (ca, leaf_pem) = ca_and_leaf(&key);
        let payload = br#"{"_type":"https://in-toto.io/Statement/v1"}"#;
        let payload_type = "application/vnd.in-toto+json";
        let signature = key.sign_der(&pae(payload_type, payload));
        let envelope = json!({
            "payload": b64(payload),
            "payloadType": payload_type,
            "signatures": [{ "sig": b64(&signature) }],
        })
        .to_string();
        let proposed = |envelope: &str| {
            serde_json::to_vec(&json!({
                "apiVersion": "0.0.1",
                "kind": "dsse",
                "spec": { "proposedContent": {
                    "envelope": envelope,
                    "verifiers": [b64(leaf_pem.as_bytes())],
                } },
            }))
            .unwrap()
        };
        let body = canonical_body(&proposed(&envelope), &ca, NOW).unwrap();
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            body["spec"]["payloadHash"]["value"],
            hex::encode(sha256(payload))
        );
        assert_eq!(body["spec"]["signatures"][0]["signature"], b64(&signature));

        let tampered = envelope.replace(&b64(payload), &b64(b"{}"));
        let error = canonical_body(&proposed(&tampered), &ca, NOW).unwrap_err();
        assert!(matches!(error, RekorError::Signature(_)), "{error}");
    }

    #[test]
    fn the_log_persists_and_refuses_duplicates() {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::open(dir.path(), KeyPair::generate().unwrap(), "o".into()).unwrap();
        let (uuid, answer) = log.append(b"first", 100).unwrap();
        assert_eq!(uuid, hex::encode(leaf_hash(b"first")));
        assert_eq!(answer[&uuid]["logIndex"], 0);
        assert!(matches!(
            log.append(b"first", 101),
            Err(RekorError::Duplicate(_))
        ));
        drop(log);

        let log = Log::open(dir.path(), KeyPair::generate().unwrap(), "o".into()).unwrap();
        assert_eq!(log.size(), 1);
        let (uuid, answer) = log.append(b"second", 102).unwrap();
        let entry = &answer[&uuid];
        assert_eq!(entry["logIndex"], 1);
        assert_eq!(entry["verification"]["inclusionProof"]["treeSize"], 2);
        assert_eq!(
            entry["verification"]["inclusionProof"]["hashes"],
            json!([hex::encode(leaf_hash(b"first"))])
        );
        let first = log.entry_by_index(0).unwrap();
        assert_eq!(first.as_object().unwrap().len(), 1);
        assert!(log.entry_by_uuid(&uuid).is_some());
        assert!(log.entry_by_index(2).is_none());

        std::fs::write(dir.path().join(LOG_FILE), "{\"body\":1}\n").unwrap();
        let error = Log::open(dir.path(), KeyPair::generate().unwrap(), "o".into())
            .err()
            .unwrap();
        assert!(
            matches!(error, LogError::Corrupt { line: 1, .. }),
            "{error}"
        );
    }
}
