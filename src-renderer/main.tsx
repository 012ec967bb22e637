// The UI's entry point: picks the transport to the sync service and renders the app.

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { pickSyncApi } from './api/pickSyncApi.js';
import { App } from './app/App.js';

const container = document.getElementById('root');
if (container === null) throw new Error('the page has no #root element');
const { api } = pickSyncApi({ scope: window });
createRoot(container).render(
  <StrictMode>
    <App api={api} />
  </StrictMode>,
);
