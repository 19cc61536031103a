import type { LoadPreview, Progress } from '@shared/api';

/**
 * The state a capture still loading is shown in: "indexing… 42%" while its file is read (the
 * share of its bytes, from the latest progress event or preview), "finishing the index…" once
 * every byte is read and the rest of the index is being built.
 */
export function indexingText(
  progress: Pick<Progress, 'bytesDone' | 'bytesTotal'> | null,
  preview: Pick<LoadPreview, 'bytesDone' | 'bytesTotal'> | null,
): string {
  const done = Math.max(progress?.bytesDone ?? 0, preview?.bytesDone ?? 0);
  const total = progress?.bytesTotal || preview?.bytesTotal || 0;
  if (total <= 0) return 'indexing…';
  const fraction = Math.min(1, done / total);
  // Floored: "100%" only when the last byte is read.
  return fraction >= 1 ? 'finishing the index…' : `indexing… ${Math.floor(fraction * 100)}%`;
}
