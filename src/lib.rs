//! clearance: supply-chain evidence for Cargo workspaces.
//!
//! Data flows one way: `inventory` collects packages (from `cargo metadata` or an SBOM) into
//! one model; `license` normalises what they declare; `sbom` writes and reads CycloneDX and
//! SPDX. `diag` (locations and diagnostics) and `output` (atomic writes) serve them all;
//! `commands` strings the steps together for each subcommand. `snapshot` packs a period of
//! the evidence store for reviewers. `sigstore_dev` is a local, untrusted Sigstore instance
//! for development and tests; `term` holds the terminal conventions (colours, progress)
//! every command follows.

pub mod atomic;
pub mod attest;
pub mod bounded;
pub mod commands;
pub mod diag;
pub mod evidence;
pub mod inventory;
pub mod license;
pub mod output;
pub mod policy;
pub mod render;
pub mod report;
pub mod sbom;
pub mod sigstore_dev;
pub mod snapshot;
pub mod staging;
pub mod store;
pub mod term;
