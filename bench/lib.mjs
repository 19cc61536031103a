/** What every bench shares: its command line and how it bows out when its inputs are absent. */

/** `--runs N` (default given) and `--strict` (exit 1 when a target is missed). */
export function benchArgs(defaultRuns) {
  const args = process.argv.slice(2);
  const i = args.indexOf('--runs');
  return {
    args,
    runs: i >= 0 ? Math.max(1, Number(args[i + 1])) : defaultRuns,
    strict: args.includes('--strict'),
  };
}

/** A bench whose inputs are missing says so and exits 0 (it is not a failure on a user's clone). */
export function skipper(name) {
  return (why) => {
    console.log(`${name} bench: ${why}; skipped.`);
    process.exit(0);
  };
}

/**
 * GNU time's %M (maximum resident set size) is in KiB; the benches print and compare SI
 * megabytes (10^6 bytes), as the targets are stated: 258,400 KiB is 264.6 MB, not "252 MB".
 */
export function megabytesOfKiB(kib) {
  return (kib * 1024) / 1e6;
}
