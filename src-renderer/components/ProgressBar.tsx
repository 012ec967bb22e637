import { useLayoutEffect, useRef } from 'react';

/**
 * A progress bar with real progressbar semantics. Without a fraction it is indeterminate (no
 * aria-valuenow). The fill's width is set through the style object (CSSOM), which the page's
 * CSP allows, unlike a style attribute in markup.
 */
export function ProgressBar({ fraction, label, valueText }: { readonly fraction: number | null; readonly label: string; readonly valueText?: string }) {
  const fill = useRef<HTMLDivElement>(null);
  const percent = fraction === null ? null : Math.floor(Math.min(1, Math.max(0, fraction)) * 100);
  useLayoutEffect(() => {
    if (fill.current !== null) fill.current.style.width = percent === null ? '' : `${percent}%`;
  }, [percent]);
  return (
    <div
      className={`progress ${percent === null ? 'progress-indeterminate' : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={percent ?? undefined}
      aria-valuetext={valueText}
    >
      <div className="progress-fill" ref={fill} />
    </div>
  );
}
