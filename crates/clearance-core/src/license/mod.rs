//! License data: SPDX expressions and their normalisation, the license files of a package,
//! what their texts are (SPDX ids with a confidence), the copyright lines they state, and a
//! cache of detection results.
//!
//! This module sees strings and files, never the inventory or a policy: it normalises what
//! packages declare and reads what their files say. Deciding whether a license is acceptable
//! belongs to `policy`.

pub mod cache;
pub mod copyright;
pub mod detect;
pub mod expr;
pub mod files;
pub mod scan;

pub use expr::{NormalisedLicense, license_ref_id, normalise_declared};

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
