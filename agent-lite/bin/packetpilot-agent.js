#!/usr/bin/env node
// A committed entry point, so npm can link the `packetpilot-agent` bin before the first build.
import('../dist/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    process.stderr.write('packetpilot-agent: not built yet; run `npm run build` first\n');
    process.exit(1);
  }
  throw err;
});
