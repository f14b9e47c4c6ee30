import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { DnsQuery } from '@packetpilot/protocol';
import { api } from '@/api';
import { startOfToday } from './usage-math';

const PAGE = 1000;
const MAX_PAGES = 5;

/** DNS numbers for the overview: blocked queries today and the most recent ones. */
export const useDnsStore = defineStore('dns', () => {
  const blockedToday = ref<number | null>(null);
  /** True when there were more than the pages counted (shown as "5,000+"). */
  const blockedCapped = ref(false);
  const recentBlocked = ref<DnsQuery[]>([]);

  /** The log has no time filter: page back through blocked entries until yesterday. */
  async function loadBlockedToday(): Promise<void> {
    const since = startOfToday().getTime();
    let count = 0;
    let before: number | undefined;
    let capped = false;
    const recent: DnsQuery[] = [];
    for (let page = 0; ; page++) {
      const list = await api.dnsQueries({ blocked: true, limit: PAGE, before });
      const todays = list.queries.filter((q) => Date.parse(q.at) >= since);
      count += todays.length;
      if (recent.length < 8) recent.push(...todays.slice(0, 8 - recent.length));
      if (todays.length < list.queries.length || list.next === null) break;
      if (page + 1 >= MAX_PAGES) {
        capped = true;
        break;
      }
      before = list.next;
    }
    blockedToday.value = count;
    blockedCapped.value = capped;
    recentBlocked.value = recent;
  }

  return { blockedToday, blockedCapped, recentBlocked, loadBlockedToday };
});
