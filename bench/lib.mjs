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
