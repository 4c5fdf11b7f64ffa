/**
 * Routing by predicate: a node's `branch:` sends each record to the topic of
 * the first route whose `when` matches; a route without `when` takes the rest.
 */
import { z } from 'zod';
import { PredicateSchema, compilePredicate, type Predicate } from './predicate.ts';

export interface Route {
  /** Absent on the final catch-all route. */
  readonly when?: Predicate;
  readonly to: string;
}

export const RouteSchema = z
  .strictObject({
    when: PredicateSchema.optional().meta({ description: 'Records matching this go to `to`; omit on the last route to catch the rest.' }),
    to: z.string().min(1).meta({ description: 'The topic these records are written to.' }),
  })
  .transform((r): Route => (r.when !== undefined ? { when: r.when, to: r.to } : { to: r.to }));

export const BranchSchema = z
  .array(RouteSchema)
  .min(1)
  .superRefine((routes, ctx) => {
    routes.forEach((r, i) => {
      if (r.when === undefined && i !== routes.length - 1) {
        ctx.addIssue({ code: 'custom', path: [i], message: 'only the last route may omit `when`; the routes after it would never be taken' });
      }
    });
  })
  .meta({ description: 'Route each record to the first matching route’s topic (records matching none are dropped).' });

/** The destination topic for a record value, or undefined when no route takes it. */
export function compileBranch(routes: readonly Route[]): (value: unknown) => string | undefined {
  const tests = routes.map((r) => (r.when === undefined ? () => true : compilePredicate(r.when)));
  const topics = routes.map((r) => r.to);
  return (value) => {
    for (let i = 0; i < tests.length; i++) if ((tests[i] as (v: unknown) => boolean)(value)) return topics[i];
    return undefined;
  };
}
