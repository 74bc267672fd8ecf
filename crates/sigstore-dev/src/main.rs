//! `sigstore-dev`: the local, untrusted Sigstore instance as a program of its own, serving on
//! 127.0.0.1 until Ctrl-C or SIGTERM (`clearance sigstore-dev` is the same server).
//!
//! Usage: `sigstore-dev [DIR] [PORT]` (default `.clearance/sigstore-dev`, a free port).

use sigstore_dev::{DevOptions, serve_until_signal};

fn main() -> std::process::ExitCode {
    let mut args = std::env::args_os().skip(1);
    let dir = args.next().map_or_else(
        || ".clearance/sigstore-dev".into(),
        std::path::PathBuf::from,
    );
    let port = match args.next().map(|p| p.to_string_lossy().parse::<u16>()) {
        None => 0,
        Some(Ok(port)) => port,
        Some(Err(_)) => {
            eprintln!("error: the port must be a number from 0 to 65535");
            return std::process::ExitCode::from(2);
        }
    };
    match serve_until_signal(
        DevOptions {
            port,
            ..DevOptions::new(dir)
        },
        &mut std::io::stdout(),
    ) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}
