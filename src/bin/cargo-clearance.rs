//! `cargo clearance`: clearance as a cargo subcommand. For `cargo clearance ARGS`, cargo runs
//! `cargo-clearance clearance ARGS`; this binary is the command line of `src/main.rs`
//! compiled a second time, which drops the extra word and shows usage as `cargo clearance`.

#[path = "../main.rs"]
mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
