/**
 * The supervisor's end of the session frame channel: one Unix socket in a
 * private directory, on which every session process connects once and
 * identifies itself with the token it was started with. The connection then
 * carries the session's job to it, and its frames back.
 *
 * @module
 */

import { forEachLine } from "../util/lines.ts";
import { decodeFrame, MAX_FRAME_CHARS, SESSION_FRAMES, type SessionFrame } from "./frames.ts";

/** Receives the frames of one session after its hello. */
export type FrameHandler = (frame: SessionFrame) => void;

interface Pending {
  onFrame: FrameHandler;
  onHello: (conn: Deno.UnixConn) => void;
  /** Called when its connection is done with: every frame it sent was handled. */
  onClose: () => void;
}

/** Listens for session processes and routes their frames by token. */
export class SessionChannel {
  readonly path: string;
  readonly #dir: string;
  readonly #listener: Deno.UnixListener;
  readonly #pending = new Map<string, Pending>();
  readonly #conns = new Set<Deno.UnixConn>();
  readonly #accepting: Promise<void>;

  private constructor(dir: string, listener: Deno.UnixListener) {
    this.#dir = dir;
    this.path = (listener.addr as Deno.UnixAddr).path;
    this.#listener = listener;
    this.#accepting = this.#accept();
  }

  /** Opens a channel in a new private (0700) directory, `channel` in `parent`. */
  static async open(parent: string): Promise<SessionChannel> {
    const dir = `${parent}/channel`;
    await Deno.mkdir(dir, { mode: 0o700 });
    // The mode given to mkdir is cut by the umask; this is exact.
    await Deno.chmod(dir, 0o700);
    const listener = Deno.listen({ transport: "unix", path: `${dir}/s.sock` });
    return new SessionChannel(dir, listener);
  }

  /**
   * Registers a token. `connected` resolves with the connection that
   * presents it; `onFrame` gets that session's frames (the hello included);
   * `closed` resolves once that connection ended and every frame it carried
   * was handled (or once the token is cancelled unused). A token is good
   * for one connection.
   */
  expect(
    token: string,
    onFrame: FrameHandler,
  ): {
    connected: Promise<Deno.UnixConn>;
    closed: Promise<void>;
    cancel(): void;
  } {
    let resolve!: (conn: Deno.UnixConn) => void;
    let close!: () => void;
    const connected = new Promise<Deno.UnixConn>((r) => (resolve = r));
    const closed = new Promise<void>((r) => (close = r));
    this.#pending.set(token, { onFrame, onHello: resolve, onClose: close });
    return {
      connected,
      closed,
      cancel: () => {
        if (this.#pending.delete(token)) close();
      },
    };
  }

  async #accept(): Promise<void> {
    try {
      for await (const conn of this.#listener) this.#serve(conn);
    } catch {
      // The listener closed.
    }
  }

  async #serve(conn: Deno.UnixConn): Promise<void> {
    this.#conns.add(conn);
    let session: Pending | undefined;
    try {
      // Read straight from the socket: a stream over it would cost more than its few frames.
      await forEachLine(conn, (line, partial) => {
        // A frame longer than any frame may be is a broken peer: hang up.
        if (partial) throw new Error("frame too long");
        const frame = decodeFrame<SessionFrame>(line, SESSION_FRAMES);
        if (!session) {
          // The first frame must be a hello with a token we gave out; else hang up.
          session = frame?.type === "hello" ? this.#pending.get(frame.token) : undefined;
          if (!session) throw new Error("unknown session");
          this.#pending.delete((frame as { token: string }).token);
          session.onHello(conn);
        }
        if (frame) session.onFrame(frame);
      }, MAX_FRAME_CHARS);
    } catch {
      // A bad peer or a broken connection: the session sees its process end instead.
    } finally {
      this.#conns.delete(conn);
      try {
        conn.close();
      } catch {
        // Already closed.
      }
      session?.onClose();
    }
  }

  /** Stops listening, closes every connection and removes the socket. */
  async close(): Promise<void> {
    this.#listener.close();
    for (const conn of this.#conns) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
    await this.#accepting;
    await Deno.remove(this.#dir, { recursive: true }).catch(() => {});
  }
}
