/** Opaque keyset cursors: base64url of `<ISO time>|<id>`. */
import {DomainError} from '../errors.js';

/** Encodes a cursor from a row's sort key. */
export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(`${at.toISOString()}|${id}`).toString('base64url');
}

/** Decodes a cursor, or throws a 400 VALIDATION_FAILED. */
export function decodeCursor(cursor: string): {at: Date; id: string} {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  const i = text.indexOf('|');
  const at = new Date(text.slice(0, i));
  if(i < 0 || Number.isNaN(at.getTime()) || text.length - i - 1 === 0) {
    throw new DomainError('VALIDATION_FAILED', 400, 'The cursor is not valid; pass back nextCursor exactly as received.',
      {errors: [{path: 'cursor', message: 'invalid cursor'}]});
  }
  return {at, id: text.slice(i + 1)};
}
