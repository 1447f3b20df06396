/** What the feed offers, read from electron-updater's answer: judged against this version, its size, its checksums. */
import type { AppUpdater, UpdateCheckResult as FoundUpdate, UpdateInfo } from 'electron-updater';
import type { UpdateCheckResult } from '../../shared/updates';

/** Every file electron-updater may pick must carry a sha512, or there is nothing to verify the download against. */
function missingChecksum(info: UpdateInfo): string | null {
  const listed = Array.isArray(info.files) ? info.files : [];
  const files = listed.length > 0 ? listed : info.path ? [{ url: info.path, sha512: info.sha512 }] : [];
  if (files.length === 0) return 'The update feed lists no file to download.';
  const bad = files.find((file) => typeof file.url !== 'string' || typeof file.sha512 !== 'string' || file.sha512.length < 64);
  return bad ? `The update feed gives no sha512 for ${typeof bad.url === 'string' ? bad.url : 'a file'}.` : null;
}

export function totalSize(info: UpdateInfo): number | null {
  const sizes = (Array.isArray(info.files) ? info.files : []).map((file) => file.size).filter((size): size is number => typeof size === 'number');
  return sizes.length > 0 ? Math.max(...sizes) : null;
}

/**
 * What a check found, judged against the running version: available, up to date (and why a newer
 * version on the feed is not for this install), a refused downgrade, or a feed without checksums.
 */
export function judgeFound(
  found: FoundUpdate,
  updater: AppUpdater | null,
  current: string,
): { result: UpdateCheckResult; message: string } {
  const info = found.updateInfo;
  if (!found.isUpdateAvailable) {
    const isOlder = updater !== null && updater.currentVersion.compare(info.version) > 0;
    if (isOlder) {
      return {
        result: 'downgrade_refused',
        message: `The feed offers ${info.version}, older than ${current}; your organisation does not allow going back.`,
      };
    }
    const isNewer = updater !== null && updater.currentVersion.compare(info.version) < 0;
    if (isNewer) {
      return {
        result: 'up_to_date',
        message: `Nova ${info.version} is on the feed but not for this computer yet (a gradual rollout, or it needs a newer operating system).`,
      };
    }
    return { result: 'up_to_date', message: `Nova ${current} is the latest version.` };
  }
  const problem = missingChecksum(info);
  if (problem !== null) return { result: 'malformed', message: problem };
  return { result: 'available', message: `Nova ${info.version} is available (${current} is running).` };
}
