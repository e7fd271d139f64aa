#!/usr/bin/env node
// Copies an azpls binary to server/<platform>-<arch>/ so that `npm run package` bundles it:
// the extension runs that binary when azpls.server.path is empty.
//
// usage: node scripts/stage-server.js [BINARY] [--target PLATFORM-ARCH]
//   BINARY   default: the release build of this repository, ../../target/release/azpls
//   --target default: this machine (Node's process.platform-process.arch, e.g. linux-x64,
//            darwin-arm64, win32-x64: the names the extension looks for at run time)
"use strict";
const fs = require("fs");
const path = require("path");

const args = process.argv.slice(2);
let target = `${process.platform}-${process.arch}`;
let binary;
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--target") {
    target = args[++i];
  } else if (args[i] === "-h" || args[i] === "--help") {
    console.log("usage: node scripts/stage-server.js [BINARY] [--target PLATFORM-ARCH]");
    process.exit(0);
  } else {
    binary = args[i];
  }
}
if (!target || !/^[a-z0-9]+-[a-z0-9]+$/.test(target)) {
  console.error(`stage-server: --target wants PLATFORM-ARCH such as linux-x64, not ${target}`);
  process.exit(2);
}
const windows = target.startsWith("win32-");
const extensionDir = path.resolve(__dirname, "..");
binary = path.resolve(binary || path.join(extensionDir, "../../target/release", windows ? "azpls.exe" : "azpls"));
if (!fs.existsSync(binary) || !fs.statSync(binary).isFile()) {
  console.error(`stage-server: ${binary} does not exist; build it with cargo build --release, or name a binary`);
  process.exit(1);
}
const dest = path.join(extensionDir, "server", target, windows ? "azpls.exe" : "azpls");
fs.mkdirSync(path.dirname(dest), { recursive: true });
fs.copyFileSync(binary, dest);
if (!windows) {
  fs.chmodSync(dest, 0o755);
}
console.log(`stage-server: ${path.relative(process.cwd(), dest) || dest} <- ${binary}`);
