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
