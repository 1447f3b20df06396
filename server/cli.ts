/**
 * npm run server -- [--port 8787] [--host 127.0.0.1] [--public-host nova.example.org]…
 *                   [--data .data/nova-server.db | :memory:] [--seed] [--faults] [--legacy-nova]
 *                   [--rate-limit 300/10000 | off] [--admission 50] [--access-ttl 3600]
 *                   [--idle-timeout 75000] [--verbose]
 *
 * Sign-in throttling is always on; `--rate-limit off` turns it off with the per-user budget,
 * for benchmarks only.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { DEMO_EMAILS, DEMO_PASSWORD, startServer } from './index';
import { createLineLogger } from './logger';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '8787' },
    host: { type: 'string', default: '127.0.0.1' },
    'public-host': { type: 'string', multiple: true, default: [] },
    data: { type: 'string', default: '.data/nova-server.db' },
    seed: { type: 'boolean', default: false },
    faults: { type: 'boolean', default: false },
    'legacy-nova': { type: 'boolean', default: false },
    'rate-limit': { type: 'string' },
    admission: { type: 'string' },
    'access-ttl': { type: 'string' },
    'idle-timeout': { type: 'string' },
    verbose: { type: 'boolean', default: false },
  },
  strict: true,
});

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

function num(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`--${name}: not a number: ${raw}`);
  return n;
}

async function main(): Promise<void> {
  if (values.data !== ':memory:') mkdirSync(dirname(values.data), { recursive: true });
  let rateLimit: { limit: number; windowMs: number } | undefined;
  const throttleOff = values['rate-limit'] === 'off';
  if (values['rate-limit'] && !throttleOff) {
    const [limit, windowMs] = values['rate-limit'].split('/').map(Number);
    if (!limit || !windowMs) throw new Error('--rate-limit expects LIMIT/WINDOW_MS (e.g. 300/10000) or off');
    rateLimit = { limit, windowMs };
  }
  const admission = num('admission', values.admission);
  const accessTtl = num('access-ttl', values['access-ttl']);
  const idle = num('idle-timeout', values['idle-timeout']);
  const server = await startServer({
    port: num('port', values.port) ?? 8787,
    host: values.host,
    publicHosts: values['public-host'],
    dataFile: values.data,
    seed: values.seed,
    faultsEndpoint: values.faults,
    legacyNova: values['legacy-nova'],
    logger: createLineLogger(out, values.verbose ? 'debug' : 'info'),
    ...(rateLimit ? { rateLimit } : {}),
    ...(throttleOff ? { signInThrottle: false } : {}),
    ...(admission !== undefined ? { admissionPerSecond: admission } : {}),
    ...(accessTtl !== undefined ? { accessTokenTtlS: accessTtl } : {}),
    ...(idle !== undefined ? { idleTimeoutMs: idle } : {}),
  });
  out(`nova reference server (${values['legacy-nova'] ? 'legacy-nova' : 'nova-compat v1.0'}) on ${server.url}`);
  out(`  websocket: ${server.wsUrl}   data: ${values.data}`);
  if (server.faultsToken !== null) {
    out(`  faults endpoint: ${server.url}/__faults/<action> (loopback only)`);
    out(`  faults token (this run only): ${server.faultsToken}  (send Authorization: Bearer <token>)`);
  }
  if (throttleOff) out('  sign-in throttling OFF (--rate-limit off): for benchmarks only');
  const seed = server.seed;
  if (seed) {
    out(`  demo users: ${Object.values(DEMO_EMAILS).join(', ')} / ${DEMO_PASSWORD}`);
    out(
      `  conversations: direct ${seed.conversations.direct}, Team ${seed.conversations.team}, ` +
        `Design review ${seed.conversations.design}`,
    );
    if (seed.created) {
      out(`  carol TOTP secret (base32): ${seed.carol.totpSecret}`);
      out(`  carol backup codes (shown once): ${seed.carol.backupCodes.join(' ')}`);
    } else {
      out('  (database already seeded; backup codes were printed when it was created)');
    }
  }
  const stop = (): void => {
    out('shutting down');
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
