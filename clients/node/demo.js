// What a portal backend and the funding office do, in Node.js, from docs/asyncapi.yaml alone:
//   1. registration.register_unit with a caller token signed by the unit portal's key;
//   2. the same with a bad payload: a structured refusal (code and fields), nothing recorded;
//   3. application.status of a case (CASE_ID, of unit CASE_UNIT_ID);
//   4. the funding office's queue: every event's signature verified, every message checked
//      against its schema, until EXPECT_EVENTS events have arrived.
// Each step prints one JSON line; the exit status is 0 only if every step went as the contract says.
//
//   PORTAL_AMQP_URL=amqp://portal:…@127.0.0.1:5672/ FUNDING_OFFICE_AMQP_URL=amqp://funding-office:…@…/ \
//   KEYS_DIR=../../keys CASE_ID=… CASE_UNIT_ID=… EXPECT_EVENTS=5 node demo.js
"use strict";
const crypto = require("node:crypto");
const path = require("node:path");
const amqp = require("amqplib");
const { Contract } = require("./contract");
const { RpcClient, ServiceError } = require("./rpc");
const { Issuer } = require("./token");
const { EventVerifier, Rejected } = require("./events");

const env = (name, fallback) => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const print = (line) => console.log(JSON.stringify(line));
let failed = false;
const expect = (ok, line) => {
  print({ ...line, ok });
  if (!ok) failed = true;
};

function unitRegistration() {
  const document = {
    code: "business_licence", sha256: crypto.createHash("sha256").update("licence").digest("hex"),
    size_bytes: 182344, media_type: "application/pdf", storage_uri: "s3://materials/licence.pdf",
  };
  return {
    command_id: crypto.randomUUID(),
    name: "北京昌平示范制药有限公司",
    credit_code: `91110114MA${crypto.randomBytes(4).toString("hex").toUpperCase()}`,
    unit_type: "enterprise", industry: "medicine_health", registered_in_changping: true,
    contact: { name: "张三", phone: "13800000000", id_number: "110101199001011234" },
    materials: [document, { ...document, code: "contact_id" }, { ...document, code: "tax_certificate_2023" }],
  };
}

async function rpcSteps(contract, keysDir) {
  const unitPortal = new Issuer("unit-portal", path.join(keysDir, "unit-portal.token-issuer.pem"));
  const client = await new RpcClient(contract, env("PORTAL_AMQP_URL")).open();
  try {
    // 1. a unit registers
    const register = contract.rpc("registration.register_unit");
    const payload = unitRegistration();
    const token = unitPortal.token("node-contact-1", "unit_contact");
    const reply = await client.request("registration.register_unit", payload, { token });
    const replyProblems = contract.validator(register.replySchema)(reply);
    expect(reply.error === null && replyProblems.length === 0 && typeof reply.result.unit_id === "string", {
      step: "register_unit", exchange: register.exchange, routing_key: register.routingKey,
      request_problems: contract.validator(register.requestSchema)(payload), reply_problems: replyProblems,
      result: reply.result,
    });

    // 2. a bad payload: the schema predicts the refusal, the service gives it, structured
    const bad = { ...unitRegistration(), credit_code: "not-a-credit-code", surprise: true };
    const requestProblems = contract.validator(register.requestSchema)(bad);
    const refusal = await client.request("registration.register_unit", bad, { token });
    const error = refusal.error ? new ServiceError(refusal.error) : null;
    expect(error instanceof ServiceError && error.code === "validation_error" && "credit_code" in error.fields
           && requestProblems.length > 0 && contract.validator(register.replySchema)(refusal).length === 0, {
      step: "refusal", request_problems: requestProblems, code: error && error.code,
      fields: error && error.fields, rule: error && error.rule,
    });

    // 3. a case's status, as the unit's contact
    const status = contract.rpc("application.status");
    const caseId = env("CASE_ID");
    const statusReply = await client.request("application.status", { case_id: caseId },
      { token: unitPortal.token("node-contact-1", "unit_contact", { unit: env("CASE_UNIT_ID") }) });
    const statusProblems = contract.validator(status.replySchema)(statusReply);
    expect(statusReply.error === null && statusProblems.length === 0, {
      step: "status", routing_key: status.routingKey, reply_problems: statusProblems, result: statusReply.result,
      error: statusReply.error,
    });
  } finally {
    await client.close();
  }
}

async function eventSteps(contract, keysDir) {
  const office = contract.queue(env("FUNDING_OFFICE_CHANNEL", "funding-office.disbursements"));
  const verifier = new EventVerifier(keysDir);
  const expected = Number(env("EXPECT_EVENTS"));
  const deadline = Date.now() + Number(env("EVENTS_TIMEOUT_MS", "60000"));
  const connection = await amqp.connect(env("FUNDING_OFFICE_AMQP_URL"));
  const channel = await connection.createChannel();
  let received = 0;
  try {
    while (received < expected && Date.now() < deadline) {
      const message = await channel.get(office.name, { noAck: false });
      if (!message) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        continue;
      }
      const body = JSON.parse(message.content.toString("utf8"));
      try {
        const kid = verifier.verify(body);
        const name = `${body.type}.v${body.schema_version}`;
        const schema = office.messages.get(name);
        const problems = schema ? contract.validator(schema)(body) : [`no message ${name} on ${office.name}`];
        expect(problems.length === 0 && message.fields.routingKey === body.type, {
          step: "event", exchange: message.fields.exchange, routing_key: message.fields.routingKey,
          type: body.type, schema_version: body.schema_version, event_id: body.event_id, kid, problems,
        });
        channel.ack(message);
        received += 1;
      } catch (error) {
        if (!(error instanceof Rejected)) throw error;
        expect(false, { step: "event_rejected", reason: error.reason, detail: error.detail, event_id: body.event_id });
        channel.nack(message, false, false);
      }
    }
    expect(received === expected, { step: "events", queue: office.name, bound_to: office.boundTo, received, expected });
  } finally {
    await connection.close();
  }
}

async function main() {
  const contract = new Contract(env("ASYNCAPI_FILE", path.join(__dirname, "../../docs/asyncapi.yaml")));
  const keysDir = env("KEYS_DIR");
  print({ step: "contract", file: contract.file, event_exchanges: contract.eventExchanges() });
  await rpcSteps(contract, keysDir);
  await eventSteps(contract, keysDir);
  print({ step: "done", ok: !failed });
  process.exitCode = failed ? 1 : 0;
}

main().catch((error) => {
  print({ step: "crashed", ok: false, error: String(error && error.stack || error) });
  process.exitCode = 2;
});
