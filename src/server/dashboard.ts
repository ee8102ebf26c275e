/**
 * The dashboard and the API's docs page: plain files from `web/` (no build step) and a page rendered
 * from the OpenAPI document. Served with a strict Content-Security-Policy: scripts and styles from this
 * origin only, no inline code, no framing, and API calls to this origin only.
 */
import { readFileSync } from "node:fs";
import type { FastifyInstance } from "fastify";
import { apiDocsHtml } from "./api-docs.js";

/** `web/` sits at the package root, two levels above both src/server and dist/server. */
const WEB = new URL("../../web/", import.meta.url);

const FILES: Record<string, { file: string; type: string }> = {
  "/": { file: "index.html", type: "text/html; charset=utf-8" },
  "/app.js": { file: "app.js", type: "text/javascript; charset=utf-8" },
  "/charts.js": { file: "charts.js", type: "text/javascript; charset=utf-8" },
  "/app.css": { file: "app.css", type: "text/css; charset=utf-8" },
  "/favicon.svg": { file: "favicon.svg", type: "image/svg+xml" },
};

export const SECURITY_HEADERS = {
  "content-security-policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "cache-control": "no-cache",
};

export function registerDashboard(app: FastifyInstance): void {
  for (const [path, { file, type }] of Object.entries(FILES)) {
    // Read once: the files are part of the installed package and do not change while it runs.
    const body = readFileSync(new URL(file, WEB));
    app.get(path, async (_request, reply) => reply.headers(SECURITY_HEADERS).type(type).send(body));
  }
  const docs = apiDocsHtml();
  app.get("/docs", async (_request, reply) =>
    reply.headers(SECURITY_HEADERS).type("text/html; charset=utf-8").send(docs),
  );
}
