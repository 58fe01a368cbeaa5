import {mkdtempSync, writeFileSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {join} from 'node:path';
import {beforeAll, describe, expect, it} from 'vitest';
import {didKeyIssuer, issueCredential, testKey} from './credentials.js';
import {runCli} from './run-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'laurel-cli-'));
const file = (name: string, content: string | Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};
let valid: string, tampered: string;

beforeAll(async () => {
  const credential = await issueCredential(didKeyIssuer(testKey(1)));
  valid = file('valid.json', JSON.stringify(credential, null, 2));
  tampered = file('tampered.json', JSON.stringify({...credential, name: 'A Better Badge'}, null, 2));
});

describe.concurrent('laurel verify <file>', () => {
  it('verifies a did:key credential: exit 0, a VERIFIED header and every check', async () => {
    const run = await runCli(['verify', valid]);
    expect(run.code).toBe(0);
    const [header, ...lines] = run.stdout.trimEnd().split('\n');
    expect(header).toBe(`VERIFIED: ${valid}`);
    // The standing, then one line per check.
    expect(lines[0]).toMatch(/^  VALID: /);
    expect(lines).toHaveLength(9);
    expect(run.stdout).toMatch(/✓ PROOF_VALID /);
    expect(run.stdout).toMatch(/✓ ISSUER_VALID /);
    expect(run.stdout).toMatch(/- STATUS_NONE /);
  });

  it('prints only the VerificationResult with --json', async () => {
    const run = await runCli(['verify', '--json', valid]);
    expect(run.code).toBe(0);
    const result = JSON.parse(run.stdout);
    expect(result.verified).toBe(true);
    expect(result.checks.map((c: {code: string}) => c.code)).toContain('PROOF_VALID');
    expect(result.errors).toEqual([]);
  });

  it('rejects a tampered credential: exit 1, PROOF_VERIFICATION_ERROR', async () => {
    const run = await runCli(['verify', tampered]);
    expect(run.code).toBe(1);
    expect(run.stdout.split('\n')[0]).toBe(`NOT VERIFIED: ${tampered}`);
    expect(run.stdout).toMatch(/✗ PROOF_VERIFICATION_ERROR /);
  });

  it('checks validity at --now: far in the future the credential has EXPIRED', async () => {
    const run = await runCli(['verify', valid, '--now', '2100-01-01T00:00:00Z', '--json']);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout).errors.map((c: {code: string}) => c.code)).toEqual(['EXPIRED']);
  });

  it('refuses content that is not strict JSON: duplicate keys and malformed JSON exit 1', async () => {
    const credential = await issueCredential(didKeyIssuer(testKey(1)));
    // The duplicate comes last, so JSON.parse alone would silently keep the signed value.
    const duplicate = file('duplicate.json', JSON.stringify(credential).replace(/^\{/, '{"name":"Forged",'));
    const malformed = file('malformed.json', '{"@context": [');
    const notUtf8 = file('latin1.json', Buffer.from('{"\xe9":1}', 'latin1'));
    for(const [path, code] of [[duplicate, 'DUPLICATE_JSON_KEY'], [malformed, 'MALFORMED_JSON'], [notUtf8, 'not UTF-8']]) {
      const run = await runCli(['verify', path]);
      expect(run.code, path).toBe(1);
      expect(run.stderr).toContain(code);
      expect(run.stdout).toBe('');
    }
  });

  it('reports input that is JSON but not a credential as NOT VERIFIED', async () => {
    const run = await runCli(['verify', file('array.json', '[1, 2]')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/✗ STRUCTURE_INVALID /);
  });
});

describe.concurrent('laurel usage', () => {
  it('exits 2 with usage on stderr when called with no arguments', async () => {
    const run = await runCli([]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('Usage: laurel');
  });

  it('exits 2 for an unknown flag, an unknown command, a missing argument and a bad --now', async () => {
    for(const args of [['verify', '--bogus', valid], ['frobnicate'], ['verify'], ['verify', valid, '--now', 'tomorrow']]) {
      const run = await runCli(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toMatch(/^laurel: /);
    }
  });

  it('exits 2 for a file that does not exist', async () => {
    const missing = await runCli(['verify', join(dir, 'missing.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no such file');
  });

  it('prints help and exits 0', async () => {
    const top = await runCli(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('Usage: laurel <command>');
    const verify = await runCli(['verify', '--help']);
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain('--allow-http');
  });
});
