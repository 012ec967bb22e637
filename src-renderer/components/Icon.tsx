// A handful of line icons drawn inline (no icon font or remote image: the CSP allows neither,
// and a few paths weigh less). They are decorative: the text beside them carries the meaning.

export type IconName = 'libraries' | 'activity' | 'conflicts' | 'problems' | 'preferences' | 'folder' | 'pause' | 'play' | 'plus' | 'chevron' | 'back';

const PATHS: Readonly<Record<IconName, string>> = {
  libraries: 'M3 6.5A1.5 1.5 0 0 1 4.5 5H9l2 2h8.5A1.5 1.5 0 0 1 21 8.5v9a1.5 1.5 0 0 1-1.5 1.5h-15A1.5 1.5 0 0 1 3 17.5z',
  activity: 'M3 12h4l3-7 4 14 3-7h4',
  conflicts: 'M7 4v6a5 5 0 0 0 5 5h5M17 4v6M4 7l3-3 3 3M14 7l3-3 3 3M17 15l-3 3M17 15l3 3',
  problems: 'M12 4 2.8 19.5h18.4zM12 10v4.5M12 17.2v.1',
  preferences: 'M4 7h10M18 7h2M4 17h2M10 17h10M14 4.5v5M8 14.5v5',
  folder: 'M3 6.5A1.5 1.5 0 0 1 4.5 5H9l2 2h8.5A1.5 1.5 0 0 1 21 8.5v9a1.5 1.5 0 0 1-1.5 1.5h-15A1.5 1.5 0 0 1 3 17.5z',
  pause: 'M9 5v14M15 5v14',
  play: 'M8 5l11 7-11 7z',
  plus: 'M12 5v14M5 12h14',
  chevron: 'M9 6l6 6-6 6',
  back: 'M15 6l-6 6 6 6',
};

export function Icon({ name, className }: { readonly name: IconName; readonly className?: string }) {
  return (
    <svg className={`icon ${className ?? ''}`} viewBox="0 0 24 24" width="18" height="18" aria-hidden="true" focusable="false">
      <path d={PATHS[name]} fill="none" stroke="currentColor" strokeWidth="1.8" strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

/** Cairn's mark: three stones stacked. */
export function CairnMark({ size = 28 }: { readonly size?: number }) {
  return (
    <svg viewBox="0 0 32 32" width={size} height={size} aria-hidden="true" focusable="false" className="cairn-mark">
      <ellipse cx="16" cy="25" rx="11" ry="4.5" fill="#5b6b7f" />
      <ellipse cx="16" cy="17" rx="8" ry="3.8" fill="#7d8da1" />
      <ellipse cx="16" cy="10" rx="5" ry="3" fill="#a3b1c2" />
    </svg>
  );
}
