/**
 * scripts/registry.sh itself: start serves the Confluent-compatible API (an Avro
 * schema registered under a subject reads back by its id), a registry killed with
 * SIGKILL and restarted still has it, a second start reuses the running registry,
 * and stop ends exactly that pid and removes its temp dir.
 * Runs a registry of its own in a separate state folder so it never touches the
 * run's shared one; the built application is the shared cache (the run's setup
 * built it already), so this needs no network.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { privateRegistry } from '../harness/private-registry.ts';
import { alive } from '../harness/service-state.ts';

const registry = privateRegistry();
const { stateDir, state } = registry;
const registrySh = registry.sh;

const contentType = 'application/vnd.schemaregistry.v1+json';

afterAll(() => registry.dispose());

describe('scripts/registry.sh', () => {
  it('serves the ccompat API, keeps its schemas over kill and restart, reuses a running registry, and stop ends exactly its pid', { timeout: 600_000 }, async () => {
    const first = await registrySh('start');
    const url = first.stdout.trim();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/apis\/ccompat\/v7$/);
    expect(first.stderr).toMatch(/ready at http:\/\/127\.0\.0\.1:\d+\/apis\/ccompat\/v7 \(pid \d+\) in [\d.]+s/);
    const { PID, DIR } = state();
    const pid = Number(PID);
    expect(alive(pid)).toBe(true);
    expect(existsSync(DIR!)).toBe(true);
    expect((await registrySh('status')).stdout.trim()).toBe(url);
    expect((await registrySh('url')).stdout.trim()).toBe(url);

    // A fresh registry: nothing registered before this test.
    expect(await (await fetch(`${url}/subjects`)).json()).toEqual([]);
    const schema = JSON.stringify({
      type: 'record',
      name: 'Reading',
      namespace: 'regserver.test',
      fields: [
        { name: 'sensor', type: 'string' },
        { name: 'value', type: 'double' },
      ],
    });
    const posted = await fetch(`${url}/subjects/regserver-readings-value/versions`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: JSON.stringify({ schema }),
    });
    expect(posted.status).toBe(200);
    const { id } = (await posted.json()) as { id: number };
    expect(Number.isInteger(id)).toBe(true);
    const byId = await fetch(`${url}/schemas/ids/${id}`);
    expect(byId.status).toBe(200);
    const got = (await byId.json()) as { schema: string };
    expect(JSON.parse(got.schema)).toEqual(JSON.parse(schema));
    expect(await (await fetch(`${url}/subjects`)).json()).toEqual(['regserver-readings-value']);

    // Confluent's default compatibility, which the script sets: a changed field type is refused.
    const incompatible = await fetch(`${url}/subjects/regserver-readings-value/versions`, {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: JSON.stringify({ schema: schema.replace('"double"', '"string"') }),
    });
    expect(incompatible.status).toBe(409);

    // A crash: nothing answers until restart, which brings back what was registered.
    await registrySh('kill');
    expect(alive(pid)).toBe(false);
    await expect(registrySh('status')).rejects.toThrow();
    expect((await registrySh('restart')).stdout.trim()).toBe(url);
    const restarted = Number(state().PID);
    expect(restarted).not.toBe(pid);
    expect(JSON.parse(((await (await fetch(`${url}/schemas/ids/${id}`)).json()) as { schema: string }).schema)).toEqual(JSON.parse(schema));
    expect(await (await fetch(`${url}/subjects`)).json()).toEqual(['regserver-readings-value']);

    const second = await registrySh('start');
    expect(second.stdout.trim()).toBe(url);
    expect(second.stderr).toContain(`reusing registry pid ${restarted}`);
    expect(Number(state().PID)).toBe(restarted);

    await registrySh('stop');
    expect(alive(restarted)).toBe(false);
    expect(existsSync(DIR!)).toBe(false);
    expect(existsSync(join(stateDir, 'registry.env'))).toBe(false);
    await expect(registrySh('status')).rejects.toThrow();
    await expect(registrySh('url')).rejects.toThrow();
  });
});
