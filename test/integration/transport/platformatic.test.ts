import { silentLogger } from '../../../src/core/index.ts';
import { createTransport, type Transport } from '../../../src/transport/index.ts';
import { brokers } from '../harness/kafka.ts';
import { transportContract } from './contract.ts';

const platformaticTransport = (): Transport =>
  createTransport({ brokers: brokers(), clientId: 'sluice-contract', logger: silentLogger, client: 'platformatic' });

transportContract('platformatic', { transport: platformaticTransport });
