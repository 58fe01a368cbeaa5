/**
 * Fetching other issuers' public documents (DESIGN.md §3 "What verification may
 * fetch"): https only, public addresses only (checked on the address actually
 * connected to, so DNS rebinding cannot reach loopback), no redirects, capped
 * in size and time.
 */
import {lookup as dnsLookup} from 'node:dns';
import {request} from 'node:https';
import {isIP} from 'node:net';
import type {LookupFunction} from 'node:net';

const MAX_BYTES = 1024 * 1024;
const TIMEOUT_MS = 5000;

/** Whether an IP address is private, loopback, link-local or otherwise not public. */
export function isNonPublicAddress(address: string): boolean {
  if(isIP(address) === 4) {
    const [a, b] = address.split('.').map(Number);
    return a === 0 || a === 10 || a === 127 || (a === 100 && b >= 64 && b <= 127) || (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 198 && (b === 18 || b === 19)) || a >= 224;
  }
  const v6 = address.toLowerCase();
  if(v6.startsWith('::ffff:')) return isNonPublicAddress(v6.slice(7));
  return v6 === '::' || v6 === '::1' || v6.startsWith('fc') || v6.startsWith('fd') || v6.startsWith('fe8') ||
    v6.startsWith('fe9') || v6.startsWith('fea') || v6.startsWith('feb') || v6.startsWith('ff');
}

const publicOnlyLookup: LookupFunction = (hostname, options, callback) => {
  dnsLookup(hostname, {...options, all: false}, (error, address, family) => {
    if(error) return callback(error, '', 0);
    if(isNonPublicAddress(address as string)) {
      return callback(Object.assign(new Error(`${hostname} resolves to a non-public address`), {code: 'ENONPUBLIC'}), '', 0);
    }
    callback(null, address as string, family);
  });
};

/** GETs a JSON document from a public https URL; rejects with a readable reason. */
export function fetchPublicJson(url: URL, accept = 'application/did+json, application/json'): Promise<string> {
  return new Promise((resolve, reject) => {
    if(url.protocol !== 'https:') return reject(new Error('only https URLs are fetched'));
    if(isIP(url.hostname.replace(/^\[|\]$/g, '')) && isNonPublicAddress(url.hostname.replace(/^\[|\]$/g, ''))) {
      return reject(new Error('non-public address refused'));
    }
    const req = request(url, {method: 'GET', lookup: publicOnlyLookup, timeout: TIMEOUT_MS,
      headers: {accept}}, res => {
      if(res.statusCode !== 200) {
        res.resume();
        return reject(new Error(`HTTP ${res.statusCode}${res.statusCode && res.statusCode >= 300 && res.statusCode < 400 ? ' (redirects are not followed)' : ''}`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if(size > MAX_BYTES) {
          req.destroy(new Error('document larger than 1 MiB'));
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}
