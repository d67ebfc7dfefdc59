import type { YogaServerOptions } from 'graphql-yoga';

type CorsOption = NonNullable<YogaServerOptions<Record<string, unknown>, Record<string, unknown>>['cors']>;

/** `*`: any origin, never with credentials; a list: only those origins; empty: no cross-origin access. */
export type CorsOrigins = '*' | string[];

const COMMON = {
  methods: ['GET', 'POST', 'OPTIONS'],
  // Request headers are reflected (yoga's default): no header carries authority but Authorization.
  exposedHeaders: ['x-request-id'],
  maxAge: 600,
};

/**
 * CORS for a bearer-token API. The token travels in the Authorization
 * header, never in a cookie, so a cross-origin page can only act with a token
 * it already holds: letting any origin read responses (`*`) grants nothing.
 * Credentialed requests (cookies, which opsgraph ignores) are allowed only
 * from the origins CORS_ORIGINS names. yoga's own default would echo any
 * Origin with `Access-Control-Allow-Credentials: true`.
 */
export function corsOptions(origins: CorsOrigins): CorsOption {
  if (origins === '*') return { ...COMMON, origin: '*', credentials: false };
  if (origins.length === 0) return false;
  const allowed = new Set(origins);
  return (request: Request) => {
    const origin = request.headers.get('origin');
    // An origin that is not listed gets no CORS headers at all: the browser keeps the response from the page.
    if (origin === null || !allowed.has(origin)) return false;
    return { ...COMMON, origin, credentials: true };
  };
}
