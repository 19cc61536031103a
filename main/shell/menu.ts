/** The application menu as data; main/index.ts turns it into an Electron Menu. */
export interface MenuItemSpec {
  label?: string;
  role?: string;
  type?: 'separator' | 'submenu';
  accelerator?: string;
  command?: string;
  submenu?: MenuItemSpec[];
}

export function menuTemplate(options: { isMac: boolean; recent: string[] }): MenuItemSpec[] {
  const recent: MenuItemSpec[] = options.recent.length
    ? options.recent.map((path) => ({ label: path, command: `open-recent:${path}` }))
    : [{ label: '(none)' }];
  return [
    ...(options.isMac ? [{ role: 'appMenu' }] : []),
    {
      label: 'File',
      submenu: [
        { label: 'Open…', accelerator: 'CmdOrCtrl+O', command: 'open' },
        { label: 'Open Recent', submenu: recent },
        { type: 'separator' },
        { label: 'Export…', accelerator: 'CmdOrCtrl+E', command: 'export' },
        { type: 'separator' },
        options.isMac ? { role: 'close' } : { role: 'quit' },
      ],
    },
    {
      label: 'View',
      submenu: [
        { label: 'Toggle Theme', accelerator: 'CmdOrCtrl+Shift+L', command: 'toggle-theme' },
        { label: 'Keyboard Shortcuts', command: 'shortcuts' },
        { type: 'separator' },
        { role: 'resetZoom' },
        { role: 'zoomIn' },
        { role: 'zoomOut' },
        { role: 'togglefullscreen' },
      ],
    },
  ];
}
