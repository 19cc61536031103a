/**
 * `npm run fuzz [-- --per-family N --workers N --salt N --timeout MS --rss-mb MB --families a,b
 * --no-shrink --seed-limit BYTES]`: a seeded mutation run over every format and both read paths. Reproducers go to
 * out/fuzz/findings/; a JSON report to out/fuzz/report.json. Exit code 1 when a problem was found.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ALL_FAMILIES, PROBLEMS, bundleChild, runFuzz } from './fuzz';

export async function main(repo: string, argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      'per-family': { type: 'string', default: '1000' },
      workers: { type: 'string', default: '2' },
      salt: { type: 'string', default: '1' },
      timeout: { type: 'string', default: '10000' },
      'rss-mb': { type: 'string', default: '768' },
      families: { type: 'string' },
      'no-shrink': { type: 'boolean', default: false },
      'seed-limit': { type: 'string' },
    },
  });
  const families = values.families ? values.families.split(',') : ALL_FAMILIES;
  const out = join(repo, 'out', 'fuzz');
  const child = await bundleChild(repo);
  let last = 0;
  const report = await runFuzz(child, {
    fixtures: join(repo, 'test', 'fixtures'),
    families,
    perFamily: Number(values['per-family']),
    workers: Number(values.workers),
    salt: Number(values.salt),
    timeoutMs: Number(values.timeout),
    rssLimit: Number(values['rss-mb']) * 2 ** 20,
    modes: ['totals', 'full'],
    saveDir: join(out, 'findings'),
    shrink: !values['no-shrink'],
    ...(values['seed-limit'] !== undefined && { seedLimit: Number(values['seed-limit']) }),
    onProgress: (done, total) => {
      const now = Date.now();
      if (now - last < 2000 && done < total) return;
      last = now;
      process.stderr.write(`fuzz: ${done}/${total} mutants\n`);
    },
  });
  writeFileSync(join(out, 'report.json'), JSON.stringify(report, null, 2));
  const rows = report.families.map((f) => ({
    family: f.family,
    mutants: f.mutants,
    ...f.verdicts,
    'opened cut': f.openedTruncated,
    'peak RSS MB': Math.round(f.peakRss / 2 ** 20),
  }));
  console.table(rows);
  for (const p of report.problems)
    console.log(
      `${p.verdict} ${p.family} #${p.index} (${p.description}, ${p.size} → ${p.shrunkSize ?? p.size} bytes, ${p.savedAs ?? ''}): ${p.message.split('\n')[0]}`,
    );
  console.log(
    `${report.problems.length} problems in ${(report.elapsedMs / 1000).toFixed(0)} s; report in ${join(out, 'report.json')}`,
  );
  return report.problems.some((p) => PROBLEMS.includes(p.verdict)) ? 1 : 0;
}
