// The window runs on the platform's own web engine: WebKit on macOS (the minimum, macOS 11, ships
// Safari 14), WebKitGTK on Linux, WebView2 on Windows. Vite transpiles syntax down to the build
// target but adds no polyfills, so a built-in that Safari 14 lacks would break the window on an
// older Mac while every test here passes. This check fails the build when the bundle calls one.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

// Built-ins newer than Safari 14 (ES2022 and later), with the Safari version that added them.
const newer = [
  [/\.at\(-?\d/, "Array/String.prototype.at (Safari 15.4)"],
  [/\bObject\.hasOwn\(/, "Object.hasOwn (Safari 15.4)"],
  [/\bstructuredClone\(/, "structuredClone (Safari 15.4)"],
  [/\.findLast(Index)?\(/, "Array.prototype.findLast (Safari 15.4)"],
  [/\.(toSorted|toReversed|toSpliced)\(/, "change-array-by-copy (Safari 16)"],
  [/\bObject\.groupBy\(|\bMap\.groupBy\(/, "groupBy (Safari 17.4)"],
];

const assets = join(import.meta.dirname, "..", "dist", "assets");
const problems = [];
for (const file of readdirSync(assets).filter((name) => name.endsWith(".js"))) {
  const text = readFileSync(join(assets, file), "utf8");
  for (const [pattern, name] of newer) {
    const match = text.match(pattern);
    if (match) {
      const at = match.index ?? 0;
      problems.push(`${file}: ${name}: …${text.slice(Math.max(0, at - 40), at + 40)}…`);
    }
  }
}
if (problems.length > 0) {
  console.error("The UI bundle uses built-ins that macOS 11's WebKit (Safari 14) lacks:");
  for (const problem of problems) {
    console.error(`  ${problem}`);
  }
  process.exit(1);
}
