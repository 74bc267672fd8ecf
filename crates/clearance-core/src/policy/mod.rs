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
