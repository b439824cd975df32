/**
 * Summarises a V8 CPU profile (`.cpuprofile`: from `npm run bench -- --profile`, or `node --cpu-prof`):
 *
 *     node --import tsx bench/profile-report.ts bench/profiles/throughput.cpuprofile
 *     node --import tsx bench/profile-report.ts FILE --callers writeBuffer     who runs it
 *     node --import tsx bench/profile-report.ts FILE --inside deliverLocal     where its time goes
 *
 * TypeScript positions are mapped back through tsx's source maps (the service's modules are imported
 * for that; they have no import-time side effects).
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { callersOf, formatSummary, inside, summarizeProfile, type CpuProfile } from './lib/profile.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    top: { type: 'string', default: '25' },
    callers: { type: 'string', multiple: true },
    inside: { type: 'string', multiple: true },
    depth: { type: 'string', default: '4' },
  },
});
if (positionals.length === 0) {
  process.stderr.write('usage: node --import tsx bench/profile-report.ts FILE.cpuprofile [--top N] [--callers NAME]… [--inside NAME]…\n');
  process.exit(2);
}
for (const file of positionals) {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const out: string[] = [];
  if (!values.callers?.length && !values.inside?.length) out.push(formatSummary(await summarizeProfile(profile, Number(values.top)), file));
  for (const c of values.callers ?? []) out.push((await callersOf(profile, c, Number(values.depth))).join('\n'));
  for (const c of values.inside ?? []) out.push((await inside(profile, c)).join('\n'));
  process.stdout.write(`${out.join('\n\n')}\n`);
}
