//! License data: SPDX expressions and their normalisation.
//!
//! This module sees strings and files, never the inventory or a policy: it parses and
//! normalises what packages declare, and (later) matches license texts. Deciding whether a
//! license is acceptable belongs to `policy`.

pub mod expr;

pub use expr::{NormalisedLicense, license_ref_id, normalise_declared};
