import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { App } from '../../src/renderer/src/App';
import { normalizeTwoFactorCode } from '../../src/renderer/src/features/sign-in/SignIn';
import { errorData, ok, setUp, signedIn, tearDown, type ScriptedApi } from './support';
import { DEMO_PASSWORD } from '../../src/shared/demo';

let scripted: ScriptedApi;
beforeEach(() => {
  scripted = setUp();
});
afterEach(tearDown);

const signedOut = { ...signedIn(), signedIn: false, user: null };

async function enterCredentials(email: string): Promise<void> {
  await userEvent.type(screen.getByLabelText('E-mail'), email);
  await userEvent.type(screen.getByLabelText('Password'), `${DEMO_PASSWORD}{Enter}`);
}

describe('sign in', () => {
  it('shows the server and names the demo accounts on the reference server', async () => {
    render(<App />);
    act(() => scripted.emit('auth:changed', signedOut));
    expect(screen.getByTestId('server-url').textContent).toBe('http://127.0.0.1:8787');
    expect(screen.getByTestId('demo-accounts').textContent).toContain('carol@nova.local');
    await userEvent.click(screen.getByRole('button', { name: 'bob@nova.local' }));
    expect((screen.getByLabelText('E-mail') as HTMLInputElement).value).toBe('bob@nova.local');

    act(() => scripted.emit('auth:changed', { ...signedOut, isDemoServer: false }));
    expect(screen.queryByTestId('demo-accounts')).toBeNull();
  });

  it('says plainly when the password is wrong, with the code and error id', async () => {
    scripted.answer('auth:login', () => ({ ok: false, error: errorData('INVALID_CREDENTIALS') }));
    render(<App />);
    act(() => scripted.emit('auth:changed', signedOut));
    await enterCredentials('alice@nova.local');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('The e-mail address or password is wrong.');
    expect(alert.textContent).toContain('INVALID_CREDENTIALS');
  });

  it('any other refusal shows the core\'s own words and code instead of failing silently', async () => {
    render(<App />);
    act(() => scripted.emit('auth:changed', signedOut));
    await enterCredentials('alice@nova.local');
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('auth:login is not available yet.');
    expect(alert.textContent).toContain('NOT_IMPLEMENTED');
  });

  it('walks the two-factor step, with clear errors for wrong and reused codes', async () => {
    scripted.answer('auth:login', () => ok({ status: 'two_factor_required', challengeId: 'ch-1' }));
    const answers = [errorData('TWO_FACTOR_INVALID'), errorData('TWO_FACTOR_REUSED')];
    scripted.answer('auth:verify2fa', () => {
      const failure = answers.shift();
      return failure ? { ok: false, error: failure } : ok(signedIn());
    });
    scripted.answer('conversations:list', () => ok([]));
    scripted.answer('outbox:list', () => ok([]));
    render(<App />);
    act(() => scripted.emit('auth:changed', signedOut));
    await enterCredentials('carol@nova.local');
    expect(await screen.findByText('Two-factor sign-in')).toBeTruthy();

    const code = screen.getByLabelText('Code');
    await userEvent.type(code, '12345{Enter}');
    expect((await screen.findByRole('alert')).textContent).toContain('6 digits');
    expect(scripted.callsTo('auth:verify2fa')).toHaveLength(0);

    await userEvent.type(code, '6{Enter}');
    expect((await screen.findByRole('alert')).textContent).toContain('That code is not valid');
    await userEvent.type(code, 'a1b2-c3d4{Enter}');
    expect((await screen.findByRole('alert')).textContent).toContain('already used');
    await userEvent.type(code, '654321{Enter}');
    expect(await screen.findByText('No conversations yet.')).toBeTruthy();
    expect(scripted.callsTo('auth:verify2fa')).toEqual([
      { challengeId: 'ch-1', code: '123456' },
      { challengeId: 'ch-1', code: 'a1b2c3d4' },
      { challengeId: 'ch-1', code: '654321' },
    ]);
  });

  it('accepts 6 digits or an 8-character backup code, ignoring spaces and dashes', () => {
    expect(normalizeTwoFactorCode('123 456')).toBe('123456');
    expect(normalizeTwoFactorCode('dead-beef')).toBe('deadbeef');
    expect(normalizeTwoFactorCode('12345')).toBeNull();
    expect(normalizeTwoFactorCode('1234567')).toBeNull();
  });

  it('a conversation list the core cannot serve yet says so', async () => {
    render(<App />);
    act(() => scripted.emit('auth:changed', signedIn()));
    expect((await screen.findByTestId('conversations-unavailable')).textContent).toContain('not available yet');
  });
});
