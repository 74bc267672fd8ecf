//! The helpers templates can call: `md` (a value as one Markdown table cell) and `url` (a
//! link target that can only be an `http://` or `https://` URL). Both only format.

use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderErrorReason,
};

/// `value` when it is an absolute `http://` or `https://` URL (the scheme in any case) with
/// a host, written only with the characters RFC 3986 allows in a URL, brackets excepted:
/// no `javascript:`, `data:` or other scheme, no relative reference, no whitespace, control
/// character, quote, angle bracket, backslash or non-ASCII character. Else `None`.
pub fn http_url(value: &str) -> Option<&str> {
    let rest = strip_prefix_ignore_case(value, "https://")
        .or_else(|| strip_prefix_ignore_case(value, "http://"))?;
    let host_starts = rest.bytes().next()?;
    if matches!(host_starts, b'/' | b'?' | b'#' | b'@') {
        return None;
    }
    value.bytes().all(is_url_byte).then_some(value)
}

fn strip_prefix_ignore_case<'a>(value: &'a str, prefix: &str) -> Option<&'a str> {
    let head = value.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &value[prefix.len()..])
}

/// The unreserved and reserved characters of RFC 3986 and `%`, without `[` and `]` (which
/// only IPv6 hosts need, and which Markdown reads as a link).
fn is_url_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"-._~:/?#@!$&'()*+,;=%".contains(&b)
}

/// The helper's first parameter, or the error naming the helper that lacks it.
fn first_param<'a>(
    h: &'a Helper<'_>,
    helper: &'static str,
) -> Result<&'a serde_json::Value, RenderErrorReason> {
    h.param(0)
        .map(|p| p.value())
        .ok_or(RenderErrorReason::ParamNotFoundForIndex(helper, 0))
}

/// `{{url value}}`: the value when [`http_url`] accepts it, else nothing; escaped for HTML
/// (as an attribute value) in the HTML documents, even inside `{{{ }}}`.
pub fn url(
    h: &Helper<'_>,
    r: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    let value = first_param(h, "url")?;
    if let Some(link) = value.as_str().and_then(http_url) {
        out.write(&r.get_escape_fn()(link))?;
    }
    Ok(())
}

/// `{{md value}}`: the value as one Markdown table cell: pipes, brackets and a backslash
/// before punctuation escaped with a backslash (no table cell ends and no link forms),
/// line breaks as spaces, angle brackets as entities (no HTML passes through).
pub fn md(
    h: &Helper<'_>,
    _: &Handlebars<'_>,
    _: &Context,
    _: &mut RenderContext<'_, '_>,
    out: &mut dyn Output,
) -> HelperResult {
    let value = first_param(h, "md")?;
    let text = match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    };
    out.write(&md_cell(&text))?;
    Ok(())
}

/// The escaping of [`md`].
pub fn md_cell(text: &str) -> String {
    let mut cell = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(char::is_ascii_punctuation) => cell.push_str("\\\\"),
            '|' => cell.push_str("\\|"),
            '[' => cell.push_str("\\["),
            ']' => cell.push_str("\\]"),
            '\n' | '\r' => cell.push(' '),
            '<' => cell.push_str("&lt;"),
            '>' => cell.push_str("&gt;"),
            c => cell.push(c),
        }
    }
    cell
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_and_https_urls_are_kept() {
        for kept in [
            "https://github.com/owner/repo",
            "http://example.org/",
            "HTTPS://Example.org/a?b=c&d=e#f",
            "https://example.org:8443/~user/(x)",
        ] {
            assert_eq!(http_url(kept), Some(kept), "{kept}");
        }
    }

    #[test]
    fn other_schemes_and_junk_are_dropped() {
        for dropped in [
            "javascript:alert(1)",
            "JaVaScRiPt:alert(1)",
            " javascript:alert(1)",
            "\tjavascript:alert(1)",
            "java\nscript:alert(1)",
            "data:text/html,<script>alert(1)</script>",
            "DATA:text/html;base64,PHNjcmlwdD4=",
            "vbscript:msgbox(1)",
            " https://example.org",
            "https://example.org ",
            "https://exa\u{0}mple.org",
            "https://example.org/\u{7f}",
            "https:///example.org",
            "https://",
            "https:example.org",
            "//example.org/repo",
            "/relative/path",
            "example.org",
            "git@github.com:owner/repo.git",
            "ssh://git@github.com/owner/repo",
            "https://example.org/\"onmouseover=\"alert(1)",
            "https://example.org/<script>",
            "https://example.org/[x](javascript:alert(1))",
            "https://example.org\\@evil.example",
            "https://exämple.org",
            "",
        ] {
            assert_eq!(http_url(dropped), None, "{dropped:?}");
        }
    }

    fn render(escape_html: bool, template: &str, data: &serde_json::Value) -> String {
        let mut hb = Handlebars::new();
        hb.set_strict_mode(true);
        hb.register_helper("url", Box::new(url));
        hb.register_helper("md", Box::new(md));
        if !escape_html {
            hb.register_escape_fn(handlebars::no_escape);
        }
        hb.render_template(template, data).unwrap()
    }

    #[test]
    fn the_url_helper_writes_safe_links_only() {
        let data = serde_json::json!({
            "good": "https://example.org/a?b=c&d='e'",
            "bad": "javascript:alert(1)",
            "mixed": "JavaScript:alert(1)",
            "spaced": "  javascript:alert(1)",
            "none": null,
            "number": 7,
        });
        let html = "<a href=\"{{url good}}\">{{{url good}}}</a>|{{url bad}}|{{url mixed}}|{{{url spaced}}}|{{url none}}|{{url number}}|{{#if (url bad)}}linked{{else}}text{{/if}}";
        assert_eq!(
            render(true, html, &data),
            "<a href=\"https://example.org/a?b&#x3D;c&amp;d&#x3D;&#x27;e&#x27;\">https://example.org/a?b&#x3D;c&amp;d&#x3D;&#x27;e&#x27;</a>||||||text"
        );
        assert_eq!(
            render(false, "{{url good}} {{url bad}}.", &data),
            "https://example.org/a?b=c&d='e' ."
        );
    }

    #[test]
    fn a_markdown_cell_cannot_end_the_cell_link_or_carry_html() {
        assert_eq!(
            md_cell("a|b [x](javascript:y) <b>\nc \\| C:\\dir"),
            "a\\|b \\[x\\](javascript:y) &lt;b&gt; c \\\\\\| C:\\dir"
        );
    }
}
