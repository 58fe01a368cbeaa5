// Load generator for bench/e2e.ts, run as its own process so that it does not
// share the server's event loop: N keep-alive clients, for a fixed time after a
// warm-up, either POST /api/v1/credentials (issue: a distinct recipient each time)
// or POST /api/v1/verify (verify: the signed credentials of a JSON-lines file, in
// turn; each answer must be 200 with "verified":true). Prints
// {"done": n, "seconds": s, "perSecond": [...]}.
// Usage: node bench/load-client.mjs issue <baseUrl> <apiKey> <achievementId> <clients> <warmupMs> <measureMs>
//        node bench/load-client.mjs verify <baseUrl> <credentials.jsonl> - <clients> <warmupMs> <measureMs>
import {readFileSync} from 'node:fs';
import {Agent, request} from 'node:http';

const [mode, base, apiKeyOrFile, achievementId, clientsArg, warmupArg, measureArg] = process.argv.slice(2);
const clients = Number(clientsArg);
const target = new URL(base);
const agent = new Agent({keepAlive: true, maxSockets: clients});
let n = 0;

/** Request bodies for verify mode: each line of the file is one signed credential. */
const verifyBodies = mode === 'verify'
  ? readFileSync(apiKeyOrFile, 'utf8').split('\n').filter(Boolean).map(line => `{"credential":${line}}`) : null;

function post(path, payload, headers, ok) {
  return new Promise((resolve, reject) => {
    const req = request({agent, host: target.hostname, port: target.port, path, method: 'POST',
      headers: {'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), ...headers}}, res => {
      const chunks = [];
      res.on('data', c => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        return ok(res.statusCode, body) ? resolve() : reject(new Error(`${path} failed: ${res.statusCode} ${body.slice(0, 500)}`));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

function issueOne() {
  const i = n++;
  const payload = JSON.stringify({achievementId, recipient: {name: `Recipient ${process.pid}-${i}`, email: `r${process.pid}-${i}@example.org`}});
  return post('/api/v1/credentials', payload, {authorization: `Bearer ${apiKeyOrFile}`}, status => status === 201);
}

function verifyOne() {
  const payload = verifyBodies[n++ % verifyBodies.length];
  return post('/api/v1/verify', payload, {}, (status, body) => status === 200 && JSON.parse(body).verified === true);
}

const one = mode === 'verify' ? verifyOne : issueOne;

// Completions per whole second since the start (warm-up included), to show when the server reached its steady state.
const start = performance.now();
const perSecond = [];
async function runFor(ms) {
  const end = performance.now() + ms;
  let done = 0;
  await Promise.all(Array.from({length: clients}, async () => {
    while(performance.now() < end) {
      await one();
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
