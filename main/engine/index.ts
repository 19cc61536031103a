export { Engine, type EngineOptions } from './engine';
export { toApiError } from './errors';
export { HeapscopeError } from '../../shared/api-error';
