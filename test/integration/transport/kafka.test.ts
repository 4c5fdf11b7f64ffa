import { createClusterAdmin } from '../../../src/transport/index.ts';
import { silentLogger } from '../../../src/core/index.ts';
import { brokers } from '../harness/kafka.ts';
import { transportContract } from './contract.ts';
import { kafkaDriverContract, kafkaTransport } from './kafka-contract.ts';

transportContract('kafkajs', {
  transport: () => kafkaTransport('kafkajs'),
  admin: () => createClusterAdmin({ brokers: brokers(), clientId: 'sluice-contract-admin', logger: silentLogger, client: 'kafkajs' }),
});
kafkaDriverContract('kafkajs');
