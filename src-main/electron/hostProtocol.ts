// The messages between the desktop app's main process and its engine host (the utility process
// that runs the daemon). Main calls SyncApi operations and the host answers with bridge
// envelopes; the host pushes SyncEvents; the host asks main for what only Electron can do there
// (safeStorage encryption, showing a folder in the file manager). Both directions are checked
// against these schemas at the door, and binary data travels as base64 so that the same
// messages fit Electron's structured clone and Node's JSON child-process channel alike.

import { z } from 'zod';
import { bridgeEnvelopeSchema } from '../../shared/api/index.js';
import type { BridgeEnvelope } from '../../shared/api/index.js';

const idSchema = z.int().min(1);

/** What the host may ask of main, with the type of each answer. */
export interface HostRequests {
  /** Encrypts with the OS keychain; answers the ciphertext in base64. */
  encrypt: { readonly argument: string; readonly answer: string };
  /** Decrypts base64 ciphertext made by encrypt. */
  decrypt: { readonly argument: string; readonly answer: DecryptedSecret };
  /** Shows an absolute path in the OS file manager. */
  openPath: { readonly argument: string; readonly answer: null };
}
export type HostRequestMethod = keyof HostRequests;

export interface DecryptedSecret {
  readonly plain: string;
  /** The keychain's key changed: encrypt the secret again and store the new ciphertext. */
  readonly shouldReEncrypt: boolean;
}

export const hostRequestAnswerSchemas = {
  encrypt: z.string().min(1),
  decrypt: z.object({ plain: z.string(), shouldReEncrypt: z.boolean() }),
  openPath: z.null(),
} as const satisfies { readonly [Method in HostRequestMethod]: z.ZodType<HostRequests[Method]['answer']> };

/** Main to host. */
export type MainToHostMessage =
  | { readonly type: 'call'; readonly id: number; readonly name: string; readonly request: unknown }
  | { readonly type: 'reply'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly type: 'reply'; readonly id: number; readonly ok: false; readonly message: string }
  /** Stop the engine cleanly and exit. */
  | { readonly type: 'stop' };

export const mainToHostSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('call'), id: idSchema, name: z.string(), request: z.unknown() }),
  z.discriminatedUnion('ok', [
    z.object({ type: z.literal('reply'), id: idSchema, ok: z.literal(true), value: z.unknown() }),
    z.object({ type: z.literal('reply'), id: idSchema, ok: z.literal(false), message: z.string() }),
  ]),
  z.object({ type: z.literal('stop') }),
]);

/** Why the host could not start: another daemon holds the profile, or anything else. */
export type HostFailure = 'profile-locked' | 'error';

/** Host to main. */
export type HostToMainMessage =
  /** The engine runs; calls are answered from now on. The control API serves the CLI meanwhile. */
  | { readonly type: 'ready'; readonly controlUrl: string }
  /** The engine could not start; the host exits next. */
  | { readonly type: 'failed'; readonly reason: HostFailure; readonly message: string }
  | { readonly type: 'answer'; readonly id: number; readonly envelope: BridgeEnvelope }
  /** A SyncEvent, checked by main's SyncApi at its own door. */
  | { readonly type: 'event'; readonly event: unknown }
  | { readonly type: 'request'; readonly id: number; readonly method: HostRequestMethod; readonly argument: string }
  | { readonly type: 'log'; readonly line: string }
  /** The engine stopped after a 'stop'; the host exits next. */
  | { readonly type: 'stopped' };

export const hostToMainSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready'), controlUrl: z.string() }),
  z.object({ type: z.literal('failed'), reason: z.enum(['profile-locked', 'error']), message: z.string() }),
  z.object({ type: z.literal('answer'), id: idSchema, envelope: bridgeEnvelopeSchema }),
  z.object({ type: z.literal('event'), event: z.unknown() }),
  z.object({ type: z.literal('request'), id: idSchema, method: z.enum(['encrypt', 'decrypt', 'openPath']), argument: z.string() }),
  z.object({ type: z.literal('log'), line: z.string() }),
  z.object({ type: z.literal('stopped') }),
]);

/** How the host is told where its profile is and how to keep the device token. */
export interface HostArguments {
  readonly home: string;
  /** 'safe-storage': encrypted through main; 'owner-only-file': the CLI's file (no keychain here). */
  readonly secrets: 'safe-storage' | 'owner-only-file';
}

export function hostArgumentList(options: HostArguments): string[] {
  return ['--home', options.home, '--secrets', options.secrets];
}

/** Reads what hostArgumentList wrote; null when something is missing or unknown. */
export function parseHostArguments(argv: readonly string[]): HostArguments | null {
  let home: string | undefined;
  let secrets: string | undefined;
  for (let index = 0; index < argv.length; index += 2) {
    const value = argv[index + 1];
    if (value === undefined) return null;
    if (argv[index] === '--home') home = value;
    else if (argv[index] === '--secrets') secrets = value;
    else return null;
  }
  if (home === undefined || home === '' || (secrets !== 'safe-storage' && secrets !== 'owner-only-file')) return null;
  return { home, secrets };
}
