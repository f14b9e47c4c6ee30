export * from './errors.js';
export * from './devices.js';
export * from './usage.js';
export * from './auth.js';
export * from './health.js';
export * from './dns.js';
export * from './catalog.js';
export * from './rules.js';
