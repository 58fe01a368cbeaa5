/**
 * What someone put into the /verify form: a link, a compact JWS (vc+jwt) or
 * credential JSON. Pure and browser-safe: the server's form handler and the
 * browser verifier classify input the same way.
 */

/** The kind of verification input. */
export type VerifyInput =
  | {kind: 'url'; url: string}
  | {kind: 'jwt'; jwt: string}
  | {kind: 'credential'; text: string}
  | {kind: 'empty'}
  | {kind: 'unknown'};

// Compact JWS (RFC 7515 §7.1): three base64url segments.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+$/;

/** Classifies pasted text; surrounding whitespace is ignored. */
export function classifyInput(raw: string): VerifyInput {
  const text = raw.trim();
  if(text === '') return {kind: 'empty'};
  if(/^https?:\/\//i.test(text) && !/\s/.test(text)) return {kind: 'url', url: text};
  if(COMPACT_JWS.test(text)) return {kind: 'jwt', jwt: text};
  if(text.startsWith('{')) return {kind: 'credential', text};
  return {kind: 'unknown'};
}

/** The message shown for input that is neither a link, a vc+jwt nor JSON. */
export const UNKNOWN_INPUT_MESSAGE = 'Paste credential JSON (starting with “{”), a vc+jwt token, or an https:// link.';
