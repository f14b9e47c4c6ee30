import { test } from 'node:test';
import assert from 'node:assert/strict';
import { threadLogger, type LogRecord } from './log.js';

test('thread logger: level filter, child bindings, errors made plain for the trip to the main thread', () => {
  const sent: LogRecord[] = [];
  const log = threadLogger('info', (r) => sent.push(r), { thread: 'dns' });
  log.debug('not at info');
  log.info('dns server listening');
  const err = Object.assign(new Error('bind EADDRINUSE'), { code: 'EADDRINUSE' });
  log.child({ module: 'dns' }).warn({ err, port: 53 }, 'listen failed');
  assert.equal(sent.length, 2);
  assert.deepEqual(sent[0], {
    level: 'info',
    bindings: { thread: 'dns' },
    obj: {},
    msg: 'dns server listening',
  });
  assert.deepEqual(sent[1]!.bindings, { thread: 'dns', module: 'dns' });
  const plain = sent[1]!.obj.err as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(plain), Object.prototype);
  assert.equal(plain.message, 'bind EADDRINUSE');
  assert.equal(plain.code, 'EADDRINUSE');
  assert.match(String(plain.stack), /bind EADDRINUSE/);
  assert.equal(sent[1]!.obj.port, 53);
  // Every record can cross to the main thread.
  assert.doesNotThrow(() => structuredClone(sent));
  assert.equal(threadLogger('silent', (r) => sent.push(r)).isLevelEnabled('fatal'), false);
});
