/**
 * Checking and downloading, around the real electron-updater against a feed served on 127.0.0.1
 * (updater-rig.ts): a newer version is found, downloaded, verified against its sha512 and
 * offered; a tampered download is rejected; a missing, failing, garbled or unreachable feed is
 * counted and shown; downgrades and channels follow the organisation and the user.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { uninstallFakeElectron } from '../../support/fake-electron';
import { startFeedServer } from '../../support/update-feed';
import { ManualClock } from '../../support/clock';
import { BETA, STABLE, count, feed, rig, server, untilSettled, useUpdaterRig } from './updater-rig';

useUpdaterRig();

describe('a newer version on the feed', () => {
  it('is found, downloaded in the background, verified against its sha512 and offered for a restart', async () => {
    const r = rig();
    const requestsBefore = server.requests.length;
    const checked = await r.controller.check('user');
    expect(checked.lastCheck).toMatchObject({ result: 'available', latestVersion: STABLE });
    expect(checked.state).toBe('downloading');

    const ready = await untilSettled(r);
    expect(ready).toMatchObject({ state: 'ready', update: { version: STABLE, sizeBytes: feed.releases[0]?.payload.length }, lastFailure: null });
    // The file electron-updater kept is byte for byte the release.
    const kept = path.join(r.cacheDir, 'pending', feed.releases[0]?.file ?? '');
    expect(fs.readFileSync(kept)).toEqual(feed.releases[0]?.payload);
    expect(server.requests.slice(requestsBefore)).toEqual(expect.arrayContaining(['/nova/latest-linux.yml', `/nova/${feed.releases[0]?.file}`]));

    // Each step was shown: checking, downloading (with its progress), ready.
    const states = r.statuses.map((status) => status.state);
    expect(states[0]).toBe('checking');
    expect(states).toContain('downloading');
    expect(states.at(-1)).toBe('ready');
    expect(r.statuses.some((status) => status.progress?.percent === 100)).toBe(true);

    expect(await count(r.metrics, 'nova_update_checks_total', 'available')).toBe(1);
    expect(await count(r.metrics, 'nova_update_downloads_total', 'started')).toBe(1);
    expect(await count(r.metrics, 'nova_update_downloads_total', 'verified')).toBe(1);
    // The window was told which feed and channel were checked, and what the download was.
    expect(r.statuses[0]).toMatchObject({ state: 'checking', channel: 'stable', feedHost: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    expect(r.statuses.find((status) => status.state === 'downloading')).toMatchObject({ update: { version: STABLE, sizeBytes: feed.releases[0]?.payload.length } });
    // Nothing is checked again while a version waits for the restart.
    expect((await r.controller.check('user')).state).toBe('ready');
  });

  it('is rejected when its bytes do not match the feed’s sha512: reported, counted, deleted, tried again later', async () => {
    const r = rig();
    const file = feed.releases[0]?.file ?? '';
    server.tamper(file);
    try {
      await r.controller.check('user');
      const failed = await untilSettled(r);
      expect(failed).toMatchObject({
        state: 'idle',
        update: null,
        lastCheck: { result: 'available' },
        lastFailure: { step: 'download', result: 'hash_mismatch', message: 'The download did not match its sha512 checksum in the feed, so it was deleted and not installed.' },
      });
      expect(r.statuses.some((status) => status.state === 'ready')).toBe(false);
      expect(fs.existsSync(path.join(r.cacheDir, 'pending', file))).toBe(false);
      expect(await count(r.metrics, 'nova_update_downloads_total', 'hash_mismatch')).toBe(1);
      expect(await count(r.metrics, 'nova_update_downloads_total', 'verified')).toBe(0);
      // The window was told, not only asked: the last status it heard carries the failure.
      expect(r.statuses.at(-1)).toMatchObject({ state: 'idle', lastFailure: { step: 'download', result: 'hash_mismatch' } });
    } finally {
      server.restore(file);
    }
    // The next check gets the real file.
    await r.controller.check('user');
    expect(await untilSettled(r)).toMatchObject({ state: 'ready', lastFailure: null });
  });
});

describe('a feed that fails', () => {
  it('missing, failing, garbled or without checksums: each check counted and shown, nothing downloaded, nothing thrown', async () => {
    const r = rig();
    const cases: { arrange: () => void; result: string; message: RegExp | string }[] = [
      { arrange: () => server.fail('latest-linux.yml', 404), result: 'http_error', message: 'The update server has no feed for this channel (404).' },
      { arrange: () => server.fail('latest-linux.yml', 500), result: 'http_error', message: 'The update server answered 500.' },
      { arrange: () => server.garble('latest-linux.yml', '<html><body>Gateway says hello</body></html>'), result: 'malformed', message: 'The update feed is not valid (ERR_UPDATER_INVALID_VERSION).' },
      { arrange: () => server.garble('latest-linux.yml', 'version: 0.2.0\nfiles: [unterminated'), result: 'malformed', message: 'The update feed is not valid (ERR_UPDATER_INVALID_UPDATE_INFO).' },
      {
        arrange: () => server.garble('latest-linux.yml', 'version: 0.2.0\nfiles:\n  - url: Nova-0.2.0.AppImage\n'),
        result: 'malformed',
        message: 'The update feed gives no sha512 for Nova-0.2.0.AppImage.',
      },
    ];
    const downloadsBefore = server.requests.filter((request) => request.endsWith('.AppImage')).length;
    try {
      for (const { arrange, result, message } of cases) {
        arrange();
        const status = await r.controller.check('user');
        expect(status.state).toBe('idle');
        expect(status.lastCheck?.result).toBe(result);
        expect(status.lastCheck?.message).toEqual(message);
        // Shown: the window heard this check's result.
        expect(r.statuses.at(-1)?.lastCheck).toMatchObject({ result, message });
        server.restore('latest-linux.yml');
      }
    } finally {
      server.restore('latest-linux.yml');
    }
    expect(server.requests.filter((request) => request.endsWith('.AppImage')).length).toBe(downloadsBefore);
    expect(await count(r.metrics, 'nova_update_checks_total', 'http_error')).toBe(2);
    expect(await count(r.metrics, 'nova_update_checks_total', 'malformed')).toBe(3);
    // Each one classified: none fell through to the catch-all 'failed'.
    expect(await count(r.metrics, 'nova_update_checks_total', 'failed')).toBe(0);
    expect(r.fake.dialog.boxes).toHaveLength(0);
  });

  it('unreachable: counted, and Help says so', async () => {
    const closed = await startFeedServer(feed.dir);
    await closed.close();
    const r = rig({ url: closed.url });
    const status = await r.controller.check('user');
    expect(status.lastCheck).toMatchObject({ result: 'unreachable', message: 'The update server could not be reached (net::ERR_CONNECTION_REFUSED).' });
    expect(await count(r.metrics, 'nova_update_checks_total', 'unreachable')).toBe(1);
  });

  it('a feed that never answers is given up after the check timeout', async () => {
    const clock = new ManualClock();
    const r = rig({ clock });
    server.hang('latest-linux.yml');
    try {
      const checking = r.controller.check('user');
      await vi.waitFor(() => expect(server.requests.at(-1)).toBe('/nova/latest-linux.yml'));
      clock.advance(60_000);
      expect(await checking).toMatchObject({ state: 'idle', lastCheck: { result: 'unreachable', message: 'The update server did not answer within 60 s.' } });
    } finally {
      server.restore('latest-linux.yml');
    }
  });

  it('a download that stops sending is given up after the stall limit', async () => {
    const clock = new ManualClock();
    const r = rig({ clock });
    const file = feed.releases[0]?.file ?? '';
    server.hang(file);
    try {
      await r.controller.check('user');
      await vi.waitFor(() => expect(server.requests.at(-1)).toBe(`/nova/${file}`));
      clock.advance(120_000);
      expect(await untilSettled(r)).toMatchObject({ state: 'idle', lastFailure: { result: 'stalled', message: 'The download stopped: no data for 120 s.' } });
      expect(await count(r.metrics, 'nova_update_downloads_total', 'stalled')).toBe(1);
    } finally {
      server.restore(file);
    }
  });
});

describe('versions and channels', () => {
  it('refuses an older version unless the organisation allows going back', async () => {
    const refusing = rig({ version: '0.5.0' });
    expect(await refusing.controller.check('user')).toMatchObject({
      state: 'idle',
      lastCheck: { result: 'downgrade_refused', latestVersion: STABLE, message: 'The feed offers 0.2.0, older than 0.5.0; your organisation does not allow going back.' },
    });
    expect(await count(refusing.metrics, 'nova_update_checks_total', 'downgrade_refused')).toBe(1);
    refusing.controller.dispose();
    uninstallFakeElectron();

    const allowing = rig({ version: '0.5.0', allowDowngrade: true });
    await allowing.controller.check('user');
    expect(await untilSettled(allowing)).toMatchObject({ state: 'ready', update: { version: STABLE }, allowDowngrade: true });
  });

  it('a gradual rollout that has not reached this install yet: up to date, and says why', async () => {
    const r = rig();
    const latest = fs.readFileSync(path.join(feed.dir, 'latest-linux.yml'), 'utf8');
    server.garble('latest-linux.yml', `${latest}stagingPercentage: 0\n`);
    try {
      expect((await r.controller.check('user')).lastCheck).toMatchObject({
        result: 'up_to_date',
        latestVersion: STABLE,
        message: 'Nova 0.2.0 is on the feed but not for this computer yet (a gradual rollout, or it needs a newer operating system).',
      });
    } finally {
      server.restore('latest-linux.yml');
    }
  });

  it('reads the beta feed on the beta channel, and checks again when the user changes channel', async () => {
    const r = rig({ version: STABLE });
    expect((await r.controller.check('user')).lastCheck).toMatchObject({ result: 'up_to_date', message: 'Nova 0.2.0 is the latest version.' });
    r.controller.start();
    r.channel.set('beta');
    await vi.waitFor(() => expect(r.controller.status().lastCheck?.latestVersion).toBe(BETA), { timeout: 10_000 });
    expect(server.requests).toContain('/nova/beta-linux.yml');
    expect(await untilSettled(r)).toMatchObject({ state: 'ready', channel: 'beta', update: { version: BETA } });
  });

  it('checks soon after start, then every few hours with a spread', async () => {
    const clock = new ManualClock();
    const r = rig({ version: STABLE, clock, random: () => 0 });
    const started = clock.now();
    r.controller.start();
    // 10 s + 0 × 50 s after start.
    expect(r.controller.status().nextCheckAt).toBe(started + 10_000);
    const before = server.requests.length;
    clock.advance(9_999);
    expect(server.requests.length).toBe(before);
    clock.advance(1);
    await vi.waitFor(() => expect(r.controller.status().lastCheck?.result).toBe('up_to_date'));
    expect(server.requests.slice(before)).toEqual(['/nova/latest-linux.yml']);
    // 4 hours × 0.9 with random() = 0: the fleet's checks spread over ±10 %.
    await vi.waitFor(() => expect(r.controller.status().nextCheckAt).toBe(started + 10_000 + 0.9 * 4 * 3_600_000));
    clock.advance(0.9 * 4 * 3_600_000);
    await vi.waitFor(() => expect(r.statuses.filter((status) => status.state === 'checking')).toHaveLength(2));
    await vi.waitFor(async () => expect(await count(r.metrics, 'nova_update_checks_total', 'up_to_date')).toBe(2));
    expect(server.requests.slice(before)).toEqual(['/nova/latest-linux.yml', '/nova/latest-linux.yml']);
  });
});
