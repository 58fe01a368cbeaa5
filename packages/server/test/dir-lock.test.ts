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
    expect(readFileSync(`${dir}.lock`, 'utf8')).toMatch(new RegExp(`^${process.pid} \\d+$`));
    expect(() => lockDirectory(dir)).toThrow(DirectoryInUseError);
    release();
    expect(existsSync(`${dir}.lock`)).toBe(false);
    lockDirectory(dir)();
  });

  it('refuses a lock held by another live process', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'laurel-lock-')), 'pgdata');
    // Recorded as the live parent process, with its real start time.
    const started = readFileSync(`/proc/${process.ppid}/stat`, 'utf8').split(') ')[1].split(' ')[19];
    writeFileSync(`${dir}.lock`, `${process.ppid} ${started}`);
    expect(() => lockDirectory(dir)).toThrow(/in use by another Laurel process/);
  });

  it('takes over a lock whose PID now belongs to an unrelated process (a restarted container)', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'laurel-lock-')), 'pgdata');
    // The parent process is alive, but it started at another time than the one recorded.
    writeFileSync(`${dir}.lock`, `${process.ppid} 1`);
    const release = lockDirectory(dir);
    release();
    // A lock with our own PID that we do not hold is a previous life of this PID.
    writeFileSync(`${dir}.lock`, `${process.pid} 1`);
    lockDirectory(dir)();
  });

  it('takes over a lock left by a process that died (kill -9)', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'laurel-lock-')), 'pgdata');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(`${dir}.lock`, String(dead));
    const release = lockDirectory(dir);
    expect(readFileSync(`${dir}.lock`, 'utf8').split(' ')[0]).toBe(String(process.pid));
    release();
  });
});
