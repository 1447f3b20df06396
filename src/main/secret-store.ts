import fs from 'node:fs';
import path from 'node:path';
import type { SecretStore } from './core/secret-store';

/** The slice of Electron's safeStorage we use, so this stays testable without Electron. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

/**
 * Secrets encrypted with the OS keychain (safeStorage) in one file under userData. When the OS
 * offers no encryption (some Linux sessions) we keep them in memory only: signing in again after
 * a restart is better than writing tokens to disk in clear.
 */
export class SafeStorageSecretStore implements SecretStore {
  private readonly memory = new Map<string, string>();

  constructor(
    private readonly safeStorage: SafeStorageLike,
    private readonly file: string,
  ) {}

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

  get(key: string): Promise<string | null> {
    if (!this.safeStorage.isEncryptionAvailable()) return Promise.resolve(this.memory.get(key) ?? null);
    const encrypted = this.readAll()[key];
    if (encrypted === undefined) return Promise.resolve(null);
    try {
      return Promise.resolve(this.safeStorage.decryptString(Buffer.from(encrypted, 'base64')));
    } catch {
      return Promise.resolve(null);
    }
  }

  set(key: string, value: string): Promise<void> {
    if (!this.safeStorage.isEncryptionAvailable()) {
      this.memory.set(key, value);
      return Promise.resolve();
    }
    const all = this.readAll();
    all[key] = this.safeStorage.encryptString(value).toString('base64');
    this.writeAll(all);
    return Promise.resolve();
  }

  delete(key: string): Promise<void> {
    this.memory.delete(key);
    const all = this.readAll();
    if (key in all) {
      delete all[key];
      this.writeAll(all);
    }
    return Promise.resolve();
  }
}
