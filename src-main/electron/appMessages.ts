// What the main process itself says to the user (the tray's tooltip and menu, desktop
// notifications), in every language of the Language preference. The type makes both
// dictionaries complete; counts are passed in so each language words its own plurals.

import type { Language, PauseReason, RoundErrorReason } from '../../shared/api/index.js';

export type TrayState = 'up-to-date' | 'syncing' | 'paused' | 'offline' | 'error' | 'conflicts';

export const TRAY_STATES: readonly TrayState[] = ['up-to-date', 'syncing', 'paused', 'offline', 'error', 'conflicts'];

/** The reasons a circuit breaker pauses a library (the others are the user's own pauses). */
export type BreakerReason = Extract<PauseReason, 'root-missing' | 'root-emptied' | 'mass-delete'>;

export interface AppMessages {
  readonly productName: string;
  /** The state's name in the tooltip. */
  readonly stateNames: Readonly<Record<TrayState, string>>;
  tooltip(stateName: string, detail: string | null): string;
  filesProgress(done: number, total: number): string;

  // status lines at the top of the tray menu
  readonly starting: string;
  engineRestarting(seconds: number, reason: string): string;
  readonly stopping: string;
  readonly notConnected: string;
  readonly noLibraries: string;
  readonly upToDate: string;
  syncingLibraries(count: number): string;
  readonly allPaused: string;
  pausedLibraries(count: number): string;
  readonly offline: string;
  conflicts(count: number): string;
  problems(count: number): string;
  librariesNeedAttention(count: number): string;

  // warnings about how the sign-in is kept
  readonly keyringMissing: string;
  readonly encryptionUnavailable: string;

  // menu actions
  openFolder(libraryName: string): string;
  readonly pauseAll: string;
  readonly resumeAll: string;
  readonly openCairn: string;
  readonly preferences: string;
  readonly quit: string;

  // desktop notifications
  conflictTitle(libraryName: string): string;
  conflictBody(count: number): string;
  problemTitle(libraryName: string): string;
  problemBody(count: number): string;
  errorTitle(libraryName: string): string;
  /** Why a round failed, by reason (the service's own text is English: the CLI's and the log's). */
  readonly errorBodies: Readonly<Record<RoundErrorReason, string>>;
  breakerTitle(libraryName: string): string;
  readonly breakerBodies: Readonly<Record<BreakerReason, string>>;
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

const english: AppMessages = {
  productName: 'Cairn',
  stateNames: {
    'up-to-date': 'Up to date',
    syncing: 'Syncing',
    paused: 'Paused',
    offline: 'Offline',
    error: 'Needs attention',
    conflicts: 'Conflicts to resolve',
  },
  tooltip: (stateName, detail) => (detail === null ? `Cairn: ${stateName}` : `Cairn: ${stateName} (${detail})`),
  filesProgress: (done, total) => `${done} of ${plural(total, 'file', 'files')}`,

  starting: 'Starting…',
  engineRestarting: (seconds, reason) => `The sync engine stopped; restarting in ${seconds} s (${reason})`,
  stopping: 'Stopping…',
  notConnected: 'Not connected to a server: open Cairn to connect',
  noLibraries: 'No folders synced yet',
  upToDate: 'Everything is up to date',
  syncingLibraries: (count) => `Syncing ${plural(count, 'library', 'libraries')}`,
  allPaused: 'Syncing is paused',
  pausedLibraries: (count) => `${plural(count, 'library', 'libraries')} paused`,
  offline: 'Offline: the server cannot be reached; retrying',
  conflicts: (count) => `${plural(count, 'conflict', 'conflicts')} to resolve`,
  problems: (count) => `${plural(count, 'file', 'files')} could not be synced`,
  librariesNeedAttention: (count) => `${plural(count, 'library needs', 'libraries need')} your attention`,

  keyringMissing: 'No keyring: your sign-in is stored with a fixed key',
  encryptionUnavailable: 'No keychain: your sign-in is stored in a file only you can read',

  openFolder: (libraryName) => `Open “${libraryName}” folder`,
  pauseAll: 'Pause syncing',
  resumeAll: 'Resume syncing',
  openCairn: 'Open Cairn',
  preferences: 'Preferences…',
  quit: 'Quit Cairn',

  conflictTitle: (libraryName) => `Conflict in “${libraryName}”`,
  conflictBody: (count) => `Both versions of ${plural(count, 'file were', 'files were')} kept. Open Cairn to choose.`,
  problemTitle: (libraryName) => `Some files in “${libraryName}” could not be synced`,
  problemBody: (count) => `${plural(count, 'file needs', 'files need')} your attention. Open Cairn to see why.`,
  errorTitle: (libraryName) => `Syncing “${libraryName}” failed`,
  errorBodies: {
    'not-logged-in': 'This computer is no longer signed in to the server. Sign in again.',
    'library-gone': 'The library is gone from the server, or you no longer have access to it.',
    forbidden: 'The server refused a change: you may not change this library.',
    'server-refused': 'The server refused what Cairn sent. Nothing was lost; Cairn tries again.',
    'server-error': 'The server had an error. Nothing was lost; Cairn tries again.',
    'rate-limited': 'The server asked Cairn to slow down. It tries again in a while.',
    local: 'A file or folder on this computer could not be written or read (a full disk, or missing permission).',
    unknown: 'The last sync did not finish. Nothing was lost; Cairn tries again.',
  },
  breakerTitle: (libraryName) => `“${libraryName}” was paused to protect your files`,
  breakerBodies: {
    'root-missing': 'Its folder is missing. Reconnect the disk, or resume it in Cairn to confirm.',
    'root-emptied': 'Its folder was emptied. Resume it in Cairn only if you meant to delete everything.',
    'mass-delete': 'Syncing would delete many files. Check them in Cairn, then resume to confirm.',
  },
};

const simplifiedChinese: AppMessages = {
  productName: 'Cairn',
  stateNames: {
    'up-to-date': '已是最新',
    syncing: '正在同步',
    paused: '已暂停',
    offline: '离线',
    error: '需要处理',
    conflicts: '有冲突待解决',
  },
  tooltip: (stateName, detail) => (detail === null ? `Cairn：${stateName}` : `Cairn：${stateName}（${detail}）`),
  filesProgress: (done, total) => `${done} / ${total} 个文件`,

  starting: '正在启动…',
  engineRestarting: (seconds, reason) => `同步引擎已停止，${seconds} 秒后重启（${reason}）`,
  stopping: '正在停止…',
  notConnected: '未连接服务器：请打开 Cairn 进行连接',
  noLibraries: '尚未同步任何文件夹',
  upToDate: '所有内容均已是最新',
  syncingLibraries: (count) => `正在同步 ${count} 个资料库`,
  allPaused: '同步已暂停',
  pausedLibraries: (count) => `${count} 个资料库已暂停`,
  offline: '离线：无法连接服务器，正在重试',
  conflicts: (count) => `${count} 个冲突待解决`,
  problems: (count) => `${count} 个文件无法同步`,
  librariesNeedAttention: (count) => `${count} 个资料库需要您处理`,

  keyringMissing: '没有密钥环：登录凭据使用固定密钥保存',
  encryptionUnavailable: '没有钥匙串：登录凭据保存在仅您可读的文件中',

  openFolder: (libraryName) => `打开“${libraryName}”文件夹`,
  pauseAll: '暂停同步',
  resumeAll: '恢复同步',
  openCairn: '打开 Cairn',
  preferences: '偏好设置…',
  quit: '退出 Cairn',

  conflictTitle: (libraryName) => `“${libraryName}”中有冲突`,
  conflictBody: (count) => `已保留 ${count} 个文件的两个版本。请打开 Cairn 选择保留哪个。`,
  problemTitle: (libraryName) => `“${libraryName}”中有文件无法同步`,
  problemBody: (count) => `${count} 个文件需要您处理。请打开 Cairn 查看原因。`,
  errorTitle: (libraryName) => `“${libraryName}”同步失败`,
  errorBodies: {
    'not-logged-in': '这台电脑已不再登录该服务器。请重新登录。',
    'library-gone': '该资料库已从服务器上删除，或你已无权访问它。',
    forbidden: '服务器拒绝了一项更改：你无权更改这个资料库。',
    'server-refused': '服务器拒绝了 Cairn 发送的内容。没有丢失任何数据，Cairn 会再试。',
    'server-error': '服务器出错了。没有丢失任何数据，Cairn 会再试。',
    'rate-limited': '服务器要求 Cairn 放慢速度，稍后会再试。',
    local: '这台电脑上的某个文件或文件夹无法写入或读取（磁盘已满，或缺少权限）。',
    unknown: '上次同步没有完成。没有丢失任何数据，Cairn 会再试。',
  },
  breakerTitle: (libraryName) => `为保护您的文件，已暂停“${libraryName}”`,
  breakerBodies: {
    'root-missing': '它的文件夹不见了。请重新连接磁盘，或在 Cairn 中恢复同步以确认。',
    'root-emptied': '它的文件夹已被清空。只有在您确实要删除全部内容时，才在 Cairn 中恢复同步。',
    'mass-delete': '同步将删除大量文件。请先在 Cairn 中检查，再恢复同步以确认。',
  },
};

export const APP_MESSAGES: Readonly<Record<Language, AppMessages>> = {
  en: english,
  'zh-CN': simplifiedChinese,
};

export function appMessages(language: Language): AppMessages {
  return APP_MESSAGES[language];
}
