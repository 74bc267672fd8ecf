//! The instance's ECDSA P-256 key pairs (CA, CT log, transparency log, OIDC issuer) and the
//! few encodings the protocols need: SubjectPublicKeyInfo DER, key ids, DER and raw (JWS)
//! signatures, PEM with LF line endings.
//!
//! Private keys live only in memory: nothing here can serialise one, and `Debug` shows the
//! key id alone.

use base64::Engine;
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{DerSignature, Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{DecodePublicKey, EncodePublicKey};
use sha2::{Digest, Sha256};

/// Standard base64 with padding, as the Sigstore JSON formats use.
pub(crate) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Decodes standard base64.
pub(crate) fn unb64(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    base64::engine::general_purpose::STANDARD.decode(text)
}

/// SHA-256 of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// PEM with 64-column lines and LF line endings (what real Rekor stores, and what
/// sigstore-python re-encodes before comparing).
pub(crate) fn pem(label: &str, der: &[u8]) -> String {
    der::pem::encode_string(label, der::pem::LineEnding::LF, der)
        .unwrap_or_else(|_| unreachable!("PEM labels used here are valid"))
}

/// An ECDSA P-256 key pair generated at start-up.
pub(crate) struct KeyPair {
    signing: SigningKey,
    spki_der: Vec<u8>,
}

impl std::fmt::Debug for KeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPair")
            .field("key_id", &hex::encode(self.key_id()))
            .finish_non_exhaustive()
    }
}

impl KeyPair {
    /// A fresh key from the operating system's random source.
    pub(crate) fn generate() -> Result<KeyPair, spki::Error> {
        let signing = SigningKey::random(&mut rand_core::OsRng);
        let spki_der = signing.verifying_key().to_public_key_der()?.into_vec();
        Ok(KeyPair { signing, spki_der })
    }

    /// The public key as SubjectPublicKeyInfo DER.
    pub(crate) fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// SHA-256 of the SubjectPublicKeyInfo DER: the log id of a Rekor or CT log.
    pub(crate) fn key_id(&self) -> [u8; 32] {
        sha256(&self.spki_der)
    }

    /// The public half.
    pub(crate) fn verifying_key(&self) -> &VerifyingKey {
        self.signing.verifying_key()
    }

    /// ECDSA-SHA256 signature over `message`, DER-encoded (X.509, SCT, SET, checkpoints).
    pub(crate) fn sign_der(&self, message: &[u8]) -> Vec<u8> {
        let signature: DerSignature = self.signing.sign(message);
        signature.as_bytes().to_vec()
    }

    /// ECDSA-SHA256 signature over `message` as 64 raw bytes `r || s` (JWS ES256).
    pub(crate) fn sign_raw(&self, message: &[u8]) -> [u8; 64] {
        let signature: Signature = self.signing.sign(message);
        signature.to_bytes().into()
    }
}

/// A P-256 public key from SubjectPublicKeyInfo DER; `None` for anything else.
pub(crate) fn p256_key(spki_der: &[u8]) -> Option<VerifyingKey> {
    VerifyingKey::from_public_key_der(spki_der).ok()
}

/// Whether the DER signature `signature` over `message` verifies with `key` (ECDSA-SHA256).
pub(crate) fn verifies_der(key: &VerifyingKey, message: &[u8], signature: &[u8]) -> bool {
    Signature::from_der(signature).is_ok_and(|sig| key.verify(message, &sig).is_ok())
}

/// Whether the DER signature `signature` over the SHA-256 `digest` verifies with `key`.
pub(crate) fn verifies_digest(key: &VerifyingKey, digest: &[u8], signature: &[u8]) -> bool {
    use p256::ecdsa::signature::hazmat::PrehashVerifier;
    Signature::from_der(signature).is_ok_and(|sig| key.verify_prehash(digest, &sig).is_ok())
}

/// Whether the raw `r || s` signature over `message` verifies with `key` (JWS ES256).
pub(crate) fn verifies_raw(key: &VerifyingKey, message: &[u8], signature: &[u8]) -> bool {
    Signature::from_slice(signature).is_ok_and(|sig| key.verify(message, &sig).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_and_debug_shows_no_secret() {
        let key = KeyPair::generate().unwrap();
        let der = key.sign_der(b"message");
        assert!(verifies_der(key.verifying_key(), b"message", &der));
        assert!(!verifies_der(key.verifying_key(), b"other", &der));
        assert!(verifies_digest(
            key.verifying_key(),
            &sha256(b"message"),
            &der
        ));
        let raw = key.sign_raw(b"message");
        assert!(verifies_raw(key.verifying_key(), b"message", &raw));
        assert_eq!(p256_key(key.spki_der()).as_ref(), Some(key.verifying_key()));
        let shown = format!("{key:?}");
        assert!(shown.contains(&hex::encode(key.key_id())), "{shown}");
        assert!(!shown.contains("signing"), "{shown}");
    }

    #[test]
    fn pem_uses_lf_and_64_columns() {
        let text = pem("CERTIFICATE", &[7u8; 100]);
        assert!(!text.contains('\r'));
        assert!(text.lines().all(|line| line.len() <= 64));
        assert!(text.ends_with("-----END CERTIFICATE-----\n"));
    }
}
