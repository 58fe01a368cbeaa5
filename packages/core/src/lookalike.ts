/**
 * Issuer-domain look-alike check: warns when the host of a did:web issuer could be
 * mistaken for another domain (UTS #39 §5.1 mixed-script, §4 whole-script confusables,
 * and characters outside the identifier profile).
 *
 * Pure and browser-safe: script data comes from the engine's own `\p{Script_Extensions=…}`
 * regexes, confusable prototypes from the vendored ./unicode/confusables-ascii.json.
 */
import punycode from 'punycode.js';
import confusablesData from './unicode/confusables-ascii.json' with {type: 'json'};

/** Stable codes of the issuer-domain check. */
export type IssuerDomainCode = 'ISSUER_DOMAIN_OK' | 'ISSUER_DOMAIN_LOOKALIKE';

/** Result of {@link checkIssuerDomain}. */
export interface IssuerDomainCheck {
  code: IssuerDomainCode;
  status: 'passed' | 'warning';
  message: string;
  /** The host as checked: lower-cased, trailing dot removed, punycode kept. */
  domain: string;
  /** The host with every `xn--` label decoded, as a person would read it. */
  unicode: string;
}

/**
 * The host of a did:web DID (did:web §3.2: percent-decoded, port removed, lower-cased,
 * trailing dot removed), or null when `issuerId` is not a well-formed did:web.
 */
export function issuerDomainOf(issuerId: string): string | null {
  if(typeof issuerId !== 'string' || !issuerId.startsWith('did:web:')) return null;
  // A DID URL's query or fragment is not part of the method-specific id.
  const encodedHost = issuerId.slice('did:web:'.length).split(/[?#]/, 1)[0].split(':', 1)[0];
  let host: string;
  try {
    host = decodeURIComponent(encodedHost);
  } catch {
    return null;
  }
  host = host.replace(/:\d{1,5}$/, '').toLowerCase();
  if(host.endsWith('.')) host = host.slice(0, -1);
  // Invisible and non-ASCII characters pass through so checkIssuerDomain can warn about them;
  // only characters that cannot be part of a host at all are rejected here.
  if(host === '' || /[\p{Cc}\s/?#@:[\]\\%]/u.test(host)) return null;
  if(host.split('.').some(label => label === '')) return null;
  return host;
}

/**
 * Checks whether an issuer's domain could be a look-alike of another one (UTS #39).
 * Never throws; an unreadable punycode label is itself a warning.
 */
export function checkIssuerDomain(host: string): IssuerDomainCheck {
  let domain = String(host).toLowerCase();
  if(domain.endsWith('.')) domain = domain.slice(0, -1);
  let finding: Finding | null = null;
  const unicodeLabels: string[] = [];
  for(const label of domain.split('.')) {
    let decoded = label;
    if(label.startsWith('xn--')) {
      try {
        decoded = punycode.decode(label.slice(4)).toLowerCase();
      } catch {
        finding ??= {kind: 'undecodable'};
      }
    }
    finding ??= labelFinding(decoded);
    unicodeLabels.push(decoded);
  }
  const unicode = unicodeLabels.join('.');
  if(finding === null) {
    return {code: 'ISSUER_DOMAIN_OK', status: 'passed', domain, unicode,
      message: `The issuer's domain is ${unicode}.`};
  }
  return {code: 'ISSUER_DOMAIN_LOOKALIKE', status: 'warning', domain, unicode,
    message: lookalikeMessage(finding, domain, unicode)};
}

type Finding =
  | {kind: 'undecodable'}
  | {kind: 'hidden'; char: string}
  | {kind: 'mixed'; odd: string[]}
  | {kind: 'whole-script'; script: string; chars: string[]};

const EXPECT = 'make sure it is the organisation you expect.';

function lookalikeMessage(finding: Finding, domain: string, unicode: string): string {
  switch(finding.kind) {
  case 'undecodable':
    return `The issuer's domain ${domain} contains a part that is not a valid international name; ${EXPECT}`;
  case 'hidden':
    return `The issuer's domain ${showHidden(unicode)} contains a hidden or unusual character (${codePoint(finding.char)}) ` +
      `that can make it look like a different address; ${EXPECT}`;
  case 'mixed':
    return `The issuer's domain ${unicode} contains characters that look like other letters (${finding.odd.join(', ')}); ${EXPECT}`;
  case 'whole-script': {
    const chars = finding.chars.map(c => `'${c}'`).join(', ');
    const letters = finding.script === 'Latin' ? 'unusual letters that look like ordinary ones'
      : `${scriptLabel(finding.script)} letters that look like Latin ones`;
    return `The issuer's domain ${unicode} is written with ${letters} (${chars}), so it can pass for a different address; ${EXPECT}`;
  }
  }
}

function codePoint(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

function showHidden(text: string): string {
  return [...text].map(c => isIdentifierChar(c) || c === '.' ? c : `[${codePoint(c)}]`).join('');
}

function scriptLabel(script: string): string {
  return script.replace(/_/g, ' ');
}

/** The first reason a single (decoded) label could be a look-alike, or null. */
function labelFinding(label: string): Finding | null {
  if(/^[a-z0-9-]*$/.test(label)) return null;
  const chars = [...label];
  // (c) Identifier profile: letters, marks, decimal digits, hyphen and the IDNA2008
  // CONTEXTO punctuation (RFC 5892 App. A). Everything else is invisible (Cf: ZWSP, ZWJ,
  // word joiner, bidi controls, soft hyphen), a symbol or punctuation.
  const hidden = chars.find(c => !isIdentifierChar(c));
  if(hidden !== undefined) return {kind: 'hidden', char: hidden};

  const sets = chars.map(charScripts);
  // (a) UTS #39 §5.1 mixed-script, relaxed to the §5.2 Highly Restrictive profile.
  const resolved = resolvedScripts(sets);
  if(resolved !== ALL && resolved.size === 0 && !CJK_COMBINATIONS.some(combo => coveredBy(sets, combo))) {
    return {kind: 'mixed', odd: minorityChars(chars, sets)};
  }
  // (b) Whole-script confusable: a non-ASCII label whose skeleton is plain ASCII. This is
  // applied to every script, Latin included: Latin letters with diacritics keep their
  // combining mark in the skeleton (münchen → mu\u0308nchen), so only labels built solely from
  // ASCII look-alikes (ɡ, ɑ, ı …) are caught.
  if(asciiSkeleton(label) !== null) {
    const nonAscii = [...new Set(chars.filter(c => c > '\x7f'))];
    const own = sets.find(s => s !== ALL) as Set<string> | undefined;
    const script = own ? [...own].find(s => !AUGMENTED_ONLY.has(s)) ?? 'Unknown' : 'Unknown';
    return {kind: 'whole-script', script, chars: nonAscii.slice(0, 4)};
  }
  return null;
}

function isIdentifierChar(c: string): boolean {
  return /^[\p{L}\p{Mn}\p{Mc}\p{Nd}\u002D\u00B7\u0375\u05F3\u05F4\u30FB]$/u.test(c);
}

// ---------------------------------------------------------------- scripts (UTS #39 §5.1)

const ALL = 'ALL' as const;
type ScriptSet = Set<string> | typeof ALL;

/** Script property values (Unicode 17), minus Common/Inherited which are handled as ALL. */
const SCRIPT_NAMES = [
  'Adlam', 'Ahom', 'Anatolian_Hieroglyphs', 'Arabic', 'Armenian', 'Avestan', 'Balinese', 'Bamum',
  'Bassa_Vah', 'Batak', 'Bengali', 'Beria_Erfe', 'Bhaiksuki', 'Bopomofo', 'Brahmi', 'Braille', 'Buginese',
  'Buhid', 'Canadian_Aboriginal', 'Carian', 'Caucasian_Albanian', 'Chakma', 'Cham', 'Cherokee', 'Chorasmian',
  'Coptic', 'Cuneiform', 'Cypriot', 'Cypro_Minoan', 'Cyrillic', 'Deseret', 'Devanagari', 'Dives_Akuru',
  'Dogra', 'Duployan', 'Egyptian_Hieroglyphs', 'Elbasan', 'Elymaic', 'Ethiopic', 'Garay', 'Georgian',
  'Glagolitic', 'Gothic', 'Grantha', 'Greek', 'Gujarati', 'Gunjala_Gondi', 'Gurmukhi', 'Gurung_Khema', 'Han',
  'Hangul', 'Hanifi_Rohingya', 'Hanunoo', 'Hatran', 'Hebrew', 'Hiragana', 'Imperial_Aramaic',
  'Inscriptional_Pahlavi', 'Inscriptional_Parthian', 'Javanese', 'Kaithi', 'Kannada', 'Katakana', 'Kawi',
  'Kayah_Li', 'Kharoshthi', 'Khitan_Small_Script', 'Khmer', 'Khojki', 'Khudawadi', 'Kirat_Rai', 'Lao',
  'Latin', 'Lepcha', 'Limbu', 'Linear_A', 'Linear_B', 'Lisu', 'Lycian', 'Lydian', 'Mahajani', 'Makasar',
  'Malayalam', 'Mandaic', 'Manichaean', 'Marchen', 'Masaram_Gondi', 'Medefaidrin', 'Meetei_Mayek',
  'Mende_Kikakui', 'Meroitic_Cursive', 'Meroitic_Hieroglyphs', 'Miao', 'Modi', 'Mongolian', 'Mro', 'Multani',
  'Myanmar', 'Nabataean', 'Nag_Mundari', 'Nandinagari', 'New_Tai_Lue', 'Newa', 'Nko', 'Nushu',
  'Nyiakeng_Puachue_Hmong', 'Ogham', 'Ol_Chiki', 'Ol_Onal', 'Old_Hungarian', 'Old_Italic',
  'Old_North_Arabian', 'Old_Permic', 'Old_Persian', 'Old_Sogdian', 'Old_South_Arabian', 'Old_Turkic',
  'Old_Uyghur', 'Oriya', 'Osage', 'Osmanya', 'Pahawh_Hmong', 'Palmyrene', 'Pau_Cin_Hau', 'Phags_Pa',
  'Phoenician', 'Psalter_Pahlavi', 'Rejang', 'Runic', 'Samaritan', 'Saurashtra', 'Sharada', 'Shavian',
  'Siddham', 'Sidetic', 'SignWriting', 'Sinhala', 'Sogdian', 'Sora_Sompeng', 'Soyombo', 'Sundanese',
  'Sunuwar', 'Syloti_Nagri', 'Syriac', 'Tagalog', 'Tagbanwa', 'Tai_Le', 'Tai_Tham', 'Tai_Viet', 'Tai_Yo',
  'Takri', 'Tamil', 'Tangsa', 'Tangut', 'Telugu', 'Thaana', 'Thai', 'Tibetan', 'Tifinagh', 'Tirhuta',
  'Todhri', 'Tolong_Siki', 'Toto', 'Tulu_Tigalari', 'Ugaritic', 'Unknown', 'Vai', 'Vithkuqi', 'Wancho',
  'Warang_Citi', 'Yezidi', 'Yi', 'Zanabazar_Square'
];

/** UTS #39 §5.1 augmented script sets: Han, Kana and Hangul also count as Jpan/Kore/Hanb. */
const AUGMENT: Record<string, string[]> = {
  Han: ['Han_with_Bopomofo', 'Japanese', 'Korean'],
  Hiragana: ['Japanese'],
  Katakana: ['Japanese'],
  Hangul: ['Korean'],
  Bopomofo: ['Han_with_Bopomofo'],
};
const AUGMENTED_ONLY = new Set(['Han_with_Bopomofo', 'Japanese', 'Korean']);

/** UTS #39 §5.2 Highly Restrictive: these combinations are allowed in one label. */
const CJK_COMBINATIONS = [
  ['Latin', 'Han', 'Hiragana', 'Katakana'],
  ['Latin', 'Han', 'Bopomofo'],
  ['Latin', 'Han', 'Hangul'],
];

const COMMON_OR_INHERITED = /^[\p{scx=Common}\p{scx=Inherited}]$/u;
let scriptTests: Array<[string, RegExp]> | undefined;

function compiledScriptTests(): Array<[string, RegExp]> {
  // Engines lag behind Unicode: a script name the engine does not know is skipped, and its
  // characters then fall under Unknown, which is still a script of its own.
  scriptTests ??= SCRIPT_NAMES.flatMap((name): Array<[string, RegExp]> => {
    try {
      return [[name, new RegExp(`^\\p{scx=${name}}$`, 'u')]];
    } catch {
      return [];
    }
  });
  return scriptTests;
}

/** A character's augmented Script_Extensions set, ALL for Common and Inherited. */
function charScripts(c: string): ScriptSet {
  if(COMMON_OR_INHERITED.test(c)) return ALL;
  const set = new Set<string>();
  for(const [name, re] of compiledScriptTests()) {
    if(re.test(c)) {
      set.add(name);
      for(const extra of AUGMENT[name] ?? []) set.add(extra);
    }
  }
  if(set.size === 0) set.add('Unknown');
  return set;
}

/** The intersection of the characters' script sets; empty means mixed-script. */
function resolvedScripts(sets: ScriptSet[]): ScriptSet {
  const own = sets.filter((set): set is Set<string> => set !== ALL);
  if(own.length === 0) return ALL;
  return new Set([...own[0]].filter(script => own.every(set => set.has(script))));
}

function coveredBy(sets: ScriptSet[], combo: string[]): boolean {
  return sets.every(set => set === ALL || combo.some(s => set.has(s)));
}

/** The characters not in the label's most common script, each named with its script. */
function minorityChars(chars: string[], sets: ScriptSet[]): string[] {
  const counts = new Map<string, number>();
  for(const set of sets) {
    if(set === ALL) continue;
    for(const s of set) if(!AUGMENTED_ONLY.has(s)) counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  const main = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0];
  const odd: string[] = [];
  chars.forEach((c, i) => {
    const set = sets[i];
    if(set === ALL || (main !== undefined && set.has(main))) return;
    const script = [...set].find(s => !AUGMENTED_ONLY.has(s)) ?? 'Unknown';
    const entry = `${scriptLabel(script)} '${c}'`;
    if(!odd.includes(entry) && odd.length < 4) odd.push(entry);
  });
  return odd;
}

// ---------------------------------------------------------------- skeleton (UTS #39 §4)

/** confusables.txt prototypes whose NFD form is ASCII letters, digits or hyphen. */
const ASCII_PROTOTYPES = new Map<string, string>(Object.entries(confusablesData.prototypes));

/**
 * The UTS #39 skeleton (NFD, map each character to its prototype, NFD) lower-cased, when it
 * is ASCII letters, digits and hyphens only; null otherwise. Only ASCII prototypes are
 * vendored, so any other non-ASCII character makes the skeleton non-ASCII and ends the walk.
 */
function asciiSkeleton(label: string): string | null {
  let skeleton = '';
  for(const c of label.normalize('NFD')) {
    if(c <= '\x7f') {
      skeleton += c;
      continue;
    }
    const prototype = ASCII_PROTOTYPES.get(c);
    if(prototype === undefined) return null;
    skeleton += prototype;
  }
  skeleton = skeleton.toLowerCase();
  return /^[a-z0-9-]+$/.test(skeleton) ? skeleton : null;
}
