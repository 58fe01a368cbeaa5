// Load generator for bench/e2e.ts, run as its own process so that it does not
// share the server's event loop: N keep-alive clients POST distinct credentials
// for a fixed time after a warm-up, then print {"done": n, "seconds": s, "perSecond": [...]}.
// Usage: node bench/load-client.mjs <baseUrl> <apiKey> <achievementId> <clients> <warmupMs> <measureMs>
import {Agent, request} from 'node:http';

const [base, apiKey, achievementId, clientsArg, warmupArg, measureArg] = process.argv.slice(2);
const clients = Number(clientsArg);
const target = new URL(base);
const agent = new Agent({keepAlive: true, maxSockets: clients});
let n = 0;

function issueOne() {
  const i = n++;
  const payload = JSON.stringify({achievementId, recipient: {name: `Recipient ${process.pid}-${i}`, email: `r${process.pid}-${i}@example.org`}});
  return new Promise((resolve, reject) => {
    const req = request({agent, host: target.hostname, port: target.port, path: '/api/v1/credentials', method: 'POST',
      headers: {'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), authorization: `Bearer ${apiKey}`}}, res => {
      const chunks = [];
      res.on('data', c => chunks.push(c));
      res.on('end', () => res.statusCode === 201 ? resolve() : reject(new Error(`issue failed: ${res.statusCode} ${Buffer.concat(chunks)}`)));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

// Completions per whole second since the start (warm-up included), to show when the server reached its steady state.
const start = performance.now();
const perSecond = [];

async function runFor(ms) {
  const end = performance.now() + ms;
  let done = 0;
  await Promise.all(Array.from({length: clients}, async () => {
    while(performance.now() < end) {
      await issueOne();
      done++;
      const s = Math.floor((performance.now() - start) / 1000);
      perSecond[s] = (perSecond[s] ?? 0) + 1;
    }
  }));
  return done;
}

await runFor(Number(warmupArg));
const t0 = performance.now();
const done = await runFor(Number(measureArg));
console.log(JSON.stringify({done, seconds: (performance.now() - t0) / 1000, perSecond: Array.from(perSecond, n => n ?? 0)}));
agent.destroy();
