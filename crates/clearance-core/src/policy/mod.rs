//! License policy: policy files (clearance's TOML and cargo-deny's `deny.toml`), license
//! categories, evaluation of an inventory into findings, and the difference between two
//! evaluations. It returns data; printing and exit codes belong to the caller.

pub mod categories;
pub mod diff;
pub mod eval;
pub mod file;

pub use categories::{Category, category_of};
pub use eval::{Code, Evaluation, Finding, Status, Verdict, evaluate};
pub use file::{Policy, PolicyError, default_policy, load_policy, parse_policy};

/// `s` as a TOML basic string, for policy files clearance writes or suggests: quotes, backslashes and control characters escaped, so that
/// a value from a package (a file name with a line break) stays inside its string.
pub fn toml_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if crate::term::is_unsafe(c) => {
                out.push_str(&format!("\\u{:04X}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
