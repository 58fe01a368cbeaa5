/**
 * Public pages and artifacts: credential pages (sharing, Open Graph, embeds, oEmbed)
 * and JSON, issuer and achievement pages, DID documents, health. Pages are localized
 * (pages/i18n.ts) and carry the request's CSP nonce (pages/csp.ts). An organization's
 * own domain serves only its data.
 */
import type {AchievementCredential} from '@laurel/core';
import type {FastifyInstance, FastifyReply, FastifyRequest} from 'fastify';
import type {CredentialRow, OrganizationRow} from '../../db/rows.js';
import {notFound} from '../../errors.js';
import type {Services} from '../../laurel.js';
import {parseJsonStrict} from '@laurel/core';
import {renderAchievementPage} from '../../pages/achievement-page.js';
import {browserBundle, shareBundle} from '../../pages/browser-bundle.js';
import {type BrowserCheckOptions, renderCredentialPage, renderPrivateCredentialPage} from '../../pages/credential-page.js';
import {contentSecurityPolicy} from '../../pages/csp.js';
import {renderEmbed} from '../../pages/embed-page.js';
import {renderHomePage} from '../../pages/home-page.js';
import {type Locale, localeHeaders, negotiateLocale} from '../../pages/i18n.js';
import {type IssuerKey, renderIssuerPage} from '../../pages/issuer-page.js';
import {oembedRich, parseMaxSize} from '../../pages/oembed.js';
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

/**
 * Whether the client asks for HTML: text/html (or XHTML) named with a q above zero and
 * at least that of any JSON type. A bare wildcard, or no Accept at all, is a JSON client
 * (where JSON is the default, as for achievements).
 */
export function prefersHtml(accept: string | undefined): boolean {
  if(!accept) return false;
  let htmlQ = 0, jsonQ = 0;
  for(const part of accept.split(',')) {
    const [type, ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map(p => p.trim()).find(p => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    if(!(q > 0)) continue;
    if(type === 'text/html' || type === 'application/xhtml+xml') htmlQ = Math.max(htmlQ, q);
    if(type === 'application/ld+json' || type === 'application/json') jsonQ = Math.max(jsonQ, q);
  }
  return htmlQ > 0 && htmlQ >= jsonQ;
}

const publicJson = (reply: FastifyReply, type: string) =>
  reply.type(type).header('access-control-allow-origin', '*').header('cache-control', 'public, max-age=300');

/** The recipient chose to hide this credential (migration 0006). */
const isHidden = (row: CredentialRow) => Boolean(row.hidden_at);
/** The organization's second brand colour (migration 0006). */
const secondaryColor = (org: OrganizationRow) => org.brand_secondary_color ?? null;

const CREDENTIAL_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** Registers the public routes. */
export function registerPublicRoutes(app: FastifyInstance, s: Services): void {
  const publicHost = new URL(s.ctx.publicUrl).host;
  /** The script and settings for checking again in the browser; none (no-JS page) when the bundle cannot be built. */
  const browserCheck = async (request: FastifyRequest): Promise<BrowserCheckOptions | undefined> => {
    const bundle = await browserBundle(error => request.log.error({err: error}, 'the browser verifier bundle could not be built'));
    return bundle ? {scriptUrl: bundle.url, publicHost, nonce: request.cspNonce} : undefined;
  };
  const shareScript = async (request: FastifyRequest): Promise<string | null> =>
    (await shareBundle(error => request.log.error({err: error}, 'the copy-button bundle could not be built')))?.url ?? null;

  /** The page's locale; sets Vary and, for `?lang=`, the `lang` cookie. `cookie: false` for framed pages. */
  const pageLocale = (request: FastifyRequest, reply: FastifyReply, vary = '', cookie = true): Locale => {
    const headers = localeHeaders(request, request.protocol === 'https');
    reply.header('vary', `${vary ? `${vary}, ` : ''}${headers.vary}`);
    if(cookie && headers['set-cookie']) reply.header('set-cookie', headers['set-cookie']);
    return negotiateLocale(request);
  };
  const sendHtml = (reply: FastifyReply, page: string) => reply.type('text/html; charset=utf-8').send(page);
  /** The page's CSP with the image origins it shows (an issuer's logo, an achievement's image). */
  const allowImages = (request: FastifyRequest, reply: FastifyReply, urls: (string | null | undefined)[]) =>
    reply.header('content-security-policy', contentSecurityPolicy(request.cspNonce, {imageOrigins: urls.filter((u): u is string => Boolean(u))}));

  /** An organization's issuer page on this host: its own domain's root, or /issuers/<slug> on the main host. */
  const issuerPageUrl = (request: FastifyRequest, org: OrganizationRow) =>
    request.hostOrg?.id === org.id ? '/' : `/issuers/${encodeURIComponent(org.slug)}`;

  // Browser bundles (the verifier, the copy buttons): immutable under their content-hashed
  // names, revalidated (ETag) under the plain ones.
  app.get('/assets/:file', async (request: FastifyRequest<{Params: {file: string}}>, reply) => {
    const file = request.params.file;
    const share = file === 'share.js' || file.startsWith('share-');
    const bundle = share
      ? await shareBundle(error => request.log.error({err: error}, 'the copy-button bundle could not be built'))
      : await browserBundle(error => request.log.error({err: error}, 'the browser verifier bundle could not be built'));
    const name = share ? 'share' : 'verify';
    if(!bundle || (file !== `${name}.js` && file !== `${name}-${bundle.hash}.js`)) throw notFound('NOT_FOUND', 'This file');
    const etag = `"${bundle.hash}"`;
    reply.type('text/javascript; charset=utf-8').header('etag', etag)
      .header('cache-control', file === `${name}.js` ? 'no-cache' : 'public, max-age=31536000, immutable');
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

  app.get('/verify', async (request, reply) => {
    const locale = pageLocale(request, reply);
    return reply.type('text/html; charset=utf-8').send(renderVerifyPage({kind: 'none'}, '', await browserCheck(request), locale));
  });

  // The no-JavaScript form post (application/x-www-form-urlencoded, only on this route).
  app.register(async scoped => {
    scoped.addContentTypeParser('application/x-www-form-urlencoded', {parseAs: 'string', bodyLimit: BODY_LIMIT},
      (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));
    scoped.post('/verify', async (request, reply) => {
      const form = (request.body ?? {}) as Record<string, unknown>;
      const input = typeof form.input === 'string' ? form.input : '';
      const outcome = await verifyFormInput(s, input);
      const locale = pageLocale(request, reply);
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-store')
        .send(renderVerifyPage(outcome, input, await browserCheck(request), locale));
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

  /** The issuer page of `org`, on this host. */
  const sendIssuerPage = async (request: FastifyRequest, reply: FastifyReply, org: OrganizationRow) => {
    const locale = pageLocale(request, reply);
    const [achievements, dids] = await Promise.all([s.achievements.list(org, {status: 'active', limit: 200}), s.organizations.allDids(org)]);
    let keys: IssuerKey[];
    let didDocumentUrl: string | null = null;
    if(org.did_method === 'web') {
      const doc = await s.organizations.didDocument(org) as unknown as {verificationMethod?: {id: string; validFrom?: string; validUntil?: string}[]};
      keys = (doc.verificationMethod ?? []).map(m => ({id: m.id, validFrom: m.validFrom, validUntil: m.validUntil}));
      didDocumentUrl = `${s.organizations.baseUrl(org)}${org.domain ? '/.well-known/did.json' : `/issuers/${encodeURIComponent(org.slug)}/did.json`}`;
    } else {
      keys = dids.map(did => ({id: did}));
    }
    allowImages(request, reply, [org.logo]);
    return sendHtml(reply.header('cache-control', 'no-cache'), renderIssuerPage({
      name: org.name, url: org.url, logo: org.logo, brandColor: org.brand_color, brandSecondaryColor: secondaryColor(org),
      dids, didDocumentUrl, keys,
      achievements: achievements.items.map(a => ({achievement: a.achievement, pageUrl: `/achievements/${encodeURIComponent(a.id)}`})),
    }, {locale, nonce: request.cspNonce, pageUrl: `${s.organizations.baseUrl(org)}${org.domain ? '/' : `/issuers/${encodeURIComponent(org.slug)}`}`}));
  };

  // On an organization's own domain the home page is its issuer page.
  app.get('/', async (request, reply) => {
    if(request.hostOrg) return sendIssuerPage(request, reply, request.hostOrg);
    const locale = pageLocale(request, reply);
    return sendHtml(reply, renderHomePage({locale, nonce: request.cspNonce}));
  });

  app.get('/issuers/:slug', async (request: FastifyRequest<{Params: {slug: string}}>, reply) => {
    const org = await s.organizations.find('slug', request.params.slug);
    // On an organization's own domain, only its own page.
    if(!org || (request.hostOrg && request.hostOrg.id !== org.id)) throw notFound('ORGANIZATION_NOT_FOUND', 'This issuer');
    return sendIssuerPage(request, reply, org);
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
    // A hidden credential is not served as JSON (it stays verifiable by whoever holds its file).
    if(json) {
      if(isHidden(row)) throw notFound('CREDENTIAL_NOT_FOUND', 'This credential');
      reply.header('vary', 'Accept');
      return publicJson(reply, 'application/ld+json; charset=utf-8').send(row.document);
    }
    const locale = pageLocale(request, reply, 'Accept');
    if(isHidden(row)) {
      return sendHtml(reply.code(404).header('cache-control', 'no-cache').header('x-robots-tag', 'noindex, nofollow'),
        renderPrivateCredentialPage({locale, nonce: request.cspNonce}));
    }
    const credential = JSON.parse(row.document) as AchievementCredential;
    const [result, org, browser, shareScriptUrl] = await Promise.all([s.verification.verifyStored(row, credential),
      s.organizations.find('id', row.organization_id), browserCheck(request), shareScript(request)]);
    const achievementId = credential.credentialSubject?.achievement?.id;
    const achievementPageUrl = typeof achievementId === 'string' && achievementId.endsWith(`/achievements/${row.achievement_id}`)
      ? `/achievements/${encodeURIComponent(row.achievement_id)}` : null;
    allowImages(request, reply, [org?.logo]);
    return sendHtml(reply.header('cache-control', 'no-cache'),
      renderCredentialPage(credential, result, `/c/${encodeURIComponent(id)}.json`, browser,
        {changedAt: row.status_changed_at?.toISOString(), renewedByUrl: row.renewed_by ? `/c/${encodeURIComponent(row.renewed_by)}` : null,
          reason: row.status_reason_public ? row.status_reason : null}, s.ctx.now(),
        {locale, nonce: request.cspNonce, id, shareScriptUrl, achievementPageUrl, siteName: org?.name,
          issuer: org ? {name: org.name, logo: org.logo, brandColor: org.brand_color, brandSecondaryColor: secondaryColor(org),
            linkedinOrganizationId: org.linkedin_organization_id, pageUrl: issuerPageUrl(request, org)} : undefined}));
  });

  // The embeddable card: the only page other sites may frame.
  app.get('/c/:id/embed', async (request: FastifyRequest<{Params: {id: string}}>, reply) => {
    const row = CREDENTIAL_ID.test(request.params.id) ? await s.credentials.findPublic(request.params.id, request.hostOrg) : null;
    if(!row || isHidden(row)) throw notFound('CREDENTIAL_NOT_FOUND', 'This credential');
    // The visitor's language from ?lang= or Accept-Language; no cookie is set inside another site's page.
    const locale = pageLocale(request, reply, '', false);
    const credential = JSON.parse(row.document) as AchievementCredential;
    const [result, org] = await Promise.all([s.verification.verifyStored(row, credential), s.organizations.find('id', row.organization_id)]);
    reply.header('content-security-policy', contentSecurityPolicy(request.cspNonce, {frameAncestors: '*'}));
    reply.removeHeader('x-frame-options');
    return sendHtml(reply.header('cache-control', 'public, max-age=300'), renderEmbed(credential, result, {
      pageUrl: String(credential.id), badgeUrl: `/c/${encodeURIComponent(row.id)}/badge.png`, locale, nonce: request.cspNonce,
      brandColor: org?.brand_color, brandSecondaryColor: org ? secondaryColor(org) : null,
    }));
  });

  // oEmbed 1.0 (https://oembed.com/): consumers that find the page's discovery link ask here.
  app.get('/oembed', async (request: FastifyRequest<{Querystring: Record<string, string | undefined>}>, reply) => {
    const q = request.query;
    if(q.format !== undefined && q.format !== 'json') {
      return sendProblem(reply, problem(501, 'FORMAT_NOT_IMPLEMENTED', 'Only format=json is supported.'));
    }
    const maxwidth = parseMaxSize(q.maxwidth), maxheight = parseMaxSize(q.maxheight);
    if(maxwidth === 'invalid' || maxheight === 'invalid') {
      return sendProblem(reply, problem(400, 'VALIDATION_FAILED', 'maxwidth and maxheight must be whole numbers of pixels.'));
    }
    const notOurs = () => sendProblem(reply, problem(400, 'URL_NOT_SUPPORTED', 'url must be a credential page (/c/<id>) of this site.'));
    let url: URL;
    try {
      url = new URL(String(q.url ?? ''));
    } catch {
      return notOurs();
    }
    const own = new URL(s.ctx.publicUrl);
    let org: OrganizationRow | null = null;
    if(url.origin !== own.origin) {
      if(url.protocol !== 'https:' || url.port !== '') return notOurs();
      org = await s.organizations.findByHost(url.hostname.toLowerCase());
      if(!org) return notOurs();
    }
    // On an organization's own domain, only its credentials.
    if(request.hostOrg && org?.id !== request.hostOrg.id) return notOurs();
    const m = /^\/c\/([A-Za-z0-9_-]{1,64})\/?$/.exec(url.pathname);
    if(!m) return notOurs();
    const row = await s.credentials.findPublic(m[1], org);
    if(!row || isHidden(row)) throw notFound('CREDENTIAL_NOT_FOUND', 'This credential');
    const credential = JSON.parse(row.document) as AchievementCredential;
    const pageUrl = String(credential.id);
    const issuer = credential.issuer;
    const name = credential.credentialSubject?.identifier?.find(i => i.identityType === 'name' && !i.hashed)?.identityHash;
    const achievement = credential.credentialSubject.achievement.name;
    return publicJson(reply, 'application/json; charset=utf-8').send(oembedRich({
      title: name ? `${achievement} — ${name}` : achievement, authorName: issuer.name, authorUrl: issuer.url ?? null,
      providerName: org?.name ?? 'Laurel', providerUrl: `${new URL(pageUrl).origin}/`,
      embedUrl: `${pageUrl}/embed`, thumbnailUrl: `${pageUrl}/badge.png`, maxwidth, maxheight,
    }));
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

  // An achievement's id is its URL: the OB 3.0 Achievement (JSON) by default, its page for browsers
  // (Accept: text/html); `<id>.json` is always JSON.
  app.get('/achievements/:id', async (request: FastifyRequest<{Params: {id: string}}>, reply) => {
    let id = request.params.id;
    let htmlPage = prefersHtml(request.headers.accept);
    if(id.endsWith('.json')) {
      id = id.slice(0, -5);
      htmlPage = false;
    }
    const row = await s.achievements.findPublic(id);
    if(!row || (request.hostOrg && row.organization_id !== request.hostOrg.id)) throw notFound('ACHIEVEMENT_NOT_FOUND', 'This achievement');
    const org = (await s.organizations.find('id', row.organization_id))!;
    const achievement = s.achievements.toOpenBadge(org, row);
    if(!htmlPage) {
      reply.header('vary', 'Accept');
      return publicJson(reply, 'application/ld+json; charset=utf-8')
        .send({'@context': ['https://www.w3.org/ns/credentials/v2', 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json'], ...achievement});
    }
    const locale = pageLocale(request, reply, 'Accept');
    allowImages(request, reply, [org.logo, achievement.image?.id]);
    return sendHtml(reply.header('cache-control', 'no-cache'), renderAchievementPage(achievement, {
      name: org.name, logo: org.logo, pageUrl: issuerPageUrl(request, org), brandColor: org.brand_color, brandSecondaryColor: secondaryColor(org),
    }, `/achievements/${encodeURIComponent(row.id)}.json`, {locale, nonce: request.cspNonce}));
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
