/**
 * Kafka credentials given to a coordinator stay out of what others can read:
 * a child-process stage instance gets them in its environment, never on its
 * command line (readable by every user through ps and /proc), and the HTTP
 * status server, bound to 127.0.0.1 unless told otherwise, shows none.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { Coordinator } from '../../../src/coordinator/index.ts';
import { spawnInstance } from '../../../src/coordinator/host.ts';
import type { InstanceMessage, InstanceParams } from '../../../src/coordinator/protocol.ts';
import { silentLogger } from '../../../src/core/index.ts';
import { loadTopology } from '../../../src/topology/index.ts';
import type { KafkaSecurity } from '../../../src/transport/index.ts';
import { wordCountFile } from './fixtures.ts';

const PASSWORD = `pw-${randomUUID()}`;
const security: KafkaSecurity = { tls: {}, sasl: { mechanism: 'scram-sha-512', username: 'svc', password: PASSWORD } };

/** The first child process of this one, with its command line and environment (Linux /proc). */
async function childOf(pid: number, timeoutMs: number): Promise<{ cmdline: string; environ: string }> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid !== pid) continue;
        return { cmdline: readFileSync(`/proc/${entry}/cmdline`, 'utf8'), environ: readFileSync(`/proc/${entry}/environ`, 'utf8') };
      } catch {
        // gone meanwhile
      }
    }
    await sleep(20);
  }
  throw new Error('no child process appeared');
}

describe('credentials', () => {
  it.runIf(process.platform === 'linux')('reach a child-process instance through its environment, not its command line', async () => {
    const params: InstanceParams = {
      file: '/nonexistent/topology.yaml',
      stage: 'x',
      instance: 0,
      brokers: ['127.0.0.1:1'],
      security,
      namespace: '',
      clientId: 'secrets-test',
      logLevel: 'silent',
    };
    const messages: InstanceMessage[] = [];
    const host = spawnInstance(params, 'process', (m) => messages.push(m));
    const child = await childOf(process.pid, 10_000);
    host.kill();
    await host.exited;
    expect(child.cmdline).toContain('worker.ts');
    expect(child.cmdline).not.toContain(PASSWORD);
    expect(child.environ).toContain(PASSWORD);
  });

  it('do not show in /status, and the status server binds 127.0.0.1 by default', async () => {
    const stdout = new PassThrough();
    stdout.resume();
    const coordinator = await Coordinator.start({
      topology: await loadTopology(wordCountFile),
      logger: silentLogger,
      namespace: `s${randomUUID().slice(0, 8)}.`,
      security,
      http: { port: 0 },
      stdout,
    });
    try {
      expect(coordinator.http!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      await coordinator.done;
      const body = await (await fetch(`${coordinator.http!.url}/status`)).text();
      expect(body).toContain('"topology"');
      expect(body).not.toContain(PASSWORD);
    } finally {
      await coordinator.close();
    }
  });
});
