/**
 * Email routes: a credential's deliveries and resend, the organization's templates
 * (behind the API key), and the public unsubscribe link (RFC 8058 one-click POST,
 * and a confirmation page on GET that changes nothing).
 */
import type {FastifyInstance, FastifyReply, FastifyRequest} from 'fastify';
import type {Services} from '../../laurel.js';
import {html, layout} from '../../pages/html.js';
import {BODY_LIMIT} from '../app.js';
import {EmailTemplateBody, EmailTemplatePreview, ResendEmail} from '../schemas.js';

/** Auth helpers the routes need. */
export interface EmailRouteDeps {
  authenticate: (request: FastifyRequest) => Promise<void>;
}

type TemplateParams = {kind: string; locale: string};

const PAGE: Record<'en' | 'sv', {title: string; ask: (org: string) => string; button: string; done: (org: string) => string; invalid: string}> = {
  en: {
    title: 'Unsubscribe',
    ask: org => `Stop receiving emails from ${org} at this address?`,
    button: 'Unsubscribe',
    done: org => `You are unsubscribed: ${org} will send no more emails to this address through Laurel.`,
    invalid: 'This unsubscribe link is not valid. Copy the whole link from the email, or contact the sender.',
  },
  sv: {
    title: 'Avregistrera',
    ask: org => `Vill du sluta få mejl från ${org} till den här adressen?`,
    button: 'Avregistrera mig',
    done: org => `Du är avregistrerad: ${org} skickar inga fler mejl till den här adressen via Laurel.`,
    invalid: 'Den här länken för avregistrering är inte giltig. Kopiera hela länken från mejlet, eller kontakta avsändaren.',
  },
};

const pageLang = (request: FastifyRequest) => ((request.query as {lang?: unknown}).lang === 'sv' ? 'sv' : 'en');

const sendPage = (reply: FastifyReply, status: number, title: string, body: ReturnType<typeof html>) =>
  reply.code(status).type('text/html; charset=utf-8').header('cache-control', 'no-store').header('x-robots-tag', 'noindex')
    .send(layout(title, body));

/** Registers the email routes. */
export function registerEmailRoutes(app: FastifyInstance, s: Services, deps: EmailRouteDeps): void {
  const auth = {onRequest: deps.authenticate};
  const idParam = (request: FastifyRequest) => (request.params as {id: string}).id;
  const templateParams = (request: FastifyRequest) => request.params as TemplateParams;

  app.get('/api/v1/credentials/:id/emails', auth, async request => s.email.deliveries(request.org, idParam(request)));

  app.post('/api/v1/credentials/:id/emails/resend', auth, async (request, reply) =>
    reply.code(202).send(await s.email.resend(request.org, idParam(request), request.actor, ResendEmail.parse(request.body ?? {}))));

  app.get('/api/v1/email-templates', auth, async request => s.email.templates(request.org));

  app.put('/api/v1/email-templates/:kind/:locale', auth, async request => {
    const {kind, locale} = templateParams(request);
    return s.email.saveTemplate(request.org, kind, locale, EmailTemplateBody.parse(request.body), request.actor);
  });

  app.delete('/api/v1/email-templates/:kind/:locale', auth, async request => {
    const {kind, locale} = templateParams(request);
    return s.email.resetTemplate(request.org, kind, locale, request.actor);
  });

  app.post('/api/v1/email-templates/:kind/:locale/preview', auth, async request => {
    const {kind, locale} = templateParams(request);
    return s.email.preview(request.org, kind, locale, EmailTemplatePreview.parse(request.body ?? {}));
  });

  // Public. GET only shows a form (link scanners and prefetchers follow GETs); the POST unsubscribes.
  app.register(async scoped => {
    // RFC 8058 §3.1: mail providers POST `List-Unsubscribe=One-Click` as multipart/form-data or
    // x-www-form-urlencoded. The token in the URL is all that counts, so the body is read and ignored.
    // multipart/form-data already has the app's (streaming) parser, which leaves an unread body alone.
    for(const type of ['application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']) {
      if(scoped.hasContentTypeParser(type)) continue;
      scoped.addContentTypeParser(type, {parseAs: 'string', bodyLimit: Math.min(BODY_LIMIT, 64 * 1024)}, (_req, _body, done) => done(null, {}));
    }

    scoped.get('/email/unsubscribe/:token', async (request: FastifyRequest<{Params: {token: string}}>, reply) => {
      const t = PAGE[pageLang(request)];
      const org = await s.email.unsubscribeTarget(request.params.token, request.hostOrg);
      if(!org) return sendPage(reply, 404, t.title, html`<section class="card"><h1>${t.title}</h1><p>${t.invalid}</p></section>`);
      return sendPage(reply, 200, t.title, html`<section class="card"><h1>${t.title}</h1><p>${t.ask(org.name)}</p>
<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">${t.button}</button></form></section>`);
    });

    scoped.post('/email/unsubscribe/:token', async (request: FastifyRequest<{Params: {token: string}}>, reply) => {
      const t = PAGE[pageLang(request)];
      const {organizationName} = await s.email.unsubscribe(request.params.token, request.hostOrg);
      return sendPage(reply, 200, t.title, html`<section class="card"><h1>${t.title}</h1><p>${t.done(organizationName)}</p></section>`);
    });
  });
}
