//! Terminal conventions, decided in one place: whether output is coloured, whether
//! progress is drawn, and how text from outside (policy files, package metadata, SBOMs,
//! answers of services) is made inert before it is shown.
//!
//! Colour, strongest rule first: `--color always|never`; then `CLICOLOR_FORCE` set to
//! anything but empty or `0` turns colours on; then `NO_COLOR` set to anything but empty
//! turns them off; otherwise colours are on exactly when the output goes to a terminal.
//! Progress (a spinner on standard error) is drawn only when standard error is a terminal,
//! and not on CI (`CI` set to anything but empty, `0` or `false`) when standard output is
//! captured.
//!
//! The functions take the environment and the terminal checks as values, so that every rule
//! is tested without a terminal; the caller reads them with [`TermEnv::from_process`] and
//! `std::io::IsTerminal`.

use std::borrow::Cow;
use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ColorWhen {
    /// Decided by the environment and the terminal.
    #[default]
    Auto,
    /// Always coloured.
    Always,
    /// Never coloured.
    Never,
}

/// The environment variables the conventions read.
#[derive(Debug, Clone, Default)]
pub struct TermEnv {
    /// `CLICOLOR_FORCE`.
    pub clicolor_force: Option<OsString>,
    /// `NO_COLOR`.
    pub no_color: Option<OsString>,
    /// `CI`.
    pub ci: Option<OsString>,
}

impl TermEnv {
    /// The variables of this process.
    pub fn from_process() -> Self {
        TermEnv {
            clicolor_force: std::env::var_os("CLICOLOR_FORCE"),
            no_color: std::env::var_os("NO_COLOR"),
            ci: std::env::var_os("CI"),
        }
    }

    fn colour_forced(&self) -> bool {
        self.clicolor_force
            .as_deref()
            .is_some_and(|v| !v.is_empty() && v != "0")
    }

    fn colour_refused(&self) -> bool {
        self.no_color.as_deref().is_some_and(|v| !v.is_empty())
    }

    fn on_ci(&self) -> bool {
        self.ci
            .as_deref()
            .is_some_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"))
    }
}

/// Whether output going to a terminal (`to_terminal`) or not is coloured.
pub fn use_color(when: ColorWhen, env: &TermEnv, to_terminal: bool) -> bool {
    match when {
        ColorWhen::Always => true,
        ColorWhen::Never => false,
        ColorWhen::Auto if env.colour_forced() => true,
        ColorWhen::Auto if env.colour_refused() => false,
        ColorWhen::Auto => to_terminal,
    }
}

/// Whether a progress spinner is drawn on standard error.
pub fn show_progress(env: &TermEnv, stderr_is_terminal: bool, stdout_is_terminal: bool) -> bool {
    let captured_on_ci = env.on_ci() && !stdout_is_terminal;
    stderr_is_terminal && !captured_on_ci
}

/// The `--color` value on a command line, before it is parsed (help and usage errors are
/// printed while parsing): the last `--color V` or `--color=V` before `--`; `Auto` when
/// there is none or its value is not one of `auto`, `always`, `never`.
pub fn color_flag(args: &[OsString]) -> ColorWhen {
    let mut when = ColorWhen::Auto;
    let mut args = args.iter().map(OsString::as_os_str);
    while let Some(arg) = args.next() {
        if arg == "--" {
            break;
        }
        let value: Option<&OsStr> = if arg == "--color" {
            args.next()
        } else {
            arg.to_str()
                .and_then(|a| a.strip_prefix("--color="))
                .map(OsStr::new)
        };
        when = match value.and_then(OsStr::to_str) {
            Some("always") => ColorWhen::Always,
            Some("never") => ColorWhen::Never,
            Some(_) => ColorWhen::Auto,
            None => when,
        };
    }
    when
}

/// Whether `c` must not reach a terminal or a log as itself: C0 controls (line breaks and
/// tabs included), DEL, C1 controls, the Unicode line and paragraph separators, the bidi
/// embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and the bidi marks
/// (U+200E, U+200F, U+061C), which reorder what a terminal shows. [`inert`] escapes
/// exactly these.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{61c}'
        )
}

/// `text` made inert for a terminal or a log: every character a terminal or a log reader
/// would act on instead of showing it is written as a visible escape. `\n`, `\r` and `\t`
/// stay readable as such, other C0 controls and DEL become `\x1b`-style escapes, and C1
/// controls, line separators and bidi controls become `\u{202e}`-style escapes.
///
/// Since no line break survives, text from outside can neither start a line of its own
/// (where a CI runner would read `::error::…` as a command) nor carry escape sequences that
/// retitle the terminal, move the cursor or reorder what is shown. Text without such
/// characters is returned as it is, without copying.
pub fn inert(text: &str) -> Cow<'_, str> {
    let Some(first) = text.find(is_unsafe) else {
        return Cow::Borrowed(text);
    };
    let mut out = String::with_capacity(text.len() + 8);
    out.push_str(&text[..first]);
    for c in text[first..].chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inert_text_is_unchanged_and_not_copied() {
        for text in ["", "plain ascii", "é ü 漢字 ✓ → emoji 🦀", "C:\\path\\x1b"] {
            assert!(
                matches!(inert(text), Cow::Borrowed(t) if t == text),
                "{text}"
            );
        }
    }

    #[test]
    fn line_breaks_and_c0_controls_are_escaped() {
        assert_eq!(inert("a\nb\r\nc\td"), "a\\nb\\r\\nc\\td");
        assert_eq!(
            inert("ok\n::error::pwned"),
            "ok\\n::error::pwned",
            "outside text cannot start a line"
        );
        assert_eq!(inert("\x1b]0;title\x07"), "\\x1b]0;title\\x07");
        assert_eq!(inert("\x1b[2J\x1b[1;32m✓ ok"), "\\x1b[2J\\x1b[1;32m✓ ok");
        assert_eq!(inert("\0\x08\x0b\x0c\x1f"), "\\x00\\x08\\x0b\\x0c\\x1f");
    }

    #[test]
    fn del_and_c1_controls_are_escaped() {
        assert_eq!(inert("a\x7fb"), "a\\x7fb");
        // CSI (U+009B) and OSC (U+009D) start escape sequences on their own in some terminals;
        // NEL (U+0085) breaks lines.
        assert_eq!(
            inert("\u{9b}2J\u{9d}0;t\u{9c}\u{85}"),
            "\\u{9b}2J\\u{9d}0;t\\u{9c}\\u{85}"
        );
    }

    #[test]
    fn bidi_controls_and_line_separators_are_escaped() {
        assert_eq!(inert("abc\u{202e}fed"), "abc\\u{202e}fed");
        for c in ('\u{202a}'..='\u{202e}').chain('\u{2066}'..='\u{2069}') {
            let shown = inert(&c.to_string()).into_owned();
            assert_eq!(shown, format!("\\u{{{:x}}}", u32::from(c)));
        }
        assert_eq!(inert("a\u{2028}b\u{2029}"), "a\\u{2028}b\\u{2029}");
        assert_eq!(inert("a\u{200f}b\u{61c}"), "a\\u{200f}b\\u{61c}");
        // Letters of right-to-left scripts are shown as they are.
        assert_eq!(inert("שלום مرحبا"), "שלום مرحبا");
    }

    #[test]
    fn inert_output_has_no_unsafe_character() {
        let all: String = (0u32..0x3000).filter_map(char::from_u32).collect();
        let shown = inert(&all);
        assert!(!shown.chars().any(is_unsafe), "{shown:?}");
        assert!(!shown.contains('\n') && !shown.contains('\x1b'));
    }

    fn env(force: Option<&str>, no_color: Option<&str>, ci: Option<&str>) -> TermEnv {
        TermEnv {
            clicolor_force: force.map(OsString::from),
            no_color: no_color.map(OsString::from),
            ci: ci.map(OsString::from),
        }
    }

    #[test]
    fn the_flag_beats_the_environment() {
        let forced = env(Some("1"), None, None);
        assert!(!use_color(ColorWhen::Never, &forced, true));
        let refused = env(None, Some("1"), None);
        assert!(use_color(ColorWhen::Always, &refused, false));
    }

    #[test]
    fn clicolor_force_beats_no_color_and_the_terminal() {
        assert!(use_color(
            ColorWhen::Auto,
            &env(Some("1"), Some("1"), None),
            false
        ));
        assert!(use_color(
            ColorWhen::Auto,
            &env(Some("yes"), None, None),
            false
        ));
    }

    #[test]
    fn clicolor_force_empty_or_zero_forces_nothing() {
        for value in ["", "0"] {
            assert!(!use_color(
                ColorWhen::Auto,
                &env(Some(value), None, None),
                false
            ));
            assert!(use_color(
                ColorWhen::Auto,
                &env(Some(value), None, None),
                true
            ));
        }
    }

    #[test]
    fn no_color_with_any_value_but_empty_turns_colours_off() {
        for value in ["1", "0", "false"] {
            assert!(!use_color(
                ColorWhen::Auto,
                &env(None, Some(value), None),
                true
            ));
        }
        assert!(use_color(ColorWhen::Auto, &env(None, Some(""), None), true));
    }

    #[test]
    fn otherwise_the_terminal_decides() {
        assert!(use_color(ColorWhen::Auto, &TermEnv::default(), true));
        assert!(!use_color(ColorWhen::Auto, &TermEnv::default(), false));
    }

    #[test]
    fn progress_needs_a_terminal_and_no_captured_ci_run() {
        let none = TermEnv::default();
        assert!(show_progress(&none, true, false));
        assert!(!show_progress(&none, false, true));
        let ci = env(None, None, Some("true"));
        assert!(!show_progress(&ci, true, false));
        assert!(show_progress(&ci, true, true));
        for off in ["", "0", "false"] {
            assert!(show_progress(&env(None, None, Some(off)), true, false));
        }
    }

    #[test]
    fn the_flag_is_found_before_parsing() {
        let args = |list: &[&str]| list.iter().map(OsString::from).collect::<Vec<_>>();
        assert_eq!(color_flag(&args(&["clearance", "check"])), ColorWhen::Auto);
        assert_eq!(
            color_flag(&args(&["clearance", "check", "--color", "never", "--help"])),
            ColorWhen::Never
        );
        assert_eq!(
            color_flag(&args(&["clearance", "diff", "--color=always"])),
            ColorWhen::Always
        );
        assert_eq!(
            color_flag(&args(&["clearance", "check", "--", "--color=always"])),
            ColorWhen::Auto
        );
    }
}
