// The route table: every route of the protocol in one place, with its method, path template,
// authentication, query, request body and response. The server's router and the client's
// calls are both derived from it, so neither can drift from the other.

import type { z } from 'zod';
import { API_PREFIX, PROTOCOL_LIMITS, healthResponseSchema, okResponseSchema } from './common.js';
import { loginRequestSchema, loginResponseSchema, meResponseSchema, tokenListResponseSchema } from './auth.js';
import {
  createLibraryRequestSchema,
  libraryListResponseSchema,
  librarySchema,
  memberListResponseSchema,
  renameLibraryRequestSchema,
  setMemberRequestSchema,
} from './libraries.js';
import { changesQuerySchema, changesResponseSchema, waitQuerySchema, waitResponseSchema } from './changes.js';
import { chunkIdsRequestSchema, missingChunksResponseSchema, uploadChunksResponseSchema } from './chunks.js';
import { commitRequestSchema, commitResponseSchema } from './commit.js';
import {
  historyQuerySchema,
  historyResponseSchema,
  restoreRequestSchema,
  snapshotQuerySchema,
  snapshotResponseSchema,
  trashQuerySchema,
  trashResponseSchema,
} from './history.js';
import { chunkPatchRequestSchema, chunkSignaturesRequestSchema, uploadChunkPatchesResponseSchema } from './chunkPatches.js';
import { libraryConflictListSchema, libraryConflictSchema, reportConflictRequestSchema, resolveLibraryConflictRequestSchema } from './conflicts.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What a request carries in its body. */
export type RequestBody =
  | { readonly kind: 'none' }
  | { readonly kind: 'json'; readonly schema: z.ZodType }
  /** One chunk's raw bytes (application/octet-stream). */
  | { readonly kind: 'chunk' }
  /** Chunk frames (see frames.ts). */
  | { readonly kind: 'frames' }
  /** Chunk frames whose bytes are patches (see chunkPatches.ts), verified once rebuilt. */
  | { readonly kind: 'patches' };

/** What a successful answer carries. */
export type ResponseBody =
  /**
   * JSON, at most `maxBytes` long after decompression: a client reads no more (a few hundred
   * KiB of gzip would otherwise become gigabytes in its memory).
   */
  | { readonly kind: 'json'; readonly schema: z.ZodType; readonly maxBytes: number }
  /** One chunk's raw bytes. */
  | { readonly kind: 'chunk' }
  /** Chunk frames, in the order the ids were requested. */
  | { readonly kind: 'frames' }
  /** A text/event-stream of ServerEvent (see changes.ts). */
  | { readonly kind: 'events' };

export interface RouteDefinition {
  readonly method: HttpMethod;
  readonly path: string;
  /** 'none' for health and login; every other route needs a bearer token. */
  readonly auth: 'none' | 'token';
  readonly query: z.ZodType | null;
  readonly request: RequestBody;
  readonly response: ResponseBody;
}

const none = { kind: 'none' } as const;
const json = <Schema extends z.ZodType>(schema: Schema) => ({ kind: 'json', schema }) as const;
/** A JSON answer; those listing versions (with their chunk lists) may be longer. */
const answer = <Schema extends z.ZodType>(schema: Schema, maxBytes: number = PROTOCOL_LIMITS.maxAnswerBytes) => ({ kind: 'json', schema, maxBytes }) as const;
const versionsAnswer = <Schema extends z.ZodType>(schema: Schema) => answer(schema, PROTOCOL_LIMITS.maxVersionsAnswerBytes);

function route<const Definition extends RouteDefinition>(definition: Definition): Definition {
  return definition;
}

const libraryPath = `${API_PREFIX}/libraries/:libraryId`;

export const routes = {
  /** Readiness: 503 `unavailable` while the storage backend does not answer or the server stops. */
  health: route({ method: 'GET', path: `${API_PREFIX}/health`, auth: 'none', query: null, request: none, response: answer(healthResponseSchema) }),
  /** Liveness: the process serves requests, whatever its backend does. */
  live: route({ method: 'GET', path: `${API_PREFIX}/health/live`, auth: 'none', query: null, request: none, response: answer(healthResponseSchema) }),

  login: route({ method: 'POST', path: `${API_PREFIX}/login`, auth: 'none', query: null, request: json(loginRequestSchema), response: answer(loginResponseSchema) }),
  logout: route({ method: 'POST', path: `${API_PREFIX}/logout`, auth: 'token', query: null, request: none, response: answer(okResponseSchema) }),
  me: route({ method: 'GET', path: `${API_PREFIX}/me`, auth: 'token', query: null, request: none, response: answer(meResponseSchema) }),
  listTokens: route({ method: 'GET', path: `${API_PREFIX}/tokens`, auth: 'token', query: null, request: none, response: answer(tokenListResponseSchema) }),
  revokeToken: route({ method: 'DELETE', path: `${API_PREFIX}/tokens/:tokenId`, auth: 'token', query: null, request: none, response: answer(okResponseSchema) }),

  events: route({ method: 'GET', path: `${API_PREFIX}/events`, auth: 'token', query: null, request: none, response: { kind: 'events' } }),

  listLibraries: route({ method: 'GET', path: `${API_PREFIX}/libraries`, auth: 'token', query: null, request: none, response: answer(libraryListResponseSchema) }),
  createLibrary: route({ method: 'POST', path: `${API_PREFIX}/libraries`, auth: 'token', query: null, request: json(createLibraryRequestSchema), response: answer(librarySchema) }),
  listTrashedLibraries: route({ method: 'GET', path: `${API_PREFIX}/libraries/trash`, auth: 'token', query: null, request: none, response: answer(libraryListResponseSchema) }),
  getLibrary: route({ method: 'GET', path: libraryPath, auth: 'token', query: null, request: none, response: answer(librarySchema) }),
  renameLibrary: route({ method: 'PATCH', path: libraryPath, auth: 'token', query: null, request: json(renameLibraryRequestSchema), response: answer(librarySchema) }),
  deleteLibrary: route({ method: 'DELETE', path: libraryPath, auth: 'token', query: null, request: none, response: answer(librarySchema) }),
  restoreLibrary: route({ method: 'POST', path: `${API_PREFIX}/libraries/trash/:libraryId/restore`, auth: 'token', query: null, request: none, response: answer(librarySchema) }),

  listMembers: route({ method: 'GET', path: `${libraryPath}/members`, auth: 'token', query: null, request: none, response: answer(memberListResponseSchema) }),
  setMember: route({ method: 'PUT', path: `${libraryPath}/members/:userName`, auth: 'token', query: null, request: json(setMemberRequestSchema), response: answer(memberListResponseSchema) }),
  removeMember: route({ method: 'DELETE', path: `${libraryPath}/members/:userName`, auth: 'token', query: null, request: none, response: answer(memberListResponseSchema) }),

  changes: route({ method: 'GET', path: `${libraryPath}/changes`, auth: 'token', query: changesQuerySchema, request: none, response: versionsAnswer(changesResponseSchema) }),
  waitForChanges: route({ method: 'GET', path: `${libraryPath}/changes/wait`, auth: 'token', query: waitQuerySchema, request: none, response: answer(waitResponseSchema) }),

  missingChunks: route({ method: 'POST', path: `${libraryPath}/chunks/missing`, auth: 'token', query: null, request: json(chunkIdsRequestSchema), response: answer(missingChunksResponseSchema) }),
  uploadChunks: route({ method: 'POST', path: `${libraryPath}/chunks/upload`, auth: 'token', query: null, request: { kind: 'frames' }, response: answer(uploadChunksResponseSchema) }),
  downloadChunks: route({ method: 'POST', path: `${libraryPath}/chunks/download`, auth: 'token', query: null, request: json(chunkIdsRequestSchema), response: { kind: 'frames' } }),
  putChunk: route({ method: 'PUT', path: `${libraryPath}/chunks/:chunkId`, auth: 'token', query: null, request: { kind: 'chunk' }, response: answer(uploadChunksResponseSchema) }),
  getChunk: route({ method: 'GET', path: `${libraryPath}/chunks/:chunkId`, auth: 'token', query: null, request: none, response: { kind: 'chunk' } }),

  commit: route({ method: 'POST', path: `${libraryPath}/commit`, auth: 'token', query: null, request: json(commitRequestSchema), response: versionsAnswer(commitResponseSchema) }),

  history: route({ method: 'GET', path: `${libraryPath}/history`, auth: 'token', query: historyQuerySchema, request: none, response: versionsAnswer(historyResponseSchema) }),
  trash: route({ method: 'GET', path: `${libraryPath}/trash`, auth: 'token', query: trashQuerySchema, request: none, response: versionsAnswer(trashResponseSchema) }),
  restore: route({ method: 'POST', path: `${libraryPath}/restore`, auth: 'token', query: null, request: json(restoreRequestSchema), response: versionsAnswer(commitResponseSchema) }),
  listLibraryConflicts: route({ method: 'GET', path: `${libraryPath}/conflicts`, auth: 'token', query: null, request: none, response: answer(libraryConflictListSchema) }),
  reportConflict: route({ method: 'POST', path: `${libraryPath}/conflicts`, auth: 'token', query: null, request: json(reportConflictRequestSchema), response: answer(libraryConflictSchema) }),
  resolveLibraryConflict: route({
    method: 'POST',
    path: `${libraryPath}/conflicts/:conflictId/resolve`,
    auth: 'token',
    query: null,
    request: json(resolveLibraryConflictRequestSchema),
    response: answer(okResponseSchema),
  }),
  snapshot: route({ method: 'GET', path: `${libraryPath}/snapshot`, auth: 'token', query: snapshotQuerySchema, request: none, response: versionsAnswer(snapshotResponseSchema) }),
  // Chunk patches (chunkPatches.ts), served where the server announces CHUNK_PATCHES_HEADER.
  chunkPatches: route({ method: 'POST', path: `${libraryPath}/chunks/patches`, auth: 'token', query: null, request: json(chunkPatchRequestSchema), response: { kind: 'frames' } }),
  chunkSignatures: route({ method: 'POST', path: `${libraryPath}/chunks/signatures`, auth: 'token', query: null, request: json(chunkSignaturesRequestSchema), response: { kind: 'frames' } }),
  uploadChunkPatches: route({ method: 'POST', path: `${libraryPath}/chunks/patches/upload`, auth: 'token', query: null, request: { kind: 'patches' }, response: answer(uploadChunkPatchesResponseSchema) }),
} as const;

export type Routes = typeof routes;
export type RouteName = keyof Routes;

/** The names of a path template's parameters: '/a/:x/b/:y' -> 'x' | 'y'. */
export type PathParamNames<Path extends string> = Path extends `${string}:${infer Name}/${infer Rest}`
  ? Name | PathParamNames<`/${Rest}`>
  : Path extends `${string}:${infer Name}`
    ? Name
    : never;

export type PathParams<Path extends string> = { readonly [Name in PathParamNames<Path>]: string };

/** What the client sends as the route's query (numbers as numbers). */
export type RouteQuery<Route extends RouteDefinition> = Route['query'] extends z.ZodType ? z.input<Route['query']> : never;
/** What the route's JSON request body looks like. */
export type RouteRequest<Route extends RouteDefinition> = Route['request'] extends { kind: 'json'; schema: infer Schema extends z.ZodType }
  ? z.input<Schema>
  : never;
/** What the route's JSON response is after validation. */
export type RouteResponse<Route extends RouteDefinition> = Route['response'] extends { kind: 'json'; schema: infer Schema extends z.ZodType }
  ? z.output<Schema>
  : never;

/** Fills a path template: buildPath(routes.commit, { libraryId }) -> '/api/v1/libraries/<id>/commit'. */
export function buildPath<Route extends RouteDefinition>(route: Route, params: PathParams<Route['path']>): string {
  const values = params as Readonly<Record<string, string>>;
  return route.path.replace(/:([A-Za-z]+)/g, (_match, name: string) => {
    const value = values[name];
    if (value === undefined || value.length === 0) throw new TypeError(`missing path parameter ${name} for ${route.path}`);
    return encodeURIComponent(value);
  });
}

/**
 * Builds a query string ('' or '?a=1&b=x') from a query object; undefined values are left out.
 * Values are strings, numbers or booleans.
 */
export function buildQuery(query: Readonly<Record<string, string | number | boolean | undefined>>): string {
  const parts: string[] = [];
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    parts.push(`${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`);
  }
  return parts.length === 0 ? '' : `?${parts.join('&')}`;
}

/**
 * Matches a request path against a template, returning the decoded parameters or null.
 * A parameter matches one non-empty segment; a segment that does not decode does not match.
 */
export function matchPath(template: string, pathname: string): Record<string, string> | null {
  const templateSegments = template.split('/');
  const segments = pathname.split('/');
  if (templateSegments.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const expected = templateSegments[i]!;
    const actual = segments[i]!;
    if (expected.startsWith(':')) {
      if (actual.length === 0) return null;
      try {
        params[expected.slice(1)] = decodeURIComponent(actual);
      } catch {
        return null;
      }
    } else if (expected !== actual) {
      return null;
    }
  }
  return params;
}
