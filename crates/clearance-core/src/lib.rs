//! The core of clearance: everything from collecting a workspace to rendering what ships
//! with it, with no network and no async runtime.
//!
//! Data flows one way: `inventory` collects packages (from `cargo metadata` or an SBOM) into
//! one model; `license` normalises what they declare and scans their files (`license::scan`);
//! `sbom` writes and reads CycloneDX and SPDX; `policy` evaluates the model and the license
//! evidence into findings, as a pure function; `report` and `render` turn findings and the
//! model into reports, NOTICE, THIRD_PARTY.md and HTML. `diag` (locations and diagnostics),
//! `term` (terminal conventions, inert text), `output` (atomic writes), `atomic`, `staging`
//! and `bounded` (filesystem steps that never half-happen, never block, never over-read)
//! serve them all.

pub mod atomic;
pub mod bounded;
pub mod diag;
pub mod inventory;
pub mod license;
pub mod output;
pub mod policy;
pub mod render;
pub mod report;
pub mod sbom;
pub mod staging;
pub mod term;
