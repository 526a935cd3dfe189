/// <reference types="vitest/config" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

// `npm run dev` proxies the API to a `genaisys serve` on port 8000 (or GENAISYS_API).
const api = process.env.GENAISYS_API ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  base: "/",
  build: { outDir: "dist", sourcemap: false, chunkSizeWarningLimit: 1200 },
  server: { proxy: { "/api": { target: api, ws: true } } },
  test: { environment: "node", include: ["test/**/*.test.{ts,tsx}"] },
});
