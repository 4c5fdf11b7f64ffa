/**
 * Hostile or careless command lines: absurd numbers, unknown flags, a
 * password in argv, and Kafka security settings that give secrets away. Each
 * ends with exit code 2 and one clear line, before anything connects.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from './cli-harness.ts';

const topology = 'topologies/word-count/topology.yaml';

afterEach(() => {
  for (const name of Object.keys(process.env)) if (name.startsWith('SLUICE_KAFKA_')) delete process.env[name];
});

describe('numbers on the command line', () => {
  it.each([
    ['--commit-interval', '-5'],
    ['--commit-interval', '0'],
    ['--commit-interval', '1e12'],
    ['--commit-interval', '0x10'],
    ['--commit-interval', '1.5'],
    ['--commit-interval', 'soon'],
    ['--shutdown-timeout', '99999999999'],
    ['--poll-interval', '10'],
    ['--session-timeout', '500'],
    ['--port', '70000'],
  ])('run refuses %s %s', async (flag, value) => {
    const r = await runCli('run', topology, `${flag}=${value}`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${flag} must be a whole number from \\d+ to \\d+, got \`${value.replace('.', '\\.')}\` \\[SLUICE_ERR_CLI_USAGE\\]`));
  });

  it('a day is the longest timer a flag takes (Node fires longer ones at once)', async () => {
    const r = await runCli('run', topology, '--shutdown-timeout', '86400001');
    expect(r.stderr).toContain('--shutdown-timeout must be a whole number from 1 to 86400000');
  });

  it.each([
    ['--partitions', '0', /--partitions must be a whole number from 1 to 10000/],
    ['--partitions', '100000', /--partitions must be a whole number from 1 to 10000/],
    ['--rate', '0', /--rate wants records per second/],
    ['--rate', '1e12', /--rate wants records per second/],
    ['--rate', '-3', /--rate wants records per second/],
  ])('publish refuses %s %s', async (flag, value, message) => {
    const r = await runCli('publish', '--topic', 't', '--brokers', '127.0.0.1:1', `${flag}=${value}`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
  });

  it('status refuses an interval under 100 ms', async () => {
    const r = await runCli('status', topology, '--brokers', '127.0.0.1:1', '--interval', '5');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--interval must be a whole number from 100 to 86400000');
  });
});

describe('flags', () => {
  it.each([['run', topology], ['validate', topology], ['status', topology], ['topics', topology], ['publish', '--topic=t']])('%s refuses an unknown flag', async (command, arg) => {
    const r = await runCli(command, arg, '--definitely-not-a-flag');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/unknown option '--definitely-not-a-flag'/);
  });
});

describe('Kafka security on the command line', () => {
  it('warns about a password in argv, points to the environment or a file, and never echoes it', async () => {
    const r = await runCli('status', topology, '--brokers', '127.0.0.1:1', '--sasl-mechanism', 'plain', '--sasl-username', 'u', '--sasl-password', 'hunter2');
    expect(r.stderr).toMatch(/warning: --sasl-password leaves the password in the process list.*SLUICE_KAFKA_SASL_PASSWORD.*--sasl-password-file/);
    expect(r.stderr).not.toContain('hunter2');
  });

  it('refuses SASL PLAIN without TLS unless --insecure, from flags and from the environment', async () => {
    const flags = await runCli('topics', topology, '--check', '--brokers', '127.0.0.1:1', '--sasl-mechanism', 'plain', '--sasl-username', 'u', '--sasl-password-file', 'package.json');
    expect(flags.code).toBe(2);
    expect(flags.stderr).toMatch(/SASL PLAIN without TLS sends the password in clear text.*--insecure.*\[SLUICE_ERR_INSECURE\]/);

    Object.assign(process.env, { SLUICE_KAFKA_SASL_MECHANISM: 'plain', SLUICE_KAFKA_SASL_USERNAME: 'u', SLUICE_KAFKA_SASL_PASSWORD: 'from-env-9' });
    const env = await runCli('status', topology, '--brokers', '127.0.0.1:1');
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('[SLUICE_ERR_INSECURE]');
    expect(env.stderr).not.toContain('from-env-9');
  });

  it('refuses TLS that accepts any certificate unless --insecure', async () => {
    const r = await runCli('status', topology, '--brokers', '127.0.0.1:1', '--ssl', '--ssl-no-verify');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/TLS without certificate verification.*\[SLUICE_ERR_INSECURE\]/);
  });

  it('names an unreadable password file by its path only', async () => {
    const r = await runCli('status', topology, '--brokers', '127.0.0.1:1', '--sasl-mechanism', 'scram-sha-256', '--sasl-username', 'u', '--sasl-password-file', '/nonexistent/kafka.pass');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('cannot read the SASL password file /nonexistent/kafka.pass: ENOENT');
  });
});
