/** The live throughput history: pure functions over LiveRates frames, tested without a socket. */
import type { LiveRates } from '@packetpilot/protocol';

/** One second of the whole network: bytes/s summed over devices; null marks a gap (no frames). */
export interface RatePoint {
  t: number;
  rx: number | null;
  tx: number | null;
}

export interface DeviceRate {
  rxBps: number;
  txBps: number;
}

/** The chart's window: 10 minutes. */
export const WINDOW_MS = 10 * 60_000;

export function frameTotals(frame: LiveRates): { rx: number; tx: number } {
  let rx = 0;
  let tx = 0;
  for (const d of frame.devices) {
    rx += d.rxBps;
    tx += d.txBps;
  }
  return { rx, tx };
}

/**
 * The history with `frame` appended: points older than the window are dropped, a frame older
 * than the last point is ignored, and a pause of more than a few intervals (socket down) becomes a
 * null point so the line breaks instead of drawing a slope across the gap.
 */
export function appendFrame(
  points: readonly RatePoint[],
  frame: LiveRates,
  windowMs = WINDOW_MS,
): RatePoint[] {
  const t = Date.parse(frame.at);
  if (!Number.isFinite(t)) return [...points];
  const last = points[points.length - 1];
  if (last && t <= last.t) return [...points];
  const { rx, tx } = frameTotals(frame);
  const out = points.filter((p) => p.t > t - windowMs);
  const interval = frame.intervalMs > 0 ? frame.intervalMs : 1000;
  if (last && t - last.t > Math.max(3 * interval, 5000))
    out.push({ t: last.t + interval, rx: null, tx: null });
  out.push({ t, rx, tx });
  return out;
}

export function deviceRates(frame: LiveRates): Map<number, DeviceRate> {
  return new Map(frame.devices.map((d) => [d.deviceId, { rxBps: d.rxBps, txBps: d.txBps }]));
}

/** The newest point with numbers (the chart's "now"). */
export function latestPoint(points: readonly RatePoint[]): RatePoint | null {
  for (let i = points.length - 1; i >= 0; i--) {
    const p = points[i]!;
    if (p.rx !== null) return p;
  }
  return null;
}
