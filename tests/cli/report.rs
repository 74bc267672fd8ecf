//! The HTML report in a real browser: Debian's Chromium, headless (installed by
//! scripts/test.sh). A screenshot is kept under target/ as an artifact; the DOM after the
//! page's own script ran must have the charts and tables, and the hostile package's payloads
//! (in its description, authors and license text) must change neither the title nor the DOM.

use std::path::Path;
use std::process::Command;

use crate::util::{clearance, fixture, repo, stderr};

pub(crate) fn chromium() -> &'static str {
    for candidate in ["/usr/bin/chromium", "/usr/bin/chromium-browser"] {
        if Path::new(candidate).exists() {
            return candidate;
        }
    }
    panic!(
        "Chromium is not installed: scripts/test.sh installs Debian's `chromium` package (apt-get install chromium)"
    );
}

pub(crate) fn headless(args: &[&str], page: &Path) -> std::process::Output {
    let profile = tempfile::tempdir().unwrap();
    Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap()
}

/// Takes a screenshot of `page` into `shot` (kept as an artifact) in a window of `size`
/// (`WIDTH,HEIGHT`), and checks that something was drawn.
pub(crate) fn screenshot(page: &Path, shot: &Path, size: &str) {
    let _ = std::fs::remove_file(shot);
    let out = headless(
        &[
            &format!("--window-size={size}"),
            &format!("--screenshot={}", shot.display()),
        ],
        page,
    );
    assert!(
        shot.metadata().map(|m| m.len() > 10_000).unwrap_or(false),
        "screenshot: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_report_renders_in_chromium_and_payloads_stay_inert() {
    let artifacts = repo().join("target/report-artifacts");
    std::fs::create_dir_all(&artifacts).unwrap();
    let page = artifacts.join("report.html");
    let m = fixture("notice/Cargo.toml");
    let out = clearance()
        .args([
            "report",
            "--offline",
            "--manifest-path",
            m.to_str().unwrap(),
            "-o",
            page.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(
        !html.contains("<script>document"),
        "payloads are escaped in the file"
    );
    assert!(!html.contains("href=\"javascript:"), "no javascript: links");
    assert!(
        !html.contains("http://") || !html.contains("src=\"http"),
        "nothing loaded from the network"
    );

    screenshot(&page, &artifacts.join("report.png"), "1200,1400");

    let out = headless(&["--dump-dom"], &page);
    let dom = String::from_utf8(out.stdout).unwrap();
    assert!(
        dom.contains("<title>notice-app 1.0.0: license report</title>"),
        "the title is untouched: {}",
        &dom[..dom.len().min(400)]
    );
    assert!(!dom.contains("pwned</title>") && !dom.contains("<title>pwned"));
    assert_eq!(
        dom.matches("<script").count(),
        1,
        "only the report's own script"
    );
    assert!(!dom.contains("<img"), "no injected elements");
    for id in [
        "id=\"chart-licenses\"",
        "id=\"chart-categories\"",
        "id=\"packages\"",
        "id=\"findings\"",
        "id=\"filter\"",
    ] {
        assert!(dom.contains(id), "{id} is in the DOM");
    }
    assert_eq!(
        dom.matches("<rect class=\"bar\"").count(),
        7,
        "4 license bars and 3 category bars"
    );
    let rows = dom
        .split("id=\"packages\"")
        .nth(1)
        .and_then(|t| t.split("<tbody>").nth(1))
        .and_then(|t| t.split("</tbody>").next())
        .unwrap()
        .matches("<tr>")
        .count();
    assert_eq!(rows, 5, "one row per third-party package");
    assert!(
        dom.contains("&lt;script&gt;document.title='pwned-author'&lt;/script&gt;"),
        "shown as text"
    );
}

// ---- Templates of `report`, `notice` and `third-party` ----
//
// Links go only to `http(s)` URLs, through the `url` helper; a template that would recurse
// or nest without bound is refused (exit 2, its file, line and column named) before anything
// is rendered.

/// Runs `clearance COMMAND --template TEMPLATE` on the notice fixture (its hostile package
/// declares `repository = "javascript:alert(1)"`), with `extra` arguments.
fn with_template(command: &str, template: &Path, extra: &[&str]) -> std::process::Output {
    let m = fixture("notice/Cargo.toml");
    clearance()
        .args([command, "--offline", "--manifest-path", m.to_str().unwrap()])
        .arg("--template")
        .arg(template)
        .args(extra)
        .output()
        .unwrap()
}

/// Asserts that `template` is refused by `command` with exit code 2 and `code`, at `place`
/// (`file:line:column`), without writing anything.
fn assert_refused(command: &str, template: &Path, code: &str, place: &str) {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("out");
    let out = with_template(command, template, &["-o", target.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{command} {place}: {err}");
    assert!(err.contains(&format!("error[{code}]")), "{command}: {err}");
    assert!(err.contains(place), "{command}: {place} in {err}");
    assert!(err.contains("= help:"), "{command}: {err}");
    assert!(
        !err.contains("panicked") && !err.contains("overflow"),
        "{err}"
    );
    assert!(!target.exists(), "{command}: nothing is written");
}

#[test]
fn templates_that_recurse_or_nest_too_deep_are_refused_with_their_place() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    let recursive = write(
        "recursive.hbs",
        "{{#*inline \"p\"}}{{> p}}{{/inline}}{{> p}}\n".to_owned(),
    );
    let deep = write(
        "deep.hbs",
        format!("{}x{}\n", "{{#if x}}".repeat(5000), "{{/if}}".repeat(5000)),
    );
    for command in ["notice", "third-party", "report"] {
        assert_refused(
            command,
            &recursive,
            "template-recursive-partial",
            "recursive.hbs:1:17",
        );
        // The 101st `{{#if x}}` (9 characters each) is where the limit of 100 is crossed.
        assert_refused(command, &deep, "template-too-deep", "deep.hbs:1:901");
    }

    let mutual = write(
        "mutual.hbs",
        "{{#*inline \"a\"}}{{> b}}{{/inline}}\n{{#*inline \"b\"}}\n  {{#if product}}{{> a}}{{/if}}{{/inline}}\n{{> a}}\n".to_owned(),
    );
    assert_refused(
        "notice",
        &mutual,
        "template-recursive-partial",
        "mutual.hbs:3:18",
    );
    let lines = write(
        "lines.hbs",
        format!(
            "{}x\n{}",
            "{{#each licenses}}\n".repeat(5000),
            "{{/each}}\n".repeat(5000)
        ),
    );
    assert_refused("notice", &lines, "template-too-deep", "lines.hbs:101:1");
    let chain = write(
        "chain.hbs",
        format!(
            "{{{{#if x}}}}a{}{{{{/if}}}}\n",
            "{{else if x}}b".repeat(5000)
        ),
    );
    assert_refused("notice", &chain, "template-too-deep", "chain.hbs:1:");
    let subexpressions = write(
        "sub.hbs",
        format!("{{{{md {}x{}}}}}\n", "(md ".repeat(5000), ")".repeat(5000)),
    );
    assert_refused("notice", &subexpressions, "template-too-deep", "sub.hbs:1:");
    let dynamic = write(
        "dynamic.hbs",
        "{{#*inline \"p\"}}x{{/inline}}{{> (lookup product \"name\")}}\n".to_owned(),
    );
    assert_refused(
        "notice",
        &dynamic,
        "template-dynamic-partial",
        "dynamic.hbs:1:29",
    );
}

#[test]
fn long_flat_templates_and_legal_nesting_still_render() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("nested.hbs");
    std::fs::write(
        &nested,
        format!(
            "{}{{{{product.name}}}}{}\n",
            "{{#if product}}".repeat(50),
            "{{/if}}".repeat(50)
        ),
    )
    .unwrap();
    let out = with_template("notice", &nested, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "notice-app\n");

    // 256 KiB of text with 300 tags, and a partial used in a loop.
    let flat = dir.path().join("flat.hbs");
    let mut text = String::from("{{#*inline \"row\"}}{{name}} {{/inline}}");
    for _ in 0..100 {
        text.push_str(&"lorem ipsum ".repeat(218));
        text.push_str("{{#each packages}}{{> row}}{{/each}}\n");
    }
    std::fs::write(&flat, &text).unwrap();
    let out = with_template("notice", &flat, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = String::from_utf8(out.stdout).unwrap();
    assert_eq!(shown.lines().count(), 100);
    assert!(
        shown.lines().all(|l| l.ends_with("hostile mismatch ")),
        "{shown:.300}"
    );
}

#[test]
fn links_are_made_only_to_http_urls() {
    let m = fixture("notice/Cargo.toml");
    let built_in = |command: &str| {
        let out = clearance()
            .args([command, "--offline", "--manifest-path", m.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        String::from_utf8(out.stdout).unwrap()
    };
    let html = built_in("report");
    assert!(
        !html.contains("javascript:"),
        "the hostile repository is neither linked nor shown"
    );
    assert!(html.contains("<td>hostile<div"), "its name is not a link");
    let markdown = built_in("third-party");
    assert!(!markdown.contains("javascript:"), "{markdown}");

    let dir = tempfile::tempdir().unwrap();
    let custom = dir.path().join("links.hbs");
    std::fs::write(
        &custom,
        "{{#each packages}}{{name}}=<a href=\"{{url repository}}\">{{{url repository}}}</a>{{#if (url repository)}}linked{{/if}};{{/each}}\n",
    )
    .unwrap();
    let out = with_template("report", &custom, &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let shown = String::from_utf8(out.stdout).unwrap();
    assert!(shown.contains("hostile=<a href=\"\"></a>;"), "{shown}");
    assert!(!shown.contains("javascript"), "{shown}");
}
