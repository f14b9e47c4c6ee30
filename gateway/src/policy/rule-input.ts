/**
 * Checks and normalises what an admin sends for a rule: domain values become lower-case ASCII
 * host names without a trailing dot, service and category ids must be in the catalogue, a device
 * scope must name an existing device. Failures are 400s whose message says what to fix.
 */
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import type { RuleScope, RuleTarget } from '@packetpilot/protocol';
import type { Catalog } from '../classify/catalog.js';
import { isValidName, normaliseName } from '../classify/names.js';
import { AppError } from '../errors.js';

export type CatalogIds = Pick<Catalog, 'service' | 'category'>;

export interface DeviceExistence {
  exists(id: number): Promise<boolean>;
}

/**
 * A domain as typed by an admin → its stored form: trimmed, one leading `*.` and one trailing dot
 * dropped (a domain rule covers subdomains anyway), IDNs in their xn-- form, lower-case. A bare
 * name without a dot ('example', a TLD) is valid; an IP address or URL is not.
 */
export function normaliseDomainInput(raw: string, field = 'target.value'): string {
  let value = raw.trim();
  if (value.startsWith('*.')) value = value.slice(2);
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(value)) value = domainToASCII(value) || value;
  value = normaliseName(value);
  if (isIP(value) !== 0) {
    throw new AppError(
      'PP_E_VALIDATION',
      `${field}: ${JSON.stringify(raw)} is an IP address; give a domain name`,
    );
  }
  if (!isValidName(value, 'host')) {
    throw new AppError(
      'PP_E_VALIDATION',
      `${field}: ${JSON.stringify(raw)} is not a valid domain name (labels of letters, digits and ` +
        `hyphens, 1–63 characters each, separated by dots, e.g. example.com)`,
    );
  }
  return value;
}

/** The target as stored, or a 400 naming what is wrong. */
export function checkTarget(target: RuleTarget, catalog: CatalogIds): RuleTarget {
  switch (target.type) {
    case 'internet':
      return { type: 'internet' };
    case 'service':
      if (!catalog.service(target.id)) {
        throw new AppError(
          'PP_E_VALIDATION',
          `target.id: unknown service '${target.id}'; GET /api/v1/catalog/services lists the known ones`,
        );
      }
      return { type: 'service', id: target.id };
    case 'category':
      if (!catalog.category(target.id)) {
        throw new AppError(
          'PP_E_VALIDATION',
          `target.id: unknown category '${target.id}'; GET /api/v1/catalog/categories lists the known ones`,
        );
      }
      return { type: 'category', id: target.id };
    case 'domain':
      return { type: 'domain', value: normaliseDomainInput(target.value) };
    case 'app': {
      const name = target.name.trim();
      // eslint-disable-next-line no-control-regex
      if (!name || /[\u0000-\u001f\u007f]/.test(name)) {
        throw new AppError('PP_E_VALIDATION', 'target.name: an app name without control characters');
      }
      return { type: 'app', name };
    }
  }
}

export async function checkScope(scope: RuleScope, devices: DeviceExistence): Promise<RuleScope> {
  if (scope.type === 'all') return { type: 'all' };
  if (!(await devices.exists(scope.id))) {
    throw new AppError('PP_E_VALIDATION', `scope.id: device ${scope.id} not found`);
  }
  return { type: 'device', id: scope.id };
}

/** Trimmed; empty means no note. */
export function checkNote(note: string | null | undefined): string | null | undefined {
  if (note === undefined || note === null) return note;
  return note.trim() || null;
}
