import type { SnapshotSpec } from './api';
import { formatDuration } from './units';

/** How a snapshot is named on screen and in exported reports. */
export function describeSnapshot(spec: SnapshotSpec): string {
  switch (spec.kind) {
    case 'peak':
      return 'peak';
    case 'leaks':
      return 'leaks (alive at the end)';
    case 'all':
      return 'all allocations';
    case 'at':
      return `live at ${formatDuration(spec.timeMs)}`;
    case 'range':
      return `range ${formatDuration(spec.fromMs)} – ${formatDuration(spec.toMs)} (${spec.measure})`;
  }
}
