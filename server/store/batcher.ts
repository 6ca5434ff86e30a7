/**
 * Adaptive batching: a call goes out at once when nothing is in flight;
 * calls made while one is in flight wait for it and then go out together.
 *
 * A lone caller pays no added latency; under load, batches grow by
 * themselves, and the store pays its per-call cost (a Lua script's set-up)
 * once per batch instead of once per job. Group commit, as databases do it.
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

  /**
   * `run` gets the inputs of a batch and returns their outputs in the same
   * order; if it throws, every call of the batch rejects with that error.
   */
  constructor(run: (inputs: In[]) => Promise<Out[]>, maxBatch = 500, maxInFlight = 1) {
    this.#run = run;
    this.#maxBatch = maxBatch;
    this.#maxInFlight = maxInFlight;
  }

  /** Adds one call; resolves with its output. */
  call(input: In): Promise<Out> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ input, resolve, reject });
      if (this.#inFlight < this.#maxInFlight) this.#send();
    });
  }

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
