export * from './table.js';
export { Nft, planApply, setMatches, type NftCommand } from './nft.js';
export {
  parseNftTable,
  parseNftListing,
  normaliseKey,
  type NftSnapshot,
  type NftListing,
  type Counts,
  type SetElementCount,
} from './parse.js';
export * from './gateway-table.js';
export { enableForwarding } from './sysctl.js';
