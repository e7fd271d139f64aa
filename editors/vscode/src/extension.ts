// The azpls extension: starts `azpls server` for YAML files and keeps its settings in sync.
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as vscode from "vscode";
import {
  DidChangeConfigurationNotification,
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;
let output: vscode.OutputChannel;
/** Serialises start, stop and restart: a restart while starting must not leave two servers. */
let pending: Promise<void> = Promise.resolve();

export function activate(context: vscode.ExtensionContext): Promise<void> {
  // One channel for the whole session: the server's stderr, its window/logMessage lines and
  // the protocol trace all land here, and it survives restarts so earlier failures stay visible.
  output = vscode.window.createOutputChannel("azpls");
  context.subscriptions.push(output);

  context.subscriptions.push(
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
