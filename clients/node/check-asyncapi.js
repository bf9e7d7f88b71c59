// Parses an AsyncAPI document with @asyncapi/parser (the reference parser) and exits non-zero,
// printing every diagnostic, if it is not valid. Warnings are printed and do not fail.
//     node check-asyncapi.js ../../docs/asyncapi.yaml
"use strict";
const fs = require("node:fs");
const path = require("node:path");
const { Parser, DiagnosticSeverity } = require("@asyncapi/parser");

async function main(file) {
  const source = fs.readFileSync(file, "utf8");
  const { document, diagnostics } = await new Parser().parse(source, { source: path.resolve(file) });
  const errors = diagnostics.filter((d) => d.severity === DiagnosticSeverity.Error);
  for (const d of diagnostics) {
    const level = d.severity === DiagnosticSeverity.Error ? "error" : "warning";
    console.log(JSON.stringify({ level, code: d.code, message: d.message, path: d.path.join("/") }));
  }
  if (!document || errors.length) {
    console.log(JSON.stringify({ valid: false, errors: errors.length }));
    process.exit(1);
  }
  console.log(JSON.stringify({
    valid: true, version: document.version(), channels: document.channels().length,
    operations: document.operations().length, messages: document.allMessages().length,
  }));
}

main(process.argv[2] || path.join(__dirname, "../../docs/asyncapi.yaml")).catch((error) => {
  console.error(error);
  process.exit(2);
});
