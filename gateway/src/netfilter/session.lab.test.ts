import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { systemRunner as runner, runChecked } from '../os/runner.js';
import { requireRootOrSkip } from '../testing/fixtures.js';
import { addElements } from './elements.js';
import { Nft } from './nft.js';
import { NftRefused, NftSession } from './session.js';

const NS = 'pp-nft-session';
const TABLE = 'table inet pp_session {\n  set s { type ipv4_addr; flags timeout; }\n}\n';
const skip = requireRootOrSkip();

const elements = async () =>
  (await runChecked(runner, 'nft', ['list', 'set', 'inet', 'pp_session', 's'], { netns: NS })).match(
    /\d+\.\d+\.\d+\.\d+/g,
  ) ?? ([] as string[]);
const add = (address: string) =>
  JSON.stringify({
    nftables: [addElements({ family: 'inet', table: 'pp_session', name: 's' }, [{ key: address }])],
  });

describe('nft session: batches through one long-lived nft process (real nft)', { skip }, () => {
  before(async () => {
    await runner.run('ip', ['netns', 'del', NS]);
    await runChecked(runner, 'ip', ['netns', 'add', NS]);
    await runChecked(runner, 'nft', ['-f', '-'], { netns: NS, input: TABLE });
  });
  after(async () => {
    await runner.run('ip', ['netns', 'del', NS]);
  });

  test('runs batches in order, reports what nft refuses, and survives its process dying', async () => {
    const session = new NftSession({ netns: NS });
    try {
      await Promise.all([session.run(add('10.0.0.1'), 5000), session.run(add('10.0.0.2'), 5000)]);
      assert.deepEqual(await elements(), ['10.0.0.1', '10.0.0.2']);

      const bad = JSON.stringify({
        nftables: [
          { add: { element: { family: 'inet', table: 'pp_session', name: 'nope', elem: ['10.0.0.3'] } } },
        ],
      });
      await assert.rejects(session.run(bad, 5000), (err: Error) => {
        assert.ok(err instanceof NftRefused, String(err));
        assert.match(err.message, /No such file or directory/);
        return true;
      });
      await session.run(add('10.0.0.4'), 5000);

      // Whatever kills nft, the next batch starts a new one.
      const pid = session.pid!;
      process.kill(pid, 'SIGKILL');
      const deadline = Date.now() + 5000;
      while (session.pid === pid && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      assert.equal(session.pid, undefined, 'the session noticed its nft died');
      await session.run(add('10.0.0.5'), 5000);
      assert.notEqual(session.pid, pid);
      assert.deepEqual(await elements(), ['10.0.0.1', '10.0.0.2', '10.0.0.4', '10.0.0.5']);
      await assert.rejects(session.run(`${add('10.0.0.6')}\n${add('10.0.0.7')}`, 5000), /one line/);
    } finally {
      session.close();
    }
    await assert.rejects(session.run(add('10.0.0.8'), 5000), /closed/);
  });

  test('Nft: a refused batch is an error naming the operation; a closed session falls back to one-shot nft', async () => {
    const session = new NftSession({ netns: NS });
    const nft = new Nft(runner, { netns: NS, session });
    await assert.rejects(
      nft.batch(
        [{ add: { element: { family: 'inet', table: 'pp_session', name: 'nope', elem: ['10.0.1.1'] } } }],
        'block pairs',
      ),
      /block pairs: .*No such file or directory/,
    );
    session.close();
    await nft.batch([addElements({ family: 'inet', table: 'pp_session', name: 's' }, [{ key: '10.0.1.2' }])]);
    assert.ok((await elements()).includes('10.0.1.2'));
  });
});
