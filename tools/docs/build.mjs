#!/usr/bin/env node
// Writes one self-contained HTML API reference that makes no network request when
// opened: Redoc's standalone bundle (from the pinned npm `redoc` package) and every
// spec document (bundled to JSON by `redocly bundle`) are inside the file, and a
// Content-Security-Policy in the file forbids every fetch but the file's own inline
// parts, so nothing a renderer or a description tries can leave the machine.
//
// Usage: node tools/docs/build.mjs --redoc <redoc.standalone.js> --out <index.html> <doc.json>...
// Each document is rendered by its own Redoc instance, one after the other in the page.

import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, dirname } from "node:path";

function usage(msg) {
  console.error(`build.mjs: ${msg}\nusage: build.mjs --redoc <redoc.standalone.js> --out <index.html> <doc.json>...`);
  process.exit(2);
}

const args = process.argv.slice(2);
let redocPath, outPath;
const docPaths = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === "--redoc") redocPath = args[++i];
  else if (args[i] === "--out") outPath = args[++i];
  else if (args[i].startsWith("--")) usage(`unknown flag ${args[i]}`);
  else docPaths.push(args[i]);
}
if (!redocPath || !outPath || docPaths.length === 0) usage("missing arguments");

// Redoc 2.x shows "API docs by Redocly" with a logo loaded from Redocly's CDN and has no
// option to turn it off; the logo is replaced by an inline image. The build fails when a
// new Redoc no longer contains the URL, so the replacement is looked at again.
const LOGO_URL = "https://cdn.redoc.ly/redoc/logo-mini.svg";
const INLINE_LOGO =
  "data:image/svg+xml;base64," +
  Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16"/>').toString("base64");

let redoc = readFileSync(redocPath, "utf8");
const logoUses = redoc.split(LOGO_URL).length - 1;
if (logoUses !== 1) {
  console.error(`build.mjs: expected the Redocly logo URL once in ${redocPath}, found it ${logoUses} times; check the bundle for other network requests`);
  process.exit(1);
}
redoc = redoc.replace(LOGO_URL, INLINE_LOGO);

function slug(s) {
  return s.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "") || "doc";
}

function escapeHTML(s) {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

const docs = docPaths.map((p) => {
  const spec = JSON.parse(readFileSync(p, "utf8"));
  if (!spec.openapi || !spec.info || !spec.info.title || !spec.paths) {
    console.error(`build.mjs: ${p} is not an OpenAPI document (openapi, info.title, paths)`);
    process.exit(1);
  }
  // A logo would be fetched from its URL; the reference shows the title instead.
  if (spec.info["x-logo"]) {
    console.error(`build.mjs: ${p}: info.x-logo dropped (it would be fetched over the network)`);
    delete spec.info["x-logo"];
  }
  return { id: `doc-${slug(basename(p).replace(/\.json$/, ""))}`, title: spec.info.title, spec };
});

// JSON inside <script type="application/json">: with every "<" escaped, no "</script>"
// or "<!--" in a description can end or confuse the element.
const jsonBlock = (v) => JSON.stringify(v).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");

// Redoc options: every response (so every error body) expanded, every schema level
// open, system fonts (Redoc's defaults name web fonts that are not loaded).
const options = {
  expandResponses: "all",
  schemaExpansionLevel: "all",
  jsonSampleExpandLevel: "all",
  expandSingleSchemaField: true,
  expandDefaultServerVariables: true,
  hideLoading: true,
  nativeScrollbars: true,
  theme: {
    typography: {
      fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
      headings: { fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif" },
      code: { fontFamily: "ui-monospace, 'SFMono-Regular', Menlo, Consolas, monospace" },
    },
  },
};

const init = `(function () {
  var options = ${JSON.stringify(options)};
  var blocks = document.querySelectorAll('script.openapi-doc');
  var pending = blocks.length;
  // A link to one of the documents (#doc-...) is followed once all are rendered.
  function rendered() {
    if (--pending > 0) return;
    var target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    if (target && target.classList.contains('api-doc')) target.scrollIntoView();
  }
  for (var i = 0; i < blocks.length; i++) {
    var spec = JSON.parse(blocks[i].textContent);
    Redoc.init(spec, options, document.getElementById(blocks[i].getAttribute('data-target')), rendered);
  }
})();`;
const sha256 = (s) => `'sha256-${createHash("sha256").update(s, "utf8").digest("base64")}'`;

// default-src 'none' forbids every fetch (images, fonts, XHR, frames...) that is not
// listed; scripts are this file's own (the init script by hash, Redoc as a data: URL),
// styles are Redoc's inline ones, images and workers can only be inline.
const csp = [
  "default-src 'none'",
  `script-src data: ${sha256(init)}`,
  "style-src 'unsafe-inline'",
  "img-src data: blob:",
  "font-src data:",
  "worker-src blob:",
  "connect-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join("; ");

// Each document opens with a table of its operations and the full URL of each on every
// host it is served from, so the hosts show without opening Redoc's endpoint panels.
const METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];
function hostsTable(spec) {
  const rows = [];
  for (const [path, item] of Object.entries(spec.paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const servers = op.servers || item.servers || spec.servers || [{ url: "/" }];
      const urls = servers
        .map((s) => `<code>${escapeHTML(s.url.replace(/\/$/, "") + path)}</code>${s.description ? ` (${escapeHTML(s.description.replace(/\.$/, ""))})` : ""}`)
        .join("<br>");
      rows.push(`<tr><td>${escapeHTML(op.operationId || "")}</td><td>${method.toUpperCase()}</td><td>${urls}</td></tr>`);
    }
  }
  return `<table class="hosts"><caption>${escapeHTML(spec.info.title)}: operations and hosts</caption>
<thead><tr><th>operation</th><th>method</th><th>URL</th></tr></thead>
<tbody>${rows.join("\n")}</tbody></table>`;
}

const multi = docs.length > 1;
const title = multi ? "API reference" : docs[0].title;
const nav = multi
  ? `<nav class="docs-nav" aria-label="API documents"><strong>API documents:</strong> ${docs
      .map((d) => `<a href="#${d.id}">${escapeHTML(d.title)}</a>`)
      .join(" · ")}</nav>\n`
  : "";

const html = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHTML(title)}</title>
<style>
body { margin: 0; }
.docs-nav { padding: 12px 20px; font: 14px system-ui, sans-serif; border-bottom: 1px solid #ddd; background: #fafafa; }
.docs-nav a { color: #32329f; }
section.api-doc + section.api-doc { border-top: 4px solid #ddd; }
div.hosts { padding: 16px 40px 0; font: 14px system-ui, sans-serif; }
table.hosts { border-collapse: collapse; }
table.hosts caption { text-align: left; font-weight: 600; padding-bottom: 6px; }
table.hosts th, table.hosts td { text-align: left; vertical-align: top; padding: 4px 12px 4px 0; border-bottom: 1px solid #eee; }
</style>
</head>
<body>
${nav}${docs
  .map((d) => `<section class="api-doc" id="${d.id}">\n<div class="hosts">${hostsTable(d.spec)}</div>\n<div id="${d.id}-redoc"></div>\n</section>`)
  .join("\n")}
<noscript>This API reference is rendered by JavaScript; the documents are in this file as JSON.</noscript>
${docs
  .map((d) => `<script type="application/json" class="openapi-doc" data-target="${d.id}-redoc">${jsonBlock(d.spec)}</script>`)
  .join("\n")}
<script src="data:text/javascript;base64,${Buffer.from(redoc, "utf8").toString("base64")}"></script>
<script>${init}</script>
</body>
</html>
`;

mkdirSync(dirname(outPath), { recursive: true });
writeFileSync(outPath, html);
console.log(`build.mjs: wrote ${outPath} (${(html.length / 1024).toFixed(0)} KiB): ${docs.map((d) => d.title).join("; ")}`);
