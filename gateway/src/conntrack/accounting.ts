import type { Logger } from '../log.js';
import type { Conntrack } from './conntrack.js';
import type { FlowDelta } from './flow.js';
import type { FlowTracker } from './tracker.js';

export interface FlowAccountingOptions {
  conntrack: Conntrack;
  tracker: FlowTracker;
  /** Receives every batch of deltas (from events and dumps) in order. */
  onDeltas: (deltas: FlowDelta[]) => void;
  /** Periodic reconciliation dump. */
  dumpIntervalMs?: number;
  log?: Logger;
}

export interface FlowAccounting {
  /** Dump now (serialised with the periodic dump); resolves when ingested. */
  dumpNow(): Promise<void>;
  stop(): void;
}

/**
 * Wires the event stream and periodic dumps into the tracker: an overrun forces a dump, and a
 * tracker that sees flows no NEW announced resubscribes the stream (LESSONS: resubscribe and warn).
 * Call after `tracker.restore()`; the first dump runs immediately so existing flows are adopted.
 */
export function startFlowAccounting(o: FlowAccountingOptions): FlowAccounting {
  const stream = o.conntrack.events();
  let running: Promise<void> = Promise.resolve();
  let stopped = false;

  const dumpNow = (): Promise<void> => {
    running = running.then(async () => {
      if (stopped) return;
      const startedAt = Date.now();
      try {
        const flows = await o.conntrack.flows();
        const deltas = o.tracker.ingestDump(flows, startedAt);
        if (deltas.length) o.onDeltas(deltas);
        if (o.tracker.eventsSilent) stream.resubscribe();
      } catch (err) {
        o.log?.error({ err }, 'conntrack dump failed');
      }
    });
    return running;
  };

  stream.on('event', (e) => {
    const deltas = o.tracker.ingestEvent(e);
    if (deltas.length) o.onDeltas(deltas);
  });
  stream.on('overrun', () => {
    o.tracker.noteOverrun();
    void dumpNow();
  });
  stream.on('parseError', (p) => o.log?.warn(p, 'unparsed conntrack event'));
  stream.on('exit', (x) => o.log?.warn(x, 'conntrack event child exited'));

  const timer = setInterval(() => void dumpNow(), o.dumpIntervalMs ?? 30_000);
  timer.unref();
  void dumpNow();
  return {
    dumpNow,
    stop() {
      stopped = true;
      clearInterval(timer);
      stream.close();
    },
  };
}
