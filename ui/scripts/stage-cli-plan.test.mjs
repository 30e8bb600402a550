import { describe, expect, it } from "vitest";
import { stagingPlan } from "./stage-cli-plan.mjs";

const base = { root: "/repo", debug: false, host: "x86_64-unknown-linux-gnu", alreadyBuilt: false, env: {} };

describe("staging akv-console for the packages", () => {
  it("builds a release CLI for the host and stages it for the .deb and .rpm", () => {
    const plan = stagingPlan({ ...base, triple: "x86_64-unknown-linux-gnu", platform: "linux" });
    expect(plan.builds).toEqual([["build", "--locked", "-p", "akv-console", "--release"]]);
    expect(plan.built).toEqual(["/repo/target/release/akv-console"]);
    expect(plan.staged).toBe("/repo/target/cli-staged/akv-console");
    expect(plan.join).toBe(false);
    expect(plan.sign).toBeNull();
  });

  it("builds both Mac architectures for a universal app and joins them", () => {
    const plan = stagingPlan({
      ...base,
      host: "aarch64-apple-darwin",
      triple: "universal-apple-darwin",
      platform: "darwin",
      env: { APPLE_SIGNING_IDENTITY: "-" },
    });
    expect(plan.builds.map((args) => args.at(-1))).toEqual(["aarch64-apple-darwin", "x86_64-apple-darwin"]);
    expect(plan.built).toEqual([
      "/repo/target/aarch64-apple-darwin/release/akv-console",
      "/repo/target/x86_64-apple-darwin/release/akv-console",
    ]);
    expect(plan.join).toBe(true);
    // Ad hoc, like the window when no Apple certificate is configured.
    expect(plan.sign).toEqual({ program: "codesign", args: ["--force", "--sign", "-", plan.staged] });
  });

  it("signs the Mac CLI with a Developer ID for notarization", () => {
    const plan = stagingPlan({
      ...base,
      host: "aarch64-apple-darwin",
      triple: "aarch64-apple-darwin",
      platform: "darwin",
      env: { APPLE_SIGNING_IDENTITY: "Developer ID Application: Example MSP (TEAM123456)" },
    });
    expect(plan.sign?.args).toEqual([
      "--force",
      "--options",
      "runtime",
      "--timestamp",
      "--sign",
      "Developer ID Application: Example MSP (TEAM123456)",
      "/repo/target/cli-staged/akv-console",
    ]);
  });

  it("stages akv-console.exe for Windows and signs it with the configured command", () => {
    const plan = stagingPlan({
      ...base,
      root: "C:/repo",
      host: "x86_64-pc-windows-msvc",
      triple: "x86_64-pc-windows-msvc",
      platform: "windows",
      env: { AKV_CLI_SIGN_COMMAND: "trusted-signing-cli -e https://eus.codesigning.azure.net -a acct -c prof %1" },
    });
    expect(plan.staged).toBe("C:/repo/target/cli-staged/akv-console.exe");
    expect(plan.built).toEqual(["C:/repo/target/release/akv-console.exe"]);
    expect(plan.sign).toEqual({
      shell: 'trusted-signing-cli -e https://eus.codesigning.azure.net -a acct -c prof "C:/repo/target/cli-staged/akv-console.exe"',
    });
  });

  it("refuses a Windows sign command without a place for the file", () => {
    expect(() =>
      stagingPlan({ ...base, triple: undefined, platform: "windows", env: { AKV_CLI_SIGN_COMMAND: "signtool sign" } }),
    ).toThrow(/%1/);
  });

  it("leaves an unsigned build unsigned and reuses a CLI the test command built", () => {
    const plan = stagingPlan({ ...base, debug: true, triple: undefined, platform: "linux", alreadyBuilt: true });
    expect(plan.builds).toEqual([]);
    expect(plan.built).toEqual(["/repo/target/debug/akv-console"]);
    expect(plan.sign).toBeNull();
  });
});
