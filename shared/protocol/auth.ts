// Authentication: a user logs in once per device with name and password and receives a device
// token. Every other route (but health) carries it as `Authorization: Bearer <token>`.

import { z } from 'zod';
import { PROTOCOL_LIMITS, deviceNameSchema, idSchema, remoteTextSchema, timestampSchema, userNameSchema } from './common.js';

/**
 * The user field is any short string: a name that cannot exist simply fails like a wrong
 * password, so the answer never tells which names are valid.
 */
export const loginRequestSchema = z.strictObject({
  user: z.string().min(1).max(256),
  password: z.string().min(1).max(PROTOCOL_LIMITS.maxPasswordLength),
  deviceName: deviceNameSchema,
});
export type LoginRequest = z.input<typeof loginRequestSchema>;

export const loginResponseSchema = z.object({
  /** The device token: 32 random bytes, base64url. Shown once; the server keeps only its hash. */
  token: z.string().min(1),
  userId: idSchema,
  user: userNameSchema,
  /** Identifies this device's token in `GET /api/v1/tokens` and `DELETE /api/v1/tokens/:tokenId`. */
  deviceId: idSchema,
});
export type LoginResponse = z.output<typeof loginResponseSchema>;

export const meResponseSchema = z.object({
  userId: idSchema,
  user: userNameSchema,
  admin: z.boolean(),
  /** The device (token) this request was made with. */
  deviceId: idSchema,
  deviceName: remoteTextSchema,
});
export type MeResponse = z.output<typeof meResponseSchema>;

/** One device token as listed to its owner; the secret itself is never shown again. */
export const deviceTokenSchema = z.object({
  deviceId: idSchema,
  deviceName: remoteTextSchema,
  createdAt: timestampSchema,
  lastUsedAt: timestampSchema,
  /** True for the token this request was made with. */
  current: z.boolean(),
});
export type DeviceToken = z.output<typeof deviceTokenSchema>;

export const tokenListResponseSchema = z.object({ tokens: z.array(deviceTokenSchema) });
export type TokenListResponse = z.output<typeof tokenListResponseSchema>;
