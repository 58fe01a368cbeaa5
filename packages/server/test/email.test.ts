/**
 * Branded email (issue 5) on every backend, against a real SMTP server running in
 * this process (smtp-server, messages parsed with mailparser): what a recipient
 * gets (addresses, subject in English and Swedish, the credential link, the
 * unsubscribe headers, no attachments), escaping of hostile names, the outbox,
 * retries of transient failures, bounces, at-most-once after a crash, resend,
 * one-click unsubscribe, templates, tenant isolation and the throttle setting.
 * Every wait polls with a deadline; no test asserts a duration.
 */
import {mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import {type ParsedMail, simpleParser} from 'mailparser';
import {SMTPServer, type SMTPServerAddress, type SMTPServerSession} from 'smtp-server';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import type {EmailDeliveryView} from '../src/services/mail/email.js';
import {ACHIEVEMENT, api, BACKENDS, createOrg, PUBLIC_URL, startLaurel, type TestLaurel} from './harness.js';

/** Polls `probe` until it returns a value (not undefined); fails with `what` after `timeoutMs`. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for(;;) {
    const value = await probe();
    if(value !== undefined) return value;
    if(Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(25);
  }
}

/** A message the test server accepted. */
interface Received {
  to: string[];
  raw: Buffer;
}

/** An SMTP server on 127.0.0.1 that keeps every message, and can refuse on demand. */
class TestSmtp {
  readonly received: Received[] = [];
  /** An error for RCPT TO (e.g. 550), or none. */
  onRcpt: (address: string) => Error | undefined = () => undefined;
  /** An error after DATA (e.g. 451), or none. */
  onData: (to: string[]) => Error | undefined = () => undefined;
  private readonly server: SMTPServer;
  port = 0;

  constructor() {
    this.server = new SMTPServer({
      authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
      onRcptTo: (address: SMTPServerAddress, _session: SMTPServerSession, callback: (error?: Error | null) => void) =>
        callback(this.onRcpt(address.address) ?? null),
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const to = session.envelope.rcptTo.map(r => r.address);
          const refusal = this.onData(to);
          if(refusal) return callback(refusal);
          this.received.push({to, raw: Buffer.concat(chunks)});
          callback(null);
        });
      },
    });
  }

  async start(): Promise<string> {
    await new Promise<void>(resolve => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.server.address() as {port: number}).port;
    return `smtp://127.0.0.1:${this.port}`;
  }

  stop(): Promise<void> {
    return new Promise(resolve => this.server.close(() => resolve()));
  }

  /** Parsed messages whose envelope includes `address`. */
  async to(address: string): Promise<ParsedMail[]> {
    return Promise.all(this.received.filter(r => r.to.includes(address)).map(r => simpleParser(r.raw)));
  }
}

/** An SMTP reply error, as smtp-server sends it. */
const smtpError = (code: number, message: string) => Object.assign(new Error(message), {responseCode: code});

/** The one header line `name` of a message, unfolded. */
function header(mail: ParsedMail, name: string): string | undefined {
  const line = mail.headerLines.find(h => h.key === name.toLowerCase())?.line;
  return line?.replace(/\r?\n[ \t]+/g, ' ').slice(name.length + 1).trim();
}

/** The link of the "View your credential" button. */
function buttonHref(html: string): string | undefined {
  return /<a href="([^"]+)"[^>]*data-laurel="credential-button"/.exec(html)?.[1];
}

describe.each(BACKENDS)('email on %s', kind => {
  const smtp = new TestSmtp();
  let t: TestLaurel;
  let orgA: {apiKey: string; organization: {id: string; name: string}};
  let orgB: {apiKey: string; organization: {id: string}};
  let achievementA: string;
  let outboxDir: string;

  beforeAll(async () => {
    const smtpUrl = await smtp.start();
    t = await startLaurel(kind, {jobs: {pollingIntervalSeconds: 0.5}, mail: {smtpUrl, rate: 50, retryDelaySeconds: 1}});
    orgA = await createOrg(t.app, {name: 'Acme Academy', slug: 'acme', email: 'registrar@acme.test', logo: 'https://acme.test/logo.png'});
    orgB = await createOrg(t.app, {name: 'Rival Institute', slug: 'rival'});
    achievementA = (await api(t.app, orgA.apiKey).post('/api/v1/achievements', {...ACHIEVEMENT, name: 'Data Literacy',
      description: 'Reads & writes data <well>.'})).json().id;
    outboxDir = mkdtempSync(join(tmpdir(), 'laurel-outbox-'));
  });

  afterAll(async () => {
    await t?.close();
    await smtp.stop();
    if(outboxDir) rmSync(outboxDir, {recursive: true, force: true});
  });

  /** Issues a credential through the API; returns its view. */
  async function issue(key: string, achievementId: string, recipient: {name: string; email?: string}, extra: Record<string, unknown> = {}) {
    const res = await api(t.app, key).post('/api/v1/credentials', {achievementId, recipient, ...extra});
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as {id: string; url: string};
  }

  /**
   * Enqueues a credential_issued email as the issuing transaction does (skipped when the credential
   * already has one, e.g. once issuing enqueues it itself), and returns the credential's automatic delivery.
   */
  async function enqueue(orgId: string, credentialId: string, recipient: string, locale?: string, crashed = false) {
    await t.db.transaction(async tx => {
      const ids = await t.services.email.enqueue(tx, [{organizationId: orgId, credentialId, recipient, locale, kind: 'credential_issued'}]);
      if(crashed) {
        // Simulates a run that claimed the message and died mid-conversation (the row is committed with the job).
        await tx.query(`UPDATE email_deliveries SET status = 'sending', attempts = 1, sending_at = now() WHERE id = ANY($1::text[])`, [ids]);
      }
    });
    t.services.email.notify();
    const {rows} = await t.db.query<{id: string}>(`SELECT id FROM email_deliveries WHERE credential_id = $1 AND kind = 'credential_issued' AND NOT manual`,
      [credentialId]);
    return rows[0].id;
  }

  /** A delivery through the API once it has one of `statuses`. */
  async function deliveryIn(key: string, credentialId: string, id: string, statuses: string[]): Promise<EmailDeliveryView> {
    let last: EmailDeliveryView | undefined;
    return eventually(`delivery ${id} to be ${statuses.join(' or ')}`, async () => {
      const res = await api(t.app, key).get(`/api/v1/credentials/${credentialId}/emails`);
      expect(res.statusCode, res.body).toBe(200);
      last = (res.json().items as EmailDeliveryView[]).find(d => d.id === id);
      return last && statuses.includes(last.status) ? last : undefined;
    }).catch(error => {
      throw new Error(`${(error as Error).message}; last seen: ${JSON.stringify(last)}`);
    });
  }

  it('delivers the credential email: recipient, From / Reply-To, subject, the button to the credential, List-Unsubscribe, no attachments', async () => {
    const address = 'ada@example.org';
    const credential = await issue(orgA.apiKey, achievementA, {name: 'Ada Lovelace'});
    const id = await enqueue(orgA.organization.id, credential.id, address);
    const delivery = await deliveryIn(orgA.apiKey, credential.id, id, ['sent']);
    expect(delivery).toMatchObject({credentialId: credential.id, kind: 'credential_issued', manual: false, recipient: address, locale: 'en',
      status: 'sent', attempts: 1, lastError: null, messageId: expect.stringMatching(/^<.+@laurel\.test>$/)});
    expect(delivery.sendingAt).not.toBeNull();
    expect(delivery.finishedAt).not.toBeNull();

    const [mail, ...more] = await smtp.to(address);
    expect(more).toEqual([]);
    expect(smtp.received.find(r => r.to.includes(address))!.to).toEqual([address]);
    expect(mail.messageId).toBe(delivery.messageId);
    expect(mail.to).toMatchObject({value: [{address, name: 'Ada Lovelace'}]});
    expect(mail.from).toMatchObject({value: [{address: 'no-reply@laurel.test', name: 'Acme Academy'}]});
    expect(mail.replyTo).toMatchObject({value: [{address: 'registrar@acme.test'}]});
    expect(mail.subject).toBe('Acme Academy issued you a credential: Data Literacy');
    // The button and the fallback link both lead to the credential page (credential.id).
    const html = mail.html as string;
    expect(buttonHref(html)).toBe(credential.url);
    expect(credential.url).toBe(`${PUBLIC_URL}/c/${credential.id}`);
    expect(html).toContain('View your credential');
    expect(html).toContain('<img src="https://acme.test/logo.png" alt="Acme Academy"');
    expect(html).toContain('Reads &amp; writes data &lt;well&gt;.');
    expect(mail.text).toContain('Hello Ada Lovelace,');
    expect(mail.text).toContain(`View your credential: ${credential.url}`);
    expect(mail.text).toContain('Reads & writes data <well>.');
    // RFC 2369 / RFC 8058: one header with the one-click URL and a mailto, and the POST marker.
    const listUnsubscribe = header(mail, 'List-Unsubscribe')!;
    const [, oneClick, mailto] = /^<(https:[^>]+)>, <(mailto:[^>]+)>$/.exec(listUnsubscribe)!;
    expect(oneClick).toMatch(/^https:\/\/laurel\.test\/email\/unsubscribe\/[A-Za-z0-9_-]+$/);
    expect(mailto).toMatch(/^mailto:registrar@acme\.test\?subject=unsubscribe%20[A-Za-z0-9_-]+$/);
    expect(header(mail, 'List-Unsubscribe-Post')).toBe('List-Unsubscribe=One-Click');
    expect(html).toContain(`href="${oneClick}"`);
    expect(mail.text).toContain(`Unsubscribe: ${oneClick}`);
    expect(mail.attachments).toEqual([]);
  });

  it('writes Swedish when the delivery is in Swedish (subject, body, button, unsubscribe page)', async () => {
    const address = 'sven@example.se';
    const credential = await issue(orgA.apiKey, achievementA, {name: 'Sven Svensson'});
    const id = await enqueue(orgA.organization.id, credential.id, address, 'sv-SE');
    expect((await deliveryIn(orgA.apiKey, credential.id, id, ['sent'])).locale).toBe('sv');
    const [mail] = await smtp.to(address);
    expect(mail.subject).toBe('Acme Academy har utfärdat ett intyg till dig: Data Literacy');
    expect(mail.text).toContain('Hej Sven Svensson!');
    expect(mail.html).toContain('Visa ditt intyg');
    expect(mail.html).toContain('<html lang="sv"');
    const oneClick = /^<([^>]+)>/.exec(header(mail, 'List-Unsubscribe')!)![1];
    expect(oneClick).toMatch(/\?lang=sv$/);
    const page = await t.app.inject({method: 'GET', url: oneClick.slice(PUBLIC_URL.length)});
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Vill du sluta få mejl från Acme Academy');
  });

  it('escapes hostile recipient and achievement names in the HTML and keeps the subject one harmless line', async () => {
    const a = api(t.app, orgA.apiKey);
    const hostileAchievement = '"><img src=x onerror=alert(1)>\r\nBcc: evil@example.org';
    const achievementId = (await a.post('/api/v1/achievements', {...ACHIEVEMENT, name: hostileAchievement,
      description: '<script>alert(2)</script>'})).json().id;
    const address = 'mallory@example.org';
    const name = '<script>alert(1)</script>';
    const credential = await issue(orgA.apiKey, achievementId, {name});
    const id = await enqueue(orgA.organization.id, credential.id, address);
    await deliveryIn(orgA.apiKey, credential.id, id, ['sent']);
    const [mail] = await smtp.to(address);
    const html = mail.html as string;
    expect(html).not.toContain('<script>');
    expect(html).not.toContain('<img src=x');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&quot;&gt;&lt;img src=x onerror=alert(1)&gt;');
    expect(html).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
    // The subject is plain text on one line: no header can be smuggled in, nobody else gets a copy.
    expect(mail.subject).toBe('Acme Academy issued you a credential: "><img src=x onerror=alert(1)> Bcc: evil@example.org');
    expect(mail.bcc).toBeUndefined();
    expect(mail.headerLines.filter(h => h.key === 'bcc')).toEqual([]);
    expect(smtp.received.filter(r => r.to.includes('evil@example.org'))).toEqual([]);
    expect(mail.to).toMatchObject({value: [{address, name}]});
  });

  it('writes .eml files to the outbox when no SMTP server is configured', async () => {
    const o = await startLaurel(kind, {jobs: {pollingIntervalSeconds: 0.5}, mail: {outboxDir, rate: 0}});
    try {
      const org = await createOrg(o.app, {name: 'Outbox College', slug: 'outbox'});
      const achievementId = (await api(o.app, org.apiKey).post('/api/v1/achievements', ACHIEVEMENT)).json().id;
      const credential = (await api(o.app, org.apiKey).post('/api/v1/credentials', {achievementId, recipient: {name: 'Olle'}})).json();
      await o.db.transaction(tx => o.services.email.enqueue(tx, [{organizationId: org.organization.id, credentialId: credential.id,
        recipient: 'olle@example.org', kind: 'credential_issued'}]));
      o.services.email.notify();
      expect(o.services.email.describe()).toContain(outboxDir);
      const files = await eventually('an .eml file', async () => {
        const names = readdirSync(outboxDir);
        return names.some(n => n.endsWith('.eml')) ? names : undefined;
      });
      // Written atomically: no temporary file is left beside it.
      expect(files.filter(n => !n.endsWith('.eml'))).toEqual([]);
      const mail = await simpleParser(readFileSync(join(outboxDir, files[0])));
      expect(mail.to).toMatchObject({value: [{address: 'olle@example.org', name: 'Olle'}]});
      expect(mail.subject).toBe('Outbox College issued you a credential: Teamwork');
      expect(buttonHref(mail.html as string)).toBe(credential.url);
      const delivery = (await api(o.app, org.apiKey).get(`/api/v1/credentials/${credential.id}/emails`)).json().items[0];
      expect(delivery).toMatchObject({status: 'sent', messageId: mail.messageId});
    } finally {
      await o.close();
    }
  });

  it('retries a transient failure (451) with backoff and sends once: attempts 2', async () => {
    const address = 'greylisted@example.org';
    let refused = 0;
    smtp.onData = to => (to.includes(address) && refused++ === 0 ? smtpError(451, 'Greylisted, try again later') : undefined);
    try {
      const credential = await issue(orgA.apiKey, achievementA, {name: 'Grey'});
      const id = await enqueue(orgA.organization.id, credential.id, address);
      const delivery = await deliveryIn(orgA.apiKey, credential.id, id, ['sent']);
      expect(delivery).toMatchObject({status: 'sent', attempts: 2, lastError: null});
      expect(refused).toBe(2);
      expect(await smtp.to(address)).toHaveLength(1);
    } finally {
      smtp.onData = () => undefined;
    }
  });

  it('a permanent refusal (550 at RCPT TO) is a bounce, not retried', async () => {
    const address = 'nobody@example.org';
    smtp.onRcpt = rcpt => (rcpt === address ? smtpError(550, 'No such user here') : undefined);
    try {
      const credential = await issue(orgA.apiKey, achievementA, {name: 'Nobody'});
      const id = await enqueue(orgA.organization.id, credential.id, address);
      const delivery = await deliveryIn(orgA.apiKey, credential.id, id, ['bounced', 'failed', 'sent']);
      expect(delivery).toMatchObject({status: 'bounced', attempts: 1, messageId: null, lastError: expect.stringContaining('550')});
      // Its job completed: nothing is left to retry.
      const job = await eventually('the job of the bounce to complete', async () => {
        const page = await t.services.jobs.list(orgA.organization.id, {name: 'email.send', limit: 200});
        const found = page.items.find(j => (j.data as {deliveryIds: string[]}).deliveryIds.includes(id));
        return found?.state === 'completed' ? found : undefined;
      });
      expect(job.retryCount).toBe(0);
      expect(job.output).toMatchObject({bounced: 1});
      expect(await smtp.to(address)).toEqual([]);
    } finally {
      smtp.onRcpt = () => undefined;
    }
  });

  it('a delivery left `sending` by a crashed run becomes unknown and is not sent again', async () => {
    const address = 'crash@example.org';
    const credential = await issue(orgA.apiKey, achievementA, {name: 'Crash'});
    const id = await enqueue(orgA.organization.id, credential.id, address, undefined, true);
    const delivery = await deliveryIn(orgA.apiKey, credential.id, id, ['unknown', 'sent']);
    expect(delivery).toMatchObject({status: 'unknown', attempts: 1, lastError: expect.stringMatching(/^INTERRUPTED/)});
    // An enqueue of the same automatic email again creates nothing: at most one each.
    await t.db.transaction(async tx => {
      expect(await t.services.email.enqueue(tx, [{organizationId: orgA.organization.id, credentialId: credential.id, recipient: address,
        kind: 'credential_issued'}])).toEqual([]);
    });
    await sleep(300);
    expect(await smtp.to(address)).toEqual([]);
    expect((await api(t.app, orgA.apiKey).get(`/api/v1/credentials/${credential.id}/emails`)).json().items).toHaveLength(1);
  });

  it('resends on demand: a new manual delivery, sent, and audited', async () => {
    const address = 'grace@example.org';
    const a = api(t.app, orgA.apiKey);
    const credential = await issue(orgA.apiKey, achievementA, {name: 'Grace Hopper', email: address});
    const first = await enqueue(orgA.organization.id, credential.id, address);
    await deliveryIn(orgA.apiKey, credential.id, first, ['sent']);

    const res = await a.post(`/api/v1/credentials/${credential.id}/emails/resend`, {locale: 'sv'});
    expect(res.statusCode, res.body).toBe(202);
    const resent = res.json() as EmailDeliveryView;
    expect(resent).toMatchObject({credentialId: credential.id, kind: 'credential_issued', manual: true, status: 'queued', locale: 'sv',
      recipient: address});
    expect(resent.id).not.toBe(first);
    await deliveryIn(orgA.apiKey, credential.id, resent.id, ['sent']);
    const mails = await smtp.to(address);
    expect(mails.map(m => m.subject)).toEqual(['Acme Academy issued you a credential: Data Literacy',
      'Acme Academy har utfärdat ett intyg till dig: Data Literacy']);

    const audit = (await a.get(`/api/v1/audit?action=email.resent&subjectId=${credential.id}`)).json().items;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({actor: {type: 'api_key'}, subjectType: 'credential', after: {deliveryId: resent.id, locale: 'sv'}});

    // A credential without an address cannot be resent.
    const nameOnly = await issue(orgA.apiKey, achievementA, {name: 'No Mail'});
    const refused = await a.post(`/api/v1/credentials/${nameOnly.id}/emails/resend`);
    expect(refused.statusCode).toBe(422);
    expect(refused.json().code).toBe('CREDENTIAL_HAS_NO_EMAIL');
  });

  it('one-click unsubscribe: GET changes nothing, POST suppresses; later emails are failed UNSUBSCRIBED and never sent', async () => {
    const address = 'optout@example.org';
    const first = await issue(orgA.apiKey, achievementA, {name: 'Opt Out'});
    await deliveryIn(orgA.apiKey, first.id, await enqueue(orgA.organization.id, first.id, address), ['sent']);
    const [mail] = await smtp.to(address);
    const path = /^<([^>]+)>/.exec(header(mail, 'List-Unsubscribe')!)![1].slice(PUBLIC_URL.length);

    // The confirmation page: a form, no state change.
    const page = await t.app.inject({method: 'GET', url: path});
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<form method="post">');
    expect(page.body).toContain('Acme Academy');
    expect((await t.db.query('SELECT 1 FROM email_suppressions')).rows).toHaveLength(0);

    // Forged or altered tokens are refused.
    const bad = `${path.slice(0, -2)}${path.endsWith('AA') ? 'BA' : 'AA'}`;
    const forged = await t.app.inject({method: 'POST', url: bad, headers: {'content-type': 'application/x-www-form-urlencoded'},
      payload: 'List-Unsubscribe=One-Click'});
    expect(forged.statusCode).toBe(404);
    expect(forged.json().code).toBe('UNSUBSCRIBE_LINK_INVALID');
    expect((await t.app.inject({method: 'GET', url: bad})).statusCode).toBe(404);

    // RFC 8058 one-click, as mail providers send it (form-urlencoded and multipart); a repeat is harmless.
    const oneClick = await t.app.inject({method: 'POST', url: path, headers: {'content-type': 'application/x-www-form-urlencoded'},
      payload: 'List-Unsubscribe=One-Click'});
    expect(oneClick.statusCode, oneClick.body).toBe(200);
    const boundary = 'x-laurel-test';
    const multipart = await t.app.inject({method: 'POST', url: path, headers: {'content-type': `multipart/form-data; boundary=${boundary}`},
      payload: `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`});
    expect(multipart.statusCode).toBe(200);
    const audit = (await api(t.app, orgA.apiKey).get('/api/v1/audit?action=email.unsubscribed')).json().items;
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit[0])).not.toContain(address);

    // Later emails to the address (in any letter case) fail without contacting the server.
    const before = smtp.received.length;
    const second = await issue(orgA.apiKey, achievementA, {name: 'Opt Out'});
    const suppressed = await deliveryIn(orgA.apiKey, second.id, await enqueue(orgA.organization.id, second.id, 'OptOut@Example.org'),
      ['failed', 'sent']);
    expect(suppressed).toMatchObject({status: 'failed', lastError: 'UNSUBSCRIBED', attempts: 0, messageId: null});
    expect(smtp.received.length).toBe(before);
    expect(await smtp.to('OptOut@Example.org')).toEqual([]);

    // The suppression is the organization's own: another issuer still reaches the address.
    const achievementB = (await api(t.app, orgB.apiKey).post('/api/v1/achievements', ACHIEVEMENT)).json().id;
    const other = await issue(orgB.apiKey, achievementB, {name: 'Opt Out'});
    await deliveryIn(orgB.apiKey, other.id, await enqueue(orgB.organization.id, other.id, address), ['sent']);
  });

  it('does not send a revoked credential\'s email, nor resend it', async () => {
    const address = 'revoked@example.org';
    const a = api(t.app, orgA.apiKey);
    const credential = await issue(orgA.apiKey, achievementA, {name: 'Revoked'});
    // Revoked before its queued email went out.
    await t.db.transaction(async tx => {
      await t.services.email.enqueue(tx, [{organizationId: orgA.organization.id, credentialId: credential.id, recipient: address, kind: 'credential_issued'}]);
      await tx.query(`UPDATE credentials SET status = 'revoked' WHERE id = $1`, [credential.id]);
    });
    t.services.email.notify();
    const {rows} = await t.db.query<{id: string}>(`SELECT id FROM email_deliveries WHERE credential_id = $1`, [credential.id]);
    const delivery = await deliveryIn(orgA.apiKey, credential.id, rows[0].id, ['failed', 'sent']);
    expect(delivery).toMatchObject({status: 'failed', lastError: 'CREDENTIAL_REVOKED', attempts: 0});
    expect(await smtp.to(address)).toEqual([]);
    const withEmail = await issue(orgA.apiKey, achievementA, {name: 'Revoked Too', email: 'revoked2@example.org'});
    expect((await a.post(`/api/v1/credentials/${withEmail.id}/revoke`, {reason: 'Issued in error'})).statusCode).toBe(200);
    const resend = await a.post(`/api/v1/credentials/${withEmail.id}/emails/resend`);
    expect(resend.statusCode).toBe(409);
    expect(resend.json().code).toBe('CREDENTIAL_REVOKED');
  });

  it('keeps tenants apart: deliveries, resend and templates of another organization are 404 or untouched', async () => {
    const credential = await issue(orgA.apiKey, achievementA, {name: 'Private', email: 'private@example.org'});
    const b = api(t.app, orgB.apiKey);
    for(const res of [await b.get(`/api/v1/credentials/${credential.id}/emails`), await b.post(`/api/v1/credentials/${credential.id}/emails/resend`)]) {
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json().code).toBe('CREDENTIAL_NOT_FOUND');
    }
    expect((await t.app.inject({method: 'GET', url: `/api/v1/credentials/${credential.id}/emails`})).statusCode).toBe(401);
    expect((await t.app.inject({method: 'GET', url: '/api/v1/email-templates'})).statusCode).toBe(401);
    expect((await t.db.query(`SELECT 1 FROM email_deliveries WHERE credential_id = $1 AND manual`, [credential.id])).rows).toEqual([]);
  });

  it('templates: per organization, with variables; unknown variables and active content are refused with 422 per field', async () => {
    const org = await createOrg(t.app, {name: 'Template School', slug: 'templates', brandColor: '#FFCC00'});
    expect(org.organization.brandColor).toBe('#ffcc00');
    const a = api(t.app, org.apiKey);
    const listed = (await a.get('/api/v1/email-templates')).json();
    expect(listed.variables).toEqual(['recipient.name', 'achievement.name', 'achievement.description', 'issuer.name', 'issuer.url',
      'credential.url', 'validUntil']);
    expect(listed.items.map((i: {kind: string; locale: string; custom: boolean}) => `${i.kind}/${i.locale}/${i.custom}`)).toEqual([
      'credential_issued/en/false', 'credential_issued/sv/false', 'expiry_reminder/en/false', 'expiry_reminder/sv/false']);

    const bad = await a.put('/api/v1/email-templates/credential_issued/en', {subject: 'Hi {{recipient.email}}',
      html: '<p>{{ foo }} and {{bar.baz}}</p><img src=x onerror="alert(1)">', text: '{{recipient.name}}'});
    expect(bad.statusCode).toBe(422);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    const problem = bad.json();
    expect(problem.code).toBe('EMAIL_TEMPLATE_INVALID');
    expect(problem.errors).toEqual(expect.arrayContaining([
      {path: 'subject', message: expect.stringContaining('unknown variable {{recipient.email}}')},
      {path: 'html', message: expect.stringContaining('unknown variable {{foo}}')},
      {path: 'html', message: expect.stringContaining('unknown variable {{bar.baz}}')},
      {path: 'html', message: expect.stringContaining('event handler')},
    ]));
    expect(problem.errors.filter((e: {path: string}) => e.path === 'text')).toEqual([]);
    const tooBig = await a.put('/api/v1/email-templates/credential_issued/en', {subject: 'x'.repeat(301), html: '<p>x</p>', text: 'x'});
    expect(tooBig.statusCode).toBe(422);
    expect(tooBig.json().errors).toEqual([{path: 'subject', message: expect.stringContaining('at most 300')}]);
    expect((await a.put('/api/v1/email-templates/newsletter/en', {subject: 'x', html: 'x', text: 'x'})).json().code).toBe('EMAIL_TEMPLATE_NOT_FOUND');
    expect((await a.put('/api/v1/email-templates/credential_issued/de', {subject: 'x', html: 'x', text: 'x'})).statusCode).toBe(404);

    const saved = await a.put('/api/v1/email-templates/credential_issued/en', {subject: 'Congratulations {{recipient.name}}!',
      html: '<h2 style="color:#333">Well done, {{ recipient.name }}</h2><p>{{achievement.name}} from <a href="{{issuer.url}}">{{issuer.name}}</a></p>',
      text: 'Well done, {{recipient.name}}: {{achievement.name}}'});
    expect(saved.statusCode, saved.body).toBe(200);
    expect(saved.json()).toMatchObject({kind: 'credential_issued', locale: 'en', custom: true, subject: 'Congratulations {{recipient.name}}!'});
    const preview = await a.post('/api/v1/email-templates/credential_issued/en/preview');
    expect(preview.statusCode).toBe(200);
    expect(preview.json().subject).toBe('Congratulations Ada Lovelace!');
    expect(preview.json().html).toContain('Well done, Ada Lovelace');
    expect(preview.json().html).toContain('background-color:#ffcc00');
    const draft = await a.post('/api/v1/email-templates/credential_issued/en/preview', {subject: 'Draft {{achievement.name}}'});
    expect(draft.json().subject).toBe('Draft Sample achievement');
    expect((await a.post('/api/v1/email-templates/credential_issued/en/preview', {subject: '{{nope}}'})).statusCode).toBe(422);

    // The organization's template is what its recipients get, in its colour; other organizations keep the default.
    const achievementId = (await a.post('/api/v1/achievements', ACHIEVEMENT)).json().id;
    const credential = await issue(org.apiKey, achievementId, {name: 'Tess <b>'});
    const address = 'tess@example.org';
    await deliveryIn(org.apiKey, credential.id, await enqueue(org.organization.id, credential.id, address), ['sent']);
    const [mail] = await smtp.to(address);
    expect(mail.subject).toBe('Congratulations Tess <b>!');
    expect(mail.html).toContain('Well done, Tess &lt;b&gt;');
    expect(mail.html).toContain('background-color:#ffcc00');
    // A light brand colour gets dark button text.
    expect(mail.html).toMatch(/data-laurel="credential-button" style="[^"]*color:#111111/);
    expect(mail.text).toContain('Well done, Tess <b>: Teamwork');
    expect((await api(t.app, orgA.apiKey).get('/api/v1/email-templates')).json().items.every((i: {custom: boolean}) => !i.custom)).toBe(true);

    // Audited; DELETE goes back to the default.
    const actions = (await a.get('/api/v1/audit?subjectType=email_template')).json().items.map((e: {action: string}) => e.action);
    expect(actions).toEqual(['email_template.updated']);
    const reset = await t.app.inject({method: 'DELETE', url: '/api/v1/email-templates/credential_issued/en', headers: {authorization: `Bearer ${org.apiKey}`}});
    expect(reset.statusCode).toBe(200);
    expect(reset.json()).toMatchObject({custom: false, subject: '{{issuer.name}} issued you a credential: {{achievement.name}}'});
  });

  it('brandColor is an organization setting: validated, audited, cleared with null', async () => {
    const a = api(t.app, orgB.apiKey);
    const res = await a.patch('/api/v1/organization', {brandColor: '#0A7F3F'});
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().brandColor).toBe('#0a7f3f');
    const [entry] = (await a.get('/api/v1/audit?action=organization.updated')).json().items;
    expect(entry).toMatchObject({before: {brandColor: null}, after: {brandColor: '#0a7f3f'}});
    for(const bad of ['red', '#fff', '#12345g', 'url(x)']) {
      const refused = await a.patch('/api/v1/organization', {brandColor: bad});
      expect(refused.statusCode, bad).toBe(400);
      expect(refused.json().errors[0].path).toBe('brandColor');
    }
    expect((await a.patch('/api/v1/organization', {brandColor: null})).json().brandColor).toBeNull();
  });

  it('sends expiry reminders from the lifecycle sweep, once per credential', async () => {
    const address = 'expiring@example.org';
    const validUntil = new Date(t.clock.now.getTime() + 10 * 86_400_000).toISOString();
    const credential = await issue(orgA.apiKey, achievementA, {name: 'Eve Expiring', email: address}, {validUntil});
    await t.services.lifecycle.sweep();
    await t.services.lifecycle.sweep();
    const {rows} = await t.db.query<{id: string}>(`SELECT id FROM email_deliveries WHERE credential_id = $1 AND kind = 'expiry_reminder'`, [credential.id]);
    expect(rows).toHaveLength(1);
    await deliveryIn(orgA.apiKey, credential.id, rows[0].id, ['sent']);
    const reminder = (await smtp.to(address)).find(m => m.subject?.startsWith('Your credential'));
    expect(reminder?.subject).toBe('Your credential Data Literacy expires on March 11, 2026');
  });

  it('passes the configured throttle through, and every message still arrives', async () => {
    expect(t.services.email.rate).toBe(50);
    expect(t.services.email.describe()).toContain('at most 50 messages/s');
    const credentials = await Promise.all(Array.from({length: 20}, (_, i) => issue(orgA.apiKey, achievementA, {name: `Bulk ${i}`})));
    await t.db.transaction(tx => t.services.email.enqueue(tx, credentials.map((c, i) => ({organizationId: orgA.organization.id,
      credentialId: c.id, recipient: `bulk${i}@example.org`, kind: 'credential_issued' as const, batchId: 'batch-test'}))));
    t.services.email.notify();
    await eventually('20 sent deliveries of the batch', async () => {
      const {rows} = await t.db.query<{n: number}>(`SELECT count(*)::int AS n FROM email_deliveries WHERE batch_id = 'batch-test' AND status = 'sent'`);
      return rows[0].n === 20 ? true : undefined;
    });
    for(let i = 0; i < 20; i++) expect(await smtp.to(`bulk${i}@example.org`), `bulk${i}`).toHaveLength(1);
  });
});
