/** Which Kafka client a transport uses: the option, else SLUICE_KAFKA_CLIENT, else kafkajs; anything else is refused. */
import { describe, expect, it } from 'vitest';
import { kafkaClient } from '../../../src/transport/index.ts';

describe('kafkaClient', () => {
  it('is kafkajs by default, the environment’s choice without an option, and the option’s over the environment', () => {
    expect(kafkaClient({}, {})).toBe('kafkajs');
    expect(kafkaClient({}, { SLUICE_KAFKA_CLIENT: '' })).toBe('kafkajs');
    expect(kafkaClient({}, { SLUICE_KAFKA_CLIENT: 'platformatic' })).toBe('platformatic');
    expect(kafkaClient({ client: 'kafkajs' }, { SLUICE_KAFKA_CLIENT: 'platformatic' })).toBe('kafkajs');
  });

  it('refuses an unknown client with CONFIG_INVALID naming where it came from', () => {
    expect(() => kafkaClient({}, { SLUICE_KAFKA_CLIENT: 'rdkafka' })).toThrow(
      expect.objectContaining({ code: 'SLUICE_ERR_CONFIG_INVALID', message: expect.stringContaining('SLUICE_KAFKA_CLIENT') }),
    );
  });
});
