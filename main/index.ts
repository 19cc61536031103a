// Electron shell: window, menu, dialogs, IPC wiring (filled in by the app issue).
import { app, BrowserWindow } from 'electron';

app.whenReady().then(() => {
  new BrowserWindow({ width: 1280, height: 800, webPreferences: { sandbox: true, contextIsolation: true } });
});
