/**
 * `--namespace NAME`: every topic and consumer group of the run gets `NAME.`
 * in front. Users write `--namespace demo1` and mean `demo1.clicks`; a
 * trailing dot (`demo1.`, the form the library's raw prefix takes) is
 * accepted as the same, never doubled.
 */
import { ErrorCodes, SluiceError } from '../core/index.ts';

/** The characters a Kafka topic name may hold; the namespace becomes part of every one. */
const NAME = /^[A-Za-z0-9._-]+$/;

export const NAMESPACE_HELP = 'prefix every topic and consumer group name with NAME. (`demo1` and `demo1.` both give demo1.<topic>)';

/** For commands that look at a topology run elsewhere: they name its topics as that run does. */
export const RUN_NAMESPACE_HELP = 'the namespace the topology runs under (as given to sluice run)';

/** The prefix for `--namespace text`. */
export function namespacePrefix(text: string): string {
  if (!NAME.test(text) || /^\.+$/.test(text)) {
    throw new SluiceError(ErrorCodes.CLI_USAGE, `--namespace takes letters, digits, '.', '_' and '-' (it starts every topic name), got \`${text}\``);
  }
  return text.endsWith('.') ? text : `${text}.`;
}

/** Plan options for `--namespace` as given: none without it. */
export function namespaceOption(text: string | undefined): { namespace?: string } {
  return text === undefined ? {} : { namespace: namespacePrefix(text) };
}
