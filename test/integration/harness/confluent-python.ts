/**
 * Python confluent-kafka (librdkafka and its schema-registry AvroSerializer/AvroDeserializer)
 * as another Confluent-format producer and consumer: scripts/pyinterop.sh installs it once
 * into a cache outside the repo, confluent_client.py speaks to the broker and the registry.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';

const script = fileURLToPath(new URL('../../../scripts/pyinterop.sh', import.meta.url));
const client = fileURLToPath(new URL('./confluent_client.py', import.meta.url));

export interface ConfluentPython {
  /** Produces `values` with the writer schema in `schemaFile` (registered under `<topic>-value`); the ids the serializer used. */
  produce(topic: string, schemaFile: string, values: readonly unknown[]): Promise<{ ids: number[]; client: string }>;
  /** Consumes `count` records from the start of `topic`, decoded with their writer schema resolved into `readerFile` (else as written). */
  consume(topic: string, count: number, readerFile?: string): Promise<Array<{ id: number; value: unknown }>>;
}

/** Installs the client if needed (seconds, once per machine); rejects with pip's or python's reason. */
export async function confluentPython(brokers: string[], registry: string): Promise<ConfluentPython> {
  const { stdout } = await promisify(execFile)('bash', [script, 'path'], { timeout: 300_000 });
  const env = { ...process.env, PYTHONPATH: stdout.trim() };
  const python = (args: string[], input = ''): Promise<string> =>
    new Promise((resolve, reject) => {
      const child = spawn('python3', [client, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`confluent_client.py ${args[0]} exited ${code}: ${err.trim()}`))));
      child.stdin.end(input);
    });
  const common = [brokers.join(','), registry];
  return {
    produce: async (topic, schemaFile, values) =>
      JSON.parse(await python(['produce', ...common, topic, schemaFile], values.map((v) => `${JSON.stringify(v)}\n`).join(''))) as { ids: number[]; client: string },
    consume: async (topic, count, readerFile) =>
      (await python(['consume', ...common, topic, String(count), ...(readerFile === undefined ? [] : [readerFile])]))
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as { id: number; value: unknown }),
  };
}
