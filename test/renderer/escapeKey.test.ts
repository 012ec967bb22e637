// Escape in the conflict dialog: back to the conflicts list, unless the key means something
// else where it was pressed (a text field, a modal dialog on top, an input method composing),
// or something already handled it.

import { describe, expect, it } from 'vitest';
import type { EscapeKeyEvent, KeyTarget } from '../../src-renderer/conflicts/escapeKey.js';
import { escapeGoesBack, keyTargetOf } from '../../src-renderer/conflicts/escapeKey.js';

const ESCAPE: EscapeKeyEvent = { key: 'Escape', isComposing: false, defaultPrevented: false, altKey: false, ctrlKey: false, metaKey: false, shiftKey: false };
const element = (tagName: string, type = '', more: Partial<KeyTarget> = {}): KeyTarget => ({ tagName, type, isContentEditable: false, inDialog: false, ...more });

describe('escapeGoesBack', () => {
  const cases: readonly { readonly name: string; readonly event?: Partial<EscapeKeyEvent>; readonly target: KeyTarget | null; readonly expected: boolean }[] = [
    { name: 'on the page itself', target: element('BODY'), expected: true },
    { name: 'with no element focused', target: null, expected: true },
    { name: 'on a choice radio', target: element('INPUT', 'radio'), expected: true },
    { name: 'on the apply-to-all checkbox', target: element('INPUT', 'checkbox'), expected: true },
    { name: 'on a button', target: element('BUTTON'), expected: true },
    { name: 'on a link', target: element('A'), expected: true },
    { name: 'in a text field', target: element('INPUT', 'text'), expected: false },
    { name: 'in a search field', target: element('INPUT', 'search'), expected: false },
    { name: 'in a number field', target: element('INPUT', 'number'), expected: false },
    { name: 'in a date field', target: element('INPUT', 'date'), expected: false },
    { name: 'in a text area', target: element('TEXTAREA'), expected: false },
    { name: 'in a list box', target: element('SELECT'), expected: false },
    { name: 'in editable content', target: element('DIV', '', { isContentEditable: true }), expected: false },
    { name: 'in a modal dialog on top', target: element('BUTTON', '', { inDialog: true }), expected: false },
    { name: 'while an input method composes', event: { isComposing: true }, target: element('BODY'), expected: false },
    { name: 'once something handled it', event: { defaultPrevented: true }, target: element('BODY'), expected: false },
    { name: 'with Shift held', event: { shiftKey: true }, target: element('BODY'), expected: false },
    { name: 'with Ctrl held', event: { ctrlKey: true }, target: element('BODY'), expected: false },
    { name: 'another key', event: { key: 'Enter' }, target: element('BODY'), expected: false },
  ];
  for (const { name, event, target, expected } of cases) {
    it(`${expected ? 'goes back' : 'stays'}: ${name}`, () => {
      expect(escapeGoesBack({ ...ESCAPE, ...event }, target)).toBe(expected);
    });
  }
});

describe('keyTargetOf', () => {
  it('reads the tag, an input type, editability and an open dialog around it', () => {
    const insideDialog = (selector: string) => (selector === 'dialog[open]' ? {} : null);
    const outside = () => null;
    expect(keyTargetOf({ tagName: 'input', type: 'Text', isContentEditable: false, closest: outside } as unknown as EventTarget)).toEqual(element('INPUT', 'text'));
    expect(keyTargetOf({ tagName: 'BUTTON', type: 'button', isContentEditable: false, closest: insideDialog } as unknown as EventTarget)).toEqual(
      element('BUTTON', '', { inDialog: true }),
    );
    expect(keyTargetOf({ tagName: 'DIV', isContentEditable: true, closest: outside } as unknown as EventTarget)).toEqual(element('DIV', '', { isContentEditable: true }));
    expect(keyTargetOf({} as EventTarget)).toBeNull();
    expect(keyTargetOf(null)).toBeNull();
  });
});
