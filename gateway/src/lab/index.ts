// The network-namespace lab: `packetpilot lab up|down|status`, `npm start` and the kernel tests.
export { labUp, labDown, labStatus, planLabUp, inspectLab } from './lab.js';
export type { LabStatus, LabDownReport, LabState, LabDnsStatus } from './lab.js';
export { execIn, labContext, reachable } from './context.js';
export type { LabOptions, LabCommand, ExecInOptions } from './context.js';
export { startBackgroundTraffic, stopBackgroundTraffic } from './servers.js';
export type { ServerStatus } from './servers.js';
export { addSimulatedDevices, simDevice, planSimDevices } from './sim.js';
export type { SimDevice } from './sim.js';
export {
  LAB,
  LAB_NAMES,
  clientNs,
  labClient,
  labClients,
  labTopology,
  labHostsFile,
  dnsmasqArgs,
} from './topology.js';
export type {
  LabClient,
  LabTopology,
  LabServer,
  LabName,
  LabFile,
  LabLocalRange,
  VethEnd,
} from './topology.js';
export { DOT_BANNER } from './http-server.js';
export { pidFileProcesses } from './processes.js';
export type { LabProcesses, TrackedProcess } from './processes.js';
export { waitFor } from './wait.js';
export type { WaitOptions } from './wait.js';
