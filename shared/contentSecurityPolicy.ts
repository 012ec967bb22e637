// The Content-Security-Policy of the UI when a browser loads it from the daemon: our own origin
// only, no inline code. One definition for the daemon's header and the built page's meta tag.
// (The desktop window has a stricter policy of its own in src-main/electron/windowSecurity.ts:
// it reaches the engine through the preload, never over the network.)

const PAGE_DIRECTIVES = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
] as const;

/** What the built page's meta tag carries (a meta tag cannot carry frame-ancestors). */
export const PAGE_CONTENT_SECURITY_POLICY = PAGE_DIRECTIVES.join('; ');

/** The daemon's header on every page of the UI: the page's policy, and no framing. */
export const CONTROL_CONTENT_SECURITY_POLICY = [...PAGE_DIRECTIVES, "frame-ancestors 'none'"].join('; ');
