import { test } from 'node:test';
import assert from 'node:assert/strict';
import { enroll, EnrollError } from './enroll.js';

const base = new URL('http://gw:8080');
const body = { code: 'ABCDE-FGHJK', platform: 'linux' as const, hostname: 'pc', macs: ['02:00:00:00:00:01'] };

function fetchReturning(status: number, json: unknown, headers: Record<string, string> = {}) {
  const calls: { url: string; init: RequestInit | undefined }[] = [];
  const f = (async (url: string, init?: RequestInit) => {
    calls.push({ url, init });
    return new Response(JSON.stringify(json), { status, headers });
  }) as unknown as typeof fetch;
  return { f, calls };
}

test('exchanges the code and checks the reply', async () => {
  const { f, calls } = fetchReturning(200, { agentId: 3, secret: 'c2VjcmV0', deviceId: 7 });
  assert.deepEqual(await enroll(base, body, f), { agentId: 3, secret: 'c2VjcmV0', deviceId: 7 });
  assert.equal(calls[0]?.url, 'http://gw:8080/api/v1/agents/enroll');
  assert.deepEqual(JSON.parse(String(calls[0]?.init?.body)), body);
});

test('failures are classified: refused, rejected, retry (with Retry-After)', async () => {
  const refused = fetchReturning(401, {
    error: { code: 'PP_E_ENROLL', message: 'invalid or expired enrollment code' },
  });
  await assert.rejects(
    enroll(base, body, refused.f),
    (e: EnrollError) => e.failure === 'refused' && /refused/.test(e.message),
  );
  const limited = fetchReturning(429, {}, { 'retry-after': '12' });
  await assert.rejects(
    enroll(base, body, limited.f),
    (e: EnrollError) => e.failure === 'retry' && e.retryAfterMs === 12_000,
  );
  const bad = fetchReturning(400, {
    error: { message: 'body/platform must be equal to one of the allowed values' },
  });
  await assert.rejects(
    enroll(base, body, bad.f),
    (e: EnrollError) => e.failure === 'rejected' && /platform/.test(e.message),
  );
  const down = fetchReturning(502, 'Bad Gateway');
  await assert.rejects(enroll(base, body, down.f), (e: EnrollError) => e.failure === 'retry');
  const notUs = fetchReturning(200, { hello: 'world' });
  await assert.rejects(enroll(base, body, notUs.f), /did not answer like a Packet Pilot gateway/);
  const unreachable = (async () => {
    throw new TypeError('fetch failed', { cause: Object.assign(new Error('x'), { code: 'ECONNREFUSED' }) });
  }) as unknown as typeof fetch;
  await assert.rejects(
    enroll(base, body, unreachable),
    (e: EnrollError) =>
      e.failure === 'retry' && /unreachable at http:\/\/gw:8080: ECONNREFUSED/.test(e.message),
  );
});
