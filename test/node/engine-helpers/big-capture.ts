import { createWriteStream } from 'node:fs';
import { once } from 'node:events';

/**
 * Writes a large memray `transform csv` file (about 60 bytes a row) so progress and
 * cancellation are tested on a read that takes seconds, without shipping a big fixture.
 */
export async function writeBigMemrayCsv(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  out.write('allocator,num_allocations,size,tid,thread_name,stack_trace\r\n');
  const batch: string[] = [];
  for (let i = 0; i < rows; i++) {
    batch.push(
      `MALLOC,1,${64 + (i % 4096)},1,0x1,f${i % 5000};/app/m${i % 50}.py;${i % 300}|main;/app/run.py;10\r\n`,
    );
    if (batch.length === 10_000) {
      if (!out.write(batch.join(''))) await once(out, 'drain');
      batch.length = 0;
    }
  }
  out.write(batch.join(''));
  out.end();
  await once(out, 'finish');
}
