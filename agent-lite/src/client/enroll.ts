/**
 * The one-time exchange of an enrollment code for the agent's credential:
 * `POST /api/v1/agents/enroll {code, platform, hostname, macs, name?}` → `{agentId, secret, deviceId}`.
 */
import { Compile } from 'typebox/compile';
import { EnrollReply, type EnrollBody } from '@packetpilot/protocol';
import { enrollUrl } from './gateway-url.js';

const checkReply = Compile(EnrollReply);

export type EnrollFailure =
  /** 401: unknown, used-up, expired or revoked code. Retrying does not help. */
  | 'refused'
  /** 400 and other 4xx: this agent sent something the gateway does not take. */
  | 'rejected'
  /** 429 (login limiter), 5xx, network errors: try again later. */
  | 'retry';

export class EnrollError extends Error {
  override name = 'EnrollError';
  constructor(
    message: string,
    readonly failure: EnrollFailure,
    /** From Retry-After, when the gateway said when. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export async function enroll(base: URL, body: EnrollBody, fetchImpl: typeof fetch): Promise<EnrollReply> {
  const url = enrollUrl(base);
  let res: Response;
  try {
    res = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (err as Error).message;
    throw new EnrollError(`gateway unreachable at ${base.origin}: ${why}`, 'retry');
  }
  const text = await res.text().catch(() => '');
  if (res.status === 401) {
    throw new EnrollError('enrollment code refused: it is unknown, used up, expired or revoked', 'refused');
  }
  if (res.status === 429) {
    const seconds = Number(res.headers.get('retry-after'));
    throw new EnrollError(
      'too many enrollment attempts from this address; waiting',
      'retry',
      Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined,
    );
  }
  if (res.status >= 500) throw new EnrollError(`gateway error ${res.status}: ${errorMessage(text)}`, 'retry');
  if (!res.ok)
    throw new EnrollError(`enrollment rejected (${res.status}): ${errorMessage(text)}`, 'rejected');
  let reply: unknown;
  try {
    reply = JSON.parse(text);
  } catch {
    reply = undefined;
  }
  if (!checkReply.Check(reply)) {
    throw new EnrollError(`${url} did not answer like a Packet Pilot gateway`, 'rejected');
  }
  return reply;
}

/** `{error: {code, message}}` → message; anything else, cut short. */
function errorMessage(text: string): string {
  try {
    const e = (JSON.parse(text) as { error?: { message?: unknown } }).error;
    if (typeof e?.message === 'string') return e.message;
  } catch {
    /* not JSON */
  }
  return text.slice(0, 200) || 'no details';
}
