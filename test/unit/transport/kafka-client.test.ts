/** Which Kafka client a transport uses: the option, else SLUICE_KAFKA_CLIENT, else platformatic; anything else is refused. */
import { describe, expect, it } from 'vitest';
import { kafkaClient } from '../../../src/transport/index.ts';

describe('kafkaClient', () => {
  it('is platformatic by default, the environment’s choice without an option, and the option’s over the environment', () => {
    expect(kafkaClient({}, {})).toBe('platformatic');
    expect(kafkaClient({}, { SLUICE_KAFKA_CLIENT: '' })).toBe('platformatic');
    expect(kafkaClient({}, { SLUICE_KAFKA_CLIENT: 'kafkajs' })).toBe('kafkajs');
    expect(kafkaClient({ client: 'platformatic' }, { SLUICE_KAFKA_CLIENT: 'kafkajs' })).toBe('platformatic');
  });

  it('refuses an unknown client with CONFIG_INVALID naming where it came from', () => {
    expect(() => kafkaClient({}, { SLUICE_KAFKA_CLIENT: 'rdkafka' })).toThrow(
      expect.objectContaining({ code: 'SLUICE_ERR_CONFIG_INVALID', message: expect.stringContaining('SLUICE_KAFKA_CLIENT') }),
    );
  });
});
