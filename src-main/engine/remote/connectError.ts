// Why connecting to a server failed, named for the user: a login (or its health check) that
// fails is diagnosed into one ConnectCause (shared/api) and a sentence that says what to check.
// Most causes follow from the error alone (the system error's code, the status, what kind of
// text answered); "http:// to an HTTPS port" needs one look at the port: a server that cut a
// plain HTTP request is asked for a TLS handshake, and when it completes one, the port speaks
// HTTPS.

import { connect as tlsConnect } from 'node:tls';
import type { ConnectCause } from '../../../shared/api/errors.js';
import { ConnectError, errorCodesOf } from './remoteError.js';
import type { ConnectFailure, RemoteError } from './remoteError.js';

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL']);
const TLS_ON_PLAIN_CODES = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_HTTP_REQUEST', 'EPROTO']);
const EXPIRED_CODES = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const SELF_SIGNED_CODES = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE']);

/** The failure and cause of a RemoteError met while connecting, from the error alone; null: not a connect failure (a wrong password, a server error). */
export function connectCauseOf(error: RemoteError, serverUrl: string): { failure: ConnectFailure; cause: ConnectCause } | null {
  const codes = errorCodesOf(error.cause);
  const has = (set: ReadonlySet<string>): boolean => codes.some((code) => set.has(code));
  const hasPath = urlHasPath(serverUrl);
  switch (error.transport) {
    case 'certificate':
      if (has(EXPIRED_CODES)) return { failure: 'certificate', cause: 'expired' };
      if (has(SELF_SIGNED_CODES)) return { failure: 'certificate', cause: 'self-signed' };
      if (codes.includes('ERR_TLS_CERT_ALTNAME_INVALID')) return { failure: 'certificate', cause: 'wrong-name' };
      return { failure: 'certificate', cause: 'untrusted' };
    case 'timeout':
      return { failure: 'unreachable', cause: 'timeout' };
    case 'reset':
      return { failure: 'unreachable', cause: 'reset' };
    case 'unreachable':
      if (codes.includes('ECONNREFUSED')) return { failure: 'unreachable', cause: 'refused' };
      if (has(DNS_CODES)) return { failure: 'unreachable', cause: 'dns' };
      if (has(TLS_ON_PLAIN_CODES) || /wrong version number|packet length too long/i.test(String((error.cause as Error | undefined)?.message))) {
        return { failure: 'not-cairn-server', cause: 'https-to-http-port' };
      }
      return { failure: 'unreachable', cause: 'network' };
    case 'not-cairn':
    case 'too-long':
      if (error.status === 404 && hasPath) return { failure: 'not-cairn-server', cause: 'wrong-path' };
      return { failure: 'not-cairn-server', cause: error.details?.['answer'] === 'html' ? 'html-page' : 'other-answer' };
    case null:
      break;
    default:
      error.transport satisfies never;
  }
  // A Cairn server that does not know the route: the address has a path it does not serve.
  if (error.code === 'not-found' && error.status === 404) {
    return { failure: 'not-cairn-server', cause: hasPath || /no route/i.test(error.message) ? 'wrong-path' : 'other-answer' };
  }
  // Any other answer without a Cairn error body (a proxy's 400, 405 or 502 page) is not Cairn.
  if (error.details?.['answer'] !== undefined && error.status !== null && error.code !== 'unauthorized' && error.code !== 'rate-limited') {
    return { failure: 'not-cairn-server', cause: error.details['answer'] === 'html' ? 'html-page' : 'other-answer' };
  }
  return null;
}

/**
 * connectCauseOf, and for an http:// address whose server cut the request or answered 400 (as
 * a TLS port does to plain HTTP), one TLS handshake with the port to tell "http:// to an HTTPS
 * port" apart. Returns the ConnectError to throw, or null when `error` is no connect failure.
 */
export async function diagnoseConnect(error: RemoteError, serverUrl: string, probeMs = 3000): Promise<ConnectError | null> {
  let found = connectCauseOf(error, serverUrl);
  if (found === null && error.status !== 400) return null;
  const url = new URL(serverUrl);
  if (url.protocol === 'http:' && (found === null || found.cause === 'reset' || error.status === 400)) {
    if (await speaksTls(url.hostname, Number(url.port || 80), probeMs)) found = { failure: 'not-cairn-server', cause: 'http-to-https-port' };
  }
  if (found === null) return null;
  return new ConnectError(found.failure, found.cause, connectSentence(found.cause, url), { cause: error });
}

/** Whether a TLS server answers at host:port (any certificate: this only asks whether the port speaks TLS). */
export function speaksTls(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tlsConnect({ host, port, rejectUnauthorized: false, servername: isIpAddress(host) ? undefined : host });
    const done = (answer: boolean): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('secureConnect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** The English sentence of a cause (the CLI's, and the detail in logs); the UI has its own translated ones. */
export function connectSentence(cause: ConnectCause, url: URL): string {
  const place = url.host;
  switch (cause) {
    case 'refused':
      return `nothing answers at ${place} (connection refused): check the port, and that the Cairn server runs`;
    case 'dns':
      return `the host name ${url.hostname} is unknown: check the address for typing mistakes`;
    case 'timeout':
      return `${place} accepted the connection but did not answer in time: check the address, or try again later`;
    case 'reset':
      return `${place} cut the connection before answering: check the address and the port`;
    case 'network':
      return `${place} cannot be reached from this computer: check your network connection`;
    case 'html-page':
      return `${place} answered with a web page, not as a Cairn server: check the address and the port`;
    case 'other-answer':
      return `${place} answered, but not as a Cairn server: check the address and the port`;
    case 'wrong-path':
      return `no Cairn server answers at ${url.pathname}: use the server's address without the path (for example ${url.protocol}//${place})`;
    case 'https-to-http-port':
      return `${place} speaks plain HTTP, not HTTPS: use http://${place}, or the server's HTTPS port`;
    case 'http-to-https-port':
      return `${place} speaks HTTPS: use https://${place}`;
    case 'self-signed':
      return `the certificate of ${url.hostname} is self-signed or from an authority this computer does not trust: ask your server administrator`;
    case 'expired':
      return `the certificate of ${url.hostname} has expired (or is not valid yet): ask your server administrator, and check this computer's clock`;
    case 'wrong-name':
      return `the certificate presented at ${place} was issued for another name: check the address`;
    case 'untrusted':
      return `the certificate of ${url.hostname} was refused: ask your server administrator`;
    default:
      return cause satisfies never;
  }
}

function urlHasPath(serverUrl: string): boolean {
  try {
    return new URL(serverUrl).pathname.replace(/\/+$/, '') !== '';
  } catch {
    return false;
  }
}

function isIpAddress(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':') || host.startsWith('[');
}
