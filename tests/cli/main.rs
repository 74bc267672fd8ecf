//! Integration tests of the `clearance` binary and library, one test binary.

mod bad_input;
mod check;
mod ci_examples;
mod conformance;
mod determinism;
mod diff;
mod evidence;
mod graph;
mod help;
mod init;
mod net;
mod notice;
mod own_files;
mod readers;
mod report;
mod roundtrip;
mod shell;
mod signing;
mod sigstore_dev;
mod snapshot;
mod subcommand;
mod supplier;
mod term;
mod util;
mod validators;
mod verify;
