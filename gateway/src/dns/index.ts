export { DnsServer } from './server.js';
export {
  DEFAULT_DNS_TUNING,
  HEALTH_UPSTREAM_UNREACHABLE,
  type DnsServerOptions,
  type DnsStats,
  type DnsTuning,
  type ListenAddress,
} from './options.js';
export {
  DEFAULT_DNS_SETTINGS,
  type BlockMode,
  type ClientDevices,
  type Decision,
  type DnsAnswerListener,
  type DnsQueryRecord,
  type DnsSettings,
  type DomainPolicy,
} from './types.js';
export { parseUpstream, type UpstreamTarget } from './upstream.js';
