// PGlite's buffer cache for a data directory: the default (32 MB) and LAUREL_PGLITE_SHARED_BUFFERS,
// applied at open and kept across restarts; bad values are refused before anything is opened.
import {mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {afterAll, describe, expect, it} from 'vitest';
import {loadConfig} from '../src/config.js';
import {DEFAULT_PGLITE_SHARED_BUFFERS, openPglite} from '../src/db/pglite.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach(dir => rmSync(dir, {recursive: true, force: true})));

const sharedBuffers = async (db: Awaited<ReturnType<typeof openPglite>>) =>
  (await db.query<{shared_buffers: string}>('SHOW shared_buffers')).rows[0].shared_buffers;

describe('PGlite shared_buffers', () => {
  it('gives a data directory 32 MB by default, keeps a chosen size across restarts, and changes it when asked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'laurel-buffers-'));
    dirs.push(dir);
    const pgdata = join(dir, 'pgdata');
    let db = await openPglite(pgdata);
    expect(await sharedBuffers(db)).toBe(DEFAULT_PGLITE_SHARED_BUFFERS);
    await db.close();
    db = await openPglite(pgdata, {sharedBuffers: '24MB'});
    expect(await sharedBuffers(db)).toBe('24MB');
    await db.query('CREATE TABLE kept (x int)');
    await db.close();
    // The same size written another way is the same setting; the data survived the reopen.
    db = await openPglite(pgdata, {sharedBuffers: '24576kB'});
    expect(await sharedBuffers(db)).toBe('24MB');
    expect((await db.query('SELECT count(*)::int AS n FROM kept')).rows).toEqual([{n: 0}]);
    await db.close();
  }, 60_000);

  it('refuses a size that is not one, in the configuration and at open', async () => {
    expect(loadConfig({}).pgliteSharedBuffers).toBe('32MB');
    expect(loadConfig({LAUREL_PGLITE_SHARED_BUFFERS: '128MB'}).pgliteSharedBuffers).toBe('128MB');
    for(const bad of ['32', '32 MB', "32MB'; DROP TABLE x; --", '0MB', '-1GB']) {
      expect(() => loadConfig({LAUREL_PGLITE_SHARED_BUFFERS: bad}), bad).toThrow(/LAUREL_PGLITE_SHARED_BUFFERS must be a size/);
    }
    const dir = mkdtempSync(join(tmpdir(), 'laurel-buffers-'));
    dirs.push(dir);
    await expect(openPglite(join(dir, 'pgdata'), {sharedBuffers: "1MB'"})).rejects.toThrow(/shared_buffers must be a size/);
    // Nothing was opened or locked: the directory opens now.
    const db = await openPglite(join(dir, 'pgdata'));
    await db.close();
  }, 60_000);
});
