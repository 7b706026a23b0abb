// The cold-start baseline: a bare node:http server with one static page holding one button, on
// 127.0.0.1. It prints a ready line like the shell does, and stops on SIGINT/SIGTERM.
import http from 'node:http';
import { Buffer } from 'node:buffer';
import process from 'node:process';

const page = Buffer.from(
  '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Baseline</title></head>' +
    '<body><main><h1>Baseline</h1><button type="button">Go</button></main></body></html>',
);
const server = http.createServer((request, response) => {
  response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': page.length, 'Cache-Control': 'no-store' });
  response.end(request.method === 'HEAD' ? undefined : page);
});
server.listen({ host: '127.0.0.1', port: 0 }, () => {
  process.stdout.write(`static page ready at http://127.0.0.1:${server.address().port}/\n`);
});
const stop = () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
