// Verifies events given as JSON lines on stdin (as they arrived: envelope, position, signature)
// against the key registry in KEYS_DIR; prints one JSON line per event: {"ok", "kid" | "reason", "detail"}.
//     KEYS_DIR=../../keys node verify-events.js < events.jsonl
"use strict";
const readline = require("node:readline");
const { EventVerifier, Rejected } = require("./events");

const verifier = new EventVerifier(process.env.KEYS_DIR);
readline.createInterface({ input: process.stdin }).on("line", (line) => {
  if (!line.trim()) return;
  try {
    console.log(JSON.stringify({ ok: true, kid: verifier.verify(JSON.parse(line)) }));
  } catch (error) {
    if (!(error instanceof Rejected)) throw error;
    console.log(JSON.stringify({ ok: false, reason: error.reason, detail: error.detail }));
  }
});
