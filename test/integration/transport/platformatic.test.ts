import { createClusterAdmin } from '../../../src/transport/index.ts';
import { silentLogger } from '../../../src/core/index.ts';
import { brokers } from '../harness/kafka.ts';
import { transportContract } from './contract.ts';
import { kafkaDriverContract, kafkaTransport } from './kafka-contract.ts';

transportContract('platformatic', {
  transport: () => kafkaTransport('platformatic'),
  admin: () => createClusterAdmin({ brokers: brokers(), clientId: 'sluice-contract-admin', logger: silentLogger, client: 'platformatic' }),
});
kafkaDriverContract('platformatic');
