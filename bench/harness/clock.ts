/** Wall clock and this process's CPU time together: on a shared machine the CPU time is what a core really gave. */

export interface Clock {
  wall: number;
  cpu: NodeJS.CpuUsage;
}

export interface Elapsed {
  seconds: number;
  /** User + system CPU seconds of this process (V8's GC threads included, so it errs high). */
  cpuSeconds: number;
}

export function startClock(): Clock {
  return { wall: performance.now(), cpu: process.cpuUsage() };
}

export function elapsed(clock: Clock): Elapsed {
  const cpu = process.cpuUsage(clock.cpu);
  return { seconds: (performance.now() - clock.wall) / 1_000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}
