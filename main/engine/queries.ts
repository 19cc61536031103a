/**
 * The generic query functions the engine calls (main/query, main/export), gathered in one place
 * so the engine has one seam to them. A piece that does not exist yet is reported as
 * "not available yet" instead of inventing a result.
 */

export { buildFlameTree, type FlameOptions } from '../query/flamegraph';
export { buildTable, type TableOptions } from '../query/table';
export { groupSnapshot, type Group } from '../query/groups';
export { compareGroups, diffJson } from '../query/diff';
export { mergeDiffFlame } from '../query/diff-flame';
export { matchCaptures, moduleResolver, type CaptureMatching } from '../query/path-identity';
export { findingsFromSummary, countStacksAtDepth } from '../query/findings';
