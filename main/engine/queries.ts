/**
 * The generic query functions the engine calls (main/query, main/export), gathered in one place
 * so the engine has one seam to them.
 */

export { buildFlameTree, type FlameOptions } from '../query/flamegraph';
export { buildTable, pythonLocations, topSites, type TableOptions } from '../query/table';
export { groupSnapshot, type Group } from '../model/groups';
export { compareGroups, diffJson } from '../query/diff';
export { mergeDiffFlame } from '../query/diff-flame';
export {
  matchCaptures,
  moduleResolver,
  pythonFramesOnly,
  type CaptureMatching,
} from '../query/path-identity';
export { findingsFromSummary, countStacksAtDepth } from '../query/findings';
export { rankGrowth } from '../query/growth';
export { displayTimeline, timelineSoFar } from '../query/timeline-lod';
