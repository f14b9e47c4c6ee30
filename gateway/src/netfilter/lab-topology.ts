import type { ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { runChecked, systemRunner, type CommandRunner } from '../os/runner.js';

/**
 * Test-only: client — gw — wan, three fresh namespaces named `ppt-nf-<pid>-<n>-*` so parallel
 * runs and the `pp-*` lab never collide. Veths are created inside the namespaces, so host
 * interface names are never used.
 */
export interface Triangle {
  client: string;
  gw: string;
  wan: string;
  lanIf: string;
  wanIf: string;
  clientIf: string;
  clientMac: string;
  gwWanMac: string;
  clientIp: string;
  clientIp6: string;
  gwWanIp: string;
  wanIp: string;
  wanIp6: string;
  destroy(): Promise<void>;
}

let seq = 0;

export async function deadline<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function mac(runner: CommandRunner, ns: string, dev: string): Promise<string> {
  const out = await runChecked(runner, 'ip', ['-n', ns, '-j', 'link', 'show', dev]);
  return (JSON.parse(out) as Array<{ address: string }>)[0]!.address;
}

export async function createTriangle(runner: CommandRunner = systemRunner): Promise<Triangle> {
  const p = `ppt-nf-${process.pid}-${++seq}`;
  const t = {
    client: `${p}-cl`,
    gw: `${p}-gw`,
    wan: `${p}-wan`,
    lanIf: 'lan0',
    wanIf: 'wan0',
    clientIf: 'eth0',
    clientIp: '198.18.1.2',
    clientIp6: 'fd00:1::2',
    gwWanIp: '198.19.0.1',
    wanIp: '198.19.0.2',
    wanIp6: 'fd00:2::2',
  };
  const created: string[] = [];
  const destroy = async (): Promise<void> => {
    for (const ns of created) await runner.run('ip', ['netns', 'del', ns]);
  };
  const ip = (...a: string[]): Promise<string> => runChecked(runner, 'ip', a);
  try {
    for (const ns of [t.client, t.gw, t.wan]) {
      await ip('netns', 'add', ns);
      created.push(ns);
      await ip('-n', ns, 'link', 'set', 'lo', 'up');
    }
    await ip(
      '-n',
      t.gw,
      'link',
      'add',
      t.lanIf,
      'type',
      'veth',
      'peer',
      'name',
      t.clientIf,
      'netns',
      t.client,
    );
    await ip('-n', t.gw, 'link', 'add', t.wanIf, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', t.wan);
    const addrs: Array<[string, string, string]> = [
      [t.client, t.clientIf, `${t.clientIp}/24`],
      [t.client, t.clientIf, `${t.clientIp6}/64`],
      [t.gw, t.lanIf, '198.18.1.1/24'],
      [t.gw, t.lanIf, 'fd00:1::1/64'],
      [t.gw, t.wanIf, `${t.gwWanIp}/24`],
      [t.gw, t.wanIf, 'fd00:2::1/64'],
      [t.wan, 'eth0', `${t.wanIp}/24`],
      [t.wan, 'eth0', `${t.wanIp6}/64`],
    ];
    for (const [ns, dev, a] of addrs) {
      await ip('-n', ns, 'addr', 'add', a, 'dev', dev, ...(a.includes(':') ? ['nodad'] : []));
      await ip('-n', ns, 'link', 'set', dev, 'up');
    }
    await ip('-n', t.client, 'route', 'add', 'default', 'via', '198.18.1.1');
    await ip('-n', t.client, '-6', 'route', 'add', 'default', 'via', 'fd00:1::1');
    // The wan side deliberately has no route back to the LAN: replies only work through masquerade.
    await ip('-n', t.wan, '-6', 'route', 'add', 'default', 'via', 'fd00:2::1');
    return {
      ...t,
      clientMac: await mac(runner, t.client, t.clientIf),
      gwWanMac: await mac(runner, t.gw, t.wanIf),
      destroy,
    };
  } catch (err) {
    await destroy();
    throw err;
  }
}

/** A node one-liner in a namespace that prints `ready` once listening; other lines are kept. */
export async function startNode(
  ns: string,
  script: string,
  runner: CommandRunner = systemRunner,
): Promise<{ child: ChildProcess; lines: string[]; stop(): void }> {
  const child = runner.spawn('node', ['-e', script], { netns: ns });
  const lines: string[] = [];
  let ready = false;
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  createInterface({ input: child.stdout! }).on('line', (l) =>
    l === 'ready' ? (ready = true) : lines.push(l),
  );
  const stop = (): void => void child.kill('SIGKILL');
  try {
    await deadline(`node in ${ns} to be ready`, 10_000, async () => {
      if (child.exitCode !== null) throw new Error(`node in ${ns} exited ${child.exitCode}: ${stderr}`);
      return ready ? true : undefined;
    });
  } catch (err) {
    stop();
    throw err;
  }
  return { child, lines, stop };
}
