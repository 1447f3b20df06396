import { useEffect, useRef, useState } from 'react';
import { DEMO_PASSWORD } from '../../../../shared/demo';
import { ERROR_INFO, type AppErrorData } from '../../../../shared/errors';
import { cancelTwoFactor, signIn, verifyTwoFactor } from '../../actions';
import { useAppStore } from '../../store';

const DEMO_ACCOUNTS = [
  { email: 'alice@nova.local', note: '' },
  { email: 'bob@nova.local', note: '' },
  { email: 'carol@nova.local', note: 'uses two-factor sign-in' },
] as const;

/** The codes a person can fix by retyping get the taxonomy's wording; the rest show what the core said. */
function errorText(error: AppErrorData): string {
  switch (error.code) {
    case 'INVALID_CREDENTIALS':
    case 'TWO_FACTOR_INVALID':
    case 'TWO_FACTOR_REUSED':
    case 'NETWORK_ERROR':
    case 'TIMEOUT':
    case 'SERVICE_UNAVAILABLE':
      return ERROR_INFO[error.code].message;
    default:
      return error.message;
  }
}

function FormError({ error }: Readonly<{ error: AppErrorData | null }>): React.JSX.Element | null {
  if (!error) return null;
  return (
    <p className="form-error" role="alert" data-code={error.code}>
      {errorText(error)}{' '}
      <span className="form-error-meta">
        ({error.code}, error id <code>{error.id}</code>)
      </span>
    </p>
  );
}

export function SignIn(): React.JSX.Element {
  const step = useAppStore((s) => s.signInStep);
  const auth = useAppStore((s) => s.auth);
  return (
    <div className="sign-in">
      <div className="sign-in-card">
        <h2>{step.kind === 'two_factor' ? 'Two-factor sign-in' : 'Sign in to Nova'}</h2>
        {step.kind === 'two_factor' ? (
          <TwoFactorForm challengeId={step.challengeId} email={step.email} />
        ) : (
          <CredentialsForm />
        )}
        <p className="sign-in-server">
          Server: <code data-testid="server-url">{auth?.serverUrl ?? '…'}</code>
        </p>
      </div>
    </div>
  );
}

function CredentialsForm(): React.JSX.Element {
  const isDemoServer = useAppStore((s) => s.auth?.isDemoServer === true);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<AppErrorData | null>(null);
  const [isBusy, setBusy] = useState(false);

  const submit = async (event: React.FormEvent): Promise<void> => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    const failure = await signIn(email.trim(), password);
    setBusy(false);
    setError(failure);
  };

  return (
    <form className="form" onSubmit={(event) => void submit(event)} aria-busy={isBusy}>
      <label className="field">
        <span>E-mail</span>
        <input
          type="email"
          name="email"
          autoComplete="username"
          required
          autoFocus
          value={email}
          onChange={(event) => setEmail(event.target.value)}
        />
      </label>
      <label className="field">
        <span>Password</span>
        <input
          type="password"
          name="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
      </label>
      <FormError error={error} />
      <button type="submit" className="button button-primary" disabled={isBusy}>
        {isBusy ? 'Signing in…' : 'Sign in'}
      </button>
      {isDemoServer && (
        <div className="demo-accounts" data-testid="demo-accounts">
          <p>
            This is the local reference server. Demo accounts (password <code>{DEMO_PASSWORD}</code>):
          </p>
          <ul>
            {DEMO_ACCOUNTS.map((account) => (
              <li key={account.email}>
                <button
                  type="button"
                  className="link-button"
                  onClick={() => {
                    setEmail(account.email);
                    setPassword(DEMO_PASSWORD);
                  }}
                >
                  {account.email}
                </button>
                {account.note && <span className="muted"> — {account.note}</span>}
              </li>
            ))}
          </ul>
        </div>
      )}
    </form>
  );
}

/** A 6-digit authenticator code, or an 8-character backup code (spaces and dashes ignored). */
export function normalizeTwoFactorCode(raw: string): string | null {
  const code = raw.replace(/[\s-]/g, '');
  if (/^\d{6}$/.test(code)) return code;
  if (/^[A-Za-z0-9]{8}$/.test(code)) return code;
  return null;
}

function TwoFactorForm({ challengeId, email }: Readonly<{ challengeId: string; email: string }>): React.JSX.Element {
  const [code, setCode] = useState('');
  const [error, setError] = useState<AppErrorData | null>(null);
  const [hint, setHint] = useState<string | null>(null);
  const [isBusy, setBusy] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => input.current?.focus(), []);

  const submit = async (event: React.FormEvent): Promise<void> => {
    event.preventDefault();
    const normalized = normalizeTwoFactorCode(code);
    setError(null);
    if (!normalized) {
      setHint('Enter the 6 digits from your authenticator app, or an 8-character backup code.');
      return;
    }
    setHint(null);
    setBusy(true);
    const failure = await verifyTwoFactor(challengeId, normalized);
    setBusy(false);
    setError(failure);
    if (failure) {
      setCode('');
      input.current?.focus();
    }
  };

  return (
    <form className="form" onSubmit={(event) => void submit(event)} aria-busy={isBusy}>
      <p>
        Signing in as <strong>{email}</strong>. Enter the 6-digit code from your authenticator app, or one of
        your 8-character backup codes.
      </p>
      <label className="field">
        <span>Code</span>
        <input
          ref={input}
          name="code"
          inputMode="text"
          autoComplete="one-time-code"
          maxLength={16}
          required
          value={code}
          onChange={(event) => setCode(event.target.value)}
          aria-describedby={hint ? 'two-factor-hint' : undefined}
        />
      </label>
      {hint && (
        <p id="two-factor-hint" className="form-error" role="alert">
          {hint}
        </p>
      )}
      <FormError error={error} />
      <div className="form-row">
        <button type="submit" className="button button-primary" disabled={isBusy}>
          {isBusy ? 'Checking…' : 'Verify'}
        </button>
        <button type="button" className="button" onClick={cancelTwoFactor}>
          Back
        </button>
      </div>
    </form>
  );
}
