//! JSON helpers shared by the SBOM readers and writers: pretty output with a final newline,
//! and parse errors turned into diagnostics with file, line and column.

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::diag::{Diagnostic, Location};

/// Serialises `value` as pretty JSON (two-space indent) with a final newline.
pub(crate) fn to_pretty(value: &impl Serialize) -> Vec<u8> {
    let mut out = serde_json::to_vec_pretty(value).expect("SBOM structures always serialise");
    out.push(b'\n');
    out
}

/// Deserialises `text` into `T`, turning a failure into a diagnostic at its line and column.
pub(crate) fn parse<T: DeserializeOwned>(
    path: &Path,
    text: &str,
    what: &str,
) -> Result<T, Diagnostic> {
    serde_json::from_str(text).map_err(|e| json_diagnostic(path, text, &e, what))
}

/// The diagnostic for a `serde_json` error in `text`.
pub(crate) fn json_diagnostic(
    path: &Path,
    text: &str,
    e: &serde_json::Error,
    what: &str,
) -> Diagnostic {
    use serde_json::error::Category;
    let (code, help) = match e.classify() {
        Category::Eof => (
            "sbom-truncated",
            "the file ends in the middle of the document; it was probably cut short while \
             being written or copied: regenerate it",
        ),
        Category::Syntax | Category::Io => (
            "sbom-malformed-json",
            "the file is not valid JSON at this point; regenerate it or fix the syntax",
        ),
        Category::Data => (
            "sbom-invalid-structure",
            "a field has the wrong type for this format; check it against the specification",
        ),
    };
    let message = strip_position(&e.to_string());
    Diagnostic::error(code, format!("{what}: {message}"))
        .at(Location::from_line_column(path, text, e.line(), e.column()))
        .with_help(help)
}

fn strip_position(msg: &str) -> String {
    match msg.rfind(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

/// The location of the first `"key"` in `text`, for errors about a value that parsed.
pub(crate) fn locate_key(path: &Path, text: &str, key: &str) -> Location {
    let needle = format!("\"{key}\"");
    let offset = text.find(&needle).unwrap_or(0);
    Location::from_offset(path, text, offset)
}
