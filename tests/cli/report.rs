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
