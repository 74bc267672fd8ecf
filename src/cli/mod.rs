//! The `clearance` command line: one module per command holding its options, its run and
//! its summary ([`sbom`], [`check`] (with `diff`), [`notice`] (with `third-party` and
//! `report`), [`attest`], [`sign`], [`verify`], [`release`], [`snapshot`], [`init`],
//! [`sigstore_dev`]), the options they share ([`args`]), the steps several of them take
//! ([`common`]: loading the inventory and the policy, the requests of the library), and the
//! command line itself ([`app`]: parsing, dispatch, exit codes).

pub mod app;
pub mod args;
pub mod attest;
pub mod check;
pub mod common;
pub mod init;
pub mod notice;
pub mod release;
pub mod sbom;
pub mod sign;
#[cfg(feature = "sigstore-dev")]
pub mod sigstore_dev;
pub mod snapshot;
pub mod verify;

pub use app::{Invocation, main};
