//! Integration tests of the `clearance` binary and library, one test binary.

mod bad_input;
mod determinism;
mod graph;
mod readers;
mod roundtrip;
mod util;
mod validators;
