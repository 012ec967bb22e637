// The three-way merge before it is applied: each overlapping region with both versions (and
// the one both started from), a choice for it, and the merged file as it will be saved,
// updated as the user chooses. Nothing is written until Apply, outside this panel.

import { useMemo, useState } from 'react';
import type { ConflictChoice, MergeResult, TextLine } from '../../shared/merge/index.js';
import type { MessageKey } from '../i18n/en.js';
import { useI18n } from '../i18n/I18nContext.js';
import { FIRST_ROWS, ShowAll } from './ConflictPreview.js';
import type { KeepWording } from './conflictText.js';
import { MERGE_CHOICE_KEYS, mergeChoiceText, mergeSideTitle, originText } from './conflictText.js';
import type { MergeChoices, MergeLineOrigin } from './mergeChoices.js';
import { mergePreviewRows, unchosenRegions } from './mergeChoices.js';

const LEGEND: readonly { readonly origin: MergeLineOrigin; readonly key: MessageKey }[] = [
  { origin: 'mine', key: 'merge.legend.mine' },
  { origin: 'theirs', key: 'merge.legend.theirs' },
  { origin: 'both', key: 'merge.legend.both' },
  { origin: 'chosen', key: 'merge.legend.chosen' },
];

/** Lines shown of one side of an overlap; a longer side ends with a count of the rest. */
const REGION_LINES = 400;

export function regionElementId(idPrefix: string, index: number): string {
  return `${idPrefix}-region-${index}`;
}

export function MergePanel({
  merge,
  choices,
  onChoose,
  idPrefix,
  disabled,
  wording,
}: {
  readonly merge: MergeResult;
  readonly choices: MergeChoices;
  readonly onChoose: (index: number, choice: ConflictChoice) => void;
  readonly idPrefix: string;
  /** While the merge is being applied, the choices it was sent with stay as they are. */
  readonly disabled: boolean;
  /** Away from the computer that found the conflict, the sides are named by the computer each came from. */
  readonly wording: KeepWording;
}) {
  const { t, tn } = useI18n();
  const total = merge.counts.conflict;
  const waiting = unchosenRegions(choices).length;
  const regions = merge.regions.flatMap((region) => (region.kind === 'conflict' ? [region] : []));
  return (
    <div className="merge" data-testid="merge-panel">
      {merge.clean ? (
        <p className="notice notice-success" data-testid="merge-clean">
          {t('merge.clean')}
        </p>
      ) : (
        <div className="notice notice-info">
          <p>{tn('merge.overlaps', total)}</p>
          <p className="small" data-testid="merge-progress">
            {t('merge.progress', { done: total - waiting, total })}
          </p>
        </div>
      )}
      {merge.minimal ? null : <p className="muted small">{t('diff.notMinimal')}</p>}
      {regions.map((region) => (
        <fieldset key={region.index} disabled={disabled} className={`merge-region ${choices[region.index] === undefined ? 'is-open' : 'is-chosen'}`} id={regionElementId(idPrefix, region.index)} data-testid="merge-region">
          <legend className="merge-region-title">{t('merge.region', { number: region.index + 1, total })}</legend>
          <div className="merge-sides">
            <SideLines title={mergeSideTitle('mine', wording, t)} lines={region.mine} tone="mine" />
            <SideLines title={mergeSideTitle('theirs', wording, t)} lines={region.theirs} tone="theirs" />
          </div>
          <details className="merge-base">
            <summary>{t('merge.showBase')}</summary>
            <SideLines title={t('merge.base')} lines={region.base} tone="base" />
          </details>
          <div className="segmented" role="radiogroup" aria-label={t('merge.choiceLabel', { number: region.index + 1 })}>
            {MERGE_CHOICE_KEYS.map(({ choice }) => (
              <label key={choice} className={`segment ${choices[region.index] === choice ? 'is-chosen' : ''}`}>
                <input
                  type="radio"
                  name={`${idPrefix}-choice-${region.index}`}
                  value={choice}
                  checked={choices[region.index] === choice}
                  onChange={() => onChoose(region.index, choice)}
                  data-choice={choice}
                />
                {mergeChoiceText(choice, wording, t)}
              </label>
            ))}
          </div>
        </fieldset>
      ))}
      <MergeResultView merge={merge} choices={choices} idPrefix={idPrefix} wording={wording} />
    </div>
  );
}

function SideLines({ title, lines, tone }: { readonly title: string; readonly lines: readonly TextLine[]; readonly tone: 'mine' | 'theirs' | 'base' }) {
  const { t, tn } = useI18n();
  const shown = lines.slice(0, REGION_LINES);
  return (
    <div className={`merge-side merge-side-${tone}`}>
      <p className="merge-side-title">{title}</p>
      {lines.length === 0 ? (
        <p className="merge-side-empty muted small">{t('merge.emptySide')}</p>
      ) : (
        <pre className="code-block">{shown.map((line) => line.text).join('\n')}</pre>
      )}
      {lines.length > shown.length ? <p className="muted small">{tn('merge.moreLines', lines.length - shown.length)}</p> : null}
    </div>
  );
}

function MergeResultView({ merge, choices, idPrefix, wording }: { readonly merge: MergeResult; readonly choices: MergeChoices; readonly idPrefix: string; readonly wording: KeepWording }) {
  const { t, tn } = useI18n();
  const [limit, setLimit] = useState(FIRST_ROWS);
  // A large file makes many rows: build them again only when the merge or a choice changes.
  const rows = useMemo(() => mergePreviewRows(merge, choices), [merge, choices]);
  const shown = rows.slice(0, limit);
  // The legend names only the marks the result carries.
  const origins = new Set(rows.flatMap((row) => (row.kind === 'line' ? [row.origin] : [])));
  const focusRegion = (index: number) => {
    const region = document.getElementById(regionElementId(idPrefix, index));
    region?.scrollIntoView({ block: 'center' });
    region?.querySelector('input')?.focus({ preventScroll: true });
  };
  return (
    <section className="merge-result" aria-labelledby={`${idPrefix}-result`} data-testid="merge-result">
      <h3 id={`${idPrefix}-result`} className="merge-result-title">
        {t('merge.title')}
      </h3>
      <p className="merge-legend small">
        {LEGEND.filter((entry) => origins.has(entry.origin)).map((entry) => (
          <span key={entry.origin} className={`legend legend-${entry.origin}`}>
            {entry.origin === 'mine' || entry.origin === 'theirs' ? originText(entry.origin, wording, t) : t(entry.key)}
          </span>
        ))}
      </p>
      <div className="code-scroll">
        <ol className="merge-lines" aria-label={t('merge.resultCaption')}>
          {shown.map((row, index) => {
            switch (row.kind) {
              case 'collapsed':
                return (
                  <li key={index} className="merge-line merge-collapsed">
                    {tn('diff.collapsed', row.count)}
                  </li>
                );
              case 'pending':
                return (
                  <li key={index} className="merge-line merge-pending" data-testid="merge-pending">
                    <span>{t('merge.pending', { number: row.region + 1 })}</span>
                    <button type="button" className="button button-small" onClick={() => focusRegion(row.region)}>
                      {t('merge.goTo')}
                    </button>
                  </li>
                );
              case 'line': {
                const origin = originText(row.origin, wording, t);
                return (
                  <li key={index} className={`merge-line origin-${row.origin}`} data-origin={row.origin}>
                    <span className="merge-number" aria-hidden="true">
                      {row.line ?? ''}
                    </span>
                    <span className="merge-text">
                      {origin === null ? null : <span className="visually-hidden">{origin}: </span>}
                      <span className="line-text">{row.text}</span>
                      {row.noFinalNewline ? <span className="line-note">{t('diff.noNewline')}</span> : null}
                    </span>
                  </li>
                );
              }
              default:
                return row satisfies never;
            }
          })}
        </ol>
      </div>
      {rows.length > limit ? <ShowAll count={rows.length} onShow={() => setLimit(rows.length)} /> : null}
    </section>
  );
}
