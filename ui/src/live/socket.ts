/**
 * The one owner of the `/api/v1/live` WebSocket. It validates every frame against the protocol
 * schema and feeds the live store; components never see the socket. Started when a user logs in,
 * stopped at logout. A dropped socket is reopened with back-off, after checking that the session
 * is still valid (an expired session goes to the login page instead of retrying for ever).
 */
import { LIVE_CLOSE } from '@packetpilot/protocol';
import { useLiveStore } from '@/stores/live';
import { parseFrame } from './frames';

export interface LiveOptions {
  /** Resolves false when the session is over (then no reconnect). */
  sessionAlive: () => Promise<boolean>;
  url?: string;
}

interface Connection {
  socket: WebSocket | null;
  timer: ReturnType<typeof setTimeout> | null;
  stopped: boolean;
  attempts: number;
}

let current: Connection | null = null;

function liveUrl(): string {
  const { protocol, host } = window.location;
  return `${protocol === 'https:' ? 'wss' : 'ws'}://${host}/api/v1/live`;
}

export function startLive(opts: LiveOptions): void {
  if (current && !current.stopped) return;
  const store = useLiveStore();
  const conn: Connection = { socket: null, timer: null, stopped: false, attempts: 0 };
  current = conn;
  let warned = false;

  const open = () => {
    if (conn.stopped) return;
    store.setStatus(conn.attempts ? 'reconnecting' : 'connecting');
    const ws = new WebSocket(opts.url ?? liveUrl());
    conn.socket = ws;
    ws.onopen = () => {
      conn.attempts = 0;
      store.setStatus('open');
    };
    ws.onmessage = (ev: MessageEvent) => {
      const f = parseFrame(ev.data);
      if (f.kind === 'rates') store.ingest(f.frame);
      else if (f.kind === 'invalid') {
        store.countInvalid();
        if (!warned) console.warn(`live: dropped a frame (${f.why})`);
        warned = true;
      }
    };
    ws.onclose = (ev: CloseEvent) => {
      conn.socket = null;
      if (conn.stopped) return;
      store.setStatus('reconnecting');
      // 4401: the gateway says this session ended (logout elsewhere, expiry, user disabled), so
      // ask at once instead of after the back-off; the check sends the user to the login page
      const delay = ev.code === LIVE_CLOSE.sessionEnded ? 0 : Math.min(15_000, 1000 * 2 ** conn.attempts++);
      conn.timer = setTimeout(() => {
        void opts.sessionAlive().then(
          (alive) => (alive ? open() : stopLive()),
          () => open(),
        );
      }, delay);
    };
  };
  open();
}

export function stopLive(): void {
  const conn = current;
  if (!conn) return;
  conn.stopped = true;
  if (conn.timer) clearTimeout(conn.timer);
  conn.socket?.close(1000, 'logged out');
  current = null;
  useLiveStore().reset();
}
