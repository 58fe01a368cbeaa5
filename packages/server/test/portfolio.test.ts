/**
 * The recipient portfolio (issue 8) through HTTP on every backend: magic-link sign-in
 * (read from the outbox, and once over SMTP), GET never consuming a link, single use,
 * expiry, unknown links, rate limits per address and per requester, no enumeration,
 * the listing across organizations (case and whitespace of the issuer's typing), CSRF,
 * visibility, public profiles, handles, the ZIP export (read back with `unzip`: JSON and PDFs), cookie
 * flags and sign-out. Every wait polls with a deadline; no test asserts a duration.
 */
import {execFileSync} from 'node:child_process';
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {type ParsedMail, simpleParser} from 'mailparser';
import {SMTPServer} from 'smtp-server';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {exportName} from '../src/services/portfolio.js';
import {ACHIEVEMENT, api, BACKENDS, createOrg, eventually, startLaurel, type TestLaurel} from './harness.js';

const FORM = {'content-type': 'application/x-www-form-urlencoded'};
const TOKEN_IN_TEXT = /\/portfolio\/auth\?token=([A-Za-z0-9_-]{43})/;

let ipCounter = 0;
/** A requester address of its own, so tests do not share the per-requester limit. */
const freshIp = () => `10.1.${Math.floor(++ipCounter / 250)}.${ipCounter % 250 + 1}`;

/** Pages differ only by their CSP nonce (when the app sends one). */
const withoutNonces = (body: string) => body.replace(/ nonce="[^"]*"/g, '');

/** The parsed messages in an outbox directory. */
async function outbox(dir: string): Promise<ParsedMail[]> {
  let files: string[];
  try {
    files = readdirSync(dir).filter(f => f.endsWith('.eml')).sort();
  } catch {
    return [];
  }
  return Promise.all(files.map(f => simpleParser(readFileSync(join(dir, f)))));
}

const toAddress = (mail: ParsedMail) => (Array.isArray(mail.to) ? mail.to : mail.to ? [mail.to] : []).flatMap(a => a.value.map(v => v.address));

describe.each(BACKENDS)('recipient portfolio on %s', kind => {
  let t: TestLaurel;
  let outboxDir: string;
  let orgA: {apiKey: string; organization: {id: string}};
  let orgB: {apiKey: string; organization: {id: string}};
  let achievementA: string;
  let achievementB: string;
  const seen = new Set<string>();

  beforeAll(async () => {
    outboxDir = mkdtempSync(join(tmpdir(), 'laurel-portfolio-'));
    t = await startLaurel(kind, {mail: {outboxDir, rate: 0}, jobs: {pollingIntervalSeconds: 0.5}});
    orgA = await createOrg(t.app, {name: 'Acme Academy', slug: 'acme'});
    orgB = await createOrg(t.app, {name: 'Rival Institute', slug: 'rival'});
    achievementA = (await api(t.app, orgA.apiKey).post('/api/v1/achievements', {...ACHIEVEMENT, name: 'Data Literacy'})).json().id;
    achievementB = (await api(t.app, orgB.apiKey).post('/api/v1/achievements', {...ACHIEVEMENT, name: 'Safety First'})).json().id;
  });

  afterAll(async () => {
    await t?.close();
    if(outboxDir) rmSync(outboxDir, {recursive: true, force: true});
  });

  /** Issues a credential; returns its id. */
  async function issue(org: {apiKey: string}, achievementId: string, email: string, name = 'Recipient'): Promise<string> {
    const res = await api(t.app, org.apiKey).post('/api/v1/credentials', {achievementId, recipient: {name, email}});
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id;
  }

  /** Sign-in links mailed to `address` (not yet returned by this helper), oldest first. */
  async function newLinks(address: string): Promise<string[]> {
    const tokens: string[] = [];
    for(const mail of await outbox(outboxDir)) {
      if(!toAddress(mail).includes(address)) continue;
      const token = TOKEN_IN_TEXT.exec(mail.text ?? '')?.[1];
      if(token && !seen.has(token)) {
        seen.add(token);
        tokens.push(token);
      }
    }
    return tokens;
  }

  /** Waits for the next sign-in link to `address`. */
  const nextLink = (address: string) => eventually(async () => (await newLinks(address))[0]);

  const post = (url: string, form: Record<string, string>, headers: Record<string, string> = {}, remoteAddress = freshIp()) =>
    t.app.inject({method: 'POST', url, headers: {...FORM, ...headers}, payload: new URLSearchParams(form).toString(), remoteAddress});

  const requestLink = (email: string, headers: Record<string, string> = {}, ip = freshIp()) => post('/portfolio/sign-in', {email}, headers, ip);

  /** Signs in as `address` through the emailed link; returns the cookie header and the CSRF token. */
  async function signIn(address: string): Promise<{cookie: string; csrf: string; setCookie: string}> {
    const asked = await requestLink(address);
    expect(asked.statusCode).toBe(200);
    const token = await nextLink(address.trim().toLowerCase());
    const used = await post('/portfolio/auth', {token});
    expect(used.statusCode, used.body).toBe(303);
    expect(used.headers.location).toBe('/portfolio');
    const setCookie = String(used.headers['set-cookie']);
    const value = /laurel_session=([^;]+)/.exec(setCookie)![1];
    const cookie = `laurel_session=${value}`;
    const page = await t.app.inject({method: 'GET', url: '/portfolio', headers: {cookie}});
    expect(page.statusCode).toBe(200);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1];
    return {cookie, csrf, setCookie};
  }

  const portfolio = (cookie: string) => t.app.inject({method: 'GET', url: '/portfolio', headers: {cookie}});
  const hiddenAt = async (id: string) => (await t.db.query<{hidden_at: Date | null}>('SELECT hidden_at FROM credentials WHERE id = $1', [id])).rows[0].hidden_at;
  /** Credential ids listed on a portfolio or profile page, in order. */
  const listed = (body: string) => [...body.matchAll(/data-credential="([^"]+)"/g)].map(m => m[1]);

  it('shows a sign-in form, and sends the signed-out to it', async () => {
    const form = await t.app.inject({method: 'GET', url: '/portfolio/sign-in'});
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('action="/portfolio/sign-in"');
    expect(form.body).toMatch(/<label for="email">/);
    const page = await t.app.inject({method: 'GET', url: '/portfolio'});
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/portfolio/sign-in');
    const zip = await t.app.inject({method: 'GET', url: '/portfolio/export.zip'});
    expect(zip.statusCode).toBe(303);
  });

  it('signs in through the emailed link: GET only confirms, POST uses it once, the cookie is locked down', async () => {
    const id = await issue(orgA, achievementA, 'ada@example.org', 'Ada');
    const asked = await requestLink('ada@example.org');
    expect(asked.statusCode).toBe(200);
    expect(asked.body).toContain('data-page="check-email"');
    const token = await nextLink('ada@example.org');
    const mail = (await outbox(outboxDir)).find(m => m.text?.includes(token))!;
    expect(mail.subject).toBe('Sign in to your credentials on laurel.test');
    expect(mail.text).toContain(`https://laurel.test/portfolio/auth?token=${token}`);
    expect(mail.html).toContain(`href="https://laurel.test/portfolio/auth?token=${token}"`);
    expect(mail.html).not.toMatch(/<img|<script/i);
    expect(mail.attachments).toEqual([]);

    // Mail scanners follow links: GET shows who would sign in and uses nothing, however often.
    for(let i = 0; i < 2; i++) {
      const confirm = await t.app.inject({method: 'GET', url: `/portfolio/auth?token=${token}`});
      expect(confirm.statusCode).toBe(200);
      expect(confirm.body).toContain('<strong>ada@example.org</strong>');
      expect(confirm.body).toContain('method="post" action="/portfolio/auth"');
      expect(confirm.headers['cache-control']).toBe('no-store');
    }
    const used = await post('/portfolio/auth', {token});
    expect(used.statusCode).toBe(303);
    const setCookie = String(used.headers['set-cookie']);
    expect(setCookie).toMatch(/laurel_session=[A-Za-z0-9_-]{43};/);
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Lax');
    expect(setCookie).toContain('Secure'); // the public URL is https
    expect(setCookie).toContain('Path=/');
    expect(setCookie).toContain(`Max-Age=${30 * 24 * 3600}`);
    // Only the hash is stored.
    const value = /laurel_session=([^;]+)/.exec(setCookie)![1];
    const stored = await t.db.query<{n: string}>(`SELECT count(*)::text AS n FROM recipient_sessions WHERE encode(token_hash, 'hex') = $1 OR encode(token_hash, 'escape') = $1`, [value]);
    expect(stored.rows[0].n).toBe('0');

    // Single use: the second POST fails the same way as an unknown link.
    const again = await post('/portfolio/auth', {token});
    expect(again.statusCode).toBe(400);
    expect(again.body).toContain('MAGIC_LINK_INVALID');
    const json = await t.app.inject({method: 'POST', url: '/portfolio/auth', payload: {token}});
    expect(json.statusCode).toBe(400);
    expect(json.json().code).toBe('MAGIC_LINK_INVALID');
    expect((await t.app.inject({method: 'GET', url: `/portfolio/auth?token=${token}`})).statusCode).toBe(400);

    const page = await portfolio(`laurel_session=${value}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('ada@example.org');
    expect(listed(page.body)).toEqual([id]);
    expect(page.body).toContain('Data Literacy');
    expect(page.body).toContain('Acme Academy');
  });

  it('refuses unknown and expired links without saying which', async () => {
    const unknown = await post('/portfolio/auth', {token: 'A'.repeat(43)});
    expect(unknown.statusCode).toBe(400);
    expect(unknown.body).toContain('MAGIC_LINK_INVALID');
    expect((await post('/portfolio/auth', {token: 'not a token'})).statusCode).toBe(400);
    expect((await t.app.inject({method: 'GET', url: '/portfolio/auth?token=nope'})).statusCode).toBe(400);
    expect((await t.app.inject({method: 'GET', url: '/portfolio/auth'})).statusCode).toBe(400);

    await issue(orgA, achievementA, 'late@example.org');
    await requestLink('late@example.org');
    const token = await nextLink('late@example.org');
    expect((await t.app.inject({method: 'GET', url: `/portfolio/auth?token=${token}`})).statusCode).toBe(200);
    t.clock.now = new Date(t.clock.now.getTime() + 15 * 60_000 + 1000);
    const expired = await post('/portfolio/auth', {token});
    expect(expired.statusCode).toBe(400);
    expect(withoutNonces(expired.body)).toBe(withoutNonces(unknown.body));
    expect((await t.app.inject({method: 'GET', url: `/portfolio/auth?token=${token}`})).statusCode).toBe(400);
  });

  it('answers the same for an address with no credentials, and mails it nothing', async () => {
    await issue(orgA, achievementA, 'known@example.org');
    const ip = freshIp();
    const known = await requestLink('known@example.org', {}, ip);
    const unknown = await requestLink('nobody@example.org', {}, ip);
    expect(unknown.statusCode).toBe(known.statusCode);
    expect(withoutNonces(unknown.body)).toBe(withoutNonces(known.body));
    await nextLink('known@example.org');
    await t.services.portfolio.close(); // every sign-in email under way has been handed to the transport
    expect((await outbox(outboxDir)).filter(m => toAddress(m).includes('nobody@example.org'))).toEqual([]);
    // Not an address at all: the form again, with a message.
    const bad = await requestLink('not-an-address');
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('aria-invalid="true"');
  });

  it('limits links per address (no 4th email) and per requester (429), in the database', async () => {
    await issue(orgB, achievementB, 'busy@example.org');
    for(let i = 0; i < 3; i++) expect((await requestLink('busy@example.org')).statusCode).toBe(200);
    const fourth = await requestLink('busy@example.org');
    expect(fourth.statusCode).toBe(200);
    expect(fourth.body).toContain('data-page="check-email"');
    await eventually(async () => (await outbox(outboxDir)).filter(m => toAddress(m).includes('busy@example.org') && TOKEN_IN_TEXT.test(m.text ?? '')).length === 3 || undefined);
    await t.services.portfolio.close();
    const links = (await outbox(outboxDir)).filter(m => toAddress(m).includes('busy@example.org') && TOKEN_IN_TEXT.test(m.text ?? ''));
    expect(links).toHaveLength(3);
    const rows = await t.db.query<{n: string; raw: string}>(`SELECT count(*)::text AS n FROM magic_links WHERE email = 'busy@example.org'`);
    expect(rows.rows[0].n).toBe('3');

    const ip = freshIp();
    for(let i = 0; i < 10; i++) expect((await requestLink(`someone${i}@example.org`, {}, ip)).statusCode).toBe(200);
    const limited = await requestLink('someone-else@example.org', {}, ip);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['retry-after']).toBe('900');
    expect(withoutNonces(limited.body)).toBe(withoutNonces(fourth.body));
    expect((await requestLink('someone-else@example.org', {}, freshIp())).statusCode).toBe(200);
    // Requesters are stored as keyed hashes, never as addresses.
    const stored = await t.db.query<{h: string}>(`SELECT encode(requester_hash, 'escape') AS h FROM magic_links`);
    expect(stored.rows.some(r => r.h.includes(ip))).toBe(false);
    // A window later, the address may ask again.
    t.clock.now = new Date(t.clock.now.getTime() + 16 * 60_000);
    expect((await requestLink('someone-else@example.org', {}, ip)).statusCode).toBe(200);
  });

  it('lists every credential of the address across organizations, newest first, and nobody else\'s', async () => {
    const first = await issue(orgA, achievementA, 'Grace.Hopper@Example.org', 'Grace');
    t.clock.now = new Date(t.clock.now.getTime() + 60_000);
    const second = await issue(orgB, achievementB, 'grace.hopper@example.org', 'Grace');
    t.clock.now = new Date(t.clock.now.getTime() + 60_000);
    const third = await issue(orgB, achievementB, 'grace.hopper@example.org', 'Grace');
    // As an issuer's import might have stored it: surrounding spaces, mixed case.
    await t.db.query(`UPDATE credentials SET recipient_email = '  GRACE.hopper@EXAMPLE.org ' WHERE id = $1`, [third]);
    const other = await issue(orgA, achievementA, 'grace.hopper@example.com', 'Someone else');
    expect((await api(t.app, orgB.apiKey).post(`/api/v1/credentials/${second}/revoke`, {reason: 'Issued in error'})).statusCode).toBe(200);

    const {cookie} = await signIn('  Grace.Hopper@example.ORG');
    const page = await portfolio(cookie);
    expect(listed(page.body)).toEqual([third, second, first]);
    expect(listed(page.body)).not.toContain(other);
    expect(page.body).toContain('Acme Academy');
    expect(page.body).toContain('Rival Institute');
    expect(page.body).toContain(`data-credential="${second}" data-visibility="public"`);
    expect(page.body).toMatch(new RegExp(`data-credential="${second}"(?:(?!</li>)[\\s\\S])*data-status="revoked"`));
    expect(page.body).toContain('Download all (ZIP)');
  });

  it('toggles visibility with the CSRF token only, and only for the recipient\'s own credentials', async () => {
    const mine = await issue(orgA, achievementA, 'toggle@example.org');
    const theirs = await issue(orgA, achievementA, 'stranger@example.org');
    const {cookie, csrf} = await signIn('toggle@example.org');
    const url = `/portfolio/credentials/${mine}/visibility`;

    const noToken = await post(url, {visibility: 'private'}, {cookie});
    expect(noToken.statusCode).toBe(403);
    expect(noToken.json().code).toBe('CSRF_INVALID');
    const wrongToken = await post(url, {visibility: 'private', csrf: 'x'.repeat(43)}, {cookie});
    expect(wrongToken.statusCode).toBe(403);
    const crossSite = await post(url, {visibility: 'private', csrf}, {cookie, origin: 'https://evil.example'});
    expect(crossSite.statusCode).toBe(403);
    expect(crossSite.json().code).toBe('CSRF_INVALID');
    expect(await hiddenAt(mine)).toBeNull();

    const hidden = await post(url, {visibility: 'private', csrf}, {cookie, origin: 'http://localhost:80'});
    expect(hidden.statusCode).toBe(303);
    expect(await hiddenAt(mine)).toBeInstanceOf(Date);
    expect((await portfolio(cookie)).body).toContain(`data-credential="${mine}" data-visibility="private"`);

    // Someone else's credential, an unknown one: 404, nothing changes.
    const foreign = await post(`/portfolio/credentials/${theirs}/visibility`, {visibility: 'private', csrf}, {cookie});
    expect(foreign.statusCode).toBe(404);
    expect(foreign.json().code).toBe('CREDENTIAL_NOT_FOUND');
    expect(await hiddenAt(theirs)).toBeNull();
    expect((await post('/portfolio/credentials/nope/visibility', {visibility: 'private', csrf}, {cookie})).statusCode).toBe(404);
    expect((await post(url, {visibility: 'sideways', csrf}, {cookie})).statusCode).toBe(400);

    // The JSON variant, with the token in a header.
    const shown = await t.app.inject({method: 'POST', url, headers: {cookie, 'x-csrf-token': csrf}, payload: {visibility: 'public'}});
    expect(shown.statusCode).toBe(200);
    expect(shown.json()).toEqual({id: mine, visibility: 'public'});
    expect(await hiddenAt(mine)).toBeNull();
    const unsigned = await t.app.inject({method: 'POST', url, payload: {visibility: 'private'}});
    expect(unsigned.statusCode).toBe(401);

    // Each change is in the issuer's audit log, by the recipient (no address kept); a repeat writes nothing.
    const again = await t.app.inject({method: 'POST', url, headers: {cookie, 'x-csrf-token': csrf}, payload: {visibility: 'public'}});
    expect(again.statusCode).toBe(200);
    const log = (await api(t.app, orgA.apiKey).get(`/api/v1/audit?subjectId=${mine}&order=asc`)).json().items
      .filter((e: any) => e.action !== 'credential.issued');
    expect(log.map((e: any) => [e.action, e.actor, e.before, e.after])).toEqual([
      ['credential.hidden', {type: 'recipient'}, {visibility: 'public'}, {visibility: 'private'}],
      ['credential.shown', {type: 'recipient'}, {visibility: 'private'}, {visibility: 'public'}],
    ]);
    expect(JSON.stringify(log)).not.toContain('toggle@example.org');
    expect((await api(t.app, orgA.apiKey).get('/api/v1/audit/verify')).json()).toMatchObject({ok: true});
  });

  it('validates handles and keeps them unique', async () => {
    await issue(orgA, achievementA, 'handles@example.org');
    await issue(orgA, achievementA, 'rival-handle@example.org');
    const me = await signIn('handles@example.org');
    const them = await signIn('rival-handle@example.org');
    const save = (who: {cookie: string; csrf: string}, form: Record<string, string>) => post('/portfolio/profile', {csrf: who.csrf, ...form}, {cookie: who.cookie});

    for(const handle of ['ab', 'a'.repeat(31), 'bad_handle', 'spa ce', '-dash', 'dash-', 'admin', 'portfolio', 'ÅSA']) {
      const res = await save(me, {handle});
      expect(res.statusCode, handle).toBe(400);
      expect(res.body).toContain('data-code="HANDLE_INVALID"');
    }
    expect((await save(me, {profilePublic: 'on'})).statusCode).toBe(400); // public needs a handle
    expect((await save(me, {handle: 'x'.repeat(10), displayName: 'n'.repeat(101)})).statusCode).toBe(400);
    expect((await post('/portfolio/profile', {handle: 'no-csrf'}, {cookie: me.cookie})).statusCode).toBe(403);

    const ok = await save(me, {handle: '  Ada-L ', displayName: 'Ada L.', profilePublic: 'on'});
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/portfolio?saved=1');
    const page = await portfolio(me.cookie);
    expect(page.body).toContain('value="ada-l"');
    expect(page.body).toContain('href="/p/ada-l"');
    const taken = await save(them, {handle: 'ada-l'});
    expect(taken.statusCode).toBe(409);
    expect(taken.body).toContain('data-code="HANDLE_TAKEN"');
    const json = await t.app.inject({method: 'POST', url: '/portfolio/profile', headers: {cookie: them.cookie, 'x-csrf-token': them.csrf},
      payload: {handle: 'ADA-L'}});
    expect(json.statusCode).toBe(409);
    expect(json.json().code).toBe('HANDLE_TAKEN');
  });

  it('shows a public profile with the public, unrevoked credentials only', async () => {
    const shown = await issue(orgA, achievementA, 'profile@example.org');
    const hidden = await issue(orgB, achievementB, 'profile@example.org');
    const revoked = await issue(orgB, achievementB, 'profile@example.org');
    expect((await api(t.app, orgB.apiKey).post(`/api/v1/credentials/${revoked}/revoke`, {reason: 'Issued in error'})).statusCode).toBe(200);
    const other = await issue(orgA, achievementA, 'not-profile@example.org');
    const me = await signIn('profile@example.org');
    expect((await post(`/portfolio/credentials/${hidden}/visibility`, {visibility: 'private', csrf: me.csrf}, {cookie: me.cookie})).statusCode).toBe(303);

    // Not public yet: 404, the same as a handle nobody has.
    expect((await post('/portfolio/profile', {csrf: me.csrf, handle: 'lin-profile', displayName: 'Lin <Profile>'}, {cookie: me.cookie})).statusCode).toBe(303);
    expect((await t.app.inject({method: 'GET', url: '/p/lin-profile'})).statusCode).toBe(404);
    expect((await t.app.inject({method: 'GET', url: '/p/nobody-here'})).statusCode).toBe(404);
    expect((await post('/portfolio/profile', {csrf: me.csrf, handle: 'lin-profile', displayName: 'Lin <Profile>', profilePublic: 'on'}, {cookie: me.cookie})).statusCode).toBe(303);

    const profile = await t.app.inject({method: 'GET', url: '/p/lin-profile'});
    expect(profile.statusCode).toBe(200);
    expect(profile.body).toContain('Lin &lt;Profile&gt;');
    expect(listed(profile.body)).toEqual([shown]);
    expect(profile.body).toContain(`href="/c/${shown}"`);
    expect(profile.body).toContain(`src="/c/${shown}/badge.png"`);
    for(const id of [hidden, revoked, other]) expect(profile.body).not.toContain(id);
    expect(profile.body).not.toContain('profile@example.org');
    const sv = await t.app.inject({method: 'GET', url: '/p/lin-profile', headers: {'accept-language': 'sv-SE,sv;q=0.9'}});
    expect(sv.body).toContain('<html lang="sv"');
    expect(sv.body).toContain('Utfärdat av');
    // Shown again: back on the profile.
    await post(`/portfolio/credentials/${hidden}/visibility`, {visibility: 'public', csrf: me.csrf}, {cookie: me.cookie});
    expect(listed((await t.app.inject({method: 'GET', url: '/p/lin-profile'})).body).sort()).toEqual([shown, hidden].sort());
  });

  it('exports every credential (private ones too) as a ZIP of the exact stored documents, with safe names', async () => {
    const hostile = await createOrg(t.app, {name: '../../etc/passwd\u0007', slug: 'hostile'});
    const hostileAchievement = (await api(t.app, hostile.apiKey).post('/api/v1/achievements', {...ACHIEVEMENT, name: '..\\..\\boot.ini / <x>'})).json().id;
    const a = await issue(orgA, achievementA, 'zip@example.org');
    const b = await issue(orgB, achievementB, 'ZIP@example.org');
    await t.db.query(`UPDATE credentials SET recipient_email = ' ZIP@example.org ' WHERE id = $1`, [b]);
    const c = await issue(hostile, hostileAchievement, 'zip@example.org');
    await issue(orgA, achievementA, 'not-zip@example.org');
    const me = await signIn('zip@example.org');
    await post(`/portfolio/credentials/${b}/visibility`, {visibility: 'private', csrf: me.csrf}, {cookie: me.cookie});

    const res = await t.app.inject({method: 'GET', url: '/portfolio/export.zip', headers: {cookie: me.cookie}});
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/zip');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="credentials-\d{4}-\d{2}-\d{2}\.zip"$/);
    const dir = mkdtempSync(join(tmpdir(), 'laurel-zip-'));
    try {
      const file = join(dir, 'export.zip');
      writeFileSync(file, res.rawPayload);
      const names = execFileSync('unzip', ['-Z1', file], {encoding: 'utf8'}).trim().split('\n');
      // The JSON and the certificate PDF of all three, the private one included (the export is its owner's).
      expect(names.filter(n => n.endsWith('.json'))).toHaveLength(3);
      expect(names.filter(n => n.endsWith('.pdf')).sort()).toEqual(names.filter(n => n.endsWith('.json'))
        .map(n => n.replace(/\.json$/, '.pdf')).sort());
      expect(names).toContain(`Rival Institute/Safety First-${b}.pdf`);
      for(const name of names.filter(n => n.endsWith('.pdf'))) {
        expect(execFileSync('unzip', ['-p', file, name]).subarray(0, 5).toString('latin1')).toBe('%PDF-');
      }
      for(const name of names) {
        expect(name).toMatch(/^[^/]+\/[^/]+\.(json|pdf)$/);
        expect(name.split('/').some(part => part === '..' || part === '.' || part.startsWith('.'))).toBe(false);
        expect(name).not.toMatch(/[\u0000-\u001f\\<>]/);
      }
      const byId = (id: string) => names.find(n => n.endsWith(`-${id}.json`))!;
      expect(names).toContain(`Acme Academy/Data Literacy-${a}.pdf`);
      expect(byId(a)).toBe(`Acme Academy/Data Literacy-${a}.json`);
      expect(byId(b)).toBe(`Rival Institute/Safety First-${b}.json`);
      expect(byId(c)).toBeDefined();
      for(const id of [a, b, c]) {
        const stored = (await t.db.query<{document: string}>('SELECT document FROM credentials WHERE id = $1', [id])).rows[0].document;
        expect(execFileSync('unzip', ['-p', file, byId(id)], {encoding: 'utf8'})).toBe(stored);
      }
      // Nothing escapes the extraction directory.
      const out = join(dir, 'out');
      execFileSync('unzip', ['-q', file, '-d', out]);
      expect(readdirSync(dir).sort()).toEqual(['export.zip', 'out']);
    } finally {
      rmSync(dir, {recursive: true, force: true});
    }
  });

  it('names export files by the credential id verbatim, even one that starts with or doubles a dash', () => {
    for(const id of ['-zlpULip4K2vQ9wWm1pXbA', 'ab--cd_EF-', '_x', 'A'.repeat(22)]) {
      expect(exportName({issuer_name: 'Acme Academy', achievement_name: 'Data Literacy', id})).toBe(`Acme Academy/Data Literacy-${id}`);
    }
    expect(exportName({issuer_name: '../x', achievement_name: '..', id: '../../etc'})).toBe('x/credential-etc');
  });

  it('reads a portfolio no faster than its ZIP is downloaded: a client that stops reading holds two pages', async () => {
    const email = 'slow-reader@example.org';
    for(let i = 0; i < 250; i += 25) await Promise.all(Array.from({length: 25}, (_, j) => issue(orgA, achievementA, email, `Reader ${i + j}`)));
    const portfolio = t.services.portfolio;
    const realPdf = portfolio.pdf;
    let rendered = 0;
    portfolio.pdf = async () => { rendered++; return Buffer.alloc(32 * 1024, 0x25); };
    const dir = mkdtempSync(join(tmpdir(), 'laurel-zip-'));
    try {
      const stream = portfolio.exportZip({email, csrfToken: '', tokenHash: Buffer.alloc(0)}, {error: () => undefined, warn: () => undefined});
      // Nobody reads: the export renders the first two pages of 100, then waits.
      let seen = -1;
      while(seen !== rendered) {
        seen = rendered;
        await new Promise(resolve => setTimeout(resolve, 300));
      }
      expect(rendered).toBe(200);
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      expect(rendered).toBe(250);
      const file = join(dir, 'export.zip');
      writeFileSync(file, Buffer.concat(chunks));
      const names = execFileSync('unzip', ['-Z1', file], {encoding: 'utf8'}).trim().split('\n');
      expect(names.filter(n => n.endsWith('.json'))).toHaveLength(250);
      expect(names.filter(n => n.endsWith('.pdf'))).toHaveLength(250);
      execFileSync('unzip', ['-tq', file]);
    } finally {
      portfolio.pdf = realPdf;
      rmSync(dir, {recursive: true, force: true});
    }
  });

  it('signs out: the session is revoked, the cookie cleared', async () => {
    await issue(orgA, achievementA, 'leaving@example.org');
    const me = await signIn('leaving@example.org');
    expect((await post('/portfolio/sign-out', {}, {cookie: me.cookie})).statusCode).toBe(403);
    const out = await post('/portfolio/sign-out', {csrf: me.csrf}, {cookie: me.cookie});
    expect(out.statusCode).toBe(303);
    expect(out.headers.location).toBe('/portfolio/sign-in');
    expect(String(out.headers['set-cookie'])).toMatch(/laurel_session=;.*Expires=Thu, 01 Jan 1970/);
    const after = await portfolio(me.cookie);
    expect(after.statusCode).toBe(303);
    const revoked = await t.db.query<{n: string}>(`SELECT count(*)::text AS n FROM recipient_sessions WHERE email = 'leaving@example.org' AND revoked_at IS NOT NULL`);
    expect(revoked.rows[0].n).toBe('1');
  });

  it('speaks Swedish, in pages and in the sign-in email', async () => {
    await issue(orgA, achievementA, 'svensk@example.org');
    const sv = {'accept-language': 'sv-SE,sv;q=0.9,en;q=0.5'};
    const form = await t.app.inject({method: 'GET', url: '/portfolio/sign-in', headers: sv});
    expect(form.body).toContain('<html lang="sv"');
    expect(form.body).toContain('Mejla mig en inloggningslänk');
    const asked = await requestLink('svensk@example.org', sv);
    expect(asked.body).toContain('Titta i din e-post');
    const token = await nextLink('svensk@example.org');
    const mail = (await outbox(outboxDir)).find(m => m.text?.includes(token))!;
    expect(mail.subject).toBe('Logga in till dina intyg på laurel.test');
  });
});

describe.each(BACKENDS)('portfolio sign-in over SMTP on %s', kind => {
  const received: {to: string[]; raw: Buffer}[] = [];
  const server = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS'], logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({to: session.envelope.rcptTo.map(r => r.address), raw: Buffer.concat(chunks)});
        callback(null);
      });
    },
  });
  let t: TestLaurel;

  beforeAll(async () => {
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    const port = (server.server.address() as {port: number}).port;
    t = await startLaurel(kind, {mail: {smtpUrl: `smtp://127.0.0.1:${port}`, rate: 0}, jobs: {pollingIntervalSeconds: 0.5}});
  });
  afterAll(async () => {
    await t?.close();
    await new Promise<void>(resolve => server.close(() => resolve()));
  });

  it('sends the link through SMTP_URL and signs in with it', async () => {
    const org = await createOrg(t.app, {name: 'SMTP School', slug: 'smtp-school'});
    const achievement = (await api(t.app, org.apiKey).post('/api/v1/achievements', ACHIEVEMENT)).json().id;
    const issued = await api(t.app, org.apiKey).post('/api/v1/credentials', {achievementId: achievement, recipient: {name: 'Sam', email: 'Sam@Example.org'}});
    expect(issued.statusCode).toBe(201);
    const asked = await t.app.inject({method: 'POST', url: '/portfolio/sign-in', headers: FORM, payload: 'email=sam%40example.org'});
    expect(asked.statusCode).toBe(200);
    const mail = await eventually(async () => {
      for(const r of received) {
        const parsed = await simpleParser(r.raw);
        if(r.to.includes('sam@example.org') && TOKEN_IN_TEXT.test(parsed.text ?? '')) return parsed;
      }
      return undefined;
    });
    expect(header(mail, 'auto-submitted')).toBe('auto-generated');
    const token = TOKEN_IN_TEXT.exec(mail.text!)![1];
    const used = await t.app.inject({method: 'POST', url: '/portfolio/auth', headers: FORM, payload: `token=${token}`});
    expect(used.statusCode).toBe(303);
    const cookie = /laurel_session=[^;]+/.exec(String(used.headers['set-cookie']))![0];
    const page = await t.app.inject({method: 'GET', url: '/portfolio', headers: {cookie}});
    expect(page.body).toContain(`data-credential="${issued.json().id}"`);
  });
});

/** A header's value as text. */
function header(mail: ParsedMail, name: string): string | undefined {
  const value = mail.headers.get(name);
  return typeof value === 'string' ? value : undefined;
}
