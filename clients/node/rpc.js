// nameko RPC over AMQP with amqplib, as the contract describes it: a request to the RPC exchange with
// routing key `<service>.<method>`, body {"args": [], "kwargs": {…}}, the AMQP properties reply_to and
// correlation_id, and the context data (caller token, correlation id) as `nameko.<key>` headers; the
// reply {"result": …, "error": …} arrives on the caller's own reply queue.
"use strict";
const crypto = require("node:crypto");
const amqp = require("amqplib");

class ServiceError extends Error {
  // nameko serialises the refusal: exc_args = [code, message, fields, rule ("None" when absent)]
  constructor(error) {
    const [code, message, fields, rule] = error.exc_args;
    super(`${code}: ${message}`);
    Object.assign(this, { code, fields, rule: rule === "None" ? null : rule, remote: error });
  }
}

class RpcClient {
  constructor(contract, url, { timeoutMs = 30000 } = {}) {
    Object.assign(this, { contract, url, timeoutMs, pending: new Map() });
  }

  async open() {
    this.connection = await amqp.connect(this.url);
    this.channel = await this.connection.createConfirmChannel();
    // reply queue: any operation names the same reply channel; take its queue's name and arguments
    const { exchange, replyQueue } = this.contract.rpc(Object.keys(this.contract.document.operations)
      .find((id) => this.contract.document.operations[id].reply));
    this.replyTo = crypto.randomUUID();
    const queue = replyQueue.name.replace("{reply_to}", this.replyTo);
    // declared, never the exchange: the portal account may not configure it
    await this.channel.assertQueue(queue, { durable: replyQueue.durable, arguments: replyQueue.arguments });
    await this.channel.bindQueue(queue, exchange, this.replyTo);
    await this.channel.consume(queue, (message) => this.onReply(message), { noAck: true });
    this.channel.on("return", (message) => this.settle(message.properties.correlationId,
      new Error(`no service is listening on ${message.fields.routingKey}`)));
    return this;
  }

  onReply(message) {
    const body = JSON.parse(message.content.toString("utf8"));
    this.settle(message.properties.correlationId, null, body);
  }

  settle(correlationId, error, body) {
    const waiting = this.pending.get(correlationId);
    if (!waiting) return;
    this.pending.delete(correlationId);
    clearTimeout(waiting.timer);
    if (error) waiting.reject(error);
    else waiting.resolve(body);
  }

  // the raw reply body; `call` unwraps it
  async request(operationId, kwargs, { token, correlationId = crypto.randomUUID() } = {}) {
    const { exchange, routingKey, headers } = this.contract.rpc(operationId);
    const [tokenHeader, correlationHeader] = ["authorization", "correlation_id"].map((key) => {
      const name = headers.find((header) => header.endsWith(`.${key}`));
      if (!name) throw new Error(`the contract names no ${key} header`);
      return name;
    });
    const amqpCorrelation = crypto.randomUUID();
    const reply = new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.settle(amqpCorrelation, new Error(`${operationId}: no reply`)),
        this.timeoutMs);
      this.pending.set(amqpCorrelation, { resolve, reject, timer });
    });
    const body = Buffer.from(JSON.stringify({ args: [], kwargs }), "utf8");
    this.channel.publish(exchange, routingKey, body, {
      contentType: "application/json", contentEncoding: "utf-8", deliveryMode: 2, mandatory: true,
      replyTo: this.replyTo, correlationId: amqpCorrelation,
      headers: { [correlationHeader]: correlationId, ...(token ? { [tokenHeader]: token } : {}) },
    });
    await this.channel.waitForConfirms();
    return reply;
  }

  async call(operationId, kwargs, options) {
    const reply = await this.request(operationId, kwargs, options);
    if (reply.error) throw new ServiceError(reply.error);
    return reply.result;
  }

  async close() {
    await this.connection.close();
  }
}

module.exports = { RpcClient, ServiceError };
