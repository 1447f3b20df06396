import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SafeStorageSecretStore, decideSecretPersistence, type SafeStorageLike } from '../../src/main/shell/secret-store';
import { makeTempDir } from '../support/core';

const xor = (b: Buffer): Buffer => Buffer.from(b.map((x) => x ^ 0x5a));
const keyStore = (available: boolean, backend = 'gnome_libsecret'): SafeStorageLike => ({
  isAsyncEncryptionAvailable: () => Promise.resolve(available),
  encryptStringAsync: (s) => Promise.resolve(xor(Buffer.from(s, 'utf8'))),
  decryptStringAsync: (b) => Promise.resolve({ result: xor(b).toString('utf8'), shouldReEncrypt: false }),
  getSelectedStorageBackend: () => backend,
});

describe('SafeStorageSecretStore', () => {
  it('stores secrets encrypted, never in clear', async () => {
    const file = path.join(makeTempDir(), 'secrets.json');
    const store = new SafeStorageSecretStore(keyStore(true), file, { platform: 'linux' });
    await store.set('refresh_token', 'very-secret-refresh');
    expect(fs.readFileSync(file, 'utf8')).not.toContain('very-secret-refresh');
    expect(await new SafeStorageSecretStore(keyStore(true), file, { platform: 'linux' }).get('refresh_token')).toBe('very-secret-refresh');
    await store.delete('refresh_token');
    expect(await store.get('refresh_token')).toBeNull();
  });

  it('keeps secrets in memory only, and says so once, when the OS has no encryption; a file for later stays', async () => {
    const file = path.join(makeTempDir(), 'secrets.json');
    fs.writeFileSync(file, '{}');
    const told: string[] = [];
    const store = new SafeStorageSecretStore(keyStore(false), file, { platform: 'linux', onMemoryOnly: (p) => told.push(p.persist ? '' : p.reason) });
    await store.set('access_token', 'abc');
    await store.set('refresh_token', 'def');
    expect(await store.get('access_token')).toBe('abc');
    expect(fs.readFileSync(file, 'utf8')).toBe('{}');
    expect(told).toEqual(['no-encryption']);
  });

  it('treats the Linux plain-text backend (and an unknown one) as no encryption and removes what it wrote before', async () => {
    const file = path.join(makeTempDir(), 'secrets.json');
    fs.writeFileSync(file, JSON.stringify({ refresh_token: xor(Buffer.from('old')).toString('base64') }));
    const told: string[] = [];
    const store = new SafeStorageSecretStore(keyStore(true, 'basic_text'), file, { platform: 'linux', onMemoryOnly: (p) => told.push(p.persist ? '' : p.reason) });
    expect(await store.get('refresh_token')).toBeNull();
    expect(fs.existsSync(file)).toBe(false);
    await store.set('refresh_token', 'new');
    expect(fs.existsSync(file)).toBe(false);
    expect(told).toEqual(['plain-text-backend']);
    expect(await decideSecretPersistence(keyStore(true, 'unknown'), 'linux')).toMatchObject({ persist: false, reason: 'plain-text-backend' });
    expect(await decideSecretPersistence(keyStore(true, 'kwallet6'), 'linux')).toMatchObject({ persist: true, backend: 'kwallet6' });
    // macOS and Windows have no backend choice: their key store is the OS's.
    expect(await decideSecretPersistence(keyStore(true, 'basic_text'), 'darwin')).toMatchObject({ persist: true, backend: 'os' });
  });
});
