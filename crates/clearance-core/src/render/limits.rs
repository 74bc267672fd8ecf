//! Bounds on how deep a template may nest, checked before it is rendered, so that no
//! template can exhaust the stack: rendering recurses once per block, `else if` branch,
//! subexpression and partial.
//!
//! Two checks run. [`check_source`] scans the text before handlebars parses it and refuses
//! blocks, `else if` chains, subexpressions and literals nested more than [`MAX_DEPTH`]
//! deep, naming the tag where the limit is crossed. [`check_partials`] walks the parsed
//! template and follows its partials: a partial that includes itself (directly or through
//! other partials), a partial whose name is computed, or a chain of partials that nests
//! deeper than [`MAX_DEPTH`] in total is refused too. Both bound their own recursion by the
//! same limit.

use std::collections::HashMap;
use std::path::Path;

use handlebars::Template;
use handlebars::template::{DecoratorTemplate, HelperTemplate, Parameter, TemplateElement};

use crate::diag::{Diagnostic, Location};

/// How deep blocks, `else if` branches, subexpressions, literals and partials may nest in a
/// template, counted together (docs/templates.md, "Limits").
pub const MAX_DEPTH: usize = 100;

/// Where to send the author of a template that nests too deep.
const DEPTH_HELP: &str = "nest blocks, `else if` branches, subexpressions and partials at most 100 levels deep (docs/templates.md, \"Limits\"): close blocks sooner, or flatten long `else if` chains";

/// A problem found by the checks, as a code, a message, a byte offset or a line and column,
/// a label and a help text; [`Found::into_diagnostic`] places it in the file.
struct Found {
    code: &'static str,
    message: String,
    at: Position,
    label: String,
    help: String,
}

/// A place in the template's source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Position {
    /// A byte offset.
    Offset(usize),
    /// A 1-based line and column, as handlebars records them.
    LineColumn(usize, usize),
}

impl Found {
    fn too_deep(at: Position, depth: usize) -> Self {
        Self {
            code: "template-too-deep",
            message: format!("the template nests more than {MAX_DEPTH} levels deep"),
            at,
            label: format!("level {depth}"),
            help: DEPTH_HELP.to_owned(),
        }
    }

    fn into_diagnostic(self, path: &Path, source: &str) -> Box<Diagnostic> {
        let location = match self.at {
            Position::Offset(offset) => Location::from_offset(path, source, offset),
            Position::LineColumn(line, column) => {
                Location::from_line_column(path, source, line, column)
            }
        };
        Box::new(
            Diagnostic::error(self.code, self.message)
                .at(location)
                .with_label(self.label)
                .with_help(self.help),
        )
    }
}

/// Refuses a template whose blocks, `else if` chains, subexpressions or literals nest more
/// than [`MAX_DEPTH`] deep, before handlebars parses it.
pub fn check_source(path: &Path, source: &str) -> Result<(), Box<Diagnostic>> {
    scan(source).map_err(|found| found.into_diagnostic(path, source))
}

/// Refuses a parsed template (registered as `name`) whose partials include themselves, are
/// named by an expression, or nest deeper than [`MAX_DEPTH`] in total.
pub fn check_partials(
    path: &Path,
    source: &str,
    name: &str,
    template: &Template,
) -> Result<(), Box<Diagnostic>> {
    let mut walk = Walk {
        root: partial_key(name),
        definitions: HashMap::new(),
        memo: HashMap::new(),
        active: Vec::new(),
    };
    let result = walk
        .collect(template, 0, Position::LineColumn(1, 1))
        .and_then(|()| walk.template(template, 0, Position::LineColumn(1, 1)));
    result
        .map(|_| ())
        .map_err(|found| found.into_diagnostic(path, source))
}

// ---- the scan of the source ----

/// Scans `source` tag by tag, as handlebars' grammar reads it (escaped `\{{`, comments, raw
/// blocks, strings in tags), keeping the nesting depth.
fn scan(source: &str) -> Result<(), Found> {
    let b = source.as_bytes();
    let mut pos = 0;
    let mut depth = 0;
    // The levels each open block added: 1, plus one per `{{else if …}}` branch.
    let mut frames: Vec<usize> = Vec::new();
    let mut long_comments_end = true;
    while let Some(at) = find(b, pos, b"{{") {
        let slashes = b[pos..at].iter().rev().take_while(|&&c| c == b'\\').count();
        if slashes == 1 {
            // `\{{` is text (and so is `\{{{{`).
            pos = at + if b[at + 2..].starts_with(b"{{") { 4 } else { 2 };
            continue;
        }
        let rest = &b[at..];
        if rest.starts_with(b"{{{{") {
            enter(depth + 1, at)?;
            pos = raw_block_end(b, at);
        } else if rest.starts_with(b"{{!--") {
            // Once no `--}}` follows, none follows a later `{{!--` either: not searched again.
            let long_end = long_comments_end
                .then(|| find(b, at + 5, b"--}}"))
                .flatten();
            long_comments_end = long_end.is_some();
            pos = long_end
                .map(|e| e + 4)
                .or_else(|| find(b, at + 3, b"}}").map(|e| e + 2))
                .unwrap_or(b.len());
        } else if rest.starts_with(b"{{!") {
            pos = find(b, at + 3, b"}}").map_or(b.len(), |e| e + 2);
        } else {
            let body = tag_kind(b, at, &mut depth, &mut frames)?;
            pos = tag_end(b, body, depth)?;
        }
    }
    Ok(())
}

/// Reads the kind of the tag opening at `at` (a block opens or closes, an `else if` branch
/// adds a level), updates the nesting and returns where the tag's expression starts.
fn tag_kind(
    b: &[u8],
    at: usize,
    depth: &mut usize,
    frames: &mut Vec<usize>,
) -> Result<usize, Found> {
    let mut j = skip_space(b, at + 2);
    if b.get(j) == Some(&b'~') {
        j = skip_space(b, j + 1);
    }
    let word_else = b[j..].starts_with(b"else") && !b.get(j + 4).is_some_and(|&c| is_symbol(c));
    match b.get(j) {
        Some(b'#') => {
            *depth += 1;
            frames.push(1);
            enter(*depth, at)?;
            Ok(j + 1)
        }
        Some(b'/') => {
            *depth -= frames.pop().unwrap_or(0);
            Ok(j + 1)
        }
        Some(b'^') | Some(b'e') if word_else || b[j] == b'^' => {
            let after = if word_else { j + 4 } else { j + 1 };
            let mut k = skip_space(b, after);
            if b.get(k) == Some(&b'~') {
                k += 1;
            }
            let chained = !b[k..].starts_with(b"}}");
            if let (true, Some(top)) = (chained, frames.last_mut()) {
                *top += 1;
                *depth += 1;
                enter(*depth, at)?;
            }
            Ok(after)
        }
        _ => Ok(j),
    }
}

/// Where the tag whose expression starts at `j` ends, refusing subexpressions and literals
/// that take the nesting past the limit. A tag cannot contain `{{` outside a string: one
/// there ends the tag, so that the scan stays in step with handlebars.
fn tag_end(b: &[u8], mut j: usize, depth: usize) -> Result<usize, Found> {
    let mut nest = 0;
    let mut prev = b' ';
    while j < b.len() {
        if nest == 0 && b[j..].starts_with(b"}}") {
            return Ok(j + 2);
        }
        if b[j..].starts_with(b"{{") {
            return Ok(j);
        }
        let c = b[j];
        match c {
            b'"' | b'\'' => {
                j = string_end(b, j);
                prev = c;
                continue;
            }
            // A segment of a path, `foo.[bar baz]`: any text up to `]`.
            b'[' if is_symbol(prev) || matches!(prev, b'.' | b'/' | b']') => {
                j = find(b, j, b"]").map_or(b.len(), |e| e + 1);
                prev = b']';
                continue;
            }
            b'(' | b'[' | b'{' => {
                nest += 1;
                enter(depth + nest, j)?;
            }
            b')' | b']' | b'}' => nest = nest.saturating_sub(1),
            _ => {}
        }
        prev = c;
        j += 1;
    }
    Ok(j)
}

/// The end of the raw block (`{{{{raw}}}} … {{{{/raw}}}}`) opening at `at`: its text is not
/// read for tags.
fn raw_block_end(b: &[u8], at: usize) -> usize {
    let Some(start_end) = find(b, at + 4, b"}}}}") else {
        return b.len();
    };
    find(b, start_end + 4, b"{{{{")
        .and_then(|close| find(b, close + 4, b"}}}}"))
        .map_or(b.len(), |e| e + 4)
}

/// The end of the string literal opening at `j` (backslash escapes skipped).
fn string_end(b: &[u8], j: usize) -> usize {
    let quote = b[j];
    let mut k = j + 1;
    while k < b.len() {
        match b[k] {
            b'\\' => k += 2,
            c if c == quote => return k + 1,
            _ => k += 1,
        }
    }
    b.len()
}

fn enter(depth: usize, offset: usize) -> Result<(), Found> {
    if depth > MAX_DEPTH {
        Err(Found::too_deep(Position::Offset(offset), depth))
    } else {
        Ok(())
    }
}

fn find(b: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    b.get(from..)?
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|i| from + i)
}

fn skip_space(b: &[u8], mut j: usize) -> usize {
    while b.get(j).is_some_and(u8::is_ascii_whitespace) {
        j += 1;
    }
    j
}

/// A byte of an identifier in handlebars' grammar (non-ASCII letters included).
fn is_symbol(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'$' | b'@') || c >= 0x80
}

// ---- the walk of the parsed template ----

/// The walk through the parsed template and its partials.
struct Walk<'t> {
    /// The template's own name: a partial naming it includes the whole template again.
    root: String,
    /// The inline partials (`{{#*inline "name"}}`), by name; a name defined twice keeps both.
    definitions: HashMap<String, Vec<&'t Template>>,
    /// How many levels each partial's body adds, once known.
    memo: HashMap<String, usize>,
    /// The partials being expanded, outermost first.
    active: Vec<String>,
}

impl<'t> Walk<'t> {
    /// Gathers the inline partials defined anywhere in `template`.
    fn collect(&mut self, template: &'t Template, depth: usize, at: Position) -> Result<(), Found> {
        for (i, element) in template.elements.iter().enumerate() {
            let at = position(template, i, at);
            let nested: Vec<&'t Template> = match element {
                TemplateElement::HelperBlock(ht) => {
                    ht.template.iter().chain(ht.inverse.iter()).collect()
                }
                TemplateElement::DecoratorBlock(dt) => {
                    if dt.name.as_name() == Some("inline") {
                        let name = inline_name(dt).ok_or_else(|| dynamic(at))?;
                        if let Some(body) = &dt.template {
                            self.definitions.entry(name).or_default().push(body);
                        }
                    }
                    dt.template.iter().collect()
                }
                TemplateElement::PartialBlock(dt) => dt.template.iter().collect(),
                _ => Vec::new(),
            };
            for inner in nested {
                let next = depth + 1;
                if next > MAX_DEPTH {
                    return Err(Found::too_deep(at, next));
                }
                self.collect(inner, next, at)?;
            }
        }
        Ok(())
    }

    /// The deepest level `template`'s elements reach when it is rendered `depth` levels down.
    fn template(
        &mut self,
        template: &'t Template,
        depth: usize,
        at: Position,
    ) -> Result<usize, Found> {
        let mut deepest = depth;
        for (i, element) in template.elements.iter().enumerate() {
            let at = position(template, i, at);
            deepest = deepest.max(self.element(element, depth, at)?);
        }
        Ok(deepest)
    }

    fn element(
        &mut self,
        element: &'t TemplateElement,
        depth: usize,
        at: Position,
    ) -> Result<usize, Found> {
        match element {
            TemplateElement::Expression(ht) | TemplateElement::HtmlExpression(ht) => {
                self.helper_params(ht, depth, at)
            }
            TemplateElement::HelperBlock(ht) => {
                let inner = level(depth, at)?;
                let mut deepest = self.helper_params(ht, inner, at)?;
                for body in ht.template.iter().chain(ht.inverse.iter()) {
                    deepest = deepest.max(self.template(body, inner, at)?);
                }
                Ok(deepest)
            }
            // A definition's body is walked where the partial is used.
            TemplateElement::DecoratorExpression(dt) | TemplateElement::DecoratorBlock(dt) => {
                self.params(&dt.params, &dt.hash, depth, at)
            }
            TemplateElement::PartialExpression(dt) | TemplateElement::PartialBlock(dt) => {
                self.partial(dt, depth, at)
            }
            _ => Ok(depth),
        }
    }

    /// A partial used at `depth`: its parameters, the block it is given (or its fallback),
    /// and the partial's own body.
    fn partial(
        &mut self,
        dt: &'t DecoratorTemplate,
        depth: usize,
        at: Position,
    ) -> Result<usize, Found> {
        let inner = level(depth, at)?;
        let mut deepest = self.params(&dt.params, &dt.hash, inner, at)?;
        if let Some(block) = &dt.template {
            deepest = deepest.max(self.template(block, inner, at)?);
        }
        let name = match &dt.name {
            Parameter::Name(_) | Parameter::Path(_) => dt.name.as_name().map(partial_key),
            _ => None,
        }
        .ok_or_else(|| dynamic(at))?;
        // `{{> @partial-block}}` writes the block, rendered already where it was given.
        if name == "@partial-block" {
            return Ok(deepest);
        }
        if name == self.root || self.active.contains(&name) {
            return Err(self.recursive(&name, at));
        }
        if let Some(&adds) = self.memo.get(&name) {
            let reached = inner + adds;
            if reached > MAX_DEPTH {
                return Err(Found::too_deep(at, reached));
            }
            return Ok(deepest.max(reached));
        }
        let Some(bodies) = self.definitions.get(&name).cloned() else {
            // Not defined: handlebars refuses it when rendering (or renders the fallback).
            return Ok(deepest);
        };
        self.active.push(name.clone());
        let mut reached = inner;
        for body in &bodies {
            reached = reached.max(self.template(body, inner, at)?);
        }
        self.active.pop();
        self.memo.insert(name, reached - inner);
        Ok(deepest.max(reached))
    }

    fn helper_params(
        &mut self,
        ht: &'t HelperTemplate,
        depth: usize,
        at: Position,
    ) -> Result<usize, Found> {
        let name = self.param(&ht.name, depth, at)?;
        Ok(name.max(self.params(&ht.params, &ht.hash, depth, at)?))
    }

    fn params(
        &mut self,
        params: &'t [Parameter],
        hash: &'t HashMap<String, Parameter>,
        depth: usize,
        at: Position,
    ) -> Result<usize, Found> {
        let mut deepest = depth;
        for p in params.iter().chain(hash.values()) {
            deepest = deepest.max(self.param(p, depth, at)?);
        }
        Ok(deepest)
    }

    fn param(&mut self, p: &'t Parameter, depth: usize, at: Position) -> Result<usize, Found> {
        match p {
            Parameter::Subexpression(sub) => {
                let inner = level(depth, at)?;
                self.element(sub.as_element(), inner, at)
            }
            _ => Ok(depth),
        }
    }

    fn recursive(&self, name: &str, at: Position) -> Found {
        let quoted = |p: &String| format!("`{p}`");
        let (what, mut cycle) = match self.active.iter().position(|a| a == name) {
            Some(i) => (
                format!("the partial `{name}`"),
                self.active[i..].iter().map(quoted).collect::<Vec<_>>(),
            ),
            None => (
                "the template".to_owned(),
                std::iter::once("the template".to_owned())
                    .chain(self.active.iter().map(quoted))
                    .collect(),
            ),
        };
        cycle.push(cycle[0].clone());
        Found {
            code: "template-recursive-partial",
            message: format!("{what} includes itself ({})", cycle.join(" → ")),
            at,
            label: "included again here".to_owned(),
            help: "a partial may not include itself, directly or through other partials: the context has no nested data that could end the recursion; write the repeated part out, or loop over the data with `{{#each}}`".to_owned(),
        }
    }
}

/// The level below `depth`, refused past the limit.
fn level(depth: usize, at: Position) -> Result<usize, Found> {
    let next = depth + 1;
    if next > MAX_DEPTH {
        Err(Found::too_deep(at, next))
    } else {
        Ok(next)
    }
}

/// The position of element `i` of `template`, or `fallback` when handlebars kept none (the
/// branches of an `else if` chain).
fn position(template: &Template, i: usize, fallback: Position) -> Position {
    template
        .mapping
        .get(i)
        .map_or(fallback, |m| Position::LineColumn(m.0, m.1))
}

/// The name an inline partial is defined under, when it is a literal string.
fn inline_name(dt: &DecoratorTemplate) -> Option<String> {
    match dt.params.first()? {
        Parameter::Literal(serde_json::Value::String(s)) => Some(partial_key(s)),
        _ => None,
    }
}

/// A partial's name as written, without the quotes or brackets that may surround it.
fn partial_key(name: &str) -> String {
    let trimmed = name
        .strip_prefix('\'')
        .and_then(|n| n.strip_suffix('\''))
        .or_else(|| name.strip_prefix('[').and_then(|n| n.strip_suffix(']')))
        .unwrap_or(name);
    trimmed.to_owned()
}

fn dynamic(at: Position) -> Found {
    Found {
        code: "template-dynamic-partial",
        message: "a partial is named by an expression, so it cannot be checked for recursion"
            .to_owned(),
        at,
        label: "named here".to_owned(),
        help: "name partials literally: `{{#*inline \"row\"}}…{{/inline}}` and `{{> row}}`"
            .to_owned(),
    }
}

#[cfg(test)]
mod tests;
