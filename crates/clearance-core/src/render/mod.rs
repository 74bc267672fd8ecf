//! Rendering NOTICE, THIRD_PARTY.md and the HTML report from handlebars templates: embedded
//! in the binary, overridable with `--template FILE`, in strict mode (a misspelt field fails
//! loudly), escaping HTML for the report and nothing for text. Helpers only format. A
//! template is checked before it is rendered: it may nest at most [`limits::MAX_DEPTH`]
//! levels deep, and no partial may include itself, so that none can exhaust the stack.

pub mod helpers;
pub mod limits;
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
                include_str!("../../../../templates/NOTICE.hbs"),
            ),
            Document::ThirdParty => (
                "templates/THIRD_PARTY.md.hbs",
                include_str!("../../../../templates/THIRD_PARTY.md.hbs"),
            ),
            Document::Report => (
                "templates/report.html.hbs",
                include_str!("../../../../templates/report.html.hbs"),
            ),
            Document::SnapshotPage => (
                "templates/snapshot.html.hbs",
                include_str!("../../../../templates/snapshot.html.hbs"),
            ),
            Document::SnapshotSummary => (
                "templates/snapshot.md.hbs",
                include_str!("../../../../templates/snapshot.md.hbs"),
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
    let path = Path::new(&name);
    limits::check_source(path, &source).map_err(RenderError::Template)?;
    let mut hb = Handlebars::new();
    hb.set_strict_mode(true);
    hb.register_helper("md", Box::new(helpers::md));
    hb.register_helper("url", Box::new(helpers::url));
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
                path, &source, line, column,
            ))
            .with_help("fix the template syntax here"),
        ))
    })?;
    if let Some(compiled) = hb.get_template(&name) {
        limits::check_partials(path, &source, &name, compiled).map_err(RenderError::Template)?;
    }
    hb.render(&name, context).map_err(|e| RenderError::Render {
        template: name.clone(),
        message: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render_text(template: &str) -> Result<String, RenderError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.hbs");
        std::fs::write(&path, template).unwrap();
        let context = serde_json::json!({ "list": [1], "name": "x" });
        render(Document::Notice, &context, Some(&path))
    }

    /// Templates at the limit render, on a test thread's small stack, whatever the levels are
    /// made of.
    #[test]
    fn templates_at_the_limit_render() {
        let n = limits::MAX_DEPTH;
        let each = format!(
            "{}{{{{@root.name}}}}{}",
            "{{#each @root.list}}".repeat(n),
            "{{/each}}".repeat(n)
        );
        assert_eq!(render_text(&each).unwrap(), "x");
        let mut chain = String::new();
        for i in 0..n - 1 {
            chain.push_str(&format!(
                "{{{{#*inline \"p{i}\"}}}}{{{{#with @root}}}}{{{{> p{}}}}}{{{{/with}}}}{{{{/inline}}}}",
                i + 1
            ));
        }
        chain.push_str(&format!(
            "{{{{#*inline \"p{}\"}}}}{{{{name}}}}{{{{/inline}}}}{{{{> p0}}}}",
            n - 1
        ));
        let refused = render_text(&chain).unwrap_err();
        assert!(
            refused.to_string().contains("template-too-deep"),
            "{refused}"
        );
        let half: String = chain
            .replace("{{#with @root}}", "")
            .replace("{{/with}}", "");
        assert_eq!(render_text(&half).unwrap(), "x");
        let sub = format!(
            "{{{{md {}name{}}}}}",
            "(md ".repeat(n - 1),
            ")".repeat(n - 1)
        );
        assert_eq!(render_text(&sub).unwrap(), "x");
    }

    #[test]
    fn the_built_in_templates_are_within_the_limits() {
        for document in [
            Document::Notice,
            Document::ThirdParty,
            Document::Report,
            Document::SnapshotPage,
            Document::SnapshotSummary,
        ] {
            let (name, source) = document.builtin();
            let path = Path::new(name);
            limits::check_source(path, source).unwrap();
            let template = handlebars::Template::compile(source).unwrap();
            limits::check_partials(path, source, name, &template).unwrap();
        }
    }

    #[test]
    fn refusals_name_the_file_line_and_column() {
        let err = render_text("line\n  {{#*inline \"p\"}}{{> p}}{{/inline}}{{> p}}").unwrap_err();
        let shown = err.to_string();
        assert!(
            shown.starts_with("error[template-recursive-partial]"),
            "{shown}"
        );
        assert!(shown.contains("t.hbs:2:19"), "{shown}");
        assert!(shown.contains("= help:"), "{shown}");
    }
}
