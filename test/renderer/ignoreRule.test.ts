import { describe, expect, it } from 'vitest';
import { createIgnoreMatcher } from '../../src-main/engine/index.js';
import type { LibraryPath } from '../../shared/paths.js';
import { ignoreRuleFor } from '../../src-renderer/state/ignoreRule.js';

describe('ignoreRuleFor', () => {
  it.each(['link-out', 'Photos/link-out', 'a b/c d.txt', 'x*[1]?.txt', '#notes', '!important', 'back\\slash', 'trailing  '])('matches %j and nothing beside it', (path) => {
    const matcher = createIgnoreMatcher(`${ignoreRuleFor(path)}\n`);
    expect(matcher.isIgnored(path as LibraryPath, false)).toBe(true);
    expect(matcher.isIgnored(`other/${path}` as LibraryPath, false)).toBe(false);
    expect(matcher.isIgnored(`${path}x` as LibraryPath, false)).toBe(false);
  });
});
