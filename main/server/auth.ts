/**
 * Who may talk to browser mode: requests that name this server in Host (no DNS rebinding), come
 * from its own origin when they say where they come from, and carry the per-launch token printed
 * with the URL. Pure functions, tested on their own.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** The header the page sends the token in; EventSource cannot set headers and uses `?token=`. */
export const TOKEN_HEADER = 'x-heapscope-token';
export const TOKEN_PARAM = 'token';

/** A fresh secret for one launch: 32 random bytes, URL-safe. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison (hashing first makes the lengths equal, so length leaks nothing either). */
export function tokenMatches(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The token a request carries: the header, else the query parameter. */
export function tokenOf(
  headers: Record<string, string | string[] | undefined>,
  query: URLSearchParams,
): string | undefined {
  const header = headers[TOKEN_HEADER];
  if (typeof header === 'string') return header;
  return query.get(TOKEN_PARAM) ?? undefined;
}

export function isLoopbackHost(host: string): boolean {
  return (
    host === '127.0.0.1' ||
    host === 'localhost' ||
    host === '::1' ||
    host === '[::1]' ||
    /^127\.\d+\.\d+\.\d+$/.test(host)
  );
}

/** The names this server answers to: loopback only, with the bound port. */
function allowedHosts(boundHost: string, port: number): string[] {
  const names = ['127.0.0.1', 'localhost', '[::1]'];
  const bound = boundHost.includes(':') && !boundHost.startsWith('[') ? `[${boundHost}]` : boundHost;
  if (!names.includes(bound)) names.push(bound);
  const hosts = names.map((h) => `${h}:${port}`);
  if (port === 80) hosts.push(...names);
  return hosts;
}

/**
 * Whether a request's Host header names this server, so a page from another site cannot reach
 * it through DNS rebinding.
 */
export function hostAllowed(hostHeader: string | undefined, boundHost: string, port: number): boolean {
  if (!hostHeader) return false;
  return allowedHosts(boundHost, port).includes(hostHeader.toLowerCase());
}

/**
 * Whether an Origin header is this server's own origin: scheme, host and port all match
 * (`https://127.0.0.1:PORT` is another origin than `http://127.0.0.1:PORT`).
 */
export function originAllowed(origin: string, boundHost: string, port: number): boolean {
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  // The serialised origin must be exactly what it claims: no path, credentials or oddities.
  if (parsed.origin !== origin.toLowerCase() || parsed.protocol !== 'http:') return false;
  const host = parsed.port === '' ? `${parsed.hostname}:80` : parsed.host;
  return allowedHosts(boundHost, port).includes(host);
}
