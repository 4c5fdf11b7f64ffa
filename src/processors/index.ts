/**
 * Processors: the contract for user code (defineProcessor, defineAggregator),
 * built-in steps compiled from declarative config, window assignment, and
 * loading user modules. Running them in streams is the runtime's job.
 */
export {
  defineProcessor,
  defineAggregator,
  isProcessor,
  isAggregator,
  emit,
  Emit,
  retriable,
  type Processor,
  type ProcessorFn,
  type ProcessorContext,
  type ProcessorOutput,
  type Aggregator,
  type AggregatorSpec,
} from './define.ts';
export { FieldPathSchema, compileFieldPath, isForbiddenKey, type FieldGetter } from './field.ts';
export { PredicateSchema, compilePredicate, describePredicate, type Predicate, type Comparisons, type Scalar } from './predicate.ts';
export { DurationSchema, PositiveDurationSchema, RateSchema, parseDuration, parseRate, formatDuration } from './duration.ts';
export { ModuleRefSchema, type ModuleRef } from './module-ref.ts';
export {
  TableJoinStepSchema,
  StreamJoinNodeSchema,
  JOIN_ON_KEY,
  compileJoinKey,
  isJoinable,
  joinKeyText,
  joinLabel,
  joinValue,
  streamJoinKinds,
  tableJoinKinds,
  type JoinKeyOf,
  type JoinSpec,
  type StreamJoinKind,
  type StreamJoinSpec,
  type TableJoinKind,
  type TableJoinSpec,
} from './join.ts';
export { StepSchema, stepKinds, type Step, type BuiltinStep, type MapSpec } from './steps.ts';
export { compileProcessor, chainSteps, type CompiledStep } from './compile.ts';
export { BranchSchema, RouteSchema, compileBranch, type Route } from './branch.ts';
export {
  WindowConfigSchema,
  windowsFor,
  isWindowClosed,
  builtinAggregates,
  MAX_WINDOWS_PER_RECORD,
  type WindowSpec,
  type AggregateSpec,
  type BuiltinAggregate,
  type WindowedAggregate,
  type WindowResult,
  type TimeWindow,
} from './window.ts';
export { builtinAggregator } from './aggregate.ts';
export { checkModuleFile, loadProcessorModule, loadAggregatorModule, moduleExtensions } from './load.ts';
export { resolveInside, realpathSoFar, type Confined } from './paths.ts';
export { wrapProcessor, type UserStep } from './user.ts';
export { choiceRegistry } from './config-meta.ts';
