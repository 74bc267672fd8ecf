//! `cargo clearance`: cargo runs `cargo-clearance clearance ARGS`; the extra word is dropped.

fn main() -> std::process::ExitCode {
    clearance::cli::main(clearance::cli::Invocation::CargoSubcommand)
}
