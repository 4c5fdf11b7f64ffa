import { z } from 'zod';

/**
 * Schema facts the topology validator uses to word its messages, kept out of
 * the published JSON Schema: `noun` names what the keys of a one-key object
 * choose (a processor, a source kind), so an unknown key reads as
 * "unknown processor `filtr`" rather than "unknown key".
 */
export const choiceRegistry = z.registry<{ noun: string }>();
