//! The language server: the only module that knows LSP. It keeps open documents in a
//! [`DashMap`], applies edits in order without awaiting in between, and analyses a cheap
//! snapshot for diagnostics: pulled by clients that can (`textDocument/diagnostic`, with
//! a result id so that an unchanged document costs nothing), else published after each
//! change, tagged with the document version and dropped when a newer version arrived
//! meanwhile.
//!
//! Nothing here prints to stdout (it is the protocol channel): logs go to stderr and,
//! for what the user should see, `window/logMessage` and `window/showMessage`.

mod across;
mod convert;
mod files;
mod framing;
mod logging;
mod memory;
mod stdio;
mod traced;

use crate::analysis::{self, Config};
use crate::config::{self, Settings};
use crate::document::Document;
use crate::ide::{self, templates};
use crate::model::{self, Model};
use crate::text::Encoding;
use dashmap::DashMap;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types as lsp;
use tower_lsp_server::{Client, LanguageServer, LspService};

/// Writes a line to stderr when `AZPLS_LOG` is set (never to stdout).
macro_rules! debug_log {
    ($($arg:tt)*) => {
        if std::env::var_os("AZPLS_LOG").is_some() {
            eprintln!("azpls: {}", format_args!($($arg)*));
        }
    };
}

/// Runs the server on stdin/stdout until the client says `exit` or closes stdin. The
/// exit code is 0 when the client asked for `shutdown` first, else 1 (as LSP says).
pub fn run() -> std::io::Result<ExitCode> {
    logging::init();
    // The task catalog is parsed on first use. Every analysis of a pipeline with steps
    // needs it, so parse it now, off the protocol's thread, while the client is still
    // starting up: the first diagnostics, hover or completion then don't wait for it, and
    // the answer to `initialize` doesn't either.
    std::thread::spawn(|| {
        let started = std::time::Instant::now();
        let tasks = crate::knowledge::catalog().tasks().len();
        debug_log!(
            "task catalog ({tasks} versions) parsed in {:?}",
            started.elapsed()
        );
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let shut_down = Arc::new(AtomicBool::new(false));
    let flag = shut_down.clone();
    runtime.block_on(async {
        let stdio = stdio::Stdio::new();
        let outbox = stdio.outbox();
        let (service, socket) = LspService::new(|client| Backend::new(client, outbox, flag));
        stdio.serve(service, socket).await
    })?;
    Ok(if shut_down.load(Ordering::SeqCst) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

struct State {
    encoding: Encoding,
    /// Settings from `azpls.toml` at the workspace root.
    file_settings: Settings,
    /// Settings from the editor (`initializationOptions`, then `didChangeConfiguration`).
    editor_settings: Settings,
    config: Config,
    root: Option<PathBuf>,
    /// The client inserts completion snippets.
    snippets: bool,
    /// The client takes nested document symbols (else it gets a flat list).
    hierarchical_symbols: bool,
    /// The most folding ranges the client wants.
    folding_limit: Option<u32>,
    /// The client pulls diagnostics (`textDocument/diagnostic`): none are pushed.
    pull: bool,
    /// The client can be told to pull again (`workspace/diagnostic/refresh`).
    refresh: bool,
    /// The client registers file watchers on request (`workspace/didChangeWatchedFiles`).
    watch_files: bool,
    /// What diagnostics carry, from the client's capabilities.
    extras: convert::Extras,
    /// Counts configuration changes, for result ids: diagnostics change with them.
    config_generation: u64,
}

/// An open document and its model, kept up to date edit by edit.
#[derive(Clone)]
struct Open {
    doc: Document,
    /// Shared with snapshots being analysed; `Arc::make_mut` copies only if one is.
    model: Arc<Model>,
    /// New at every open and edit, unique across documents: with the configuration's
    /// generation it makes the result id of pulled diagnostics. (Versions are not enough:
    /// a reopened file may start again at version 1 with other text.)
    generation: u64,
    /// Not analysed since it was opened: its first analysis walks the whole document, with
    /// nothing remembered to reuse, and may take a second thread for it.
    unanalysed: bool,
}

/// Diagnostics as a client last pulled them: a later pull that finds the same ones,
/// after an edit that changed none (most keystrokes), is answered `unchanged`, so the
/// client neither receives nor redraws them.
struct Pulled {
    /// The result id they were sent with.
    id: String,
    /// What they were last found for (a [`Backend::result_id`]).
    of: String,
    diagnostics: Vec<lsp::Diagnostic>,
}

struct Backend {
    client: Client,
    /// Where `publishDiagnostics` goes (see [`stdio::Outbox`]).
    outbox: stdio::Outbox,
    /// Changed only through [`Backend::keep_open`] and [`Backend::forget_open`], which
    /// keep `open_paths` in step.
    documents: DashMap<lsp::Uri, Open>,
    /// The file path of every open `file:` document: templates are looked up by path, as
    /// often as a few times per call on every analysis.
    open_paths: DashMap<std::path::PathBuf, lsp::Uri>,
    /// The diagnostics last pulled for each document.
    pulled: DashMap<lsp::Uri, Pulled>,
    state: RwLock<State>,
    /// Set by `shutdown`: the exit code is 0 only if it came before `exit`.
    shut_down: Arc<AtomicBool>,
    /// The last document generation handed out.
    generations: AtomicU64,
    /// Counts the times that documents' diagnostics may have changed through other files
    /// (a template's declarations, a caller's connections, files on the disk): it is part
    /// of every result id, so that a pull after it looks again.
    others_changed: AtomicU64,
    /// Open templates with a workload identity finding whose connection their caller
    /// passes: checked again when a document that names them changes.
    awaiting_callers: dashmap::DashSet<lsp::Uri>,
}

/// The command that returns the pipeline the service will run (`azpls expand`'s YAML).
pub const EXPAND_COMMAND: &str = "azpls.expand";

/// An expansion as the editor shows it: its errors and notes as comments first, then the
/// YAML with the source of every item, files named relative to the document's folder.
fn expanded_text(x: &crate::expand::Expansion, place: &templates::Place) -> String {
    use crate::expand::emit;
    let base = place.file.as_deref().and_then(std::path::Path::parent);
    let names: Vec<String> = x
        .files
        .iter()
        .map(|p| match (p, base) {
            (Some(p), Some(base)) => p.strip_prefix(base).unwrap_or(p).display().to_string(),
            (Some(p), None) => p.display().to_string(),
            (None, _) => "this document".to_string(),
        })
        .collect();
    let name = |file: u32| names.get(file as usize).map_or("?", String::as_str);
    let mut out = String::new();
    for (kind, list) in [("error", &x.errors), ("note", &x.notes)] {
        for p in list {
            let message = format!("{kind}: {}:{}: {}", name(p.file), p.line + 1, p.message);
            out.push_str("# ");
            out.push_str(&message.replace(['\n', '\r'], " "));
            out.push('\n');
        }
    }
    let namer = |n: &crate::expand::Node| format!("{}:{}", name(n.origin.file), n.origin.line + 1);
    out.push_str(&emit::yaml(&x.value, Some(&namer)));
    out
}

/// Runs `f`, turning a panic into a logged error so one bad request never kills the server.
fn guarded<T>(what: &str, f: impl FnOnce() -> T) -> Option<T> {
    match std::panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(value) => Some(value),
        Err(panic) => {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".to_string());
            eprintln!("azpls: internal error in {what}: {message}");
            None
        }
    }
}

impl Backend {
    fn new(client: Client, outbox: stdio::Outbox, shut_down: Arc<AtomicBool>) -> Self {
        Backend {
            client,
            outbox,
            shut_down,
            generations: AtomicU64::new(0),
            others_changed: AtomicU64::new(0),
            awaiting_callers: dashmap::DashSet::new(),
            documents: DashMap::new(),
            open_paths: DashMap::new(),
            pulled: DashMap::new(),
            state: RwLock::new(State {
                encoding: Encoding::Utf16,
                file_settings: Settings::default(),
                editor_settings: Settings::default(),
                config: Config::default(),
                root: None,
                snippets: false,
                hierarchical_symbols: false,
                folding_limit: None,
                pull: false,
                refresh: false,
                watch_files: false,
                extras: convert::Extras::default(),
                config_generation: 0,
            }),
        }
    }

    fn encoding(&self) -> Encoding {
        self.state.read().map(|s| s.encoding).unwrap_or_default()
    }

    fn config(&self) -> Config {
        self.state
            .read()
            .map(|s| s.config.clone())
            .unwrap_or_default()
    }

    /// Recomputes the configuration from the file and editor settings; on an error keeps
    /// the previous configuration and returns the message.
    fn reconfigure(&self) -> std::result::Result<(), String> {
        let mut state = self.state.write().map_err(|e| e.to_string())?;
        let merged = state
            .file_settings
            .clone()
            .merge(state.editor_settings.clone());
        state.config = merged.to_config()?;
        state.config_generation += 1;
        Ok(())
    }

    /// A cheap copy of an open document, taken without holding the entry.
    fn snapshot(&self, uri: &lsp::Uri) -> Option<Open> {
        self.documents.get(uri).map(|d| d.clone())
    }

    /// Where a document lives, for resolving template paths: its file (for `file:` URIs)
    /// and the workspace root.
    fn place(&self, uri: &lsp::Uri) -> templates::Place {
        templates::Place {
            file: uri
                .as_str()
                .starts_with("file:")
                .then(|| uri.to_file_path().map(|p| p.into_owned()))
                .flatten(),
            workspace: self.state.read().ok().and_then(|s| s.root.clone()),
        }
    }

    async fn warn(&self, message: String) {
        debug_log!("{message}");
        self.client
            .show_message(lsp::MessageType::WARNING, format!("azpls: {message}"))
            .await;
        self.client
            .log_message(lsp::MessageType::WARNING, message)
            .await;
    }

    /// The client pulls diagnostics.
    fn pulls(&self) -> bool {
        self.state.read().map(|s| s.pull).unwrap_or(false)
    }

    /// A generation number for a document's new content.
    fn next_generation(&self) -> u64 {
        self.generations.fetch_add(1, Ordering::Relaxed) + 1
    }

    /// Identifies what a pull of the document's diagnostics returns: it changes with the
    /// text, with the configuration, and with the other files it reads.
    fn result_id(&self, open: &Open) -> String {
        let config = self.state.read().map(|s| s.config_generation).unwrap_or(0);
        let others = self.others_changed.load(Ordering::Relaxed);
        format!("{}.{config}.{others}", open.generation)
    }

    /// The answer to a pull: `unchanged` when the client has these diagnostics already,
    /// else all of them. They keep the result id of the last pull while they stay the
    /// same, and are not looked for again while the document and settings stay the same.
    fn pull(
        &self,
        uri: &lsp::Uri,
        open: &Open,
        previous: Option<&str>,
    ) -> lsp::DocumentDiagnosticReport {
        let current = self.result_id(open);
        if self.pulled.get(uri).is_none_or(|p| p.of != current) {
            let diagnostics = self.diagnostics(uri, open);
            let mut pulled = self.pulled.entry(uri.clone()).or_insert_with(|| Pulled {
                id: current.clone(),
                of: current.clone(),
                diagnostics: Vec::new(),
            });
            if pulled.diagnostics != diagnostics {
                pulled.id = current.clone();
                pulled.diagnostics = diagnostics;
            }
            pulled.of = current;
        }
        let Some(pulled) = self.pulled.get(uri) else {
            return lsp::DocumentDiagnosticReport::Full(Default::default());
        };
        if previous == Some(pulled.id.as_str()) {
            lsp::DocumentDiagnosticReport::Unchanged(
                lsp::RelatedUnchangedDocumentDiagnosticReport {
                    related_documents: None,
                    unchanged_document_diagnostic_report: lsp::UnchangedDocumentDiagnosticReport {
                        result_id: pulled.id.clone(),
                    },
                },
            )
        } else {
            lsp::DocumentDiagnosticReport::Full(lsp::RelatedFullDocumentDiagnosticReport {
                related_documents: None,
                full_document_diagnostic_report: lsp::FullDocumentDiagnosticReport {
                    result_id: Some(pulled.id.clone()),
                    items: pulled.diagnostics.clone(),
                },
            })
        }
    }

    /// Analyses a snapshot of a document; no diagnostics if analysis fails (logged).
    fn diagnostics(&self, uri: &lsp::Uri, open: &Open) -> Vec<lsp::Diagnostic> {
        let parallel = if open.unanalysed {
            analysis::Parallel::BySize
        } else {
            analysis::Parallel::Never
        };
        let diagnostics = self.analysed(uri, &open.doc, |config, env| {
            let report = analysis::report_with(&open.doc, &open.model, config, Some(env), parallel);
            (report, open.model.clone())
        });
        // Later analyses of this text, or of its edits, find the walks' memory warm.
        if open.unanalysed
            && let Some(mut entry) = self.documents.get_mut(uri)
            && entry.generation == open.generation
        {
            entry.unanalysed = false;
        }
        diagnostics.unwrap_or_default()
    }

    /// Runs `analyse` on a document where it lives (open buffers win over the disk), and
    /// converts its findings; `None` if it fails (logged).
    fn analysed(
        &self,
        uri: &lsp::Uri,
        doc: &Document,
        analyse: impl FnOnce(
            &analysis::Config,
            &analysis::Environment,
        ) -> (analysis::Report, Arc<Model>),
    ) -> Option<Vec<lsp::Diagnostic>> {
        let config = self.config();
        let encoding = self.encoding();
        let extras = self.state.read().map(|s| s.extras).unwrap_or_default();
        let started = std::time::Instant::now();
        let place = self.place(uri);
        guarded("diagnostics", || {
            let files = self.files();
            let env = analysis::Environment {
                place: &place,
                files: &files,
            };
            let (report, model) = analyse(&config, &env);
            let findings = report.findings;
            let analysed = started.elapsed();
            let mut diagnostics =
                convert::diagnostics(doc, uri, &findings, config.table, extras, encoding);
            self.trace_callers(
                uri,
                doc,
                &model,
                &findings,
                extras.related,
                &mut diagnostics,
            );
            debug_log!(
                "{} findings: analysed in {analysed:?}, converted in {:?}",
                findings.len(),
                started.elapsed() - analysed
            );
            diagnostics
        })
    }

    /// Publishes a document's diagnostics, unless the client pulls them or a newer
    /// version arrived while analysing.
    async fn publish(&self, uri: lsp::Uri) {
        if self.pulls() {
            return;
        }
        // The snapshot is dropped before awaiting, so an edit arriving meanwhile updates
        // the model in place instead of copying it.
        let (version, diagnostics) = {
            let Some(open) = self.snapshot(&uri) else {
                return;
            };
            (open.doc.version(), self.diagnostics(&uri, &open))
        };
        // Analysis runs synchronously today, so no edit lands between the snapshot and
        // here; the check keeps stale results out should it ever run on another thread.
        let current = self.documents.get(&uri).map(|d| d.doc.version());
        if current != Some(version) {
            return;
        }
        self.send_diagnostics(uri, diagnostics, Some(version)).await;
    }

    async fn send_diagnostics(
        &self,
        uri: lsp::Uri,
        diagnostics: Vec<lsp::Diagnostic>,
        version: Option<i32>,
    ) {
        let params = lsp::PublishDiagnosticsParams {
            uri,
            diagnostics,
            version,
        };
        self.outbox
            .notify::<lsp::notification::PublishDiagnostics>(&params)
            .await;
    }

    /// Takes back what was published for a document that is gone. Pulling clients
    /// forget a closed document's diagnostics themselves, and are told to pull again
    /// when a document was dropped while open.
    async fn withdraw(&self, uri: lsp::Uri, closed: bool) {
        if !self.pulls() {
            self.send_diagnostics(uri, Vec::new(), None).await;
        } else if !closed {
            self.refresh().await;
        }
    }

    /// Asks a pulling client to pull again, when it can be asked.
    async fn refresh(&self) {
        if self.state.read().is_ok_and(|s| s.refresh) {
            if let Err(e) = self.client.workspace_diagnostic_refresh().await {
                debug_log!("workspace/diagnostic/refresh failed: {e}");
            }
        }
    }

    /// The diagnostics of the other open documents that may call `uri` as a template
    /// (their text names its file), whose calls are checked against what it declares.
    async fn publish_callers(&self, uri: &lsp::Uri) {
        let Some(path) = uri.to_file_path() else {
            return;
        };
        let callers: Vec<lsp::Uri> = self
            .documents
            .iter()
            .filter(|e| e.key() != uri)
            .filter(|e| templates::may_call(e.doc.rope(), &path))
            .map(|e| e.key().clone())
            .collect();
        self.publish_these(callers).await;
    }

    /// The diagnostics of some documents may have changed: published again, or pulled
    /// again by a client that pulls.
    async fn publish_these(&self, uris: Vec<lsp::Uri>) {
        if uris.is_empty() {
            return;
        }
        if self.pulls() {
            self.others_changed.fetch_add(1, Ordering::Relaxed);
            self.refresh().await;
            return;
        }
        for uri in uris {
            self.publish(uri).await;
        }
    }

    /// The diagnostics of the open templates that wait for `uri`'s connections (see
    /// [`traced`]), unless it is one of them.
    async fn publish_waiting(&self, uri: &lsp::Uri) {
        if self.awaiting_callers.is_empty() {
            return;
        }
        self.publish_these(self.templates_waiting_for(uri)).await;
    }

    /// Every document's diagnostics may have changed (the configuration did).
    async fn publish_all(&self) {
        if self.pulls() {
            self.others_changed.fetch_add(1, Ordering::Relaxed);
            self.refresh().await;
            return;
        }
        let uris: Vec<lsp::Uri> = self.documents.iter().map(|e| e.key().clone()).collect();
        for uri in uris {
            self.publish(uri).await;
        }
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: lsp::InitializeParams) -> Result<lsp::InitializeResult> {
        let encoding = convert::negotiate(
            params
                .capabilities
                .general
                .as_ref()
                .and_then(|g| g.position_encodings.as_deref()),
        );
        let snippets = params
            .capabilities
            .text_document
            .as_ref()
            .and_then(|t| t.completion.as_ref())
            .and_then(|c| c.completion_item.as_ref())
            .and_then(|i| i.snippet_support)
            .unwrap_or(false);
        #[allow(deprecated)] // root_uri is what older clients send instead of folders.
        let root = params
            .workspace_folders
            .as_ref()
            .and_then(|f| f.first())
            .map(|f| f.uri.clone())
            .or(params.root_uri.clone())
            .and_then(|u| u.to_file_path().map(|p| p.into_owned()));
        let mut problems = Vec::new();
        let file_settings = match root.as_deref().map(config::load_for) {
            Some(Ok((settings, _))) => settings,
            Some(Err(e)) => {
                problems.push(e);
                Settings::default()
            }
            None => Settings::default(),
        };
        let editor_settings = match params
            .initialization_options
            .as_ref()
            .map(Settings::from_json)
        {
            Some(Ok(s)) => s,
            Some(Err(e)) => {
                problems.push(format!("initializationOptions: {e}"));
                Settings::default()
            }
            None => Settings::default(),
        };
        let text_caps = params.capabilities.text_document.as_ref();
        let hierarchical_symbols = text_caps
            .and_then(|t| t.document_symbol.as_ref())
            .and_then(|d| d.hierarchical_document_symbol_support)
            .unwrap_or(false);
        let folding_limit = text_caps
            .and_then(|t| t.folding_range.as_ref())
            .and_then(|f| f.range_limit);
        let pull_caps = text_caps.and_then(|t| t.diagnostic.as_ref());
        let push_caps = text_caps.and_then(|t| t.publish_diagnostics.as_ref());
        let pull = pull_caps.is_some();
        // A pulling client may say what it reads of pulled diagnostics; older ones say it
        // of published diagnostics only, and mean both.
        let reads = |pulled: Option<bool>, published: Option<bool>| {
            if pull {
                pulled.or(published)
            } else {
                published
            }
            .unwrap_or(false)
        };
        let extras = convert::Extras {
            related: reads(
                pull_caps.and_then(|c| c.related_information),
                push_caps.and_then(|c| c.related_information),
            ),
            links: reads(
                pull_caps.and_then(|c| c.code_description_support),
                push_caps.and_then(|c| c.code_description_support),
            ),
        };
        let refresh = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.diagnostics.as_ref())
            .and_then(|d| d.refresh_support)
            .unwrap_or(false);
        let watch_files = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false);
        if let Ok(mut state) = self.state.write() {
            state.pull = pull;
            state.refresh = refresh;
            state.watch_files = watch_files;
            state.extras = extras;
            state.hierarchical_symbols = hierarchical_symbols;
            state.folding_limit = folding_limit;
            state.encoding = encoding;
            state.snippets = snippets;
            state.file_settings = file_settings;
            state.editor_settings = editor_settings;
            state.root = root;
        }
        if let Err(e) = self.reconfigure() {
            problems.push(e);
        }
        for p in problems {
            self.warn(p).await;
        }
        Ok(lsp::InitializeResult {
            capabilities: lsp::ServerCapabilities {
                position_encoding: Some(convert::encoding_kind(encoding)),
                text_document_sync: Some(lsp::TextDocumentSyncCapability::Options(
                    lsp::TextDocumentSyncOptions {
                        open_close: Some(true),
                        change: Some(lsp::TextDocumentSyncKind::INCREMENTAL),
                        ..Default::default()
                    },
                )),
                hover_provider: Some(lsp::HoverProviderCapability::Simple(true)),
                completion_provider: Some(lsp::CompletionOptions {
                    // `@` lists a task's versions, `:` and space start a value (a task
                    // name after `task:`, a pick-list value after an input's key).
                    trigger_characters: Some(vec!["@".into(), ":".into(), " ".into()]),
                    resolve_provider: Some(false),
                    ..Default::default()
                }),
                document_symbol_provider: Some(lsp::OneOf::Left(true)),
                folding_range_provider: Some(lsp::FoldingRangeProviderCapability::Simple(true)),
                definition_provider: Some(lsp::OneOf::Left(true)),
                references_provider: Some(lsp::OneOf::Left(true)),
                document_highlight_provider: Some(lsp::OneOf::Left(true)),
                rename_provider: Some(lsp::OneOf::Right(lsp::RenameOptions {
                    prepare_provider: Some(true),
                    work_done_progress_options: Default::default(),
                })),
                document_link_provider: Some(lsp::DocumentLinkOptions {
                    resolve_provider: Some(false),
                    work_done_progress_options: Default::default(),
                }),
                // Offered only to clients that pull; the others get diagnostics pushed.
                diagnostic_provider: pull.then(|| {
                    lsp::DiagnosticServerCapabilities::Options(lsp::DiagnosticOptions {
                        identifier: Some("azpls".to_string()),
                        inter_file_dependencies: false,
                        workspace_diagnostics: false,
                        work_done_progress_options: Default::default(),
                    })
                }),
                execute_command_provider: Some(lsp::ExecuteCommandOptions {
                    commands: vec![EXPAND_COMMAND.to_string()],
                    work_done_progress_options: Default::default(),
                }),
                code_action_provider: Some(lsp::CodeActionProviderCapability::Options(
                    lsp::CodeActionOptions {
                        code_action_kinds: Some(vec![
                            lsp::CodeActionKind::QUICKFIX,
                            convert::fix_all_kind(),
                        ]),
                        resolve_provider: Some(false),
                        ..Default::default()
                    },
                )),
                ..Default::default()
            },
            server_info: Some(lsp::ServerInfo {
                name: "azpls".to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
            }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: lsp::InitializedParams) {
        // Templates change on disk too (a checkout, another editor): callers are checked
        // again when a YAML file changes.
        if self.state.read().is_ok_and(|s| s.watch_files) {
            let options = lsp::DidChangeWatchedFilesRegistrationOptions {
                watchers: vec![lsp::FileSystemWatcher {
                    glob_pattern: lsp::GlobPattern::String("**/*.{yml,yaml}".into()),
                    kind: None,
                }],
            };
            let registration = lsp::Registration {
                id: "azpls-templates".into(),
                method: "workspace/didChangeWatchedFiles".into(),
                register_options: serde_json::to_value(options).ok(),
            };
            if let Err(e) = self.client.register_capability(vec![registration]).await {
                debug_log!("registering file watchers failed: {e}");
            }
        }
        let table = {
            let config = self.config();
            crate::knowledge::knowledge()
                .table(config.table)
                .date
                .clone()
        };
        self.client
            .log_message(
                lsp::MessageType::INFO,
                format!(
                    "azpls {} ready (WIF table {table})",
                    env!("CARGO_PKG_VERSION")
                ),
            )
            .await;
    }

    async fn shutdown(&self) -> Result<()> {
        self.shut_down.store(true, Ordering::SeqCst);
        Ok(())
    }

    async fn did_open(&self, params: lsp::DidOpenTextDocumentParams) {
        let doc = params.text_document;
        let Some(parsed) = guarded("didOpen", || Document::new(&doc.text, doc.version)) else {
            return;
        };
        // A client that is sent diagnostics gets them from the first analysis, which
        // builds the model while the document-wide walks run beside it; one that pulls
        // them has them analysed when it asks.
        let mut model = None;
        let diagnostics = if self.pulls() {
            None
        } else {
            self.analysed(&doc.uri, &parsed, |config, env| {
                let (built, report) =
                    analysis::open(&parsed, config, Some(env), analysis::Parallel::BySize);
                let built = Arc::new(built);
                model = Some(built.clone());
                (report, built)
            })
        };
        let analysed = model.is_some();
        let Some(model) = model.or_else(|| guarded("didOpen", || Arc::new(model::build(&parsed))))
        else {
            return;
        };
        let version = parsed.version();
        let open = Open {
            doc: parsed,
            model,
            generation: self.next_generation(),
            unanalysed: !analysed,
        };
        // A reopened file may reuse a version number with other text.
        self.pulled.remove(&doc.uri);
        self.keep_open(doc.uri.clone(), open);
        memory::after_open(doc.text.len());
        if let Some(diagnostics) = diagnostics {
            self.send_diagnostics(doc.uri.clone(), diagnostics, Some(version))
                .await;
        }
        self.publish_callers(&doc.uri).await;
        self.publish_waiting(&doc.uri).await;
    }

    async fn did_change(&self, params: lsp::DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let version = params.text_document.version;
        let encoding = self.encoding();
        // Apply every change in order with no `.await` while the entry is held: the
        // server may run notification handlers concurrently at await points.
        let started = std::time::Instant::now();
        let applied = {
            let Some(mut entry) = self.documents.get_mut(&uri) else {
                debug_log!(
                    "didChange for a document that is not open: {}",
                    uri.as_str()
                );
                return;
            };
            let open = entry.value_mut();
            guarded("didChange", || {
                let doc = &mut open.doc;
                // All that a caller reads of a template: what it declares.
                let declared = templates::declared_parameters(doc);
                for change in &params.content_changes {
                    match convert::edit(doc, change, encoding) {
                        Some(edit) => doc.edit(edit),
                        None => doc.replace_all(&change.text, version),
                    }
                }
                let changes = doc.reparse(version);
                Arc::make_mut(&mut open.model).update(doc, &changes);
                open.generation = self.next_generation();
                templates::declared_parameters(doc) != declared
            })
        };
        let Some(declares_other) = applied else {
            // The document may be half-edited: drop it rather than serve wrong results,
            // and clear what was published for it.
            self.forget_open(&uri);
            self.pulled.remove(&uri);
            self.withdraw(uri.clone(), false).await;
            self.warn(format!(
                "could not apply an edit to {}; reopen the file",
                uri.as_str()
            ))
            .await;
            return;
        };
        debug_log!("didChange v{version} applied in {:?}", started.elapsed());
        self.publish(uri.clone()).await;
        // Callers are checked against what a template declares, and nothing else of it.
        if declares_other {
            self.publish_callers(&uri).await;
        }
        self.publish_waiting(&uri).await;
        debug_log!("didChange v{version} published in {:?}", started.elapsed());
    }

    async fn did_close(&self, params: lsp::DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        self.forget_open(&uri);
        self.pulled.remove(&uri);
        self.withdraw(uri.clone(), true).await;
        // Its callers now read the file on disk, and the templates it called lose it.
        self.awaiting_callers.remove(&uri);
        self.publish_callers(&uri).await;
        self.publish_waiting(&uri).await;
        memory::after_close(self.documents.is_empty());
    }

    async fn did_change_watched_files(&self, _: lsp::DidChangeWatchedFilesParams) {
        // A template on disk may have changed: what the calls of every open document
        // pass is checked again (templates are re-read when their stamp changes).
        self.publish_all().await;
    }

    async fn did_change_configuration(&self, params: lsp::DidChangeConfigurationParams) {
        // Clients send one settings object for every server: read only our section, and
        // leave the configuration alone when the change is not about azpls.
        let ours = match &params.settings {
            serde_json::Value::Object(map) => match map.get("azpls") {
                Some(section) => section.clone(),
                None => return,
            },
            _ => return,
        };
        match Settings::from_json(&ours) {
            Ok(settings) => {
                let previous = self
                    .state
                    .write()
                    .ok()
                    .map(|mut s| std::mem::replace(&mut s.editor_settings, settings));
                if let Err(e) = self.reconfigure() {
                    if let (Some(previous), Ok(mut s)) = (previous, self.state.write()) {
                        s.editor_settings = previous;
                    }
                    self.warn(format!("settings ignored: {e}")).await;
                    return;
                }
                self.publish_all().await;
            }
            Err(e) => self.warn(format!("settings ignored: {e}")).await,
        }
    }

    async fn hover(&self, params: lsp::HoverParams) -> Result<Option<lsp::Hover>> {
        let position = params.text_document_position_params;
        let Some(Open { doc, model, .. }) = self.snapshot(&position.text_document.uri) else {
            return Ok(None);
        };
        let config = self.config();
        let encoding = self.encoding();
        let place = self.place(&position.text_document.uri);
        Ok(guarded("hover", || {
            let offset = convert::offset(&doc, position.position, encoding);
            ide::hover(&doc, &model, &config, offset)
                .or_else(|| templates::hover(&doc, &place, &templates::DiskFiles, offset))
                .or_else(|| ide::name_hover(&doc, &model, offset))
                .or_else(|| ide::keyword_hover(&doc, offset))
                .map(|h| convert::hover(&doc, &h, encoding))
        })
        .flatten())
    }

    async fn completion(
        &self,
        params: lsp::CompletionParams,
    ) -> Result<Option<lsp::CompletionResponse>> {
        let position = params.text_document_position;
        let Some(Open { doc, model, .. }) = self.snapshot(&position.text_document.uri) else {
            return Ok(None);
        };
        let place = self.place(&position.text_document.uri);
        let config = self.config();
        let encoding = self.encoding();
        let options = ide::CompletionOptions {
            snippets: self.state.read().map(|s| s.snippets).unwrap_or(false),
        };
        Ok(guarded("completion", || {
            let offset = convert::offset(&doc, position.position, encoding);
            let mut items = ide::completions(&doc, &model, &config, offset, options);
            if items.is_empty() {
                let files = self.files();
                items = ide::template_completion::completions(&doc, &place, &files, offset);
            }
            (!items.is_empty()).then(|| {
                lsp::CompletionResponse::List(lsp::CompletionList {
                    is_incomplete: false,
                    items: items
                        .iter()
                        .map(|i| convert::completion_item(&doc, i, encoding))
                        .collect(),
                })
            })
        })
        .flatten())
    }

    async fn document_symbol(
        &self,
        params: lsp::DocumentSymbolParams,
    ) -> Result<Option<lsp::DocumentSymbolResponse>> {
        let uri = params.text_document.uri;
        let Some(Open { doc, model, .. }) = self.snapshot(&uri) else {
            return Ok(None);
        };
        let encoding = self.encoding();
        let hierarchical = self
            .state
            .read()
            .map(|s| s.hierarchical_symbols)
            .unwrap_or(false);
        // The model reads the pipeline's structure once per version, for every request.
        let Some(symbols) = guarded("documentSymbol", || ide::document_symbols(&doc, &model))
        else {
            return Ok(None);
        };
        Ok(guarded("documentSymbol", || {
            if hierarchical {
                lsp::DocumentSymbolResponse::Nested(convert::document_symbols(
                    &doc, &symbols, encoding,
                ))
            } else {
                lsp::DocumentSymbolResponse::Flat(convert::flat_symbols(
                    &doc, &uri, &symbols, encoding,
                ))
            }
        }))
    }

    async fn folding_range(
        &self,
        params: lsp::FoldingRangeParams,
    ) -> Result<Option<Vec<lsp::FoldingRange>>> {
        let Some(Open { doc, model, .. }) = self.snapshot(&params.text_document.uri) else {
            return Ok(None);
        };
        let limit = self
            .state
            .read()
            .ok()
            .and_then(|s| s.folding_limit)
            .map_or(usize::MAX, |l| l as usize);
        Ok(guarded("foldingRange", || {
            ide::folding_ranges(&doc, &model)
                .iter()
                .take(limit)
                .map(convert::folding_range)
                .collect()
        }))
    }

    async fn goto_definition(
        &self,
        params: lsp::GotoDefinitionParams,
    ) -> Result<Option<lsp::GotoDefinitionResponse>> {
        let position = params.text_document_position_params;
        let uri = position.text_document.uri;
        let Some(Open { doc, model, .. }) = self.snapshot(&uri) else {
            return Ok(None);
        };
        let encoding = self.encoding();
        let place = self.place(&uri);
        Ok(guarded("definition", || {
            let offset = convert::offset(&doc, position.position, encoding);
            templates::definition(&doc, &place, &templates::DiskFiles, offset)
                .or_else(|| {
                    ide::occurrences(&doc, &model, offset)
                        .and_then(|o| o.definition)
                        .map(templates::Definition::Here)
                })
                .and_then(|d| convert::definition(&doc, &uri, &d, encoding))
                .map(lsp::GotoDefinitionResponse::Scalar)
        })
        .flatten())
    }

    async fn references(&self, params: lsp::ReferenceParams) -> Result<Option<Vec<lsp::Location>>> {
        let position = params.text_document_position;
        let uri = position.text_document.uri;
        let Some(Open { doc, model, .. }) = self.snapshot(&uri) else {
            return Ok(None);
        };
        let encoding = self.encoding();
        let with_declaration = params.context.include_declaration;
        Ok(guarded("references", || {
            let offset = convert::offset(&doc, position.position, encoding);
            if let Some(sites) = self.parameter_sites(&uri, &doc, &model, offset) {
                let declaration = sites.declaration().map(|(p, s)| (&p.uri, s.start));
                return Some(
                    sites
                        .places
                        .iter()
                        .flat_map(|p| p.spans.iter().map(move |s| (p, s)))
                        .filter(|(p, s)| with_declaration || declaration != Some((&p.uri, s.start)))
                        .map(|(p, s)| lsp::Location {
                            uri: p.uri.clone(),
                            range: convert::range(&p.doc, s, encoding),
                        })
                        .collect(),
                );
            }
            let found = ide::occurrences(&doc, &model, offset)?;
            let declaration = found.definition.filter(|_| with_declaration);
            Some(
                declaration
                    .into_iter()
                    .chain(found.references)
                    .map(|span| lsp::Location {
                        uri: uri.clone(),
                        range: convert::range(&doc, &span, encoding),
                    })
                    .collect(),
            )
        })
        .flatten())
    }

    async fn document_highlight(
        &self,
        params: lsp::DocumentHighlightParams,
    ) -> Result<Option<Vec<lsp::DocumentHighlight>>> {
        let position = params.text_document_position_params;
        let Some(Open { doc, model, .. }) = self.snapshot(&position.text_document.uri) else {
            return Ok(None);
        };
        let encoding = self.encoding();
        Ok(guarded("documentHighlight", || {
            let offset = convert::offset(&doc, position.position, encoding);
            let found = ide::occurrences(&doc, &model, offset)?;
            let highlight = |span: &crate::text::Span, kind| lsp::DocumentHighlight {
                range: convert::range(&doc, span, encoding),
                kind: Some(kind),
            };
            Some(
                found
                    .definition
                    .iter()
                    .map(|s| highlight(s, lsp::DocumentHighlightKind::WRITE))
                    .chain(
                        found
                            .references
                            .iter()
                            .map(|s| highlight(s, lsp::DocumentHighlightKind::READ)),
                    )
                    .collect(),
            )
        })
        .flatten())
    }

    async fn prepare_rename(
        &self,
        params: lsp::TextDocumentPositionParams,
    ) -> Result<Option<lsp::PrepareRenameResponse>> {
        let Some(Open { doc, model, .. }) = self.snapshot(&params.text_document.uri) else {
            return Ok(None);
        };
        let encoding = self.encoding();
        let place = self.place(&params.text_document.uri);
        Ok(guarded("prepareRename", || {
            let offset = convert::offset(&doc, params.position, encoding);
            let (at, name) = match ide::occurrences(&doc, &model, offset) {
                Some(found) => {
                    found.definition.as_ref()?;
                    (found.at, found.name)
                }
                None => {
                    let files = self.files();
                    let found = ide::across::parameter_at(&doc, &model, &place, &files, offset)?;
                    found.declared.then_some((found.at, found.name))?
                }
            };
            Some(lsp::PrepareRenameResponse::RangeWithPlaceholder {
                range: convert::range(&doc, &at, encoding),
                placeholder: name,
            })
        })
        .flatten())
    }

    async fn rename(&self, params: lsp::RenameParams) -> Result<Option<lsp::WorkspaceEdit>> {
        let position = params.text_document_position;
        let uri = position.text_document.uri;
        let Some(Open { doc, model, .. }) = self.snapshot(&uri) else {
            return Ok(None);
        };
        let encoding = self.encoding();
        let renamed = guarded("rename", || {
            let offset = convert::offset(&doc, position.position, encoding);
            let text_edits = |doc: &Document, edits: Vec<crate::document::Edit>| -> Vec<_> {
                edits
                    .iter()
                    .map(|e| convert::text_edit(doc, e, encoding))
                    .collect()
            };
            // A template's parameter is renamed in its callers too.
            if let Some(sites) = self.parameter_sites(&uri, &doc, &model, offset) {
                return sites.renamed(&params.new_name).map(|all| {
                    all.into_iter()
                        .map(|(p, edits)| (p.uri.clone(), text_edits(&p.doc, edits)))
                        .collect()
                });
            }
            ide::rename(&doc, &model, offset, &params.new_name)
                .map(|edits| vec![(uri.clone(), text_edits(&doc, edits))])
        });
        match renamed {
            None => Ok(None),
            Some(Err(why)) => Err(tower_lsp_server::jsonrpc::Error::invalid_params(why)),
            Some(Ok(changes)) => Ok(Some(lsp::WorkspaceEdit {
                changes: Some(changes.into_iter().collect()),
                ..Default::default()
            })),
        }
    }

    async fn document_link(
        &self,
        params: lsp::DocumentLinkParams,
    ) -> Result<Option<Vec<lsp::DocumentLink>>> {
        let uri = params.text_document.uri;
        let Some(Open { doc, .. }) = self.snapshot(&uri) else {
            return Ok(None);
        };
        let encoding = self.encoding();
        let place = self.place(&uri);
        Ok(guarded("documentLink", || {
            templates::links(&doc, &place, &templates::DiskFiles)
                .iter()
                .filter_map(|l| convert::document_link(&doc, l, encoding))
                .collect()
        }))
    }

    async fn code_action(
        &self,
        params: lsp::CodeActionParams,
    ) -> Result<Option<lsp::CodeActionResponse>> {
        let uri = params.text_document.uri;
        let Some(Open { doc, model, .. }) = self.snapshot(&uri) else {
            return Ok(None);
        };
        let config = self.config();
        let encoding = self.encoding();
        let extras = self.state.read().map(|s| s.extras).unwrap_or_default();
        let only = params.context.only.clone();
        let wants = |kind: &lsp::CodeActionKind| match &only {
            None => true,
            Some(list) => list.iter().any(|k| {
                kind.as_str() == k.as_str()
                    || kind.as_str().starts_with(&format!("{}.", k.as_str()))
            }),
        };
        let want_quick = wants(&lsp::CodeActionKind::QUICKFIX);
        let want_fix_all = wants(&convert::fix_all_kind());
        let place = self.place(&uri);
        let actions = guarded("codeAction", || {
            use ide::ActionKind::{FixAll, QuickFix};
            let env = analysis::Environment {
                place: &place,
                files: &templates::DiskFiles,
            };
            let findings = analysis::analyze_in(&doc, &model, &config, &env);
            // The client's diagnostics in the request, each with the finding it is of:
            // diagnostics carry no fix, so the fix is found again by range and code.
            let theirs: Vec<(usize, &lsp::Diagnostic)> = params
                .context
                .diagnostics
                .iter()
                .filter(|_| want_quick)
                .filter_map(|d| {
                    let span = convert::span(&doc, d.range, encoding);
                    let of = |f: &analysis::Finding| convert::is_diagnostic_of(d, &span, f);
                    Some((findings.iter().position(of)?, d))
                })
                .collect();
            let span = convert::span(&doc, params.range, encoding);
            let mut actions = ide::code_actions(&findings, &span, !want_quick);
            // A diagnostic the client asks about may lie outside the range (a cursor at
            // the start of its line): offer its fix too.
            for &(i, _) in &theirs {
                if !actions
                    .iter()
                    .any(|a| a.kind == QuickFix && a.fixes.contains(&i))
                {
                    let fix = ide::code_actions(&findings, &findings[i].span, false)
                        .into_iter()
                        .find(|a| a.kind == QuickFix && a.fixes == [i]);
                    actions.extend(fix);
                }
            }
            // Quick fixes first, fix-all last, as `ide` orders them.
            actions.sort_by_key(|a| a.kind == FixAll);
            actions
                .into_iter()
                .filter(|a| match a.kind {
                    QuickFix => want_quick,
                    FixAll => want_fix_all,
                })
                .map(|action| {
                    // The diagnostics it fixes: the client's own when it sent them.
                    let diagnostics = match action.kind {
                        QuickFix => action
                            .fixes
                            .iter()
                            .map(|&i| match theirs.iter().find(|(of, _)| *of == i) {
                                Some((_, d)) => (*d).clone(),
                                None => convert::diagnostics(
                                    &doc,
                                    &uri,
                                    &findings[i..=i],
                                    config.table,
                                    extras,
                                    encoding,
                                )
                                .remove(0),
                            })
                            .collect(),
                        FixAll => Vec::new(),
                    };
                    lsp::CodeActionOrCommand::CodeAction(convert::code_action(
                        &doc,
                        &uri,
                        &action,
                        diagnostics,
                        encoding,
                    ))
                })
                .collect::<Vec<_>>()
        });
        Ok(actions.filter(|a| !a.is_empty()))
    }

    async fn execute_command(
        &self,
        params: lsp::ExecuteCommandParams,
    ) -> Result<Option<lsp::LSPAny>> {
        use tower_lsp_server::jsonrpc::Error;
        if params.command != EXPAND_COMMAND {
            return Err(Error::invalid_params(format!(
                "unknown command {:?}; azpls has {EXPAND_COMMAND:?}",
                params.command
            )));
        }
        // The document's URI, as a string or as `{ "uri": … }`.
        let uri = params.arguments.first().and_then(|a| {
            a.as_str()
                .or_else(|| a.get("uri").and_then(|u| u.as_str()))
                .and_then(|u| <lsp::Uri as std::str::FromStr>::from_str(u).ok())
        });
        let Some(uri) = uri else {
            return Err(Error::invalid_params(format!(
                "{EXPAND_COMMAND} takes the URI of an open document"
            )));
        };
        let Some(open) = self.snapshot(&uri) else {
            return Err(Error::invalid_params(format!(
                "{} is not open",
                uri.as_str()
            )));
        };
        let place = self.place(&uri);
        let expanded = guarded("expand", || {
            let files = self.files();
            let x = crate::expand::expand_parsed(&open.doc, &place, &files, &[]);
            expanded_text(&x, &place)
        });
        match expanded {
            Some(text) => Ok(Some(lsp::LSPAny::String(text))),
            None => Err(Error::internal_error()),
        }
    }

    async fn diagnostic(
        &self,
        params: lsp::DocumentDiagnosticParams,
    ) -> Result<lsp::DocumentDiagnosticReportResult> {
        let uri = params.text_document.uri;
        let report = match self.snapshot(&uri) {
            // Not open (or dropped after a failed edit): nothing to say about it.
            None => lsp::DocumentDiagnosticReport::Full(Default::default()),
            Some(open) => self.pull(&uri, &open, params.previous_result_id.as_deref()),
        };
        Ok(lsp::DocumentDiagnosticReportResult::Report(report))
    }
}
