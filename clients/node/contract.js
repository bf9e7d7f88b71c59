// The contract, read at run time from docs/asyncapi.yaml: where each RPC request goes (exchange and
// routing key), how replies come back (the reply queue's name and arguments), which exchange and
// queue carry integration events, and the JSON Schema of every message. Nothing here names an
// exchange, a routing key or a queue: they all come from the document.
"use strict";
const fs = require("node:fs");
const YAML = require("yaml");
const Ajv = require("ajv");
const addFormats = require("ajv-formats");

const SCHEMAS_ID = "asyncapi-components";

function pointer(document, ref) {
  if (!ref.startsWith("#/")) throw new Error(`only local references are expected, not ${ref}`);
  return ref.slice(2).split("/").reduce((node, part) => {
    const key = part.replace(/~1/g, "/").replace(/~0/g, "~");
    if (node === undefined || !(key in node)) throw new Error(`${ref} does not resolve`);
    return node[key];
  }, document);
}

class Contract {
  constructor(file) {
    this.file = file;
    this.document = YAML.parse(fs.readFileSync(file, "utf8"), { maxAliasCount: -1 });
    if (this.document.asyncapi !== "3.0.0") throw new Error(`${file} is not an AsyncAPI 3.0.0 document`);
    // strict: false: the schemas carry annotations (x-…, contentMediaType) that are not assertions
    this.ajv = new Ajv({ strict: false, allErrors: true });
    addFormats(this.ajv);
    this.ajv.addSchema({ $id: SCHEMAS_ID, components: { schemas: this.document.components.schemas } });
    this.validators = new Map();
  }

  resolve(node) {
    return node && node.$ref ? this.resolve(pointer(this.document, node.$ref)) : node;
  }

  // { exchange, routingKey, requestSchema, replySchema, headers, replyQueue } of `<service>.<method>`
  rpc(operationId) {
    const operation = this.document.operations[operationId];
    if (!operation || operation.action !== "receive" || !operation.reply) {
      throw new Error(`${operationId} is not an RPC operation of ${this.file}`);
    }
    const channel = this.resolve(operation.channel);
    const request = this.resolve(operation.messages[0]);
    const replyChannel = this.resolve(operation.reply.channel);
    const reply = this.resolve(operation.reply.messages[0]);
    return {
      exchange: channel.bindings.amqp.exchange.name,
      routingKey: channel.address,
      requestSchema: request.payload.properties.kwargs.$ref,
      replySchema: reply.payload.$ref,
      headers: Object.keys(this.resolve(request.headers).properties),
      replyQueue: replyChannel["x-reply-queue"],
    };
  }

  // the queue a consumer reads (a channel whose AMQP binding is a queue) and the messages it carries
  queue(channelId) {
    const channel = this.document.channels[channelId];
    if (!channel || channel.bindings.amqp.is !== "queue") throw new Error(`${channelId} is not a queue channel`);
    const messages = new Map();
    for (const ref of Object.values(channel.messages)) {
      const message = this.resolve(ref);
      messages.set(message.name, message.payload.$ref);
    }
    return { name: channel.bindings.amqp.queue.name, boundTo: channel["x-bound-to"], messages };
  }

  // the exchanges events are published to, from the send operations' channels
  eventExchanges() {
    const names = new Set();
    for (const operation of Object.values(this.document.operations)) {
      if (operation.action === "send") names.add(this.resolve(operation.channel).bindings.amqp.exchange.name);
    }
    return [...names].sort();
  }

  // a function (value) -> [] or the list of what is wrong, for a schema reference
  validator(ref) {
    if (!this.validators.has(ref)) {
      const compiled = this.ajv.getSchema(`${SCHEMAS_ID}${ref}`);
      if (!compiled) throw new Error(`no schema ${ref}`);
      this.validators.set(ref, (value) => (compiled(value) ? [] : compiled.errors.map(
        (e) => `${e.instancePath || "/"} ${e.message}`)));
    }
    return this.validators.get(ref);
  }
}

module.exports = { Contract };
