// The ignore rule that names one path of a library and nothing else (gitignore syntax).

/** One gitignore line that matches exactly `path` from the library's top folder. */
export function ignoreRuleFor(path: string): string {
  // A leading slash anchors the rule (so '#' and '!' are never first); wildcards, brackets and
  // backslashes are escaped, and so are trailing spaces, which gitignore would drop.
  const escaped = path.replace(/[\\*?[\]]/g, (character) => `\\${character}`).replace(/ +$/, (spaces) => spaces.replace(/ /g, '\\ '));
  return `/${escaped}`;
}
