/** The @platformatic/kafka clients' shared settings: security from `KafkaSecurity`, and how long they wait between retries. */
import { AuthenticationError, NetworkError } from '@platformatic/kafka';
import { describe, expect, it } from 'vitest';
import { platformaticSecurity, retryDelay } from '../../../src/transport/platformatic/client.ts';

describe('platformatic client settings', () => {
  it('maps TLS and each SASL mechanism to the client’s names; an empty TLS block is TLS with the system CAs', () => {
    expect(platformaticSecurity(undefined)).toEqual({});
    expect(platformaticSecurity({ tls: {} })).toEqual({ tls: {} });
    expect(platformaticSecurity({ tls: { ca: ['PEM'] }, sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' } })).toEqual({
      tls: { ca: ['PEM'] },
      sasl: { mechanism: 'SCRAM-SHA-512', username: 'u', password: 'p' },
    });
    expect(platformaticSecurity({ sasl: { mechanism: 'plain', username: 'u', password: 'p' } }).sasl?.mechanism).toBe('PLAIN');
    expect(platformaticSecurity({ sasl: { mechanism: 'scram-sha-256', username: 'u', password: 'p' } }).sasl?.mechanism).toBe('SCRAM-SHA-256');
  });

  it('backs off 250 ms doubling to 3 s for a broker that is away, and retries refused credentials at once', () => {
    const away = new NetworkError('Connection to 127.0.0.1:1 failed.');
    expect([1, 2, 3, 4, 5, 6].map((attempt) => retryDelay(undefined, 'metadata', attempt, 6, away))).toEqual([250, 500, 1_000, 2_000, 3_000, 3_000]);
    const refused = new NetworkError('Connection to 127.0.0.1:9093 failed.', { cause: new AuthenticationError('SASL authentication failed.') });
    expect(retryDelay(undefined, 'metadata', 1, 6, refused)).toBe(0);
  });
});
