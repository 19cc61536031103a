/** `heapscope --help`: every command and flag, in one text. */
import { version } from '../../package.json';

export const HELP = `heapscope ${version}: open Python memory-profiler captures (memray, tracemalloc, memray CSV, Scalene)

Usage:
  heapscope stats FILE [--json] [--range T1:T2] [--group-by filename|lineno|traceback] [--cumulative] [--top N]
                 [--limit SIZE] [--last MS]   the container's memory limit: headroom, and for a killed
                 capture how close RSS was to it; --last: the final window (default 5 s or 10 % of the run)
  heapscope stats DIR       every tracemalloc dump in DIR as one series (like \`series\` of them); a DIR
                 of memray captures of one program (and no dumps): those captures as one series
  heapscope series DUMP DUMP... [--json] [--top N] [--from I --to J]   tracemalloc dumps as one timeline:
                 traced bytes per dump, growth per site; --from/--to: compare dump I with dump J (1-based)
  heapscope series CAPTURE.bin CAPTURE.bin... [--json] [--top N] [--from I --to J [--at peak|leaks]]
                 memray captures of one program (same command line, memray's own options aside), in
                 header start-time order, end to end: growth per site across them; --from/--to compares two
  heapscope export FILE --format memray-csv|csv|json|speedscope|html [--leaks | --temporary [N]] [-o OUT]
                 --temporary [N]: memray's temporary allocations (freed after ≤ N other allocations on
                 their thread; N = 0, 1, 2, 4, 8, 16 or 32, default 1)
  heapscope growth FILE [--json] [--top N]   leak suspects: sites ranked by how steadily their live bytes grow
  heapscope layout FILE [--at peak|end|MS] [--json]   where the RSS went: pymalloc arenas, pools and blocks,
                 the malloc heap and allocator mappings at one moment (estimates from addresses, rules in --json)
  heapscope diff OLD NEW [--json] [--group-by filename|lineno|traceback] [--cumulative] [--top N] [--at peak|leaks]
  heapscope diff FILE --from T1 --to T2 [--json] [...]   what grew between two moments of one memray capture
  heapscope report FILE [--baseline OTHER] [--range T1:T2] [--redact] [--limit SIZE] -o report.html
  heapscope check FILE --max-peak SIZE [--max-leaked SIZE] [--max-held SIZE] [--baseline OTHER --max-growth PCT] [--junit OUT.xml]
                 --max-held: the most the allocators held beyond live blocks at any layout moment (estimate)
  heapscope serve FILE... [--port N] [--host 127.0.0.1]   (a DIR of tracemalloc dumps, or of memray captures of one program, opens as a series)
  heapscope FILE            same as \`heapscope stats FILE\` (a readable summary; use \`serve\` to browse)
  heapscope                 no arguments: \`serve\` the sample capture in samples/ (what \`npm start\` shows)
  heapscope --help | --version

Native frames (memray --native): stats, export, diff, report, check and serve take --sysroot DIR
(the production machine's files under DIR + the recorded path) and --debug-dir DIR (DIR/.build-id/xx/rest.debug,
as -dbgsym packages install them; /usr/lib/debug is always searched), each repeatable. A library is used only
when its segments (and a debug file only when its build-id) match the capture; others stay libfoo.so+0x1a2b.
Times (T1, T2) are milliseconds from the start of the capture.
Sizes are printed in kB, MB, GB (10^3, 10^6, 10^9 bytes, as memray prints them); stats, diff, report,
check, layout and export --format html take --units iec for KiB, MiB, GiB (2^10, 2^20, 2^30 bytes) instead.
Sizes given (SIZE) are read as labelled: 24MB = 24,000,000 bytes, 24MiB = 25,165,824 bytes, 4096 = bytes;
kB/KB/MB/GB are decimal, KiB/MiB/GiB binary, and a bare 24M or 512K is refused as ambiguous.
Exit codes: 0 ok, 1 a \`check\` limit was exceeded, 2 bad usage or unreadable input.
`;
