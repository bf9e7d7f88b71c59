// Signed integration events (shared/signing.py): each envelope travels with "signature", a compact
// JWS with a detached payload, EdDSA over Ed25519 by the source service's event-signing key, over the
// canonical JSON (RFC 8785, restricted to what envelopes hold) of the envelope without `position`
// and `signature`. The public keys come from the key registry (KEYS_DIR/registry.json): its
// `event-signing` entries name each key's owner, its raw public key (base64url) and whether it was
// retired or revoked.
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const UNSIGNED = new Set(["position", "signature"]);
const HEADER_KEYS = ["alg", "kid", "purpose", "schema_version", "typ"];

// RFC 8785 for objects, arrays, strings, booleans, null and integers (no floats in our envelopes):
// members sorted by UTF-16 code units (JavaScript's own string order), no white space, and strings
// escaped as JSON.stringify escapes them (the same escapes as Python's json with ensure_ascii=False)
function canonical(value) {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error(`${value} has no canonical form here (only safe integers)`);
    return String(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (typeof value === "object") {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`).join(",")}}`;
  }
  throw new Error(`${typeof value} has no canonical form`);
}

class Rejected extends Error {
  constructor(reason, detail) {
    super(`${reason}: ${detail}`);
    Object.assign(this, { reason, detail });
  }
}

class EventVerifier {
  constructor(keysDir) {
    const registry = JSON.parse(fs.readFileSync(path.join(keysDir, "registry.json"), "utf8"));
    this.keys = new Map(registry.keys.map((entry) => [entry.kid, entry]));
    for (const entry of this.keys.values()) {   // a copy sent to us: each id must be its key's hash
      const raw = Buffer.from(entry.public_key, "base64url");
      const kid = crypto.createHash("sha256").update(raw).digest().subarray(0, 16).toString("base64url");
      if (kid !== entry.kid) throw new Error(`key ${entry.kid} in the registry is not the hash of its public key`);
    }
  }

  // the key id that signed `body` (the event as it arrived); throws Rejected otherwise
  verify(body) {
    const signature = body.signature;
    if (typeof signature !== "string" || !signature) throw new Rejected("unsigned", "the event carries no signature");
    const parts = signature.split(".");
    if (parts.length !== 3 || parts[1] !== "") throw new Rejected("forged", "not a detached compact JWS");
    const header = JSON.parse(Buffer.from(parts[0], "base64url").toString("utf8"));
    if (Object.keys(header).sort().join() !== HEADER_KEYS.join() || header.alg !== "EdDSA"
        || header.typ !== "changping-event+jws" || header.purpose !== "event-signing") {
      throw new Rejected("forged", "not an event signature's header");
    }
    const entry = this.keys.get(header.kid);
    if (!entry || entry.purpose !== "event-signing") throw new Rejected("forged", `unknown key ${header.kid}`);
    if (entry.owner !== body.source || String(body.type).split(".")[0] !== body.source) {
      throw new Rejected("forged", `key ${header.kid} belongs to ${entry.owner}, not to ${body.source}`);
    }
    if (header.schema_version !== body.schema_version) throw new Rejected("forged", "schema version differs");
    if (entry.revoked_at) throw new Rejected("forged", `key ${header.kid} was revoked`);
    if (entry.retired_after_position !== null && entry.retired_after_position !== undefined
        && !(Number.isInteger(body.position) && body.position <= entry.retired_after_position)) {
      throw new Rejected("forged", `key ${header.kid} was retired before position ${body.position}`);
    }
    const signed = Object.fromEntries(Object.entries(body).filter(([key]) => !UNSIGNED.has(key)));
    const input = `${parts[0]}.${Buffer.from(canonical(signed), "utf8").toString("base64url")}`;
    const publicKey = crypto.createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: entry.public_key }, format: "jwk" });
    if (!crypto.verify(null, Buffer.from(input, "ascii"), publicKey, Buffer.from(parts[2], "base64url"))) {
      throw new Rejected("forged", `the signature does not match the event (key ${header.kid})`);
    }
    return header.kid;
  }
}

module.exports = { EventVerifier, Rejected, canonical };
