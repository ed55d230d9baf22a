// Storefront: serves the page and renders a product list fetched from the API.
'use strict';

const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');

const PORT = Number(process.env.PORT || 3000);
// Injected by infracc from `uses: [api]`.
const API_URL = process.env.API_URL || 'http://localhost:8080';
const page = fs.readFileSync(path.join(__dirname, 'public', 'index.html'), 'utf8');

function escapeHtml(text) {
  return String(text).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function productList() {
  try {
    const res = await fetch(`${API_URL}/api/products`, { signal: AbortSignal.timeout(2000) });
    if (!res.ok) throw new Error(`API answered ${res.status}`);
    const products = await res.json();
    return products.map((p) => `<li>${escapeHtml(p.name)}: ${escapeHtml(p.price)}</li>`).join('\n');
  } catch (err) {
    console.error(JSON.stringify({ level: 'error', msg: 'product list failed', error: String(err) }));
    return '<li>Products are unavailable right now.</li>';
  }
}

const server = http.createServer(async (req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('ok');
    return;
  }
  if (req.method !== 'GET' || (req.url !== '/' && req.url !== '/index.html')) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
    return;
  }
  const html = page.replace('<!-- products -->', await productList());
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'public, max-age=60' });
  res.end(html);
});

server.listen(PORT, () => console.log(JSON.stringify({ level: 'info', msg: 'listening', port: PORT })));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
