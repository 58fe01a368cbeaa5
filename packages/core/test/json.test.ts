import fc from 'fast-check';
import {describe, expect, it} from 'vitest';
import {findDuplicateKey, parseJsonStrict} from '../src/json.js';

// Writes every character of a key as a \uXXXX escape, so the raw text differs from the key.
const escapeAll = (key: string) => '"' + [...key].map(ch => {
  let out = '';
  for(let i = 0; i < ch.length; i++) out += '\\u' + ch.charCodeAt(i).toString(16).padStart(4, '0');
  return out;
}).join('') + '"';

describe('findDuplicateKey', () => {
  it.each([
    ['top level', '{"a":1,"b":2,"a":3}', 'a'],
    ['nested object', '{"x":{"a":1,"a":2}}', 'a'],
    ['outer key after a nested object', '{"a":{"b":1},"a":2}', 'a'],
    ['object inside an array', '[{"a":1},{"b":1,"b":2}]', 'b'],
    ['deep inside arrays of arrays', '{"x":[[{"k":[1,{"q":0,"q":1}]}]]}', 'q'],
    ['escaped spelling of the same key', '{"a":1,"\\u0061":2}', 'a'],
    ['both spellings escaped differently', '{"\\u0041b":1,"A\\u0062":2}', 'Ab'],
    ['escaped quote in the key', '{"a\\"b":1,"a\\u0022b":2}', 'a"b'],
    ['escaped backslash in the key', '{"a\\\\":1,"a\\u005c":2}', 'a\\'],
    ['astral key, raw and as a surrogate pair', '{"😀":1,"\\ud83d\\ude00":2}', '😀'],
    ['empty key', '{"":1,"":2}', ''],
    ['__proto__', '{"__proto__":1,"__proto__":2}', '__proto__'],
    ['whitespace between tokens', ' { "a" : 1 ,\n\t"a" : 2 } ', 'a'],
    ['duplicate after a string value holding braces, commas and quotes', '{"a":"},{\\"a\\":","a":1}', 'a'],
  ])('reports a duplicate: %s', (_name, text, key) => {
    expect(() => JSON.parse(text)).not.toThrow();
    expect(findDuplicateKey(text)).toBe(key);
  });

  it.each([
    ['same key in sibling objects', '{"x":{"a":1},"y":{"a":2}}'],
    ['same key in objects of one array', '[{"a":1},{"a":2},{"a":3}]'],
    ['same key at two depths', '{"a":{"a":{"a":1}}}'],
    ['key equal to a value', '{"a":"a","b":"a"}'],
    ['values equal to each other', '{"a":"x","b":"x"}'],
    ['array of strings that look like keys', '{"a":["a","a","b"],"b":1}'],
    ['string value with braces, commas, colons and quotes', '{"a":"{\\"b\\":1,\\"b\\":2}","b":"}],[{"}'],
    ['string value ending in an escaped backslash', '{"a":"\\\\","b":"\\\\\\"","c":1}'],
    ['keys differing only by case', '{"a":1,"A":2}'],
    ['keys differing only by a trailing space', '{"a":1,"a ":2}'],
    ['precomposed vs combining é are different keys', '{"\\u00e9":1,"e\\u0301":2}'],
    ['scalars', '"a"'],
    ['empty containers', '[{},[],{"a":[]},{"a":{}}]'],
  ])('reports no duplicate: %s', (_name, text) => {
    expect(() => JSON.parse(text)).not.toThrow();
    expect(findDuplicateKey(text)).toBeNull();
  });

  it('never reports a duplicate in JSON.stringify output', () => {
    fc.assert(fc.property(fc.jsonValue({maxDepth: 4}), value => {
      expect(findDuplicateKey(JSON.stringify(value))).toBeNull();
      expect(findDuplicateKey(JSON.stringify(value, null, 2))).toBeNull();
    }), {numRuns: 300});
  });

  it('finds a key repeated at the end of any object, however it is spelled', () => {
    const objectWithKey = fc.dictionary(fc.string({unit: 'binary', maxLength: 6}), fc.jsonValue({maxDepth: 2}), {minKeys: 1, maxKeys: 6});
    fc.assert(fc.property(objectWithKey, fc.nat(), fc.boolean(), (obj, pick, escaped) => {
      const keys = Object.keys(obj);
      const key = keys[pick % keys.length];
      const text = JSON.stringify(obj).slice(0, -1) + ',' + (escaped ? escapeAll(key) : JSON.stringify(key)) + ':null}';
      expect(findDuplicateKey(text)).toBe(key);
    }), {numRuns: 300});
  });
});

describe('parseJsonStrict', () => {
  it('parses valid JSON to the same value as JSON.parse', () => {
    const text = '{"a":[1,{"b":"c"}],"d":null,"e":"\\u0061"}';
    expect(parseJsonStrict(text)).toEqual({ok: true, value: JSON.parse(text)});
  });

  it('rejects duplicate keys with DUPLICATE_JSON_KEY', () => {
    const r = parseJsonStrict('{"proof":{"proofValue":"z1","proofValue":"z2"}}');
    expect(r.ok).toBe(false);
    if(!r.ok) expect(r.problem.code).toBe('DUPLICATE_JSON_KEY');
  });

  it.each(['', '{', '{"a":1,}', "{'a':1}", '{"a":1}{"a":2}', 'NaN', '{"a":"\\x"}'])('rejects malformed JSON %j with MALFORMED_JSON', text => {
    const r = parseJsonStrict(text);
    expect(r.ok).toBe(false);
    if(!r.ok) expect(r.problem.code).toBe('MALFORMED_JSON');
  });

  it('reports malformed JSON before it looks for duplicates', () => {
    const r = parseJsonStrict('{"a":1,"a":2');
    expect(r.ok).toBe(false);
    if(!r.ok) expect(r.problem.code).toBe('MALFORMED_JSON');
  });
});
