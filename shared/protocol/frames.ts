// Chunk frames: the binary body of batched chunk uploads and downloads. A body is zero or more
// frames, each `[32 bytes raw chunk id][4 bytes big-endian length][length bytes]`. Pure
// TypeScript on Uint8Array (shared/ has no Buffer), so client and server use the same code.

import type { ChunkId } from '../model.js';

export const CHUNK_ID_BYTES = 32;
export const FRAME_HEADER_BYTES = CHUNK_ID_BYTES + 4;

export interface Frame {
  readonly id: ChunkId;
  readonly bytes: Uint8Array;
}

const HEX_DIGITS = '0123456789abcdef';

/** Lowercase hex of bytes. */
export function bytesToHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += HEX_DIGITS[byte >> 4]! + HEX_DIGITS[byte & 15]!;
  return hex;
}

/** Bytes of a lowercase or uppercase hex string of even length; throws on anything else. */
export function hexToBytes(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new TypeError('expected an even-length hex string');
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

/** The 36-byte header of one frame. */
export function encodeFrameHeader(id: ChunkId, length: number): Uint8Array {
  if (!/^[0-9a-f]{64}$/.test(id)) throw new TypeError(`not a chunk id: ${id}`);
  if (!Number.isInteger(length) || length < 0 || length > 0xffffffff) throw new RangeError(`frame length out of range: ${length}`);
  const header = new Uint8Array(FRAME_HEADER_BYTES);
  header.set(hexToBytes(id), 0);
  new DataView(header.buffer).setUint32(CHUNK_ID_BYTES, length, false);
  return header;
}

/** Encodes whole frames into one body. */
export function encodeFrames(frames: readonly Frame[]): Uint8Array {
  let total = 0;
  for (const frame of frames) total += FRAME_HEADER_BYTES + frame.bytes.length;
  const body = new Uint8Array(total);
  let offset = 0;
  for (const frame of frames) {
    body.set(encodeFrameHeader(frame.id, frame.bytes.length), offset);
    offset += FRAME_HEADER_BYTES;
    body.set(frame.bytes, offset);
    offset += frame.bytes.length;
  }
  return body;
}

export class FrameFormatError extends Error {
  override readonly name = 'FrameFormatError';
}

/**
 * The framing every reader of a frames body shares: push slices of a body in order with read();
 * each frame's header is gathered across slices and handed to startFrame (which refuses what
 * it must, before any of the frame's bytes), then the frame's bytes piece by piece to
 * frameBytes, then endFrame. `inFrame` says the body so far stopped inside a frame.
 */
export abstract class FrameReader {
  private readonly header = new Uint8Array(FRAME_HEADER_BYTES);
  private headerFilled = 0;
  /** Bytes of the current frame still to come; -1 between frames. */
  private remaining = -1;
  /** Bytes of the body read before the current slice. */
  private position = 0;

  /** A frame begins; `offset` is where its first byte is in the body. */
  protected abstract startFrame(id: ChunkId, length: number, offset: number): void;
  protected abstract frameBytes(bytes: Uint8Array): void;
  protected abstract endFrame(): void;

  protected read(slice: Uint8Array): void {
    let offset = 0;
    while (offset < slice.length) {
      if (this.remaining < 0) {
        const take = Math.min(FRAME_HEADER_BYTES - this.headerFilled, slice.length - offset);
        this.header.set(slice.subarray(offset, offset + take), this.headerFilled);
        this.headerFilled += take;
        offset += take;
        if (this.headerFilled < FRAME_HEADER_BYTES) break;
        this.headerFilled = 0;
        const length = new DataView(this.header.buffer).getUint32(CHUNK_ID_BYTES, false);
        this.startFrame(bytesToHex(this.header.subarray(0, CHUNK_ID_BYTES)), length, this.position + offset);
        this.remaining = length;
      }
      const take = Math.min(this.remaining, slice.length - offset);
      if (take > 0) this.frameBytes(slice.subarray(offset, offset + take));
      this.remaining -= take;
      offset += take;
      if (this.remaining === 0) {
        this.remaining = -1;
        this.endFrame();
      }
    }
    this.position += slice.length;
  }

  protected get inFrame(): boolean {
    return this.remaining >= 0 || this.headerFilled > 0;
  }
}

/**
 * Incremental decoder: push arbitrary slices of a body as they arrive, get every frame they
 * complete, then call finish() to check the body did not stop inside a frame. A frame longer
 * than maxFrameBytes is refused before its bytes are buffered. `allocate` makes each frame's
 * buffer (zero-filled by default); a frame is handed out only once every byte of it was
 * written, so an allocator that skips the zero-filling (Node's Buffer.allocUnsafeSlow) is
 * safe: on a 512 MiB download the filling cost ~70 ms of the client's main thread.
 */
export class FrameDecoder extends FrameReader {
  private current: { id: ChunkId; bytes: Uint8Array; filled: number } | null = null;
  private completed: Frame[] = [];

  constructor(
    private readonly maxFrameBytes: number,
    private readonly allocate: (length: number) => Uint8Array = (length) => new Uint8Array(length),
  ) {
    super();
  }

  push(slice: Uint8Array): Frame[] {
    this.completed = [];
    this.read(slice);
    return this.completed;
  }

  protected startFrame(id: ChunkId, length: number): void {
    if (length > this.maxFrameBytes) throw new FrameFormatError(`chunk ${id} is ${length} bytes, more than the limit of ${this.maxFrameBytes}`);
    this.current = { id, bytes: this.allocate(length), filled: 0 };
  }

  protected frameBytes(bytes: Uint8Array): void {
    const frame = this.current!;
    frame.bytes.set(bytes, frame.filled);
    frame.filled += bytes.length;
  }

  protected endFrame(): void {
    const frame = this.current!;
    this.completed.push({ id: frame.id, bytes: frame.bytes });
    this.current = null;
  }

  /** Throws if the body ended inside a frame. */
  finish(): void {
    if (this.inFrame) throw new FrameFormatError('the body ended inside a frame');
  }
}

/** Decodes a whole body at once. */
export function decodeFrames(body: Uint8Array, maxFrameBytes: number): Frame[] {
  const decoder = new FrameDecoder(maxFrameBytes);
  const frames = decoder.push(body);
  decoder.finish();
  return frames;
}
