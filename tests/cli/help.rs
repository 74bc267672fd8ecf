//! The `--help` text is part of the interface: snapshots make every change to it visible in
//! review.

use crate::util::run_ok;

fn help(args: &[&str]) -> String {
    String::from_utf8(run_ok(args)).unwrap()
}

#[test]
fn top_level_help() {
    insta::assert_snapshot!(help(&["--help"]));
}

#[test]
fn sbom_help() {
    insta::assert_snapshot!(help(&["sbom", "--help"]));
}

#[test]
fn check_help() {
    insta::assert_snapshot!(help(&["check", "--help"]));
}

#[test]
fn diff_help() {
    insta::assert_snapshot!(help(&["diff", "--help"]));
}

#[test]
fn notice_help() {
    insta::assert_snapshot!(help(&["notice", "--help"]));
}

#[test]
fn third_party_help() {
    insta::assert_snapshot!(help(&["third-party", "--help"]));
}

#[test]
fn report_help() {
    insta::assert_snapshot!(help(&["report", "--help"]));
}

#[test]
fn verify_help() {
    insta::assert_snapshot!(help(&["verify", "--help"]));
}

#[test]
fn sigstore_dev_help() {
    insta::assert_snapshot!(help(&["sigstore-dev", "--help"]));
}

#[test]
fn attest_help() {
    insta::assert_snapshot!(help(&["attest", "--help"]));
}

#[test]
fn sign_help() {
    insta::assert_snapshot!(help(&["sign", "--help"]));
}

#[test]
fn release_help() {
    insta::assert_snapshot!(help(&["release", "--help"]));
}

#[test]
fn snapshot_help() {
    insta::assert_snapshot!(help(&["snapshot", "--help"]));
}

#[test]
fn snapshot_verify_help() {
    insta::assert_snapshot!(help(&["snapshot", "verify", "--help"]));
}

#[test]
fn init_help() {
    insta::assert_snapshot!(help(&["init", "--help"]));
}

#[test]
fn completions_help() {
    insta::assert_snapshot!(help(&["completions", "--help"]));
}

#[test]
fn man_help() {
    insta::assert_snapshot!(help(&["man", "--help"]));
}
