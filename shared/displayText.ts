// Text from elsewhere (another user's device name, a server's error message) shown to a user.
// A terminal obeys control characters rather than showing them: an escape sequence can clear
// the screen, move the cursor or retitle the window, a carriage return or newline can forge a
// line of output, and bidirectional overrides can make text read differently than it is.
// Such characters are shown as visible escapes instead (\u001b, \u000a, \u202e).

// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/** `\u001b`: what JavaScript and JSON write for the character, so JSON output stays JSON. */
function visibleEscape(character: string): string {
  return `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** `text` with every control character (newlines and tabs too) shown as an escape: one line, inert. */
export function escapeControlCharacters(text: string): string {
  return text.replace(CONTROL_CHARACTERS, visibleEscape);
}

/** The same, keeping newlines and tabs: for whole blocks of output whose lines are meant. */
export function escapeControlCharactersButLines(text: string): string {
  return text.replace(CONTROL_CHARACTERS, (character) => (character === '\n' || character === '\t' ? character : visibleEscape(character)));
}

const ANY_CONTROL_CHARACTER = new RegExp(CONTROL_CHARACTERS.source);

/** Whether `text` holds a control character (see escapeControlCharacters). */
export function hasControlCharacters(text: string): boolean {
  return ANY_CONTROL_CHARACTER.test(text);
}
