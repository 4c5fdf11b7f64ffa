/**
 * `sluice schemas check`: every Avro topic's schema against the registry's
 * compatibility check for its subject, before a deploy registers it for real.
 */
import { loadSchemaFile, parseCodecChain } from '../../codecs/index.ts';
import type { Topology } from '../../topology/index.ts';
import type { SchemaRegistryClient } from './client.ts';
import { subjectName } from './schemas.ts';

export interface SubjectCheck {
  topic: string;
  subject: string;
  schema: string;
  compatible: boolean;
  messages: string[];
}

export async function checkTopicSchemas(topology: Topology, client: SchemaRegistryClient): Promise<SubjectCheck[]> {
  const strategy = topology.schemaRegistry?.subject ?? 'topic';
  const checks: SubjectCheck[] = [];
  for (const topic of Object.values(topology.topics)) {
    if (topic.schema === undefined || !parseCodecChain(topic.codec)[0]!.startsWith('avro')) continue;
    const ref = topology.schemas[topic.schema]!;
    const schema = await loadSchemaFile(ref.path);
    const subject = subjectName(strategy, topic.name, schema);
    const result = await client.checkCompatibility(subject, JSON.stringify(schema.json));
    checks.push({ topic: topic.name, subject, schema: topic.schema, ...result });
  }
  return checks;
}
