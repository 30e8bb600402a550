import { defineConfig } from "vitest/config";
import { svelte } from "@sveltejs/vite-plugin-svelte";

// The UI is served by Tauri's custom protocol in builds and by Vite's dev server with
// `npm run dev` (then run the app with `cargo run --no-default-features`).
export default defineConfig({
  plugins: [svelte()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    // The oldest engine the window meets: macOS 11's WebKit (Safari 14). WebView2 and WebKitGTK
    // are newer. Syntax is lowered to it; scripts/check-webkit-baseline.mjs refuses built-ins it
    // lacks (no polyfills are added).
    target: ["safari14", "es2020"],
    outDir: "dist",
    emptyOutDir: true,
    // Inline assets would need a looser CSP; keep every asset a file.
    assetsInlineLimit: 0,
  },
  test: {
    include: ["src/**/*.test.ts", "scripts/**/*.test.mjs"],
  },
});
