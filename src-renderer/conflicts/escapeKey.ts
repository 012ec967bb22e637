// When Escape takes the conflict dialog back to the conflicts list. It does not when the key
// means something else where it was pressed: in a text field (where it may cancel typing, an
// input method's composition or a native picker), in a modal dialog on top (where it closes
// that dialog), or when something already handled it or a modifier is held.

/** What matters about the element a key was pressed in. */
export interface KeyTarget {
  /** Upper case, as the DOM gives it: 'INPUT', 'TEXTAREA', 'BUTTON'... */
  readonly tagName: string;
  /** An input's type attribute, lower case; '' for other elements. */
  readonly type: string;
  readonly isContentEditable: boolean;
  /** True when the element is inside an open <dialog>. */
  readonly inDialog: boolean;
}

export interface EscapeKeyEvent {
  readonly key: string;
  readonly isComposing: boolean;
  readonly defaultPrevented: boolean;
  readonly altKey: boolean;
  readonly ctrlKey: boolean;
  readonly metaKey: boolean;
  readonly shiftKey: boolean;
}

/** Input types that take no typed text: Escape means nothing special there. */
const NOT_TEXT_INPUTS: ReadonlySet<string> = new Set(['button', 'checkbox', 'radio', 'submit', 'reset', 'image', 'range', 'color', 'file', 'hidden']);

/** True when `target` takes typed text (or is a list box), so Escape belongs to it. */
export function isTextEntry(target: KeyTarget): boolean {
  if (target.isContentEditable) return true;
  switch (target.tagName) {
    case 'TEXTAREA':
    case 'SELECT':
      return true;
    case 'INPUT':
      return !NOT_TEXT_INPUTS.has(target.type);
    default:
      return false;
  }
}

/** Whether this key press should leave the dialog for the conflicts list. */
export function escapeGoesBack(event: EscapeKeyEvent, target: KeyTarget | null): boolean {
  if (event.key !== 'Escape' || event.isComposing || event.defaultPrevented) return false;
  if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return false;
  return target === null || (!target.inDialog && !isTextEntry(target));
}

/** Reads a KeyTarget off a DOM event target; null when it is not an element (the window, say). */
export function keyTargetOf(target: EventTarget | null): KeyTarget | null {
  const element = target as Partial<Pick<HTMLElement, 'tagName' | 'isContentEditable' | 'closest'>> & { type?: unknown } | null;
  if (element === null || typeof element.tagName !== 'string') return null;
  return {
    tagName: element.tagName.toUpperCase(),
    type: element.tagName.toUpperCase() === 'INPUT' && typeof element.type === 'string' ? element.type.toLowerCase() : '',
    isContentEditable: element.isContentEditable === true,
    inDialog: typeof element.closest === 'function' && element.closest('dialog[open]') !== null,
  };
}
