/**
 * `npm run bench`: how unspool compares with plain extractors on a ~1 GB camera-roll zip and
 * tar.gz (wall time, peak RSS, peak temp bytes), and what resuming costs at 10 % and 90 % of the
 * archive, the peak RSS of uploading a 1 GiB entry to Telegram (through the test recorder), and
 * the same archives sent from a loopback HTTP server (with and without ranges), and the bot
 * delivering the zip after "/send" (through the recorder), and the camera roll as a non-solid and a
 * solid 7z beside 7-Zip (`--only 7z`; its archives take minutes to build, once), and photos and
 * videos over a simulated phone link to Telegram (`--only link`). It prints
 * numbers; it asserts nothing.
 * The report goes to stdout, progress to stderr.
 *
 * ```sh
 * npm run bench                                  # everything
 * npm run bench -- --only resume                 # groups: extract, resume, resume-tgz, telegram, http, bot, 7z, link
 * npm run bench -- --only unzip,unspool-zip      # or single runs by name
 * npm run bench -- --repeat 1                    # one run of each (default 3, medians shown; bot: 1)
 * npm run bench -- --rebuild                     # rebuild the cached fixtures first
 * ```
 */
import { stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runBotDelivery } from './botDelivery.js';
import { type ArchiveKind, type Competitor, competitors, findBinary, versionOf } from './competitors.js';
import { extractionReport, runExtraction } from './extraction.js';
import { ensureFixtures } from './fixtures.js';
import { httpReport } from './httpReport.js';
import { runHttp } from './httpSend.js';
import { loadLine, machine, megabytes } from './report.js';
import { resumeReport, runResume } from './resume.js';
import { runSevenZipBench } from './sevenZip.js';
import { runLinkUpload } from './linkUpload.js';
import { runTelegramUpload } from './telegramUpload.js';

const usage = `usage: npm run bench -- [--only <names>] [--repeat <n>] [--rebuild]
  --only <names>  comma-separated, repeatable: extract, resume, resume-tgz, telegram, http, bot, 7z, link, or a run (${competitors.map((each) => each.name).join(', ')})
  --repeat <n>    runs of each extractor (round-robin) and resumes from each point; tables show medians (default 3; the bot runs once unless given)
  --rebuild       rebuild the fixtures in bench/.cache even if they are valid`;

const cacheDir = fileURLToPath(new URL('../../bench/.cache', import.meta.url));
const print = (line = '') => process.stdout.write(`${line}\n`);
const progress = (line: string) => process.stderr.write(`bench: ${line}\n`);

const { values } = parseArgs({
  options: {
    only: { type: 'string', multiple: true },
    repeat: { type: 'string' },
    rebuild: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  print(usage);
  process.exit(0);
}
const groups = ['extract', 'resume', 'resume-tgz', 'telegram', 'http', 'bot', '7z', 'link'];
const chosen = new Set((values.only ?? [...groups]).flatMap((each) => each.split(',')).map((each) => each.trim()).filter(Boolean));
const unknown = [...chosen].filter((name) => !groups.includes(name) && !competitors.some((each) => each.name === name));
const repeat = Number(values.repeat ?? '3');
if (unknown.length || !Number.isInteger(repeat) || repeat < 1) {
  process.stderr.write(`bench: ${unknown.length ? `unknown --only ${unknown.join(', ')}` : `--repeat wants a whole number from 1, got ${values.repeat}`}\n${usage}\n`);
  process.exit(2);
}

const started = performance.now();
const timeWrapper = await findBinary('/usr/bin/time');
print('# unspool benchmark');
print();
for (const line of await machine(process.cwd())) print(line);
print(
  `peak RSS: /proc/<pid>/status VmHWM of the process and its descendants, polled every 20 ms (summed over live processes; a child not yet exec'd is left out)` +
    (timeWrapper ? `; also GNU time ${timeWrapper} -f '%M %U %S' (ru_maxrss of the largest single process; CPU of the tree)` : '; GNU time not found'),
);
print(`peak temp: total size of the files under <state>/tmp, polled every ~10 ms`);
print();

if (chosen.has('7z')) {
  print(`## 7z: unspool on the camera roll as a non-solid and a solid 7z, next to 7-Zip (${repeat} run${repeat === 1 ? '' : 's'} each; medians)`);
  print();
  for (const line of await runSevenZipBench(cacheDir, timeWrapper, repeat, progress)) print(line);
  print();
}
if (chosen.has('link')) {
  print(`## Link: photos and videos to Telegram over a simulated phone link (gramjs client, invoke recorded behind one shared uplink; wall time from the first request to the last answer; ${repeat} run${repeat === 1 ? '' : 's'} each, the median shown; load ${loadLine()})`);
  print();
  for (const line of await runLinkUpload(cacheDir, repeat, progress)) print(line);
  print();
}
// The 7z and link benchmarks build their own archives: the zip and the tar.gz are not needed for them alone.
if ([...chosen].every((name) => name === '7z' || name === 'link')) {
  print(`bench wall time: ${((performance.now() - started) / 1000).toFixed(0)} s; load at the end ${loadLine()}`);
  process.exit(0);
}

const fixtures = await ensureFixtures(cacheDir, progress, values.rebuild);
const archiveBytes = { zip: (await stat(fixtures.zip)).size, tgz: (await stat(fixtures.tgz)).size };
const byKind = [...new Set(fixtures.entries.map((entry) => entry.kind))].map((kind) => {
  const entries = fixtures.entries.filter((entry) => entry.kind === kind);
  return `${entries.length} ${kind} (${megabytes(entries.reduce((sum, entry) => sum + entry.size, 0))} MB)`;
});
print(`fixtures: ${fixtures.entries.length} entries, ${megabytes(fixtures.totalBytes)} MB: ${byKind.join(', ')}`);
print(`  ${fixtures.zip}: ${megabytes(archiveBytes.zip)} MB (photos, PDFs, text deflated; videos stored)`);
print(`  ${fixtures.tgz}: ${megabytes(archiveBytes.tgz)} MB (gzip level 6)`);
print();

const runs = competitors.filter((each) => chosen.has('extract') || chosen.has(each.name));
if (runs.length) {
  print(`## Extraction (${repeat} run${repeat === 1 ? '' : 's'} each, round-robin; warm page cache; \`sync\` before and output deleted after each run)`);
  print();
  const present: { competitor: Competitor; program: string }[] = [];
  for (const competitor of runs) {
    const program = await competitor.locate();
    if (program) present.push({ competitor, program });
    print(program ? `${competitor.name}: ${program} (${versionOf(program, competitor.versionArgs)})` : `note: ${competitor.name} skipped: not installed`);
  }
  print();
  const results = await runExtraction(present, fixtures, cacheDir, timeWrapper, repeat, progress);
  for (const line of extractionReport(results, fixtures, archiveBytes)) print(line);
  print();
}

const resumeArchives: ArchiveKind[] = [...(chosen.has('resume') ? ['zip' as const] : []), ...(chosen.has('resume-tgz') ? ['tgz' as const] : [])];
if (resumeArchives.length) {
  print('## Resume cost: time to the first new delivery when resuming at 10 % and at 90 %');
  print();
  const results = await runResume(resumeArchives, fixtures, cacheDir, repeat, progress);
  for (const line of resumeReport(results, fixtures.entries.length)) print(line);
  print();
}

if (chosen.has('telegram')) {
  print('## Telegram: peak RSS while a 1 GiB entry is uploaded (gramjs client, invoke recorded)');
  print();
  for (const line of await runTelegramUpload(cacheDir, progress)) print(line);
  print();
}

if (chosen.has('http')) {
  print(`## HTTP: unspool send http://127.0.0.1:<port>/… from a loopback file server, against the local file (${repeat} run${repeat === 1 ? '' : 's'} each, round-robin)`);
  print();
  const { results, serverRssBytes } = await runHttp(fixtures, archiveBytes, cacheDir, timeWrapper, repeat, progress);
  for (const line of httpReport(results, serverRssBytes, fixtures, archiveBytes)) print(line);
  print();
}

if (chosen.has('bot')) {
  // Its table shows every run rather than medians, and one run tells what the bot holds: more only when --repeat asks.
  const runs = values.repeat === undefined ? 1 : repeat;
  print(`## Bot: "/send" of the zip and "/status" to the bot in a child process (gramjs client, invoke recorded; ${runs} run${runs === 1 ? '' : 's'}; load ${loadLine()})`);
  print();
  for (const line of await runBotDelivery(fixtures, archiveBytes.zip, cacheDir, timeWrapper, runs, progress)) print(line);
  print();
}

print(`bench wall time: ${((performance.now() - started) / 1000).toFixed(0)} s; load at the end ${loadLine()}`);
