// Tauri's beforeBundleCommand: build `akv-console` (the headless companion) with the same profile
// and target as the window, sign it where the build is signed, and put it where the package
// configuration picks it up (target/cli-staged/): /usr/bin/akv-console in the .deb and .rpm,
// Contents/MacOS/akv-console in the macOS app (bundle.macOS.files), and beside the window's
// executable with its folder on PATH in the NSIS and MSI installers (packaging/windows/).
// scripts/test.sh sets AKV_CLI_BUILT=1: its `tauri build -- --workspace` built the CLI with the
// workspace's features already, and building `-p akv-console` alone would compile its
// dependencies again with another feature set.
import { execFileSync, execSync } from "node:child_process";
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { stagingPlan } from "./stage-cli-plan.mjs";

const root = join(import.meta.dirname, "..", "..");
const host = execFileSync("rustc", ["-vV"], { encoding: "utf8" }).match(/^host: (.+)$/m)?.[1] ?? "";
const plan = stagingPlan({
  root,
  debug: process.env.TAURI_ENV_DEBUG === "true",
  triple: process.env.TAURI_ENV_TARGET_TRIPLE,
  host,
  platform: process.env.TAURI_ENV_PLATFORM ?? (process.platform === "win32" ? "windows" : process.platform),
  alreadyBuilt: process.env.AKV_CLI_BUILT === "1",
  env: process.env,
});

for (const args of plan.builds) {
  execFileSync("cargo", args, { cwd: root, stdio: "inherit" });
}
mkdirSync(dirname(plan.staged), { recursive: true });
if (plan.join) {
  execFileSync("lipo", ["-create", "-output", plan.staged, ...plan.built], { stdio: "inherit" });
} else {
  copyFileSync(plan.built[0], plan.staged);
}
if (plan.sign?.shell) {
  execSync(plan.sign.shell, { stdio: "inherit" });
} else if (plan.sign) {
  execFileSync(plan.sign.program, plan.sign.args, { stdio: "inherit" });
}
console.log(`staged ${plan.staged} for the packages${plan.sign ? " (signed)" : ""}`);
