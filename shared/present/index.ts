/**
 * Presentation without a DOM, one for every side: the app's views, the HTML report's page, the
 * CLI's text and the findings say a thing the same way. Imports only shared/.
 */
export * from './summary';
export * from './labels';
export * from './filters';
export { escapeHtml } from '../html';
export { formatBytes, formatDuration, formatExactBytes, formatPercent, type UnitSystem } from '../units';
