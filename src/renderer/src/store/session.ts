import type { StateCreator } from 'zustand';
import type { AuthStatus } from '../../../shared/contract';
import type { AppState } from './index';

export type SignInStep =
  | Readonly<{ kind: 'credentials' }>
  | Readonly<{ kind: 'two_factor'; challengeId: string; email: string }>;

export type SessionSlice = {
  auth: AuthStatus | null;
  signInStep: SignInStep;
  /** Set when the session ended without the user asking (revoked, expired): the sign-in screen says so. */
  isSignedOutByServer: boolean;
  /** True while the user's own sign-out is in flight, so it is not mistaken for a revocation. */
  isSigningOut: boolean;
  setAuth: (auth: AuthStatus) => void;
  setSignInStep: (step: SignInStep) => void;
  setSigningOut: (isSigningOut: boolean) => void;
};

export const createSessionSlice: StateCreator<AppState, [], [], SessionSlice> = (set) => ({
  auth: null,
  signInStep: { kind: 'credentials' },
  isSignedOutByServer: false,
  isSigningOut: false,
  setAuth: (auth) =>
    set((state) => {
      const wasSignedIn = state.auth?.signedIn === true;
      const isSignedOutByServer = auth.signedIn
        ? false
        : state.isSignedOutByServer || (wasSignedIn && !state.isSigningOut);
      return {
        auth,
        isSignedOutByServer,
        signInStep: auth.signedIn ? { kind: 'credentials' } : state.signInStep,
      };
    }),
  setSignInStep: (signInStep) => set({ signInStep }),
  setSigningOut: (isSigningOut) => set({ isSigningOut }),
});
