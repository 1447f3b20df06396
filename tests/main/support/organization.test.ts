import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ORGANIZATION_CONFIG_FILE,
  loadOrganizationConfig,
  resolveOrganizationConfigPath,
} from '../../../src/main/core/organization';
import { makeTempDir, makeTestCore } from '../../support/core';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
});

function fileWith(content: string): string {
  const dir = makeTempDir('nova-org-');
  dirs.push(dir);
  const file = path.join(dir, ORGANIZATION_CONFIG_FILE);
  fs.writeFileSync(file, content);
  return file;
}

describe('where the organisation file is looked for', () => {
  it('prefers the core option, then NOVA_ORG_CONFIG, then the data folder', () => {
    expect(resolveOrganizationConfigPath('/etc/nova/org.json', '/opt/other.json', '/data')).toEqual({ path: path.resolve('/etc/nova/org.json'), source: 'option' });
    expect(resolveOrganizationConfigPath(undefined, ' /opt/other.json ', '/data')).toEqual({ path: path.resolve('/opt/other.json'), source: 'environment' });
    expect(resolveOrganizationConfigPath(undefined, '', '/data')).toEqual({ path: path.join('/data', 'organization.json'), source: 'default' });
  });
});

describe('loading the organisation file', () => {
  it('loads a valid file and fills in the defaults', () => {
    const file = fileWith(
      JSON.stringify({ supportUrl: 'https://rageshake.example.org/api/submit', fleetMetrics: { url: 'https://mimir.example.org/api/v1/push', enabled: true } }),
    );
    const loaded = loadOrganizationConfig({ path: file, source: 'option' });
    expect(loaded.status).toEqual({ path: file, source: 'option', status: 'loaded', problems: [] });
    expect(loaded.config.fleetMetrics).toEqual({ url: 'https://mimir.example.org/api/v1/push', enabled: true, userMayChoose: false, intervalMs: 60_000 });
  });

  it('treats a missing file in the default place as no organisation, but a named one that is missing as an error', () => {
    const dir = makeTempDir('nova-org-');
    dirs.push(dir);
    const missing = path.join(dir, 'organization.json');
    expect(loadOrganizationConfig({ path: missing, source: 'default' }).status.status).toBe('absent');
    const named = loadOrganizationConfig({ path: missing, source: 'environment' });
    expect(named.status.status).toBe('invalid');
    expect(named.status.problems).toEqual(['no such file (named by NOVA_ORG_CONFIG)']);
    expect(named.config).toEqual({});
  });

  it('ignores a bad file as a whole and says each problem with its place', () => {
    const file = fileWith(
      JSON.stringify({
        supportUrl: 'http://support.example.org/api/submit',
        fleetMetrics: { url: 'https://mimir.example.org/api/v1/push', intervl: 5 },
        updates: {},
        autoUpdate: true,
      }),
    );
    const loaded = loadOrganizationConfig({ path: file, source: 'default' });
    expect(loaded.config).toEqual({});
    expect(loaded.status.status).toBe('invalid');
    expect(loaded.status.problems).toEqual(
      expect.arrayContaining([
        'supportUrl: must use https (http is allowed only for 127.0.0.1 and localhost)',
        'fleetMetrics: unknown setting "intervl"',
        'updates.url: Invalid input: expected string, received undefined',
        '(top level): unknown setting "autoUpdate"',
      ]),
    );
  });

  it('says what is wrong with a file that is not JSON, or far too big', () => {
    const broken = loadOrganizationConfig({ path: fileWith('{ "supportUrl": '), source: 'default' });
    expect(broken.status.problems[0]).toMatch(/^not valid JSON: /);
    const huge = loadOrganizationConfig({ path: fileWith(`{"supportUrl":"${'x'.repeat(300_000)}"}`), source: 'default' });
    expect(huge.status.problems[0]).toMatch(/an organisation file is at most 262144/);
  });

  it('accepts http on loopback for tests and demos, and an intervalMs within bounds only', () => {
    const ok = loadOrganizationConfig({ path: fileWith('{"supportUrl":"http://127.0.0.1:8787/api/submit"}'), source: 'default' });
    expect(ok.status.status).toBe('loaded');
    const fast = loadOrganizationConfig({ path: fileWith('{"fleetMetrics":{"url":"https://m.example.org/w","intervalMs":10}}'), source: 'default' });
    expect(fast.status.problems).toEqual(['fleetMetrics.intervalMs: Too small: expected number to be >=1000']);
  });
});

describe('the updates section', () => {
  it('names the feed, with downgrades refused and a check every 4 hours unless it says otherwise', () => {
    const file = fileWith(JSON.stringify({ updates: { url: 'https://updates.example.org/nova/' } }));
    expect(loadOrganizationConfig({ path: file, source: 'default' }).config.updates).toEqual({
      url: 'https://updates.example.org/nova/',
      allowDowngrade: false,
      checkIntervalHours: 4,
    });
    const rollback = fileWith(JSON.stringify({ updates: { url: 'https://updates.example.org/nova/', allowDowngrade: true, checkIntervalHours: 24 } }));
    expect(loadOrganizationConfig({ path: rollback, source: 'default' }).config.updates).toMatchObject({ allowDowngrade: true, checkIntervalHours: 24 });
  });

  it('refuses a feed over plain http off loopback, and checks more often than hourly', () => {
    const file = fileWith(JSON.stringify({ updates: { url: 'http://updates.example.org/nova/', checkIntervalHours: 0.1 } }));
    expect(loadOrganizationConfig({ path: file, source: 'default' }).status.problems).toEqual([
      'updates.url: must use https (http is allowed only for 127.0.0.1 and localhost)',
      'updates.checkIntervalHours: Too small: expected number to be >=1',
    ]);
  });
});

describe('a core with a bad organisation file', () => {
  it('starts and reports the problem in Help, with nothing of the file applied', async () => {
    const file = fileWith('{"supportUrl": "ftp://support.example.org"}');
    const { core, cleanup } = makeTestCore({ organizationConfigPath: file });
    try {
      await core.start();
      const status = await core.handlers['support:status']({});
      expect(status.canSend).toBe(false);
      expect(status.organization).toEqual({ path: file, source: 'option', status: 'invalid', problems: ['supportUrl: must be an https URL'] });
      expect((await core.handlers['fleet:status']({})).configured).toBe(false);
    } finally {
      await cleanup();
    }
  });
});
