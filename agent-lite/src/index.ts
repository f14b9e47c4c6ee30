/**
 * @packetpilot/agent-lite: the per-PC agent. The CLI (`packetpilot-agent`) is the product; these
 * exports are the parts it is made of, for tests, the gateway's lab and whoever embeds the agent.
 */
export { AGENT_VERSION } from './version.js';
export type {
  AppInfo,
  CollectorDeps,
  Endpoint,
  Proto,
  SocketCollector,
  SocketOwner,
} from './collect/collector.js';
export { collectorFor, UnsupportedCollector, UnsupportedPlatformError } from './collect/collector.js';
export {
  LinuxProcfsCollector,
  LinuxSsCollector,
  LinuxSsUsersCollector,
  linuxCollector,
  type LinuxMethod,
} from './collect/collector.linux.js';
export { WindowsCollector } from './collect/collector.windows.js';
export { DarwinCollector } from './collect/collector.darwin.js';
export { FlowTracker, type FlowChanges } from './flows/tracker.js';
export { FlowBatcher, type BatcherOptions } from './flows/batcher.js';
export { Outbox, type OutboxOptions } from './report/outbox.js';
export { SeqAllocator } from './report/seq.js';
export { Backoff, type BackoffOptions } from './client/backoff.js';
export { GatewayClient, type GatewayClientOptions, type ClientState } from './client/client.js';
export { wsConnect, type Connect, type ClientSocket, type SocketEvents } from './client/socket.js';
export { enroll, EnrollError } from './client/enroll.js';
export { agentSocketUrl, parseGatewayUrl } from './client/gateway-url.js';
export { appMatches, ReportOnlyBlocker, type AppBlocker, type BlockingMode } from './block/blocker.js';
export { blockerFor } from './block/for-platform.js';
export { LinuxBlocker } from './block/block.linux.js';
export { WindowsBlocker } from './block/block.windows.js';
export { Agent, type AgentOptions } from './agent.js';
export { runCli, USAGE } from './cli.js';
export { EXIT, type RuntimeDeps } from './run.js';
export { systemRunner, type CommandRunner, type RunResult } from './os/runner.js';
export { systemClock, type Clock } from './os/clock.js';
export { hostFiles, type HostFiles } from './os/files.js';
