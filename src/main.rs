//! `clearance`: the command line of [`clearance::cli`].

fn main() -> std::process::ExitCode {
    clearance::cli::main(clearance::cli::Invocation::Clearance)
}
