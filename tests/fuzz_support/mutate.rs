//! Mutations of pipeline files, as bytes: the small damage of a half-typed or mangled file,
//! and the hostile shapes untrusted input can take (deep nesting, huge lines, very many
//! lines, bytes that are not UTF-8, names and texts that CI agents would execute).

use super::Rng;

/// What a mutated file must still produce, when the mutation alone decides it.
#[derive(Clone, Debug)]
pub struct Expect {
    pub rule: &'static str,
    /// 1-based, as `check` reports lines.
    pub line: usize,
}

/// One mutation. Nesting mutations carry their depth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mutation {
    FlipBytes,
    DeleteLines,
    DuplicateLines,
    TabIndent,
    UnclosedQuote,
    UnclosedBracket,
    Expression,
    InvalidUtf8,
    Nul,
    Bom,
    CrOnly,
    MixedLineEndings,
    Truncate,
    Splice,
    YamlTokens,
    Aliases,
    Hostile,
    /// `a:` inside `a:`, one more space each level.
    BlockMappings(usize),
    /// `-` inside `-`, one more space each level.
    BlockSequences(usize),
    /// `- - - - x` on one line.
    DashChain(usize),
    FlowSequences(usize),
    FlowMappings(usize),
    /// `- ${{ if true }}:` inside each other, with a step at the bottom.
    IfNesting(usize),
    /// `and(and(and(...` in a condition, `((((` in a template expression.
    ExprNesting(usize),
    /// One line of 10 MiB.
    HugeLine,
    /// More lines than the grammar's 16-bit row counter holds.
    ManyLines,
}

use Mutation::*;

/// Small damage: what a half-typed or mangled file looks like.
const SMALL: &[Mutation] = &[
    FlipBytes,
    DeleteLines,
    DuplicateLines,
    TabIndent,
    UnclosedQuote,
    UnclosedBracket,
    Expression,
    InvalidUtf8,
    Nul,
    Bom,
    CrOnly,
    MixedLineEndings,
    Truncate,
    Splice,
    YamlTokens,
    Aliases,
    Hostile,
];

/// Nesting written on one line: linear in size, so any depth.
pub const ONE_LINE: [fn(usize) -> Mutation; 4] =
    [DashChain, FlowSequences, FlowMappings, ExprNesting];
/// Nesting by indentation: quadratic in size.
pub const INDENTED: [fn(usize) -> Mutation; 3] = [BlockMappings, BlockSequences, IfNesting];

/// Every mutation once, nesting at 300, 3,000 and 30,000 levels: the first cases of every
/// run. Indented nesting stops at 3,000 levels, where it is already a 9 MB file; 30,000
/// levels would take 450 MB or more.
pub fn coverage() -> Vec<Mutation> {
    let nesting = |depth| {
        INDENTED
            .iter()
            .chain(&ONE_LINE)
            .map(move |kind| kind(depth))
    };
    let mut out: Vec<Mutation> = nesting(300).collect();
    out.extend(SMALL);
    out.extend(nesting(3000));
    out.extend(ONE_LINE.iter().map(|kind| kind(30000)));
    out.extend([HugeLine, ManyLines]);
    out
}

/// A random mutation: mostly small damage, sometimes deep nesting, rarely huge files
/// (each costs a second of checking).
pub fn random(rng: &mut Rng) -> Mutation {
    match rng.below(100) {
        0 => HugeLine,
        1 => ManyLines,
        2..=11 => deep(rng, 3000),
        _ => *rng.pick(SMALL),
    }
}

/// Deep nesting of any kind; indented only up to `indented_max` levels, where its size
/// (quadratic in the depth) stays reasonable.
pub fn deep(rng: &mut Rng, indented_max: usize) -> Mutation {
    let depth = depth(rng);
    if depth > indented_max || rng.one_in(2) {
        rng.pick(&ONE_LINE)(depth)
    } else {
        rng.pick(&INDENTED)(depth)
    }
}

/// A nesting depth: around the grammar's known limit (~254) most often, then the depths
/// that stress walks up the tree and recursion.
pub fn depth(rng: &mut Rng) -> usize {
    match rng.below(6) {
        0 => 200 + rng.below(100),
        1 => 300,
        2 => 3000,
        3 => 30000,
        _ => 100 + rng.below(2000),
    }
}

const TEN_MIB: usize = 10 << 20;

/// Byte offsets where lines start (after each `\n`).
fn line_starts(bytes: &[u8]) -> Vec<usize> {
    let mut starts = vec![0];
    starts.extend(
        bytes
            .iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i + 1)
            .filter(|&i| i < bytes.len()),
    );
    starts
}

/// A random line start and that line's indentation (spaces only).
fn random_line(rng: &mut Rng, bytes: &[u8]) -> (usize, usize) {
    let starts = line_starts(bytes);
    let at = *rng.pick(&starts);
    let indent = bytes[at..].iter().take_while(|&&b| b == b' ').count();
    (at, indent)
}

/// The line start and indentation of a random step (`- task:` or `- script:`), else of a
/// random line: where hostile steps do the most damage.
fn step_line(rng: &mut Rng, bytes: &[u8]) -> (usize, usize) {
    let steps: Vec<(usize, usize)> = line_starts(bytes)
        .into_iter()
        .filter_map(|at| {
            let line = &bytes[at..];
            let indent = line.iter().take_while(|&&b| b == b' ').count();
            let rest = &line[indent..];
            (rest.starts_with(b"- task:") || rest.starts_with(b"- script:")).then_some((at, indent))
        })
        .collect();
    if steps.is_empty() {
        random_line(rng, bytes)
    } else {
        *rng.pick(&steps)
    }
}

fn insert(bytes: &mut Vec<u8>, at: usize, what: &[u8]) {
    bytes.splice(at..at, what.iter().copied());
}

fn spaces(n: usize) -> String {
    " ".repeat(n)
}

/// Text that nests `depth` levels, for a line indented by `indent`: shared with the server
/// fuzzer, which types the same shapes into open documents.
pub fn nested(kind: Mutation, indent: usize, closed: bool) -> String {
    let pad = spaces(indent);
    match kind {
        BlockMappings(depth) => {
            let mut out = String::new();
            for level in 0..depth {
                out.push_str(&format!("{}k{level}:\n", spaces(indent + level)));
            }
            out.push_str(&format!(
                "{}- task: AzureFileCopy@4\n",
                spaces(indent + depth)
            ));
            out
        }
        BlockSequences(depth) => {
            let mut out = String::new();
            for level in 0..depth {
                out.push_str(&format!("{}-\n", spaces(indent + level)));
            }
            out.push_str(&format!(
                "{}task: AzureFileCopy@4\n",
                spaces(indent + depth)
            ));
            out
        }
        DashChain(depth) => format!("{pad}{}task: AzureFileCopy@4\n", "- ".repeat(depth)),
        FlowSequences(depth) => {
            let close = if closed {
                "]".repeat(depth)
            } else {
                String::new()
            };
            format!("{pad}- deep: {}x{close}\n", "[".repeat(depth))
        }
        FlowMappings(depth) => {
            let close = if closed {
                "}".repeat(depth)
            } else {
                String::new()
            };
            format!(
                "{pad}- {}task: AzureFileCopy@4{close}\n",
                "{a: ".repeat(depth)
            )
        }
        IfNesting(depth) => {
            let mut out = String::new();
            for level in 0..depth {
                out.push_str(&format!(
                    "{}- ${{{{ if true }}}}:\n",
                    spaces(indent + 2 * level)
                ));
            }
            out.push_str(&format!(
                "{}- task: AzureFileCopy@4\n",
                spaces(indent + 2 * depth)
            ));
            out
        }
        ExprNesting(depth) => {
            let close = if closed {
                ")".repeat(depth)
            } else {
                String::new()
            };
            if depth % 2 == 0 {
                format!(
                    "{pad}- script: echo x\n{pad}  condition: {}succeeded(){close}\n",
                    "and(true, ".repeat(depth)
                )
            } else {
                format!(
                    "{pad}- script: echo ${{{{ {}1{close} }}}}\n",
                    "(".repeat(depth)
                )
            }
        }
        other => panic!("{other:?} is not a nesting mutation"),
    }
}

/// Strings that a CI agent would act on if printed unescaped, and other hostile text.
pub const HOSTILE: &[&str] = &[
    "##vso[task.setvariable variable=azpls_fuzz]injected",
    "::error file=x.yml,line=1::injected",
    "##[error]injected",
    "x]##vso[task.complete result=Failed;]",
    "a;b]c%0A%25",
    "\u{202e}lmy.exe",
    "\u{1b}[2J\u{1b}]0;title\u{7}",
];

/// A hostile step: its display name, an input key and its service connection carry `text`,
/// and its task version is deprecated, so findings (and their notes) quote all three.
fn hostile_step(indent: usize, text: &str, double_quoted: bool) -> String {
    let pad = spaces(indent);
    let quoted = if double_quoted {
        let escaped: String = text
            .chars()
            .map(|c| match c {
                '"' => "\\\"".to_string(),
                '\\' => "\\\\".to_string(),
                c if c.is_control() => format!("\\x{:02x}", c as u32),
                c => c.to_string(),
            })
            .collect();
        format!("\"{escaped}\"")
    } else {
        format!("'{}'", text.replace('\'', "''"))
    };
    format!(
        "{pad}- task: AzureFileCopy@4\n{pad}  displayName: {quoted}\n{pad}  inputs:\n{pad}    {quoted}: x\n{pad}    azureSubscription: {quoted}\n{pad}- task: {quoted}\n"
    )
}

/// A file name that breaks careless printing: CI commands, newlines, a leading dash, bytes
/// that are not UTF-8, terminal escapes. Unique per case.
pub fn hostile_name(rng: &mut Rng, case: usize) -> Vec<u8> {
    let stem = format!("case-{case}");
    let mut name: Vec<u8> = match rng.below(11) {
        0 => format!("{stem} ##vso[task.setvariable variable=azpls_fuzz]x").into_bytes(),
        1 => format!("{stem}\n::error file=x::injected").into_bytes(),
        2 => format!("-{stem}").into_bytes(),
        3 => format!("{stem};code=x]tail").into_bytes(),
        4 => format!("{stem} \u{1b}[31mred").into_bytes(),
        5 => {
            let mut n = stem.into_bytes();
            n.extend_from_slice(b"\xff\xfe");
            n
        }
        6 => format!("{stem} \u{202e}lmy").into_bytes(),
        7 => format!("{stem}%0A%25").into_bytes(),
        8 => format!("{stem} 'q' \"qq\" $HOME `x` \\").into_bytes(),
        9 => format!("{stem}{}", "n".repeat(230)).into_bytes(),
        _ => format!("{stem}\r").into_bytes(),
    };
    name.extend_from_slice(if rng.one_in(4) { b".yaml" } else { b".yml" });
    name
}

impl Mutation {
    /// Applies the mutation; returns what the result must still contain, when the mutation
    /// alone decides it (the caller keeps it only if no other mutation follows).
    pub fn apply(
        self,
        rng: &mut Rng,
        bytes: &mut Vec<u8>,
        others: &[(String, Vec<u8>)],
    ) -> Option<Expect> {
        match self {
            FlipBytes => {
                for _ in 0..1 + rng.below(8) {
                    if bytes.is_empty() {
                        break;
                    }
                    let at = rng.below(bytes.len());
                    bytes[at] ^= 1 << rng.below(8);
                }
            }
            DeleteLines => {
                let starts = line_starts(bytes);
                let first = rng.below(starts.len());
                let last = (first + 1 + rng.below(5)).min(starts.len());
                let end = starts.get(last).copied().unwrap_or(bytes.len());
                bytes.drain(starts[first]..end);
            }
            DuplicateLines => {
                let starts = line_starts(bytes);
                let first = rng.below(starts.len());
                let last = (first + 1 + rng.below(10)).min(starts.len());
                let end = starts.get(last).copied().unwrap_or(bytes.len());
                let mut copy = bytes[starts[first]..end].to_vec();
                if !copy.ends_with(b"\n") {
                    copy.push(b'\n');
                }
                let at = *rng.pick(&starts);
                insert(bytes, at, &copy);
            }
            TabIndent => {
                for _ in 0..1 + rng.below(5) {
                    let (at, indent) = random_line(rng, bytes);
                    match (indent, rng.below(3)) {
                        (0, _) => insert(bytes, at, b"\t"),
                        (_, 0) => bytes[at] = b'\t',
                        (_, 1) => insert(bytes, at + indent, b"-\t"),
                        _ => insert(bytes, at + rng.below(indent + 1), b"\t"),
                    }
                }
            }
            UnclosedQuote | UnclosedBracket | Expression | YamlTokens | InvalidUtf8 | Nul => {
                let pieces: &[&[u8]] = match self {
                    UnclosedQuote => &[b"\"", b"'", b": \"", b": '", b"\"\\"],
                    UnclosedBracket => &[b"[", b"{", b"]", b"}", b": [", b": {", b"- {"],
                    Expression => &[
                        b"${{",
                        b"${{ if ",
                        b"${{ each x in ",
                        b"}}",
                        b"$[",
                        b"$(",
                        b"${{ parameters.",
                        b"${{ if eq(",
                        b"- ${{ else }}:",
                        b"${{ elseif true }}:",
                        b"${{ insert }}:",
                        b"$[ variables['",
                    ],
                    YamlTokens => &[
                        b"&a ",
                        b"*a",
                        b"<<: *a\n",
                        b"!!str ",
                        b"? ",
                        b"|\n",
                        b">-\n",
                        b"---\n",
                        b"...\n",
                        b"%YAML 1.2\n",
                        b"%TAG ! tag:x,2000:\n",
                        b"!<tag:x> ",
                        b"#",
                        b": ",
                        b"- ",
                    ],
                    InvalidUtf8 => &[
                        b"\xff",
                        b"\xc3",
                        b"\xed\xa0\x80",
                        b"\xc0\xaf",
                        b"\xf4\x90\x80\x80",
                        b"\x80",
                    ],
                    _ => &[b"\0", b"\0\0\0", b"x\0y"],
                };
                for _ in 0..1 + rng.below(3) {
                    let at = rng.below(bytes.len() + 1);
                    let piece = pieces[rng.below(pieces.len())];
                    insert(bytes, at, piece);
                }
            }
            Bom => match rng.below(3) {
                0 => insert(bytes, 0, "\u{feff}".as_bytes()),
                1 => insert(bytes, 0, "\u{feff}\u{feff}".as_bytes()),
                _ => {
                    let (at, _) = random_line(rng, bytes);
                    insert(bytes, at, "\u{feff}".as_bytes());
                }
            },
            CrOnly | MixedLineEndings => {
                let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 20);
                for (i, &b) in bytes.iter().enumerate() {
                    match b {
                        b'\r' if bytes.get(i + 1) == Some(&b'\n') => {}
                        b'\n' => {
                            let ending: &[u8] = match (self, rng.below(3)) {
                                (CrOnly, _) | (_, 0) => b"\r",
                                (_, 1) => b"\r\n",
                                _ => b"\n",
                            };
                            out.extend_from_slice(ending);
                        }
                        b => out.push(b),
                    }
                }
                *bytes = out;
            }
            Truncate => {
                let at = rng.below(bytes.len() + 1);
                bytes.truncate(at);
            }
            Splice => {
                let (_, other) = rng.pick(others);
                let starts = line_starts(other);
                let first = rng.below(starts.len());
                let last = (first + 1 + rng.below(40)).min(starts.len());
                let end = starts.get(last).copied().unwrap_or(other.len());
                let chunk = other[starts[first]..end].to_vec();
                let (at, _) = random_line(rng, bytes);
                insert(bytes, at, &chunk);
            }
            Aliases => {
                // A billion laughs: nine aliases per level, ten levels, if anything expanded them.
                let mut laughs =
                    String::from("lol0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
                for level in 1..10 {
                    let prev = format!("*l{}", level - 1);
                    let items = [prev.as_str(); 9].join(", ");
                    laughs.push_str(&format!("lol{level}: &l{level} [{items}]\n"));
                }
                laughs.push_str("steps: *l9\nstages:\n- <<: *l9\n  jobs: *l9\n");
                let at = if rng.one_in(2) { 0 } else { bytes.len() };
                if at == bytes.len() && !bytes.ends_with(b"\n") && !bytes.is_empty() {
                    bytes.push(b'\n');
                }
                let at = at.min(bytes.len());
                insert(bytes, at, laughs.as_bytes());
            }
            Hostile => {
                let (at, indent) = step_line(rng, bytes);
                let text = *rng.pick(HOSTILE);
                let step = hostile_step(indent, text, rng.one_in(2));
                insert(bytes, at, step.as_bytes());
            }
            BlockMappings(_) | BlockSequences(_) | IfNesting(_) => {
                let (at, indent) = step_line(rng, bytes);
                insert(bytes, at, nested(self, indent, true).as_bytes());
            }
            DashChain(_) | FlowSequences(_) | FlowMappings(_) | ExprNesting(_) => {
                let (at, indent) = step_line(rng, bytes);
                let closed = !rng.one_in(3);
                insert(bytes, at, nested(self, indent, closed).as_bytes());
            }
            HugeLine => {
                let (at, indent) = step_line(rng, bytes);
                let pad = spaces(indent);
                let filler = |unit: &str| unit.repeat(TEN_MIB / unit.len());
                let line = match rng.below(6) {
                    0 => format!("{pad}# {}\n", filler("x")),
                    1 => format!("{pad}- script: echo {}\n", filler("y")),
                    2 => format!(
                        "{pad}- task: AzureFileCopy@4\n{pad}  displayName: {}\n",
                        filler("z")
                    ),
                    3 => format!("{pad}- task: AzureFileCop{}@4\n", filler("y")),
                    4 => format!(
                        "{pad}- {{ task: AzureFileCopy@4, inputs: {{ a: [{}x] }} }}\n",
                        filler("x, ")
                    ),
                    _ => format!(
                        "{pad}- task: AzureCLI@2\n{pad}  inputs:\n{pad}    scriptTyp{}: bash\n",
                        filler("e")
                    ),
                };
                insert(bytes, at, line.as_bytes());
            }
            ManyLines => {
                let lines = 33_000 + rng.below(8_000);
                return Some(match rng.below(3) {
                    // One top-level key over all of it: nowhere to cut the file into segments.
                    0 => {
                        let mut text = String::from("steps:\n");
                        for i in 0..lines {
                            text.push_str(&format!("  - script: echo {i}\n"));
                        }
                        text.push_str("  - task: AzureFileCopy@4\n");
                        *bytes = text.into_bytes();
                        Expect {
                            rule: "wif-deprecated-version",
                            line: lines + 2,
                        }
                    }
                    // A block scalar of many lines, then a step.
                    1 => {
                        let mut text = String::from("steps:\n- script: |\n");
                        for i in 0..lines {
                            text.push_str(&format!("    echo {i}\n"));
                        }
                        text.push_str("- task: AzureFileCopy@4\n");
                        *bytes = text.into_bytes();
                        Expect {
                            rule: "wif-deprecated-version",
                            line: lines + 3,
                        }
                    }
                    // The file itself, again and again, then a step at the top level.
                    _ => {
                        let original = bytes.clone();
                        let per_copy = original.iter().filter(|&&b| b == b'\n').count().max(1);
                        for _ in 0..lines / per_copy + 1 {
                            if !bytes.ends_with(b"\n") {
                                bytes.push(b'\n');
                            }
                            bytes.extend_from_slice(&original);
                        }
                        if !bytes.ends_with(b"\n") {
                            bytes.push(b'\n');
                        }
                        bytes.extend_from_slice(b"steps:\n- task: AzureFileCopy@4\n");
                        let line = bytes.iter().filter(|&&b| b == b'\n').count();
                        Expect {
                            rule: "wif-deprecated-version",
                            line,
                        }
                    }
                });
            }
        }
        None
    }
}
