import type { ClientSocket, Connect, SocketEvents } from '../client/socket.js';

/** One connection attempt of the client, driven by the test. */
export class FakeSocket implements ClientSocket {
  readonly sent: unknown[] = [];
  bufferedAmount = 0;
  pings = 0;
  closed: { code: number; reason: string } | undefined;
  terminated = false;

  constructor(
    readonly url: string,
    readonly headers: Record<string, string>,
    readonly events: SocketEvents,
  ) {}

  send(text: string): void {
    this.sent.push(JSON.parse(text));
  }
  ping(): void {
    this.pings++;
  }
  close(code: number, reason: string): void {
    this.closed = { code, reason };
  }
  terminate(): void {
    this.terminated = true;
  }

  /** Gateway side: open the socket and greet like the real gateway (welcome + policy). */
  welcome(heartbeatSeconds = 30, blockedApps: string[] = []): void {
    this.events.open();
    this.receive({ type: 'welcome', agentId: 5, deviceId: 9, heartbeatSeconds });
    this.receive({ type: 'policy', blockedApps });
  }

  receive(message: unknown): void {
    this.events.message(JSON.stringify(message));
  }

  /** Messages of one type the agent sent on this socket. */
  of<T = Record<string, unknown>>(type: string): T[] {
    return this.sent.filter((m) => (m as { type?: string }).type === type) as T[];
  }
}

/** A Connect that records every attempt. */
export function fakeConnect(): { connect: Connect; sockets: FakeSocket[]; last: () => FakeSocket } {
  const sockets: FakeSocket[] = [];
  return {
    connect: (url, headers, events) => {
      const s = new FakeSocket(url, headers, events);
      sockets.push(s);
      return s;
    },
    sockets,
    last: () => {
      const s = sockets.at(-1);
      if (!s) throw new Error('no connection attempt yet');
      return s;
    },
  };
}
