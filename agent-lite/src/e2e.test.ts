/**
 * End to end against a small in-test gateway that speaks the protocol (not the real gateway):
 * enroll over HTTP, then the agent WebSocket: welcome/policy → hello, flows → ack, a policy
 * change, a dropped connection and the resend of what was not acknowledged, then revocation.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { Compile } from 'typebox/compile';
import { AgentMessage, EnrollBody, type AgentFlows, type AgentMessage as Msg } from '@packetpilot/protocol';
import { runCli } from './cli.js';
import { wsConnect } from './client/socket.js';
import { currentMachine } from './client/hello.js';
import type { SocketCollector, SocketOwner } from './collect/collector.js';
import { ReportOnlyBlocker } from './block/blocker.js';
import { silentLogger } from './log.js';
import { systemClock } from './os/clock.js';
import { hostFiles } from './os/files.js';
import { systemRunner } from './os/runner.js';
import { owner } from './testing/builders.js';

const checkAgent = Compile(AgentMessage);
const checkEnroll = Compile(EnrollBody);

class TestGateway {
  readonly received: Msg[] = [];
  readonly sockets: WebSocket[] = [];
  readonly auth: string[] = [];
  /** Ack flows reports? (off to simulate a gateway that dies before acking) */
  ack = true;
  revoked = false;
  readonly http = createServer((req, res) => void this.#enroll(req, res));
  readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });

  async start(): Promise<string> {
    this.http.on('upgrade', (req, socket, head) => {
      this.auth.push(String(req.headers.authorization));
      if (
        req.url !== '/api/v1/agent' ||
        req.headers.authorization !== 'Agent 7.c2VjcmV0LXNlY3JldA' ||
        this.revoked
      ) {
        socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.#attach(ws));
    });
    await new Promise<void>((r) => this.http.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.http.address() as { port: number }).port}`;
  }

  async #enroll(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let body = '';
    for await (const chunk of req) body += String(chunk);
    const value: unknown = JSON.parse(body);
    const good =
      req.url === '/api/v1/agents/enroll' && checkEnroll.Check(value) && value.code === 'ABCDE-FGHJK';
    res.writeHead(good ? 200 : 401, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify(
        good
          ? { agentId: 7, secret: 'c2VjcmV0LXNlY3JldA', deviceId: 3 }
          : { error: { code: 'PP_E', message: 'no' } },
      ),
    );
  }

  #attach(ws: WebSocket): void {
    this.sockets.push(ws);
    ws.send(JSON.stringify({ type: 'welcome', agentId: 7, deviceId: 3, heartbeatSeconds: 1 }));
    ws.send(JSON.stringify({ type: 'policy', blockedApps: ['steam'] }));
    ws.on('message', (data) => {
      const m: unknown = JSON.parse(String(data));
      assert.ok(checkAgent.Check(m), `agent sent an invalid message: ${String(data)}`);
      this.received.push(m);
      if (m.type === 'flows' && this.ack) ws.send(JSON.stringify({ type: 'ack', seq: m.seq }));
    });
  }

  flows(): AgentFlows[] {
    return this.received.filter((m): m is AgentFlows => m.type === 'flows');
  }

  async stop(): Promise<void> {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
    await new Promise((r) => this.http.close(r));
  }
}

/** Snapshots the test sets; the agent polls them like the OS's. */
class ScriptedCollector implements SocketCollector {
  readonly name = 'test/scripted';
  owners: SocketOwner[] = [];
  snapshot(): Promise<SocketOwner[]> {
    return Promise.resolve([...this.owners]);
  }
}

async function until<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | false>,
  ms = 5000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test(
  'enroll, hello, flows and acks, policy, reconnect with resend, revocation',
  { timeout: 30_000 },
  async (t) => {
    const gw = new TestGateway();
    const url = await gw.start();
    const dir = await mkdtemp(join(tmpdir(), 'ppal-e2e-'));
    t.after(async () => {
      await gw.stop();
      await rm(dir, { recursive: true, force: true });
    });
    const collector = new ScriptedCollector();
    const stop = new AbortController();
    const err: string[] = [];
    const deps = {
      platform: 'linux',
      runner: systemRunner,
      files: hostFiles,
      clock: systemClock,
      fetch: globalThis.fetch,
      connect: wsConnect,
      machine: currentMachine,
      log: silentLogger(),
      signal: stop.signal,
      random: () => 0.5,
      collector,
      blocker: new ReportOnlyBlocker(silentLogger(), 'linux'),
    };
    const io = { stdout: () => undefined, stderr: (s: string) => void err.push(s), env: {} };

    // A refused code: exit 2, nothing stored.
    assert.equal(
      await runCli(['--gateway', url, '--enroll', 'WRONG-CODE1', '--state-dir', dir], deps, io),
      2,
    );
    assert.match(err.join(''), /enrollment code refused/);

    const policy = async () =>
      (JSON.parse(await readFile(join(dir, 'policy.json'), 'utf8')) as { blockedApps: string[] }).blockedApps;
    const run = runCli(
      ['--gateway', url, '--enroll', 'ABCDE-FGHJK', '--state-dir', dir, '--poll-ms', '20'],
      deps,
      io,
    );
    const hello = await until('hello', () => gw.received.find((m) => m.type === 'hello'));
    assert.equal(hello.type === 'hello' && hello.blocking, 'report-only');
    const creds = JSON.parse(await readFile(join(dir, 'credentials.json'), 'utf8')) as { agentId: number };
    assert.equal(creds.agentId, 7);
    assert.equal((await stat(join(dir, 'credentials.json'))).mode & 0o777, 0o600);
    await until('stored policy', async () => (await policy().catch(() => []))[0] === 'steam');

    // Flows: opened, then closed.
    collector.owners = [owner({ sport: 50001 }), owner({ sport: 50002, dst: '127.0.0.1' })];
    await until('opened', () => gw.flows().some((f) => f.opened.some((o) => o.sport === 50001)));
    collector.owners = [];
    await until('closed', () => gw.flows().some((f) => f.closed.some((c) => c.sport === 50001)));
    assert.ok(!gw.flows().some((f) => f.opened.some((o) => o.sport === 50002)), 'loopback is not a flow');
    await until('heartbeat', () => gw.received.some((m) => m.type === 'heartbeat'));

    // Policy change reaches the agent's state.
    gw.sockets[0]?.send(JSON.stringify({ type: 'policy', blockedApps: ['curl'] }));
    await until('policy stored', async () => (await policy().catch(() => []))[0] === 'curl');

    // The gateway stops acking and drops the connection: the unacknowledged report comes again.
    gw.ack = false;
    collector.owners = [owner({ sport: 50003 })];
    const lost = await until('report not acked', () =>
      gw.flows().find((f) => f.opened.some((o) => o.sport === 50003)),
    );
    gw.ack = true;
    gw.sockets[0]?.terminate();
    await until('reconnect', () => gw.sockets.length === 2, 5000);
    await until('resend', () => gw.flows().filter((f) => f.seq === lost.seq).length === 2, 5000);
    const seqs = gw.flows().map((f) => f.seq);
    assert.deepEqual(
      seqs,
      [...seqs].sort((a, b) => a - b),
      'seq only increases',
    );

    // Revoked: 4401 → exit 3, credential set aside.
    gw.revoked = true;
    gw.sockets[1]?.close(4401, 'agent revoked');
    assert.equal(await run, 3);
    assert.match(err.join(''), /revoked/);
    await assert.rejects(stat(join(dir, 'credentials.json')));
    assert.equal(await runCli(['--state-dir', dir], deps, io), 2, 'not enrolled any more');
  },
);
