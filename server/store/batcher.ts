/**
 * Adaptive batching: calls made in the same turn go out together at its end
 * (a microtask later) when nothing is in flight; calls made while batches
 * are in flight wait for one to return and then go out together.
 *
 * A lone caller pays no added latency; under load, batches grow by
 * themselves, and the store pays its per-call cost (a Lua script's set-up)
 * once per batch instead of once per job. Group commit, as databases do it.
 * Waiting for the end of the turn matters when many jobs end at once: sent
 * at once, the first outcome would go alone and the others after it.
 *
 * @module
 */

interface Pending<In, Out> {
  input: In;
  resolve: (out: Out) => void;
  reject: (error: unknown) => void;
}

/** Coalesces concurrent calls into batches run one (or a few) at a time. */
export class Batcher<In, Out> {
  readonly #run: (inputs: In[]) => Promise<Out[]>;
  readonly #maxBatch: number;
  readonly #maxInFlight: number;
  #queue: Pending<In, Out>[] = [];
  #inFlight = 0;
  #scheduled = false;

  /**
   * `run` gets the inputs of a batch and returns their outputs in the same
   * order; if it throws, every call of the batch rejects with that error.
   */
  constructor(
    run: (inputs: In[]) => Promise<Out[]>,
    maxBatch = 500,
    maxInFlight = 1,
  ) {
    this.#run = run;
    this.#maxBatch = maxBatch;
    this.#maxInFlight = maxInFlight;
  }

  /** Adds one call; resolves with its output. */
  call(input: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ input, resolve, reject });
      if (!this.#scheduled && this.#inFlight < this.#maxInFlight) {
        // Calls made in the same turn (one per job of a batch that just ran) go out together.
        this.#scheduled = true;
        queueMicrotask(this.#flush);
      }
    });
  }

  readonly #flush = (): void => {
    this.#scheduled = false;
    if (this.#inFlight < this.#maxInFlight) this.#send();
  };

  #send(): void {
    const batch = this.#queue.splice(0, this.#maxBatch);
    if (batch.length === 0) return;
    this.#inFlight++;
    this.#run(batch.map((p) => p.input)).then(
      (outputs) => batch.forEach((p, i) => p.resolve(outputs[i])),
      (error) => batch.forEach((p) => p.reject(error)),
    ).finally(() => {
      this.#inFlight--;
      if (this.#queue.length) this.#send();
    });
  }
}
