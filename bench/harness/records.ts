/**
 * The records every scenario moves unless it says otherwise: ~256 bytes of
 * Avro for a web-shop event (strings, ints, a timestamp-millis, an enum and
 * optional fields), with deterministic values so every run and every
 * contender encodes the same bytes.
 */
import { schemaFromJson, type LoadedSchema } from '../../src/codecs/index.ts';

export const eventSchemaJson = {
  type: 'record',
  name: 'ShopEvent',
  namespace: 'bench',
  fields: [
    { name: 'id', type: 'long' },
    { name: 'at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'user', type: 'string' },
    { name: 'email', type: 'string' },
    { name: 'country', type: 'string' },
    { name: 'kind', type: { type: 'enum', name: 'Kind', symbols: ['VIEW', 'CLICK', 'CART', 'BUY', 'REFUND'] } },
    { name: 'quantity', type: 'int' },
    { name: 'cents', type: 'int' },
    { name: 'session', type: 'string' },
    { name: 'page', type: 'string' },
    { name: 'product', type: 'string' },
    { name: 'referrer', type: ['null', 'string'], default: null },
    { name: 'agent', type: 'string' },
    { name: 'coupon', type: ['null', 'string'], default: null },
    { name: 'region', type: ['null', 'string'], default: null },
  ],
} as const;

export interface ShopEvent {
  id: number;
  at: number;
  user: string;
  email: string;
  country: string;
  kind: 'VIEW' | 'CLICK' | 'CART' | 'BUY' | 'REFUND';
  quantity: number;
  cents: number;
  session: string;
  page: string;
  product: string;
  referrer: string | null;
  agent: string;
  coupon: string | null;
  region: string | null;
}

export function eventSchema(): LoadedSchema {
  return schemaFromJson(eventSchemaJson);
}

/** mulberry32: a tiny seeded generator, so values are the same in every run. */
export function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const names = ['ana', 'bo', 'chen', 'dara', 'eli', 'femi', 'gus', 'hana', 'ivo', 'jun', 'kofi', 'lena'];
const domains = ['example.com', 'mail.test', 'corp.example', 'shop.example.org'];
const countries = ['DE', 'FR', 'US', 'CN', 'BR', 'IN', 'JP', 'NG', 'MX'];
const kinds = ['VIEW', 'CLICK', 'CART', 'BUY', 'REFUND'] as const;
const pages = ['/home', '/cart', '/checkout/payment', '/search?q=running+shoes&page=2', '/category/outdoor/tents'];
const products = ['Trail Runner 3 GTX, size 42', 'Ultralight tent, 2 person', 'Merino base layer (M)', 'Headlamp 400 lm, USB-C'];
const referrers = [null, 'https://www.example.com/landing/spring-sale', 'https://search.example.org/?q=tent', null];
const agents = [
  'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/124.0 Mobile',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 Safari/604.1',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/124.0 Edg/124.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 Version/17.4 Safari',
];
const coupons = [null, null, null, 'SPRING24', 'WELCOME10'];
const regions = [null, 'eu-west', 'us-east', 'ap-south'];

/** The `i`th event of the deterministic stream (`start`: its first timestamp). */
export function makeEvents(count: number, first = 0, start = 1_714_564_800_000): ShopEvent[] {
  const random = rng(42 + first);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const out = new Array<ShopEvent>(count);
  for (let n = 0; n < count; n++) {
    const i = first + n;
    const user = `${pick(names)}.${Math.floor(random() * 100_000)}`;
    out[n] = {
      id: 10_000_000 + i,
      at: start + i * 13 + Math.floor(random() * 10),
      user,
      email: `${user}@${pick(domains)}`,
      country: pick(countries),
      kind: pick(kinds),
      quantity: 1 + Math.floor(random() * 5),
      cents: Math.floor(random() * 250_000),
      session: Math.floor(random() * 2 ** 48).toString(16).padStart(12, '0') + Math.floor(random() * 2 ** 48).toString(16).padStart(12, '0'),
      page: pick(pages),
      product: `sku-${Math.floor(random() * 1_000_000)} ${pick(products)}`,
      referrer: pick(referrers),
      agent: pick(agents),
      coupon: pick(coupons),
      region: pick(regions),
    };
  }
  return out;
}

/**
 * The map of the one-hop scenarios, shared by sluice's processor module and
 * the hand-written baselines so both do exactly the same work per record.
 */
export function enrich(event: ShopEvent): ShopEvent {
  return {
    ...event,
    email: event.email.toLowerCase(),
    cents: event.kind === 'REFUND' ? -event.cents : event.cents,
    region: event.region ?? (event.country === 'US' || event.country === 'MX' || event.country === 'BR' ? 'americas' : 'rest'),
  };
}

/** Mean Avro size of the first 10,000 events: the record size every result states. */
export function meanAvroBytes(): number {
  const { type } = eventSchema();
  const events = makeEvents(10_000);
  return Number((events.reduce((sum, e) => sum + type.toBuffer(e).length, 0) / events.length).toFixed(1));
}
