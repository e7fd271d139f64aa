//! The analysis: `analyze(&Document, &Config) -> Vec<Finding>`. Pure and total: it never
//! fails on bad input, it reads the model and the knowledge base, and each finding
//! carries byte spans and, where one exists, its fix as minimal text edits.
//!
//! Each rule lives in its own file under `rules/` and is listed once in [`RULES`].

pub mod connections;
mod expressions;
pub(crate) mod memo;
pub mod rules;
pub mod structure;
pub mod suggest;
pub mod suppress;
pub mod walks;

use crate::document::{Document, Edit};
use crate::ide::templates;
use crate::knowledge::{self, CatalogTask, Knowledge, TableId, TaskEntry};
use crate::model::pipeline::Pipeline;
use crate::model::{self, Model, TaskRef, TaskStep};
use crate::syntax::errors::SyntaxError;
use crate::text::Span;
pub use walks::Parallel;

/// How serious a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Hint,
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Hint => "hint",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A rule's identity and documentation.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    /// Short kebab-case id, shown with every finding.
    pub id: &'static str,
    /// One line: what the rule finds.
    pub summary: &'static str,
    /// A longer explanation for `azpls rules ID`.
    pub explanation: &'static str,
    pub default_severity: Severity,
    /// Where the rule's facts are documented.
    pub docs: Docs,
}

/// The page that backs a rule.
#[derive(Debug, PartialEq, Eq)]
pub enum Docs {
    /// A section of the workload identity troubleshooting document, by anchor: the link
    /// follows the table version that applies.
    Troubleshoot(&'static str),
    /// Any other page (the task reference for catalog rules).
    Page(&'static str),
}

impl Rule {
    /// Whether the rule is about workload identity federation (the `wif-` rules), as opposed
    /// to the task catalog's general checks.
    pub fn about_wif(&self) -> bool {
        self.id.starts_with("wif-")
    }

    /// The documentation link for the rule, in the table version that applies.
    pub fn url(&self, table: TableId) -> String {
        match self.docs {
            Docs::Troubleshoot(anchor) => {
                format!("{}#{anchor}", knowledge::knowledge().table(table).url)
            }
            Docs::Page(url) => url.to_string(),
        }
    }
}

/// Which rule-specific check to run, in registry order.
type Check = fn(&Context, &mut Vec<Finding>);

/// Every rule, once, in the order their findings are reported for one position.
pub const RULES: &[(&Rule, Check)] = &[
    // The file itself, before anything in it.
    (&rules::parse_limit::RULE, rules::parse_limit::check),
    (&rules::yaml_syntax::RULE, rules::yaml_syntax::check),
    (&rules::duplicate_key::RULE, rules::duplicate_key::check),
    (
        &rules::deprecated_version::RULE,
        rules::deprecated_version::check,
    ),
    (
        &rules::unsupported_task::RULE,
        rules::unsupported_task::check,
    ),
    (&rules::planned_support::RULE, rules::planned_support::check),
    (
        &rules::unsupported_input::RULE,
        rules::unsupported_input::check,
    ),
    (
        &rules::container_resource::RULE,
        rules::container_resource::check,
    ),
    // From the built-in task catalog.
    (&rules::unknown_task::RULE, rules::unknown_task::check),
    (&rules::unknown_version::RULE, rules::unknown_version::check),
    (&rules::deprecated_task::RULE, rules::deprecated_task::check),
    (&rules::unknown_input::RULE, rules::unknown_input::check),
    (
        &rules::invalid_input_value::RULE,
        rules::invalid_input_value::check,
    ),
    (
        &rules::missing_required_input::RULE,
        rules::missing_required_input::check,
    ),
    // The language: keys, types and values from the YAML schema.
    (&rules::unknown_key::RULE, rules::unknown_key::check),
    (&rules::wrong_type::RULE, rules::wrong_type::check),
    (&rules::invalid_value::RULE, rules::invalid_value::check),
    (&rules::missing_key::RULE, rules::missing_key::check),
    // Stages, jobs and their dependencies.
    (&rules::invalid_name::RULE, rules::invalid_name::check),
    (&rules::duplicate_name::RULE, rules::duplicate_name::check),
    (
        &rules::unknown_dependency::RULE,
        rules::unknown_dependency::check,
    ),
    (
        &rules::dependency_cycle::RULE,
        rules::dependency_cycle::check,
    ),
    (
        &rules::undeclared_dependency::RULE,
        rules::undeclared_dependency::check,
    ),
    // Expressions: `${{ }}`, `$[ ]` and conditions.
    (
        &rules::expression_syntax::RULE,
        rules::expression_syntax::check,
    ),
    (
        &rules::unknown_function::RULE,
        rules::unknown_function::check,
    ),
    (&rules::function_arity::RULE, rules::function_arity::check),
    (&rules::status_function::RULE, rules::status_function::check),
    (
        &rules::undeclared_parameter::RULE,
        rules::undeclared_parameter::check,
    ),
    // The pipeline's pools.
    (
        &rules::invalid_vm_image::RULE,
        rules::invalid_vm_image::check,
    ),
    // Templates, where the document's place is known.
    (
        &rules::template_outside::RULE,
        rules::template_outside::check,
    ),
    (
        &rules::invalid_parameter::RULE,
        rules::invalid_parameter::check,
    ),
    (
        &rules::missing_template::RULE,
        rules::missing_template::check,
    ),
    (
        &rules::unknown_template_parameter::RULE,
        rules::unknown_template_parameter::check,
    ),
    (
        &rules::missing_template_parameter::RULE,
        rules::missing_template_parameter::check,
    ),
    (
        &rules::invalid_template_argument::RULE,
        rules::invalid_template_argument::check,
    ),
];

/// Looks a rule up by id.
pub fn rule(id: &str) -> Option<&'static Rule> {
    RULES.iter().map(|(r, _)| *r).find(|r| r.id == id)
}

/// What the analysis may be told by the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Which dated table of the document applies (default: the newest).
    pub table: TableId,
    /// Rules switched off, by id.
    pub disabled: Vec<String>,
    /// Severity overrides, by rule id.
    pub severities: Vec<(String, Severity)>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            table: knowledge::knowledge().newest(),
            disabled: Vec::new(),
            severities: Vec::new(),
        }
    }
}

impl Config {
    fn severity(&self, rule: &Rule) -> Severity {
        self.severities
            .iter()
            .find(|(id, _)| id == rule.id)
            .map(|(_, s)| *s)
            .unwrap_or(rule.default_severity)
    }
}

/// A secondary location that explains a finding (the step it belongs to).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    pub span: Span,
    pub label: String,
}

/// A fix: minimal edits, and whether applying it can change what the step does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub title: String,
    pub edits: Vec<Edit>,
    /// Safe fixes keep the step's meaning: every input it sets exists in the new
    /// version and nothing required is missing. Unsafe ones need the `note`'s changes.
    pub safe: bool,
    /// For unsafe fixes: the inputs to rename, drop or add by hand.
    pub note: Option<String>,
}

impl Fix {
    /// A fix that replaces one token with `to`, titled "Change to …".
    pub fn replace(span: &Span, to: &str, safe: bool) -> Fix {
        Fix {
            title: format!("Change to \"{to}\""),
            edits: vec![Edit {
                span: span.clone(),
                text: to.to_string(),
            }],
            safe,
            note: None,
        }
    }
}

impl CheckedCall {
    /// What the template declares and what the call passes, when both are known.
    pub fn judged(&self) -> Option<(&[templates::Parameter], &[templates::Argument])> {
        Some((self.declared.as_deref()?, self.call.passed.as_deref()?))
    }
}

/// One problem found in a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub rule: &'static Rule,
    pub severity: Severity,
    /// The exact token: the version digits, the task name, or the input key.
    pub span: Span,
    pub message: String,
    pub related: Vec<Related>,
    /// Marks findings about a deprecated version, so editors strike them through.
    pub deprecated: bool,
    pub fix: Option<Fix>,
}

impl Finding {
    /// A finding of `rule` at `span` with the rule's default severity, for rules that
    /// judge outside a [`Context`] (the context applies the configured severity).
    pub fn new(rule: &'static Rule, span: Span, message: String) -> Finding {
        Finding {
            rule,
            severity: rule.default_severity,
            span,
            message,
            related: Vec::new(),
            deprecated: false,
            fix: None,
        }
    }

    /// The message as shown to people: ending with the rule id.
    pub fn full_message(&self) -> String {
        format!("{} [{}]", self.message, self.rule.id)
    }
}

/// Where a document lives, for the rules that look past it (template references). The
/// analysis itself stays pure: the file system is behind [`templates::Files`].
pub struct Environment<'a> {
    pub place: &'a templates::Place,
    pub files: &'a dyn templates::Files,
}

/// Everything a rule may look at.
pub struct Context<'a> {
    pub doc: &'a Document,
    pub model: &'a Model,
    pub config: &'a Config,
    /// Where the document lives, when the caller knows (the editor and `check` do).
    pub env: Option<&'a Environment<'a>>,
    pub knowledge: &'static Knowledge,
    /// The document's syntax errors, found once for the rule that reports them and for
    /// dropping the other findings inside them.
    pub syntax_errors: &'a [SyntaxError],
    /// The table row of each step (by index into `model.steps`), looked up once for all
    /// rules.
    entries: Vec<Option<&'static TaskEntry>>,
    /// The catalog version of each step, likewise.
    catalogued: Vec<Option<&'static CatalogTask>>,
    /// The structure issues and the duplicate keys, found on first use by the rules that
    /// report them (or ahead, on another thread: see [`walks`]).
    walked: std::sync::OnceLock<walks::Walked>,
    /// The expression rules' findings, found on first use by those rules.
    expressions: std::sync::OnceLock<Vec<Finding>>,
    /// Check the structure from scratch rather than from what the last check remembered.
    fresh: bool,
    /// The template calls, with where they lead and what the templates declare, found on
    /// first use by the rules about calls.
    calls: std::sync::OnceLock<Vec<CheckedCall>>,
}

/// A template call, where its path leads, and the parameters the template declares
/// (when it is a file azpls could read).
pub struct CheckedCall {
    pub call: templates::Call,
    pub target: templates::Target,
    pub declared: Option<std::sync::Arc<Vec<templates::Parameter>>>,
}

impl Context<'_> {
    /// The structure issues of the whole document (one walk for the four structure rules).
    pub fn structure(&self) -> &[structure::Issue] {
        &self.walked().structure
    }

    /// What the document-wide walks find: the structure issues and the duplicate keys.
    pub(crate) fn walked(&self) -> &walks::Walked {
        self.walked
            .get_or_init(|| walks::run(self.doc, self.config, self.fresh))
    }

    /// The stages, jobs and deployments of the document (nothing when its tree has
    /// errors), for the rules about their names and `dependsOn`: the model's.
    pub fn stages_and_jobs(&self) -> &Pipeline {
        self.model.stages_and_jobs()
    }

    /// The template calls of the document, where the document's place is known (none
    /// otherwise: a path means nothing without it).
    pub fn template_calls(&self) -> &[CheckedCall] {
        self.calls.get_or_init(|| {
            let Some(env) = self.env else {
                return Vec::new();
            };
            templates::calls(self.doc)
                .into_iter()
                .map(|call| {
                    let target =
                        templates::resolve(self.doc, env.place, env.files, &call.reference.value);
                    let declared = match &target {
                        templates::Target::File(path) => {
                            templates::template_parameters(env.files, path)
                        }
                        _ => None,
                    };
                    CheckedCall {
                        call,
                        target,
                        declared,
                    }
                })
                .collect()
        })
    }

    /// The findings of the four expression rules (with their default severities), found
    /// in one pass over the document's expressions: each of those rules reports its own.
    pub fn expression_findings(&self) -> &[Finding] {
        self.expressions
            .get_or_init(|| expressions::findings(self.doc, self.fresh))
    }

    /// Reports the expression findings of `rule`, with the configured severity.
    pub fn expression_rule(&self, rule: &'static Rule, out: &mut Vec<Finding>) {
        for f in self.expression_findings() {
            if std::ptr::eq(f.rule, rule) {
                let mut finding = self.finding(rule, f.span.clone(), f.message.clone());
                finding.fix = f.fix.clone();
                out.push(finding);
            }
        }
    }

    /// The text of a span of the document.
    pub fn slice(&self, span: &Span) -> String {
        self.doc.rope().byte_slice(span.clone()).to_string()
    }

    /// Starts a finding of `rule` at `span`, with the configured severity.
    pub fn finding(&self, rule: &'static Rule, span: Span, message: String) -> Finding {
        Finding {
            rule,
            severity: self.config.severity(rule),
            span,
            message,
            related: Vec::new(),
            deprecated: false,
            fix: None,
        }
    }

    /// The steps that the applied table lists, with their row.
    pub fn listed_steps(&self) -> impl Iterator<Item = Listed<'_>> {
        self.model
            .steps
            .iter()
            .zip(&self.entries)
            .filter_map(|(step, entry)| {
                let entry = (*entry)?;
                match &step.reference {
                    TaskRef::Named {
                        name,
                        major: Some(major),
                        version_span: Some(version_span),
                        ..
                    } => Some(Listed {
                        step,
                        name,
                        major: *major,
                        version_span,
                        entry,
                    }),
                    _ => None,
                }
            })
    }
}

impl Context<'_> {
    /// The steps whose task version the catalog lacks (expressions and marketplace names
    /// included): what the "unknown" rules look at.
    pub fn uncatalogued_steps(&self) -> impl Iterator<Item = &TaskStep> {
        self.model
            .steps
            .iter()
            .zip(&self.catalogued)
            .filter(|(_, task)| task.is_none())
            .map(|(step, _)| step)
    }

    /// The steps whose task version the built-in catalog has, with it. Expressions and
    /// marketplace names never are.
    pub fn catalog_steps(&self) -> impl Iterator<Item = Catalogued<'_>> {
        self.model
            .steps
            .iter()
            .zip(&self.catalogued)
            .zip(&self.entries)
            .filter_map(|((step, task), entry)| {
                Some(Catalogued {
                    step,
                    task: (*task)?,
                    entry: *entry,
                })
            })
    }
}

/// A step whose task version the built-in catalog has.
pub struct Catalogued<'a> {
    pub step: &'a TaskStep,
    pub task: &'static CatalogTask,
    /// Its row in the applied WIF table, if it has one.
    pub entry: Option<&'static TaskEntry>,
}

/// A step whose task version the applied table lists.
pub struct Listed<'a> {
    pub step: &'a TaskStep,
    /// The task name as written.
    pub name: &'a str,
    pub major: u32,
    /// The digits of the major version.
    pub version_span: &'a Span,
    pub entry: &'static TaskEntry,
}

/// The catalog version and the table row of every step, in one pass (one case-folded
/// lookup of each per step).
fn lookup_steps(model: &Model, config: &Config, kb: &'static Knowledge) -> Vec<StepFacts> {
    model
        .steps
        .iter()
        .map(|step| {
            let TaskRef::Named {
                name,
                major: Some(major),
                version_span,
                ..
            } = &step.reference
            else {
                return (None, None);
            };
            if step.reference.is_marketplace() {
                return (None, None);
            }
            let task = knowledge::catalog().task(name, *major);
            // A step may name its task by id; the table knows names.
            let name = match task {
                Some(task) if knowledge::is_task_id(name) => task.name.as_str(),
                _ => name.as_str(),
            };
            let entry = version_span
                .as_ref()
                .and_then(|_| kb.lookup(config.table, name, *major));
            (entry, task)
        })
        .collect()
}

/// A step's table row and catalog version.
type StepFacts = (Option<&'static TaskEntry>, Option<&'static CatalogTask>);

/// The step a finding belongs to, as a related location.
pub fn step_related(step: &TaskStep) -> Related {
    Related {
        span: step.span.clone(),
        label: step.label(),
    }
}

/// Analyses a document from scratch (building its model), with the document-wide walks on a
/// second thread when it is large.
pub fn analyze(doc: &Document, config: &Config) -> Vec<Finding> {
    analyze_with(doc, config, Parallel::BySize)
}

/// Analyses a document, with the document-wide walks on a second thread or not, as
/// `parallel` says: the findings are the same either way.
pub fn analyze_with(doc: &Document, config: &Config, parallel: Parallel) -> Vec<Finding> {
    open(doc, config, None, parallel).1.findings
}

/// The first analysis of a document just read: builds its model (returned, for the
/// edits to come) while the document-wide walks run, on a second thread when `parallel`
/// says so, and reports on both.
pub fn open(
    doc: &Document,
    config: &Config,
    env: Option<&Environment>,
    parallel: Parallel,
) -> (Model, Report) {
    std::thread::scope(|scope| {
        // The walks first, so that they run while this thread builds the model.
        let walks = walks::start(scope, doc, config, parallel);
        let model = model::build(doc);
        let report = reported(doc, &model, config, env, walks);
        (model, report)
    })
}

/// Analyses a document whose model is already built.
pub fn analyze_model(doc: &Document, model: &Model, config: &Config) -> Vec<Finding> {
    report(doc, model, config).findings
}

/// Analyses a document whose model is already built, knowing where it lives.
pub fn analyze_in(
    doc: &Document,
    model: &Model,
    config: &Config,
    env: &Environment,
) -> Vec<Finding> {
    report_in(doc, model, config, Some(env)).findings
}

/// Findings, and the suppression comments that silenced none of them.
#[derive(Clone, Debug, Default)]
pub struct Report {
    pub findings: Vec<Finding>,
    pub unused_suppressions: Vec<suppress::Suppression>,
}

/// Analyses a document and applies its `# azpls: ignore[...]` comments.
pub fn report(doc: &Document, model: &Model, config: &Config) -> Report {
    report_in(doc, model, config, None)
}

/// [`report`], with the rules that need to know where the document lives when `env`
/// says so. Everything runs on this thread: with a model kept up to date edit by edit, the
/// walks mostly reuse what they remember, and a thread would cost more than it saves.
pub fn report_in(
    doc: &Document,
    model: &Model,
    config: &Config,
    env: Option<&Environment>,
) -> Report {
    report_with(doc, model, config, env, Parallel::Never)
}

/// [`report_in`], with the document-wide walks on a second thread or not, as `parallel`
/// says (`BySize` for a document's first analysis): the report is the same either way.
pub fn report_with(
    doc: &Document,
    model: &Model,
    config: &Config,
    env: Option<&Environment>,
    parallel: Parallel,
) -> Report {
    std::thread::scope(|scope| {
        let walks = walks::start(scope, doc, config, parallel);
        reported(doc, model, config, env, walks)
    })
}

fn reported(
    doc: &Document,
    model: &Model,
    config: &Config,
    env: Option<&Environment>,
    walks: walks::Walks,
) -> Report {
    let mut findings = unsuppressed(doc, model, config, env, walks);
    let suppressions = suppress::suppressions(doc.rope());
    let unused_suppressions = suppress::apply(doc.rope(), &mut findings, &suppressions);
    Report {
        findings,
        unused_suppressions,
    }
}

/// Every finding, before suppression comments apply: remembered findings for the steps
/// seen before in the same form, the rules' for the others and for container resources.
fn unsuppressed(
    doc: &Document,
    model: &Model,
    config: &Config,
    env: Option<&Environment>,
    walks: walks::Walks,
) -> Vec<Finding> {
    let syntax_errors = rules::yaml_syntax::errors(doc);
    memo::with(config, |memo| {
        let mut findings = Vec::new();
        // Steps not seen in this form, with their keys, in document order.
        let mut unseen = Vec::new();
        let mut keys = Vec::new();
        let mut live = Vec::with_capacity(model.steps.len());
        for (i, step) in model.steps.iter().enumerate() {
            let key = memo::key(step);
            live.push(key);
            match memo.get(&key) {
                Some(known) => findings.extend(known.iter().cloned().map(|mut f| {
                    memo::shift(&mut f, step.span.start as isize);
                    f
                })),
                None => {
                    unseen.push(i);
                    keys.push(key);
                }
            }
        }
        // On a first analysis every step is unseen: the model itself, with no copy.
        let partial;
        let subject = if unseen.len() == model.steps.len() {
            model
        } else {
            partial = model.with_steps(unseen.iter().map(|&i| model.steps[i].clone()).collect());
            &partial
        };
        let unseen = &subject.steps;
        let mut fresh: Vec<Vec<Finding>> = vec![Vec::new(); unseen.len()];
        for f in run_rules(doc, subject, config, env, &syntax_errors, false, walks) {
            // Each step finding names its step first; container findings name none.
            let owner = f.related.first().and_then(|r| {
                unseen
                    .binary_search_by_key(&r.span.start, |s| s.span.start)
                    .ok()
                    .filter(|&i| unseen[i].span == r.span)
            });
            match owner {
                Some(i) => fresh[i].push(f),
                None => findings.push(f),
            }
        }
        for ((step, key), found) in unseen.iter().zip(keys).zip(fresh) {
            let relative = found
                .iter()
                .cloned()
                .map(|mut f| {
                    memo::shift(&mut f, -(step.span.start as isize));
                    f
                })
                .collect();
            memo.insert(key, relative);
            findings.extend(found);
        }
        memo::prune(memo, &live);
        rules::yaml_syntax::drop_inside(&syntax_errors, &mut findings);
        findings.sort_by_key(report_order);
        findings
    })
}

/// Findings in document order and, on one token, in registry order: remembered step
/// findings and document-wide ones (a duplicate `inputs` key that is also where a missing
/// input is reported) then come out as a fresh run gives them.
fn report_order(f: &Finding) -> (usize, usize, usize) {
    let rule = RULES
        .iter()
        .position(|(r, _)| std::ptr::eq(*r, f.rule))
        .unwrap_or(RULES.len());
    (f.span.start, f.span.end, rule)
}

/// Forgets what analyses remember between calls (per-step findings, the duplicate keys
/// per subtree), for when no open document needs them any more.
pub fn forget_cached() {
    memo::forget();
    structure::forget();
    templates::forget_cached();
    rules::duplicate_key::forget_cached();
    expressions::forget_cached();
}

/// Every finding, computed afresh without the per-step memo: the reference the memoised
/// analysis must equal (tests compare them after random edits).
pub fn analyze_uncached(doc: &Document, model: &Model, config: &Config) -> Vec<Finding> {
    let syntax_errors = rules::yaml_syntax::errors(doc);
    let here = walks::Walks::Here;
    let mut findings = run_rules(doc, model, config, None, &syntax_errors, true, here);
    rules::yaml_syntax::drop_inside(&syntax_errors, &mut findings);
    let suppressions = suppress::suppressions(doc.rope());
    suppress::apply(doc.rope(), &mut findings, &suppressions);
    findings
}

/// Every rule over a model.
fn run_rules(
    doc: &Document,
    model: &Model,
    config: &Config,
    env: Option<&Environment>,
    syntax_errors: &[SyntaxError],
    fresh: bool,
    walks: walks::Walks,
) -> Vec<Finding> {
    let kb = knowledge::knowledge();
    let (entries, catalogued) = lookup_steps(model, config, kb).into_iter().unzip();
    let ctx = Context {
        doc,
        model,
        config,
        env,
        knowledge: kb,
        syntax_errors,
        entries,
        catalogued,
        walked: std::sync::OnceLock::new(),
        expressions: std::sync::OnceLock::new(),
        fresh,
        calls: std::sync::OnceLock::new(),
    };
    let mut findings = Vec::new();
    let enabled = |rule: &Rule| !config.disabled.iter().any(|id| id == rule.id);
    // The rules over the steps first, while the walks may still run on another thread; the
    // final sort puts every finding where a run in registry order would.
    for (rule, check) in RULES {
        if enabled(rule) && !walks::reads_walks(rule) {
            check(&ctx, &mut findings);
        }
    }
    if let Some(walked) = walks.finish() {
        let _ = ctx.walked.set(walked);
    }
    for (rule, check) in RULES {
        if enabled(rule) && walks::reads_walks(rule) {
            check(&ctx, &mut findings);
        }
    }
    findings.sort_by_key(report_order);
    findings
}

/// The safe fixes of all findings, as one set of non-overlapping edits in document
/// order: what "fix all" and `azpls check --fix` apply.
pub fn fix_all(findings: &[Finding], include_unsafe: bool) -> Vec<Edit> {
    let mut edits: Vec<Edit> = findings
        .iter()
        .filter_map(|f| f.fix.as_ref())
        .filter(|fix| fix.safe || include_unsafe)
        .flat_map(|fix| fix.edits.iter().cloned())
        .collect();
    edits.sort_by_key(|e| (e.span.start, e.span.end));
    edits.dedup();
    // Two fixes never touch the same token, but keep the invariant explicit.
    let mut last_end = 0;
    edits.retain(|e| {
        let keep = e.span.start >= last_end;
        if keep {
            last_end = e.span.end;
        }
        keep
    });
    edits
}

/// Applies non-overlapping edits (in document order) to a text.
pub fn apply_edits(text: &str, edits: &[Edit]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for edit in edits {
        out.push_str(&text[at..edit.span.start]);
        out.push_str(&edit.text);
        at = edit.span.end;
    }
    out.push_str(&text[at..]);
    out
}
