import type { SocketOwner } from '../collect/collector.js';

/** A socket owner with sensible defaults: an ESTABLISHED TCP connection of curl to 93.184.216.34:443. */
export function owner(
  over: Partial<SocketOwner> & { sport?: number; dst?: string; dport?: number } = {},
): SocketOwner {
  const { sport, dst, dport, ...rest } = over;
  return {
    proto: 'tcp',
    local: { address: '192.168.1.20', port: sport ?? 50000 },
    remote: { address: dst ?? '93.184.216.34', port: dport ?? 443 },
    listening: false,
    pid: 2201,
    app: { name: 'curl', path: '/usr/bin/curl', user: 'alice' },
    ...rest,
  };
}
