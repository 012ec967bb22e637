import { useEffect, useRef } from 'react';
import type { ReactNode } from 'react';

/**
 * A screen's title. It takes the focus when the screen opens, so keyboard and screen-reader
 * users land at the top of the new screen instead of on the sidebar button they pressed.
 */
export function ScreenHeading({ children, actions, subtitle }: { readonly children: ReactNode; readonly actions?: ReactNode; readonly subtitle?: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus({ preventScroll: true });
  }, []);
  return (
    <header className="screen-header">
      <div className="screen-titles">
        <h1 ref={heading} tabIndex={-1} className="screen-title">
          {children}
        </h1>
        {subtitle === undefined ? null : <p className="screen-subtitle">{subtitle}</p>}
      </div>
      {actions === undefined ? null : <div className="screen-actions">{actions}</div>}
    </header>
  );
}
