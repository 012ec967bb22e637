export { BUILT_IN_IGNORE_RULES, IGNORE_FILE_NAME, createIgnoreMatcher } from './ignoreMatcher.js';
export type { IgnoreMatcher } from './ignoreMatcher.js';
export { checkIgnoreRules, previewIgnoreRules } from './checkIgnoreRules.js';
export type { IgnorePreview, IgnoreRuleIssue, IgnoreRuleProblem } from './checkIgnoreRules.js';
