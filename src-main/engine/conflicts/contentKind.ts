// What kind of content a conflicting file holds, as far as it can be told cheaply: from its
// name and size for the conflict list, and from its first bytes for an image preview. The
// list's answer is a hint (a '.txt' file may hold binary bytes); the details decode the bytes
// and the merge refuses anything that is not text, whatever the name says.

import type { LibraryPath } from '../../../shared/paths.js';
import { MAX_TEXT_BYTES } from '../../../shared/merge/index.js';

export type ContentKind = 'text' | 'image' | 'binary';

/** Image types a preview shows (as data: URLs); other image formats count as binary. */
export type PreviewImageType = 'image/png' | 'image/jpeg' | 'image/gif' | 'image/webp';

// SVG is XML: it is treated as text (diffed and merged), never rendered, because an SVG
// document can carry scripts and external references.
const TEXT_EXTENSIONS = new Set([
  'txt', 'text', 'md', 'markdown', 'rst', 'adoc', 'org', 'tex', 'bib', 'csv', 'tsv', 'log',
  'json', 'jsonc', 'json5', 'yaml', 'yml', 'toml', 'ini', 'cfg', 'conf', 'properties', 'env',
  'xml', 'svg', 'html', 'htm', 'xhtml', 'css', 'scss', 'sass', 'less',
  'js', 'mjs', 'cjs', 'jsx', 'ts', 'mts', 'cts', 'tsx', 'vue', 'svelte',
  'py', 'rb', 'php', 'pl', 'pm', 'lua', 'r', 'jl', 'go', 'rs', 'java', 'kt', 'kts', 'scala', 'groovy', 'gradle',
  'c', 'h', 'cc', 'cpp', 'cxx', 'hpp', 'hh', 'hxx', 'm', 'mm', 'swift', 'cs', 'fs', 'vb', 'dart', 'zig', 'nim',
  'sh', 'bash', 'zsh', 'fish', 'ps1', 'bat', 'cmd', 'sql', 'graphql', 'proto', 'tf', 'hcl',
  'diff', 'patch', 'srt', 'vtt', 'ics', 'vcf', 'gitignore', 'gitattributes', 'editorconfig', 'cairnignore',
]);

const IMAGE_EXTENSIONS = new Map<string, PreviewImageType>([
  ['png', 'image/png'],
  ['jpg', 'image/jpeg'],
  ['jpeg', 'image/jpeg'],
  ['gif', 'image/gif'],
  ['webp', 'image/webp'],
]);

const BINARY_EXTENSIONS = new Set([
  'pdf', 'zip', 'gz', 'tgz', 'bz2', 'xz', 'zst', '7z', 'rar', 'tar', 'jar', 'war', 'apk', 'ipa',
  'doc', 'docx', 'xls', 'xlsx', 'ppt', 'pptx', 'odt', 'ods', 'odp', 'pages', 'numbers', 'key', 'epub',
  'exe', 'dll', 'so', 'dylib', 'bin', 'o', 'a', 'lib', 'class', 'pyc', 'wasm', 'iso', 'dmg', 'img', 'msi', 'deb', 'rpm',
  'mp3', 'mp4', 'm4a', 'm4v', 'mov', 'avi', 'mkv', 'wav', 'flac', 'ogg', 'opus', 'webm', 'aac', 'wma', 'wmv',
  'bmp', 'ico', 'tif', 'tiff', 'heic', 'heif', 'avif', 'psd', 'ai', 'raw', 'cr2', 'nef', 'dng', 'xcf', 'sketch', 'fig',
  'sqlite', 'sqlite3', 'db', 'mdb', 'accdb', 'woff', 'woff2', 'ttf', 'otf', 'eot', 'blend', 'fbx', 'glb', 'stl',
]);

/** The extension of a path's last segment, lowercase, without the dot ('' when none). */
export function extensionOf(path: LibraryPath | string): string {
  const name = path.slice(path.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  // A leading dot names a hidden file (".gitignore"): that whole name counts as the extension.
  return dot < 0 ? '' : name.slice(dot + 1).toLowerCase();
}

/** True when the name says text (whatever the size). */
export function hasTextName(path: LibraryPath): boolean {
  return TEXT_EXTENSIONS.has(extensionOf(path));
}

/**
 * The kind of content at `path` judged by its extension and the sizes of its versions, or null
 * when the name says nothing (no or unfamiliar extension). Text larger than the merge accepts
 * is binary for every purpose here.
 */
export function contentKindOf(path: LibraryPath, sizes: readonly number[]): ContentKind | null {
  const extension = extensionOf(path);
  if (IMAGE_EXTENSIONS.has(extension)) return 'image';
  if (BINARY_EXTENSIONS.has(extension)) return 'binary';
  if (TEXT_EXTENSIONS.has(extension)) return sizes.every((size) => size <= MAX_TEXT_BYTES) ? 'text' : 'binary';
  return null;
}

/**
 * The image type the bytes actually are (by their signature), or null. A preview trusts this,
 * never the extension, so a data: URL always declares what it holds.
 */
export function sniffImageType(bytes: Uint8Array): PreviewImageType | null {
  const starts = (signature: readonly number[], at = 0): boolean =>
    bytes.length >= at + signature.length && signature.every((value, index) => bytes[at + index] === value);
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (starts([0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (starts([0x47, 0x49, 0x46, 0x38, 0x37, 0x61]) || starts([0x47, 0x49, 0x46, 0x38, 0x39, 0x61])) return 'image/gif';
  if (starts([0x52, 0x49, 0x46, 0x46]) && starts([0x57, 0x45, 0x42, 0x50], 8)) return 'image/webp';
  return null;
}
