import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SafeStorageSecretStore, type SafeStorageLike } from '../../src/main/secret-store';
import { makeTempDir } from '../support/core';

const xor = (b: Buffer): Buffer => Buffer.from(b.map((x) => x ^ 0x5a));
const fakeKeychain = (available: boolean): SafeStorageLike => ({
  isEncryptionAvailable: () => available,
  encryptString: (s) => xor(Buffer.from(s, 'utf8')),
  decryptString: (b) => xor(b).toString('utf8'),
});

describe('SafeStorageSecretStore', () => {
  it('stores secrets encrypted, never in clear', async () => {
    const file = path.join(makeTempDir(), 'secrets.json');
    const store = new SafeStorageSecretStore(fakeKeychain(true), file);
    await store.set('refresh_token', 'very-secret-refresh');
    expect(fs.readFileSync(file, 'utf8')).not.toContain('very-secret-refresh');
    expect(await new SafeStorageSecretStore(fakeKeychain(true), file).get('refresh_token')).toBe('very-secret-refresh');
    await store.delete('refresh_token');
    expect(await store.get('refresh_token')).toBeNull();
  });

  it('keeps secrets in memory only when the OS has no encryption', async () => {
    const file = path.join(makeTempDir(), 'secrets.json');
    const store = new SafeStorageSecretStore(fakeKeychain(false), file);
    await store.set('access_token', 'abc');
    expect(await store.get('access_token')).toBe('abc');
    expect(fs.existsSync(file)).toBe(false);
  });
});
