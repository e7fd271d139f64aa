// The azpls extension: starts `azpls server` for YAML files and keeps its settings in sync.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  ExecuteCommandRequest,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from "vscode-languageclient/node";

/** The server's command that returns the expanded pipeline of an open document. */
const EXPAND_COMMAND = "azpls.expand";
/**
 * The scheme of the read-only documents that show an expanded pipeline. Their path is the
 * source's with " (expanded)" appended (the tab's title), their query the source's URI.
 */
const EXPANDED_SCHEME = "azpls-expanded";

let client: LanguageClient | undefined;
let output: vscode.OutputChannel;
/** Serialises start, stop and restart: a restart while starting must not leave two servers. */
let pending: Promise<void> = Promise.resolve();

export function activate(context: vscode.ExtensionContext): Promise<void> {
  // One channel for the whole session: the server's stderr, its window/logMessage lines and
  // the protocol trace all land here, and it survives restarts so earlier failures stay visible.
  output = vscode.window.createOutputChannel("azpls");
  context.subscriptions.push(output);

  const expanded = new ExpandedPipelines();
  context.subscriptions.push(
    expanded,
    vscode.workspace.registerTextDocumentContentProvider(EXPANDED_SCHEME, expanded),
    // Not the server's own command id: the language client registers a command named
    // "azpls.expand" for it, which only returns the text.
    vscode.commands.registerCommand("azpls.showExpandedPipeline", () => showExpandedPipeline(expanded)),
    vscode.commands.registerCommand("azpls.restartServer", () => queue(() => restart(context))),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration("azpls.server.path")) {
        // Another binary: only a new process can pick it up.
        queue(() => restart(context));
      } else if (event.affectsConfiguration("azpls.wif") || event.affectsConfiguration("azpls.rules")) {
        queue(() => sendSettings());
      }
    }),
  );
  return queue(() => start(context));
}

export function deactivate(): Promise<void> {
  return queue(() => stop());
}

function queue(task: () => Promise<void>): Promise<void> {
  pending = pending.then(task, task);
  return pending;
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const command = serverCommand(context);
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (vscode.workspace.getConfiguration("azpls").get<string>("trace.server") === "verbose") {
    // With a verbose trace, the server's own debug lines (stderr) are wanted too.
    env.AZPLS_LOG = "1";
  }
  const serverOptions: ServerOptions = {
    command,
    args: ["server"],
    // No `transport`: TransportKind.stdio would append `--stdio` to the arguments, which
    // `azpls server` rejects. Without it the client still talks over stdin/stdout.
    options: { env },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "yaml" },
      { scheme: "untitled", language: "yaml" },
    ],
    // A function, so that a restart sends the settings of that moment.
    initializationOptions: () => serverSettings(),
    outputChannel: output,
    traceOutputChannel: output,
    // No `synchronize.configurationSection`: it would send the whole `azpls` section, which
    // includes `server.path` and `trace.server`, and the server rejects keys it does not
    // know (all settings are then ignored). It would also send the defaults, which would
    // override the workspace's azpls.toml. sendSettings() sends only what the user set.
  };
  output.appendLine(`[azpls] starting ${command} server`);
  const next = new LanguageClient("azpls", "azpls", serverOptions, clientOptions);
  try {
    await next.start();
    client = next;
  } catch (error) {
    output.appendLine(`[azpls] could not start ${command}: ${error}`);
    await next.dispose().catch(() => undefined);
    const choice = await vscode.window.showErrorMessage(
      `azpls: could not start the language server "${command}". Install azpls (cargo install --path . in its repository) or set azpls.server.path.`,
      "Open Settings",
      "Show Log",
    );
    if (choice === "Open Settings") {
      void vscode.commands.executeCommand("workbench.action.openSettings", "azpls.server.path");
    } else if (choice === "Show Log") {
      output.show(true);
    }
  }
}

async function stop(): Promise<void> {
  const current = client;
  client = undefined;
  if (current) {
    // dispose() stops the server (shutdown, exit) and frees the client's registrations.
    await current.dispose().catch((error) => output.appendLine(`[azpls] stopping the server: ${error}`));
  }
}

async function restart(context: vscode.ExtensionContext): Promise<void> {
  await stop();
  await start(context);
}

/**
 * The texts of the expanded pipelines, as read-only documents: a document of a content
 * provider cannot be edited. Each run of the command replaces a text and fires
 * onDidChange, so an open document shows the new one.
 */
class ExpandedPipelines implements vscode.TextDocumentContentProvider, vscode.Disposable {
  private readonly texts = new Map<string, string>();
  private readonly changed = new vscode.EventEmitter<vscode.Uri>();
  readonly onDidChange = this.changed.event;

  provideTextDocumentContent(uri: vscode.Uri): string {
    // Nothing stored: a tab restored after a reload, before the command ran again.
    return (
      this.texts.get(uri.toString()) ??
      `# Run "azpls: Show Expanded Pipeline" on ${sourceOf(uri).toString(true)} to see it here.\n`
    );
  }

  set(uri: vscode.Uri, text: string): void {
    this.texts.set(uri.toString(), text);
    this.changed.fire(uri);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function expandedUri(source: vscode.Uri): vscode.Uri {
  const path = source.path.startsWith("/") ? source.path : `/${source.path}`;
  return vscode.Uri.from({ scheme: EXPANDED_SCHEME, path: `${path} (expanded)`, query: source.toString() });
}

function sourceOf(expanded: vscode.Uri): vscode.Uri {
  return vscode.Uri.parse(expanded.query);
}

/**
 * "azpls: Show Expanded Pipeline": asks the server for the active YAML file's expanded
 * pipeline (workspace/executeCommand azpls.expand) and shows it read-only beside it, the
 * focus staying in the source. Run again (from the source or from the expanded document),
 * it refreshes the document it opened.
 */
async function showExpandedPipeline(expanded: ExpandedPipelines): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor) {
    void vscode.window.showErrorMessage("azpls: open an Azure Pipelines YAML file to see it expanded.");
    return;
  }
  let source = editor.document;
  if (source.uri.scheme === EXPANDED_SCHEME) {
    const uri = sourceOf(source.uri);
    const open = vscode.workspace.textDocuments.find((document) => document.uri.toString() === uri.toString());
    if (!open) {
      void vscode.window.showErrorMessage(`azpls: ${uri.toString(true)} is no longer open; open it to expand it again.`);
      return;
    }
    source = open;
  }
  if (source.languageId !== "yaml") {
    void vscode.window.showErrorMessage(
      `azpls: "Show Expanded Pipeline" works on YAML files; ${path.basename(source.uri.path)} is ${source.languageId}.`,
    );
    return;
  }
  if (source.uri.scheme !== "file" && source.uri.scheme !== "untitled") {
    void vscode.window.showErrorMessage(
      `azpls: the server only sees files on disk and untitled files, not ${source.uri.scheme}: documents.`,
    );
    return;
  }
  const current = client;
  if (!current || !current.isRunning()) {
    const choice = await vscode.window.showErrorMessage(
      'azpls: the language server is not running. Run "azpls: Restart Server", or see the log.',
      "Restart Server",
      "Show Log",
    );
    if (choice === "Restart Server") {
      void vscode.commands.executeCommand("azpls.restartServer");
    } else if (choice === "Show Log") {
      output.show(true);
    }
    return;
  }
  let text: unknown;
  try {
    text = await current.sendRequest(ExecuteCommandRequest.type, {
      command: EXPAND_COMMAND,
      // The URI exactly as the client sent it in didOpen, which is how the server knows it.
      arguments: [current.code2ProtocolConverter.asUri(source.uri)],
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    output.appendLine(`[azpls] ${EXPAND_COMMAND} ${source.uri.toString()}: ${message}`);
    void vscode.window.showErrorMessage(`azpls: the server could not expand this pipeline: ${message}`);
    return;
  }
  if (typeof text !== "string") {
    void vscode.window.showErrorMessage(`azpls: the server answered ${EXPAND_COMMAND} without the expanded text.`);
    return;
  }
  const uri = expandedUri(source.uri);
  expanded.set(uri, text);
  let document = await vscode.workspace.openTextDocument(uri);
  if (document.languageId !== "yaml") {
    // The path ends in " (expanded)", which names no language.
    document = await vscode.languages.setTextDocumentLanguage(document, "yaml");
  }
  // Where it is already shown, refresh it in place; else in the group beside the source.
  const shown = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri.toString());
  await vscode.window.showTextDocument(document, {
    viewColumn: shown?.viewColumn ?? vscode.ViewColumn.Beside,
    preserveFocus: true,
    preview: false,
  });
}

async function sendSettings(): Promise<void> {
  if (!client || !client.isRunning()) {
    return;
  }
  await client.sendNotification(DidChangeConfigurationNotification.type, { settings: serverSettings() });
}

/**
 * The settings in the shape the server reads: `{"azpls": {"wif": {"table"}, "rules"}}`, with
 * only the values the user (or workspace) set. Unset values are left out so that the
 * server falls back to the workspace's azpls.toml, then to its own default (the newest table).
 */
function serverSettings(): { azpls: { wif: { table?: string }; rules: Record<string, string> } } {
  const config = vscode.workspace.getConfiguration("azpls", scope());
  const table = config.inspect<string>("wif.table");
  const rules = config.inspect<Record<string, string>>("rules");
  const chosenTable = table?.workspaceFolderValue ?? table?.workspaceValue ?? table?.globalValue;
  return {
    azpls: {
      wif: chosenTable ? { table: chosenTable } : {},
      rules: { ...rules?.globalValue, ...rules?.workspaceValue, ...rules?.workspaceFolderValue },
    },
  };
}

/** The server has one configuration: that of the first workspace folder. */
function scope(): vscode.Uri | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri;
}

/**
 * `azpls.server.path` if set (`~` and paths relative to the first workspace folder
 * resolved), else the binary bundled for this platform, else `azpls` on PATH.
 */
function serverCommand(context: vscode.ExtensionContext): string {
  const configured = vscode.workspace.getConfiguration("azpls", scope()).get<string>("server.path", "").trim();
  if (configured) {
    let resolved = configured;
    if (resolved === "~" || resolved.startsWith("~/")) {
      resolved = path.join(os.homedir(), resolved.slice(1));
    }
    const folder = scope();
    if (!path.isAbsolute(resolved) && resolved.includes(path.sep) && folder?.scheme === "file") {
      resolved = path.join(folder.fsPath, resolved);
    }
    return resolved;
  }
  const exe = process.platform === "win32" ? "azpls.exe" : "azpls";
  const bundled = context.asAbsolutePath(path.join("server", `${process.platform}-${process.arch}`, exe));
  if (fs.existsSync(bundled)) {
    if (process.platform !== "win32") {
      try {
        fs.accessSync(bundled, fs.constants.X_OK);
      } catch {
        // Some ways of unpacking a .vsix drop the executable bit.
        try {
          fs.chmodSync(bundled, 0o755);
        } catch (error) {
          output.appendLine(`[azpls] ${bundled} is not executable and chmod failed: ${error}`);
        }
      }
    }
    return bundled;
  }
  return "azpls";
}
