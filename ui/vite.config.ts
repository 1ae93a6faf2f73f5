import { defineConfig } from "vite";

// Preact's JSX through esbuild: no Babel plugin, no dev-only runtime in the bundle.
// The .ftl files come from ../locales (the same files the Rust side embeds).
export default defineConfig({
  esbuild: { jsx: "automatic", jsxImportSource: "preact" },
  server: { fs: { allow: [".."] } },
  build: {
    target: "safari15",
    outDir: "dist",
    emptyOutDir: true,
    assetsInlineLimit: 0,
    reportCompressedSize: false,
  },
  clearScreen: false,
});
