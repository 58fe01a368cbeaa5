/**
 * The recipient portfolio's routes (services/portfolio.ts): magic-link sign-in, the
 * portfolio, visibility, profile settings, the ZIP export and public profiles `/p/<handle>`.
 * Served only on Laurel's own host (an organization's domain shows its own data only).
 *
 * CSRF: the session cookie is SameSite=Lax, every POST of a signed-in recipient carries the
 * session's CSRF token (form field `csrf` or header `X-CSRF-Token`), and any POST whose
 * Origin (or Sec-Fetch-Site) says it came from another site is refused (403 CSRF_INVALID).
 */
import type {FastifyInstance, FastifyReply, FastifyRequest} from 'fastify';
import {DomainError, notFound} from '../../errors.js';
import type {Services} from '../../laurel.js';
import {localeHeaders, negotiateLocale} from '../../pages/i18n.js';
import {type PageOptions, type PortfolioPageData, renderCheckEmail, renderConfirm, renderLinkInvalid, renderPortfolio, renderPublicProfile,
  renderSignIn} from '../../pages/portfolio-page.js';
import {normaliseLocale} from '../../services/mail/templates.js';
import {type RecipientSession, SESSION_TTL_MS, SIGN_IN_WINDOW_MS} from '../../services/portfolio.js';
import {BODY_LIMIT} from '../app.js';

/** The session cookie. */
export const SESSION_COOKIE = 'laurel_session';

type Form = Record<string, unknown>;

const isJson = (request: FastifyRequest) => /json/i.test(String(request.headers['content-type'] ?? ''));

/** The per-request CSP nonce (app.ts): the pages' inline <style> carries it. */
const nonceOf = (request: FastifyRequest): string | undefined => (request as {cspNonce?: string}).cspNonce || undefined;

/** Registers the portfolio routes. */
export function registerPortfolioRoutes(app: FastifyInstance, s: Services): void {
  const secure = s.portfolio.secureCookies;

  app.register(async scoped => {
    // HTML forms post application/x-www-form-urlencoded (the app's own parsers are JSON and multipart only).
    if(!scoped.hasContentTypeParser('application/x-www-form-urlencoded')) {
      scoped.addContentTypeParser('application/x-www-form-urlencoded', {parseAs: 'string', bodyLimit: Math.min(BODY_LIMIT, 64 * 1024)},
        (_req, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))));
    }

    scoped.addHook('onRequest', async (request, reply) => {
      // Instance-wide (every issuer's credentials): never on an organization's own domain.
      if(request.hostOrg) throw notFound('NOT_FOUND', 'This page');
      reply.header('cache-control', 'no-store');
      if(request.method === 'POST' && crossSite(request)) throw new DomainError('CSRF_INVALID', 403, 'This form was sent from another site.');
    });

    const pageOptions = (request: FastifyRequest, _reply?: FastifyReply): PageOptions => ({locale: negotiateLocale(request), nonce: nonceOf(request)});
    const sendHtml = (request: FastifyRequest, reply: FastifyReply, status: number, body: string) => {
      // Fastify adds to, rather than replaces, an earlier set-cookie.
      for(const [name, value] of Object.entries(localeHeaders(request, secure))) reply.header(name, value);
      return reply.code(status).type('text/html; charset=utf-8').send(body);
    };
    const session = (request: FastifyRequest) => s.portfolio.session(request.cookies?.[SESSION_COOKIE]);
    /** The signed-in recipient of a POST, with its CSRF token checked; null when not signed in. */
    const postSession = async (request: FastifyRequest): Promise<RecipientSession | null> => {
      const current = await session(request);
      if(!current) return null;
      const body = (request.body ?? {}) as Form;
      const token = body.csrf ?? request.headers['x-csrf-token'];
      if(!s.portfolio.checkCsrf(current, token)) throw new DomainError('CSRF_INVALID', 403, 'The form is out of date or was not sent from this site; reload the page and try again.');
      return current;
    };
    const notSignedIn = (request: FastifyRequest, reply: FastifyReply) => {
      if(isJson(request)) throw new DomainError('UNAUTHENTICATED', 401, 'Sign in to your portfolio first.');
      return reply.code(303).redirect('/portfolio/sign-in');
    };

    // -------------------------------------------------------------- sign-in

    scoped.get('/portfolio/sign-in', async (request, reply) => {
      if(await session(request)) return reply.code(303).redirect('/portfolio');
      return sendHtml(request, reply, 200, renderSignIn(pageOptions(request, reply)));
    });

    scoped.post('/portfolio/sign-in', async (request, reply) => {
      const options = pageOptions(request, reply);
      const email = (request.body as Form | undefined)?.email;
      if(typeof email !== 'string') return sendHtml(request, reply, 400, renderSignIn({...options, invalid: true}));
      let outcome;
      try {
        outcome = await s.portfolio.requestLink(email, request.ip, normaliseLocale(options.locale), request.log);
      } catch(error) {
        if(error instanceof DomainError && error.code === 'VALIDATION_FAILED') {
          return sendHtml(request, reply, 400, renderSignIn({...options, email: email.slice(0, 320), invalid: true}));
        }
        throw error;
      }
      // The same page for every address, known or not, limited or not; only a requester over its limit gets 429.
      if(outcome === 'requester_limited') reply.header('retry-after', String(SIGN_IN_WINDOW_MS / 1000));
      return sendHtml(request, reply, outcome === 'requester_limited' ? 429 : 200, renderCheckEmail(options));
    });

    // GET shows a confirmation only: mail scanners and link previews follow links, and must not use them.
    scoped.get('/portfolio/auth', async (request: FastifyRequest<{Querystring: {token?: string}}>, reply) => {
      const options = pageOptions(request, reply);
      const token = typeof request.query.token === 'string' ? request.query.token : '';
      const email = await s.portfolio.peekLink(token);
      if(!email) return sendHtml(request, reply, 400, renderLinkInvalid(options));
      return sendHtml(request, reply, 200, renderConfirm({...options, email, token}));
    });

    scoped.post('/portfolio/auth', async (request, reply) => {
      const token = (request.body as Form | undefined)?.token;
      let opened;
      try {
        opened = await s.portfolio.redeemLink(typeof token === 'string' ? token : '');
      } catch(error) {
        if(error instanceof DomainError && error.code === 'MAGIC_LINK_INVALID' && !isJson(request)) {
          return sendHtml(request, reply, 400, renderLinkInvalid(pageOptions(request, reply)));
        }
        throw error;
      }
      reply.setCookie(SESSION_COOKIE, opened.sessionToken, {
        httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: SESSION_TTL_MS / 1000, expires: opened.expiresAt,
      });
      return reply.code(303).redirect('/portfolio');
    });

    scoped.post('/portfolio/sign-out', async (request, reply) => {
      const current = await postSession(request);
      if(current) await s.portfolio.signOut(current);
      reply.clearCookie(SESSION_COOKIE, {httpOnly: true, sameSite: 'lax', secure, path: '/'});
      return reply.code(303).redirect('/portfolio/sign-in');
    });

    // -------------------------------------------------------------- the portfolio

    const renderOverview = async (request: FastifyRequest, reply: FastifyReply, current: RecipientSession, status: number,
      extra: Pick<PortfolioPageData, 'profileError' | 'saved'> = {}) => {
      const {items, profile, truncated} = await s.portfolio.overview(current);
      return sendHtml(request, reply, status, renderPortfolio({...pageOptions(request, reply), email: current.email, items, truncated, profile,
        csrfToken: current.csrfToken, publicOrigin: s.ctx.publicUrl, ...extra}));
    };

    scoped.get('/portfolio', async (request: FastifyRequest<{Querystring: {saved?: string}}>, reply) => {
      const current = await session(request);
      if(!current) return reply.code(303).redirect('/portfolio/sign-in');
      return renderOverview(request, reply, current, 200, {saved: request.query.saved === '1'});
    });

    scoped.post('/portfolio/profile', async (request, reply) => {
      const current = await postSession(request);
      if(!current) return notSignedIn(request, reply);
      const body = (request.body ?? {}) as Form;
      try {
        const profile = await s.portfolio.saveProfile(current, body);
        return isJson(request) ? reply.send(profile) : reply.code(303).redirect('/portfolio?saved=1');
      } catch(error) {
        if(isJson(request) || !(error instanceof DomainError)) throw error;
        if(error.code !== 'HANDLE_INVALID' && error.code !== 'HANDLE_TAKEN' && error.code !== 'VALIDATION_FAILED') throw error;
        const message = (error.extra.errors ?? []).map(e => `${e.path} ${e.message}`).join('; ') || error.message;
        const input = {
          handle: typeof body.handle === 'string' ? body.handle.slice(0, 100) : null,
          displayName: typeof body.displayName === 'string' ? body.displayName.slice(0, 200) : null,
          profilePublic: body.profilePublic === 'on' || body.profilePublic === true,
        };
        return renderOverview(request, reply, current, error.status, {profileError: {code: error.code, message, input}});
      }
    });

    scoped.post('/portfolio/credentials/:id/visibility', async (request: FastifyRequest<{Params: {id: string}}>, reply) => {
      const current = await postSession(request);
      if(!current) return notSignedIn(request, reply);
      const visibility = await s.portfolio.setVisibility(current, request.params.id, ((request.body ?? {}) as Form).visibility);
      if(isJson(request)) return reply.send({id: request.params.id, visibility});
      return reply.code(303).redirect('/portfolio');
    });

    scoped.get('/portfolio/export.zip', async (request, reply) => {
      const current = await session(request);
      if(!current) return reply.code(303).redirect('/portfolio/sign-in');
      const day = s.ctx.now().toISOString().slice(0, 10);
      return reply.type('application/zip').header('content-disposition', `attachment; filename="credentials-${day}.zip"`)
        .send(s.portfolio.exportZip(current, request.log));
    });

    // -------------------------------------------------------------- public profiles

    scoped.get('/p/:handle', async (request: FastifyRequest<{Params: {handle: string}}>, reply) => {
      const profile = await s.portfolio.publicProfile(request.params.handle);
      if(!profile) throw notFound('NOT_FOUND', 'This profile');
      // Public, but it changes the moment its owner hides a credential: revalidate every time.
      reply.header('cache-control', 'no-cache');
      return sendHtml(request, reply, 200, renderPublicProfile({...pageOptions(request, reply), profile}));
    });
  });
}

/**
 * Whether a POST came from another site: the browser's own Sec-Fetch-Site verdict, or an Origin
 * that is not this host. Requests without either (curl, old browsers) rely on the CSRF token.
 */
function crossSite(request: FastifyRequest): boolean {
  const site = request.headers['sec-fetch-site'];
  if(site === 'cross-site' || site === 'same-site') return true;
  const origin = request.headers.origin;
  // `Origin: null` is what browsers send under `Referrer-Policy: no-referrer` (helmet's default): not a verdict.
  if(origin === undefined || origin === 'null') return false;
  try {
    // Compared as URLs, so a default port written or left out makes no difference.
    const from = new URL(origin);
    return from.host !== new URL(`${from.protocol}//${request.headers.host ?? ''}`).host;
  } catch {
    return true;
  }
}
