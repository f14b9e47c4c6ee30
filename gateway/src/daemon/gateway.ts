import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { Logger } from '../log.js';
import type { CommandRunner } from '../os/runner.js';
import type { GatewayArgs } from '../cli/args.js';
import { HealthRegistry } from '../health/registry.js';
import { openDatabase, type Database } from '../db/open.js';
import { UsageStore } from '../usage/store.js';
import { UsageMeter } from '../usage/meter.js';
import { UsageQueries } from '../usage/queries.js';
import { LiveFeed } from '../usage/live.js';
import { WanReconciler, interfaceCounterReader, midpoint } from '../usage/reconcile.js';
import { DeviceStore } from '../db/device-store.js';
import { DeviceScanner } from '../discovery/scanner.js';
import { DeviceService } from '../discovery/service.js';
import { createVendorLookup } from '../discovery/oui.js';
import { UserStore, SessionStore } from '../auth/store.js';
import { AuthService } from '../auth/service.js';
import { UserService } from '../auth/users.js';
import { ApiTokenStore } from '../auth/token-store.js';
import { TokenService } from '../auth/tokens.js';
import { AuditLog } from '../audit/store.js';
import { normalizeAddress } from '../api/access-control.js';
import { ensureCertificate } from './tls.js';
import {
  COUNTER_FWD_DOWN,
  COUNTER_FWD_UP,
  COUNTER_WAN_LOCAL_IN,
  COUNTER_WAN_LOCAL_OUT,
  GATEWAY_TABLE,
  Nft,
  NftSession,
  buildGatewayTable,
  PolicyGeneration,
  enableForwarding,
} from '../netfilter/index.js';
import { buildApp, API_VERSION } from '../api/app.js';
import { createAgentModule } from '../agents/module.js';
import { AppUsageStore } from '../agents/app-usage.js';
import { interfaceAddresses, requireRoot } from './preflight.js';
import { Ticker } from './ticker.js';
import { lanMatcher, startFlows } from './flows.js';
import { FlowStore } from '../usage/flow-store.js';
import { UsageBreakdowns } from '../usage/breakdown.js';
import { AnswerMemory } from '../attribution/answers.js';
import { DnsFlowLabeler } from '../attribution/labeler.js';
import { AppFlows } from '../attribution/apps.js';
import { startPolicy } from './policy.js';
import { dnsFallbackFor, initialUpstreams, startDns } from './dns.js';

function processMemory() {
  const m = process.memoryUsage();
  return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, externalBytes: m.external };
}

export interface RunningGateway {
  url: string;
  stop(): Promise<void>;
}

export interface GatewayTimings {
  /** Counter reads while someone watches the live view / otherwise. */
  liveSampleMs: number;
  idleSampleMs: number;
  flushMs: number;
  scanMs: number;
}

export const DEFAULT_TIMINGS: GatewayTimings = {
  liveSampleMs: 1000,
  idleSampleMs: 2000,
  flushMs: 3000,
  scanMs: 5000,
};

/**
 * The daemon's composition root: preflight, storage, kernel table, discovery, metering, API.
 * Order matters: the table is adopted (never rebuilt) before anything reads it, and on stop the
 * last counters are flushed after the API closes so no request sees a half-written state.
 */
export async function startGateway(
  args: GatewayArgs,
  deps: { runner: CommandRunner; log: Logger; timings?: Partial<GatewayTimings> },
): Promise<RunningGateway> {
  const { runner, log } = deps;
  const timings = { ...DEFAULT_TIMINGS, ...deps.timings };
  requireRoot();
  const lanAddrs = await interfaceAddresses(runner, args.lan, 'lan');
  await interfaceAddresses(runner, args.wan, 'wan');
  const host =
    args.listen.host ?? lanAddrs.find((a) => !a.address.includes(':'))?.address ?? lanAddrs[0]?.address;
  if (!host) throw new Error(`--lan ${args.lan} has no address to listen on; give --listen ADDR:PORT`);
  // The API answers only requests that arrive on the LAN (or the box itself) unless told otherwise.
  const adminAddresses = args.allowWanAdmin
    ? undefined
    : [...lanAddrs.map((a) => a.address), '127.0.0.1', '::1'].map(normalizeAddress);
  if (
    adminAddresses &&
    !['0.0.0.0', '::', 'localhost'].includes(host) &&
    !adminAddresses.includes(normalizeAddress(host))
  ) {
    throw new Error(
      `--listen ${host} is not an address of --lan ${args.lan}: the API would refuse every request; ` +
        'listen on a LAN address or add --allow-wan-admin',
    );
  }

  const health = new HealthRegistry();
  const started = Date.now();
  let database: Database | null = null;
  const closers: Array<() => Promise<void>> = [];
  try {
    // Routing and NAT first: if the database cannot be opened the LAN still reaches the internet.
    const nftLog = log.child({ module: 'netfilter' });
    // Blocks reach the kernel through one long-lived nft process (no fork per decision).
    const nftSession = new NftSession({ log: nftLog });
    closers.push(async () => nftSession.close());
    const nft = new Nft(runner, { log: nftLog, session: nftSession });
    await enableForwarding(runner);
    const lanIpv4 = lanAddrs.find((a) => !a.address.includes(':'))?.address;
    const lanIpv6 = lanAddrs.find((a) => a.address.includes(':'))?.address;
    const upstreams = await initialUpstreams(args.upstreams);
    // No DNS server on 53, no redirect: clients keep their own resolvers. Until our resolver
    // serves (and after it stops), LAN DNS goes straight upstream: DNS fails open.
    const dnsOn53 = args.dnsPort === 53;
    const policyGeneration = new PolicyGeneration();
    const tableFor = (resolverServing: boolean, fallbackUpstreams: readonly string[]) =>
      buildGatewayTable({
        lan: args.lan,
        wan: args.wan,
        lanAddresses: dnsOn53 ? { ipv4: lanIpv4, ipv6: lanIpv6 } : undefined,
        dnsFallback: dnsOn53 && !resolverServing ? dnsFallbackFor(fallbackUpstreams) : undefined,
        // a fresh generation: flows are checked again against whatever the sets hold now
        policyGeneration: policyGeneration.next(),
      });
    await nft.apply(tableFor(false, upstreams));
    nftSession.warm();
    database = await openDatabase(
      args.databaseUrl ? { url: args.databaseUrl, log } : { dataDir: args.dataDir, log },
    );
    const db = database.db;

    const usageStore = new UsageStore(db);
    const deviceStore = new DeviceStore(db);
    const scanner = new DeviceScanner({
      runner,
      lan: args.lan,
      devices: deviceStore,
      vendors: createVendorLookup(),
      log: log.child({ module: 'discovery' }),
      leasesPath: args.leasesPath ?? undefined,
    });
    await scanner.start();
    await scanner.scan();

    const meter = new UsageMeter(
      { snapshot: () => nft.snapshot('inet', GATEWAY_TABLE) },
      scanner,
      usageStore,
      log.child({ module: 'usage' }),
    );
    await meter.start();
    const flowStore = new FlowStore(db);
    const isLan = lanMatcher(lanAddrs);
    // The WAN side may have no address yet (DHCP); then only the LAN ones are known as our own.
    const wanAddrs = await interfaceAddresses(runner, args.wan, 'wan').catch(() => []);
    // conntrack and `ip -j addr` both print addresses in inet_ntop's canonical form
    const ownAddresses = new Set([...lanAddrs, ...wanAddrs].map((a) => a.address));
    const own = (a: string) => ownAddresses.has(a);
    const memory = new AnswerMemory();
    // What agents on devices report about their sockets; joined with conntrack per flow.
    const appFlows = new AppFlows();
    const flows = await startFlows({
      runner,
      log,
      health,
      store: flowStore,
      owners: scanner,
      addresses: { isDevice: (a) => isLan(a) && !own(a), isRemote: (a) => !isLan(a) && !own(a) },
      buckets: usageStore.buckets,
      labeler: new DnsFlowLabeler(memory, scanner),
      apps: {
        appFor: (d) => appFlows.appFor(d),
        expectsReport: (d) => appFlows.hasAgent(scanner.deviceIdForAddressSync(d.origSrc)),
      },
    });
    closers.push(() => flows.stop());
    const reconciler = new WanReconciler(health);
    const live = new LiveFeed();

    const readWan = interfaceCounterReader(runner, args.wan);
    const sample = async () => {
      // The interface is read on both sides of the nft read and averaged, so traffic that moves
      // while nft runs does not show up as an accounting gap.
      const wanBefore = await readWan();
      await meter.sample();
      const wanAfter = await readWan();
      const c = (name: string) => meter.counter(name)?.bytes ?? 0;
      reconciler.observe(midpoint(wanBefore, wanAfter), {
        wanInBytes: c(COUNTER_FWD_DOWN) + c(COUNTER_WAN_LOCAL_IN),
        wanOutBytes: c(COUNTER_FWD_UP) + c(COUNTER_WAN_LOCAL_OUT),
      });
      if (live.watched && meter.lastSampleAt) {
        live.publish({
          type: 'rates',
          at: meter.lastSampleAt.toISOString(),
          intervalMs: timings.liveSampleMs,
          devices: [...meter.rates],
        });
      }
    };
    await sample();
    await meter.flush();

    const pruneAll = async () => {
      await usageStore.prune();
      const now = Date.now();
      await flowStore.prune(new Date(now - usageStore.retention.hourMs));
      // a flow idle this long has left conntrack (its longest timeout is 5 days)
      await flowStore.pruneBaselines(new Date(now - 6 * 86_400_000));
    };
    const tickers = [
      new Ticker('sample', () => (live.watched ? timings.liveSampleMs : timings.idleSampleMs), sample, log),
      new Ticker(
        'flush',
        () => timings.flushMs,
        () => meter.flush().then(() => undefined),
        log,
      ),
      new Ticker(
        'scan',
        () => timings.scanMs,
        () => scanner.scan(),
        log,
      ),
      new Ticker(
        'flows',
        () => timings.flushMs,
        () => flows.ledger.flush().then(() => undefined),
        log,
      ),
      new Ticker(
        'prune',
        () => 3_600_000,
        () => pruneAll(),
        log,
      ),
    ];
    for (const t of tickers) t.start();

    const devices = new DeviceService(
      deviceStore,
      {
        totals: async () =>
          new Map((await usageStore.totals({ kind: 0 })).map((t) => [t.deviceId, t] as const)),
      },
      (id) => scanner.isOnline(id),
    );
    const policy = await startPolicy({
      db,
      runner,
      nft,
      deviceStore,
      scanner,
      devices,
      flows: { liveFlows: () => flows.ledger.liveFlows() },
      memory,
      generation: policyGeneration,
      log,
    });
    const dns = await startDns({
      db,
      listen: args.dnsPort ? lanAddrs.map((a) => ({ address: a.address, port: args.dnsPort })) : [],
      cliUpstreams: upstreams,
      policy,
      clients: scanner,
      health,
      log,
    });
    closers.push(async () => {
      await dns.stop();
      if (dnsOn53) await nft.apply(tableFor(false, dns.settings.get().upstreams));
    });
    if (dnsOn53) await nft.apply(tableFor(true, []));
    const policyTickers = [
      new Ticker(
        'dns-log',
        () => 1000,
        () => dns.flush(),
        log,
      ),
      new Ticker(
        'rule-hits',
        () => 5000,
        () => policy.hits.flush(),
        log,
      ),
      new Ticker(
        'dns-prune',
        () => 3_600_000,
        () => dns.prune(),
        log,
      ),
      new Ticker(
        'policy-devices',
        () => timings.scanMs,
        () => policy.refreshDevices(),
        log,
      ),
    ];
    for (const t of policyTickers) t.start();
    closers.push(async () => {
      for (const t of policyTickers) await t.stop();
      await policy.hits.flush();
    });

    const userStore = new UserStore(db);
    const auth = new AuthService(userStore, new SessionStore(db));
    // No user yet: a one-time token, printed below, lets the first visitor create the admin.
    const setupToken = await auth.prepareSetup();
    const tlsAddress = lanIpv4 ?? lanIpv6 ?? host;
    const tls = args.tls
      ? await ensureCertificate({ runner, dir: join(args.dataDir, 'tls'), address: tlsAddress, log })
      : undefined;
    const appUsage = new AppUsageStore(db);
    const agents = createAgentModule(db, {
      log: log.child({ module: 'agents' }),
      // PC agents' sockets join conntrack flows; phone agents' per-app counters are stored as such
      reports: {
        ingest: (agent, report) =>
          report.type === 'appUsage' ? appUsage.record(agent, report) : appFlows.ingest(agent, report),
      },
      policyFor: (a) => (a.deviceId === null ? [] : policy.engine.blockedApps(a.deviceId)),
    });
    // An app rule reaches the agents before the API call that made it returns.
    policy.rules.onChange(() => {
      agents.hub.refreshPolicies();
    });
    const app: FastifyInstance = await buildApp({
      log,
      auth,
      ...agents.deps,
      deviceForAddress: async (address) => (await scanner.deviceIdForAddress(address)) || null,
      users: new UserService(userStore, auth),
      tokens: new TokenService(new ApiTokenStore(db)),
      audit: new AuditLog(db),
      allowedLocalAddresses: adminAddresses,
      tls: tls && { cert: tls.cert, key: tls.key },
      devices,
      usage: new UsageQueries(usageStore, devices),
      remotes: flowStore,
      breakdowns: new UsageBreakdowns(
        flowStore,
        {
          classify: (name) => {
            const service = policy.catalog.serviceForDomain(name);
            const category = policy.catalog.categoryForDomain(name);
            return {
              service: service && { id: service.id, name: service.name },
              category: category && { id: category.id, name: category.name },
            };
          },
        },
        usageStore,
        appUsage,
      ),
      dnsLog: dns.log,
      dnsSettings: dns.settings,
      catalog: policy.catalog,
      rules: policy.rules,
      live,
      health: async () => {
        const warnings = health.list();
        return {
          status: warnings.length ? 'degraded' : 'ok',
          version: API_VERSION,
          uptimeSeconds: Math.round((Date.now() - started) / 1000),
          database: database!.kind,
          warnings,
          memory: processMemory(),
          accounting: {
            lastSampleAt: meter.lastSampleAt?.toISOString() ?? null,
            wanGapPercent: reconciler.lastGapPercent,
          },
        };
      },
    });
    await app.listen({ host, port: args.listen.port });
    const url = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${args.listen.port}`;
    log.info(
      { url, lan: args.lan, wan: args.wan, database: database.kind, lanOnly: !args.allowWanAdmin },
      'gateway running',
    );
    if (setupToken) {
      // In the message, not a field: fields named token are redacted from the log.
      log.warn(
        `no users yet: create the first admin once with POST ${url}/api/v1/auth/setup ` +
          `{"token":"${setupToken}","username":"…","password":"…"} ` +
          '(or packetpilot admin create); the token dies with its first use and with this process',
      );
    }

    closers.push(async () => {
      agents.hub.closeAll();
      await app.close();
      for (const t of tickers) await t.stop();
      await meter.sample().catch((err: unknown) => log.warn({ err }, 'final sample failed'));
      await meter.flush();
    });
    const db0 = database;
    return {
      url,
      async stop() {
        for (const close of closers.splice(0).reverse()) await close();
        await db0.close();
        log.info('gateway stopped; the nft table stays so forwarding and counting go on');
      },
    };
  } catch (err) {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await database?.close().catch(() => undefined);
    throw err;
  }
}
