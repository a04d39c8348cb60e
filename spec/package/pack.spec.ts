/**
 * The package as a user gets it: `npm pack` of this checkout, installed from the tarball into an
 * empty project the way a phone under Termux or an ARM board would install it. The install runs
 * with install scripts on (as npm ran them before it blocked them by default), no compiler, `make`
 * or Python on `PATH`, and a platform for which no dependency ships a prebuilt add-on (`android`,
 * `arm64`, as node-gyp-build reads them from `npm_config_platform` and `npm_config_arch`). Anything
 * that would have to compile makes the install fail, unless npm may drop it as optional.
 *
 * gramjs (`telegram`) requires `websocket` as it loads, and the real `websocket` depends on the native
 * add-ons `bufferutil` and `utf-8-validate`; the package ships gramjs bundled with a stand-in for
 * it (`vendor/websocket-unused`), since the `overrides` that put the stand-in in place here do not
 * reach a user's install.
 *
 * The tarball is packed with `--ignore-scripts`: `npm test` has just built `dist` with `tsc`, and a
 * second build by `prepare` would rewrite `dist` under the specs that run the CLI meanwhile.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** What a command did. */
interface Run {
  /** The exit code; `null` if a signal ended it. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a command to its end, without a shell; a non-zero exit is data, not an error. */
function run(command: string, args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): Promise<Run> {
  return new Promise((resolvePromise) => {
    execFile(command, args, { ...options, timeout: 240_000, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolvePromise({ code, stdout, stderr });
    });
  });
}

/** The first executable called `name` on this process's `PATH`. */
function onPath(name: string): string {
  const found = (process.env.PATH ?? '')
    .split(delimiter)
    .map((folder) => join(folder, name))
    .find((path) => existsSync(path));
  if (!found) throw new Error(`${name} is not on PATH`);
  return found;
}

/**
 * The environment in the user's project: this one, less what npm set for the script that runs the specs
 * (which would point a nested npm at this repository) and less any way to Python, with `PATH`
 * holding only `node`, `npm`, `npx` and `sh`.
 */
function withoutCompiler(bin: string): NodeJS.ProcessEnv {
  const inherited = Object.entries(process.env).filter(
    ([name]) => !/^npm_(package|lifecycle)_/.test(name) && !['npm_config_local_prefix', 'npm_config_python', 'npm_command', 'INIT_CWD', 'PYTHON'].includes(name),
  );
  return { ...Object.fromEntries(inherited), PATH: bin };
}

/**
 * The platform and processor that node-gyp-build looks for prebuilt add-ons of (Termux on a phone),
 * instead of this machine's; npm warns that it does not know these two settings.
 */
const termux = { npm_config_platform: 'android', npm_config_arch: 'arm64' };

/** An installed package: where it is, what it is, and whether it carries sources to compile. */
interface Installed {
  readonly path: string;
  readonly name: string;
  readonly version: string;
  readonly bindingGyp: boolean;
}

/** Every package under a `node_modules` folder, nested ones included. */
async function installedUnder(nodeModules: string): Promise<Installed[]> {
  const found: Installed[] = [];
  const folders = await readdir(nodeModules, { withFileTypes: true }).catch(() => []);
  for (const folder of folders.filter((each) => each.isDirectory() && !each.name.startsWith('.'))) {
    const path = join(nodeModules, folder.name);
    if (folder.name.startsWith('@')) {
      found.push(...(await installedUnder(path)));
      continue;
    }
    const { name, version } = JSON.parse(await readFile(join(path, 'package.json'), 'utf8')) as { name: string; version: string };
    found.push({ path, name, version, bindingGyp: existsSync(join(path, 'binding.gyp')) });
    found.push(...(await installedUnder(join(path, 'node_modules'))));
  }
  return found;
}

/** Prints the names that two entry points export, as JSON, when run with `node --input-type=module -e`. */
const printExports = (main: string, telegram: string) =>
  `const main = await import(${JSON.stringify(main)}); const telegram = await import(${JSON.stringify(telegram)});` +
  ' console.log(JSON.stringify({ main: Object.keys(main).sort(), telegram: Object.keys(telegram).sort() }));';

const repository = process.cwd();

describe('the packed package, installed without a compiler', () => {
  let folder = '';
  let project = '';
  let bin = '';
  let env: NodeJS.ProcessEnv = {};
  let bundled: string[] = [];
  let install: Run | undefined;

  beforeAll(async () => {
    folder = await mkdtemp(join(tmpdir(), 'unspool-pack-'));
    project = join(folder, 'project');
    bin = join(folder, 'bin');
    await Promise.all([mkdir(project), mkdir(bin)]);
    const tools = { node: process.execPath, npm: onPath('npm'), npx: onPath('npx'), sh: onPath('sh') };
    await Promise.all(Object.entries(tools).map(([name, target]) => symlink(target, join(bin, name))));
    env = withoutCompiler(bin);

    const pack = await run(tools.npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', folder], { cwd: repository, env: process.env });
    if (pack.code !== 0) throw new Error(`npm pack exited ${pack.code}: ${pack.stderr.slice(-2000)}`);
    const [packed] = JSON.parse(pack.stdout) as { filename: string; bundled: string[] }[];
    bundled = packed!.bundled;

    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'unspool-pack-check', version: '1.0.0', private: true }));
    // --prefer-offline takes what `npm ci` put in the cache; --dangerously-allow-all-scripts turns install
    // scripts back on where npm blocks them (npm 10 runs them anyway, and ignores the flag).
    const options = ['--prefer-offline', '--no-audit', '--no-fund', '--dangerously-allow-all-scripts'];
    install = await run(tools.npm, ['install', ...options, join(folder, packed!.filename)], { cwd: project, env: { ...env, ...termux } });
  }, 300_000);

  afterAll(() => (folder ? rm(folder, { recursive: true, force: true }) : undefined));

  it('bundles gramjs with the websocket stand-in, so that no install fetches the real websocket', () => {
    expect(bundled).toEqual(expect.arrayContaining(['telegram', 'websocket']));
  });

  it('installs with install scripts on, no compiler on PATH and no prebuilt add-on for the platform', () => {
    expect(install?.code, install?.stderr.slice(-3000)).toBe(0);
  });

  it('leaves a tree that npm ls --all accepts', async () => {
    const ls = await run(join(bin, 'npm'), ['ls', '--all'], { cwd: project, env });
    expect(ls.code, `${ls.stdout.slice(-2000)}${ls.stderr.slice(-2000)}`).toBe(0);
    expect(ls.stdout).toMatch(/unspool@\d/);
  });

  it('leaves no package that carries a binding.gyp to compile, and no websocket but the stand-in', async () => {
    const installed = await installedUnder(join(project, 'node_modules'));
    expect(installed.filter((each) => each.bindingGyp).map((each) => relative(project, each.path))).toEqual([]);
    expect(installed.filter((each) => each.name === 'websocket').map((each) => [relative(project, each.path), each.version])).toEqual([
      ['node_modules/unspool/node_modules/websocket', '1.0.99'],
    ]);
  });

  it('runs unspool --help through npx', async () => {
    const help = await run(join(bin, 'npx'), ['--no', '--', 'unspool', '--help'], { cwd: project, env });
    expect(help.code, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: unspool \[options\] \[command\]$/m);
  });

  it('exports from unspool and unspool/telegram what the build exports', async () => {
    const fromPackage = await run(join(bin, 'node'), ['--input-type=module', '-e', printExports('unspool', 'unspool/telegram')], { cwd: project, env });
    const built = ['index.js', 'telegram.js'].map((file) => pathToFileURL(join(repository, 'dist', 'src', file)).href);
    const fromBuild = await run(process.execPath, ['--input-type=module', '-e', printExports(built[0]!, built[1]!)], { cwd: repository, env: process.env });
    expect(fromPackage.code, fromPackage.stderr).toBe(0);
    const names = JSON.parse(fromPackage.stdout) as { main: string[]; telegram: string[] };
    expect(names.main).toEqual(expect.arrayContaining(['send', 'dirSink', 'openArchive']));
    expect(names.telegram).toEqual(expect.arrayContaining(['telegramSink', 'connectTelegram']));
    expect(names).toEqual(JSON.parse(fromBuild.stdout));
  });
});

describe('this checkout, as npm ci installs it', () => {
  it('gives gramjs the websocket stand-in, through the overrides of package.json', async () => {
    const fromGramjs = createRequire(join(repository, 'node_modules', 'telegram', 'index.js')).resolve('websocket/package.json');
    expect(await realpath(fromGramjs)).toBe(join(repository, 'vendor', 'websocket-unused', 'package.json'));
  });

  it('locks no dependency with an install script that npm could not drop as optional, but dev tools', async () => {
    const lock = JSON.parse(await readFile(join(repository, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { hasInstallScript?: boolean; optional?: boolean; dev?: boolean }>;
    };
    const scripted = Object.entries(lock.packages).filter(([, entry]) => entry.hasInstallScript && !entry.optional && !entry.dev);
    expect(scripted.map(([path]) => path)).toEqual([]);
  });
});
