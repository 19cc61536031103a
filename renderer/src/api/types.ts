// The interface lives in shared/ so the preload (Node tsconfig) implements the same type.
export type { HeapscopeClient, ProgressListener } from '../../../shared/client';
