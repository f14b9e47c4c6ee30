import { pino } from 'pino';
import { buildApp } from './app.js';
import type { AppDeps } from './deps.js';
import { LiveFeed } from '../usage/live.js';

const unused = () => {
  throw new Error('not called while generating the OpenAPI document');
};

/** Dependencies that throw when called: enough to build the app for its routes alone. */
export function placeholderDeps(): AppDeps {
  return {
    log: pino({ level: 'silent' }),
    auth: { authenticate: unused, login: unused, logout: unused } as unknown as AppDeps['auth'],
    users: { list: unused, get: unused, create: unused, update: unused, delete: unused },
    tokens: { create: unused, authenticate: unused, list: unused, revoke: unused },
    audit: { append: unused, query: unused },
    devices: { list: unused, get: unused, exists: unused, update: unused },
    usage: { series: unused, summary: unused },
    remotes: { topRemotes: unused },
    breakdowns: { breakdown: unused },
    dnsLog: { list: unused, topDomains: unused },
    dnsSettings: { get: unused, update: unused },
    catalog: { services: unused, categories: unused },
    rules: { list: unused, get: unused, create: unused, update: unused, delete: unused, explain: unused },
    health: unused,
    live: new LiveFeed(),
  };
}

/** The OpenAPI document, from the routes themselves (no database, no kernel needed). */
export async function generateOpenApi(): Promise<unknown> {
  const app = await buildApp(placeholderDeps());
  await app.ready();
  const doc = app.swagger();
  await app.close();
  return doc;
}
