import { describe, expect, it } from 'vitest';
import { classifyCheckError, classifyDownloadError } from '../../../src/main/shell/update-errors';
import {
  feedChannel,
  feedHost,
  firstCheckDelayMs,
  nextCheckDelayMs,
  resolveUpdateSetup,
  updaterKind,
  type SetupFacts,
} from '../../../src/main/shell/update-policy';

const CONFIG = { url: 'https://updates.example.org/nova/?key=secret', allowDowngrade: false, checkIntervalHours: 6 };
const APPIMAGE: SetupFacts = { config: CONFIG, isPackaged: true, platform: 'linux', packageType: null, env: { APPIMAGE: '/home/a/Nova.AppImage' } };

describe('whether this copy updates itself', () => {
  it('only with an organisation feed, in a packaged build, from an install that can replace itself', () => {
    expect(resolveUpdateSetup({ ...APPIMAGE, config: undefined })).toMatchObject({ availability: 'unmanaged', feed: null });
    expect(resolveUpdateSetup(APPIMAGE)).toEqual({
      availability: 'active',
      reason: null,
      feed: { url: CONFIG.url, allowDowngrade: false, checkIntervalMs: 6 * 3_600_000 },
      kind: 'appimage',
    });
    expect(resolveUpdateSetup({ ...APPIMAGE, isPackaged: false })).toMatchObject({ availability: 'unsupported', reason: expect.stringMatching(/development build/) });
    expect(resolveUpdateSetup({ ...APPIMAGE, env: {} })).toMatchObject({ availability: 'unsupported', reason: expect.stringMatching(/cannot replace itself/) });
    expect(resolveUpdateSetup({ ...APPIMAGE, env: { SNAP: '/snap/nova/1' } })).toMatchObject({ availability: 'unsupported', reason: expect.stringMatching(/snapd/) });
    expect(resolveUpdateSetup({ ...APPIMAGE, env: {}, packageType: 'deb\n' })).toMatchObject({ availability: 'active', kind: 'deb' });
    expect(resolveUpdateSetup({ ...APPIMAGE, env: {}, platform: 'win32' })).toMatchObject({ availability: 'active', kind: 'nsis' });
  });

  it('picks electron-updater’s updater the way electron-updater does', () => {
    expect(updaterKind('win32', null)).toBe('nsis');
    expect(updaterKind('darwin', 'deb')).toBe('mac');
    expect(['deb', 'rpm', 'pacman', 'snap', null].map((type) => updaterKind('linux', type))).toEqual(['deb', 'rpm', 'pacman', 'appimage', 'appimage']);
  });

  it('reads latest*.yml on stable and beta*.yml on beta; shows the feed’s host only', () => {
    expect([feedChannel('stable'), feedChannel('beta')]).toEqual(['latest', 'beta']);
    expect(feedHost(CONFIG.url)).toBe('updates.example.org');
    expect(feedHost('not a url')).toBeNull();
  });
});

describe('when to check', () => {
  it('between 10 s and 60 s after start', () => {
    expect(firstCheckDelayMs(() => 0)).toBe(10_000);
    expect(firstCheckDelayMs(() => 0.999999)).toBeCloseTo(60_000, -1);
  });

  it('every interval, spread by ±10 % so a fleet started together drifts apart', () => {
    const interval = 4 * 3_600_000;
    expect(nextCheckDelayMs(interval, () => 0)).toBe(0.9 * interval);
    expect(nextCheckDelayMs(interval, () => 0.5)).toBe(interval);
    expect(nextCheckDelayMs(interval, () => 1)).toBe(Math.round(1.1 * interval));
    // 1,000 installs: their next checks cover the ±10 % band, not one minute.
    const delays = Array.from({ length: 1000 }, (_, i) => nextCheckDelayMs(interval, () => i / 1000));
    const minutes = new Set(delays.map((delay) => Math.floor(delay / 60_000)));
    expect(minutes.size).toBeGreaterThan(40);
  });
});

describe('what a failure was', () => {
  it('classifies checks by what electron-updater, builder-util-runtime, Chromium or Node said', () => {
    const cases: [unknown, string][] = [
      [Object.assign(new Error('Cannot parse update info from latest-linux.yml'), { code: 'ERR_UPDATER_INVALID_UPDATE_INFO' }), 'malformed'],
      [Object.assign(new Error('latest version is not valid semver'), { code: 'ERR_UPDATER_INVALID_VERSION' }), 'malformed'],
      [Object.assign(new Error('Cannot find channel "latest-linux.yml" update info: HttpError: 404 \n"method: GET'), { code: 'ERR_UPDATER_CHANNEL_FILE_NOT_FOUND' }), 'http_error'],
      [Object.assign(new Error('503 Service Unavailable\nData: ...'), { statusCode: 503, code: 'HTTP_ERROR_503' }), 'http_error'],
      [new Error('net::ERR_NAME_NOT_RESOLVED'), 'unreachable'],
      [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9'), { code: 'ECONNREFUSED' }), 'unreachable'],
      [new Error('something else\nwith a stack'), 'failed'],
      ['a string', 'failed'],
    ];
    expect(cases.map(([error]) => classifyCheckError(error).result)).toEqual(cases.map(([, result]) => result));
    expect(classifyCheckError(new Error('x'.repeat(500))).message.length).toBeLessThan(200);
  });

  it('classifies downloads: a checksum or signature failure is named, the rest is a failed download', () => {
    expect(classifyDownloadError(Object.assign(new Error('sha512 checksum mismatch'), { code: 'ERR_CHECKSUM_MISMATCH' })).result).toBe('hash_mismatch');
    expect(classifyDownloadError(Object.assign(new Error('not signed'), { code: 'ERR_UPDATER_INVALID_SIGNATURE' })).result).toBe('signature_invalid');
    expect(classifyDownloadError(new Error('Cannot download "http://h/Nova.AppImage", status 404: Not Found'))).toEqual({
      result: 'failed',
      message: 'The download failed: the update server answered 404.',
    });
    expect(classifyDownloadError(new Error('net::ERR_CONNECTION_RESET')).message).toBe('The download was interrupted (net::ERR_CONNECTION_RESET).');
  });
});
