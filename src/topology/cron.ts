/**
 * Cron patterns are read by croner, the library that runs them, with the
 * same options at validation and at run time, so a schedule `sluice
 * validate` accepts is one `sluice run` can start.
 */
import { Cron, type CronOptions } from 'croner';

/** 5 fields (minute hour day month weekday), or 6 with seconds first. Pass a copy: croner writes its defaults into the object. */
export const cronOptions: Readonly<CronOptions> = Object.freeze({ mode: '5-or-6-parts' });

/** Why `pattern` is not a schedule (croner's reason, or that it never fires); undefined when it is one. */
export function cronProblem(pattern: string): string | undefined {
  let cron: Cron;
  try {
    // Without a function croner only parses: nothing is scheduled.
    cron = new Cron(pattern, { ...cronOptions });
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  const next = cron.nextRun();
  cron.stop();
  return next === null ? 'it never fires (no date matches it)' : undefined;
}
