import { readFile } from 'node:fs/promises';
import type { CommandRunner } from '../os/runner.js';
import { runChecked } from '../os/runner.js';
import type { HealthRegistry } from '../health/registry.js';

export interface InterfaceCounters {
  rxBytes: number;
  rxPackets: number;
  txBytes: number;
  txPackets: number;
}

/** Parses `ip -j -s link show dev IF`; the kernel's 64-bit interface statistics. */
export function parseLinkStats(json: string, ifname: string): InterfaceCounters {
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch (err) {
    throw new Error(`parse ip -j -s link for ${ifname}: ${(err as Error).message}`, { cause: err });
  }
  const link = Array.isArray(data) ? (data[0] as Record<string, unknown> | undefined) : undefined;
  const stats = link?.stats64 as { rx?: Record<string, number>; tx?: Record<string, number> } | undefined;
  if (!stats?.rx || !stats.tx) throw new Error(`ip -j -s link for ${ifname}: no stats64 in output`);
  return {
    rxBytes: Number(stats.rx.bytes),
    rxPackets: Number(stats.rx.packets),
    txBytes: Number(stats.tx.bytes),
    txPackets: Number(stats.tx.packets),
  };
}

export async function readInterfaceCounters(
  runner: CommandRunner,
  ifname: string,
): Promise<InterfaceCounters> {
  return parseLinkStats(await runChecked(runner, 'ip', ['-j', '-s', 'link', 'show', 'dev', ifname]), ifname);
}

/**
 * The same counters from sysfs: four small reads instead of a fork of `ip`, which matters on a
 * box that reads them twice a sample. Falls back to `ip` where sysfs does not show the interface
 * (a network namespace whose sysfs was not remounted).
 */
export function interfaceCounterReader(
  runner: CommandRunner,
  ifname: string,
  readText: (path: string) => Promise<string> = (path) => readFile(path, 'utf8'),
): () => Promise<InterfaceCounters> {
  const dir = `/sys/class/net/${ifname}/statistics`;
  let useSysfs = true;
  return async () => {
    if (useSysfs) {
      try {
        const [rxBytes, rxPackets, txBytes, txPackets] = await Promise.all(
          ['rx_bytes', 'rx_packets', 'tx_bytes', 'tx_packets'].map(async (f) =>
            Number(await readText(`${dir}/${f}`)),
          ),
        );
        if ([rxBytes, rxPackets, txBytes, txPackets].every(Number.isFinite)) {
          return { rxBytes: rxBytes!, rxPackets: rxPackets!, txBytes: txBytes!, txPackets: txPackets! };
        }
      } catch {
        // not visible here: use ip from now on
      }
      useSysfs = false;
    }
    return readInterfaceCounters(runner, ifname);
  };
}

export function midpoint(a: InterfaceCounters, b: InterfaceCounters): InterfaceCounters {
  return {
    rxBytes: (a.rxBytes + b.rxBytes) / 2,
    rxPackets: (a.rxPackets + b.rxPackets) / 2,
    txBytes: (a.txBytes + b.txBytes) / 2,
    txPackets: (a.txPackets + b.txPackets) / 2,
  };
}

/** Link-layer bytes per packet on an Ethernet/veth link; nft counts IP-layer bytes. */
const ETHERNET_HEADER = 14;
/** Below this many bytes in a window the gap is noise (ARP, neighbour discovery), not a bug. */
const MIN_WINDOW_BYTES = 1_000_000;
/** Windows shorter than this are dominated by the few milliseconds between the two reads. */
const MIN_WINDOW_MS = 5_000;
export const GAP_WARNING_PERCENT = 1;
export const ACCOUNTING_GAP = 'accounting_gap';

export interface AccountedTotals {
  /** IP-layer bytes the accounting saw arrive on / leave by the WAN (forwarded + gateway-own). */
  wanInBytes: number;
  wanOutBytes: number;
}

/**
 * Σ devices + unattributed (= the forward totals) + the gateway's own WAN traffic should equal
 * what the WAN interface carried. Compared over windows of differences, so counters that were
 * there before the daemon started do not matter.
 */
export class WanReconciler {
  #start: { link: InterfaceCounters; acc: AccountedTotals; at: number } | null = null;
  #lastGap: number | null = null;

  constructor(
    private readonly health: HealthRegistry,
    private readonly now: () => number = Date.now,
  ) {}

  get lastGapPercent(): number | null {
    return this.#lastGap;
  }

  /** Feed a reading; returns the gap in percent when a window closed, else null. */
  observe(link: InterfaceCounters, acc: AccountedTotals): number | null {
    const at = this.now();
    if (!this.#start) {
      this.#start = { link, acc, at };
      return null;
    }
    const s = this.#start;
    const wanIn = link.rxBytes - s.link.rxBytes - ETHERNET_HEADER * (link.rxPackets - s.link.rxPackets);
    const wanOut = link.txBytes - s.link.txBytes - ETHERNET_HEADER * (link.txPackets - s.link.txPackets);
    if (wanIn < 0 || wanOut < 0) {
      // the interface was re-created and its counters restarted: begin a new window
      this.#start = { link, acc, at };
      return null;
    }
    if (at - s.at < MIN_WINDOW_MS) return null;
    if (wanIn + wanOut < MIN_WINDOW_BYTES) return null;
    const accounted = acc.wanInBytes - s.acc.wanInBytes + (acc.wanOutBytes - s.acc.wanOutBytes);
    const gap = (Math.abs(wanIn + wanOut - accounted) / (wanIn + wanOut)) * 100;
    this.#start = { link, acc, at };
    this.#lastGap = gap;
    if (gap > GAP_WARNING_PERCENT) {
      this.health.raise(
        ACCOUNTING_GAP,
        `WAN interface carried ${wanIn + wanOut} bytes but accounting saw ${accounted} (gap ${gap.toFixed(2)} %)`,
      );
    } else {
      this.health.clear(ACCOUNTING_GAP);
    }
    return gap;
  }
}
