/**
 * A transport or cluster admin whose module loads on first use. Importing
 * @platformatic/kafka costs about 0.75 s of CPU (ajv compiling its option
 * schemas), which every `sluice` process paid at start whatever client it ran
 * on, the embedded default included.
 */

type Async<T> = { [K in keyof T]: T[K] extends (...args: never[]) => Promise<unknown> ? T[K] : never };

/**
 * Every member but those in `known` must be a method returning a promise:
 * each call waits for the load, then goes to the loaded object. A close
 * before any use loads nothing.
 */
export function loadOnFirstUse<T extends { close(): Promise<void> }>(known: Partial<T>, load: () => Promise<T>): T {
  let loaded: Promise<T> | undefined;
  return new Proxy(known, {
    get(target, name) {
      if (name in target) return target[name as keyof T];
      if (name === 'then') return undefined;
      if (name === 'close' && loaded === undefined) return async () => {};
      return async (...args: unknown[]) => {
        const real = (await (loaded ??= load())) as Async<T>;
        return (real[name as keyof T] as (...a: unknown[]) => Promise<unknown>).apply(real, args);
      };
    },
  }) as T;
}
