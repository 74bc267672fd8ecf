//! Diagnostics shared by every module: a location in a source file (path, line, column),
//! the offending line, a stable code, and a hint saying what to do.
//!
//! This module depends on no other module of the crate but `term`. Parsers that keep byte
//! offsets turn them into a [`Location`] with [`Location::from_offset`]; callers render a
//! [`Diagnostic`] with its `Display` implementation, in the style of `rustc` and
//! `cargo-deny`. Messages, labels, help, paths and source lines often quote input (a policy
//! file, an SBOM, an answer of a service), so the rendering shows each of them through
//! [`crate::term::inert`]: no escape sequence or line break from input reaches a terminal or
//! a log, and every line starts with fixed text.

use std::fmt;
use std::path::{Path, PathBuf};

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Stops the command (exit code 2 for input problems).
    Error,
    /// Reported, but the command goes on.
    Warning,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        })
    }
}

/// A position in a text file, 1-based line and column (columns count characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The file, as the user named it.
    pub path: PathBuf,
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// The text of that line, without its line ending, when the source is at hand.
    pub source_line: Option<String>,
}

impl Location {
    /// The location of byte `offset` in `text` (clamped to the end of the text).
    pub fn from_offset(path: &Path, text: &str, offset: usize) -> Self {
        let mut offset = offset.min(text.len());
        while !text.is_char_boundary(offset) {
            offset -= 1;
        }
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = text[line_start..offset].chars().count() + 1;
        Self::from_line_column(path, text, line, column)
    }

    /// The location at `line` and `column` (both 1-based) of `text`, as parsers such as
    /// `serde_json` report them.
    pub fn from_line_column(path: &Path, text: &str, line: usize, column: usize) -> Self {
        let source_line = text
            .lines()
            .nth(line.saturating_sub(1))
            .map(|l| l.trim_end_matches('\r').to_owned());
        Self {
            path: path.to_owned(),
            line,
            column: column.max(1),
            source_line,
        }
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path.display(), self.line, self.column)
    }
}

/// `path` relative to the current directory, when it lies below it: how files are named in
/// reports and messages, whichever way they were reached.
pub fn relative_to_cwd(path: &Path) -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    let absolute = std::path::absolute(path).ok()?;
    absolute.strip_prefix(cwd).ok().map(Path::to_owned)
}

/// One reportable problem: a stable code, a message, where it is, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// How serious it is.
    pub severity: Severity,
    /// A stable kebab-case code, e.g. `sbom-malformed-json`.
    pub code: &'static str,
    /// One sentence saying what is wrong.
    pub message: String,
    /// Where it is, when the problem has a place in a file.
    pub location: Option<Box<Location>>,
    /// A short label put under the caret.
    pub label: Option<String>,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A new error diagnostic with a code and a message.
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            code,
            message: message.into(),
            location: None,
            label: None,
            help: None,
        }
    }

    /// A new warning diagnostic with a code and a message.
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, message)
        }
    }

    /// Attaches a location.
    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(Box::new(location));
        self
    }

    /// Attaches the label shown under the caret.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Attaches a hint saying what to do.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use crate::term::inert;
        write!(
            f,
            "{}[{}]: {}",
            self.severity,
            self.code,
            inert(&self.message)
        )?;
        if let Some(loc) = &self.location {
            let gutter = loc.line.to_string().len();
            let pad = " ".repeat(gutter);
            let shown_loc = loc.to_string();
            write!(f, "\n{pad}--> {}", inert(&shown_loc))?;
            if let Some(src) = &loc.source_line {
                let kept: String = src.chars().take(200).collect();
                let shown = inert(&kept);
                // The caret stands under the column as shown: escapes widen what precedes it.
                let before: String = kept
                    .chars()
                    .take(loc.column.saturating_sub(1).min(200))
                    .collect();
                let caret_pad = " ".repeat(inert(&before).chars().count());
                write!(f, "\n{pad} |\n{} | {shown}\n{pad} | {caret_pad}^", loc.line)?;
                if let Some(label) = &self.label {
                    write!(f, " {}", inert(label))?;
                }
            }
        }
        if let Some(help) = &self.help {
            write!(f, "\n  = help: {}", inert(help))?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offset_maps_to_line_and_character_column() {
        let text = "first\nsé cond\nthird";
        let at = text.find("cond").unwrap();
        let loc = Location::from_offset(Path::new("f.json"), text, at);
        assert_eq!((loc.line, loc.column), (2, 4));
        assert_eq!(loc.source_line.as_deref(), Some("sé cond"));
    }

    #[test]
    fn renders_code_location_caret_and_help() {
        let loc = Location::from_line_column(Path::new("bom.json"), "{\n  \"a\": x\n}", 2, 8);
        let d = Diagnostic::error("sbom-malformed-json", "expected value")
            .at(loc)
            .with_label("here")
            .with_help("fix the JSON");
        let shown = d.to_string();
        assert_eq!(
            shown,
            "error[sbom-malformed-json]: expected value\n --> bom.json:2:8\n  |\n2 |   \"a\": x\n  |        ^ here\n  = help: fix the JSON"
        );
    }

    #[test]
    fn input_quoted_in_a_diagnostic_is_inert() {
        let text = "a = \"\x1b]0;t\x07\" x\n";
        let loc = Location::from_line_column(Path::new("p\x1b.toml"), text, 1, 14);
        let d = Diagnostic::error("policy-syntax", "bad `\x1b[2J`\n::error::pwned")
            .at(loc)
            .with_label("here\u{202e}")
            .with_help("see \r::warning::x");
        let shown = d.to_string();
        assert!(!shown.contains('\x1b') && !shown.contains('\x07') && !shown.contains('\r'));
        assert!(!shown.contains('\u{202e}'));
        assert!(
            shown.lines().all(|l| !l.trim_start().starts_with("::")),
            "{shown}"
        );
        assert_eq!(
            shown,
            "error[policy-syntax]: bad `\\x1b[2J`\\n::error::pwned\n --> p\\x1b.toml:1:14\n  |\n1 | a = \"\\x1b]0;t\\x07\" x\n  |                    ^ here\\u{202e}\n  = help: see \\r::warning::x"
        );
    }
}
