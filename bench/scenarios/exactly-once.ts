/**
 * Scenario 7, the cost of exactly-once: the one-hop stage of scenario 3 with
 * `guarantee: exactly-once` (a transactional producer per input partition,
 * outputs and offsets committed in one transaction) against the same stage
 * at-least-once, over the same input topic.
 *
 *     npx tsx bench/scenarios/exactly-once.ts [--quick] [--rounds 5] [--records 100000]
 */
import { createCodecChain } from '../../src/codecs/index.ts';
import { scenarioArgs } from '../harness/args.ts';
import { brokerVersion, fillWithEvents, freshName } from '../harness/kafka.ts';
import { machine } from '../harness/machine.ts';
import { eventSchema, meanAvroBytes } from '../harness/records.ts';
import { finish, versus } from '../harness/report.ts';
import { alternate, type Sample } from '../harness/rounds.ts';
import { hopTopology, kafkaTransport, runTopology } from '../harness/topology.ts';

const args = scenarioArgs({ records: { full: 100_000, quick: 20_000 }, partitions: { full: 3, quick: 3 } });
const N = args.records;
const P = args.partitions;
const machineInfo = machine(brokerVersion());

const input = freshName('exactly-once.in');
await fillWithEvents(input, P, N, createCodecChain('avro', { schema: eventSchema() }));

function round(guarantee: 'at-least-once' | 'exactly-once') {
  return async (): Promise<Sample> => {
    const transport = kafkaTransport();
    try {
      const dir = hopTopology({ from: input, to: freshName('exactly-once.out'), partitions: P, guarantee });
      const { run, throughput } = await runTopology(dir, { transport, counted: 'hop', total: N });
      // A stage that cannot run exactly-once says so and runs at-least-once: that would measure nothing.
      if (run.stages[0]!.exactlyOnce !== (guarantee === 'exactly-once')) throw new Error(`the stage did not run ${guarantee}`);
      return { ...throughput };
    } finally {
      await transport.close();
    }
  };
}

const rounds = await alternate(
  [
    { name: 'exactly-once', round: round('exactly-once') },
    { name: 'at-least-once', round: round('at-least-once') },
  ],
  { rounds: args.rounds },
);

finish({
  scenario: 'exactly-once',
  title: 'exactly-once vs at-least-once: the one-hop stage with transactions',
  machine: machineInfo,
  quick: args.quick,
  params: { records: N, partitions: P, rounds: args.rounds, avroBytesPerRecord: meanAvroBytes(), measure: 'records/s acknowledged (committed) between 10% and 90% of the run' },
  rows: [
    versus('records/s through the hop', 'records/s', rounds['exactly-once']!.median.recordsPerSecond!, 'at-least-once', rounds['at-least-once']!.median.recordsPerSecond!, { min: 0.6 }),
    versus('CPU of the process per record (lower is leaner)', 'µs', rounds['exactly-once']!.median.cpuMicrosPerRecord!, 'at-least-once', rounds['at-least-once']!.median.cpuMicrosPerRecord!),
  ],
  rounds,
});
