/**
 * Topology: a file → a validated, immutable description of the graph, plus
 * the checks on it and its pictures. Pure apart from reading the files the
 * topology names; nothing here starts a stream.
 */
export { loadTopology, validateTopologyFile, DEFAULT_MAX_BYTES, type LoadOptions, type ValidationResult } from './load.ts';
export { TopologyValidationError, formatProblem, formatPath, type Problem, type PathSegment, type Finding } from './problems.ts';
export type {
  Topology,
  TopologyNode,
  TopicSpec,
  SchemaRef,
  NodeInput,
  HttpInput,
  NodeOutput,
  Encoding,
  RetrySpec,
  Trigger,
  KafkaConfig,
  SchemaRegistryConfig,
  Compression,
  Guarantee,
  Vertex,
  VertexKind,
  Edge,
  EdgeKind,
} from './model.ts';
export { TopologyFileSchema, NodeSchema, TopicNameSchema, CodecChainSchema, fileFormats, sinkModes, type FileFormat, type SinkMode, type TopologyFile } from './schema.ts';
export {
  checkGraph,
  checkCycles,
  checkDuplicateIds,
  checkReachable,
  checkUnknownTopics,
  checkTopicCollisions,
  logicalGraph,
  vertexId,
  type GraphProblem,
  type GraphNode,
  type GraphTopic,
} from './graph.ts';
export { cronOptions, cronProblem } from './cron.ts';
export { interpolateEnv, defaultEnvLimits, type Env, type EnvIssue, type EnvLimits } from './env.ts';
export { parseYaml, defaultYamlLimits, type YamlLimits, type ParsedYaml } from './yaml.ts';
export { Reporter, offsetAt } from './reporter.ts';
export { mapZodIssues } from './issues.ts';
export { editDistance, closest, didYouMean } from './suggest.ts';
export { renderGraph, renderDot, renderMermaid, renderSvg, sceneOf, mermaidId, graphFormats, type GraphFormat, type Scene, type SceneVertex } from './render/index.ts';
export { topologyJsonSchema, topologyJsonSchemaText, SCHEMA_ID } from './json-schema.ts';
export { namespaced } from './namespace.ts';
export { checkJoins, joinsOf, tablesOf } from './copartition.ts';
export { expandRepartitions, repartitionTopicOf, needsRepartition } from './repartition.ts';
export {
  physicalTopology,
  addInternalTopics,
  changelogTopicOf,
  sourceOffsetsTopicOf,
  keepsSourcePosition,
  storesOf,
  taskCountOf,
  AGGREGATE_STORE,
  JOIN_STORE,
} from './physical.ts';
