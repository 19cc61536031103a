/**
 * A full collection, now, in a capture worker that just finished a load. What the load left —
 * the WebAssembly loop's memory above all (its live table, key rows and buffers), the reader's
 * chunks — is garbage once the model is built, but V8 frees a WebAssembly memory only on the
 * collection after the one that finds it dead, and an idle worker runs none: after opening a
 * 40 M-record synthetic capture the process stayed at 266 MB for as long as it was watched,
 * where the model needs about 160 (172 MB with this; release-memory.test.ts checks the rule).
 *
 * `gc` is not exposed to a worker (Worker's execArgv takes no V8 flags), so the flag is set at
 * run time and the function taken from a fresh context, the way node's own tests do.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | undefined;

export function releaseLoadMemory(): void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  // twice: the first finds the memory dead, the second frees its backing store
  collect();
  collect();
}
