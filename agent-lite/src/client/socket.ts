/**
 * The WebSocket as the client uses it: a few events and methods, so tests drive the client with a
 * fake and the real one is `ws`.
 */
import WebSocket from 'ws';

export interface SocketEvents {
  open(): void;
  message(text: string): void;
  close(code: number, reason: string): void;
  error(err: Error): void;
  /** The upgrade was answered with this HTTP status instead of 101. */
  rejected(status: number): void;
  pong(): void;
}

export interface ClientSocket {
  readonly bufferedAmount: number;
  send(text: string): void;
  ping(): void;
  close(code: number, reason: string): void;
  terminate(): void;
}

export type Connect = (url: string, headers: Record<string, string>, events: SocketEvents) => ClientSocket;

/** Frames from the gateway are small; anything above this is a broken peer. */
const MAX_PAYLOAD = 1024 * 1024;

export const wsConnect: Connect = (url, headers, events) => {
  const ws = new WebSocket(url, { headers, handshakeTimeout: 10_000, maxPayload: MAX_PAYLOAD });
  let rejected = false;
  ws.on('open', () => events.open());
  ws.on('message', (data, isBinary) => {
    if (isBinary) return events.error(new Error('gateway sent a binary frame'));
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
    events.message(bytes.toString('utf8'));
  });
  ws.on('unexpected-response', (_req, res) => {
    rejected = true;
    events.rejected(res.statusCode ?? 0);
    res.resume();
    ws.terminate();
  });
  ws.on('close', (code, reason) => {
    if (!rejected) events.close(code, reason.toString('utf8'));
  });
  ws.on('error', (err) => {
    if (!rejected) events.error(err);
  });
  ws.on('pong', () => events.pong());
  return {
    get bufferedAmount() {
      return ws.bufferedAmount;
    },
    send: (text) => ws.send(text),
    ping: () => ws.ping(),
    close: (code, reason) => ws.close(code, reason),
    terminate: () => ws.terminate(),
  };
};
