//! clearance: supply-chain evidence for Cargo workspaces. This package is the command line:
//! [`cli`] parses arguments, runs each command through the library crates
//! (`clearance-core`, `clearance-attest`, `clearance-evidence`, and `sigstore-dev` behind the
//! default feature of the same name), and prints their summaries.

pub mod cli;
