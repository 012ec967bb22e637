// The current translator for every component below the provider; the language comes from the
// preferences, so switching it there re-renders the whole UI at once.

import { createContext, useContext, useEffect, useMemo } from 'react';
import type { ReactNode } from 'react';
import type { Language } from '../../shared/api/index.js';
import { createTranslator } from './translate.js';
import type { Translator } from './translate.js';

const I18nContext = createContext<Translator>(createTranslator('en'));

export function I18nProvider({ language, children }: { readonly language: Language; readonly children: ReactNode }) {
  const translator = useMemo(() => createTranslator(language), [language]);
  useEffect(() => {
    document.documentElement.lang = language;
    document.title = translator.t('app.title');
  }, [language, translator]);
  return <I18nContext.Provider value={translator}>{children}</I18nContext.Provider>;
}

export function useI18n(): Translator {
  return useContext(I18nContext);
}
