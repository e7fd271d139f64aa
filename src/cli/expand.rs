//! `azpls expand`: the pipeline the service will run, printed as YAML (a comment names the
//! source file and line of every sequence item) or JSON (a `"$source"` field does), and
//! the errors the service would raise on stderr, `file:line:column: error: message`.
//!
//! Exit code: 0 expanded without errors, 1 expansion reported errors (what could be
//! expanded is still printed), 2 bad input (unreadable file, bad `--parameter`).

use super::escape;
use crate::expand::{self, Expansion, Node, emit};
use crate::ide::templates::{DiskFiles, Place};
use std::io::Write;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "yaml" => Some(Format::Yaml),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

/// `name=value`, as `--parameter` takes it.
pub fn parameter(arg: &str) -> Result<(String, String), String> {
    match arg.split_once('=') {
        Some((name, value)) if !name.trim().is_empty() => {
            Ok((name.trim().to_string(), value.to_string()))
        }
        _ => Err(format!(
            "bad --parameter {}: write name=value",
            escape::quote(arg, 60)
        )),
    }
}

/// How a file of the expansion is named in the output: relative to the pipeline's folder
/// when it is inside it.
fn names(x: &Expansion, main: &Path) -> Vec<String> {
    let base = main.parent().unwrap_or(Path::new(""));
    x.files
        .iter()
        .map(|p| match p {
            Some(p) => p
                .strip_prefix(base)
                .unwrap_or(p)
                .to_string_lossy()
                .replace('\\', "/"),
            None => "-".to_string(),
        })
        .collect()
}

/// Expands `path` and prints the result to `out` and the problems to `err`; the exit code.
pub fn run(
    path: &Path,
    parameters: &[(String, String)],
    format: Format,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> std::io::Result<u8> {
    let text = match std::fs::read(path) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(t) => t,
            Err(_) => {
                writeln!(
                    err,
                    "error: {} is not UTF-8 text",
                    escape::text(&path.display().to_string())
                )?;
                return Ok(2);
            }
        },
        Err(e) => {
            writeln!(
                err,
                "error: cannot read {}: {e}",
                escape::text(&path.display().to_string())
            )?;
            return Ok(2);
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let place = Place {
        file: Some(PathBuf::from(path)),
        workspace: None,
    };
    let x = expand::expand(text, &place, &DiskFiles, parameters);
    let names = names(&x, path);
    let namer = |n: &Node| {
        let file = names
            .get(n.origin.file as usize)
            .map_or("-", String::as_str);
        format!("{file}:{}", n.origin.line + 1)
    };
    let printed = match format {
        Format::Yaml => emit::yaml(&x.value, Some(&namer)),
        Format::Json => emit::json(&x.value, Some(&namer)),
    };
    out.write_all(printed.as_bytes())?;
    for (kind, list) in [("note", &x.notes), ("error", &x.errors)] {
        for p in list.iter() {
            let file = names.get(p.file as usize).map_or("-", String::as_str);
            writeln!(
                err,
                "{}:{}:{}: {kind}: {}",
                escape::line_start(file),
                p.line + 1,
                p.column + 1,
                escape::text(&p.message)
            )?;
        }
    }
    Ok(if x.errors.is_empty() { 0 } else { 1 })
}
