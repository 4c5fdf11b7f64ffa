import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRecord, ErrorCodes, silentLogger } from '../../../src/core/index.ts';
import {
  defineAggregator,
  defineProcessor,
  isAggregator,
  isProcessor,
  loadAggregatorModule,
  loadProcessorModule,
  resolveInside,
  wrapProcessor,
} from '../../../src/processors/index.ts';

const fixtures = fileURLToPath(new URL('./fixtures', import.meta.url));
const modulePath = path.join(fixtures, 'processors.ts');
let outside: string;

beforeAll(async () => {
  outside = await mkdtemp(path.join(tmpdir(), 'sluice-load-'));
});
afterAll(async () => {
  await rm(outside, { recursive: true, force: true });
});

describe('defineProcessor / defineAggregator', () => {
  it('brand what they wrap, so stray exports are told apart', () => {
    expect(isProcessor(defineProcessor((v) => v))).toBe(true);
    expect(isProcessor((v: unknown) => v)).toBe(false);
    const agg = defineAggregator({ init: () => 0, add: (a: number) => a + 1, result: (a) => a });
    expect(isAggregator(agg)).toBe(true);
    expect(isProcessor(agg)).toBe(false);
    expect(() => defineAggregator({ init: () => 0, add: 1 as never, result: (a) => a })).toThrow(/`add` must be a function/);
  });
});

describe('loadProcessorModule', () => {
  it('imports a TypeScript module that imports `sluice` by package name', async () => {
    const fn = await loadProcessorModule(modulePath, 'default', fixtures);
    expect(fn({ name: 'ada' }, {} as never)).toEqual({ name: 'ADA' });
  });

  it('names the missing export and lists what the module has', async () => {
    await expect(loadProcessorModule(modulePath, 'nope', fixtures)).rejects.toMatchObject({
      code: ErrorCodes.MODULE_LOAD,
      message: expect.stringMatching(/no export `nope`; it exports .*`explode`/),
      context: { file: modulePath, export: 'nope' },
    });
  });

  it('refuses an export not made with defineProcessor, and an aggregator where a processor is wanted', async () => {
    await expect(loadProcessorModule(modulePath, 'notWrapped', fixtures)).rejects.toThrow(/not a processor; wrap the function/);
    await expect(loadProcessorModule(modulePath, 'longest', fixtures)).rejects.toThrow(/not a processor/);
    const agg = await loadAggregatorModule(modulePath, 'longest', fixtures);
    expect(agg.result(agg.add(agg.init(), { word: 'hello' }))).toBe('hello');
  });

  it('refuses modules outside the root, URL schemes, builtins and non-module files', async () => {
    const sub = path.join(fixtures, 'nowhere');
    await expect(loadProcessorModule(modulePath, 'default', sub)).rejects.toThrow(/outside/);
    await expect(loadProcessorModule('node:child_process', 'default', fixtures)).rejects.toThrow(/URL or a builtin/);
    await expect(loadProcessorModule('data:text/javascript,export default 1', 'default', fixtures)).rejects.toThrow(/URL or a builtin/);
    await writeFile(path.join(outside, 'x.json'), '{}');
    await expect(loadProcessorModule(path.join(outside, 'x.json'), 'default', outside)).rejects.toThrow(/not a module/);
    await expect(loadProcessorModule(path.join(outside, 'missing.ts'), 'default', outside)).rejects.toThrow(/does not exist/);
  });

  it('refuses a symbolic link that leads out of the root', async () => {
    const root = path.join(outside, 'root');
    await rm(root, { recursive: true, force: true });
    await mkdir(root);
    await symlink(modulePath, path.join(root, 'link.ts'));
    await expect(loadProcessorModule(path.join(root, 'link.ts'), 'default', root)).rejects.toThrow(/symbolic link/);
  });

  it('refuses a dangling link that points out of the root (a later write would land there)', async () => {
    const root = path.join(outside, 'dangling');
    await mkdir(root, { recursive: true });
    await symlink(path.join(outside, 'not-yet', 'x.ndjson'), path.join(root, 'out.ndjson'));
    expect(await resolveInside(root, root, './out.ndjson')).toMatchObject({ ok: false, reason: expect.stringMatching(/symbolic link/) });
  });
});

describe('resolveInside', () => {
  it('accepts paths inside, refuses `..` escapes, absolute paths outside, and NUL bytes', async () => {
    expect(await resolveInside(fixtures, fixtures, './processors.ts')).toEqual({ ok: true, path: modulePath });
    expect(await resolveInside(fixtures, fixtures, '../../../../../etc/passwd')).toMatchObject({ ok: false });
    expect(await resolveInside(fixtures, fixtures, '/etc/passwd')).toMatchObject({ ok: false });
    expect(await resolveInside(fixtures, fixtures, 'a\0b')).toMatchObject({ ok: false });
    // Not written yet (an output file): judged by its nearest existing folder.
    expect(await resolveInside(fixtures, fixtures, './out/new/file.ndjson')).toMatchObject({ ok: true });
  });
});

describe('wrapProcessor', () => {
  const record = createRecord({ xs: [1, 2] }, { key: 'k', timestamp: 5, topic: 't', partition: 1, offset: '9' });

  it('turns arrays into many records, null into none, and keeps the input’s metadata', async () => {
    const explode = await loadProcessorModule(modulePath, 'explode', fixtures);
    const out = wrapProcessor(explode, 'stage', silentLogger)(record);
    expect(Array.isArray(out)).toBe(true);
    expect((out as { value: unknown; offset?: string }[]).map((r) => [r.value, r.offset])).toEqual([[1, '9'], [2, '9']]);
  });

  it('awaits async processors and drops null results', async () => {
    const later = wrapProcessor(await loadProcessorModule(modulePath, 'later', fixtures), 's', silentLogger);
    expect(await later(createRecord(3))).toMatchObject([{ value: 6 }]);
    expect(await later(createRecord(-3))).toEqual([]);
  });

  it('lets a processor set the key with emit(), and gives it the stage in ctx', async () => {
    const rekey = wrapProcessor(await loadProcessorModule(modulePath, 'rekey', fixtures), 'clean', silentLogger);
    expect(await rekey(createRecord({ id: 'a' }, { key: 'old' }))).toMatchObject([{ key: 'clean:a', value: { id: 'a' } }]);
  });

  it('wraps a throw as SLUICE_ERR_PROCESSOR with the stage', async () => {
    const fails = wrapProcessor(await loadProcessorModule(modulePath, 'fails', fixtures), 'clean', silentLogger);
    expect(() => fails(record)).toThrow(expect.objectContaining({ code: ErrorCodes.PROCESSOR, message: 'boom', context: { stage: 'clean' } }));
  });
});
