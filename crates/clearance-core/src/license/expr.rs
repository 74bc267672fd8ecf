//! SPDX license expressions: normalising what packages declare into valid SPDX 2.3
//! expressions with the `spdx` crate.
//!
//! Crates on crates.io still carry pre-SPDX forms such as `MIT/Apache-2.0`, `Apache-2.0 / MIT`
//! or `LGPL-3.0+`. [`normalise_declared`] turns them into strict SPDX expressions
//! (`MIT OR Apache-2.0`, `LGPL-3.0-or-later`) and reports what cannot be understood instead of
//! guessing.

use spdx::{Expression, ParseMode};

/// The outcome of normalising a declared license string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NormalisedLicense {
    /// A valid SPDX expression in canonical form (it parses in strict mode).
    Expression(String),
    /// The string is not an SPDX expression, even read leniently; the reason says why.
    Invalid {
        /// What the parser objected to, e.g. "unknown license id" at a position.
        reason: String,
    },
}

/// Normalises a declared license string (from Cargo.toml or an SBOM) into a strict SPDX
/// expression.
///
/// Legacy forms are mapped with the `spdx` crate's lax mode: `/` as `OR`, imprecise names
/// (`Apache 2.0`), `+` on GNU licenses as `-or-later`, bare deprecated GNU ids as `-only`.
///
/// ```
/// use clearance_core::license::{NormalisedLicense, normalise_declared};
///
/// assert_eq!(
///     normalise_declared("MIT/Apache-2.0"),
///     NormalisedLicense::Expression("MIT OR Apache-2.0".into())
/// );
/// assert!(matches!(normalise_declared("Not A License"), NormalisedLicense::Invalid { .. }));
/// ```
pub fn normalise_declared(raw: &str) -> NormalisedLicense {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return NormalisedLicense::Invalid {
            reason: "the license string is empty".to_owned(),
        };
    }
    if Expression::parse(trimmed).is_ok() {
        return NormalisedLicense::Expression(trimmed.to_owned());
    }
    let canonical = match Expression::canonicalize(trimmed) {
        Ok(Some(c)) => c,
        Ok(None) => trimmed.to_owned(),
        Err(e) => return invalid(&e),
    };
    match Expression::parse_mode(&canonical, ParseMode::STRICT) {
        Ok(_) => NormalisedLicense::Expression(canonical),
        Err(e) => match Expression::parse_mode(trimmed, ParseMode::LAX) {
            // Lax parsing understood it but canonical form still fails strict parsing (e.g. a
            // deprecated id with no successor): keep the canonical text, it is still the
            // clearest statement of what was declared.
            Ok(_) => NormalisedLicense::Expression(canonical),
            Err(_) => invalid(&e),
        },
    }
}

fn invalid(e: &spdx::ParseError) -> NormalisedLicense {
    NormalisedLicense::Invalid {
        reason: format!(
            "{} at characters {}..{}",
            e.reason, e.span.start, e.span.end
        ),
    }
}

/// A valid `LicenseRef-` identifier built from free-form parts (package name, file name):
/// characters outside `[A-Za-z0-9.-]` become `-`.
pub fn license_ref_id(parts: &[&str]) -> String {
    let mut id = String::from("LicenseRef");
    for part in parts {
        id.push('-');
        id.extend(part.chars().map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        }));
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        match normalise_declared(s) {
            NormalisedLicense::Expression(e) => e,
            NormalisedLicense::Invalid { reason } => panic!("{s}: {reason}"),
        }
    }

    #[test]
    fn keeps_valid_expressions_as_they_are() {
        assert_eq!(norm("MIT OR Apache-2.0"), "MIT OR Apache-2.0");
        assert_eq!(
            norm("(MIT OR Apache-2.0) AND Unicode-3.0"),
            "(MIT OR Apache-2.0) AND Unicode-3.0"
        );
        assert_eq!(
            norm("Apache-2.0 WITH LLVM-exception"),
            "Apache-2.0 WITH LLVM-exception"
        );
        assert_eq!(norm("LicenseRef-Foo OR MIT"), "LicenseRef-Foo OR MIT");
    }

    #[test]
    fn normalises_legacy_forms() {
        assert_eq!(norm("MIT/Apache-2.0"), "MIT OR Apache-2.0");
        assert_eq!(norm("Apache-2.0 / MIT"), "Apache-2.0 OR MIT");
        assert_eq!(norm("LGPL-3.0+"), "LGPL-3.0-or-later");
        assert_eq!(norm("GPL-2.0"), "GPL-2.0-only");
        assert_eq!(norm("  MIT  "), "MIT");
    }

    #[test]
    fn reports_what_it_cannot_understand() {
        for bad in ["", "Not A License", "MIT OR", "MIT AND (Apache-2.0"] {
            assert!(
                matches!(normalise_declared(bad), NormalisedLicense::Invalid { .. }),
                "{bad:?} should be invalid"
            );
        }
    }

    #[test]
    fn license_ref_ids_are_valid_idstrings() {
        assert_eq!(
            license_ref_id(&["my_crate", "LICENSE.txt"]),
            "LicenseRef-my-crate-LICENSE.txt"
        );
        let id = license_ref_id(&["a b/c"]);
        assert!(spdx::Expression::parse(&id).is_ok(), "{id}");
    }
}
