export { AuthService, SESSION_SECRET_KEY, type AuthChangeCause, type AuthServiceOptions, type AuthTiming } from './service';
