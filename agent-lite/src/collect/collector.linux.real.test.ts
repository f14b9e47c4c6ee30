/**
 * The real thing on this Linux machine: a TCP connection this process makes is reported with this
 * process's pid and app within 300 ms while the collector polls every 100 ms, as the agent does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { basename } from 'node:path';
import { hostFiles } from '../os/files.js';
import { systemClock } from '../os/clock.js';
import { systemRunner } from '../os/runner.js';
import { linuxCollector, type LinuxMethod } from './collector.linux.js';
import type { SocketCollector } from './collector.js';

const skip = process.platform === 'linux' ? false : 'Linux only';

async function listen(): Promise<Server> {
  const server = createServer((s) => s.on('error', () => undefined));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

async function seenWithin(collector: SocketCollector, port: number, localPort: number, ms: number) {
  const deadline = performance.now() + ms;
  while (performance.now() < deadline) {
    const started = performance.now();
    const found = (await collector.snapshot()).find(
      (o) => o.proto === 'tcp' && o.remote.port === port && o.local.port === localPort,
    );
    if (found) return found;
    await new Promise((r) => setTimeout(r, Math.max(0, 100 - (performance.now() - started))));
  }
  return undefined;
}

for (const method of ['ss', 'procfs'] satisfies LinuxMethod[]) {
  test(
    `${method}: a connection from this process is seen with its pid and app within 300 ms`,
    { skip },
    async () => {
      const collector = await linuxCollector({
        runner: systemRunner,
        files: hostFiles,
        clock: systemClock,
        linuxMethod: method,
      });
      await collector.snapshot(); // the agent is already running when the connection starts
      const server = await listen();
      const port = (server.address() as { port: number }).port;
      let client: Socket | undefined;
      try {
        client = connect(port, '127.0.0.1');
        await new Promise<void>((resolve, reject) => client?.once('connect', resolve).once('error', reject));
        const localPort = client.localPort ?? 0;
        const t0 = performance.now();
        const found = await seenWithin(collector, port, localPort, 300);
        const took = performance.now() - t0;
        assert.ok(found, `not seen within 300 ms (${collector.name})`);
        assert.equal(found.pid, process.pid);
        assert.equal(found.app.name, basename(process.execPath));
        assert.equal(found.app.path, process.execPath);
        assert.equal(found.local.address, '127.0.0.1');
        assert.ok(took < 300, `took ${took} ms`);
      } finally {
        client?.destroy();
        await new Promise((r) => server.close(r));
      }
    },
  );
}
