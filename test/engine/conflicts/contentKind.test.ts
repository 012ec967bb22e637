import { describe, expect, it } from 'vitest';
import { MAX_TEXT_BYTES } from '../../../shared/merge/index.js';
import { parseLibraryPath } from '../../../shared/paths.js';
import { contentKindOf, extensionOf, sniffImageType } from '../../../src-main/engine/conflicts/contentKind.js';

const lp = parseLibraryPath;

describe('contentKindOf', () => {
  it.each([
    ['notes/plan.md', [10, 12], 'text'],
    ['Report.TXT', [10, 12], 'text'],
    ['drawing.svg', [10, 12], 'text'],
    ['.gitignore', [10, 12], 'text'],
    ['huge.log', [10, MAX_TEXT_BYTES + 1], 'binary'],
    ['photo.JPG', [10, 12], 'image'],
    ['anim.gif', [10, 12], 'image'],
    ['scan.tiff', [10, 12], 'binary'],
    ['archive.zip', [10, 12], 'binary'],
    ['Makefile', [10, 12], null],
    ['data.unknownext', [10, 12], null],
  ] as const)('%s with sizes %j is %s', (name, sizes, expected) => {
    expect(contentKindOf(lp(name), sizes)).toBe(expected);
  });

  it('takes the extension of the last segment only', () => {
    expect(extensionOf(lp('v1.2/README'))).toBe('');
    expect(extensionOf(lp('a.b/c.tar.gz'))).toBe('gz');
  });
});

describe('sniffImageType', () => {
  const bytes = (...values: number[]) => Uint8Array.from(values);
  it.each([
    ['png', bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0), 'image/png'],
    ['jpeg', bytes(0xff, 0xd8, 0xff, 0xe0), 'image/jpeg'],
    ['gif89a', bytes(0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 1), 'image/gif'],
    ['webp', bytes(0x52, 0x49, 0x46, 0x46, 1, 2, 3, 4, 0x57, 0x45, 0x42, 0x50), 'image/webp'],
    ['a RIFF that is not webp (wav)', bytes(0x52, 0x49, 0x46, 0x46, 1, 2, 3, 4, 0x57, 0x41, 0x56, 0x45), null],
    ['svg text', new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>'), null],
    ['a truncated png signature', bytes(0x89, 0x50, 0x4e), null],
    ['nothing', bytes(), null],
  ] as const)('%s', (_name, input, expected) => {
    expect(sniffImageType(input)).toBe(expected);
  });
});
