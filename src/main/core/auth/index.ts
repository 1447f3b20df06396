export {
  AuthService,
  SESSION_SECRET_KEY,
  type AuthChangeCause,
  type AuthChangeListener,
  type AuthServiceOptions,
  type AuthTiming,
  type RevocationCode,
} from './service';
