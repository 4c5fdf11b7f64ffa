/** The scenarios of `npm run bench`, in the order they run (latency and backpressure take their rate from one-hop's result). */
export interface ScenarioInfo {
  name: string;
  /** Its number in issue 8, where it has one. */
  issue?: number;
  kafka: boolean;
  /** Not in a plain `npm run bench`: run it by name. */
  onRequest?: boolean;
}

export const suite: readonly ScenarioInfo[] = [
  { name: 'codecs', issue: 1, kafka: false },
  { name: 'publish', issue: 2, kafka: true },
  { name: 'one-hop', issue: 3, kafka: true },
  { name: 'three-stage', issue: 4, kafka: true },
  { name: 'latency', issue: 5, kafka: true },
  { name: 'backpressure', issue: 6, kafka: true },
  { name: 'exactly-once', issue: 7, kafka: true },
  { name: 'embedded', issue: 8, kafka: true },
  { name: 'processors', kafka: false },
  { name: 'monitor', kafka: true, onRequest: true },
  { name: 'clients', kafka: true, onRequest: true },
  { name: 'state-restore', kafka: true },
  { name: 'kafka-streams', kafka: true },
  { name: 'kafka-streams-join', kafka: true },
];
