import { contextBridge } from 'electron';

contextBridge.exposeInMainWorld('heapscope', {});
