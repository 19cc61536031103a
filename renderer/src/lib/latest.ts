import { ref, shallowRef, type Ref, type ShallowRef } from 'vue';
import { errorMessage } from './errors';

export interface LatestQuery<Q, R> {
  /** The result; shallow because results can hold tens of thousands of rows. */
  data: ShallowRef<R | null>;
  loading: Ref<boolean>;
  error: Ref<string | null>;
  /** Key of the query whose answer is in `data`. */
  loadedKey: Ref<string | null>;
  /** The query whose answer is in `data` (kept while a newer one loads). */
  dataQuery: ShallowRef<Q | null>;
  /** Runs the query unless the same one is already loaded or in flight; stale answers are dropped. */
  run(query: Q, force?: boolean): Promise<void>;
  clear(): void;
}

/**
 * One query slot where the latest request wins. Brushing fires many ranges in a row; an answer
 * for an old range arriving late must not overwrite the newer one.
 */
export function latestQuery<Q, R>(fetch: (q: Q) => Promise<R>): LatestQuery<Q, R> {
  const data = shallowRef<R | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const loadedKey = ref<string | null>(null);
  const dataQuery = shallowRef<Q | null>(null);
  let inFlightKey: string | null = null;
  let seq = 0;

  async function run(query: Q, force = false): Promise<void> {
    const key = JSON.stringify(query);
    if (!force && (key === loadedKey.value || key === inFlightKey)) return;
    const mine = ++seq;
    inFlightKey = key;
    loading.value = true;
    error.value = null;
    try {
      const result = await fetch(query);
      if (mine !== seq) return;
      data.value = result;
      dataQuery.value = query;
      loadedKey.value = key;
    } catch (e) {
      if (mine !== seq) return;
      error.value = errorMessage(e);
      loadedKey.value = null;
    } finally {
      if (mine === seq) {
        loading.value = false;
        inFlightKey = null;
      }
    }
  }

  function clear(): void {
    seq++;
    inFlightKey = null;
    data.value = null;
    dataQuery.value = null;
    loadedKey.value = null;
    loading.value = false;
    error.value = null;
  }

  return { data, loading, error, loadedKey, dataQuery, run, clear };
}
