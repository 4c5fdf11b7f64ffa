/**
 * The client's group member, except that a rejoin can be held back. When a
 * heartbeat answers REBALANCE_IN_PROGRESS the client sends JoinGroup at once,
 * and the partitions' new owners read from the committed offsets as soon as
 * the group has joined: whatever this member finished since its last commit
 * is read twice (its commits after the join are refused, as the partitions
 * are no longer its own). Held, the group waits for this member (up to the
 * rebalance timeout) while it commits, as it waits for kafkajs' batch handler.
 * The client asks for the JoinGroup API just before it sends the request, so
 * that is where the hold waits.
 */
import { Consumer, kGetApi, type API, type Callback } from '@platformatic/kafka';

export class HeldRejoinConsumer extends Consumer<Buffer, Buffer, Buffer, Buffer> {
  #hold: Promise<void> | undefined;

  /** The next JoinGroup waits until `until` settles, `maxMs` at most; a hold already set stays. */
  holdRejoin(until: Promise<unknown>, maxMs: number): void {
    if (this.#hold !== undefined) return;
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => (timer = setTimeout(resolve, maxMs)));
    this.#hold = Promise.race([until.then(() => undefined, () => undefined), bound]).finally(() => clearTimeout(timer));
  }

  override [kGetApi]<RequestArguments extends Array<unknown>, ResponseType>(name: string, callback: Callback<API<RequestArguments, ResponseType>>): void {
    const hold = name === 'JoinGroup' ? this.#hold : undefined;
    if (hold === undefined) {
      super[kGetApi](name, callback);
      return;
    }
    this.#hold = undefined;
    void hold.then(() => super[kGetApi](name, callback));
  }
}
