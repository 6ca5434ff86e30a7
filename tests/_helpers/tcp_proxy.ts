/**
 * A TCP proxy a test puts between a client and a server, to break the link
 * on purpose: lose an answer (the request reaches the server and is carried
 * out, its answer is held back, and the connection is then cut, as a server
 * killed right after a write looks to the client), or cut one connection
 * and keep it from coming back for a while, as a network partition would.
 *
 * @module
 */

/** One proxied connection: the client's side and the server's. */
interface Link {
  client: Deno.Conn;
  server: Deno.Conn;
  /** Once set, what the server sends is held, not passed on. */
  holding: boolean;
  /** The start of what the client sent (to tell connections apart by their first commands). */
  head: string;
}

/** How much of what a client sends is kept to tell its connection by. */
const HEAD_CHARS = 64 * 1024;

/** Forwards connections from its own port to `target`, and can hold one answer back. */
export class TcpProxy {
  readonly port: number;
  readonly #listener: Deno.Listener;
  readonly #target: number;
  readonly #links = new Set<Link>();
  readonly #pumps = new Set<Promise<void>>();
  #armed: Uint8Array | null = null;
  #held: Link | null = null;
  #onHold: (() => void) | null = null;
  #refusing = false;

  constructor(target: number) {
    this.#target = target;
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.port = (this.#listener.addr as Deno.NetAddr).port;
    this.#track(this.#accept());
  }

  #track(pump: Promise<void>): void {
    this.#pumps.add(pump);
    pump.finally(() => this.#pumps.delete(pump));
  }

  async #accept(): Promise<void> {
    try {
      for await (const client of this.#listener) {
        if (this.#refusing) {
          client.close();
          continue;
        }
        let server: Deno.Conn;
        try {
          server = await Deno.connect({ hostname: "127.0.0.1", port: this.#target });
        } catch {
          client.close(); // The server is down: so is the link.
          continue;
        }
        const link: Link = { client, server, holding: false, head: "" };
        this.#links.add(link);
        this.#track(this.#pump(link, client, server, true));
        this.#track(this.#pump(link, server, client, false));
      }
    } catch {
      // The listener was closed.
    }
  }

  async #pump(link: Link, from: Deno.Conn, to: Deno.Conn, upstream: boolean): Promise<void> {
    const buf = new Uint8Array(64 * 1024);
    try {
      for (let n; (n = await from.read(buf)) !== null;) {
        const chunk = buf.subarray(0, n);
        if (!upstream && link.holding) continue;
        if (upstream && link.head.length < HEAD_CHARS) {
          link.head += latin1.decode(chunk.subarray(0, HEAD_CHARS - link.head.length));
        }
        // Held from the request on: what the server answers after it never arrives.
        if (upstream && this.#armed && contains(chunk, this.#armed)) {
          this.#armed = null;
          link.holding = true;
          this.#held = link;
          this.#onHold?.();
        }
        for (let off = 0; off < chunk.length;) off += await to.write(chunk.subarray(off));
      }
    } catch {
      // The other side went, or the test cut the link.
    }
    this.#close(link);
  }

  #close(link: Link): void {
    if (!this.#links.delete(link)) return;
    for (const conn of [link.client, link.server]) {
      try {
        conn.close();
      } catch {
        // closed already
      }
    }
  }

  /**
   * Holds back everything the server answers on the next connection whose
   * request contains `marker`, from that request on; resolves once such a
   * request went through to the server.
   */
  holdAfter(marker: string): Promise<void> {
    this.#armed = new TextEncoder().encode(marker);
    return new Promise((resolve) => (this.#onHold = resolve));
  }

  /** Cuts the connection whose answers are held: its client sees it drop. */
  cut(): void {
    if (this.#held) this.#close(this.#held);
    this.#held = null;
  }

  /**
   * Cuts every connection whose client sent `marker` (a command's name, say:
   * in any case, as Redis takes them).
   */
  cutWhere(marker: string): number {
    const wanted = marker.toLowerCase();
    const links = [...this.#links].filter((link) => link.head.toLowerCase().includes(wanted));
    for (const link of links) this.#close(link);
    return links.length;
  }

  /** Whether new connections are closed as soon as they come (a partition), or served. */
  refuse(refusing: boolean): void {
    this.#refusing = refusing;
  }

  /** Closes every connection and stops listening. */
  async close(): Promise<void> {
    this.#listener.close();
    for (const link of [...this.#links]) this.#close(link);
    await Promise.allSettled([...this.#pumps]);
  }
}

const latin1 = new TextDecoder("latin1");

/** Whether `haystack` contains the bytes of `needle`. */
function contains(haystack: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= haystack.length; i++) {
    for (let j = 0; j < needle.length; j++) {
      if (haystack[i + j] !== needle[j]) continue outer;
    }
    return true;
  }
  return false;
}
