/**
 * Strict JSON parsing for untrusted input: standard JSON.parse, then one linear
 * scan that rejects duplicate object keys (which JSON.parse silently resolves to
 * the last one: a signed document could then mean two things to two parsers).
 */

/** A parse failure with a stable code. */
export interface JsonProblem {
  code: 'MALFORMED_JSON' | 'DUPLICATE_JSON_KEY';
  message: string;
}

/** Parses JSON text, rejecting duplicate keys. Never throws. */
export function parseJsonStrict(text: string): {ok: true; value: unknown} | {ok: false; problem: JsonProblem} {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch(error) {
    return {ok: false, problem: {code: 'MALFORMED_JSON', message: `Malformed JSON: ${(error as Error).message}`}};
  }
  const duplicate = findDuplicateKey(text);
  if(duplicate !== null) {
    return {ok: false, problem: {code: 'DUPLICATE_JSON_KEY', message: `Duplicate key ${JSON.stringify(duplicate)} in a JSON object.`}};
  }
  return {ok: true, value};
}

/**
 * Scans JSON text already accepted by JSON.parse and returns the first key that
 * appears twice in one object, or null. Keys are compared after unescaping.
 */
export function findDuplicateKey(text: string): string | null {
  // Stack of key sets; null for arrays.
  const stack: (Set<string> | null)[] = [];
  // Whether the next string in the current object is a key.
  let expectKey = false;
  for(let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if(c === 0x22 /* " */) {
      const start = i;
      i++;
      let escaped = false;
      while(i < text.length) {
        const d = text.charCodeAt(i);
        if(d === 0x5c /* \ */) {
          escaped = true;
          i += 2;
          continue;
        }
        if(d === 0x22) break;
        i++;
      }
      const top = stack[stack.length - 1];
      if(expectKey && top) {
        const raw = text.slice(start + 1, i);
        const key = escaped ? JSON.parse(text.slice(start, i + 1)) as string : raw;
        if(top.has(key)) return key;
        top.add(key);
        expectKey = false;
      }
    } else if(c === 0x7b /* { */) {
      stack.push(new Set());
      expectKey = true;
    } else if(c === 0x5b /* [ */) {
      stack.push(null);
    } else if(c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if(c === 0x2c /* , */) {
      expectKey = stack[stack.length - 1] != null;
    }
  }
  return null;
}
