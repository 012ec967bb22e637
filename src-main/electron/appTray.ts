// Renders a TrayView (trayModel.ts) with Electron's Tray and Menu. The menu is the way in on
// every platform (on Linux some desktops deliver no click events), and is rebuilt only when
// its model changed, so progress updates do not make it flicker.

import { Menu, Tray, nativeImage } from 'electron';
import type { MenuItemConstructorOptions, NativeImage } from 'electron';
import type { TrayState } from './appMessages.js';
import { trayIconFile } from './trayModel.js';
import type { TrayAction, TrayMenuItem, TrayView } from './trayModel.js';

export class AppTray {
  private readonly tray: Tray;
  private readonly images = new Map<TrayState, NativeImage>();
  private shownState: TrayState | null = null;
  private shownMenu = '';
  private shownTooltip = '';

  constructor(
    private readonly iconDir: string,
    private readonly onAction: (action: TrayAction) => void,
    private readonly onClick: () => void,
  ) {
    this.tray = new Tray(this.image('syncing'));
    // Windows opens the app on a click; macOS and Linux show the menu.
    if (process.platform === 'win32') this.tray.on('click', () => this.onClick());
  }

  render(view: TrayView): void {
    if (view.state !== this.shownState) {
      this.tray.setImage(this.image(view.state));
      this.shownState = view.state;
    }
    if (view.tooltip !== this.shownTooltip) {
      this.tray.setToolTip(view.tooltip);
      this.shownTooltip = view.tooltip;
    }
    const menu = JSON.stringify(view.menu);
    if (menu !== this.shownMenu) {
      this.tray.setContextMenu(Menu.buildFromTemplate(view.menu.map((item) => this.menuItem(item))));
      this.shownMenu = menu;
    }
  }

  destroy(): void {
    this.tray.destroy();
  }

  private image(state: TrayState): NativeImage {
    let image = this.images.get(state);
    if (image === undefined) {
      image = nativeImage.createFromPath(trayIconFile(this.iconDir, state, process.platform));
      this.images.set(state, image);
    }
    return image;
  }

  private menuItem(item: TrayMenuItem): MenuItemConstructorOptions {
    // Windows reads '&' in a label as a mnemonic marker; a library name keeps its own.
    const text = (label: string) => (process.platform === 'win32' ? label.replaceAll('&', '&&') : label);
    switch (item.kind) {
      case 'label':
        return { label: text(item.label), enabled: false };
      case 'separator':
        return { type: 'separator' };
      case 'action':
        return { label: text(item.label), enabled: item.enabled, click: () => this.onAction(item.action) };
      default:
        return item satisfies never;
    }
  }
}
