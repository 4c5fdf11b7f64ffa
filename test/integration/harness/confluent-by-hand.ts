/**
 * Another Confluent client, by hand: registry calls with fetch, bytes with avsc and the
 * wire format (magic 0, a 4-byte schema id, the Avro body), no sluice code, so a test
 * checks sluice against the format rather than against itself.
 */
import avro from 'avsc';

const MEDIA = 'application/vnd.schemaregistry.v1+json';

/** Registers `schema` under `subject` of the registry at `url` (a Confluent REST API base); its global id. */
export async function registerByHand(url: string, subject: string, schema: object): Promise<number> {
  const res = await fetch(`${url}/subjects/${subject}/versions`, { method: 'POST', headers: { 'content-type': MEDIA }, body: JSON.stringify({ schema: JSON.stringify(schema) }) });
  if (!res.ok) throw new Error(`${url}: registering ${subject} answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { id: number }).id;
}

/** The schema with global id `id`, parsed. */
export async function schemaByHand(url: string, id: number): Promise<unknown> {
  const res = await fetch(`${url}/schemas/ids/${id}`);
  if (!res.ok) throw new Error(`${url}: schema id ${id} answered ${res.status}: ${await res.text()}`);
  return JSON.parse(((await res.json()) as { schema: string }).schema);
}

export function confluentBytes(id: number, schema: object, value: unknown): Buffer {
  const head = Buffer.alloc(5);
  head.writeUInt32BE(id, 1);
  return Buffer.concat([head, avro.Type.forSchema(schema as avro.Schema).toBuffer(value)]);
}

/** `bytes` in the wire format, its writer schema fetched from `url` by id, read as `reader`. */
export async function decodeByHand(url: string, bytes: Buffer, reader: object): Promise<unknown> {
  if (bytes[0] !== 0) throw new Error(`not the Confluent wire format: magic byte ${bytes[0]}`);
  const writer = avro.Type.forSchema((await schemaByHand(url, bytes.readUInt32BE(1))) as avro.Schema);
  const type = avro.Type.forSchema(reader as avro.Schema);
  return type.fromBuffer(bytes.subarray(5), type.createResolver(writer));
}
