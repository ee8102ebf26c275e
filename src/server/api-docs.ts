/**
 * The API's docs page, rendered once from the OpenAPI document: every path with its methods, what
 * each does, its parameters and its answers. The document stays the one description of the API.
 */
import { OPENAPI } from "./openapi.js";

const html = (text: string): string => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

interface Operation {
  readonly summary?: string;
  readonly security?: readonly unknown[];
  readonly parameters?: readonly { name: string; in: string; required?: boolean; description?: string }[];
  readonly responses?: Record<string, { description?: string }>;
}

export function apiDocsHtml(): string {
  const sections: string[] = [];
  for (const [path, methods] of Object.entries(OPENAPI.paths as Record<string, Record<string, Operation>>)) {
    for (const [method, operation] of Object.entries(methods)) {
      const parameters = (operation.parameters ?? [])
        .map(
          (parameter) =>
            `<li><code>${html(parameter.name)}</code> (${html(parameter.in)}${parameter.required ? ", required" : ""})${parameter.description ? ` — ${html(parameter.description)}` : ""}</li>`,
        )
        .join("");
      const responses = Object.entries(operation.responses ?? {})
        .map(([status, answer]) => `<li><code>${html(status)}</code> ${html(answer.description ?? "")}</li>`)
        .join("");
      sections.push(
        `<section><h2><code>${method.toUpperCase()} ${html(path)}</code></h2>` +
          `<p>${html(operation.summary ?? "")}${operation.security?.length === 0 ? " No key needed." : ""}</p>` +
          (parameters === "" ? "" : `<h3>Parameters</h3><ul>${parameters}</ul>`) +
          `<h3>Answers</h3><ul>${responses}</ul></section>`,
      );
    }
  }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>ledger-bridge API</title>
<link rel="stylesheet" href="/app.css">
</head>
<body class="docs">
<main>
<h1>ledger-bridge API v${html(OPENAPI.info.version)}</h1>
<p>${html(OPENAPI.info.description)}</p>
<p>Authentication: <code>Authorization: Bearer lbk_…</code> (an API key from <code>ledger-bridge keys create</code>) on every route but the health checks. ${html(OPENAPI.components.securitySchemes.apiKey.description)}</p>
<p>The machine-readable description: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${html(OPENAPI.openapi)}). The dashboard: <a href="/">/</a>.</p>
${sections.join("\n")}
</main>
</body>
</html>
`;
}
