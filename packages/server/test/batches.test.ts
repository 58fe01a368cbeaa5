// Bulk issuance through the HTTP API, on every backend: CSV and .xlsx uploads (multipart),
// JSON rows, dry runs, the batch job, progress, errors.csv, idempotency, cancel, bad files.
import ExcelJS from 'exceljs';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';
import {ACHIEVEMENT, eventually, api, BACKENDS, createOrg, startLaurel, type TestLaurel} from './harness.js';


/** A multipart/form-data body: text fields first, then the file. */
function multipart(fields: Record<string, string>, file?: {name: string; type: string; data: Buffer | string}) {
  const boundary = `----laurel${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for(const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  if(file) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\nContent-Type: ${file.type}\r\n\r\n`));
    parts.push(Buffer.isBuffer(file.data) ? file.data : Buffer.from(file.data));
    parts.push(Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return {payload: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}`};
}

const MAPPING = JSON.stringify({name: 'Full name', email: 'E-mail', validUntil: 'Valid until', fields: {grade: 'Grade'}});

describe.each(BACKENDS)('bulk issuance (%s)', kind => {
  let t: TestLaurel;
  let key: string;
  let otherKey: string;
  let achievementId: string;

  const upload = (body: {payload: Buffer; contentType: string}, query = '', headers: Record<string, string> = {}, apiKey = key) =>
    t.app.inject({method: 'POST', url: `/api/v1/batches${query}`, payload: body.payload,
      headers: {authorization: `Bearer ${apiKey}`, 'content-type': body.contentType, ...headers}});
  const csv = (text: string, fields: Record<string, string> = {}) =>
    multipart({achievementId, mapping: MAPPING, ...fields}, {name: 'cohort.csv', type: 'text/csv', data: text});
  const finished = (id: string) => eventually(async () => {
    const view = (await api(t.app, key).get(`/api/v1/batches/${id}`)).json();
    return ['completed', 'failed', 'cancelled'].includes(view.status) ? view : undefined;
  });

  beforeAll(async () => {
    t = await startLaurel(kind);
    ({apiKey: key} = await createOrg(t.app, {slug: 'acme'}));
    ({apiKey: otherKey} = await createOrg(t.app, {slug: 'other', name: 'Other'}));
    achievementId = (await api(t.app, key).post('/api/v1/achievements', {...ACHIEVEMENT, validityMonths: 12})).json().id;
  });
  afterAll(() => t.close());

  const GOOD = 'Full name,E-mail,Valid until,Grade\nAda Lovelace,ada@example.org,2030-01-01,A\nGrace Hopper,grace@example.org,,B\n';

  it('issues a CSV upload in the background: 202, progress, every credential verifies', async () => {
    const res = await upload(csv(GOOD, {sendEmail: 'false'}));
    expect(res.statusCode, res.body).toBe(202);
    const batch = res.json();
    expect(batch).toMatchObject({status: 'queued', achievementId, source: 'csv', filename: 'cohort.csv', sendEmail: false,
      progress: {total: 2, valid: 2, invalid: 0}});
    expect(res.headers.location).toBe(`/api/v1/batches/${batch.id}`);
    const done = await finished(batch.id);
    expect(done).toMatchObject({status: 'completed', progress: {total: 2, issued: 2, failed: 0, pending: 0, etaSeconds: 0}});
    const list = (await api(t.app, key).get(`/api/v1/credentials?achievementId=${achievementId}&limit=200`)).json().items;
    const ada = list.find((c: any) => c.recipient.name === 'Ada Lovelace');
    expect(ada).toMatchObject({recipient: {email: 'ada@example.org'}, validUntil: '2030-01-01T00:00:00.000Z'});
    expect((await t.services.verification.verify(ada.credential)).verified).toBe(true);
    // Listed among the organization's batches; not another organization's.
    expect((await api(t.app, key).get('/api/v1/batches')).json().items.map((b: any) => b.id)).toContain(batch.id);
    expect((await api(t.app, otherKey).get(`/api/v1/batches/${batch.id}`)).statusCode).toBe(404);
  });

  it('dry run: a report row by row, nothing issued', async () => {
    const text = 'Full name,E-mail,Valid until,Grade\n' +
      'Ada,ada@example,2030-01-01,A\n' +     // bad email
      ',nobody@example.org,,B\n' +            // missing name
      'Bob,bob@example.org,01/02/2030,C\n' +  // wrong date format
      'Eve,eve@example.org,,"=HYPERLINK(""http://x"")"\n' + // formula
      'Ann,ann@example.org,,A\n' +
      'Ann Again,ann@example.org,,A\n';       // duplicate recipient (flagged)
    const before = (await api(t.app, key).get('/api/v1/credentials?limit=200')).json().items.length;
    const res = await upload(csv(text), '?dryRun=true');
    expect(res.statusCode, res.body).toBe(200);
    const report = res.json();
    expect(report.rows).toMatchObject({total: 6, valid: 2, invalid: 4});
    const codes = report.errors.map((e: any) => [e.row, e.column, e.code]);
    expect(codes).toEqual(expect.arrayContaining([[2, 'E-mail', 'EMAIL_INVALID'], [3, 'Full name', 'NAME_MISSING'],
      [4, 'Valid until', 'DATE_INVALID'], [5, 'Grade', 'FORMULA_LIKE']]));
    expect(report.warnings.map((w: any) => [w.row, w.code])).toContainEqual([7, 'DUPLICATE_RECIPIENT']);
    expect((await api(t.app, key).get('/api/v1/credentials?limit=200')).json().items.length).toBe(before);
    // An unknown column in the mapping.
    const wrong = await upload(multipart({achievementId, mapping: JSON.stringify({name: 'Fullname'})}, {name: 'a.csv', type: 'text/csv', data: GOOD}), '?dryRun=true');
    expect(wrong.statusCode).toBe(200);
    expect(wrong.json().errors[0]).toMatchObject({code: 'UNKNOWN_COLUMN', column: 'Fullname'});
  });

  it('issues the valid rows and reports the invalid ones; errors.csv is formula-safe', async () => {
    const text = 'Full name,E-mail,Valid until,Grade\nAda,ada@example.org,,A\n"=cmd|\' /C calc\'!A0",x@example.org,,B\nBob,not-an-email,,C\n';
    const res = await upload(csv(text, {sendEmail: 'false'}));
    expect(res.statusCode, res.body).toBe(202);
    const done = await finished(res.json().id);
    expect(done.progress).toMatchObject({total: 3, valid: 1, invalid: 2, issued: 1, failed: 2});
    const errors = await api(t.app, key).get(`/api/v1/batches/${done.id}/errors.csv`);
    expect(errors.statusCode).toBe(200);
    expect(errors.headers['content-type']).toMatch(/^text\/csv/);
    const lines = errors.body.trim().split('\r\n');
    expect(lines[0]).toBe('"row","column","code","message","input"');
    expect(lines.some(l => l.startsWith('"3","Full name","FORMULA_LIKE"'))).toBe(true);
    expect(lines.some(l => l.startsWith('"4","E-mail","EMAIL_INVALID"'))).toBe(true);
    // No cell starts with a formula character.
    for(const line of lines) for(const cell of line.split('","')) expect(cell.replace(/^"/, '')).not.toMatch(/^[=+@-]/);
    expect((await api(t.app, otherKey).get(`/api/v1/batches/${done.id}/errors.csv`)).statusCode).toBe(404);
  });

  it('does not issue twice for the same Idempotency-Key', async () => {
    const first = await upload(csv(GOOD, {sendEmail: 'false'}), '', {'idempotency-key': 'cohort-2026-03'});
    expect(first.statusCode).toBe(202);
    await finished(first.json().id);
    const again = await upload(csv(GOOD, {sendEmail: 'false'}), '', {'idempotency-key': 'cohort-2026-03'});
    expect(again.statusCode).toBe(202);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.json().id).toBe(first.json().id);
    const {rows} = await t.db.query<{n: number}>(`SELECT count(*)::int AS n FROM batch_rows WHERE batch_id = $1`, [first.json().id]);
    expect(rows[0].n).toBe(2);
  });

  it('reads .xlsx uploads', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('Cohort');
    ws.addRow(['Full name', 'E-mail', 'Valid until', 'Grade']);
    ws.addRow(['Åsa Öberg', 'asa@example.se', new Date(Date.UTC(2031, 5, 1)), 'A']);
    const data = Buffer.from(await wb.xlsx.writeBuffer());
    const res = await upload(multipart({achievementId, mapping: MAPPING, sendEmail: 'false'},
      {name: 'cohort.xlsx', type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', data}));
    expect(res.statusCode, res.body).toBe(202);
    const done = await finished(res.json().id);
    expect(done.progress).toMatchObject({issued: 1, failed: 0});
    const c = (await api(t.app, key).get('/api/v1/credentials?q=%C3%85sa')).json().items[0];
    expect(c).toMatchObject({recipient: {name: 'Åsa Öberg'}, validUntil: '2031-06-01T00:00:00.000Z'});
  });

  it('guesses the mapping from the header when none is sent', async () => {
    const res = await upload(multipart({achievementId, sendEmail: 'false'}, {name: 'plain.csv', type: 'text/csv',
      data: 'Name,E-mail\nGuessed One,g1@example.org\n'}));
    expect(res.statusCode, res.body).toBe(202);
    expect((await finished(res.json().id)).progress).toMatchObject({issued: 1});
    const unguessable = await upload(multipart({achievementId}, {name: 'x.csv', type: 'text/csv', data: 'Foo,Bar\n1,2\n'}));
    expect(unguessable.statusCode).toBe(422);
    expect(unguessable.json().errors[0].path).toBe('mapping');
  });

  it('signs a large chunk on the signing threads: every credential verifies and has its own slot', async () => {
    const rows = Array.from({length: 150}, (_, i) => ({name: `Threaded ${i}`, email: `t${i}@example.org`}));
    const before = t.services.credentials.signedOnThreads;
    const res = await api(t.app, key).post('/api/v1/batches', {achievementId, sendEmail: false, rows});
    expect(res.statusCode, res.body).toBe(202);
    const done = await finished(res.json().id);
    expect(done.progress).toMatchObject({total: 150, issued: 150, failed: 0});
    expect(t.services.credentials.signedOnThreads - before).toBe(150);
    const {rows: stored} = await t.db.query<{document: string; status_list_id: string; status_index: number}>(
      `SELECT c.document, c.status_list_id, c.status_index FROM batch_rows b JOIN credentials c ON c.id = b.credential_id WHERE b.batch_id = $1`, [done.id]);
    expect(stored).toHaveLength(150);
    expect(new Set(stored.map(r => `${r.status_list_id}#${r.status_index}`)).size).toBe(150);
    for(const r of stored.filter((_, i) => i % 15 === 0)) {
      const vc = JSON.parse(r.document);
      expect(vc.credentialSubject.identifier[1].identityHash).toMatch(/^Threaded \d+$/);
      expect((await t.services.verification.verify(vc)).verified).toBe(true);
    }
  });

  it('never issues a row twice when runs of one batch overlap (a retried job next to a stale one)', async () => {
    // Each run takes a chunk in one transaction and stores it, signed meanwhile, in the next: between
    // the two the rows are unlocked, so another run may take them too. Only the first to store them
    // issues them; the other leaves them, and its status slots stay unused.
    const {apiKey} = await createOrg(t.app, {slug: `race-${kind}`, name: 'Race'});
    const ach = (await api(t.app, apiKey).post('/api/v1/achievements', ACHIEVEMENT)).json().id;
    const rows = Array.from({length: 320}, (_, i) => ({name: `Racer ${i}`, email: `r${i}@example.org`}));
    const res = await api(t.app, apiKey).post('/api/v1/batches', {achievementId: ach, sendEmail: false, rows});
    expect(res.statusCode, res.body).toBe(202);
    const id = res.json().id;
    // Two more runs beside the job's own.
    await Promise.all([t.services.batches.run(id), t.services.batches.run(id)]);
    const done = await eventually(async () => {
      const view = (await api(t.app, apiKey).get(`/api/v1/batches/${id}`)).json();
      return view.status === 'completed' ? view : undefined;
    });
    expect(done.progress).toMatchObject({total: 320, issued: 320, failed: 0, pending: 0});
    const {rows: issued} = await t.db.query<{row_number: number; credential_id: string | null; status_list_id: string; status_index: number}>(
      `SELECT b.row_number, b.credential_id, c.status_list_id, c.status_index FROM batch_rows b LEFT JOIN credentials c ON c.id = b.credential_id
        WHERE b.batch_id = $1`, [id]);
    expect(issued).toHaveLength(320);
    expect(issued.every(r => r.credential_id !== null && r.status_list_id !== null)).toBe(true);
    const {rows: [{n}]} = await t.db.query<{n: number}>(
      `SELECT count(*)::int AS n FROM credentials WHERE achievement_id = $1`, [ach]);
    expect(n).toBe(320);
    expect(new Set(issued.map(r => `${r.status_list_id}#${r.status_index}`)).size).toBe(320);
    const {rows: [{unused}]} = await t.db.query<{unused: number}>(
      `SELECT count(*)::int AS unused FROM status_entries s JOIN achievements a ON a.organization_id = s.organization_id
        WHERE a.id = $1 AND s.credential_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM credentials c WHERE c.id = s.credential_id)`, [ach]);
    // On PGlite the runs' transactions alternate (one connection), so the overlap surely happened.
    if(kind === 'pglite') expect(unused).toBeGreaterThan(0);
    const audit = await t.db.query<{n: number}>(
      `SELECT count(*)::int AS n FROM audit_entries e JOIN achievements a ON a.organization_id = e.organization_id
        WHERE a.id = $1 AND e.action = 'credential.issued'`, [ach]);
    expect(audit.rows[0].n).toBe(320);
  });

  it('accepts JSON rows', async () => {
    const res = await api(t.app, key).post('/api/v1/batches', {achievementId, sendEmail: false,
      rows: [{name: 'Json One', email: 'one@example.org'}, {name: 'Json Two', did: 'did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK'}, {name: ''}]});
    expect(res.statusCode, res.body).toBe(202);
    const done = await finished(res.json().id);
    expect(done.progress).toMatchObject({total: 3, issued: 2, invalid: 1});
  });

  it('refuses bad files with a clear problem and keeps nothing', async () => {
    const cases: [string, {payload: Buffer; contentType: string}, number, string][] = [
      ['empty file', csv(''), 422, 'FILE_EMPTY'],
      ['header only', csv('Full name,E-mail,Valid until,Grade\n'), 422, 'HEADER_ONLY'],
      ['mixed delimiters', csv('Full name;E-mail;Valid until;Grade\nAda,ada@example.org,,A\n'), 422, 'NO_VALID_ROWS'],
      ['not a spreadsheet', multipart({achievementId, mapping: MAPPING}, {name: 'cohort.pdf', type: 'application/pdf', data: '%PDF-1.7'}), 415, 'FORMAT_UNKNOWN'],
    ];
    const before = (await t.db.query<{n: number}>('SELECT count(*)::int AS n FROM batches')).rows[0].n;
    for(const [name, body, status, reason] of cases) {
      const res = await upload(body);
      expect(res.statusCode, `${name}: ${res.body}`).toBe(status);
      expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(res.json().reason, name).toBe(reason);
      if(reason === 'NO_VALID_ROWS') expect(res.json().report.errors[0]).toMatchObject({row: 2, code: 'MIXED_DELIMITERS'});
    }
    expect((await t.db.query<{n: number}>('SELECT count(*)::int AS n FROM batches')).rows[0].n).toBe(before);
    // Missing fields, a bad mapping, an unknown achievement.
    expect((await upload(multipart({mapping: MAPPING}, {name: 'a.csv', type: 'text/csv', data: GOOD}))).statusCode).toBe(400);
    expect((await upload(multipart({achievementId, mapping: '{"name": 1}'}, {name: 'a.csv', type: 'text/csv', data: GOOD}))).statusCode).toBe(400);
    expect((await upload(multipart({achievementId: 'nope', mapping: MAPPING}, {name: 'a.csv', type: 'text/csv', data: GOOD}))).statusCode).toBe(404);
    expect((await upload(multipart({achievementId, mapping: MAPPING}))).statusCode).toBe(400);
  });

  it('refuses a file over the row limit early', async () => {
    const limited = await startLaurel(kind, {uploadLimits: {maxRows: 100, maxBytes: 10 * 1024 * 1024, maxFieldLength: 4096}});
    try {
      const {apiKey} = await createOrg(limited.app, {slug: 'limited'});
      const ach = (await api(limited.app, apiKey).post('/api/v1/achievements', ACHIEVEMENT)).json().id;
      let text = 'Full name,E-mail,Valid until,Grade\n';
      for(let i = 0; i < 5000; i++) text += `Learner ${i},l${i}@example.org,,A\n`;
      const res = await limited.app.inject({method: 'POST', url: '/api/v1/batches', ...(() => {
        const b = multipart({achievementId: ach, mapping: MAPPING}, {name: 'big.csv', type: 'text/csv', data: text});
        return {payload: b.payload, headers: {authorization: `Bearer ${apiKey}`, 'content-type': b.contentType}};
      })()});
      expect(res.statusCode).toBe(413);
      expect(res.json()).toMatchObject({code: 'BATCH_TOO_LARGE', reason: 'TOO_MANY_ROWS'});
    } finally {
      await limited.close();
    }
  });

  it('can be cancelled before it runs; rows not yet issued stay unissued; a finished batch cannot', async () => {
    // No worker in this instance: the batch waits in the queue, so the cancel comes first.
    const idle = await startLaurel(kind, {jobs: {workers: false}});
    try {
      const {apiKey} = await createOrg(idle.app, {slug: 'idle'});
      const ach = (await api(idle.app, apiKey).post('/api/v1/achievements', ACHIEVEMENT)).json().id;
      const b = multipart({achievementId: ach, mapping: MAPPING, sendEmail: 'false'}, {name: 'a.csv', type: 'text/csv', data: GOOD});
      const res = await idle.app.inject({method: 'POST', url: '/api/v1/batches', payload: b.payload,
        headers: {authorization: `Bearer ${apiKey}`, 'content-type': b.contentType}});
      expect(res.statusCode).toBe(202);
      const id = res.json().id;
      const cancelled = await api(idle.app, apiKey).post(`/api/v1/batches/${id}/cancel`);
      expect(cancelled.statusCode).toBe(200);
      expect(cancelled.json()).toMatchObject({status: 'cancelled', progress: {issued: 0, pending: 2}});
      // Running it now (as a worker would) issues nothing.
      await idle.services.batches.run(id);
      expect((await api(idle.app, apiKey).get(`/api/v1/batches/${id}`)).json()).toMatchObject({status: 'cancelled', progress: {issued: 0}});
      expect((await api(idle.app, apiKey).get('/api/v1/credentials')).json().items).toEqual([]);
      expect((await api(idle.app, apiKey).post(`/api/v1/batches/${id}/cancel`)).statusCode).toBe(200);
    } finally {
      await idle.close();
    }
    const res = await upload(csv(GOOD, {sendEmail: 'false'}));
    const done = await finished(res.json().id);
    expect(done.status).toBe('completed');
    const late = await api(t.app, key).post(`/api/v1/batches/${done.id}/cancel`);
    expect(late.statusCode).toBe(409);
    expect(late.json().code).toBe('BATCH_FINISHED');
  });
});

// Real concurrency: another run's open transaction holding rows exists only on PostgreSQL (PGlite has one connection).
describe.runIf(BACKENDS.includes('postgres'))('bulk issuance next to another run (postgres)', () => {
  it('leaves a batch running, not completed, while another run holds its last pending rows', async () => {
    // An instance that runs no jobs, so that the only runs are the ones this test makes.
    const quiet = await startLaurel('postgres', {jobs: {workers: false}});
    let release = () => {};
    try {
      const {apiKey} = await createOrg(quiet.app, {slug: 'held'});
      const ach = (await api(quiet.app, apiKey).post('/api/v1/achievements', ACHIEVEMENT)).json().id;
      const rows = Array.from({length: 60}, (_, i) => ({name: `Held ${i}`, email: `h${i}@example.org`}));
      const res = await api(quiet.app, apiKey).post('/api/v1/batches', {achievementId: ach, sendEmail: false, rows});
      expect(res.statusCode, res.body).toBe(202);
      const id = res.json().id;
      const view = async () => (await api(quiet.app, apiKey).get(`/api/v1/batches/${id}`)).json();
      // Rows 1–10 held as another run's open transaction holds the chunk it is issuing.
      const released = new Promise<void>(resolve => { release = resolve; });
      let holding!: () => void;
      const held = new Promise<void>(resolve => { holding = resolve; });
      const holder = quiet.db.transaction(async tx => {
        await tx.query('SELECT row_number FROM batch_rows WHERE batch_id = $1 AND row_number <= 10 FOR UPDATE', [id]);
        holding();
        await released;
      });
      await held;
      await quiet.services.batches.run(id);
      // It issued every row it could take and left the held ones, without calling the batch completed.
      expect(await view()).toMatchObject({status: 'running', progress: {total: 60, issued: 50, pending: 10}});
      // The holder was a run that died (its transaction ends without issuing them): a retry finishes the batch.
      release();
      await holder;
      await quiet.services.batches.run(id);
      expect(await view()).toMatchObject({status: 'completed', progress: {total: 60, issued: 60, pending: 0}});
    } finally {
      release();
      await quiet.close();
    }
  });
});
