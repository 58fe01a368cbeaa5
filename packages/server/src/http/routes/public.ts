/**
 * Public pages and artifacts: credential pages and JSON, DID documents,
 * achievements, health. An organization's own domain serves only its data.
 */
import type {AchievementCredential} from '@laurel/core';
import type {FastifyInstance, FastifyReply, FastifyRequest} from 'fastify';
import {notFound} from '../../errors.js';
import type {Services} from '../../laurel.js';
import {parseJsonStrict} from '@laurel/core';
import {browserBundle} from '../../pages/browser-bundle.js';
import {type BrowserCheckOptions, renderCredentialPage} from '../../pages/credential-page.js';
import {html, layout} from '../../pages/html.js';
import {classifyInput, UNKNOWN_INPUT_MESSAGE} from '../../pages/verify-input.js';
import {renderVerifyPage, type VerifyPageOutcome} from '../../pages/verify-page.js';
import {qrPng, qrSvg} from '../../services/qr.js';
import {STATUS_LIST_TTL_MS} from '../../services/status-lists.js';
import {BODY_LIMIT} from '../app.js';
import {problem, sendProblem} from '../problem.js';

/** Whether the client prefers JSON over HTML (Accept with q-values). */
export function prefersJson(accept: string | undefined): boolean {
  if(!accept) return false;
  let best = {q: -1, json: false};
  for(const part of accept.split(',')) {
    const [type, ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map(p => p.trim()).find(p => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    const json = type === 'application/ld+json' || type === 'application/json' || type === 'application/vc+ld+json';
    const htmlish = type === 'text/html' || type === 'application/xhtml+xml';
    // q=0 means "not acceptable" (RFC 9110 §12.4.2).
    if((!json && !htmlish) || !(q > 0)) continue;
    if(q > best.q) best = {q, json};
  }
  return best.json;
}

const publicJson = (reply: FastifyReply, type: string) =>
  reply.type(type).header('access-control-allow-origin', '*').header('cache-control', 'public, max-age=300');

/** Registers the public routes. */
export function registerPublicRoutes(app: FastifyInstance, s: Services): void {
  const publicHost = new URL(s.ctx.publicUrl).host;
  /** The script and settings for checking again in the browser; none (no-JS page) when the bundle cannot be built. */
  const browserCheck = async (request: FastifyRequest): Promise<BrowserCheckOptions | undefined> => {
    const bundle = await browserBundle(error => request.log.error({err: error}, 'the browser verifier bundle could not be built'));
    return bundle ? {scriptUrl: bundle.url, publicHost} : undefined;
  };

  // The browser verifier: immutable under its content-hashed name, revalidated (ETag) under the plain one.
  app.get('/assets/:file', async (request: FastifyRequest<{Params: {file: string}}>, reply) => {
    const bundle = await browserBundle(error => request.log.error({err: error}, 'the browser verifier bundle could not be built'));
    const file = request.params.file;
    if(!bundle || (file !== 'verify.js' && file !== `verify-${bundle.hash}.js`)) throw notFound('NOT_FOUND', 'This file');
    const etag = `"${bundle.hash}"`;
    reply.type('text/javascript; charset=utf-8').header('etag', etag)
      .header('cache-control', file === 'verify.js' ? 'no-cache' : 'public, max-age=31536000, immutable');
    if(request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.send(bundle.code);
  });

  // Bitstring Status Lists: signed, cacheable for their ttl, revalidated by ETag, gzip when asked.
  // Lists are fetched by every verifier: compressed even when small (a fresh list is under 1 KiB).
  app.get('/status/:listId/:purpose', {compress: {threshold: 0}}, async (request: FastifyRequest<{Params: {listId: string; purpose: string}}>, reply) => {
    const {listId, purpose} = request.params;
    if(purpose !== 'revocation' && purpose !== 'suspension') throw notFound('NOT_FOUND', 'This status list');
    const list = /^[A-Za-z0-9_-]{1,64}$/.test(listId) ? await s.statusLists.current(listId, purpose) : null;
    // On an organization's own domain, only its lists.
    if(!list || (request.hostOrg && request.hostOrg.id !== list.organizationId)) throw notFound('NOT_FOUND', 'This status list');
    reply.type('application/vc+ld+json; charset=utf-8').header('access-control-allow-origin', '*')
      .header('cache-control', `public, max-age=${STATUS_LIST_TTL_MS / 1000}`).header('etag', list.etag).header('vary', 'accept-encoding');
    if(request.headers['if-none-match'] === list.etag) return reply.code(304).send();
    return reply.send(list.body);
  });

  app.get('/verify', async (request, reply) =>
    reply.type('text/html; charset=utf-8').send(renderVerifyPage({kind: 'none'}, '', await browserCheck(request))));

  // The no-JavaScript form post (application/x-www-form-urlencoded, only on this route).
  app.register(async scoped => {
    scoped.addContentTypeParser('application/x-www-form-urlencoded', {parseAs: 'string', bodyLimit: BODY_LIMIT},
      (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));
    scoped.post('/verify', async (request, reply) => {
      const form = (request.body ?? {}) as Record<string, unknown>;
      const input = typeof form.input === 'string' ? form.input : '';
      const outcome = await verifyFormInput(s, input);
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store')
        .send(renderVerifyPage(outcome, input, await browserCheck(request)));
    });
  });
  app.get('/healthz', async (_request, reply) => {
    try {
      await s.ctx.db.query('SELECT 1');
      return {status: 'ok', database: s.ctx.db.kind};
    } catch {
      return sendProblem(reply, problem(503, 'INTERNAL', 'The database is not reachable.'));
    }
  });

  app.get('/', async (request, reply) => {
    const org = request.hostOrg;
    const body = html`<section class="card"><h1>${org ? org.name : 'Laurel'}</h1>
<p>${org ? 'Credentials issued here can be verified by anyone.' : 'Issue and verify Open Badges 3.0 credentials.'}</p>
<p class="muted">Open a credential link (<code>/c/…</code>) to see who issued it and every check that proves it genuine.</p></section>`;
    return reply.type('text/html; charset=utf-8').send(layout(org ? org.name : 'Laurel', body));
  });

  app.get('/c/:id', async (request: FastifyRequest<{Params: {id: string}}>, reply) => {
    let id = request.params.id;
    let json = prefersJson(request.headers.accept);
    if(id.endsWith('.json')) {
      id = id.slice(0, -5);
      json = true;
    }
    const row = await s.credentials.findPublic(id, request.hostOrg);
    if(!row) throw notFound('CREDENTIAL_NOT_FOUND', 'This credential');
    reply.header('vary', 'Accept');
    if(json) return publicJson(reply, 'application/ld+json; charset=utf-8').send(row.document);
    const credential = JSON.parse(row.document) as AchievementCredential;
    const result = await s.verification.verifyStored(row, credential);
    return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache')
      .send(renderCredentialPage(credential, result, `/c/${encodeURIComponent(id)}.json`, await browserCheck(request),
        {changedAt: row.status_changed_at?.toISOString(), renewedByUrl: row.renewed_by ? `/c/${encodeURIComponent(row.renewed_by)}` : null}, s.ctx.now()));
  });

  // QR codes pointing to the credential's verification URL (its id).
  app.get('/c/:id/qr.svg', async (request: FastifyRequest<{Params: {id: string}}>, reply) => {
    const row = await s.credentials.findPublic(request.params.id, request.hostOrg);
    if(!row) throw notFound('CREDENTIAL_NOT_FOUND', 'This credential');
    const url = (JSON.parse(row.document) as {id: string}).id;
    return reply.type('image/svg+xml; charset=utf-8').header('cache-control', 'public, max-age=86400').send(await qrSvg(url));
  });

  app.get('/c/:id/qr.png', async (request: FastifyRequest<{Params: {id: string}; Querystring: {size?: string}}>, reply) => {
    const row = await s.credentials.findPublic(request.params.id, request.hostOrg);
    if(!row) throw notFound('CREDENTIAL_NOT_FOUND', 'This credential');
    const size = Math.min(2048, Math.max(64, Number(request.query.size) || 512));
    const url = (JSON.parse(row.document) as {id: string}).id;
    return reply.type('image/png').header('cache-control', 'public, max-age=86400').send(await qrPng(url, size));
  });

  // did:web:<host>:issuers:<slug> → /issuers/<slug>/did.json (did:web §3.2).
  app.get('/issuers/:slug/did.json', async (request: FastifyRequest<{Params: {slug: string}}>, reply) => {
    const org = await s.organizations.find('slug', request.params.slug);
    if(!org || org.did_method !== 'web' || org.domain || request.hostOrg) throw notFound('ORGANIZATION_NOT_FOUND', 'This issuer');
    return publicJson(reply, 'application/did+json').send(await s.organizations.didDocument(org));
  });

  // did:web:<domain> → https://<domain>/.well-known/did.json, served when the Host is the organization's domain.
  app.get('/.well-known/did.json', async (request, reply) => {
    const org = request.hostOrg;
    if(!org || org.did_method !== 'web') throw notFound('ORGANIZATION_NOT_FOUND', 'A DID document for this host');
    return publicJson(reply, 'application/did+json').send(await s.organizations.didDocument(org));
  });

  // An achievement's id is its URL: serve the OB 3.0 Achievement there.
  app.get('/achievements/:id', async (request: FastifyRequest<{Params: {id: string}}>, reply) => {
    const row = await s.achievements.findPublic(request.params.id);
    if(!row || (request.hostOrg && row.organization_id !== request.hostOrg.id)) throw notFound('ACHIEVEMENT_NOT_FOUND', 'This achievement');
    const org = (await s.organizations.find('id', row.organization_id))!;
    return publicJson(reply, 'application/ld+json; charset=utf-8')
      .send({'@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'], ...s.achievements.toOpenBadge(org, row)});
  });
}

/** Verifies what was typed into the /verify form on the server. */
async function verifyFormInput(s: Services, text: string): Promise<VerifyPageOutcome> {
  const input = classifyInput(text);
  switch(input.kind) {
    case 'empty': return {kind: 'error', message: 'Paste a credential, a vc+jwt or a link first.'};
    case 'unknown': return {kind: 'error', message: UNKNOWN_INPUT_MESSAGE};
    case 'url': {
      const result = await s.verification.verifyUrl(input.url);
      return result.input.error ? {kind: 'error', message: result.input.error} : {kind: 'result', result};
    }
    case 'jwt': return {kind: 'result', result: await s.verification.verifyJwt(input.jwt)};
    case 'credential': {
      const parsed = parseJsonStrict(input.text);
      if(!parsed.ok) return {kind: 'error', message: `This is not valid JSON: ${parsed.problem.message}`};
      return {kind: 'result', result: await s.verification.verify(parsed.value)};
    }
  }
}
