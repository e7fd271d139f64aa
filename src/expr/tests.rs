//! Parser tests: what each form parses to, the errors broken text gives (and where), and a
//! property test that no input panics.

use super::*;

fn condition(text: &str) -> Expression {
    parse_condition(text)
}

/// The expressions of a value, as written (no YAML quoting).
fn value(text: &str) -> Vec<Expression> {
    parse(Source::plain(text, 0), Role::Value)
}

fn key(text: &str) -> Expression {
    let mut all = parse(Source::plain(text, 0), Role::Key);
    assert_eq!(all.len(), 1, "{text}: {all:?}");
    all.remove(0)
}

/// The first error as `message @ text`.
fn first_error(text: &str, e: &Expression) -> String {
    match e.errors.first() {
        Some(err) => format!("{} @ {}", err.message, &text[err.span.clone()]),
        None => "no error".to_string(),
    }
}

/// A compact rendering of a tree, for assertions.
fn show(e: &Expression, text: &str) -> String {
    fn go(e: &Expression, text: &str, id: NodeId, out: &mut String, depth: usize) {
        if depth > 200 {
            out.push('…');
            return;
        }
        let n = e.node(id);
        match &n.kind {
            NodeKind::String { value, .. } => out.push_str(&format!("'{value}'")),
            NodeKind::Number | NodeKind::Version => out.push_str(&text[n.span.clone()]),
            NodeKind::Boolean(b) => out.push_str(&b.to_string()),
            NodeKind::Null => out.push_str("null"),
            NodeKind::Name(name) => out.push_str(name),
            NodeKind::Hole => out.push_str("<hole>"),
            NodeKind::Property { object, name, .. } => {
                go(e, text, *object, out, depth + 1);
                out.push('.');
                out.push_str(name);
            }
            NodeKind::Wildcard { object } => {
                go(e, text, *object, out, depth + 1);
                out.push_str(".*");
            }
            NodeKind::Index { object, index } => {
                go(e, text, *object, out, depth + 1);
                out.push('[');
                go(e, text, *index, out, depth + 1);
                out.push(']');
            }
            NodeKind::Call { name, args, .. } => {
                out.push_str(name);
                out.push('(');
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    go(e, text, *a, out, depth + 1);
                }
                out.push(')');
            }
            NodeKind::Group(inner) => {
                out.push('(');
                go(e, text, *inner, out, depth + 1);
                out.push(')');
            }
            NodeKind::Missing => out.push('?'),
        }
    }
    let mut out = String::new();
    if let Some(root) = e.root {
        go(e, text, root, &mut out, 0);
    }
    out
}

#[test]
fn literals_of_every_kind() {
    for (text, shown) in [
        ("'a b c'", "'a b c'"),
        ("'It''s OK'", "'It's OK'"),
        ("-1.2", "-1.2"),
        (".5", ".5"),
        ("1e3", "1e3"),
        ("0xff", "0xff"),
        ("1.2.3", "1.2.3"),
        ("1.2.3.4", "1.2.3.4"),
        ("True", "true"),
        ("FALSE", "false"),
        ("null", "null"),
    ] {
        let e = condition(text);
        assert!(e.errors.is_empty(), "{text}: {:?}", e.errors);
        assert_eq!(show(&e, text), shown, "{text}");
    }
}

#[test]
fn access_indexing_filters_and_calls() {
    for (text, shown) in [
        ("parameters.x", "parameters.x"),
        (
            "variables['Build.SourceBranch']",
            "variables['Build.SourceBranch']",
        ),
        ("a[0]", "a[0]"),
        ("foo.*.id", "foo.*.id"),
        ("foo[*]", "foo.*"),
        (
            "dependencies.A.outputs['printvar.skip']",
            "dependencies.A.outputs['printvar.skip']",
        ),
        (
            "stageDependencies.A.A1.result",
            "stageDependencies.A.A1.result",
        ),
        (
            "and(succeeded(), eq(variables['Build.Reason'], 'Manual'))",
            "and(succeeded(), eq(variables['Build.Reason'], 'Manual'))",
        ),
        ("split(x, '/')[8]", "split(x, '/')[8]"),
        ("coalesce(a, (b))", "coalesce(a, (b))"),
        (
            "variables[format('x{0}', y)]",
            "variables[format('x{0}', y)]",
        ),
        ("dependencies.my-job.result", "dependencies.my-job.result"),
        ("a\n  .b", "a.b"),
    ] {
        let e = condition(text);
        assert!(e.errors.is_empty(), "{text}: {:?}", e.errors);
        assert_eq!(show(&e, text), shown, "{text}");
    }
}

#[test]
fn spans_are_document_offsets() {
    let text = "steps: ${{ eq(parameters.a, 'b') }}";
    let base = 100;
    let e = &parse(Source::plain(text, base), Role::Value)[0];
    assert_eq!(e.span, base + 7..base + text.len());
    assert_eq!(e.body, base + 10..base + text.len() - 2);
    let call = e.calls().next().unwrap();
    assert_eq!(call.name_span, base + 11..base + 13);
    assert_eq!(call.span, base + 11..base + 32);
    assert_eq!(call.args, 2);
    let Reference::Parameter {
        name,
        name_span,
        span,
    } = e.references().next().unwrap()
    else {
        panic!()
    };
    assert_eq!(name, "a");
    assert_eq!(&text[name_span.start - base..name_span.end - base], "a");
    assert_eq!(&text[span.start - base..span.end - base], "parameters.a");
}

#[test]
fn template_strings_hold_several_expressions_and_literal_text() {
    let text = "Build ${{ parameters.os }} for ${{ upper(variables['arch']) }}: done";
    let all = value(text);
    assert_eq!(all.len(), 2);
    assert_eq!(show(&all[0], text), "parameters.os");
    assert_eq!(show(&all[1], text), "upper(variables['arch'])");
    // A `}}` inside a string does not close the expression.
    let text = "${{ replace(x, '}}', '') }}";
    let all = value(text);
    assert_eq!(all.len(), 1);
    assert!(all[0].errors.is_empty(), "{:?}", all[0].errors);
    assert_eq!(show(&all[0], text), "replace(x, '}}', '')");
}

#[test]
fn directives_of_keys() {
    let text = "${{ if eq(parameters.env, 'prod') }}";
    let e = key(text);
    assert!(matches!(e.directive, Some((Directive::If, _))));
    assert_eq!(show(&e, text), "eq(parameters.env, 'prod')");
    let text = "${{ elseif ne(a, b) }}";
    assert!(matches!(key(text).directive, Some((Directive::ElseIf, _))));
    for text in ["${{ else }}", "${{else}}"] {
        let e = key(text);
        assert!(matches!(e.directive, Some((Directive::Else, _))), "{text}");
        assert!(e.root.is_none() && e.errors.is_empty());
    }
    let e = key("${{ insert }}");
    assert!(matches!(e.directive, Some((Directive::Insert, _))));
    let text = "${{ each step in parameters.steps }}";
    let e = key(text);
    let Some((
        Directive::Each {
            variable,
            variable_span,
        },
        _,
    )) = &e.directive
    else {
        panic!("{e:?}")
    };
    assert_eq!(variable, "step");
    assert_eq!(&text[variable_span.clone()], "step");
    assert_eq!(show(&e, text), "parameters.steps");
    // Not a directive: a key computed from an expression.
    let text = "${{ pair.key }}";
    let e = key(text);
    assert!(e.directive.is_none());
    assert_eq!(show(&e, text), "pair.key");
}

#[test]
fn directive_errors() {
    for (text, expected) in [
        (
            "${{ if }}",
            "\"if\" needs a condition, such as \"if eq(parameters.x, 'y')\" @ if",
        ),
        (
            "${{ else eq(a, b) }}",
            "\"else\" takes no condition; write \"elseif eq(a, b)\" @ eq(a, b)",
        ),
        (
            "${{ each x parameters.y }}",
            "\"each\" is written \"each item in collection\", such as \"each step in parameters.steps\" @ each x parameters.y ",
        ),
        (
            "${{ insert x }}",
            "\"insert\" stands alone: \"${{ insert }}: value\" @ x",
        ),
    ] {
        assert_eq!(first_error(text, &key(text)), expected, "{text}");
    }
    let text = "${{ if eq(a, b) }}";
    assert_eq!(
        first_error(text, &value(text)[0]),
        "\"if\" inserts content only in a mapping key (\"${{ if … }}:\"); in a value, use iif() or move the condition into a key @ if"
    );
}

#[test]
fn syntax_errors_name_the_smallest_place() {
    for (text, expected) in [
        (
            "and(succeeded(), eq(a, 'b')",
            "\"(\" of \"and\" is never closed; add \")\" @ and(",
        ),
        ("eq(a, 'b'))", "\")\" closes nothing; remove it @ )"),
        (
            "eq(a, 'b)",
            "the string 'b) is never closed; end it with ' (a quote inside a string is written '') @ 'b)",
        ),
        (
            "eq(a, )",
            "missing argument of \"eq\" after \",\"; remove the \",\" @ ,",
        ),
        ("eq(, a)", "missing argument of \"eq\" before \",\" @ ,"),
        (
            "eq(a b)",
            "expected \",\" or \")\" after an argument of \"eq\", found \"b\" @ b",
        ),
        ("variables['a'", "\"[\" is never closed; add \"]\" @ ["),
        (
            "a == 'b'",
            "\"==\" is not an operator of Azure Pipelines expressions; use eq(a, b) @ ==",
        ),
        (
            "and(a, !b)",
            "\"!\" is not an operator of Azure Pipelines expressions; use not(a) @ !",
        ),
        (
            "eq(a, \"b\")",
            "\"b\" is in double quotes; strings take single quotes: 'b' @ \"b\"",
        ),
        (
            "eq(1.2.3.4.5, a)",
            "\"1.2.3.4.5\" is neither a number nor a version (up to four numbers separated by dots) @ 1.2.3.4.5",
        ),
        (
            "a.",
            "\".\" must be followed by a property name or \"*\" @ .",
        ),
        (
            "$[ eq(a, b) ]",
            "a condition is an expression already: write it without \"$[ ]\" @ $",
        ),
        (
            "succeeded() and failed()",
            "unexpected \"and\" after the expression; an expression is one value or one function call, such as and(a, b) @ and",
        ),
        (
            "()",
            "empty parentheses \"()\" hold no value; remove them @ ()",
        ),
        (
            "a @ b",
            "unexpected \"@\" after the expression; an expression is one value or one function call, such as and(a, b) @ @",
        ),
    ] {
        assert_eq!(first_error(text, &condition(text)), expected, "{text}");
    }
}

#[test]
fn template_and_runtime_delimiters() {
    let text = "echo ${{ parameters.x";
    assert_eq!(
        first_error(text, &value(text)[0]),
        "\"${{\" is never closed; end the expression with \"}}\" @ ${{"
    );
    let text = "${{ }}";
    assert_eq!(
        first_error(text, &value(text)[0]),
        "empty expression; write a value or a function call between \"${{\" and \"}}\" @ ${{ }}"
    );
    let text = "$[ eq(variables.a, 'b')";
    assert_eq!(
        first_error(text, &value(text)[0]),
        "\"$[\" is never closed; end the expression with \"]\" @ $["
    );
    let text = "$[ variables.a ]-suffix";
    assert_eq!(
        first_error(text, &value(text)[0]),
        "\"-suffix\" after the closing \"]\" makes the whole value plain text: a runtime expression must be the whole value; join strings with format() @ -suffix"
    );
    let text = "$[ dependencies.A.outputs['s.v'] ]";
    let e = &value(text)[0];
    assert_eq!(e.kind, Kind::Runtime);
    assert!(e.errors.is_empty(), "{:?}", e.errors);
    assert_eq!(show(e, text), "dependencies.A.outputs['s.v']");
    // Not at the start: plain text.
    assert!(value("a $[ b ]").is_empty());
}

#[test]
fn conditions_read_template_expressions_as_holes() {
    let text = "and(succeeded(), ${{ parameters.runTests }})";
    let all = parse(Source::plain(text, 0), Role::Condition);
    assert_eq!(all.len(), 2);
    assert_eq!(all[0].kind, Kind::Template);
    assert_eq!(all[1].kind, Kind::Condition);
    assert!(all[1].errors.is_empty());
    assert_eq!(show(&all[1], text), "and(succeeded(), <hole>)");
    // Inside a string, with quotes of its own.
    let text = "ne('${{ variables['Build.Reason'] }}', 'PullRequest')";
    let all = parse(Source::plain(text, 0), Role::Condition);
    assert!(all.iter().all(|e| e.errors.is_empty()), "{all:?}");
    assert_eq!(
        show(&all[1], text),
        "ne('${{ variables['Build.Reason'] }}', 'PullRequest')"
    );
    // Macros too.
    let e = condition("eq($(var), 'x')");
    assert!(e.errors.is_empty(), "{:?}", e.errors);
    // An unclosed template expression is reported once, by itself.
    let text = "and(a, ${{ parameters.x)";
    let all = parse(Source::plain(text, 0), Role::Condition);
    let errors: Vec<String> = all
        .iter()
        .filter(|e| !e.errors.is_empty())
        .map(|e| first_error(text, e))
        .collect();
    assert_eq!(
        errors,
        ["\"${{\" is never closed; end the expression with \"}}\" @ ${{"]
    );
}

#[test]
fn single_quoted_yaml_doubles_the_expression_quotes() {
    // The YAML value 'eq(variables[''a''], ''it''''s'')', inside its quotes.
    let text = "eq(variables[''a''], ''it''''s'')";
    let source = Source {
        text,
        base: 0,
        doubled_quotes: true,
    };
    let all = parse(source, Role::Condition);
    assert_eq!(all.len(), 1);
    assert!(all[0].errors.is_empty(), "{:?}", all[0].errors);
    assert_eq!(show(&all[0], text), "eq(variables['a'], 'it's')");
    let Reference::Variable {
        name, name_span, ..
    } = all[0].references().next().unwrap()
    else {
        panic!()
    };
    assert_eq!((name, &text[name_span]), ("a", "a"));
}

#[test]
fn references_of_every_kind() {
    let text = "and(eq(parameters.env, variables['x']), in(dependencies.A.result, 'S'), \
                eq(stageDependencies.B.B1.outputs['s.v'], stageDependencies.C.result), \
                parameters['a b'])";
    let e = condition(text);
    assert!(e.errors.is_empty());
    let refs: Vec<String> = e
        .references()
        .map(|r| match r {
            Reference::Parameter {
                name, name_span, ..
            } => {
                format!("parameter {name} {}", &text[name_span])
            }
            Reference::Variable {
                name, name_span, ..
            } => {
                format!("variable {name} {}", &text[name_span])
            }
            Reference::Dependency {
                name, name_span, ..
            } => {
                format!("dependency {name} {}", &text[name_span])
            }
            Reference::StageDependency {
                stage,
                stage_span,
                job,
                ..
            } => format!(
                "stage {stage} {} job {:?}",
                &text[stage_span],
                job.map(|(j, s)| (j, &text[s]))
            ),
        })
        .collect();
    assert_eq!(
        refs,
        [
            "parameter env env",
            "variable x x",
            "dependency A A",
            "stage B B job Some((\"B1\", \"B1\"))",
            "stage C C job Some((\"result\", \"result\"))",
            "parameter a b a b",
        ]
    );
}

#[test]
fn nesting_is_bounded() {
    let deep = "not(".repeat(10_000) + &")".repeat(10_000);
    let e = condition(&deep);
    assert_eq!(
        e.errors[0].message,
        format!("expression nested more than {MAX_DEPTH} levels deep; simplify it")
    );
    let deep = "a".to_string() + &"[b".repeat(10_000);
    assert!(!condition(&deep).errors.is_empty());
    let deep = "(".repeat(10_000);
    assert!(!condition(&deep).errors.is_empty());
}

#[test]
fn error_recovery_keeps_the_rest_of_the_tree() {
    let text = "and(eq(a b), contians(x, 'y'), )";
    let e = condition(text);
    assert!(e.errors.len() >= 2);
    let names: Vec<&str> = e.calls().map(|c| c.name).collect();
    assert_eq!(names, ["and", "eq", "contians"]);
}

mod property {
    use super::*;
    use proptest::prelude::*;

    /// Texts made of the language's own pieces, so that the parser goes deep.
    fn pieces() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("("),
            Just(")"),
            Just("["),
            Just("]"),
            Just(","),
            Just("."),
            Just("*"),
            Just("'"),
            Just("''"),
            Just("${{"),
            Just("}}"),
            Just("$("),
            Just("$["),
            Just(" "),
            Just("eq"),
            Just("if"),
            Just("each"),
            Just("in"),
            Just("else"),
            Just("insert"),
            Just("1.2"),
            Just("-"),
            Just("=="),
            Just("\""),
            Just("é"),
            Just("\n"),
            Just("x"),
        ];
        proptest::collection::vec(piece, 0..60).prop_map(|v| v.concat())
    }

    fn check(text: &str, doubled: bool) {
        for role in [Role::Key, Role::Value, Role::Block, Role::Condition] {
            let source = Source {
                text,
                base: 7,
                doubled_quotes: doubled,
            };
            for e in parse(source, role) {
                for span in e
                    .errors
                    .iter()
                    .map(|x| &x.span)
                    .chain(e.nodes.iter().map(|n| &n.span))
                    .chain([&e.span, &e.body])
                {
                    assert!(span.start <= span.end, "{span:?} in {text:?}");
                    assert!(
                        span.start >= 7 && span.end <= 7 + text.len(),
                        "{span:?} in {text:?}"
                    );
                    assert!(
                        text.is_char_boundary(span.start - 7),
                        "{span:?} in {text:?}"
                    );
                    assert!(text.is_char_boundary(span.end - 7), "{span:?} in {text:?}");
                }
                let _ = e.references().count();
                let _ = e.calls().count();
            }
        }
    }

    proptest! {
        #[test]
        fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let text = String::from_utf8_lossy(&bytes);
            check(&text, false);
            check(&text, true);
        }

        #[test]
        fn language_pieces_never_panic(text in pieces()) {
            check(&text, false);
            check(&text, true);
        }
    }
}
