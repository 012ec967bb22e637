// Strict UTF-8 by hand: shared/ has neither TextDecoder nor Buffer. Decoding refuses what a
// lenient decoder would silently replace with U+FFFD (overlong forms, encoded surrogates,
// code points above U+10FFFF, truncated sequences, stray continuation bytes), because a file
// that does not survive decode-then-encode byte for byte must never be merged as text.

export type Utf8Problem = 'nul-byte' | 'invalid-utf8';

export type Utf8Decoding =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly problem: Utf8Problem; readonly offset: number };

/** Code units turned into a string per call: small enough for any engine's argument limit. */
const STRING_CHUNK_UNITS = 8192;

/**
 * Decodes `bytes` from `start` as strict UTF-8. A NUL byte is reported on its own: it is valid
 * UTF-8 but the usual sign of a binary file.
 */
export function decodeUtf8(bytes: Uint8Array, start = 0): Utf8Decoding {
  // Every sequence yields at most as many UTF-16 code units as it has bytes.
  const units = new Uint16Array(Math.max(0, bytes.length - start));
  let count = 0;
  let index = start;
  const length = bytes.length;
  while (index < length) {
    const lead = bytes[index] as number;
    if (lead < 0x80) {
      if (lead === 0) return { ok: false, problem: 'nul-byte', offset: index };
      units[count++] = lead;
      index += 1;
      continue;
    }
    // The allowed range of the second byte excludes overlong forms (after E0 and F0),
    // surrogates (after ED) and code points above U+10FFFF (after F4).
    let trailing: number;
    let codePoint: number;
    let secondLow = 0x80;
    let secondHigh = 0xbf;
    if (lead >= 0xc2 && lead <= 0xdf) {
      trailing = 1;
      codePoint = lead & 0x1f;
    } else if (lead >= 0xe0 && lead <= 0xef) {
      trailing = 2;
      codePoint = lead & 0x0f;
      if (lead === 0xe0) secondLow = 0xa0;
      else if (lead === 0xed) secondHigh = 0x9f;
    } else if (lead >= 0xf0 && lead <= 0xf4) {
      trailing = 3;
      codePoint = lead & 0x07;
      if (lead === 0xf0) secondLow = 0x90;
      else if (lead === 0xf4) secondHigh = 0x8f;
    } else {
      return { ok: false, problem: 'invalid-utf8', offset: index };
    }
    for (let position = 1; position <= trailing; position += 1) {
      const next = bytes[index + position];
      const low = position === 1 ? secondLow : 0x80;
      const high = position === 1 ? secondHigh : 0xbf;
      if (next === undefined || next < low || next > high) return { ok: false, problem: 'invalid-utf8', offset: index };
      codePoint = (codePoint << 6) | (next & 0x3f);
    }
    if (codePoint >= 0x10000) {
      const offset = codePoint - 0x10000;
      units[count++] = 0xd800 + (offset >> 10);
      units[count++] = 0xdc00 + (offset & 0x3ff);
    } else {
      units[count++] = codePoint;
    }
    index += trailing + 1;
  }
  return { ok: true, text: unitsToString(units, count) };
}

function unitsToString(units: Uint16Array, count: number): string {
  const parts: string[] = [];
  for (let from = 0; from < count; from += STRING_CHUNK_UNITS) {
    // apply() takes any array-like, typed arrays included, and is much faster than spreading.
    const chunk = units.subarray(from, Math.min(count, from + STRING_CHUNK_UNITS)) as unknown as number[];
    parts.push(String.fromCharCode.apply(null, chunk));
  }
  return parts.join('');
}

/**
 * Number of UTF-8 bytes `text` encodes to. Throws on a lone surrogate: such a string did not
 * come from decoding a file, and writing a replacement character would change the content.
 */
export function utf8EncodedLength(text: string): number {
  let bytes = 0;
  for (let index = 0; index < text.length; index += 1) {
    const unit = text.charCodeAt(index);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(index + 1);
      if (!(next >= 0xdc00 && next <= 0xdfff)) throw loneSurrogate(index);
      bytes += 4;
      index += 1;
    } else if (unit >= 0xdc00 && unit <= 0xdfff) throw loneSurrogate(index);
    else bytes += 3;
  }
  return bytes;
}

/** Writes `text` as UTF-8 into `target` at `offset`, returning the offset after it. */
export function encodeUtf8Into(text: string, target: Uint8Array, offset: number): number {
  let at = offset;
  for (let index = 0; index < text.length; index += 1) {
    let unit = text.charCodeAt(index);
    if (unit < 0x80) {
      target[at++] = unit;
    } else if (unit < 0x800) {
      target[at++] = 0xc0 | (unit >> 6);
      target[at++] = 0x80 | (unit & 0x3f);
    } else if (unit >= 0xd800 && unit <= 0xdfff) {
      const next = text.charCodeAt(index + 1);
      if (unit > 0xdbff || !(next >= 0xdc00 && next <= 0xdfff)) throw loneSurrogate(index);
      unit = 0x10000 + ((unit - 0xd800) << 10) + (next - 0xdc00);
      index += 1;
      target[at++] = 0xf0 | (unit >> 18);
      target[at++] = 0x80 | ((unit >> 12) & 0x3f);
      target[at++] = 0x80 | ((unit >> 6) & 0x3f);
      target[at++] = 0x80 | (unit & 0x3f);
    } else {
      target[at++] = 0xe0 | (unit >> 12);
      target[at++] = 0x80 | ((unit >> 6) & 0x3f);
      target[at++] = 0x80 | (unit & 0x3f);
    }
  }
  return at;
}

function loneSurrogate(index: number): TypeError {
  return new TypeError(`text has a lone surrogate at code unit ${index}; it cannot be written as UTF-8`);
}
