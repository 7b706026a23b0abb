/**
 * The renderer's Content-Security-Policy, sent as a response header by both hosts.
 * No network origin is allowed: the mind reaches the world only through the body. The browser
 * shell additionally allows its own loopback WebSocket, which is the body.
 */
export function buildCsp(options: { readonly connectSrc?: readonly string[] } = {}): string {
  const connect = ["'self'", ...(options.connectSrc ?? [])].join(' ');
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    `connect-src ${connect}`,
    "worker-src 'self' blob:",
    "manifest-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-src 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/**
 * The DICOM decode worker's policy (issue 12), sent only with that worker's script: its codecs are
 * WebAssembly, which needs 'wasm-unsafe-eval' (compiling WASM, never JavaScript eval:
 * 'unsafe-eval' stays forbidden everywhere). It fetches the .wasm files from the app itself and
 * nothing else. A worker's own response header is its policy; the document's stays as above.
 */
export function buildDecodeWorkerCsp(): string {
  return ["default-src 'none'", "script-src 'self' 'wasm-unsafe-eval'", "connect-src 'self'", "worker-src 'none'", "object-src 'none'", "base-uri 'none'"].join('; ');
}

/** The built decode worker's file: `assets/dicom-decode-worker-<hash>.js` (Vite names worker entries after their source file). */
export const DECODE_WORKER_PATH = /^\/assets\/dicom-decode-worker-[A-Za-z0-9_-]+\.js$/;

/** Headers that go with every renderer response, in both hosts. */
export function securityHeaders(csp: string): Record<string, string> {
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'X-Frame-Options': 'DENY',
    'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), usb=(), serial=(), hid=()',
  };
}
