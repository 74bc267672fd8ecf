//! Copyright lines from license and NOTICE files: lines that state a copyright (`Copyright
//! (c) 2016 Jane Doe`, `© 2020 Example Corp`, `(C) 1995 …`), whitespace normalised, without the
//! template placeholders and legal sentences that merely mention copyright ("the above
//! copyright notice", "Copyright [yyyy] [name of copyright owner]").

/// The copyright statements in `text`, in order of appearance, without duplicates.
pub fn copyright_lines(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines().filter(|l| may_be_statement(l)) {
        let normalised = normalise(line);
        if is_statement(&normalised) && !out.contains(&normalised) {
            out.push(normalised);
        }
    }
    out
}

/// `text` without its copyright statements (so that one package's copy of a license can stand
/// for every package under it), trimmed of blank lines at both ends, with a final newline.
pub fn without_copyright_lines(text: &str) -> String {
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !(may_be_statement(l) && is_statement(&normalise(l))))
        .collect();
    let mut out = kept.join("\n").trim_matches('\n').to_owned();
    out.push('\n');
    out
}

/// A cheap first test: after comment markers, the line starts with a copyright marker.
fn may_be_statement(line: &str) -> bool {
    let start = line
        .trim_start()
        .trim_start_matches(['*', '#', '/', ';', '-', '"', '\''])
        .trim_start();
    let head = start.get(..9).unwrap_or(start);
    head.starts_with('©')
        || head.starts_with("(c)")
        || head.starts_with("(C)")
        || head.eq_ignore_ascii_case("copyright")
        || head.eq_ignore_ascii_case("portions ")
}

fn normalise(line: &str) -> String {
    let trimmed = line
        .trim()
        .trim_start_matches(['*', '#', '/', ';', '-', '"', '\''])
        .trim();
    trimmed.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_statement(line: &str) -> bool {
    let lower = line.to_lowercase();
    let starts = lower.starts_with("copyright")
        || lower.starts_with("(c)")
        || line.starts_with('©')
        || lower.starts_with("portions copyright")
        || lower.starts_with("portions (c)");
    if !starts || line.len() < 12 || line.len() > 300 {
        return false;
    }
    const NOT_A_STATEMENT: &[&str] = &[
        "copyright notice",
        "copyright holder",
        "copyright owner",
        " be liable",
        " shall ",
        "[yyyy]",
        "[year]",
        "<year>",
        "{yyyy}",
        "copyright (c) <",
        "copyright license",
        "copyright and ",
        "permission notice",
        "copyright law",
        "copyright statement",
        "copyright, patent",
        "copyright and related",
        "copyright interest",
        "copyright to",
        "copyright on",
        "copyright in",
        "copyrights",
        "copyright is owned",
    ];
    if NOT_A_STATEMENT.iter().any(|p| lower.contains(p)) {
        return false;
    }
    // A statement names a year or a holder after the marker.
    let has_year = line
        .as_bytes()
        .windows(4)
        .any(|w| w.iter().all(u8::is_ascii_digit) && (w[0] == b'1' || w[0] == b'2'));
    // A bare `(c)` also starts list items in license texts ("(c) You must retain …"): there a
    // year is required.
    if lower.starts_with("(c)") && !has_year {
        return false;
    }
    let after = lower
        .trim_start_matches("portions ")
        .trim_start_matches("copyright")
        .trim_start_matches(['(', 'c', ')', '©', ' ', ':'])
        .trim();
    has_year || after.split_whitespace().count() >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_statements_and_drops_mentions() {
        let text = "MIT License\n\nCopyright (c) 2016   Jane   Doe\n © 2020 Example Corp.\n\n  Permission is hereby granted ... The above copyright notice and this permission notice\nCopyright [yyyy] [name of copyright owner]\nCopyright (c) 2016 Jane Doe\n   * Copyright 2019-2024 The Rust Project Developers\nCOPYRIGHT HOLDERS BE LIABLE\n(C) 1995 Someone\n";
        assert_eq!(
            copyright_lines(text),
            [
                "Copyright (c) 2016 Jane Doe",
                "© 2020 Example Corp.",
                "Copyright 2019-2024 The Rust Project Developers",
                "(C) 1995 Someone"
            ]
        );
    }

    #[test]
    fn statements_are_removed_from_a_text() {
        let text = "\nMIT License\n\n  Copyright (c) 2016 Jane Doe\n\nPermission is hereby granted. The above copyright notice stays.\n\n";
        assert_eq!(
            without_copyright_lines(text),
            "MIT License\n\n\nPermission is hereby granted. The above copyright notice stays.\n"
        );
    }

    #[test]
    fn license_boilerplate_is_not_a_statement() {
        for line in [
            "(c) You must retain, in the Source form of any Derivative Works",
            "COPYRIGHT AND PERMISSION NOTICE",
            "Copyright and license",
            "copyright law of the United States",
            "Copyright (c) <year> <copyright holders>",
            "COPYRIGHT OWNER OR CONTRIBUTORS BE LIABLE",
        ] {
            assert!(copyright_lines(line).is_empty(), "{line}");
        }
    }
}
