import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);

/**
 * GraphiQL as this server serves it: the `graphiql` package (with its History and Docs plugins)
 * bundled once by esbuild into files the browser loads from this origin, so that the page works
 * offline, no third-party script sees the tokens pasted into it, and its CSP can forbid inline
 * scripts. `npm install` builds it (the `prepare` script); a server that finds it missing or built
 * from another GraphiQL version builds it at start-up.
 */
export const GRAPHIQL_DIR = fileURLToPath(new URL('../../node_modules/.cache/opsgraph-graphiql/', import.meta.url));

const ENTRY = fileURLToPath(new URL('./browser-entry.js', import.meta.url));

/** Monaco runs its language services in workers, one file each (the page's CSP allows worker-src 'self'). */
const WORKERS = {
  'editor.worker': 'monaco-editor/esm/vs/editor/editor.worker.js',
  'json.worker': 'monaco-editor/esm/vs/language/json/json.worker.js',
  'graphql.worker': 'monaco-graphql/esm/graphql.worker.js',
};

/** What the bundle was built from: a different one means a rebuild. */
function stamp(): string {
  const version = (name: string) => (require(`${name}/package.json`) as { version: string }).version;
  return `graphiql ${version('graphiql')}, @graphiql/react ${version('@graphiql/react')}, esbuild ${version('esbuild')}\n`;
}

export async function graphiqlIsBuilt(): Promise<boolean> {
  return (await readFile(`${GRAPHIQL_DIR}stamp.txt`, 'utf8').catch(() => '')) === stamp();
}

/** Builds into a fresh directory and swaps it in, so a server never serves half a build. */
export async function buildGraphiql(): Promise<void> {
  const { build } = await import('esbuild');
  const staging = `${GRAPHIQL_DIR.replace(/\/$/, '')}.${process.pid}.tmp/`;
  await rm(staging, { recursive: true, force: true });
  // monaco-graphql resolves through @graphiql/react's own monaco-editor: resolve from there.
  const nodePaths = [fileURLToPath(new URL('../../node_modules/', import.meta.url))];
  const common = { bundle: true, minify: true, legalComments: 'none', logLevel: 'warning', nodePaths } as const;
  await build({
    ...common,
    entryPoints: { graphiql: ENTRY },
    outdir: staging,
    format: 'iife',
    target: 'es2022',
    define: { 'process.env.NODE_ENV': '"production"' },
    loader: { '.ttf': 'dataurl', '.woff': 'dataurl', '.woff2': 'dataurl', '.svg': 'dataurl' },
  });
  await build({
    ...common,
    entryPoints: Object.fromEntries(Object.entries(WORKERS).map(([name, path]) => [name, require.resolve(path, { paths: [require.resolve('@graphiql/react')] })])),
    outdir: staging,
    format: 'iife',
    target: 'es2022',
  });
  await writeFile(`${staging}stamp.txt`, stamp());
  await rm(GRAPHIQL_DIR, { recursive: true, force: true });
  // Two servers starting at once may both build: the first rename wins, the second's build is dropped.
  await rename(staging, GRAPHIQL_DIR).catch(() => rm(staging, { recursive: true, force: true }));
}

/** At start-up: build it if `npm install` did not (for example with --ignore-scripts). */
export async function ensureGraphiql(log: (message: string) => void): Promise<void> {
  if (await graphiqlIsBuilt()) return;
  log('building GraphiQL for /graphql (once, a few seconds)');
  await buildGraphiql();
}
