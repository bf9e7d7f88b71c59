// Caller tokens: compact JWTs signed EdDSA (Ed25519) with a portal's issuer key, with nothing but
// Node's own crypto (docs/caller-tokens.md says the claims; a JOSE library would do the same).
"use strict";
const crypto = require("node:crypto");
const fs = require("node:fs");

const b64url = (buffer) => Buffer.from(buffer).toString("base64url");

// the key id: base64url of the first 16 bytes of SHA-256 of the raw public key
function keyId(publicKey) {
  const raw = Buffer.from(publicKey.export({ format: "jwk" }).x, "base64url");
  return b64url(crypto.createHash("sha256").update(raw).digest().subarray(0, 16));
}

class Issuer {
  // `pemFile`: the issuer's PKCS#8 private key, e.g. keys/unit-portal.token-issuer.pem
  constructor(name, pemFile) {
    this.name = name;
    this.privateKey = crypto.createPrivateKey(fs.readFileSync(pemFile));
    this.kid = keyId(crypto.createPublicKey(this.privateKey));
  }

  token(sub, role, { unit, ttlSeconds = 900 } = {}) {
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: "EdDSA", kid: this.kid, typ: "JWT" };
    const claims = { sub, role, iss: this.name, iat: now, exp: now + ttlSeconds, ...(unit ? { unit } : {}) };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
    return `${input}.${b64url(crypto.sign(null, Buffer.from(input, "ascii"), this.privateKey))}`;
  }
}

module.exports = { Issuer, keyId, b64url };
