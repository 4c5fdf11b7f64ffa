import { createClusterAdmin } from '../../../src/transport/index.ts';
import { silentLogger } from '../../../src/core/index.ts';
import { brokers } from '../harness/kafka.ts';
import { transportContract } from './contract.ts';
import { kafkaDriverContract, kafkaTransport } from './kafka-contract.ts';

export const KAFKAJS_PAUSE_THROUGH_REBALANCES =
  'a full source keeps its member, partitions and bound through two rebalances, then delivers every record once in order';
export const KAFKAJS_REFUSED_PARTITION = 'refuses a record for a partition that does not exist and writes none of its batch';

transportContract('kafkajs', {
  transport: () => kafkaTransport('kafkajs'),
  knownGaps: {
    // kafka/assigner.ts sizes the assignment from the topics kafkajs hands the leader, which are the
    // leader's own: a member subscribed to another topic gets none of it.
    [KAFKAJS_PAUSE_THROUGH_REBALANCES]: 'kafkajs assigner ignores topics only other members subscribe to',
    // kafkajs' sendBatch resolves for a partition the topic does not have.
    [KAFKAJS_REFUSED_PARTITION]: 'kafkajs accepts a record for a partition that does not exist',
  },
  admin: () => createClusterAdmin({ brokers: brokers(), clientId: 'sluice-contract-admin', logger: silentLogger, client: 'kafkajs' }),
});
kafkaDriverContract('kafkajs');
