// Text documents for diff and merge. A file is text when it is at most MAX_TEXT_BYTES, holds no
// NUL byte and is strict UTF-8 (an optional BOM aside); anything else is treated as binary and
// never merged. A TextDocument keeps everything needed to write the same bytes back: whether a
// BOM was present, and each line with its own terminator, so encodeText(decodeText(b)) === b.
//
// Lines: a line ends after LF, CRLF or a lone CR. Only the last line may have no terminator
// (the file does not end with a newline); a file ending with a newline has no empty line after
// it, and an empty file has no lines. This form is canonical: each byte string has exactly one.

import { decodeUtf8, encodeUtf8Into, utf8EncodedLength } from './utf8.js';

/** Largest file, in bytes, treated as text; larger ones are shown and resolved like binaries. */
export const MAX_TEXT_BYTES = 8 * 1024 * 1024;

export type LineTerminator = '\n' | '\r\n' | '\r';

export interface TextLine {
  /** The line's content, without its terminator. */
  readonly text: string;
  /** '' only for the last line of a file that does not end with a newline. */
  readonly terminator: LineTerminator | '';
}

export interface TextDocument {
  /** Whether the file started with the UTF-8 byte order mark (EF BB BF). */
  readonly bom: boolean;
  readonly lines: readonly TextLine[];
}

export type BinaryReason = 'nul-byte' | 'invalid-utf8' | 'too-large';

export type TextInspection =
  | { readonly kind: 'text'; readonly document: TextDocument }
  | { readonly kind: 'binary'; readonly reason: BinaryReason };

/** How a document ends its lines: one style throughout, a mix, or no terminated line at all. */
export type LineEndingStyle = 'lf' | 'crlf' | 'cr' | 'mixed' | 'none';

const BOM = [0xef, 0xbb, 0xbf] as const;

/** Decides whether `bytes` are text and, if so, decodes them; says why not otherwise. */
export function inspectText(bytes: Uint8Array): TextInspection {
  if (bytes.length > MAX_TEXT_BYTES) return { kind: 'binary', reason: 'too-large' };
  const bom = bytes.length >= 3 && bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2];
  const decoded = decodeUtf8(bytes, bom ? 3 : 0);
  if (!decoded.ok) return { kind: 'binary', reason: decoded.problem };
  return { kind: 'text', document: { bom, lines: splitLines(decoded.text) } };
}

/** The document for `bytes`, or null when they are binary (see inspectText for why). */
export function decodeText(bytes: Uint8Array): TextDocument | null {
  const inspection = inspectText(bytes);
  return inspection.kind === 'text' ? inspection.document : null;
}

/** The exact bytes of a document: the inverse of decodeText. */
export function encodeText(document: TextDocument): Uint8Array {
  let length = document.bom ? BOM.length : 0;
  for (const line of document.lines) length += utf8EncodedLength(line.text) + line.terminator.length;
  const bytes = new Uint8Array(length);
  let offset = 0;
  if (document.bom) {
    bytes.set(BOM, 0);
    offset = BOM.length;
  }
  for (const line of document.lines) {
    offset = encodeUtf8Into(line.text, bytes, offset);
    // Terminators are ASCII: one byte per code unit.
    for (let index = 0; index < line.terminator.length; index += 1) bytes[offset++] = line.terminator.charCodeAt(index);
  }
  return bytes;
}

/** Splits text into lines, each keeping its terminator (see the rules at the top). */
export function splitLines(text: string): TextLine[] {
  const lines: TextLine[] = [];
  let start = 0;
  for (let index = 0; index < text.length; index += 1) {
    const unit = text.charCodeAt(index);
    if (unit === 0x0a) {
      lines.push({ text: text.slice(start, index), terminator: '\n' });
      start = index + 1;
    } else if (unit === 0x0d) {
      if (text.charCodeAt(index + 1) === 0x0a) {
        lines.push({ text: text.slice(start, index), terminator: '\r\n' });
        index += 1;
      } else {
        lines.push({ text: text.slice(start, index), terminator: '\r' });
      }
      start = index + 1;
    }
  }
  if (start < text.length) lines.push({ text: text.slice(start), terminator: '' });
  return lines;
}

/** The document as one string, terminators included and the BOM left out. */
export function documentToString(document: TextDocument): string {
  return document.lines.map((line) => line.text + line.terminator).join('');
}

/** Whether the last line ends with a terminator (an empty document does not). */
export function endsWithNewline(document: TextDocument): boolean {
  const last = document.lines[document.lines.length - 1];
  return last !== undefined && last.terminator !== '';
}

export function lineEndingStyle(lines: readonly TextLine[]): LineEndingStyle {
  let seen: LineTerminator | null = null;
  for (const line of lines) {
    if (line.terminator === '') continue;
    if (seen === null) seen = line.terminator;
    else if (seen !== line.terminator) return 'mixed';
  }
  return seen === null ? 'none' : seen === '\n' ? 'lf' : seen === '\r\n' ? 'crlf' : 'cr';
}

/**
 * What diff and merge compare: a line's text without its terminator, so LF and CRLF files
 * with the same text are equal, except that a last line without a newline gets a NUL suffix.
 * Adding or removing the final newline is thereby a change like any other, and the suffix
 * cannot collide with a real line because text never contains NUL.
 */
export function comparisonKeys(lines: readonly TextLine[]): string[] {
  return lines.map((line) => (line.terminator === '' ? `${line.text}\u0000` : line.text));
}
