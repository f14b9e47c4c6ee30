import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readTestdata } from '../testing/testdata.js';
import {
  getProcessScript,
  parseGetProcessJson,
  parseNetstatAno,
  parseTasklistCsv,
  windowsAppName,
} from './windows-parse.js';

test('netstat -ano: TCP and UDP rows, IPv6 with zones, listeners by their empty remote', () => {
  const { rows, malformed } = parseNetstatAno(readTestdata('windows/netstat-ano.out'));
  assert.equal(rows.length, 14);
  assert.equal(malformed.length, 2);
  assert.deepEqual(rows[4], {
    proto: 'tcp',
    local: { address: '192.168.1.20', port: 49712 },
    remote: { address: '20.42.65.92', port: 443 },
    state: 'ESTABLISHED',
    listening: false,
    pid: 5236,
  });
  const v6 = rows.find((r) => r.remote.address === '2606:4700::6810:84e5');
  assert.deepEqual(v6?.local, { address: '2001:db8::20', port: 49800 });
  assert.equal(rows.find((r) => r.local.port === 49900)?.local.address, 'fe80::1c2b:3a4d:5e6f:7a8b');
  assert.deepEqual(
    rows.filter((r) => r.listening).map((r) => `${r.proto}:${r.local.port}`),
    ['tcp:135', 'tcp:445', 'tcp:139', 'tcp:135', 'udp:5353', 'udp:5353', 'udp:1900'],
  );
  assert.deepEqual(rows.find((r) => r.proto === 'udp')?.remote, { address: '0.0.0.0', port: 0 });
});

test('netstat -ano on a German Windows: the same rows, whatever the headers and states say', () => {
  const { rows, malformed } = parseNetstatAno(readTestdata('windows/netstat-ano-de.out'));
  assert.deepEqual(malformed, []);
  assert.deepEqual(
    rows.map((r) => [r.proto, r.local.port, r.listening, r.pid]),
    [
      ['tcp', 135, true, 1044],
      ['tcp', 49712, false, 5236],
      ['udp', 5353, true, 2344],
    ],
  );
});

test('Get-Process JSON: product names, except the generic Windows one; paths and users', () => {
  const apps = parseGetProcessJson(readTestdata('windows/get-process.json.out'));
  assert.deepEqual(apps.get(5236), {
    name: 'Google Chrome',
    path: 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe',
    user: 'DESKTOP-1\\alice',
  });
  assert.deepEqual(apps.get(1044), {
    name: 'svchost',
    path: 'C:\\WINDOWS\\system32\\svchost.exe',
    user: 'NT AUTHORITY\\NETWORK SERVICE',
  });
  assert.deepEqual(apps.get(3720), { name: 'Node.js', path: 'C:\\Program Files\\nodejs\\node.exe' });
  assert.deepEqual(apps.get(2344), { name: 'svchost' });
  assert.equal(apps.size, 5, 'the row with a non-numeric Id is skipped');
});

test('Get-Process JSON: a single object, a BOM, empty and broken output', () => {
  assert.equal(
    parseGetProcessJson(readTestdata('windows/get-process-single.json.out')).get(5236)?.name,
    'Google Chrome',
  );
  assert.equal(parseGetProcessJson('\uFEFF{"Id":1,"ProcessName":"a"}').get(1)?.name, 'a');
  assert.equal(parseGetProcessJson('').size, 0);
  assert.equal(parseGetProcessJson('[{"Id":1,').size, 0);
});

test('tasklist /fo csv: image names without .exe', () => {
  const apps = parseTasklistCsv(readTestdata('windows/tasklist.csv.out'));
  assert.equal(apps.size, 6);
  assert.deepEqual(apps.get(5236), { name: 'chrome' });
  assert.deepEqual(apps.get(0), { name: 'System Idle Process' });
});

test('windowsAppName and the Get-Process script', () => {
  assert.equal(windowsAppName('Teams.exe', '  '), 'Teams');
  assert.equal(windowsAppName('svchost', 'Microsoft® Windows® Operating System'), 'svchost');
  assert.equal(
    getProcessScript([5236, 7420]),
    '$ids = @(5236,7420); $p = @(Get-Process -Id $ids -IncludeUserName -ErrorAction SilentlyContinue); ' +
      'if ($p.Count -eq 0) { $p = @(Get-Process -Id $ids -ErrorAction SilentlyContinue) }; ' +
      '$p | Select-Object Id,ProcessName,Path,Product,UserName | ConvertTo-Json -Compress',
  );
});
