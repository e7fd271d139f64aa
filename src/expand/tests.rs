//! Unit tests of expansion over an in-memory file system; the golden tests of each
//! construct are in `tests/expand.rs`.

use super::*;
use std::path::Path;

/// Files in memory, under a repository root `/repo` (which has a `.git`).
pub struct Memory(pub Vec<(&'static str, &'static str)>);

impl Files for Memory {
    fn is_file(&self, path: &Path) -> bool {
        self.0.iter().any(|(p, _)| Path::new(p) == path)
    }
    fn exists(&self, path: &Path) -> bool {
        path == Path::new("/repo/.git") || self.is_file(path)
    }
    fn read(&self, path: &Path) -> Option<String> {
        self.0
            .iter()
            .find(|(p, _)| Path::new(p) == path)
            .map(|(_, t)| t.to_string())
    }
    fn canonical(&self, path: &Path) -> Option<PathBuf> {
        Some(path.to_path_buf())
    }
}

fn run(main: &str, files: Vec<(&'static str, &'static str)>) -> Expansion {
    let place = Place {
        file: Some(PathBuf::from("/repo/ci/azure-pipelines.yml")),
        workspace: None,
    };
    expand(main, &place, &Memory(files), &[])
}

fn yaml(x: &Expansion) -> String {
    emit::yaml(&x.value, None)
}

#[test]
fn a_path_from_the_repository_root_and_one_relative_to_the_caller_both_resolve() {
    let x = run(
        "steps:\n- template: /shared/a.yml\n",
        vec![
            ("/repo/shared/a.yml", "steps:\n- template: b.yml\n"),
            ("/repo/shared/b.yml", "steps:\n- script: b\n"),
        ],
    );
    assert!(x.errors.is_empty(), "{:?}", x.errors);
    assert_eq!(yaml(&x), "steps:\n- script: b\n");
}

#[test]
fn a_template_that_includes_itself_is_an_error_on_the_reference() {
    let x = run(
        "steps:\n- template: /a.yml\n",
        vec![("/repo/a.yml", "steps:\n- template: a.yml\n")],
    );
    assert_eq!(x.errors.len(), 1, "{:?}", x.errors);
    assert!(x.errors[0].message.contains("includes itself"));
    assert_eq!(x.errors[0].file, 1);
    assert_eq!(x.errors[0].line, 1);
}

#[test]
fn nesting_past_twenty_levels_stops_with_an_error() {
    let names: Vec<(&'static str, &'static str)> = (0..30)
        .map(|i| {
            let path: &'static str = Box::leak(format!("/repo/t{i}.yml").into_boxed_str());
            let text: &'static str =
                Box::leak(format!("steps:\n- template: t{}.yml\n", i + 1).into_boxed_str());
            (path, text)
        })
        .collect();
    let x = run("steps:\n- template: /t0.yml\n", names);
    assert!(
        x.errors
            .iter()
            .any(|e| e.message.contains("deeper than 20")),
        "{:?}",
        x.errors
    );
}

#[test]
fn a_template_in_another_repository_stays_a_reference_with_a_note() {
    let x = run(
        "resources:\n  repositories:\n  - repository: tools\n    type: git\n    name: p/tools\nsteps:\n- template: s.yml@tools\n",
        vec![],
    );
    assert!(x.errors.is_empty(), "{:?}", x.errors);
    assert_eq!(x.notes.len(), 1);
    assert!(yaml(&x).contains("- template: s.yml@tools\n"));
}

#[test]
fn hostile_each_output_is_bounded() {
    // Each level multiplies by 100: 100^4 items would be produced without a bound.
    let main = "parameters:\n- name: l\n  type: object\n  default: [0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9]\nsteps:\n- ${{ each a in parameters.l }}:\n  - ${{ each b in parameters.l }}:\n    - ${{ each c in parameters.l }}:\n      - ${{ each d in parameters.l }}:\n        - script: x\n";
    let x = run(main, vec![]);
    assert!(
        x.errors.iter().any(|e| e.message.contains("grows past")),
        "{:?}",
        x.errors
    );
}

mod hostile {
    use super::*;
    use proptest::prelude::*;

    /// Pieces of pipelines and expressions, put together at random.
    const PIECES: &[&str] = &[
        "steps:\n",
        "- ",
        "  ",
        "\n",
        "${{ if eq(parameters.a, 'x') }}:",
        "${{ else }}:",
        "${{ elseif true }}:",
        "${{ each x in parameters.l }}:",
        "${{ insert }}:",
        "${{ x }}",
        "${{ parameters.l }}",
        "${{ format('{0}{1}', x, parameters.a) }}",
        "${{ split(parameters.a, 'é') }}",
        "${{ convertToJson(parameters) }}",
        "${{ length(",
        "template: /a.yml",
        "template: a.yml\n",
        "parameters:\n",
        "- name: l\n  type: object\n  default: [1, 'é', {k: v}]\n",
        "- name: a\n  default: x\n",
        "script: |\n   é\n  b\n",
        "\"quo\\u00e9ted\"",
        "'it''s'",
        "extends:\n  template: a.yml\n",
        ": ",
        "é",
        "{a: [b, ${{ x }}]}",
        "$[ variables.x ]",
        "k: 'a: b'\n",
        "- '#x'\n",
        "- ' lead'\n",
        "- 'true'\n",
        "- '1.0'\n",
        "- \"\\ttab\"\n",
        "- \"a\\nb\"\n",
        "- \"##vso[task.x]\\n\"\n",
        "- \"a\\n\\n\"\n",
        "- |+\n  a\n\n",
        "- >-\n  a\n  b\n",
        "- \"\\n lead\"\n",
        "- \" \\nx\"\n",
        "- '-'\n",
        "- '? x'\n",
        "- '@x'\n",
        "- \"\\u0001\"\n",
        "- 'a  # b'\n",
        "- \"x\\r\\ny\"\n",
        "- \"x  \\ny\"\n",
        "- \"\\t\\nx\"\n",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]
        #[test]
        fn random_pipelines_expand_and_print_without_panicking(
            main in proptest::collection::vec(0..PIECES.len(), 0..40),
            template in proptest::collection::vec(0..PIECES.len(), 0..20),
        ) {
            let main: String = main.into_iter().map(|i| PIECES[i]).collect();
            let template: &'static str =
                Box::leak(template.into_iter().map(|i| PIECES[i]).collect::<String>().into_boxed_str());
            let x = run(&main, vec![("/repo/a.yml", template), ("/repo/ci/a.yml", template)]);
            let _ = emit::yaml(&x.value, Some(&|n: &Node| format!("{}:{}", n.origin.file, n.origin.line)));
            let yaml = emit::yaml(&x.value, None);
            let back = source::read(&yaml);
            prop_assert!(back.errors.is_empty(), "{:?}\n{}", back.errors, yaml);
            prop_assert_eq!(normal(&x.value), normal_source(&back.root), "{}", yaml);
            let json = emit::json(&x.value, None);
            prop_assert!(serde_json::from_str::<serde_json::Value>(&json).is_ok(), "{}", json);
        }
    }
}

/// A value as YAML reads it back: plain strings typed, numbers as text.
fn normal(n: &Node) -> String {
    match &n.value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(x) => value::number_text(*x),
        Value::String(s, Style::Plain) => match value::core(s) {
            Some(v) => normal(&Node::new(v, Origin::default())),
            None => format!("{s:?}"),
        },
        Value::String(s, _) => format!("{s:?}"),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(normal).collect::<Vec<_>>().join(",")
        ),
        Value::Object(pairs) => format!(
            "{{{}}}",
            pairs
                .iter()
                .map(|(k, v)| format!("{k:?}:{}", normal(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

fn normal_source(s: &source::SNode) -> String {
    match &s.kind {
        source::SKind::Null => "null".into(),
        source::SKind::Scalar { text, plain, .. } => normal(&Node::new(
            Value::String(
                text.clone(),
                if *plain { Style::Plain } else { Style::Other },
            ),
            Origin::default(),
        )),
        source::SKind::Seq(items) => format!(
            "[{}]",
            items
                .iter()
                .map(normal_source)
                .collect::<Vec<_>>()
                .join(",")
        ),
        source::SKind::Map(pairs) => format!(
            "{{{}}}",
            pairs
                .iter()
                .map(|(k, v)| format!("{:?}:{}", k.text().unwrap_or("null"), normal_source(v)))
                .collect::<Vec<_>>()
                .join(",")
        ),
    }
}

#[test]
fn strings_that_need_quotes_or_blocks_read_back_the_same() {
    let strings = [
        "a: b",
        "#x",
        " lead",
        "true",
        "1.0",
        "\ttab",
        "a\nb",
        "##vso[task.x]\n",
        "a\n\n",
        "\n lead",
        " \nx",
        "-",
        "? x",
        "@x",
        "\u{1}",
        "a  # b",
        "x\r\ny",
        "x  \ny",
        "\t\nx",
        "",
        "null",
        "0x1F",
        "1e3",
        "- a",
        "key:",
        "[a]",
        "{a}",
        "*x",
        "&x",
        "!x",
        "|",
        ">",
        "%x",
        "`x",
        "a\n  b\n",
        "é\nü",
        "yes",
        "~",
        "12:30",
        ".5",
        "+1",
        "a\u{2028}b",
        "x\n",
        "x\n\n\n",
        "\n",
        "  \n  ",
    ];
    for s in strings {
        let node = Node::new(
            Value::Array(vec![Node::new(Value::string(s), Origin::default())]),
            Origin::default(),
        );
        let map = Node::new(
            Value::Object(vec![
                (
                    s.to_string(),
                    Node::new(Value::string(s), Origin::default()),
                ),
                ("k".into(), node),
            ]),
            Origin::default(),
        );
        let yaml = emit::yaml(&map, None);
        let back = source::read(&yaml);
        assert!(back.errors.is_empty(), "{s:?}: {:?}\n{yaml}", back.errors);
        assert_eq!(normal(&map), normal_source(&back.root), "{s:?}\n{yaml}");
        assert!(!yaml.contains("##vso["), "{yaml}");
    }
}

#[test]
fn yaml_nested_as_deep_as_the_grammar_allows_in_twenty_templates_stops_cleanly() {
    // Each template nests 150 mappings deep, then calls the next one.
    let mut files = Vec::new();
    for i in 0..22 {
        let mut text = String::from("steps:\n- script: x\n  env:\n");
        for d in 0..150 {
            text.push_str(&"  ".repeat(d + 2));
            text.push_str(&format!("k{d}:\n"));
        }
        text.push_str(&"  ".repeat(152));
        text.push_str("v: ${{ length('abc') }}\n");
        text.push_str(&format!("- template: t{}.yml\n", i + 1));
        let path: &'static str = Box::leak(format!("/repo/t{i}.yml").into_boxed_str());
        files.push((path, &*Box::leak(text.into_boxed_str())));
    }
    let x = run("steps:\n- template: /t0.yml\n", files);
    assert!(!x.errors.is_empty());
    let _ = emit::yaml(&x.value, None);
}

#[test]
fn a_variable_unknown_at_template_time_reads_as_empty_with_a_note() {
    let x = run(
        "variables:\n  mine: yes\nsteps:\n- ${{ if eq(variables['Build.Reason'], 'PullRequest') }}:\n  - script: pr\n- script: ${{ variables.mine }}\n",
        vec![],
    );
    assert!(x.errors.is_empty(), "{:?}", x.errors);
    assert_eq!(yaml(&x), "variables:\n  mine: yes\nsteps:\n- script: yes\n");
    assert_eq!(x.notes.len(), 1, "{:?}", x.notes);
    assert!(
        x.notes[0]
            .message
            .starts_with("variable \"Build.Reason\" has no value")
    );
    assert_eq!((x.notes[0].line, x.notes[0].column), (3, 12));
}

#[test]
fn more_than_a_hundred_files_is_an_error() {
    let mut files = Vec::new();
    let mut main = String::from("steps:\n");
    for i in 0..105 {
        let path: &'static str = Box::leak(format!("/repo/t{i}.yml").into_boxed_str());
        files.push((path, "steps:\n- script: x\n"));
        main.push_str(&format!("- template: /t{i}.yml\n"));
    }
    let x = run(&main, files);
    let over: Vec<_> = x
        .errors
        .iter()
        .filter(|e| e.message.contains("more than 100 files"))
        .collect();
    assert!(!over.is_empty(), "{:?}", x.errors);
    // The pipeline is a file too: the 100th file is the 99th template.
    assert_eq!(over[0].line, 100);
    assert_eq!(x.files.len(), 100);
}

#[test]
fn many_keys_and_many_errors_stay_fast() {
    // 100,000 keys from one `each`, every one an error too: linear, and errors capped.
    let main = "parameters:\n- name: n\n  type: object\n  default: []\nvariables:\n  ${{ each i in parameters.n }}:\n    ${{ i }}: ${{ length(i) }}\n    ${{ i }}x: ${{ each }}\n";
    let place = Place {
        file: Some(PathBuf::from("/repo/ci/azure-pipelines.yml")),
        workspace: None,
    };
    let list: Vec<String> = (0..50_000).map(|i| format!("k{i}")).collect();
    let started = std::time::Instant::now();
    let x = expand(
        main,
        &place,
        &Memory(vec![]),
        &[("n".to_string(), format!("[{}]", list.join(",")))],
    );
    assert!(started.elapsed().as_secs() < 20, "{:?}", started.elapsed());
    let Value::Object(vars) = &eval::member(&x.value.value, "variables").unwrap().value else {
        panic!()
    };
    assert_eq!(vars.len(), 100_000);
    assert!(x.errors.len() <= MAX_PROBLEMS + 1);
}

#[test]
fn each_call_of_a_template_is_its_own_call_with_its_site() {
    let x = run(
        "steps:\n- template: /a.yml\n  parameters:\n    sc: one\n- template: /a.yml\n  parameters:\n    sc: two\n",
        vec![
            (
                "/repo/a.yml",
                "parameters:\n- name: sc\nsteps:\n- template: b.yml\n  parameters:\n    sc: ${{ parameters.sc }}\n",
            ),
            (
                "/repo/b.yml",
                "parameters:\n- name: sc\nsteps:\n- task: AzureFileCopy@4\n  inputs:\n    azureSubscription: ${{ parameters.sc }}\n",
            ),
        ],
    );
    assert!(x.errors.is_empty(), "{:?}", x.errors);
    // The pipeline, then a.yml and b.yml once per call.
    assert_eq!(x.calls.len(), 5, "{:?}", x.calls);
    let traced = tasks::traced_tasks(&x);
    let seen: Vec<(&str, Vec<u32>)> = traced
        .iter()
        .map(|t| {
            assert_eq!(t.file, Path::new("/repo/b.yml"));
            (
                t.connection.as_str(),
                t.sites.iter().map(|s| s.line).collect(),
            )
        })
        .collect();
    assert_eq!(seen, [("one", vec![1, 3]), ("two", vec![4, 3])]);
    assert_eq!(
        traced[0].sites[0].file.as_deref(),
        Some(Path::new("/repo/ci/azure-pipelines.yml"))
    );
}

#[test]
fn a_template_task_takes_its_connection_from_the_innermost_variables() {
    let x = run(
        "variables:\n  sc: root-sc\njobs:\n- job: a\n  variables:\n  - name: sc\n    value: job-sc\n  steps:\n  - template: /s.yml\n- job: b\n  steps:\n  - template: /s.yml\n- job: c\n  steps:\n  - task: AzureCLI@2\n    inputs:\n      azureSubscription: $(sc)\n",
        vec![(
            "/repo/s.yml",
            "steps:\n- task: AzureCLI@2\n  inputs:\n    connectedServiceNameARM: $(sc)\n- task: AzureCLI@2\n  inputs:\n    azureSubscription: $(unset)\n- task: PowerShell@2\n  inputs:\n    targetType: inline\n",
        )],
    );
    assert!(x.errors.is_empty(), "{:?}", x.errors);
    let got: Vec<String> = tasks::traced_tasks(&x)
        .into_iter()
        .map(|t| t.connection)
        .collect();
    // The pipeline's own step (job c) is not a template's; an alias names the input too.
    assert_eq!(got, ["job-sc", "$(unset)", "root-sc", "$(unset)"]);
}
