// Names and paths that come from elsewhere (files, folders, libraries, users, devices), as the UI
// shows them: control characters and bidirectional overrides become visible escapes, so a name
// can never read as another one (see shared/displayText.ts). Values sent back to the service
// stay as they are; only what is displayed goes through `shown`.

export { escapeControlCharacters as shown } from '../../shared/displayText.js';
