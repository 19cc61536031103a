/**
 * tracemalloc `Snapshot.dump` reader (see docs/formats/tracemalloc-format.md): streams the
 * file (gunzipping on the fly when users gzipped it), decodes the pickle with the safe subset
 * decoder and builds a TracemallocModel.
 */
import { basename } from 'node:path';
import type { CaptureInfo } from '../../../shared/api';
import { quoteInput } from '../../../shared/quote';
import {
  InputError,
  SNAPSHOT_ONLY_CAPABILITIES,
  type CaptureLoader,
  type LoadOptions,
} from '../../model/capture-model';
import { TracemallocModel } from '../../model/tracemalloc/model';
import { InputFile, throwIfCancelled } from '../input';
import { TracemallocPickleDecoder, TruncatedDumpError } from './pickle-decoder';

const HEAD_BYTES = 512;

/**
 * Why bytes that do not start with PROTO are not a dump we read. Protocol-0 pickles are text
 * starting with GLOBAL (`c`); a GLOBAL naming anything else is refused like in a binary pickle.
 */
export function describeNonPickle(head: Uint8Array, gz: boolean): { message: string; offset: number } {
  const text = Buffer.from(head).toString('latin1');
  const global = /^c([^\n]{0,200})\n([^\n]{0,200})\n/.exec(text);
  if (global) {
    const [, module, name] = global;
    if (
      module === 'tracemalloc' ||
      ((module === 'copy_reg' || module === 'copyreg') && name === '_reconstructor')
    ) {
      return {
        message:
          'pickle protocol 0 is not supported (re-save the snapshot with Snapshot.dump() or pickle protocol 2 to 5)',
        offset: 0,
      };
    }
    return {
      message: `unexpected global ${quoteInput(`${module}.${name}`)}: refusing to load it`,
      offset: 0,
    };
  }
  if (/^\((dp|lp)\d*\n/.test(text)) return { message: 'pickle protocol 0 is not supported', offset: 0 };
  let printable = 0;
  for (const b of head)
    if (b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f) || b >= 0xc2) printable++;
  const inside = gz ? ' inside the gzip data' : '';
  if (head.length > 0 && printable / head.length > 0.95) {
    return {
      message: `not a pickle (looks like text${inside}); expected a tracemalloc Snapshot.dump file`,
      offset: 0,
    };
  }
  const first = head.length > 0 ? `0x${head[0].toString(16).padStart(2, '0')}` : 'nothing';
  return {
    message: `not a pickle / not a tracemalloc dump${inside} (starts with ${first}; a dump starts with PROTO 0x80)`,
    offset: 0,
  };
}

function makeInfo(path: string, sizeBytes: number, compressed: boolean): CaptureInfo {
  return {
    id: path,
    facts: {
      format: 'tracemalloc',
      path,
      fileName: basename(path),
      sizeBytes,
      ...(compressed && { compressed: true }),
    },
    capabilities: { ...SNAPSHOT_ONLY_CAPABILITIES },
    truncated: false,
    warnings: [],
    threads: [],
    durationMs: 0,
    records: 0,
  };
}

export const loadTracemalloc: CaptureLoader = async (path: string, options: LoadOptions = {}) => {
  throwIfCancelled(options.signal);
  return InputFile.use(path, (input) => readDump(input, options));
};

async function readDump(input: InputFile, options: LoadOptions): Promise<TracemallocModel> {
  const { path, size } = input;
  if (size === 0) throw new InputError('empty file (expected a tracemalloc Snapshot.dump)', path, 0);
  const head = await input.head(HEAD_BYTES);
  const gz = head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b;
  if (!gz && head[0] !== 0x80) {
    const why = describeNonPickle(head, false);
    throw new InputError(why.message, path, why.offset);
  }

  const info = makeInfo(path, size, gz);
  // A gzip stream's length is unknown until its end; plain files are checked against their size.
  const decoder = new TracemallocPickleDecoder(gz ? Infinity : size, path, () => options.onHeader?.(info));

  let gzipCut = false;
  let headChecked = !gz;
  let gzHead: Buffer[] = [];
  let gzHeadLength = 0;
  try {
    await input.readAll(options, {
      gzip: gz,
      records: () => decoder.traceCount,
      consume: (chunk) => {
        let data = chunk;
        if (!headChecked) {
          // The decompressed stream must itself start with PROTO; else say what it looks like.
          gzHead.push(chunk);
          gzHeadLength += chunk.length;
          data = Buffer.concat(gzHead, gzHeadLength);
          if (data[0] !== 0x80) {
            if (data.length < HEAD_BYTES) return;
            const why = describeNonPickle(data.subarray(0, HEAD_BYTES), true);
            throw new InputError(why.message, path, why.offset);
          }
          headChecked = true;
          gzHead = [];
        }
        decoder.feed(data);
        return decoder.done;
      },
    });
    if (!headChecked && gzHeadLength > 0) {
      const why = describeNonPickle(Buffer.concat(gzHead, gzHeadLength).subarray(0, HEAD_BYTES), true);
      throw new InputError(why.message, path, why.offset);
    }
  } catch (error) {
    if (error instanceof InputError || (error instanceof Error && error.name === 'AbortError')) throw error;
    const zlibCode =
      gz && error instanceof Error && 'code' in error ? String((error as { code: unknown }).code) : '';
    // A gzip stream cut short is a dump cut short: what was inflated is decoded like a cut file.
    if (zlibCode === 'Z_BUF_ERROR' && decoder.bytesDecoded > 0) gzipCut = true;
    else if (zlibCode.startsWith('Z_')) {
      throw new InputError(
        `gzip data is corrupt or truncated (${(error as Error).message}); truncated at byte ${decoder.bytesDecoded} of the decompressed dump`,
        path,
        decoder.bytesDecoded,
      );
    } else throw error;
  }
  if (gz && !decoder.done && decoder.bytesDecoded === 0 && gzHeadLength === 0) {
    throw new InputError('empty file (the gzip data holds nothing)', path, 0);
  }
  let decoded;
  try {
    decoded = decoder.finish();
  } catch (error) {
    if (!(error instanceof TruncatedDumpError)) throw error;
    // Python refuses a cut dump; Heapscope opens the traces read before the cut, marked as cut.
    // A cut before the first trace leaves nothing to show: that stays a refusal.
    const reason = gzipCut ? `the gzip data ends early; ${error.message}` : error.message;
    const partial = new TracemallocModel(error.decoded, {
      ...info,
      facts: { ...info.facts, tracebackLimit: error.decoded.tracebackLimit },
      records: error.decoded.traceCount,
      truncated: true,
      truncatedAtByte: error.offset,
      truncationReason: reason,
      warnings: [
        `Truncated dump: only the ${error.decoded.traceCount} traces before the cut are shown (${reason}).`,
      ],
    });
    error.partial = partial;
    if (error.decoded.traceCount === 0) throw error;
    options.onProgress?.({ bytesDone: size, bytesTotal: size, records: error.decoded.traceCount });
    return partial;
  }
  info.records = decoded.traceCount;
  info.facts.tracebackLimit = decoded.tracebackLimit;
  if (decoded.traceTupleLen === 3) {
    info.warnings.push(
      'Python 3.7/3.8 dump: traces have no total_nframe, so truncated tracebacks cannot be counted',
    );
  }
  options.onProgress?.({ bytesDone: size, bytesTotal: size, records: decoded.traceCount });
  return new TracemallocModel(decoded, info);
}
