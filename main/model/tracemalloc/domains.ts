/**
 * What a tracemalloc dump is folded into while it is read: per-domain aggregates of live blocks,
 * one per traceback. The pickle decoder (main/formats/tracemalloc/pickle-decoder.ts) fills them;
 * the model (./model.ts) answers queries from them.
 */
import type { FrameTable } from '../frame-table';
import type { StackTrie } from '../stack-trie';

/** pymalloc serves requests up to this size; larger ones go to the raw allocator. */
export const SMALL_OBJECT_MAX = 512;
/** log2 size bins: bin 0 holds sizes 0 and 1, bin k holds (2^(k-1), 2^k]. */
export const HIST_BINS = 66;

/** Live blocks of one domain, aggregated per traceback (stack node). */
export class DomainAggregate {
  size = 0;
  count = 0;
  smallSize = 0;
  smallCount = 0;
  readonly histCount = new Float64Array(HIST_BINS);
  readonly histSize = new Float64Array(HIST_BINS);
  /**
   * Domain 0 holds nearly every trace: dense arrays indexed by node (`length` = capacity, node i
   * in slot i). Other domains: sparse slots.
   */
  readonly dense: boolean;
  /** Always a Map (empty when dense), so the field's type never changes under the JIT. */
  private readonly sparse = new Map<number, number>();
  nodes = new Int32Array(64);
  bytes = new Float64Array(64);
  counts = new Float64Array(64);
  length = 0;

  constructor(
    readonly domain: number,
    dense: boolean,
  ) {
    this.dense = dense;
    // Byte sums become doubles: start them as doubles (see the same in the pickle decoder).
    this.size = 0.5;
    this.size = 0;
    this.smallSize = 0.5;
    this.smallSize = 0;
    // Second writes: see the TracemallocPickleDecoder constructor in
    // main/formats/tracemalloc/pickle-decoder.ts (these arrays regrow).
    this.nodes = new Int32Array(this.nodes.length);
    this.bytes = new Float64Array(this.bytes.length);
    this.counts = new Float64Array(this.counts.length);
    if (dense) {
      for (let i = 0; i < this.nodes.length; i++) this.nodes[i] = i;
      this.length = this.nodes.length;
    }
  }

  add(node: number, size: number): void {
    let slot: number;
    if (this.dense) {
      slot = node;
      if (slot >= this.bytes.length) this.growDense(slot);
    } else {
      const existing = this.sparse.get(node);
      if (existing === undefined) {
        slot = this.length++;
        if (slot >= this.bytes.length) this.grow(this.bytes.length * 2);
        this.nodes[slot] = node;
        this.sparse.set(node, slot);
      } else slot = existing;
    }
    this.bytes[slot] += size;
    this.counts[slot] += 1;
    this.size += size;
    this.count += 1;
    if (size <= SMALL_OBJECT_MAX) {
      this.smallSize += size;
      this.smallCount += 1;
    }
    // Bin k holds (2^(k-1), 2^k] so 512 B, the pymalloc limit, closes a bin (as sizeHistogram does).
    const bin =
      size <= 1
        ? 0
        : size <= 4294967296
          ? 32 - Math.clz32(size - 1)
          : Math.min(HIST_BINS - 1, Math.ceil(Math.log2(size)));
    this.histCount[bin] += 1;
    this.histSize[bin] += size;
  }

  /** Makes room for `node` in a dense aggregate. */
  growDense(node: number): void {
    const from = this.bytes.length;
    this.grow(Math.max(node + 1, from * 2));
    for (let i = from; i < this.nodes.length; i++) this.nodes[i] = i;
    this.length = this.nodes.length;
  }

  private grow(size: number): void {
    const nodes = new Int32Array(size);
    nodes.set(this.nodes);
    const bytes = new Float64Array(size);
    bytes.set(this.bytes);
    const counts = new Float64Array(size);
    counts.set(this.counts);
    this.nodes = nodes;
    this.bytes = bytes;
    this.counts = counts;
  }
}

export interface DecodedSnapshot {
  frames: FrameTable;
  stacks: StackTrie;
  /** Sorted by domain number. */
  domains: DomainAggregate[];
  traceCount: number;
  totalSize: number;
  tracebackLimit: number;
  /** 4 for Python ≥ 3.9 dumps, 3 for legacy (3.7/3.8) dumps. */
  traceTupleLen: number;
  truncatedTraces: number;
  maxTotalNframe: number;
  protocol: number;
}
