import { useLayoutEffect, useRef } from 'react';
import type { CheckState } from '../state/folderSelection.js';

/** A native checkbox that can also show "partly" (indeterminate, announced as mixed). */
export function TriStateCheckbox({
  id,
  state,
  onToggle,
  disabled,
  path,
}: {
  readonly id: string;
  readonly state: CheckState;
  readonly onToggle: () => void;
  readonly disabled?: boolean;
  readonly path?: string;
}) {
  const input = useRef<HTMLInputElement>(null);
  useLayoutEffect(() => {
    if (input.current !== null) input.current.indeterminate = state === 'mixed';
  }, [state]);
  return (
    <input
      ref={input}
      id={id}
      type="checkbox"
      className="checkbox"
      checked={state === 'checked'}
      onChange={onToggle}
      disabled={disabled}
      data-path={path}
      data-state={state}
    />
  );
}
