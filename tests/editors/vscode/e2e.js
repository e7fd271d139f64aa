// Drives VS Code (code-server in headless Chromium, through playwright-core) as a person would:
// open the pipeline, wait for the two diagnostics, hover the deprecated task, apply the quick
// fix from VS Code's code action menu, save; then turn a rule off in the settings, run
// "azpls: Restart Server", and "azpls: Show Expanded Pipeline" before and after an unsaved
// edit. run.sh prepares everything and compares the saved file.
//
// env: CODE_SERVER (code-server executable), PLAYWRIGHT_CORE (its package folder), CHROMIUM,
//      VSIX (the packaged extension), WORK (a fresh folder holding ws/, user/, ext/, home/),
//      SHOTS (where the screenshots go), PID_FILE (the process groups we started, for run.sh
//      to stop if this script dies before it does).
"use strict";
const { chromium } = require(process.env.PLAYWRIGHT_CORE);
const { spawn, execFileSync } = require("child_process");
const fs = require("fs");
const path = require("path");

const work = process.env.WORK;
const ws = path.join(work, "ws");
const user = path.join(work, "user");
const exts = path.join(work, "ext");
const shots = process.env.SHOTS;
const file = path.join(ws, "azure-pipelines.yml");
const original = fs.readFileSync(file, "utf8");
const started = Date.now();

function step(name, detail = "") {
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`[${seconds.padStart(5)} s] ${name}${detail ? `: ${detail}` : ""}`);
}

let server; // code-server
let chrome; // the Chromium process
let browser; // playwright's connection to it

/** The process groups we started, for run.sh to stop if this script dies without doing so. */
function writePids() {
  const groups = [server, chrome].filter((p) => p && p.exitCode === null && p.signalCode === null).map((p) => p.pid);
  if (groups.length) fs.writeFileSync(process.env.PID_FILE, groups.join("\n") + "\n");
  else fs.rmSync(process.env.PID_FILE, { force: true });
}

async function cleanup() {
  if (browser) await browser.close().catch(() => {});
  browser = undefined;
  // Each runs in its own process group: code-server with the extension host and azpls under
  // it, Chromium with its helpers. SIGTERM first; what is left after a grace period (the
  // extension host outlives code-server when it is mid-start or waiting for the browser to
  // reconnect) gets SIGKILL. A group id cannot be reused while any member lives.
  for (const child of [chrome, server]) {
    if (!child) continue;
    try {
      process.kill(-child.pid, "SIGTERM");
    } catch {}
  }
  for (const child of [chrome, server]) {
    if (!child) continue;
    for (let i = 0; i < 50 && groupAlive(child.pid); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    if (groupAlive(child.pid)) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {}
    }
  }
  // Stopped: run.sh must not signal these group ids again.
  fs.rmSync(process.env.PID_FILE, { force: true });
}

function groupAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

// timeout(1) sends SIGTERM: still close Chromium and stop code-server.
process.on("SIGTERM", () => {
  console.log("e2e: terminated");
  cleanup().finally(() => process.exit(1));
});

async function startCodeServer() {
  const args = ["--user-data-dir", user, "--extensions-dir", exts];
  // --install-extension fails when the extensions folder does not exist yet.
  fs.mkdirSync(exts, { recursive: true });
  execFileSync(process.env.CODE_SERVER, [...args, "--install-extension", process.env.VSIX], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  step("extension installed");
  server = spawn(
    process.env.CODE_SERVER,
    [
      ...args,
      "--auth", "none",
      // Port 0: the system picks a free one, no race with another process; read it back below.
      "--bind-addr", "127.0.0.1:0",
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-workspace-trust",
      "--disable-getting-started-override",
      ws,
    ],
    { stdio: ["ignore", "pipe", "pipe"], detached: true },
  );
  writePids();
  const log = fs.createWriteStream(path.join(work, "code-server.log"));
  server.stdout.pipe(log);
  server.stderr.pipe(log);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("code-server did not start listening within 30 s")), 30000);
    let seen = "";
    server.stdout.on("data", (chunk) => {
      seen += chunk.toString();
      const match = /HTTP server listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    server.on("exit", (code) => reject(new Error(`code-server exited with ${code} before listening`)));
  });
}

/**
 * The screen rectangle of `text` on the first editor line that has it; with `title`, only
 * in the editor group whose active tab's title ends with it.
 */
async function textBox(page, text, title) {
  return page.evaluate(([text, title]) => {
    const groups = [...document.querySelectorAll(".editor-group-container")].filter(
      (group) => !title || (group.querySelector(".tab.active .label-name")?.innerText || "").endsWith(title),
    );
    const lines = groups.flatMap((group) => [...group.querySelectorAll(".monaco-editor .view-lines .view-line")]);
    for (const line of lines) {
      const content = line.textContent.replace(/\u00a0/g, " ");
      const at = content.indexOf(text);
      if (at < 0) continue;
      // Tokens and decorations split the line into spans: find the text nodes the match spans.
      const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
      const range = document.createRange();
      let offset = 0;
      let node;
      while ((node = walker.nextNode())) {
        const end = offset + node.textContent.length;
        if (offset <= at && at < end) range.setStart(node, at - offset);
        if (offset < at + text.length && at + text.length <= end) {
          range.setEnd(node, at + text.length - offset);
          const r = range.getBoundingClientRect();
          return { x: r.x, y: r.y, width: r.width, height: r.height };
        }
        offset = end;
      }
    }
    return null;
  }, [text, title]);
}

const editorText = (page) =>
  page.evaluate(() =>
    (document.querySelector(".monaco-editor .view-lines")?.innerText || "").replace(/\u00a0/g, " "),
  );

const problemsText = (page) =>
  page.evaluate(() => document.querySelector(".markers-panel")?.innerText || "");

/**
 * Starts Chromium ourselves, in its own process group whose id goes to the PID file, and
 * connects playwright to it over the DevTools protocol: then run.sh can stop it even when
 * this script is killed outright (playwright's own launch leaves it running for a while).
 */
async function startChromium() {
  chrome = spawn(
    process.env.CHROMIUM,
    [
      "--headless",
      "--no-sandbox", // root in a container: Chromium's sandbox needs user namespaces
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-quic",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-dev-shm-usage",
      `--user-data-dir=${path.join(work, "chromium")}`, // fresh, under WORK
      "--remote-debugging-address=127.0.0.1",
      "--remote-debugging-port=0", // the system picks a free port; Chromium prints it
      "--window-size=1280,800",
      "about:blank",
    ],
    { stdio: ["ignore", "ignore", "pipe"], detached: true },
  );
  writePids();
  const endpoint = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("Chromium did not open its DevTools port within 30 s")), 30000);
    let seen = "";
    chrome.stderr.on("data", (chunk) => {
      seen += chunk.toString();
      const match = /DevTools listening on (ws:\/\/127\.0\.0\.1:\d+\/\S+)/.exec(seen);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    chrome.on("exit", (code) => reject(new Error(`Chromium exited with ${code}: ${seen.slice(-2000)}`)));
  });
  browser = await chromium.connectOverCDP(endpoint);
  const context = browser.contexts()[0];
  const page = context.pages()[0] || (await context.newPage());
  await page.setViewportSize({ width: 1280, height: 800 });
  return page;
}

async function main() {
  const url = await startCodeServer();
  step("code-server listening", url);

  const page = await startChromium();
  page.on("console", (message) => {
    if (message.type() === "error") fs.appendFileSync(path.join(work, "browser-console.log"), message.text() + "\n");
  });
  await page.goto(`${url}/?folder=${encodeURIComponent(ws)}`);
  await page.waitForSelector(".monaco-workbench", { timeout: 60000 });
  step("workbench loaded");

  // Open the file through Quick Open. Enter before the result is listed opens nothing.
  await page.waitForSelector(".part.statusbar", { timeout: 30000 });
  await page.keyboard.press("Control+P");
  await page.waitForSelector(".quick-input-widget input", { state: "visible", timeout: 15000 });
  await page.keyboard.type("azure-pipelines.yml");
  await page.waitForSelector('.quick-input-list .monaco-list-row[aria-label*="azure-pipelines.yml"]', { timeout: 15000 });
  await page.keyboard.press("Enter");
  await page.waitForFunction(
    () => /AzureFileCopy@4/.test(document.querySelector(".monaco-editor .view-lines")?.innerText || ""),
    null,
    { timeout: 20000 },
  );
  step("file opened");

  // 1. The two diagnostics: squiggles in the editor, and both listed in the Problems panel.
  await page.waitForFunction(() => document.querySelectorAll(".monaco-editor .squiggly-warning").length >= 2, null, {
    timeout: 60000,
  });
  step("two squiggles");
  await page.keyboard.press("Control+Shift+M");
  await page.waitForFunction(
    () => {
      const text = document.querySelector(".markers-panel")?.innerText || "";
      return /AzureFileCopy@4/.test(text) && /AzureNLBManagement@1/.test(text);
    },
    null,
    { timeout: 30000 },
  );
  const problems = await problemsText(page);
  step("problems panel", JSON.stringify(problems.replace(/\s+/g, " ").slice(0, 300)));
  for (const expected of ["wif-deprecated-version", "wif-unsupported-task"]) {
    if (!problems.includes(expected)) throw new Error(`the Problems panel does not show the code ${expected}`);
  }
  await page.screenshot({ path: path.join(shots, "diagnostics.png") });

  // 2. Hover the deprecated task reference.
  const token = await textBox(page, "AzureFileCopy@4");
  if (!token) throw new Error("AzureFileCopy@4 is not on screen");
  await page.mouse.move(token.x + token.width * 0.4, token.y + token.height / 2);
  const hover = await page.waitForFunction(
    () =>
      [...document.querySelectorAll(".monaco-hover")]
        .map((element) => element.innerText)
        // "Workload identity federation:" is in the server's hover, not in the diagnostic's.
        .find((text) => /Workload identity federation:/.test(text) && /AzureFileCopy@6/.test(text)),
    null,
    { timeout: 20000 },
  );
  step("hover", JSON.stringify((await hover.jsonValue()).replace(/\s+/g, " ").slice(0, 300)));
  // The hover fades in: a screenshot right away catches it half transparent.
  await page.waitForTimeout(600);
  await page.screenshot({ path: path.join(shots, "hover.png") });

  // 3. The quick fix, through the code action menu (Ctrl+.) at the cursor.
  await page.mouse.click(token.x + 3, token.y + token.height / 2);
  // Park the mouse on empty editor space so no hover covers the menu.
  await page.mouse.move(token.x + token.width + 500, token.y - 6 * token.height);
  await page.keyboard.press("Escape");
  await page.waitForSelector(".monaco-hover", { state: "hidden", timeout: 5000 }).catch(() => {});
  await page.keyboard.press("Control+.");
  await page.waitForFunction(
    () => /Use AzureFileCopy@6/.test(document.querySelector(".action-widget")?.innerText || ""),
    null,
    { timeout: 20000 },
  );
  const menu = await page.evaluate(() => document.querySelector(".action-widget").innerText);
  step("code action menu", JSON.stringify(menu.replace(/\s+/g, " ")));
  // Select the item with the keyboard, as a person would: move the focus onto it, then Enter.
  for (let i = 0; i < 10; i++) {
    const focused = await page.evaluate(
      () => document.querySelector(".action-widget .monaco-list-row.focused")?.innerText || "",
    );
    if (/Use AzureFileCopy@6/.test(focused)) break;
    await page.keyboard.press("ArrowDown");
  }
  await page.screenshot({ path: path.join(shots, "quick-fix.png") });
  const chosen = await page.evaluate(
    () => document.querySelector(".action-widget .monaco-list-row.focused")?.innerText || "",
  );
  if (!/Use AzureFileCopy@6/.test(chosen)) throw new Error(`could not focus "Use AzureFileCopy@6" (focused: ${chosen})`);
  await page.keyboard.press("Enter");
  await page.waitForFunction(
    () => /task: AzureFileCopy@6/.test((document.querySelector(".monaco-editor .view-lines")?.innerText || "").replace(/\u00a0/g, " ")),
    null,
    { timeout: 15000 },
  );
  step("fix applied in the editor");
  // The server re-checks the edited text: one finding left, AzureNLBManagement@1.
  await page.waitForFunction(
    () => {
      const text = document.querySelector(".markers-panel")?.innerText || "";
      return !/AzureFileCopy@4/.test(text) && /AzureNLBManagement@1/.test(text);
    },
    null,
    { timeout: 20000 },
  );
  step("diagnostic cleared", "AzureNLBManagement@1 remains");

  // 4. Save with Ctrl+S, and wait until the file on disk changed.
  await page.keyboard.press("Control+S");
  const deadline = Date.now() + 15000;
  while (fs.readFileSync(file, "utf8") === original) {
    if (Date.now() > deadline) throw new Error("Ctrl+S did not write the file within 15 s");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // Let a write in progress finish before run.sh compares.
  await page.waitForTimeout(500);
  step("saved");
  await page.screenshot({ path: path.join(shots, "after-fix.png") });
  if (!(await editorText(page)).includes("AzureFileCopy@6")) throw new Error("editor lost the fix");

  // 5. A settings change reaches the running server (workspace/didChangeConfiguration):
  // turning the remaining findings' rules off empties the Problems panel.
  // Workspace settings, written as a file: VS Code's file watcher sees them change.
  fs.mkdirSync(path.join(ws, ".vscode"), { recursive: true });
  fs.writeFileSync(
    path.join(ws, ".vscode", "settings.json"),
    JSON.stringify({ "azpls.rules": { "wif-unsupported-task": "off", "deprecated-task": "off" } }, null, 2),
  );
  await page.waitForFunction(() => !/AzureNLBManagement@1/.test(document.querySelector(".markers-panel")?.innerText || ""), null, {
    timeout: 20000,
  });
  step("settings change applied", "wif-unsupported-task and deprecated-task off, no problems left");

  // 6. azpls: Restart Server from the command palette starts a new server, which gets the
  // current settings as initializationOptions (the protocol trace in the output channel shows them).
  await page.keyboard.press("F1");
  await page.waitForSelector(".quick-input-widget input", { state: "visible", timeout: 15000 });
  await page.keyboard.type("azpls: Restart Server");
  await page.waitForSelector('.quick-input-list .monaco-list-row[aria-label*="Restart Server"]', { timeout: 15000 });
  await page.keyboard.press("Enter");
  const restartDeadline = Date.now() + 20000;
  for (;;) {
    const log = outputChannelLog();
    const starts = (log.match(/\[azpls\] starting /g) || []).length;
    const ready = (log.match(/azpls \S+ ready \(WIF table/g) || []).length;
    const sentRule = /"initializationOptions": \{[^]*"wif-unsupported-task": "off"/.test(log);
    if (starts >= 2 && ready >= 2 && sentRule) break;
    if (Date.now() > restartDeadline) {
      throw new Error(`after azpls.restartServer: ${starts} starts, ${ready} ready messages, rule in initializationOptions: ${sentRule}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  step("server restarted", "with the rule off in initializationOptions");
  if (/AzureNLBManagement@1/.test(await problemsText(page))) throw new Error("the restarted server reports the rule that is off");

  // 7. "azpls: Show Expanded Pipeline" opens the expanded pipeline read-only beside the
  // source, the focus staying in the source; run again after an edit, it refreshes it.
  const inlined = "- script: curl --fail --silent https://example.org/site  # steps/smoke-test.yml:8";
  let shown = await showExpanded(page, inlined);
  step("expanded pipeline shown", `${shown.lines} lines beside the source, the template's step inlined`);
  for (const want of ["task: AzureFileCopy@6  # azure-pipelines.yml:11", "displayName: Smoke test https://example.org/site"]) {
    if (!shown.text.includes(want)) throw new Error(`the expanded pipeline lacks "${want}":\n${shown.text}`);
  }
  if (/\$\{\{|template:/.test(shown.text)) throw new Error(`the expanded pipeline still has a template:\n${shown.text}`);
  await page.screenshot({ path: path.join(shots, "expanded.png") });

  // Typing into it changes nothing, and VS Code says why.
  const expandedLine = await textBox(page, "vmImage: windows-latest", "(expanded)");
  if (!expandedLine) throw new Error("the expanded pipeline has no vmImage line on screen");
  await page.mouse.click(expandedLine.x + expandedLine.width + 2, expandedLine.y + expandedLine.height / 2);
  await page.keyboard.type("edited");
  const refused = await page
    .waitForFunction(() => document.querySelector(".monaco-editor-overlaymessage")?.innerText || "", null, { timeout: 5000 })
    .then((message) => message.jsonValue(), () => "");
  const after = await groupText(page, "(expanded)");
  if (after !== shown.text || /edited/.test(after)) throw new Error(`the expanded pipeline took an edit:\n${after}`);
  if (!/read-only/i.test(refused)) throw new Error(`typing into the expanded pipeline did not say it is read-only (${refused})`);
  step("expanded pipeline is read-only", JSON.stringify(refused.replace(/\s+/g, " ")));

  // An unsaved edit of the source, then the command again: the same editor shows the new text.
  // Back in the source; its last line is the template's url (the file ends with a newline).
  const sourceLine = await textBox(page, "vmImage: 'windows-latest'", "azure-pipelines.yml");
  await page.mouse.click(sourceLine.x + sourceLine.width + 2, sourceLine.y + sourceLine.height / 2);
  await page.keyboard.press("Control+End");
  await page.keyboard.press("ArrowUp");
  await page.keyboard.press("End");
  await page.keyboard.type("/v2");
  await page.waitForFunction(
    () => [...document.querySelectorAll(".monaco-editor .view-lines")].some((e) => /site\/v2/.test(e.innerText)),
    null,
    { timeout: 10000 },
  );
  shown = await showExpanded(page, "- script: curl --fail --silent https://example.org/site/v2  # steps/smoke-test.yml:8");
  step("expanded pipeline refreshed", "the unsaved edit shows, in the same editor");
}

/**
 * The text of the active editor of the editor group whose active tab's title ends with
 * `title` ("" when there is none), as the editor shows it.
 */
const groupText = (page, title) =>
  page.evaluate((title) => {
    for (const group of document.querySelectorAll(".editor-group-container")) {
      const tab = group.querySelector(".tab.active .label-name")?.innerText || "";
      if (tab.endsWith(title)) return (group.querySelector(".monaco-editor .view-lines")?.innerText || "").replace(/\u00a0/g, " ");
    }
    return "";
  }, title);

/**
 * Runs "azpls: Show Expanded Pipeline" from the command palette while the source has the
 * focus and waits for the expanded pipeline to show `want`. Checks that it is in one tab
 * of its own, in a group to the right of the source's, and that the focus stayed in the source.
 */
async function showExpanded(page, want) {
  await page.keyboard.press("F1");
  await page.waitForSelector(".quick-input-widget input", { state: "visible", timeout: 15000 });
  await page.keyboard.type("azpls: Show Expanded Pipeline");
  await page
    .waitForSelector('.quick-input-list .monaco-list-row[aria-label*="Show Expanded Pipeline"]', { timeout: 15000 })
    .catch(() => {
      throw new Error('the command palette has no "azpls: Show Expanded Pipeline"');
    });
  await page.keyboard.press("Enter");
  await page.waitForFunction(
    (want) =>
      [...document.querySelectorAll(".editor-group-container")].some(
        (group) =>
          (group.querySelector(".tab.active .label-name")?.innerText || "").endsWith("(expanded)") &&
          (group.querySelector(".monaco-editor .view-lines")?.innerText || "").replace(/\u00a0/g, " ").includes(want),
      ),
    want,
    { timeout: 20000 },
  );
  const layout = await page.evaluate(() => {
    const groups = [...document.querySelectorAll(".editor-group-container")].map((group) => ({
      tabs: [...group.querySelectorAll(".tab .label-name")].map((tab) => tab.innerText),
      active: group.querySelector(".tab.active .label-name")?.innerText || "",
      x: group.getBoundingClientRect().x,
      focused: group.contains(document.activeElement),
    }));
    return groups;
  });
  const source = layout.find((group) => group.active === "azure-pipelines.yml");
  const expanded = layout.find((group) => group.active.endsWith("(expanded)"));
  const tabs = layout.flatMap((group) => group.tabs).filter((tab) => tab.endsWith("(expanded)"));
  if (!source || tabs.length !== 1 || !(expanded.x > source.x)) {
    throw new Error(`the expanded pipeline is not in one tab to the right of the source: ${JSON.stringify(layout)}`);
  }
  if (!source.focused) throw new Error(`the focus left the source: ${JSON.stringify(layout)}`);
  const text = await groupText(page, "(expanded)");
  return { text, lines: text.split("\n").filter((line) => line.trim()).length };
}

/** What the extension wrote to its "azpls" output channel (VS Code keeps it in a log file). */
function outputChannelLog() {
  const found = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/-azpls\.log$/.test(entry.name)) found.push(fs.readFileSync(full, "utf8"));
    }
  };
  walk(path.join(user, "logs"));
  return found.join("\n");
}

main().then(
  async () => {
    await cleanup();
    step("done");
    process.exit(0);
  },
  async (error) => {
    console.log(`e2e: FAIL: ${error && error.stack ? error.stack : error}`);
    try {
      const page = browser?.contexts()[0]?.pages()[0];
      if (page) await page.screenshot({ path: path.join(shots, "failure.png") });
    } catch {}
    await cleanup();
    process.exit(1);
  },
);
