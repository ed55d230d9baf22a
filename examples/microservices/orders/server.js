// Orders API. Settings come from infracc's `uses` wiring: DB_URL (placeholder ${shopdb.url}),
// SESSIONS_URL, LEDGER_ADDR + LEDGER_PORT (gRPC), ORDER_EVENTS_QUEUE_URL.
// The MySQL, Redis, gRPC and SQS clients are left out to keep the example dependency-free.
'use strict';

const http = require('node:http');
const { randomUUID } = require('node:crypto');

const PORT = Number(process.env.PORT || 3000);
const config = {
  ledger: `${process.env.LEDGER_ADDR || 'localhost'}:${process.env.LEDGER_PORT || 50051}`,
  queue: process.env.ORDER_EVENTS_QUEUE_URL || '(unset)',
};

function send(res, status, body) {
  const payload = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  res.end(payload);
}

function readJson(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (chunk) => {
      data += chunk;
      if (data.length > 64 * 1024) reject(new Error('body too large'));
    });
    req.on('end', () => {
      try { resolve(JSON.parse(data || '{}')); } catch (err) { reject(err); }
    });
  });
}

const server = http.createServer(async (req, res) => {
  if (req.url === '/healthz') return send(res, 200, { status: 'ok' });
  if (req.method === 'POST' && req.url === '/orders') {
    let order;
    try { order = await readJson(req); } catch { return send(res, 400, { error: 'invalid JSON' }); }
    if (!Array.isArray(order.items) || order.items.length === 0) {
      return send(res, 422, { error: '`items` must be a non-empty list' });
    }
    const id = randomUUID();
    // 1. book the payment in the ledger (gRPC), 2. insert into MySQL, 3. emit `order.created`
    //    to the FIFO queue with MessageGroupId = id so events for one order stay ordered.
    console.log(JSON.stringify({ level: 'info', msg: 'order accepted', id, ledger: config.ledger }));
    return send(res, 202, { id, status: 'accepted' });
  }
  return send(res, 404, { error: 'not found' });
});

server.listen(PORT, () => console.log(JSON.stringify({ level: 'info', msg: 'listening', port: PORT })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
