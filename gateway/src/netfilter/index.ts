export * from './table.js';
export { Nft, planApply, setMatches, type NftCommand } from './nft.js';
export { NftSession, NftRefused } from './session.js';
export {
  addElements,
  addListedElements,
  deleteElements,
  destroyElements,
  elementValue,
  flushSet,
  type ElementKey,
  type ElementSpec,
  type SetRef,
} from './elements.js';
export {
  parseNftTable,
  parseNftListing,
  parseNftSet,
  normaliseKey,
  type NftSnapshot,
  type NftListing,
  type ListedSet,
  type ListedElement,
  type Counts,
  type SetElementCount,
} from './parse.js';
export * from './gateway-table.js';
export { enableForwarding } from './sysctl.js';
