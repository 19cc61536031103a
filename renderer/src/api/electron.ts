// The Electron transport: the preload bridge, with errors decoded back into HeapscopeError.
export { wrapBridgeClient as createElectronClient } from '../../../shared/client';
