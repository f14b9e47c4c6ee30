// The network-namespace lab: `packetpilot lab up|down|status`, `npm start` and the kernel tests.
export { labUp, labDown, labStatus, planLabUp, inspectLab } from './lab.js';
export type { LabStatus, LabDownReport, LabState } from './lab.js';
export { execIn, labContext, reachable } from './context.js';
export type { LabOptions, LabCommand, ExecInOptions } from './context.js';
export { startBackgroundTraffic, stopBackgroundTraffic } from './servers.js';
export type { ServerStatus } from './servers.js';
export { addSimulatedDevices, simDevice, planSimDevices } from './sim.js';
export type { SimDevice } from './sim.js';
export { LAB, clientNs, labClient, labClients, labTopology } from './topology.js';
export type { LabClient, LabTopology, LabServer, VethEnd } from './topology.js';
export { pidFileProcesses } from './processes.js';
export type { LabProcesses, TrackedProcess } from './processes.js';
export { waitFor } from './wait.js';
export type { WaitOptions } from './wait.js';
