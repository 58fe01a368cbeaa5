#!/usr/bin/env node
/**
 * Runs a Laurel process entry (TypeScript) as plain JavaScript, without a TypeScript
 * loader in the process:
 *
 *   node packages/server/bin/run.mjs packages/server/src/main.ts [args…]
 *
 * `npm start`, `npm run worker` and `laurel worker` go through here. The entry and the
 * workspace modules it imports are bundled by esbuild into
 * packages/server/node_modules/.cache/laurel/<entry>/<content hash>/; npm packages stay
 * external (imported from node_modules as usual), and every dynamic import of our own code
 * becomes its own chunk, so lazily loaded parts (the drawing stack, exceljs) stay lazy.
 * Each module keeps its own `import.meta.url` (its source file's URL), so paths next to
 * the sources (migrations, fonts, the signing worker) resolve as they do under tsx.
 *
 * Why not tsx, as the tests and benches use: its module hooks run in a thread of their
 * own that stays resident with the compiler and every transformed source, ~70 MB of
 * a server that aims to stay under 500 MB while issuing 100,000 credentials
 * (docs/ARCHITECTURE.md, BENCHMARKS.md).
 *
 * A build is reused while none of its inputs changed (size and mtime of every source
 * file it bundled, this file and the esbuild version); a new one goes to a new directory,
 * written to a temporary name and renamed, so processes starting together never read a
 * half-written build, and a running server's lazy chunks are never overwritten.
 */
import {createHash} from 'node:crypto';
import {mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs';
import {readFile} from 'node:fs/promises';
import {dirname, join, relative, resolve} from 'node:path';
import {fileURLToPath, pathToFileURL} from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/**
 * Where builds go: under packages/server by default, so that bare imports from a build resolve
 * to the workspace's node_modules. LAUREL_BUILD_CACHE moves it (a directory inside the checkout,
 * for the same reason).
 */
const CACHE = process.env.LAUREL_BUILD_CACHE ? resolve(process.env.LAUREL_BUILD_CACHE)
  : fileURLToPath(new URL('../node_modules/.cache/laurel/', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
/**
 * Node's flags for a Laurel process (package.json's start and worker scripts say the same;
 * a test keeps them in step). V8 grows its old space between major collections by a factor
 * it derives from the heap limit: up to 4× the live heap under Node's default limit (4 GB
 * on a machine with 16 GB or more), 1.3–2× under a limit below 2 GB. The server's live heap
 * is ~60–100 MB; with the default limit a bulk issuance let ~150 MB of garbage pile up between
 * collections, with 1 GB about 40 MB, at the same speed (BENCHMARKS.md).
 */
export const NODE_FLAGS = ['--max-old-space-size=1024'];

/** `node` arguments that run `entry` (a .ts file) through this launcher with `args`. */
export function launchArgs(entry, args = []) {
  return [...NODE_FLAGS, SELF, entry, ...args];
}

/** Builds older than this, and not the current one of their entry, are removed. */
const PRUNE_AFTER_MS = 7 * 24 * 3600 * 1000;

/** Size and mtime of a file, or null when it is gone. */
function stampOf(file) {
  try {
    const s = statSync(file);
    return `${s.size}:${s.mtimeMs}`;
  } catch {
    return null;
  }
}

/** The compiler options that change how TypeScript becomes JavaScript (tsconfig.json at the root). */
function tsconfigRaw() {
  const {compilerOptions} = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8'));
  return {compilerOptions: {target: compilerOptions.target, verbatimModuleSyntax: compilerOptions.verbatimModuleSyntax,
    useDefineForClassFields: compilerOptions.useDefineForClassFields}};
}

/** The build cache cannot be written (a read-only checkout, another user's node_modules). */
export class CacheWriteError extends Error {
  constructor(cause) {
    super(`cannot write the build cache in ${CACHE}: ${cause?.message ?? cause}`, {cause});
  }
}

/**
 * Bundles `entry` (a .ts file) unless a build of it is current; returns the built main
 * module's path. Throws esbuild's error for code that does not compile, CacheWriteError
 * when the build cannot be stored.
 */
export async function buildEntry(entry) {
  const source = resolve(entry);
  const name = relative(ROOT, source).replace(/[^A-Za-z0-9._-]+/g, '_');
  const dir = join(CACHE, name);
  const manifestFile = join(dir, 'manifest.json');
  try {
    const manifest = JSON.parse(readFileSync(manifestFile, 'utf8'));
    const fresh = Object.entries(manifest.inputs).every(([file, stamp]) => stampOf(file) === stamp);
    if(fresh) return join(dir, manifest.build, 'main.mjs');
  } catch {
    // No build yet, or an unreadable one: build.
  }
  const esbuild = await import('esbuild');
  const tsconfig = tsconfigRaw();
  const inputs = new Set([SELF, join(ROOT, 'tsconfig.json')]);
  const sourceUrls = {
    name: 'laurel-source-urls',
    setup(build) {
      // Each of our modules keeps its source file's URL as import.meta.url.
      build.onLoad({filter: /\.[cm]?ts$/}, async args => {
        if(/[\\/]node_modules[\\/]/.test(args.path)) return undefined;
        const {code} = await esbuild.transform(await readFile(args.path, 'utf8'), {loader: 'ts', format: 'esm', sourcefile: args.path,
          tsconfigRaw: tsconfig, define: {'import.meta.url': JSON.stringify(pathToFileURL(args.path).href)}});
        return {contents: code, loader: 'js', resolveDir: dirname(args.path)};
      });
      // npm packages stay external; the workspace's own (@laurel/*) are bundled from their sources.
      build.onResolve({filter: /^[^./]/}, args => {
        if(args.path.startsWith('@laurel/') || args.path.startsWith('node:')) return undefined;
        return {path: args.path, external: true};
      });
    },
  };
  const result = await esbuild.build({
    entryPoints: {main: source}, bundle: true, splitting: true, format: 'esm', platform: 'node', target: 'node20',
    // The build goes to a sibling of `out` (same depth), so the source maps' relative paths hold.
    outdir: join(dir, 'out'), outExtension: {'.js': '.mjs'}, write: false, metafile: true, logLevel: 'silent', plugins: [sourceUrls],
    sourcemap: 'linked', sourcesContent: false, legalComments: 'none',
  });
  for(const file of Object.keys(result.metafile.inputs)) inputs.add(resolve(ROOT, file));
  const hash = createHash('sha256');
  for(const f of result.outputFiles) hash.update(f.path).update(f.contents);
  const build = hash.digest('hex').slice(0, 16);
  const target = join(dir, build);
  try {
    if(stampOf(join(target, 'main.mjs')) === null) {
      const temp = `${target}.tmp-${process.pid}-${Date.now()}`;
      for(const f of result.outputFiles) {
        const out = join(temp, relative(join(dir, 'out'), f.path));
        mkdirSync(dirname(out), {recursive: true});
        writeFileSync(out, f.contents);
      }
      try {
        renameSync(temp, target);
      } catch(error) {
        // Another process wrote the same build first.
        rmSync(temp, {recursive: true, force: true});
        if(stampOf(join(target, 'main.mjs')) === null) throw error;
      }
    }
    const stamps = Object.fromEntries([...inputs].map(f => [f, stampOf(f)]));
    const manifestTemp = `${manifestFile}.tmp-${process.pid}`;
    writeFileSync(manifestTemp, JSON.stringify({build, inputs: stamps}));
    renameSync(manifestTemp, manifestFile);
  } catch(error) {
    throw new CacheWriteError(error);
  }
  prune(dir, build);
  return join(target, 'main.mjs');
}

/** Removes an entry's old builds (a week old, and not the current one). */
function prune(dir, current) {
  for(const name of readdirSync(dir)) {
    if(name === current || name === 'manifest.json') continue;
    const path = join(dir, name);
    try {
      if(Date.now() - statSync(path).mtimeMs > PRUNE_AFTER_MS) rmSync(path, {recursive: true, force: true});
    } catch {
      // Removed by another process meanwhile.
    }
  }
}

if(process.argv[1] && resolve(process.argv[1]) === SELF) {
  const entry = process.argv[2];
  if(!entry) {
    process.stderr.write('usage: node packages/server/bin/run.mjs <entry.ts> [args…]\n');
    process.exit(2);
  }
  let main = null;
  try {
    main = await buildEntry(entry);
  } catch(error) {
    if(!(error instanceof CacheWriteError)) {
      process.stderr.write(`[laurel] could not build ${entry}: ${error?.message ?? error}\n`);
      process.exit(1);
    }
    // Still start, as before there was a launcher: the sources through tsx, at a cost in memory.
    process.stderr.write(`[laurel] ${error.message}. Running the TypeScript sources through tsx instead, which keeps ~70 MB ` +
      'more resident; make that directory writable, or set LAUREL_BUILD_CACHE to a writable directory inside the checkout.\n');
    const {register} = await import('tsx/esm/api');
    register({tsconfig: false});
  }
  // The entry sees the arguments as if it had been run directly.
  process.argv.splice(1, 2, resolve(entry));
  await import(pathToFileURL(main ?? resolve(entry)).href);
}
