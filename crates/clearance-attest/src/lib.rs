//! Attestations and signatures: in-toto statements about release files, signed keylessly
//! through Sigstore (OIDC identity, Fulcio certificate, Rekor entry) into bundles, and the
//! offline verification of such bundles against an identity policy.
//!
//! This is the only module that touches identity tokens and signing services. It sees bytes
//! and digests, never the inventory model.

pub mod instance;
pub mod policy;
pub mod provenance;
pub mod report;
pub mod sign;
pub mod signers;
pub mod statement;
pub mod token;
pub mod verify;
