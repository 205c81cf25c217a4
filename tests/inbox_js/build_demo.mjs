// Rebuilds the demo page's bundle from the packages pinned in package-lock.json:
//   cd tests/inbox_js && npm ci && node build_demo.mjs
// The output is committed, so `clarion dev` serves the page with no Node at run time.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
const outfile = path.join(here, '..', '..', 'api', 'novu', 'inbox', 'demo_assets', 'inbox-demo.js');
await build({
  entryPoints: [path.join(here, 'demo', 'main.jsx')],
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  jsx: 'automatic',
  define: { 'process.env.NODE_ENV': '"production"' },
  legalComments: 'linked',
  outfile,
  logLevel: 'info',
});
