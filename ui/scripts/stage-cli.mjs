// Tauri's beforeBundleCommand: build `akv-console` (the headless companion) with the same profile
// and target as the window, and put it where the package configuration picks it up
// (target/cli-staged/), so every Linux package ships it on PATH (/usr/bin/akv-console).
// scripts/test.sh sets AKV_CLI_BUILT=1: its `tauri build -- --workspace` built the CLI with the
// workspace's features already, and building `-p akv-console` alone would compile its
// dependencies again with another feature set.
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..");
const debug = process.env.TAURI_ENV_DEBUG === "true";
const triple = process.env.TAURI_ENV_TARGET_TRIPLE;
const windows = (process.env.TAURI_ENV_PLATFORM ?? process.platform) === "windows" || process.platform === "win32";

const args = ["build", "--locked", "-p", "akv-console"];
if (!debug) {
  args.push("--release");
}
// The window was built for an explicit --target when the triple differs from the host's; the
// CLI follows it into target/<triple>/.
const host = execFileSync("rustc", ["-vV"], { encoding: "utf8" }).match(/^host: (.+)$/m)?.[1];
const explicitTarget = triple && triple !== host ? triple : null;
if (explicitTarget) {
  args.push("--target", explicitTarget);
}
if (process.env.AKV_CLI_BUILT !== "1") {
  execFileSync("cargo", args, { cwd: root, stdio: "inherit" });
}

const profileDir = join(root, "target", ...(explicitTarget ? [explicitTarget] : []), debug ? "debug" : "release");
const name = windows ? "akv-console.exe" : "akv-console";
const staged = join(root, "target", "cli-staged");
mkdirSync(staged, { recursive: true });
copyFileSync(join(profileDir, name), join(staged, name));
console.log(`staged ${name} for the packages`);
