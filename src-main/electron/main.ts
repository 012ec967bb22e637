// The desktop app's composition root (Electron's main process). It owns the lifetimes of
// everything it starts: the engine host (a utility process, restarted when it dies), the IPC
// door, the window, the tray. What it decides is in plain modules tested without Electron
// (desktopController, engineClient, ipcHandlers, trayModel, windowSecurity, startAtLogin);
// this file only connects them to Electron.

import { Menu, Notification, app, dialog, ipcMain, safeStorage, session, shell, utilityProcess } from 'electron';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createSyncApi } from '../../shared/api/index.js';
import { defaultHome } from '../profile/profileHome.js';
import { openAppLog } from './appLog.js';
import type { AppLog } from './appLog.js';
import { AppTray } from './appTray.js';
import { AppWindow, lockDownSession, lockDownWebContents } from './appWindow.js';
import { startDesktopController } from './desktopController.js';
import type { DesktopController } from './desktopController.js';
import { createEngineClient } from './engineClient.js';
import type { HostProcess } from './engineClient.js';
import { hostArgumentList } from './hostProtocol.js';
import type { HostArguments } from './hostProtocol.js';
import { folderDialogOperations } from './folderDialog.js';
import { forwardSyncEvents, registerSyncApiHandlers } from './ipcHandlers.js';
import { HIDDEN_ARGUMENT, applyStartAtLogin, autostartEntryPath, startCommand } from './startAtLogin.js';
import type { CredentialWarning } from './trayModel.js';

const APP_ID = 'org.cairn.desktop';
const mainDir = path.dirname(fileURLToPath(import.meta.url));
const home = defaultHome();

app.setName('Cairn');
// Chromium's own data goes into a folder of the profile, never beside the engine's files
// (on macOS and Windows Electron's default would be the profile folder itself).
app.setPath('userData', path.join(home, 'desktop'));
app.enableSandbox();

if (!app.requestSingleInstanceLock()) {
  // Another Cairn runs on this profile; it shows its window (second-instance) and this one ends.
  app.quit();
} else {
  void run().catch((error: unknown) => {
    process.stderr.write(`cairn: the app could not start: ${(error as Error)?.stack ?? String(error)}\n`);
    app.exit(1);
  });
}

/** Starts the engine host as a utility process and adapts it to HostProcess. */
function spawnEngineHost(hostArguments: HostArguments, log: AppLog): HostProcess {
  const child = utilityProcess.fork(path.join(mainDir, 'engineHostMain.js'), hostArgumentList(hostArguments), {
    serviceName: 'Cairn sync engine',
    stdio: 'pipe',
  });
  const forward = (stream: NodeJS.ReadableStream | null) => {
    let partial = '';
    stream?.setEncoding('utf8');
    stream?.on('data', (chunk: string) => {
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line !== '') log(`engine: ${line}`);
    });
  };
  forward(child.stdout);
  forward(child.stderr);
  return {
    post: (message) => child.postMessage(message),
    onMessage: (listener) => child.on('message', listener),
    onExit: (listener) => child.once('exit', (code) => listener(code)),
    kill: () => void child.kill(),
  };
}

async function run(): Promise<void> {
  const startHidden = process.argv.includes(HIDDEN_ARGUMENT) || (process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin);
  await app.whenReady();
  const log = openAppLog(path.join(app.getPath('logs'), 'cairn.log'));
  log(`Cairn ${app.getVersion()} starting; profile ${home}`);

  const appPath = app.getAppPath();
  const rendererDir = path.join(appPath, 'dist-renderer');
  const indexFile = path.join(rendererDir, 'index.html');
  const indexUrl = pathToFileURL(indexFile).href;
  const assetsDir = path.join(appPath, 'assets');

  if (process.platform === 'win32') app.setAppUserModelId(APP_ID);
  Menu.setApplicationMenu(
    process.platform === 'darwin' ? Menu.buildFromTemplate([{ role: 'appMenu' }, { role: 'editMenu' }, { role: 'windowMenu' }]) : null,
  );
  lockDownWebContents(app, indexUrl, log);
  lockDownSession(session.defaultSession, rendererDir, log);

  // The device token is encrypted with the OS keychain when there is one; without one it stays
  // in the owner-only file the CLI uses, and the tray says so.
  const warnings: CredentialWarning[] = [];
  const encryption = await safeStorage.isAsyncEncryptionAvailable();
  if (!encryption) warnings.push('encryption-unavailable');
  else if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') warnings.push('keyring-missing');
  for (const warning of warnings) log(`sign-in storage: ${warning}`);

  const engine = createEngineClient({
    spawn: () => spawnEngineHost({ home, secrets: encryption ? 'safe-storage' : 'owner-only-file' }, log),
    services: {
      encrypt: async (plain) => (await safeStorage.encryptStringAsync(plain)).toString('base64'),
      decrypt: async (cipherText) => {
        const decrypted = await safeStorage.decryptStringAsync(Buffer.from(cipherText, 'base64'));
        return { plain: decrypted.result, shouldReEncrypt: decrypted.shouldReEncrypt };
      },
      openPath: async (absolutePath) => {
        const failure = await shell.openPath(absolutePath);
        if (failure !== '') throw new Error(failure);
      },
      log: (line) => log(`engine: ${line}`),
    },
  });
  const api = createSyncApi(engine.transport, { onBug: (error) => log(`contract violation between main and the engine: ${error.stack ?? error.message}`) });

  const window = new AppWindow({
    indexFile,
    indexUrl,
    preloadFile: path.join(mainDir, 'preload.cjs'),
    iconFile: path.join(assetsDir, 'icons', '256x256.png'),
    devTools: !app.isPackaged,
    log,
  });
  // The folder dialog opens here, in main, as a sheet of the app window.
  const local = folderDialogOperations(api, {
    showOpenDialog: (options) => dialog.showOpenDialog(window.ensure(), { ...options, properties: [...options.properties] }),
    log,
  });
  const stopHandlers = registerSyncApiHandlers({ ipcMain, api, local, trustedRenderer: () => ({ webContentsId: window.webContentsId(), indexUrl }), log });
  const stopForwarding = forwardSyncEvents(api, () => window.contents());

  let quitting: 'no' | 'stopping-engine' | 'ready' = 'no';
  let controller: DesktopController | null = null;
  const tray = new AppTray(path.join(assetsDir, 'tray'), (action) => controller?.handleTrayAction(action), () => window.show());
  controller = startDesktopController({
    api,
    engine,
    warnings,
    ports: {
      renderTray: (view) => tray.render(view),
      notify: (notification) => {
        if (!Notification.isSupported()) return;
        const shown = new Notification({ title: notification.title, body: notification.body, icon: path.join(assetsDir, 'icons', '256x256.png') });
        shown.on('click', () => window.show());
        shown.show();
      },
      applyStartAtLogin: (enabled) =>
        applyStartAtLogin(enabled, {
          platform: process.platform,
          linuxEntryFile: autostartEntryPath(),
          linuxEntry: {
            command: startCommand({ execPath: process.execPath, appPath, packaged: app.isPackaged, env: process.env }),
            name: 'Cairn',
            comment: 'Keeps your folders in sync',
            icon: app.isPackaged ? 'cairn' : path.join(assetsDir, 'icons', '256x256.png'),
          },
          setLoginItem: (openAtLogin) => app.setLoginItemSettings({ openAtLogin, args: [HIDDEN_ARGUMENT] }),
        }),
      showWindow: (route) => window.show(route),
      quit: () => app.quit(),
      log,
      now: () => Date.now(),
      setInterval: (callback, ms) => setInterval(callback, ms),
      clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
    },
  });

  app.on('second-instance', () => window.show());
  app.on('activate', () => window.show());
  // The window hides instead of closing, and Cairn lives on in the tray: never quit for lack of windows.
  app.on('window-all-closed', () => undefined);
  app.on('before-quit', () => window.allowClose());
  // Quitting waits for the engine to stop cleanly (it finishes the file it is writing).
  app.on('will-quit', (event) => {
    if (quitting === 'ready') return;
    event.preventDefault();
    if (quitting === 'stopping-engine') return;
    quitting = 'stopping-engine';
    log('quitting: stopping the engine');
    void (async () => {
      controller?.stop();
      stopForwarding();
      stopHandlers();
      try {
        await engine.stop();
      } catch (error) {
        log(`the engine did not stop cleanly: ${(error as Error)?.message ?? String(error)}`);
      }
      tray.destroy();
      log('stopped');
      await log.close();
      quitting = 'ready';
      app.quit();
    })();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());

  engine.start();
  window.ensure();
  if (!startHidden) window.show();
}
