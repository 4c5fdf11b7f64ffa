/**
 * A broker of a test's own with a SASL_SSL listener: a throwaway CA and
 * broker certificate made with openssl, SASL PLAIN, SCRAM-SHA-256 and
 * SCRAM-SHA-512 on that listener (SCRAM users written at format time), all
 * through scripts/kafka.sh's SLUICE_KAFKA_EXTRA_* hooks with a separate
 * SLUICE_KAFKA_HOME, so the run's shared broker is never touched. PLAINTEXT
 * stays on for the script's readiness probe and for inter-broker traffic.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const script = join(repo, 'scripts/kafka.sh');

/** Hex: nothing that `--add-scram`'s [name=...,password=...] syntax or a JAAS string would have to quote. */
const secret = () => randomBytes(12).toString('hex');

export interface Credentials {
  username: string;
  password: string;
}

export class SecureBroker {
  /** Certificates, keys, password files and the extra broker config. */
  readonly dir = mkdtempSync(join(tmpdir(), 'sluice-kafka-tls-'));
  /** SLUICE_KAFKA_HOME of this broker (the jars are symlinked from the repo's cache). */
  readonly home = mkdtempSync(join(tmpdir(), 'sluice-kafka-secure-home-'));
  /** PEM of the CA that signed the broker's certificate. */
  readonly caFile = join(this.dir, 'ca.pem');
  /** PEM of a CA that signed nothing the broker shows. */
  readonly otherCaFile = join(this.dir, 'other-ca.pem');
  readonly plain: Credentials = { username: 'plain-user', password: secret() };
  readonly scram256: Credentials = { username: 'scram-user', password: secret() };
  /** The same user as scram256 with another password: each mechanism has its own credential. */
  readonly scram512: Credentials = { username: 'scram-user', password: secret() };
  /** host:port of the SASL_SSL listener. */
  secure = '';
  /** host:port of the PLAINTEXT listener (for the script's probe; tests should not need it). */
  plaintext = '';

  constructor() {
    const cache = join(repo, '.cache/kafka');
    for (const entry of existsSync(cache) ? readdirSync(cache) : []) {
      if (entry.startsWith('lib-')) symlinkSync(join(cache, entry), join(this.home, entry));
    }
  }

  get ca(): string {
    return readFileSync(this.caFile, 'utf8');
  }

  get otherCa(): string {
    return readFileSync(this.otherCaFile, 'utf8');
  }

  /** Writes `text` to a file of the temp dir and returns its path. */
  file(name: string, text: string): string {
    const path = join(this.dir, name);
    writeFileSync(path, text, { mode: 0o600 });
    return path;
  }

  async #openssl(...args: string[]): Promise<void> {
    await run('openssl', args, { cwd: this.dir, timeout: 60_000 });
  }

  /** A CA, a broker certificate for 127.0.0.1 signed by it, and an unrelated CA. */
  async #pki(): Promise<string> {
    const ca = ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'];
    await this.#openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=sluice-test-ca', ...ca, '-keyout', 'ca.key', '-out', 'ca.pem');
    await this.#openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=sluice-other-ca', ...ca, '-keyout', 'other-ca.key', '-out', 'other-ca.pem');
    await this.#openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', 'broker.key', '-out', 'broker.csr');
    this.file('broker.ext', 'basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n');
    await this.#openssl('x509', '-req', '-in', 'broker.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'broker.ext', '-out', 'broker.pem');
    // Kafka's PEM key store: an unencrypted PKCS#8 key (openssl 3's default) followed by the chain.
    const read = (name: string) => readFileSync(join(this.dir, name), 'utf8');
    return this.file('broker-keystore.pem', read('broker.key') + read('broker.pem') + read('ca.pem'));
  }

  #env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('SLUICE_KAFKA_')) env[name] = value;
    return { ...env, SLUICE_KAFKA_HOME: this.home, SLUICE_KAFKA_PORT: '0' };
  }

  async start(): Promise<void> {
    const keystore = await this.#pki();
    const jaas = (module: string, users = '') => `org.apache.kafka.common.security.${module} required${users};`;
    const config = this.file(
      'sasl-ssl.properties',
      [
        'ssl.keystore.type=PEM',
        `ssl.keystore.location=${keystore}`,
        'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
        `listener.name.sasl_ssl.plain.sasl.jaas.config=${jaas('plain.PlainLoginModule', ` user_${this.plain.username}="${this.plain.password}"`)}`,
        `listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config=${jaas('scram.ScramLoginModule')}`,
        `listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=${jaas('scram.ScramLoginModule')}`,
      ].join('\n') + '\n',
    );
    const scram = (mechanism: string, c: Credentials) => `--add-scram '${mechanism}=[name=${c.username},password=${c.password}]'`;
    const { stdout, stderr } = await run('bash', [script, 'start'], {
      env: {
        ...this.#env(),
        SLUICE_KAFKA_EXTRA_LISTENER: 'SASL_SSL',
        SLUICE_KAFKA_EXTRA_CONFIG: config,
        SLUICE_KAFKA_FORMAT_ARGS: `${scram('SCRAM-SHA-256', this.scram256)} ${scram('SCRAM-SHA-512', this.scram512)}`,
      },
      timeout: 300_000,
    });
    this.plaintext = stdout.trim();
    const state = readFileSync(join(this.home, 'broker.env'), 'utf8');
    this.secure = /^EXTRA_BROKERS=(.+)$/m.exec(state)?.[1] ?? '';
    if (this.secure === '') throw new Error(`kafka.sh recorded no extra listener:\n${state}\n${stderr}`);
  }

  /** Ends exactly this broker (its pid, from its own broker.env) and removes every temp dir. */
  async stop(): Promise<void> {
    try {
      await run('bash', [script, 'stop'], { env: this.#env(), timeout: 120_000 });
    } finally {
      rmSync(this.home, { recursive: true, force: true });
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
