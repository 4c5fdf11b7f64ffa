/**
 * Kafka TLS and SASL against a real broker (issue 9): a broker of this file's
 * own with a SASL_SSL listener (a throwaway CA; PLAIN, SCRAM-SHA-256 and
 * SCRAM-SHA-512), reached only through sluice's code paths: the Publisher and
 * the transport's consumer, and `sluice publish` as a child process with the
 * security flags or the SLUICE_KAFKA_* environment variables. Records go
 * through and read back over every mechanism; a wrong password is refused as
 * an authentication failure; a client that does not trust the CA never gets
 * past the TLS handshake. The run's shared broker is never touched.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { ErrorCodes, silentLogger } from '../../../src/core/index.ts';
import { createCodecChain } from '../../../src/codecs/index.ts';
import { Publisher } from '../../../src/runtime/publisher.ts';
import { createSourceStream, createTransport, kafkaSecurity, type ConsumedRecord, type KafkaClient, type KafkaSecurity } from '../../../src/transport/index.ts';
import { uniqueName } from '../harness/kafka.ts';
import { SecureBroker, type Credentials } from '../harness/secure-broker.ts';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
let broker: SecureBroker;

// Made here, not at import, so a run that filters every test out leaves no temp dir behind.
beforeAll(async () => {
  broker = new SecureBroker();
  await broker.start();
}, 240_000);
afterAll(async () => {
  await broker?.stop();
}, 120_000);

const json = createCodecChain('json');

/** What sluice's CLI would build from `--ssl-ca <ca> --sasl-mechanism <m> ...`: files read, policy applied. */
function security(mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512', c: Credentials, ca = broker.caFile): KafkaSecurity {
  return kafkaSecurity({ tls: true, tlsCaFile: ca, saslMechanism: mechanism, saslUsername: c.username, saslPassword: c.password })!;
}

/** Every value of `topic`, read from the beginning by sluice's Kafka consumer over `sec`. */
async function readBack(topic: string, sec: KafkaSecurity, count: number, client: KafkaClient = 'kafkajs'): Promise<unknown[]> {
  const transport = createTransport({ brokers: [broker.secure], security: sec, clientId: 'sluice-security-read', logger: silentLogger, client });
  try {
    const consumer = await transport.consumer({ groupId: uniqueName('sec-read'), topics: [topic], fromBeginning: true });
    const source = await createSourceStream(consumer);
    const got: unknown[] = [];
    for await (const r of source.iterator({ destroyOnReturn: false }) as AsyncIterable<ConsumedRecord>) {
      got.push(json.decode(r.value!));
      if (got.length === count) break;
    }
    await consumer.disconnect();
    return got;
  } finally {
    await transport.close();
  }
}

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `node bin/sluice.js ...` with no SLUICE_KAFKA_* security settings of the parent's (its client choice kept), plus `env`. */
function sluice(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const base: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if ((!name.startsWith('SLUICE_KAFKA_') || name === 'SLUICE_KAFKA_CLIENT') && name !== 'KAFKA_BROKERS') base[name] = value;
  }
  return new Promise((resolve) => {
    execFile(process.execPath, [join(repo, 'bin/sluice.js'), ...args], { cwd: repo, env: { ...base, ...env }, timeout: 90_000 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : -1;
      resolve({ code, stdout, stderr });
    });
  });
}

const values = (tag: string) => [1, 2, 3].map((n) => ({ n, tag }));

describe.concurrent('Kafka security against a real broker (SASL_SSL listener)', () => {
  it.for([
    ['scram-sha-256', 'scram256'],
    ['scram-sha-512', 'scram512'],
    ['plain', 'plain'],
  ] as const)('TLS + SASL %s: the Publisher sends, the consumer reads back', async ([mechanism, user], { expect }) => {
    const sec = security(mechanism, broker[user]);
    const topic = uniqueName(`sec-${mechanism}`);
    const publisher = await Publisher.open({ brokers: [broker.secure], security: sec, topic, partitions: 1, codec: 'json' });
    await publisher.publish(values(mechanism));
    expect(await publisher.close()).toEqual({ acknowledged: 3 });
    expect(await readBack(topic, sec, 3)).toEqual(values(mechanism));
  });

  it('sluice publish with --ssl --ssl-ca and SCRAM-SHA-256 from --sasl-username and --sasl-password-file', async ({ expect }) => {
    const topic = uniqueName('sec-cli-flags');
    const input = broker.file(`${topic}.ndjson`, values('flags').map((v) => JSON.stringify(v)).join('\n') + '\n');
    const passwordFile = broker.file(`${topic}.pass`, `${broker.scram256.password}\n`);
    const r = await sluice([
      'publish', input, '--brokers', broker.secure, '--topic', topic, '--partitions', '1',
      '--ssl', '--ssl-ca', broker.caFile,
      '--sasl-mechanism', 'scram-sha-256', '--sasl-username', broker.scram256.username, '--sasl-password-file', passwordFile,
    ]);
    expect(r.stderr).toContain(`sluice publish: 3 sent to ${topic}, 0 rejected`);
    expect(r.code).toBe(0);
    expect(await readBack(topic, security('scram-sha-256', broker.scram256), 3)).toEqual(values('flags'));
  });

  it.for([
    ['scram-sha-512', 'SLUICE_KAFKA_SASL_PASSWORD', 'scram512'],
    ['plain', 'SLUICE_KAFKA_SASL_PASSWORD_FILE', 'plain'],
  ] as const)('sluice publish takes TLS and SASL %s from the SLUICE_KAFKA_* environment (password via %s)', async ([mechanism, how, user], { expect }) => {
    const topic = uniqueName(`sec-cli-env-${mechanism}`);
    const creds = broker[user];
    const input = broker.file(`${topic}.ndjson`, values(how).map((v) => JSON.stringify(v)).join('\n') + '\n');
    const password: Record<string, string> =
      how === 'SLUICE_KAFKA_SASL_PASSWORD'
        ? { SLUICE_KAFKA_SASL_PASSWORD: creds.password }
        : { SLUICE_KAFKA_SASL_PASSWORD_FILE: broker.file(`${topic}.pass`, creds.password) };
    const r = await sluice(['publish', input, '--brokers', broker.secure, '--topic', topic, '--partitions', '1'], {
      SLUICE_KAFKA_SSL: 'true',
      SLUICE_KAFKA_SSL_CA: broker.caFile,
      SLUICE_KAFKA_SASL_MECHANISM: mechanism,
      SLUICE_KAFKA_SASL_USERNAME: creds.username,
      ...password,
    });
    expect(r.stderr).toContain(`sluice publish: 3 sent to ${topic}, 0 rejected`);
    expect(r.code).toBe(0);
    expect(await readBack(topic, security(mechanism, creds), 3)).toEqual(values(how));
  });

  it.for([
    // The broker's own words, which each client passes on in words of its own.
    ['scram-sha-256', 'scram256', /Authentication failed.*invalid credentials with SASL mechanism SCRAM-SHA-256/],
    ['scram-sha-512', 'scram512', /Authentication failed.*invalid credentials with SASL mechanism SCRAM-SHA-512/],
    ['plain', 'plain', /Authentication failed: Invalid username or password/],
  ] as const)('a wrong %s password: the Publisher is refused with an authentication error', async ([mechanism, user, message], { expect }) => {
    const wrong = { username: broker[user].username, password: 'not-the-password' };
    const err = await Publisher.open({ brokers: [broker.secure], security: security(mechanism, wrong), topic: uniqueName('sec-denied'), partitions: 1 }).then(
      () => undefined,
      (e: unknown) => e as { code: string; retriable: boolean; message: string },
    );
    expect(err).toBeDefined();
    expect(err!.code).toBe(ErrorCodes.CONFIG_INVALID);
    expect(err!.retriable).toBe(false);
    expect(err!.message).toMatch(message);
    expect(err!.message).not.toContain('not-the-password');
  });

  it('a wrong password: sluice publish exits non-zero with one line naming the authentication failure', async ({ expect }) => {
    const topic = uniqueName('sec-cli-denied');
    const input = broker.file(`${topic}.ndjson`, JSON.stringify({ n: 1 }) + '\n');
    const r = await sluice(['publish', input, '--brokers', broker.secure, '--topic', topic, '--ssl', '--ssl-ca', broker.caFile], {
      SLUICE_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      SLUICE_KAFKA_SASL_USERNAME: broker.scram512.username,
      SLUICE_KAFKA_SASL_PASSWORD: 'not-the-password',
    });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^sluice: .*Authentication failed.*invalid credentials with SASL mechanism SCRAM-SHA-512.* \[SLUICE_ERR_CONFIG_INVALID\]$/m);
    expect(r.stderr).not.toContain('not-the-password');
  });

  it('a client that does not trust the CA fails TLS verification (another CA; the system CAs via --ssl alone)', async ({ expect }) => {
    const topic = uniqueName('sec-untrusted');
    const input = broker.file(`${topic}.ndjson`, JSON.stringify({ n: 1 }) + '\n');
    // kafkajs retries a failed connection for about ten seconds: both at once.
    const [other, cli] = await Promise.all([
      Publisher.open({ brokers: [broker.secure], security: security('scram-sha-256', broker.scram256, broker.otherCaFile), topic, partitions: 1 }).then(
        () => undefined,
        (e: unknown) => e as { code: string; message: string },
      ),
      sluice(['publish', input, '--brokers', broker.secure, '--topic', topic, '--ssl'], {
        SLUICE_KAFKA_SASL_MECHANISM: 'scram-sha-256',
        SLUICE_KAFKA_SASL_USERNAME: broker.scram256.username,
        SLUICE_KAFKA_SASL_PASSWORD: broker.scram256.password,
      }),
    ]);
    expect(other).toBeDefined();
    expect(other!.code).toBe(ErrorCodes.BROKER_UNAVAILABLE);
    // Node's TLS reason, which each client passes on in words of its own.
    expect(other!.message).toMatch(/self-signed certificate in certificate chain/);
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/^sluice: .*self-signed certificate in certificate chain.* \[SLUICE_ERR_BROKER_UNAVAILABLE\]$/m);
  });

  it('--ssl-no-verify with --insecure connects without checking the certificate', async ({ expect }) => {
    const insecure = kafkaSecurity({
      tlsNoVerify: true,
      insecure: true,
      saslMechanism: 'scram-sha-256',
      saslUsername: broker.scram256.username,
      saslPassword: broker.scram256.password,
    })!;
    expect(insecure.tls).toEqual({ rejectUnauthorized: false });
    const topic = uniqueName('sec-no-verify');
    const publisher = await Publisher.open({ brokers: [broker.secure], security: insecure, topic, partitions: 1, codec: 'json' });
    await publisher.publish(values('no-verify'));
    expect(await publisher.close()).toEqual({ acknowledged: 3 });
  });
});

describe.concurrent.each(['kafkajs', 'platformatic'] as const)('the %s driver over TLS + SASL', (client) => {
  const open = (sec: KafkaSecurity) => createTransport({ brokers: [broker.secure], security: sec, clientId: `sluice-security-${client}`, logger: silentLogger, client });

  it.for([
    ['scram-sha-256', 'scram256'],
    ['scram-sha-512', 'scram512'],
    ['plain', 'plain'],
  ] as const)('SASL %s: its producer sends and its consumer reads back', async ([mechanism, user], { expect }) => {
    const sec = security(mechanism, broker[user]);
    const topic = uniqueName(`sec-${client}-${mechanism}`);
    const transport = open(sec);
    try {
      await transport.createTopics([{ name: topic, partitions: 1 }]);
      const producer = await transport.producer();
      await producer.send(values(client).map((v) => ({ topic, key: null, value: json.encode(v) })));
      await producer.close();
    } finally {
      await transport.close();
    }
    expect(await readBack(topic, sec, 3, client)).toEqual(values(client));
  });

  it('a wrong password is refused as CONFIG_INVALID, not retriable, and never shown', async ({ expect }) => {
    const transport = open(security('scram-sha-512', { username: broker.scram512.username, password: 'not-the-password' }));
    try {
      const err = await transport.producer().then(
        () => undefined,
        (e: unknown) => e as { code: string; retriable: boolean; message: string },
      );
      expect(err).toMatchObject({ code: ErrorCodes.CONFIG_INVALID, retriable: false });
      expect(err!.message).not.toContain('not-the-password');
    } finally {
      await transport.close();
    }
  });

  it('a client that does not trust the CA fails as BROKER_UNAVAILABLE', async ({ expect }) => {
    const transport = open(security('scram-sha-256', broker.scram256, broker.otherCaFile));
    try {
      await expect(transport.producer()).rejects.toMatchObject({ code: ErrorCodes.BROKER_UNAVAILABLE, message: expect.stringMatching(/self-signed certificate in certificate chain/) });
    } finally {
      await transport.close();
    }
  });
});
