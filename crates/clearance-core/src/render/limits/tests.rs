use std::path::Path;

use super::*;

fn source_error(source: &str) -> Option<Box<Diagnostic>> {
    check_source(Path::new("t.hbs"), source).err()
}

/// Both checks, as `render` runs them.
fn error(source: &str) -> Option<Box<Diagnostic>> {
    check_source(Path::new("t.hbs"), source).err().or_else(|| {
        let template = Template::compile(source).expect("the template parses");
        check_partials(Path::new("t.hbs"), source, "t.hbs", &template).err()
    })
}

fn nested(open: &str, close: &str, n: usize) -> String {
    format!("{}x{}", open.repeat(n), close.repeat(n))
}

#[test]
fn nesting_up_to_the_limit_passes_and_one_more_is_refused_at_its_tag() {
    assert!(error(&nested("{{#if a}}", "{{/if}}", 50)).is_none());
    assert!(error(&nested("{{#if a}}", "{{/if}}", MAX_DEPTH)).is_none());
    let d = error(&nested("{{#if a}}", "{{/if}}", MAX_DEPTH + 1)).unwrap();
    assert_eq!(d.code, "template-too-deep");
    let at = d.location.as_deref().unwrap();
    assert_eq!((at.line, at.column), (1, 9 * MAX_DEPTH + 1));
    assert_eq!(d.label.as_deref(), Some("level 101"));

    let d = source_error(&nested("{{#each a}}\n", "{{/each}}\n", 5000)).unwrap();
    let at = d.location.as_deref().unwrap();
    assert_eq!((at.line, at.column), (MAX_DEPTH + 1, 1));
}

#[test]
fn a_flat_template_passes() {
    // The scan of the source is linear: a long template is read in a moment.
    let long = "{{#if a}}{{b}}{{else}}c{{/if}}\n".repeat(200_000);
    assert!(source_error(&long).is_none());
    // (handlebars' own parse takes time quadratic in the number of tags: fewer here.)
    // Comments that never end do not make the scan search the rest of the text each time.
    let unended = "{{!-- }} ".repeat(200_000);
    assert!(source_error(&unended).is_none());
    let flat = "{{#if a}}{{b}}{{else}}c{{/if}}\n".repeat(300);
    assert!(error(&flat).is_none());
}

#[test]
fn else_if_chains_subexpressions_and_literals_count_as_levels() {
    let chain = format!("{{{{#if a}}}}{}{{{{/if}}}}", "{{else if b}}".repeat(200));
    assert_eq!(source_error(&chain).unwrap().code, "template-too-deep");
    assert!(
        source_error(&format!(
            "{{{{#if a}}}}{}{{{{/if}}}}",
            "{{else if b}}".repeat(20)
        ))
        .is_none()
    );
    let sub = format!("{{{{md {}a{}}}}}", "(md ".repeat(150), ")".repeat(150));
    assert_eq!(source_error(&sub).unwrap().code, "template-too-deep");
    let array = format!("{{{{md {}{}}}}}", "[".repeat(150), "]".repeat(150));
    assert_eq!(source_error(&array).unwrap().code, "template-too-deep");
    // Blocks and subexpressions add up.
    let both = format!(
        "{}{{{{md {}a{}}}}}{}",
        "{{#if a}}".repeat(60),
        "(md ".repeat(60),
        ")".repeat(60),
        "{{/if}}".repeat(60)
    );
    assert_eq!(source_error(&both).unwrap().code, "template-too-deep");
    // A plain `{{else}}` adds nothing.
    assert!(
        source_error(&format!(
            "{{{{#if a}}}}{}{{{{/if}}}}",
            "{{else}}".repeat(300)
        ))
        .is_none()
    );
}

#[test]
fn text_that_only_looks_like_blocks_is_not_counted() {
    let opens = "{{#if a}}".repeat(MAX_DEPTH + 1);
    for source in [
        format!("\\{}", opens.replace("{{", "\\{{")),
        format!("{{{{!-- {opens} --}}}}"),
        format!("{{{{! {} }}}}", "{{#if a".repeat(MAX_DEPTH + 1)),
        format!("{{{{{{{{raw}}}}}}}}{opens}{{{{{{{{/raw}}}}}}}}"),
        format!("{{{{md \"{opens}\"}}}}"),
        format!("{{{{md '{}'}}}}", "(".repeat(MAX_DEPTH + 1)),
        format!("{{{{lookup this.[{}]}}}}", "(".repeat(MAX_DEPTH + 1)),
    ] {
        assert!(source_error(&source).is_none(), "{source}");
    }
    // `\\{{` is a backslash, then a real tag.
    let real = format!("\\\\{}", opens);
    assert!(source_error(&real).is_some());
}

#[test]
fn a_partial_that_includes_itself_is_refused_where_it_does() {
    let d = error("{{#*inline \"p\"}}{{> p}}{{/inline}}{{> p}}").unwrap();
    assert_eq!(d.code, "template-recursive-partial");
    let at = d.location.as_deref().unwrap();
    assert_eq!((at.line, at.column), (1, 17));
    assert!(d.message.contains("`p` → `p`"), "{}", d.message);

    let d = error(
        "{{#*inline \"a\"}}\n{{> b}}{{/inline}}\n{{#*inline \"b\"}}{{#if x}}{{> a}}{{/if}}{{/inline}}\n{{> a}}",
    )
    .unwrap();
    assert_eq!(d.code, "template-recursive-partial");
    assert!(d.message.contains("`a` → `b` → `a`"), "{}", d.message);
    assert_eq!(d.location.as_deref().unwrap().line, 3);

    // The template itself, by the name it is registered under.
    let d = error("{{#*inline \"p\"}}{{> t.hbs}}{{/inline}}{{> p}}").unwrap();
    assert_eq!(d.code, "template-recursive-partial");
    // A partial block's content is the partial's input, not a recursion.
    assert!(
        error("{{#*inline \"l\"}}<{{> @partial-block}}>{{/inline}}{{#> l}}{{#> l}}x{{/l}}{{/l}}")
            .is_none()
    );
}

#[test]
fn partials_named_by_an_expression_are_refused() {
    for source in [
        "{{#*inline \"p\"}}x{{/inline}}{{> (lookup this \"name\")}}",
        "{{#*inline name}}x{{/inline}}{{> p}}",
    ] {
        assert_eq!(
            error(source).unwrap().code,
            "template-dynamic-partial",
            "{source}"
        );
    }
}

#[test]
fn chains_of_partials_count_their_levels_together() {
    // Each partial nests 30 levels and includes the next: 4 × 31 levels in all.
    let mut source = String::new();
    for i in 0..4 {
        let next = if i < 3 {
            format!("{{{{> p{}}}}}", i + 1)
        } else {
            String::new()
        };
        source.push_str(&format!(
            "{{{{#*inline \"p{i}\"}}}}{}{{{{/inline}}}}",
            nested("{{#if a}}", "{{/if}}", 30).replace('x', &next)
        ));
    }
    source.push_str("{{> p0}}");
    assert!(source_error(&source).is_none());
    assert_eq!(error(&source).unwrap().code, "template-too-deep");
    // Three of them fit.
    assert!(error(&source.replace("{{> p3}}", "")).is_none());
}

#[test]
fn partials_used_many_times_are_walked_once() {
    // p0 includes p1 twice, p1 includes p2 twice, …: 2^60 expansions, walked in linear time.
    let mut source = String::new();
    for i in 0..60 {
        let body = if i < 59 {
            format!("{{{{> p{n}}}}}{{{{> p{n}}}}}", n = i + 1)
        } else {
            "x".to_owned()
        };
        source.push_str(&format!("{{{{#*inline \"p{i}\"}}}}{body}{{{{/inline}}}}"));
    }
    source.push_str("{{> p0}}");
    assert!(error(&source).is_none());
}
