// Builds the React UI (src-renderer/) into dist-renderer/. Relative asset paths (base './') let
// the same build load from the daemon's control port and from file:// inside the desktop app.
// The output has no inline script or style, as the UI's Content-Security-Policy demands.
//
// `vite` (the dev server) can reach a running daemon: set CAIRN_DAEMON_URL to its control
// address and CAIRN_DAEMON_TOKEN to its token. The proxy sends the token as a Bearer header and
// drops the dev server's Origin, which the daemon would otherwise refuse as a foreign page.

import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import type { Plugin } from 'vite';
import { PAGE_CONTENT_SECURITY_POLICY } from './shared/contentSecurityPolicy.js';

/**
 * Adds the daemon's policy (less frame-ancestors) to the built page as a meta tag, for loads
 * that come with no header of their own (file:// in the desktop app). Built page only: the dev
 * server's hot reload needs an inline script.
 */
function contentSecurityPolicyMeta(): Plugin {
  return {
    name: 'cairn-content-security-policy',
    apply: 'build',
    transformIndexHtml: {
      order: 'pre',
      // Right after the charset, before anything the policy must govern.
      handler(html) {
        const charset = '<meta charset="utf-8" />';
        if (!html.includes(charset)) throw new Error(`index.html must start its head with ${charset}`);
        return html.replace(charset, `${charset}\n    <meta http-equiv="Content-Security-Policy" content="${PAGE_CONTENT_SECURITY_POLICY}" />`);
      },
    },
  };
}

const daemonUrl = process.env.CAIRN_DAEMON_URL;
const daemonToken = process.env.CAIRN_DAEMON_TOKEN;

export default defineConfig({
  root: fileURLToPath(new URL('./src-renderer', import.meta.url)),
  base: './',
  plugins: [react(), contentSecurityPolicyMeta()],
  build: {
    outDir: fileURLToPath(new URL('./dist-renderer', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // Nothing inlined as data: URLs or inline code; every asset is a file of its own.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    // No source maps: the app ships what runs, and stays small.
    sourcemap: false,
  },
  server: {
    host: '127.0.0.1',
    ...(daemonUrl === undefined
      ? {}
      : {
          proxy: {
            '/api': {
              target: daemonUrl,
              changeOrigin: true,
              ...(daemonToken === undefined ? {} : { headers: { Authorization: `Bearer ${daemonToken}` } }),
              configure: (proxy) => {
                proxy.on('proxyReq', (request) => request.removeHeader('origin'));
              },
            },
          },
        }),
  },
});
