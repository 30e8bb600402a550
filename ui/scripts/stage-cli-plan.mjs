// What ui/scripts/stage-cli.mjs does for one package build, worked out without running anything
// (so Vitest can check every platform's plan on this Linux machine).
import { join } from "node:path";

const universalMac = "universal-apple-darwin";
const macArchitectures = ["aarch64-apple-darwin", "x86_64-apple-darwin"];

/**
 * @param {object} build
 * @param {string} build.root        repository root
 * @param {boolean} build.debug      the window is a debug build
 * @param {string | undefined} build.triple  TAURI_ENV_TARGET_TRIPLE
 * @param {string} build.host        the host's triple (rustc -vV)
 * @param {string} build.platform    TAURI_ENV_PLATFORM: "windows", "darwin" or "linux"
 * @param {boolean} build.alreadyBuilt  AKV_CLI_BUILT=1: the test command built the CLI already
 * @param {Record<string, string | undefined>} build.env  signing variables
 */
export function stagingPlan({ root, debug, triple, host, platform, alreadyBuilt, env }) {
  const windows = platform === "windows";
  const profile = debug ? "debug" : "release";
  const name = windows ? "akv-console.exe" : "akv-console";
  const staged = join(root, "target", "cli-staged", name);
  // The window was built for an explicit --target when the triple differs from the host's; the
  // CLI follows it into target/<triple>/. A universal macOS app needs the CLI for both
  // architectures, joined by lipo like the window's own binary.
  const explicitTarget = triple && triple !== host ? triple : null;
  const targets = explicitTarget === universalMac ? macArchitectures : [explicitTarget];

  const builds = alreadyBuilt
    ? []
    : targets.map((target) => [
        "build",
        "--locked",
        "-p",
        "akv-console",
        ...(debug ? [] : ["--release"]),
        ...(target ? ["--target", target] : []),
      ]);
  const built = targets.map((target) => join(root, "target", ...(target ? [target] : []), profile, name));

  return { builds, built, staged, join: built.length > 1, sign: signing(staged, platform, env) };
}

/**
 * How the staged CLI is signed before the bundler packs it: the bundler signs the window's own
 * binaries, not files the configuration adds. Returns null when the build is unsigned.
 */
function signing(path, platform, env) {
  if (platform === "windows") {
    // A command for one file, `%1` standing for its path (the workflow sets it from the
    // HSM-held certificate's sign command or from signtool with the imported certificate).
    const command = env.AKV_CLI_SIGN_COMMAND?.trim();
    if (!command) return null;
    if (!command.includes("%1")) {
      throw new Error("AKV_CLI_SIGN_COMMAND must contain %1 where the file's path goes");
    }
    return { shell: command.replaceAll("%1", `"${path}"`) };
  }
  const identity = env.APPLE_SIGNING_IDENTITY?.trim();
  if (platform !== "darwin" || !identity) return null;
  // Ad hoc ("-") has no timestamp server; a Developer ID signature needs the hardened runtime
  // and a secure timestamp to pass notarization.
  const args =
    identity === "-"
      ? ["--force", "--sign", "-", path]
      : ["--force", "--options", "runtime", "--timestamp", "--sign", identity, path];
  return { program: "codesign", args };
}
