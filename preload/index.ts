// Sandboxed preload (built as CommonJS): exposes the typed Heapscope bridge and nothing else.
import { contextBridge, ipcRenderer, webUtils } from 'electron';
import { createBridge } from './bridge';

contextBridge.exposeInMainWorld('heapscope', createBridge(ipcRenderer, webUtils));
