//! Rendering NOTICE, THIRD_PARTY.md and the HTML report from handlebars templates: embedded
//! in the binary, overridable with `--template FILE`, in strict mode (a misspelt field fails
//! loudly), escaping HTML for the report and nothing for text. Helpers only format.

pub mod view;

use std::path::Path;

use handlebars::Handlebars;

pub use view::{Context, Inputs, build_context};

/// A document clearance renders.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    /// The NOTICE file (plain text).
    Notice,
    /// THIRD_PARTY.md (Markdown).
    ThirdParty,
    /// The self-contained HTML report.
    Report,
    /// A snapshot's page for reviewers (`index.html`).
    SnapshotPage,
    /// A snapshot's Markdown summary (`summary.md`).
    SnapshotSummary,
}

impl Document {
    fn builtin(self) -> (&'static str, &'static str) {
        match self {
            Document::Notice => (
                "templates/NOTICE.hbs",
                include_str!("../../templates/NOTICE.hbs"),
            ),
            Document::ThirdParty => (
                "templates/THIRD_PARTY.md.hbs",
                include_str!("../../templates/THIRD_PARTY.md.hbs"),
            ),
            Document::Report => (
                "templates/report.html.hbs",
                include_str!("../../templates/report.html.hbs"),
            ),
            Document::SnapshotPage => (
                "templates/snapshot.html.hbs",
                include_str!("../../templates/snapshot.html.hbs"),
            ),
            Document::SnapshotSummary => (
                "templates/snapshot.md.hbs",
                include_str!("../../templates/snapshot.md.hbs"),
            ),
        }
    }

    fn escapes_html(self) -> bool {
        matches!(self, Document::Report | Document::SnapshotPage)
    }
}

/// What can go wrong rendering.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The template file could not be read.
    #[error("cannot read the template {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The template is not valid handlebars.
    #[error("{0}")]
    Template(Box<crate::diag::Diagnostic>),
    /// Rendering failed (strict mode: a field the context does not have).
    #[error(
        "rendering {template} failed: {message}\n  = help: the fields templates can use are printed by --dump-context and documented in docs/templates.md"
    )]
    Render {
        /// The template.
        template: String,
        /// What handlebars said.
        message: String,
    },
}

/// Renders `document` with `context` (a [`Context`] for NOTICE, THIRD_PARTY.md and the
/// report; the snapshot's own context for its pages), from `template` when given, else the
/// built-in template.
pub fn render<T: serde::Serialize>(
    document: Document,
    context: &T,
    template: Option<&Path>,
) -> Result<String, RenderError> {
    let (name, source) = match template {
        Some(path) => (
            path.display().to_string(),
            std::fs::read_to_string(path).map_err(|source| RenderError::Io {
                path: path.display().to_string(),
                source,
            })?,
        ),
        None => (
            document.builtin().0.to_owned(),
            document.builtin().1.to_owned(),
        ),
    };
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_helper("md", Box::new(md_cell));
    if !document.escapes_html() {
        hb.register_escape_fn(handlebars::no_escape);
    }
    hb.register_template_string(&name, &source).map_err(|e| {
        let (line, column) = e.pos().unwrap_or((1, 1));
        RenderError::Template(Box::new(
            crate::diag::Diagnostic::error(
                "template-syntax",
                format!("the template is not valid handlebars: {}", e.reason()),
            )
            .at(crate::diag::Location::from_line_column(
                Path::new(&name),
                &source,
                line,
                column,
            ))
            .with_help("fix the template syntax here"),
        ))
    })?;
    hb.render(&name, context).map_err(|e| RenderError::Render {
        template: name.clone(),
        message: e.to_string(),
    })
}

/// `{{md value}}`: the value as one Markdown table cell (pipes escaped, line breaks as spaces,
/// angle brackets as entities so that no HTML is passed through).
fn md_cell(
    h: &handlebars::Helper<'_>,
    _: &Handlebars<'_>,
    _: &handlebars::Context,
    _: &mut handlebars::RenderContext<'_, '_>,
    out: &mut dyn handlebars::Output,
) -> handlebars::HelperResult {
    let value = h
        .param(0)
        .map(|p| p.value())
        .ok_or_else(|| handlebars::RenderErrorReason::ParamNotFoundForIndex("md", 0))?;
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
    let cell = text
        .replace('|', "\\|")
        .replace(['\n', '\r'], " ")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    out.write(&cell)?;
    Ok(())
}
