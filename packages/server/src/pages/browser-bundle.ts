/**
 * The browser verifier bundle (/assets/verify-<hash>.js): pages/browser/verify-app.ts
 * and the core it imports, bundled by esbuild in memory on first use and cached
 * for the life of the process.
 */
import {createHash} from 'node:crypto';
import {builtinModules, createRequire} from 'node:module';
import {dirname} from 'node:path';
import {fileURLToPath} from 'node:url';
import type {Plugin} from 'esbuild';

/** A built bundle: its code and the content hash that names it. */
export interface BrowserBundle {
  code: string;
  /** The first 16 hex digits of the SHA-256 of `code`. */
  hash: string;
  /** The URL it is served at: /assets/verify-<hash>.js (or share-<hash>.js). */
  url: string;
}

const ENTRY = fileURLToPath(new URL('./browser/verify-app.ts', import.meta.url));
const BUILTINS = new Set(builtinModules.flatMap(m => [m, `node:${m}`]));

// The core must stay browser-safe: a Node built-in anywhere in the graph fails
// the build instead of being silently shimmed or left as a runtime import.
/** An esbuild plugin that fails the build on any Node built-in import. */
export const refuseNodeBuiltins: Plugin = {
  name: 'refuse-node-builtins',
  setup(build) {
    build.onResolve({filter: /.*/}, args => BUILTINS.has(args.path)
      ? {errors: [{text: `Node built-in "${args.path}" imported by ${args.importer}: the browser bundle must not use Node modules`}]}
      : undefined);
  },
};

// The core's schema check (core/src/schema.ts) compiles its validator with ajv at
// run time, i.e. with new Function, which the pages' CSP (no 'unsafe-eval')
// forbids. For the browser the same schema is compiled here, with the same ajv
// options and formats, to standalone code (ajv "standalone" mode), and
// schema.ts's ajv import gets a stand-in whose compile() returns that validator.
const CORE_SCHEMA = fileURLToPath(import.meta.resolve('@laurel/core').replace(/index\.ts$/, 'schema.ts'));

function precompiledSchemaSource(): string {
  const coreRequire = createRequire(CORE_SCHEMA);
  const Ajv2019 = coreRequire('ajv/dist/2019.js').default;
  const addFormats = coreRequire('ajv-formats').default;
  const standaloneCode = coreRequire('ajv/dist/standalone').default;
  const schema = coreRequire('./schemas/ob_v3p0_achievementcredential_schema.json');
  // Keep in step with getValidator() in core/src/schema.ts.
  const ajv = new Ajv2019({strict: false, allErrors: true, code: {source: true, esm: true}});
  addFormats(ajv);
  return standaloneCode(ajv, ajv.compile(schema));
}

const precompiledSchema: Plugin = {
  name: 'precompiled-schema',
  setup(build) {
    const fromSchema = (importer: string) => importer === CORE_SCHEMA;
    build.onResolve({filter: /^ajv\/dist\/2019\.js$/}, args => fromSchema(args.importer) ? {path: 'ajv', namespace: 'laurel-schema'} : undefined);
    build.onResolve({filter: /^ajv-formats$/}, args => fromSchema(args.importer) ? {path: 'formats', namespace: 'laurel-schema'} : undefined);
    build.onResolve({filter: /^laurel-schema:validator$/}, () => ({path: 'validator', namespace: 'laurel-schema'}));
    build.onLoad({filter: /.*/, namespace: 'laurel-schema'}, args => {
      const resolveDir = dirname(CORE_SCHEMA);
      if(args.path === 'validator') return {contents: precompiledSchemaSource(), loader: 'js', resolveDir};
      if(args.path === 'formats') return {contents: 'export default function addFormats() {}', loader: 'js', resolveDir};
      return {contents: `import validate from 'laurel-schema:validator';
export default class PrecompiledAjv { compile() { return validate; } }`, loader: 'js', resolveDir};
    });
  },
};

/** Bundles the verifier for browsers (ESM, minified). Throws when the build fails. */
export async function buildBrowserBundle(): Promise<BrowserBundle> {
  const {build} = await import('esbuild');
  const result = await build({
    entryPoints: [ENTRY], bundle: true, platform: 'browser', format: 'esm', target: 'es2022',
    minify: true, write: false, logLevel: 'silent', legalComments: 'none', plugins: [refuseNodeBuiltins, precompiledSchema],
  });
  const code = result.outputFiles[0].text;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  return {code, hash, url: `/assets/verify-${hash}.js`};
}

let cached: Promise<BrowserBundle | null> | undefined;

const SHARE_ENTRY = fileURLToPath(new URL('./browser/share-app.ts', import.meta.url));

/** Bundles the credential page's copy buttons (pages/browser/share-app.ts) for browsers. */
export async function buildShareBundle(): Promise<BrowserBundle> {
  const {build} = await import('esbuild');
  const result = await build({
    entryPoints: [SHARE_ENTRY], bundle: true, platform: 'browser', format: 'esm', target: 'es2022',
    minify: true, write: false, logLevel: 'silent', legalComments: 'none', plugins: [refuseNodeBuiltins],
  });
  const code = result.outputFiles[0].text;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  return {code, hash, url: `/assets/share-${hash}.js`};
}

let cachedShare: Promise<BrowserBundle | null> | undefined;

/** The copy-button bundle, built once per process; null when it cannot be built (the page then has no copy buttons). */
export function shareBundle(log: (error: unknown) => void = () => {}): Promise<BrowserBundle | null> {
  cachedShare ??= buildShareBundle().catch(error => {
    log(error);
    return null;
  });
  return cachedShare;
}

/**
 * The bundle, built once per process. Resolves to null when it cannot be built:
 * pages then render without the script, which is their no-JavaScript baseline.
 */
export function browserBundle(log: (error: unknown) => void = () => {}): Promise<BrowserBundle | null> {
  cached ??= buildBrowserBundle().catch(error => {
    log(error);
    return null;
  });
  return cached;
}
