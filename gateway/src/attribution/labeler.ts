import type { FlowDelta } from '../conntrack/index.js';
import type { FlowLabeler } from '../usage/flows.js';
import { deviceKey, type AnswerMemory } from './answers.js';

/** A new flow is the name its device was last told for the flow's remote address, else unknown (''). */
export class DnsFlowLabeler implements FlowLabeler {
  constructor(
    private readonly memory: AnswerMemory,
    private readonly devices: { deviceIdForAddressSync(address: string): number },
  ) {}

  labelFor(d: FlowDelta): string {
    const deviceId = this.devices.deviceIdForAddressSync(d.origSrc);
    // A device found between its question and its flow asked as "unknown client at this address".
    return (
      this.memory.nameFor(deviceKey(deviceId, d.origSrc), d.origDst) ??
      (deviceId > 0 ? this.memory.nameFor(deviceKey(0, d.origSrc), d.origDst) : null) ??
      ''
    );
  }
}
