export type { Flow, FlowTuple, FlowEvent, FlowEventType, FlowDelta, Parsed } from './flow.js';
export { parseFlowLine, parseEventLine, parseDump } from './parse.js';
export {
  ConntrackCli,
  type Conntrack,
  type ConntrackEventStream,
  type ConntrackCliOptions,
  type FlowFilter,
} from './conntrack.js';
export {
  FlowTracker,
  flowKey,
  HEALTH_EVENTS_LOST,
  HEALTH_EVENTS_SILENT,
  type FlowBaseline,
  type FlowTrackerOptions,
} from './tracker.js';
export { checkConntrack, enableConntrackAccounting, type ConntrackProblem } from './health.js';
export { startFlowAccounting, type FlowAccounting, type FlowAccountingOptions } from './accounting.js';
