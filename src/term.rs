//! Terminal conventions, decided in one place: whether output is coloured, and whether
//! progress is drawn.
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

use std::ffi::{OsStr, OsString};

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

#[cfg(test)]
mod tests {
    use super::*;

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
