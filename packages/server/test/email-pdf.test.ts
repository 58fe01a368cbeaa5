/**
 * The certificate PDF in credential emails (issue 7), on every backend, against a real
 * SMTP server in this process (smtp-server, messages parsed with mailparser): attached
 * when the achievement has a certificate or diploma template, carrying the stored
 * credential, the same bytes the public route serves (the render cache); no attachment
 * without such a template.
 */
import {setTimeout as sleep} from 'node:timers/promises';
import {type ParsedMail, simpleParser} from 'mailparser';
import {SMTPServer, type SMTPServerSession} from 'smtp-server';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {ACHIEVEMENT, api, BACKENDS, createOrg, startLaurel, type TestLaurel} from './harness.js';
import {badgeLayout, certificateLayout, pdfAttachment, pdfText} from './render-helpers.js';

/** An SMTP server on 127.0.0.1 that keeps every message. */
class TestSmtp {
  readonly received: {to: string[]; raw: Buffer}[] = [];
  private readonly server = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onData: (stream, session: SMTPServerSession, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        this.received.push({to: session.envelope.rcptTo.map(r => r.address), raw: Buffer.concat(chunks)});
        callback(null);
      });
    },
  });

  async start(): Promise<string> {
    await new Promise<void>(resolve => this.server.listen(0, '127.0.0.1', resolve));
    return `smtp://127.0.0.1:${(this.server.server.address() as {port: number}).port}`;
  }

  stop(): Promise<void> {
    return new Promise(resolve => this.server.close(() => resolve()));
  }

  /** The one message to `address`, once it has arrived (polled with a deadline; never a timing assertion). */
  async messageTo(address: string, timeoutMs = 60_000): Promise<ParsedMail> {
    const deadline = Date.now() + timeoutMs;
    for(;;) {
      const found = this.received.filter(r => r.to.includes(address));
      if(found.length) {
        expect(found).toHaveLength(1);
        return simpleParser(found[0].raw);
      }
      if(Date.now() > deadline) throw new Error(`no message to ${address} within ${timeoutMs} ms`);
      await sleep(25);
    }
  }
}

describe.each(BACKENDS)('certificate PDF in credential emails on %s', kind => {
  const smtp = new TestSmtp();
  let t: TestLaurel;
  let a: ReturnType<typeof api>;
  let withCertificate: string, withDiploma: string, badgeOnly: string, plain: string;

  beforeAll(async () => {
    const smtpUrl = await smtp.start();
    t = await startLaurel(kind, {jobs: {pollingIntervalSeconds: 0.5}, mail: {smtpUrl, rate: 0, retryDelaySeconds: 1}});
    const org = await createOrg(t.app, {name: 'Acme Academy', slug: 'acme'});
    a = api(t.app, org.apiKey);
    const certificate = (await a.post('/api/v1/templates', {name: 'Certificate', layout: certificateLayout()})).json().id;
    const diploma = (await a.post('/api/v1/templates', {name: 'Diploma', layout: {...certificateLayout('Diploma in {{achievement.name}}'), format: 'diploma'}})).json().id;
    const badge = (await a.post('/api/v1/templates', {name: 'Badge', layout: badgeLayout()})).json().id;
    const create = async (name: string, templates?: Record<string, string>) => {
      const res = await a.post('/api/v1/achievements', {...ACHIEVEMENT, name, ...(templates ? {templates} : {})});
      expect(res.statusCode, res.body).toBe(201);
      return res.json().id as string;
    };
    withCertificate = await create('Data Literacy', {certificate, badge});
    withDiploma = await create('Master of Data', {diploma});
    badgeOnly = await create('Team Player', {badge});
    plain = await create('Plain Course');
  });

  afterAll(async () => {
    await t?.close();
    await smtp.stop();
  });

  async function issue(achievementId: string, name: string, email: string, extra: Record<string, unknown> = {}) {
    const res = await a.post('/api/v1/credentials', {achievementId, recipient: {name, email}, sendEmail: true, ...extra});
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as {id: string; url: string};
  }

  it('attaches the certificate PDF, with the stored credential inside, when the achievement has a certificate template', async () => {
    const issued = await issue(withCertificate, 'Ada Lovelace', 'ada@example.org', {fields: {grade: 'A'}});
    const mail = await smtp.messageTo('ada@example.org');
    expect(mail.attachments).toHaveLength(1);
    const [pdf] = mail.attachments;
    expect(pdf.contentType).toBe('application/pdf');
    expect(pdf.filename).toBe('data-literacy-ada-lovelace.pdf');
    expect(pdf.content.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const stored = (await t.app.inject({method: 'GET', url: `/c/${issued.id}.json`})).body;
    expect(pdfAttachment(pdf.content, 'credential.json')).toBe(stored);
    const text = pdfText(pdf.content);
    expect(text).toContain('Ada Lovelace');
    expect(text).toContain('Grade: A');
    // The render was cached: the public route serves the very same file.
    const served = await t.app.inject({method: 'GET', url: `/c/${issued.id}/certificate.pdf`});
    expect(Buffer.compare(served.rawPayload, pdf.content)).toBe(0);
    // The message itself is unchanged: the link to the credential is still there.
    expect(mail.text).toContain(issued.url);
  });

  it('attaches it for a diploma template too', async () => {
    await issue(withDiploma, 'Grace Hopper', 'grace@example.org');
    const mail = await smtp.messageTo('grace@example.org');
    expect(mail.attachments.map(x => x.contentType)).toEqual(['application/pdf']);
    expect(pdfText(mail.attachments[0].content)).toContain('Diploma in Master of Data');
  });

  it('attaches nothing when the achievement has no certificate or diploma template', async () => {
    await issue(badgeOnly, 'Alan Turing', 'alan@example.org');
    await issue(plain, 'Marie Curie', 'marie@example.org');
    for(const address of ['alan@example.org', 'marie@example.org']) {
      const mail = await smtp.messageTo(address);
      expect(mail.attachments).toEqual([]);
      expect(mail.subject).toBeTruthy();
    }
  });

  it('sends the email without the PDF when the render fails', async () => {
    const broken = (await a.post('/api/v1/templates', {name: 'Soon broken', layout: certificateLayout()})).json().id;
    const course = (await a.post('/api/v1/achievements', {...ACHIEVEMENT, name: 'Broken Course', templates: {certificate: broken}})).json().id;
    // A stored layout the renderers refuse (as if written by an older, laxer version).
    await t.db.query(`UPDATE template_versions SET layout = '{"format": "poster"}'::jsonb WHERE template_id = $1`, [broken]);
    const issued = await issue(course, 'Ida Broken', 'ida@example.org');
    const mail = await smtp.messageTo('ida@example.org');
    expect(mail.attachments).toEqual([]);
    expect(mail.text).toContain(issued.url);
    const deliveries = (await a.get(`/api/v1/credentials/${issued.id}/emails`)).json();
    expect(JSON.stringify(deliveries)).toContain('"sent"');
  });

  it('attaches the PDF to a resend, and still for a credential its recipient hid from public view', async () => {
    const issued = await issue(withCertificate, 'Hedy Lamarr', 'hedy@example.org');
    await smtp.messageTo('hedy@example.org');
    await t.db.query('UPDATE credentials SET hidden_at = now() WHERE id = $1', [issued.id]);
    expect((await t.app.inject({method: 'GET', url: `/c/${issued.id}/certificate.pdf`})).statusCode).toBe(404);
    const resend = await a.post(`/api/v1/credentials/${issued.id}/emails/resend`, {});
    expect(resend.statusCode, resend.body).toBeLessThan(300);
    const deadline = Date.now() + 60_000;
    while(smtp.received.filter(r => r.to.includes('hedy@example.org')).length < 2) {
      if(Date.now() > deadline) throw new Error('the resend did not arrive');
      await sleep(25);
    }
    const second = await simpleParser(smtp.received.filter(r => r.to.includes('hedy@example.org'))[1].raw);
    expect(second.attachments.map(x => x.contentType)).toEqual(['application/pdf']);
  });
});
