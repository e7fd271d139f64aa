//! Folding ranges, by whole lines: every mapping value and sequence item that spans
//! lines (so stages, jobs, steps, `inputs:` and block scalars such as `script: |`), and
//! runs of full-line comments.
//!
//! Block YAML nests by indentation, so the folds are read from the lines rather than the
//! syntax tree: one pass with a stack of open blocks. It gives what the tree would (a
//! line opens a block of the more indented lines after it, and a `key:` also of the `- `
//! items at its own indentation), costs a fraction of a tree walk, and does not change
//! while a half-typed line breaks the tree. Block scalars are text: nothing folds inside
//! them, and a `#` line in a script is not a comment. A fold ends at its last line of
//! content, not at a comment that introduces what follows.

use crate::document::Document;
use crate::model::Model;

/// What a fold holds. Editors act on kinds (VS Code's "Fold All Regions" folds the
/// `region` ones, "Fold All Block Comments" the `comment` ones), so a fold claims only
/// the kind it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FoldKind {
    /// A block of more indented lines: a stage, a job, a step, a mapping value, a block
    /// scalar. Not a region: LSP's `region` is for explicit markers such as `#region`.
    Block,
    /// A run of full-line comments.
    Comment,
}

/// Lines `start_line..=end_line` fold into `start_line` (zero-based, `end_line >
/// start_line`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fold {
    pub start_line: u32,
    pub end_line: u32,
    pub kind: FoldKind,
}

/// A line that may open a block.
struct Open {
    line: usize,
    indent: usize,
    /// A `key:` whose `- ` items may sit at its own indentation.
    open_key: bool,
}

/// The folds of a document, sorted by start line, at most one per line.
pub fn folding_ranges(doc: &Document, model: &Model) -> Vec<Fold> {
    let lines = &model.pipeline(doc).lines;
    let mut folds = Vec::new();
    let mut stack: Vec<Open> = Vec::new();
    // The last line of content seen, where blocks closed by the next line end.
    let mut last_content = 0;
    // Inside a block scalar: lines indented more than this are its text.
    let mut scalar: Option<usize> = None;
    let mut comments: Option<(usize, usize)> = None;
    for (i, line) in lines.iter().enumerate() {
        if let Some(limit) = scalar {
            if !line.content && !line.comment {
                continue;
            }
            if line.indent > limit {
                last_content = i;
                continue;
            }
            scalar = None;
        }
        if line.comment {
            comments = match comments {
                Some((from, to)) if to + 1 == i => Some((from, i)),
                _ => {
                    close_comments(&mut comments, &mut folds);
                    Some((i, i))
                }
            };
            continue;
        }
        if !line.content {
            continue;
        }
        close_comments(&mut comments, &mut folds);
        while let Some(top) = stack.last() {
            let inside = line.indent > top.indent
                || (line.indent == top.indent && line.dash && top.open_key);
            if inside {
                break;
            }
            if last_content > top.line {
                folds.push(fold(top.line, last_content, FoldKind::Block));
            }
            stack.pop();
        }
        stack.push(Open {
            line: i,
            indent: line.indent,
            open_key: line.open_key,
        });
        scalar = line.scalar_limit;
        last_content = i;
    }
    close_comments(&mut comments, &mut folds);
    for top in stack.iter().rev() {
        if last_content > top.line {
            folds.push(fold(top.line, last_content, FoldKind::Block));
        }
    }
    folds.sort_by_key(|f| f.start_line);
    folds
}

/// Ends a run of comment lines, folding it if it has several.
fn close_comments(run: &mut Option<(usize, usize)>, folds: &mut Vec<Fold>) {
    if let Some((from, to)) = run.take()
        && to > from
    {
        folds.push(fold(from, to, FoldKind::Comment));
    }
}

fn fold(start: usize, end: usize, kind: FoldKind) -> Fold {
    Fold {
        start_line: start as u32,
        end_line: end as u32,
        kind,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(text: &str) -> Vec<(u32, u32, FoldKind)> {
        {
            let doc = Document::new(text, 0);
            folding_ranges(&doc, &crate::model::build(&doc))
        }
        .iter()
        .map(|f| (f.start_line, f.end_line, f.kind))
        .collect()
    }

    use FoldKind::{Block, Comment};

    #[test]
    fn items_keys_and_block_scalars_fold() {
        let text = "steps:\n- script: |\n    echo a\n    echo b\n  displayName: x\n\n# next\n- task: A@1\n";
        assert_eq!(ranges(text), [(0, 7, Block), (1, 4, Block)]);
    }

    #[test]
    fn nothing_folds_inside_a_block_scalar() {
        let text = "- bash: |\n    for f in *; do\n      echo $f\n    done\n    # not a comment\n    # in YAML\n  displayName: loop\n";
        assert_eq!(ranges(text), [(0, 6, Block)]);
    }

    #[test]
    fn comment_runs_fold_and_do_not_end_blocks() {
        let text = "# one\n# two\njobs:\n- job: A\n  steps:\n  - script: a\n\n  # about B\n# unindented\n- job: B\n";
        assert_eq!(
            ranges(text),
            [
                (0, 1, Comment),
                (2, 9, Block),
                (3, 5, Block),
                (4, 5, Block),
                (7, 8, Comment)
            ]
        );
    }
}
