/**
 * The reference server's demo accounts share one password. It lives here because the server
 * seeds it, the sign-in screen offers it for the local server, and tests sign in with it:
 * three places that must never disagree.
 */
export const DEMO_PASSWORD = 'nova-dev-password';
