import {spawnSync} from 'node:child_process';
import {existsSync, mkdtempSync, readFileSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {describe, expect, it} from 'vitest';
import {DirectoryInUseError, lockDirectory} from '../src/db/dir-lock.js';

describe('data directory lock', () => {
  it('refuses a second holder and releases on demand', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'laurel-lock-')), 'pgdata');
    const release = lockDirectory(dir);
    expect(readFileSync(`${dir}.lock`, 'utf8')).toBe(String(process.pid));
    expect(() => lockDirectory(dir)).toThrow(DirectoryInUseError);
    release();
    expect(existsSync(`${dir}.lock`)).toBe(false);
    lockDirectory(dir)();
  });

  it('refuses a lock held by another live process', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'laurel-lock-')), 'pgdata');
    writeFileSync(`${dir}.lock`, String(process.ppid));
    expect(() => lockDirectory(dir)).toThrow(/in use by another Laurel process/);
  });

  it('takes over a lock left by a process that died (kill -9)', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'laurel-lock-')), 'pgdata');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(`${dir}.lock`, String(dead));
    const release = lockDirectory(dir);
    expect(readFileSync(`${dir}.lock`, 'utf8')).toBe(String(process.pid));
    release();
  });
});
