/**
 * The fetch wrapper every API call goes through: same-origin credentials, JSON, the CSRF header
 * on mutations (double-submit: the `pp_csrf` cookie's value in `x-csrf-token`), errors as
 * ApiError with the gateway's `{ error: { code, message } }`, and one hook for 401 so an
 * expired session sends the user to the login page instead of leaving a broken one.
 */
import type { ErrorReply } from '@packetpilot/protocol';

export const API_BASE = '/api/v1';
export const CSRF_COOKIE = 'pp_csrf';
export const CSRF_HEADER = 'x-csrf-token';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The value of one cookie in a `document.cookie` string, or null. */
export function readCookie(cookies: string, name: string): string | null {
  for (const part of cookies.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const raw = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(raw);
      } catch {
        return raw;
      }
    }
  }
  return null;
}

/** `?a=1&b=x` from the defined values of an object (arrays repeat the key). */
export function queryString(params: object | undefined): string {
  if (!params) return '';
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) for (const item of v) q.append(k, String(item));
    else q.append(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

type Method = 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';

export interface HttpOptions {
  fetch?: typeof fetch;
  /** `document.cookie` (injected for tests). */
  cookies?: () => string;
  base?: string;
}

export class Http {
  /** Called on every 401 except the login call itself. */
  onUnauthorized: (() => void) | null = null;
  /** The CSRF token of the login reply, used when the cookie cannot be read. */
  csrfFallback: string | null = null;

  private readonly fetchFn: typeof fetch;
  private readonly cookies: () => string;
  private readonly base: string;

  constructor(opts: HttpOptions = {}) {
    this.fetchFn = opts.fetch ?? ((...a) => globalThis.fetch(...a));
    this.cookies = opts.cookies ?? (() => (typeof document === 'undefined' ? '' : document.cookie));
    this.base = opts.base ?? API_BASE;
  }

  csrfToken(): string | null {
    return readCookie(this.cookies(), CSRF_COOKIE) ?? this.csrfFallback;
  }

  get<T>(path: string, query?: object): Promise<T> {
    return this.request<T>('GET', path + queryString(query));
  }

  post<T>(path: string, body?: unknown, opts: { anonymous?: boolean } = {}): Promise<T> {
    return this.request<T>('POST', path, body, opts);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PATCH', path, body);
  }

  delete(path: string): Promise<void> {
    return this.request<void>('DELETE', path);
  }

  async request<T>(
    method: Method,
    path: string,
    body?: unknown,
    opts: { anonymous?: boolean } = {},
  ): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET') {
      const csrf = this.csrfToken();
      if (csrf) headers[CSRF_HEADER] = csrf;
    }
    let res: Response;
    try {
      res = await this.fetchFn(this.base + path, {
        method,
        headers,
        credentials: 'same-origin',
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new ApiError(0, 'PP_E_NETWORK', `cannot reach the gateway (${(err as Error).message})`);
    }
    if (res.status === 401 && !opts.anonymous) this.onUnauthorized?.();
    if (!res.ok) throw await toError(res);
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

async function toError(res: Response): Promise<ApiError> {
  let code = `HTTP_${res.status}`;
  let message = res.statusText || `request failed with status ${res.status}`;
  try {
    const body = (await res.json()) as Partial<ErrorReply>;
    if (body.error) ({ code, message } = body.error);
  } catch {
    /* not JSON: keep the status text */
  }
  return new ApiError(res.status, code, message);
}

/** A message for the user from anything thrown. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 403) return `Not allowed: ${err.message}`;
    return err.message;
  }
  return err instanceof Error ? err.message : String(err);
}
