import fs from 'node:fs';
import path from 'node:path';
import type { SecretStore } from '../core/secret-store';

/** The slice of Electron's safeStorage we use, so this stays testable without Electron. */
export interface SafeStorageLike {
  isAsyncEncryptionAvailable(): Promise<boolean>;
  encryptStringAsync(plain: string): Promise<Buffer>;
  decryptStringAsync(encrypted: Buffer): Promise<{ result: string; shouldReEncrypt: boolean }>;
  /** Linux only: which key store backs the encryption. */
  getSelectedStorageBackend?(): string;
}

export type SecretPersistence = Readonly<
  { persist: true; backend: string } | { persist: false; reason: 'no-encryption' | 'plain-text-backend'; backend: string }
>;

/**
 * Whether tokens may go to disk. On Linux, safeStorage reports encryption as available even when
 * no key store was found: its `basic_text` backend encrypts with a key hard-coded in Chromium,
 * which protects nothing. That, and `unknown` (asked before `ready`), counts as no encryption.
 */
export async function decideSecretPersistence(safeStorage: SafeStorageLike, platform: string): Promise<SecretPersistence> {
  const backend = platform === 'linux' ? (safeStorage.getSelectedStorageBackend?.() ?? 'unknown') : 'os';
  if (!(await safeStorage.isAsyncEncryptionAvailable())) return { persist: false, reason: 'no-encryption', backend };
  if (platform === 'linux' && (backend === 'basic_text' || backend === 'unknown')) {
    return { persist: false, reason: 'plain-text-backend', backend };
  }
  return { persist: true, backend };
}

/** What the user is told, once, when tokens cannot be kept safely. */
export const MEMORY_ONLY_NOTICE = {
  message: 'Nova cannot store your sign-in safely on this computer',
  detail:
    'No system key store (such as GNOME Keyring or KWallet) is available, so Nova keeps your sign-in in memory only ' +
    'instead of writing it to disk in a readable form. You will need to sign in again after Nova restarts. ' +
    'Your messages and unsent messages are kept either way.',
} as const;

/**
 * Secrets encrypted with the OS key store (safeStorage) in one file under userData. When the
 * key store is missing or is the plain-text fallback, they stay in memory only: signing in again
 * after a restart is better than writing tokens to disk in a form anyone can read.
 */
export class SafeStorageSecretStore implements SecretStore {
  private readonly memory = new Map<string, string>();
  private persistence: Promise<SecretPersistence> | null = null;
  private hasToldMemoryOnly = false;

  constructor(
    private readonly safeStorage: SafeStorageLike,
    private readonly file: string,
    private readonly options: Readonly<{
      platform: string;
      /** Called once, the first time a secret is kept in memory only. */
      onMemoryOnly?: (persistence: SecretPersistence) => void;
    }>,
  ) {}

  /** Decided on first use (after `ready`, when the Linux backend is known), then fixed. */
  whenDecided(): Promise<SecretPersistence> {
    this.persistence ??= decideSecretPersistence(this.safeStorage, this.options.platform).then((decided) => {
      // Tokens an earlier version wrote under the plain-text backend are readable by anyone: gone.
      // A key store that is only unavailable now (locked, not started) keeps its file for later.
      if (!decided.persist && decided.reason === 'plain-text-backend') fs.rmSync(this.file, { force: true });
      return decided;
    });
    return this.persistence;
  }

  private readAll(): Record<string, string> {
    try {
      return JSON.parse(fs.readFileSync(this.file, 'utf8')) as Record<string, string>;
    } catch {
      return {};
    }
  }

  private writeAll(values: Record<string, string>): void {
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const temp = `${this.file}.tmp`;
    fs.writeFileSync(temp, JSON.stringify(values), { mode: 0o600 });
    fs.renameSync(temp, this.file);
  }

  async get(key: string): Promise<string | null> {
    if (!(await this.whenDecided()).persist) return this.memory.get(key) ?? null;
    const encrypted = this.readAll()[key];
    if (encrypted === undefined) return null;
    try {
      const { result, shouldReEncrypt } = await this.safeStorage.decryptStringAsync(Buffer.from(encrypted, 'base64'));
      if (shouldReEncrypt) await this.set(key, result);
      return result;
    } catch {
      return null;
    }
  }

  async set(key: string, value: string): Promise<void> {
    const persistence = await this.whenDecided();
    if (!persistence.persist) {
      this.memory.set(key, value);
      if (!this.hasToldMemoryOnly) {
        this.hasToldMemoryOnly = true;
        this.options.onMemoryOnly?.(persistence);
      }
      return;
    }
    const encrypted = await this.safeStorage.encryptStringAsync(value);
    const all = this.readAll();
    all[key] = encrypted.toString('base64');
    this.writeAll(all);
  }

  async delete(key: string): Promise<void> {
    this.memory.delete(key);
    if (!(await this.whenDecided()).persist) return;
    const all = this.readAll();
    if (key in all) {
      delete all[key];
      this.writeAll(all);
    }
  }
}
