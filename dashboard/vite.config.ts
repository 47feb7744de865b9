/// <reference types="vitest/config" />
// Vite builds the dashboard into dist/ (served by the query role); `npm run dev` proxies /api to a
// running Lynex (LYNEX_API, default http://127.0.0.1:8000) so the session cookie stays same-origin.
import tailwindcss from "@tailwindcss/vite";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const api = process.env.LYNEX_API ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react(), tailwindcss()],
  server: {
    proxy: { "/api": { target: api, changeOrigin: false } },
  },
  build: {
    outDir: "dist",
    sourcemap: false,
    chunkSizeWarningLimit: 600,
  },
  test: {
    environment: "jsdom",
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
    restoreMocks: true,
    env: { TZ: "UTC" },
  },
});
