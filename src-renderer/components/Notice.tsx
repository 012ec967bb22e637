import type { ReactNode } from 'react';

/** A calm message in the flow of a screen: information, success or a warning. */
export function Notice({ tone, children, testId }: { readonly tone: 'info' | 'success' | 'warning'; readonly children: ReactNode; readonly testId?: string }) {
  return (
    <div className={`notice notice-${tone}`} role="status" data-testid={testId}>
      {children}
    </div>
  );
}
