//! The certificate authority, speaking Fulcio's v2 protocol: `POST /api/v2/signingCert`
//! turns a verified identity token plus a proven public key into a 10-minute code-signing
//! certificate for the token's GitHub workflow, with Fulcio's OID extensions and an
//! embedded SCT from the instance's own CT key.
//!
//! Both request forms in use are accepted: sigstore-rust's `credentials` +
//! `publicKeyRequest` (the proof of possession is a signature over the token's `sub`),
//! and sigstore-python's `certificateSigningRequest` (a PEM CSR, token in the
//! `Authorization` header). Only ECDSA P-256 subject keys are issued for.
//!
//! Chain: leaf → self-signed root. There is no CT log to query: the SCT is a promise made
//! by a key listed under `ctlogs` in the trusted root, which is all verifiers check.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use const_oid::db::rfc5912::{ECDSA_WITH_SHA_256, ID_KP_CODE_SIGNING};
use const_oid::db::rfc6962::CT_PRECERT_SCTS;
use const_oid::{AssociatedOid, ObjectIdentifier};
use der::asn1::{BitString, Ia5String, OctetString, UtcTime, Utf8StringRef};
use der::{Decode, Encode};
use serde::Deserialize;
use spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsages,
    SubjectAltName, SubjectKeyIdentifier,
};
use x509_cert::name::Name;
use x509_cert::request::CertReq;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate, TbsCertificate, Version};

use super::Instance;
use super::http::{ApiError, bearer_token};
use super::keys::{KeyPair, p256_key, pem, sha256, unb64, verifies_der};
use super::oidc::{Claims, GITHUB_ISSUER, Issuer, SIGSTORE_AUDIENCE, TokenError};

/// Subject of the root CA certificate.
const ROOT_SUBJECT: &str = "CN=sigstore-dev UNTRUSTED root,O=clearance sigstore-dev (untrusted)";

/// Validity of issued certificates, as Fulcio's.
const LEAF_VALIDITY: Duration = Duration::from_secs(600);

/// Validity of the root certificate (the trusted root's `validFor` is what counts).
const ROOT_VALIDITY: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// The arc of Fulcio's certificate extensions.
const FULCIO_ARC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.1");

/// Why a signing-certificate request is refused.
#[derive(Debug, thiserror::Error)]
pub enum FulcioError {
    /// The body is not JSON of either request form.
    #[error("malformed request: {0}")]
    Malformed(String),
    /// No identity token in the body nor the `Authorization` header.
    #[error("no identity token: send credentials.oidcIdentityToken or `Authorization: Bearer`")]
    MissingToken,
    /// The identity token did not verify.
    #[error(transparent)]
    Token(#[from] TokenError),
    /// The public key is unusable.
    #[error("public key: {0}")]
    PublicKey(String),
    /// The proof of possession does not verify over the token's subject.
    #[error("proof of possession does not verify: sign the token's `sub` claim with the key")]
    ProofOfPossession,
    /// The CSR is unusable or its signature does not verify.
    #[error("certificate signing request: {0}")]
    Csr(String),
    /// Encoding the certificate failed (a defect).
    #[error("cannot encode the certificate: {0}")]
    Encoding(#[from] der::Error),
}

impl From<FulcioError> for ApiError {
    fn from(error: FulcioError) -> ApiError {
        match &error {
            FulcioError::MissingToken | FulcioError::Token(_) => ApiError::unauthorized(error),
            FulcioError::Encoding(_) => ApiError::internal(error),
            _ => ApiError::bad_request(error),
        }
    }
}

/// The CA key, its self-signed root certificate, and the CT log key that signs SCTs.
pub(crate) struct CertificateAuthority {
    key: KeyPair,
    root: Certificate,
    root_der: Vec<u8>,
    ct_key: KeyPair,
}

impl CertificateAuthority {
    /// Fresh CA and CT keys and a root certificate valid from `now` (Unix seconds).
    pub(crate) fn generate(now: u64) -> Result<CertificateAuthority, CaError> {
        let key = KeyPair::generate()?;
        let ct_key = KeyPair::generate()?;
        let spki = SubjectPublicKeyInfoOwned::from_der(key.spki_der())?;
        let subject = Name::from_str(ROOT_SUBJECT)?;
        let ski = key_identifier(&spki);
        let extensions = vec![
            extension(&KeyUsage(KeyUsages::KeyCertSign | KeyUsages::CRLSign), true)?,
            extension(
                &BasicConstraints {
                    ca: true,
                    path_len_constraint: Some(0),
                },
                true,
            )?,
            extension(&SubjectKeyIdentifier(ski.clone()), false)?,
            extension(&authority_key_identifier(ski), false)?,
        ];
        let tbs = TbsCertificate {
            version: Version::V3,
            serial_number: random_serial()?,
            signature: signature_algorithm(),
            issuer: subject.clone(),
            validity: validity(now.saturating_sub(60), now + ROOT_VALIDITY.as_secs())?,
            subject,
            subject_public_key_info: spki,
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: Some(extensions),
        };
        let root = sign(&key, tbs)?;
        let root_der = root.to_der()?;
        Ok(CertificateAuthority {
            key,
            root,
            root_der,
            ct_key,
        })
    }

    /// The root certificate, DER.
    pub(crate) fn root_der(&self) -> &[u8] {
        &self.root_der
    }

    /// The CT log key (public half in the trusted root's `ctlogs`).
    pub(crate) fn ct_key(&self) -> &KeyPair {
        &self.ct_key
    }

    /// The chain answered to clients, leaf first: the leaf, then the root.
    fn chain_pem(&self, leaf_der: &[u8]) -> Vec<String> {
        vec![
            pem("CERTIFICATE", leaf_der),
            pem("CERTIFICATE", &self.root_der),
        ]
    }

    /// Issues a leaf for `public_key` and the identity in `claims`, at Unix time `now`.
    pub(crate) fn issue(
        &self,
        public_key: SubjectPublicKeyInfoOwned,
        claims: &Claims,
        now: u64,
    ) -> Result<Vec<u8>, der::Error> {
        let san = format!("https://github.com/{}", claims.job_workflow_ref);
        let mut extensions = vec![
            extension(&KeyUsage(KeyUsages::DigitalSignature.into()), true)?,
            extension(&ExtendedKeyUsage(vec![ID_KP_CODE_SIGNING]), false)?,
            extension(&SubjectKeyIdentifier(key_identifier(&public_key)), false)?,
            extension(
                &authority_key_identifier(key_identifier(
                    &self.root.tbs_certificate.subject_public_key_info,
                )),
                false,
            )?,
            extension(
                &SubjectAltName(vec![GeneralName::UniformResourceIdentifier(
                    Ia5String::new(&san)?,
                )]),
                true,
            )?,
        ];
        extensions.extend(fulcio_extensions(claims)?);
        let mut tbs = TbsCertificate {
            version: Version::V3,
            serial_number: random_serial()?,
            signature: signature_algorithm(),
            issuer: self.root.tbs_certificate.subject.clone(),
            validity: validity(now, now + LEAF_VALIDITY.as_secs())?,
            subject: Name::default(),
            subject_public_key_info: public_key,
            issuer_unique_id: None,
            subject_unique_id: None,
            extensions: Some(extensions),
        };
        // The SCT covers the certificate without the SCT extension; appended last, removing
        // it (as verifiers do) gives back exactly these bytes.
        let precert_tbs = tbs.to_der()?;
        let sct_list = self.sct_list(&precert_tbs, now * 1000);
        if let Some(extensions) = tbs.extensions.as_mut() {
            extensions.push(Extension {
                extn_id: CT_PRECERT_SCTS,
                critical: false,
                extn_value: OctetString::new(OctetString::new(sct_list)?.to_der()?)?,
            });
        }
        sign(&self.key, tbs)?.to_der()
    }

    /// A TLS-encoded `SignedCertificateTimestampList` with one RFC 6962 v1 SCT over the
    /// precertificate entry (issuer key hash, TBS certificate).
    fn sct_list(&self, precert_tbs: &[u8], timestamp_ms: u64) -> Vec<u8> {
        let issuer_key_hash = sha256(self.key.spki_der());
        let signature = self.ct_key.sign_der(&sct_signed_data(
            &issuer_key_hash,
            precert_tbs,
            timestamp_ms,
        ));
        let mut sct = vec![0u8]; // version v1
        sct.extend(self.ct_key.key_id());
        sct.extend(timestamp_ms.to_be_bytes());
        sct.extend(0u16.to_be_bytes()); // no extensions
        sct.extend([4u8, 3u8]); // SHA-256, ECDSA
        sct.extend(u16_len(&signature));
        sct.extend(signature);
        let mut list = u16_len(&sct).to_vec();
        list.extend(sct);
        let mut out = u16_len(&list).to_vec();
        out.extend(list);
        out
    }

    /// Checks that `certificate` was issued by this CA and is valid at `now`.
    pub(crate) fn check_issued(&self, certificate: &Certificate, now: u64) -> Result<(), String> {
        // 1. The issuer name is the root's subject.
        // 2. The signature verifies with the CA key.
        // 3. `now` is within the certificate's validity.
        let tbs = &certificate.tbs_certificate;
        if tbs.issuer != self.root.tbs_certificate.subject {
            return Err(format!(
                "the certificate was issued by `{}`, not by this instance's CA",
                tbs.issuer
            ));
        }
        let tbs_der = tbs.to_der().map_err(|e| e.to_string())?;
        let signature = certificate
            .signature
            .as_bytes()
            .ok_or("the certificate signature is not a whole number of bytes")?;
        if !verifies_der(self.key.verifying_key(), &tbs_der, signature) {
            return Err("the certificate does not verify with this instance's CA key (was it issued before a restart?)".into());
        }
        let not_before = tbs.validity.not_before.to_unix_duration().as_secs();
        let not_after = tbs.validity.not_after.to_unix_duration().as_secs();
        if now < not_before || now > not_after {
            return Err(format!(
                "the certificate is not valid now ({now}; valid {not_before} to {not_after})"
            ));
        }
        Ok(())
    }
}

/// Why the CA could not be created (a defect, or no randomness).
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    /// Key generation or encoding failed.
    #[error("CA key: {0}")]
    Key(#[from] spki::Error),
    /// Certificate encoding failed.
    #[error("CA certificate: {0}")]
    Encoding(#[from] der::Error),
}

/// The bytes an RFC 6962 SCT signature covers for a precertificate entry.
fn sct_signed_data(issuer_key_hash: &[u8; 32], precert_tbs: &[u8], timestamp_ms: u64) -> Vec<u8> {
    let mut data = vec![0u8, 0u8]; // version v1, signature type certificate_timestamp
    data.extend(timestamp_ms.to_be_bytes());
    data.extend(1u16.to_be_bytes()); // entry type precert_entry
    data.extend(issuer_key_hash);
    data.extend(&(precert_tbs.len() as u32).to_be_bytes()[1..]); // u24 length
    data.extend(precert_tbs);
    data.extend(0u16.to_be_bytes()); // no extensions
    data
}

fn u16_len(bytes: &[u8]) -> [u8; 2] {
    u16::try_from(bytes.len()).unwrap_or(u16::MAX).to_be_bytes()
}

/// Fulcio's extensions for a GitHub Actions token: 1–6 as raw strings (legacy, still read
/// by sigstore-python's `verify github`), 8–22 as DER UTF8String.
fn fulcio_extensions(claims: &Claims) -> der::Result<Vec<Extension>> {
    let github = "https://github.com";
    let legacy: [(u32, &str); 6] = [
        (1, &claims.iss),
        (2, &claims.event_name),
        (3, &claims.sha),
        (4, &claims.workflow),
        (5, &claims.repository),
        (6, &claims.git_ref),
    ];
    let current: [(u32, String); 15] = [
        (8, claims.iss.clone()),
        (9, format!("{github}/{}", claims.job_workflow_ref)),
        (10, claims.job_workflow_sha.clone()),
        (11, claims.runner_environment.clone()),
        (12, format!("{github}/{}", claims.repository)),
        (13, claims.sha.clone()),
        (14, claims.git_ref.clone()),
        (15, claims.repository_id.clone()),
        (16, format!("{github}/{}", claims.repository_owner)),
        (17, claims.repository_owner_id.clone()),
        (18, format!("{github}/{}", claims.workflow_ref)),
        (19, claims.workflow_sha.clone()),
        (20, claims.event_name.clone()),
        (
            21,
            format!(
                "{github}/{}/actions/runs/{}/attempts/{}",
                claims.repository, claims.run_id, claims.run_attempt
            ),
        ),
        (22, claims.repository_visibility.clone()),
    ];
    let mut extensions = Vec::new();
    for (arc, value) in legacy {
        extensions.push(fulcio_extension(arc, value.as_bytes().to_vec())?);
    }
    for (arc, value) in current {
        extensions.push(fulcio_extension(
            arc,
            Utf8StringRef::new(&value)?.to_der()?,
        )?);
    }
    Ok(extensions)
}

fn fulcio_extension(arc: u32, value: Vec<u8>) -> der::Result<Extension> {
    Ok(Extension {
        extn_id: FULCIO_ARC.push_arc(arc)?,
        critical: false,
        extn_value: OctetString::new(value)?,
    })
}

fn extension<T: Encode + AssociatedOid>(value: &T, critical: bool) -> der::Result<Extension> {
    Ok(Extension {
        extn_id: T::OID,
        critical,
        extn_value: OctetString::new(value.to_der()?)?,
    })
}

/// RFC 7093 method 1: the leftmost 160 bits of the SHA-256 of the public key bits.
fn key_identifier(spki: &SubjectPublicKeyInfoOwned) -> OctetString {
    let hash = sha256(spki.subject_public_key.raw_bytes());
    OctetString::new(&hash[..20]).unwrap_or_else(|_| unreachable!("20 bytes fit an OCTET STRING"))
}

fn authority_key_identifier(key_identifier: OctetString) -> AuthorityKeyIdentifier {
    AuthorityKeyIdentifier {
        key_identifier: Some(key_identifier),
        authority_cert_issuer: None,
        authority_cert_serial_number: None,
    }
}

fn signature_algorithm() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: ECDSA_WITH_SHA_256,
        parameters: None,
    }
}

/// A positive 20-byte serial number without a leading zero byte.
fn random_serial() -> der::Result<SerialNumber> {
    use rand_core::RngCore;
    let mut bytes = [0u8; 20];
    rand_core::OsRng.fill_bytes(&mut bytes);
    bytes[0] = (bytes[0] & 0x7f) | 0x40;
    SerialNumber::new(&bytes)
}

/// UTCTime validity (RFC 5280 wants UTCTime through 2049).
fn validity(not_before: u64, not_after: u64) -> der::Result<Validity> {
    let time = |seconds: u64| -> der::Result<Time> {
        Ok(Time::UtcTime(UtcTime::from_unix_duration(
            Duration::from_secs(seconds),
        )?))
    };
    Ok(Validity {
        not_before: time(not_before)?,
        not_after: time(not_after)?,
    })
}

fn sign(key: &KeyPair, tbs: TbsCertificate) -> der::Result<Certificate> {
    let signature = key.sign_der(&tbs.to_der()?);
    Ok(Certificate {
        tbs_certificate: tbs,
        signature_algorithm: signature_algorithm(),
        signature: BitString::from_bytes(&signature)?,
    })
}

/// The body of `POST /api/v2/signingCert`, either form.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SigningCertRequest {
    credentials: Option<Credentials>,
    public_key_request: Option<PublicKeyRequest>,
    certificate_signing_request: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Credentials {
    oidc_identity_token: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PublicKeyRequest {
    public_key: PublicKeyContent,
    proof_of_possession: String,
}

#[derive(Deserialize)]
struct PublicKeyContent {
    content: String,
}

/// How the client proves it holds the private key.
enum Proof {
    /// sigstore-rust: a public key and a signature over the token's `sub`.
    Signature(PublicKeyRequest),
    /// sigstore-python: a PKCS#10 request, base64 of its PEM.
    Csr(String),
}

/// Verifies a request and returns the subject public key and the token's claims.
pub(crate) fn authorize(
    issuer: &Issuer,
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
) -> Result<(SubjectPublicKeyInfoOwned, Claims), FulcioError> {
    // 1. Parse the body: exactly one of publicKeyRequest and certificateSigningRequest.
    // 2. Verify the identity token (body, else Authorization header).
    // 3. Check the proof of possession: a signature over `sub`, or the CSR's own signature.
    let request: SigningCertRequest =
        serde_json::from_slice(body).map_err(|e| FulcioError::Malformed(e.to_string()))?;
    let token = request
        .credentials
        .map(|c| c.oidc_identity_token)
        .or_else(|| bearer_token(headers).map(str::to_owned))
        .ok_or(FulcioError::MissingToken)?;
    let proof = match (
        request.public_key_request,
        request.certificate_signing_request,
    ) {
        (Some(key_request), None) => Proof::Signature(key_request),
        (None, Some(csr)) => Proof::Csr(csr),
        (Some(_), Some(_)) => {
            return Err(FulcioError::Malformed(
                "send either publicKeyRequest or certificateSigningRequest, not both".into(),
            ));
        }
        (None, None) => {
            return Err(FulcioError::Malformed(
                "missing publicKeyRequest or certificateSigningRequest".into(),
            ));
        }
    };
    let claims = issuer.verify(&token, now)?;
    let spki = match proof {
        Proof::Signature(key_request) => proven_public_key(&key_request, &claims)?,
        Proof::Csr(csr) => csr_public_key(&csr)?,
    };
    Ok((spki, claims))
}

fn proven_public_key(
    request: &PublicKeyRequest,
    claims: &Claims,
) -> Result<SubjectPublicKeyInfoOwned, FulcioError> {
    let (label, der) = der::pem::decode_vec(request.public_key.content.as_bytes())
        .map_err(|e| FulcioError::PublicKey(format!("not PEM: {e}")))?;
    if label != "PUBLIC KEY" {
        return Err(FulcioError::PublicKey(format!(
            "expected a PUBLIC KEY PEM block, got {label}"
        )));
    }
    let key = p256_key(&der)
        .ok_or_else(|| FulcioError::PublicKey("only ECDSA P-256 keys are supported".into()))?;
    let proof = unb64(&request.proof_of_possession)
        .map_err(|e| FulcioError::PublicKey(format!("proofOfPossession is not base64: {e}")))?;
    if !verifies_der(&key, claims.sub.as_bytes(), &proof) {
        return Err(FulcioError::ProofOfPossession);
    }
    SubjectPublicKeyInfoOwned::from_der(&der).map_err(|e| FulcioError::PublicKey(e.to_string()))
}

fn csr_public_key(encoded: &str) -> Result<SubjectPublicKeyInfoOwned, FulcioError> {
    let csr_error = |what: String| FulcioError::Csr(what);
    let bytes = unb64(encoded).map_err(|e| csr_error(format!("not base64: {e}")))?;
    let der = if bytes.starts_with(b"-----BEGIN") {
        let (label, der) =
            der::pem::decode_vec(&bytes).map_err(|e| csr_error(format!("not PEM: {e}")))?;
        if label != "CERTIFICATE REQUEST" {
            return Err(csr_error(format!(
                "expected CERTIFICATE REQUEST, got {label}"
            )));
        }
        der
    } else {
        bytes
    };
    let csr = CertReq::from_der(&der).map_err(|e| csr_error(e.to_string()))?;
    if csr.algorithm.oid != ECDSA_WITH_SHA_256 {
        return Err(csr_error(format!(
            "signature algorithm {} is not ecdsa-with-SHA256",
            csr.algorithm.oid
        )));
    }
    let spki_der = csr
        .info
        .public_key
        .to_der()
        .map_err(|e| csr_error(e.to_string()))?;
    let key = p256_key(&spki_der)
        .ok_or_else(|| FulcioError::PublicKey("only ECDSA P-256 keys are supported".into()))?;
    let info = csr.info.to_der().map_err(|e| csr_error(e.to_string()))?;
    let signature = csr.signature.as_bytes().unwrap_or_default();
    if !verifies_der(&key, &info, signature) {
        return Err(csr_error("the CSR signature does not verify".into()));
    }
    Ok(csr.info.public_key)
}

/// `POST /api/v2/signingCert`.
pub(crate) async fn signing_cert(
    State(instance): State<Arc<Instance>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let now = super::unix_now();
    let (spki, claims) = authorize(&instance.issuer, &headers, &body, now)?;
    let leaf = instance
        .ca
        .issue(spki, &claims, now.unsigned_abs())
        .map_err(FulcioError::from)?;
    let chain = instance.ca.chain_pem(&leaf);
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({
            "signedCertificateEmbeddedSct": { "chain": { "certificates": chain } }
        })),
    ))
}

/// `GET /api/v2/trustBundle`.
pub(crate) async fn trust_bundle(State(instance): State<Arc<Instance>>) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "chains": [{ "certificates": [pem("CERTIFICATE", instance.ca.root_der())] }]
    }))
}

/// `GET /api/v2/configuration`.
pub(crate) async fn configuration() -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "issuers": [{
            "issuerUrl": GITHUB_ISSUER,
            "audience": SIGSTORE_AUDIENCE,
            "challengeClaim": "sub",
            "issuerType": "github-workflow",
        }]
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::oidc::{GitHubIdentity, TokenLifetime, TokenSpec};
    use der::asn1::SetOfVec;
    use x509_cert::request::CertReqInfo;

    const NOW: i64 = 1_750_000_000;

    fn issuer_and_token(spec: TokenSpec) -> (Issuer, String) {
        let issuer = Issuer::generate().unwrap();
        let token = issuer.mint(&spec, &GitHubIdentity::default(), NOW);
        (issuer, token)
    }

    fn public_key_request(token: &str, key: &KeyPair, signed: &[u8]) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "credentials": { "oidcIdentityToken": token },
            "publicKeyRequest": {
                "publicKey": { "algorithm": "", "content": pem("PUBLIC KEY", key.spki_der()) },
                "proofOfPossession": super::super::keys::b64(&key.sign_der(signed)),
            }
        }))
        .unwrap()
    }

    /// A PKCS#10 request like sigstore-python's: empty subject, signed by `signer`.
    fn csr(key: &KeyPair, signer: &KeyPair) -> Vec<u8> {
        let info = CertReqInfo {
            version: x509_cert::request::Version::V1,
            subject: Name::default(),
            public_key: SubjectPublicKeyInfoOwned::from_der(key.spki_der()).unwrap(),
            attributes: SetOfVec::new(),
        };
        let signature = signer.sign_der(&info.to_der().unwrap());
        let request = CertReq {
            info,
            algorithm: signature_algorithm(),
            signature: BitString::from_bytes(&signature).unwrap(),
        };
        let pem = pem("CERTIFICATE REQUEST", &request.to_der().unwrap());
        serde_json::to_vec(&serde_json::json!({
            "certificateSigningRequest": super::super::keys::b64(pem.as_bytes())
        }))
        .unwrap()
    }

    fn bearer(token: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::AUTHORIZATION,
            format!("Bearer {token}").parse().unwrap(),
        );
        headers
    }

    #[test]
    fn the_public_key_form_needs_a_proof_over_the_subject() {
        let (issuer, token) = issuer_and_token(TokenSpec::default());
        let key = KeyPair::generate().unwrap();
        let sub = b"repo:clearance-dev/example:ref:refs/heads/main";
        let body = public_key_request(&token, &key, sub);
        let (spki, claims) = authorize(&issuer, &HeaderMap::new(), &body, NOW).unwrap();
        assert_eq!(spki.to_der().unwrap(), key.spki_der());
        assert_eq!(claims.sub.as_bytes(), sub);

        let body = public_key_request(&token, &key, b"something else");
        let error = authorize(&issuer, &HeaderMap::new(), &body, NOW).unwrap_err();
        assert!(matches!(error, FulcioError::ProofOfPossession), "{error}");
    }

    #[test]
    fn the_csr_form_takes_the_token_from_the_header() {
        let (issuer, token) = issuer_and_token(TokenSpec::default());
        let key = KeyPair::generate().unwrap();
        let (spki, _) = authorize(&issuer, &bearer(&token), &csr(&key, &key), NOW).unwrap();
        assert_eq!(spki.to_der().unwrap(), key.spki_der());

        let error = authorize(&issuer, &HeaderMap::new(), &csr(&key, &key), NOW).unwrap_err();
        assert!(matches!(error, FulcioError::MissingToken), "{error}");

        let stranger = KeyPair::generate().unwrap();
        let error = authorize(&issuer, &bearer(&token), &csr(&key, &stranger), NOW).unwrap_err();
        assert!(matches!(error, FulcioError::Csr(_)), "{error}");
    }

    #[test]
    fn refused_tokens_are_401_and_bad_requests_400() {
        let spec = TokenSpec {
            lifetime: TokenLifetime::ExpiredFor(Duration::from_secs(300)),
            ..TokenSpec::default()
        };
        let (issuer, token) = issuer_and_token(spec);
        let key = KeyPair::generate().unwrap();
        let error = authorize(&issuer, &bearer(&token), &csr(&key, &key), NOW).unwrap_err();
        assert!(matches!(
            error,
            FulcioError::Token(TokenError::Expired { .. })
        ));
        let response = axum::response::IntoResponse::into_response(ApiError::from(error));
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

        let error = authorize(&issuer, &bearer(&token), b"{}", NOW).unwrap_err();
        assert!(matches!(error, FulcioError::Malformed(_)), "{error}");
        let response = axum::response::IntoResponse::into_response(ApiError::from(error));
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn a_leaf_carries_the_identity_and_an_sct_over_its_precertificate() {
        let (issuer, token) = issuer_and_token(TokenSpec::default());
        let claims = issuer.verify(&token, NOW).unwrap();
        let ca = CertificateAuthority::generate(NOW as u64).unwrap();
        let key = KeyPair::generate().unwrap();
        let spki = SubjectPublicKeyInfoOwned::from_der(key.spki_der()).unwrap();
        let leaf = Certificate::from_der(&ca.issue(spki, &claims, NOW as u64).unwrap()).unwrap();
        ca.check_issued(&leaf, NOW as u64 + 60).unwrap();
        assert!(ca.check_issued(&leaf, NOW as u64 + 601).is_err());

        let extensions = leaf.tbs_certificate.extensions.clone().unwrap();
        let (_, san): (bool, SubjectAltName) = leaf.tbs_certificate.get().unwrap().unwrap();
        assert_eq!(
            san.0,
            vec![GeneralName::UniformResourceIdentifier(
                Ia5String::new(
                    "https://github.com/clearance-dev/example/.github/workflows/release.yml@refs/heads/main"
                )
                .unwrap()
            )]
        );
        let value = |arc: u32| {
            let oid = FULCIO_ARC.push_arc(arc).unwrap();
            extensions
                .iter()
                .find(|e| e.extn_id == oid)
                .map(|e| e.extn_value.as_bytes().to_vec())
                .unwrap()
        };
        assert_eq!(value(5), b"clearance-dev/example");
        assert_eq!(
            Utf8StringRef::from_der(&value(12)).unwrap().as_str(),
            "https://github.com/clearance-dev/example"
        );

        // The SCT extension is last; without it the TBS is what the CT key signed.
        let sct_extension = extensions.last().unwrap();
        assert_eq!(sct_extension.extn_id, CT_PRECERT_SCTS);
        let list = OctetString::from_der(sct_extension.extn_value.as_bytes()).unwrap();
        let list = list.as_bytes();
        let sct = &list[4..];
        assert_eq!(&sct[1..33], &ca.ct_key().key_id());
        let timestamp = u64::from_be_bytes(sct[33..41].try_into().unwrap());
        assert_eq!(timestamp, NOW as u64 * 1000);
        let signature = &sct[47..];
        let mut precert = leaf.tbs_certificate.clone();
        precert.extensions.as_mut().unwrap().pop();
        let signed = sct_signed_data(
            &sha256(ca.key.spki_der()),
            &precert.to_der().unwrap(),
            timestamp,
        );
        assert!(verifies_der(
            ca.ct_key().verifying_key(),
            &signed,
            signature
        ));
    }
}
