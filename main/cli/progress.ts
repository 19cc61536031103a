/** The progress line a terminal shows while a big capture loads. */
import type { Progress } from '../../shared/api';
import { formatDuration, formatPercent } from '../../shared/units';
import type { Engine } from '../engine/engine';
import type { CliIo } from './context';

/** Shown from 32 MiB on: smaller files open before a line would be worth reading. */
const SHOWN_FROM_BYTES = 32 * 1024 * 1024;

/** Starts drawing on stderr; the function returned stops and clears the line. */
export function showProgress(engine: Pick<Engine, 'onProgress'>, io: CliIo): () => void {
  let shown = false;
  const off = engine.onProgress((p: Progress) => {
    if (p.phase !== 'reading' || p.bytesTotal < SHOWN_FROM_BYTES) return;
    shown = true;
    const share = p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : 0;
    io.stderr(
      `\r  reading ${formatPercent(share, 0).padStart(4)}  ${p.records.toLocaleString('en-US')} records  ${formatDuration(p.elapsedMs)}   `,
    );
  });
  return () => {
    off();
    if (shown) io.stderr('\r\x1b[K');
  };
}
