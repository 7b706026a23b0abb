import { isIP } from 'node:net';
import { Refusal } from '../errors/refusal';

/** A network address or response the node refuses, or a server it cannot reach. */
export class NetworkRefusal extends Refusal {}

/**
 * A network server's base URL as the node accepts it (design §9): http or https, no user info,
 * query or fragment; plain http only to a loopback host (a server binding another address needs
 * TLS, `npm run server -- --tls-cert/--tls-key`). Returns the base without a trailing slash.
 */
export function serverBaseUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text.trim());
  } catch {
    throw new NetworkRefusal('E_BAD_REQUEST', 'url: not a URL (for example https://network.example.org).');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new NetworkRefusal('E_BAD_REQUEST', 'url: use https:// (or http:// to this computer).');
  if (url.username !== '' || url.password !== '') throw new NetworkRefusal('E_BAD_REQUEST', 'url: must not carry a user name or password.');
  if (url.search !== '' || url.hash !== '') throw new NetworkRefusal('E_BAD_REQUEST', 'url: must not carry a query or fragment.');
  if (url.protocol === 'http:' && !isLoopback(url.hostname)) throw new NetworkRefusal('E_BAD_REQUEST', 'url: plain http:// is allowed only to this computer; use https://.');
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}
