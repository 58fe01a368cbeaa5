import {mkdirSync, mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {didKeyIssuer, issueCredential, testKey} from './credentials.js';
import {runCli} from './run-cli.js';

const root = mkdtempSync(join(tmpdir(), 'laurel-cli-many-'));
/** 3 valid credentials and 1 tampered one, plus a file the directory walk must ignore. */
const mixed = join(root, 'mixed');
/** 3 valid credentials only. */
const valid = join(root, 'valid');
let loose: string;

beforeAll(async () => {
  mkdirSync(mixed);
  mkdirSync(valid);
  mkdirSync(join(mixed, 'nested'));
  const issuer = didKeyIssuer(testKey(7));
  for(let i = 1; i <= 3; i++) {
    const credential = await issueCredential(issuer, `https://laurel.test/c/${i}`, `Badge ${i}`);
    writeFileSync(join(mixed, `${i}.json`), JSON.stringify(credential, null, 2));
    writeFileSync(join(valid, `${i}.json`), JSON.stringify(credential, null, 2));
    if(i === 3) writeFileSync(join(mixed, '4-tampered.json'), JSON.stringify({...credential, name: 'A Better Badge'}, null, 2));
  }
  // Not credential files, or not directly in the directory: ignored.
  writeFileSync(join(mixed, 'notes.txt'), 'not a credential');
  writeFileSync(join(mixed, 'nested', 'deep.json'), '{}');
  loose = join(root, 'loose.json');
  writeFileSync(loose, JSON.stringify(await issueCredential(issuer, 'https://laurel.test/c/loose'), null, 2));
});

describe.concurrent('laurel verify with several sources', () => {
  it('a directory with 3 valid and 1 tampered credential: every result, a summary, exit 1', async () => {
    const run = await runCli(['verify', mixed]);
    expect(run.code).toBe(1);
    const headers = run.stdout.split('\n').filter(line => /^(NOT )?VERIFIED: /.test(line));
    expect(headers).toEqual([
      `VERIFIED: ${join(mixed, '1.json')}`,
      `VERIFIED: ${join(mixed, '2.json')}`,
      `VERIFIED: ${join(mixed, '3.json')}`,
      `NOT VERIFIED: ${join(mixed, '4-tampered.json')}`,
    ]);
    expect(run.stdout).toMatch(/✗ PROOF_VERIFICATION_ERROR /);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('3 verified, 1 not verified');
  });

  it('files and a directory, all valid: exit 0', async () => {
    const run = await runCli(['verify', valid, loose]);
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split('\n').at(-1)).toBe('4 verified, 0 not verified');
    expect(run.stderr).toBe('');
  });

  it('--json prints one array of {source, result}', async () => {
    const run = await runCli(['verify', '--json', mixed, loose]);
    expect(run.code).toBe(1);
    const array = JSON.parse(run.stdout) as {source: string; result: {verified: boolean; checks: unknown[]}}[];
    expect(Array.isArray(array)).toBe(true);
    expect(array.map(e => e.source)).toEqual([...['1.json', '2.json', '3.json', '4-tampered.json'].map(n => join(mixed, n)), loose]);
    expect(array.map(e => e.result.verified)).toEqual([true, true, true, false, true]);
    for(const entry of array) {
      expect(Object.keys(entry).sort()).toEqual(['result', 'source']);
      expect(entry.result.checks.length).toBeGreaterThan(0);
    }
  });

  it('--json on a directory of valid credentials is an array too, exit 0', async () => {
    const run = await runCli(['verify', valid, '--json']);
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout) as unknown[]).length).toBe(3);
  });

  it('content that is not a credential is not verified, with an error entry', async () => {
    const bad = join(root, 'bad.json');
    writeFileSync(bad, '{"@context": [');
    const run = await runCli(['verify', '--json', loose, bad]);
    expect(run.code).toBe(1);
    const array = JSON.parse(run.stdout);
    expect(array[1]).toMatchObject({source: bad, result: null});
    expect(array[1].error).toContain('MALFORMED_JSON');
    expect(run.stderr).toContain('MALFORMED_JSON');
  });

  it('exits 2 before verifying anything when a source is missing, or a directory holds no credential file', async () => {
    const empty = join(root, 'empty');
    mkdirSync(empty, {recursive: true});
    for(const args of [['verify', loose, join(root, 'missing.json')], ['verify', empty]]) {
      const run = await runCli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^laurel: /);
    }
  });
});
