/**
 * Commands between members: a member asks the members that have a runner
 * to carry out a control operation on it, and waits for each one's answer
 * until a deadline. They travel as notices (Redis pub/sub on a shared
 * store): a member that is gone cannot answer, and the asker says so
 * instead of waiting. With the embedded store there is one member and no
 * command is ever sent.
 *
 * @module
 */

import { RpcError, unavailable } from "../rpc/rpc_error.ts";
import type { Audit } from "../runners/runner.ts";
import type { Store } from "../store/mod.ts";
import type { ErrorCodeValue } from "../../shared/errors.ts";
import type { ControlArgs, ControlOp } from "./control.ts";

/** How long a member has to answer a command. */
export const COMMAND_DEADLINE_MS = 5000;

/** A command as it travels. */
export interface ClusterCommand {
  id: string;
  from: string;
  to: string;
  runner: string;
  op: ControlOp;
  args: ControlArgs;
  audit: Audit;
}

/** A member's answer to one command. */
export interface ClusterReply {
  id: string;
  from: string;
  to: string;
  lines?: string[];
  error?: { code: number; message: string };
}

/** Sends commands to other members and carries out those sent to this one. */
export class ClusterCommands {
  readonly #store: Store;
  readonly #self: string;
  readonly #pending = new Map<string, (reply: ClusterReply | null) => void>();
  readonly #unsubscribe: () => void;

  constructor(
    store: Store,
    self: string,
    handle: (command: ClusterCommand) => Promise<string[] | null>,
  ) {
    this.#store = store;
    this.#self = self;
    this.#unsubscribe = store.notices.subscribe((notice) => {
      if (notice.type === "cluster.reply" && notice.reply.to === self) {
        this.#pending.get(notice.reply.id)?.(notice.reply as unknown as ClusterReply);
      } else if (notice.type === "cluster.command" && notice.command.to === self) {
        const command = notice.command as unknown as ClusterCommand;
        const reply: ClusterReply = { id: command.id, from: self, to: command.from };
        handle(command).then(
          (lines) => {
            if (lines) reply.lines = lines;
          },
          (error) => {
            reply.error = {
              code: error instanceof RpcError ? error.code : -32603,
              message: (error as Error)?.message ?? String(error),
            };
          },
        ).then(() => store.notices.publish({ type: "cluster.reply", reply: { ...reply } })).catch(
          () => {
            // The store is down: the asker's deadline says so.
          },
        );
      }
    });
  }

  /**
   * Asks each of `members` to carry out `op` on `runner`; resolves with the
   * lines of those that returned some (for `logs`). Throws the first error a
   * member answered, or -32003 naming the members that did not answer in time.
   */
  async send(
    members: readonly string[],
    runner: string,
    op: ControlOp,
    args: ControlArgs,
    audit: Audit,
    deadlineMs = COMMAND_DEADLINE_MS,
  ): Promise<ClusterReply[]> {
    const replies = await Promise.all(members.map((to) => {
      const command: ClusterCommand = {
        id: crypto.randomUUID(),
        from: this.#self,
        to,
        runner,
        op,
        args,
        audit,
      };
      return new Promise<ClusterReply | null>((resolve) => {
        const timer = setTimeout(() => this.#pending.get(command.id)?.(null), deadlineMs);
        this.#pending.set(command.id, (reply) => {
          clearTimeout(timer);
          this.#pending.delete(command.id);
          resolve(reply);
        });
        this.#store.notices.publish({ type: "cluster.command", command: { ...command } }).catch(
          () => {
            // Unsent: the deadline answers.
          },
        );
      });
    }));
    const failed = replies.find((r) => r?.error);
    if (failed?.error) {
      throw new RpcError(
        failed.error.code as ErrorCodeValue,
        `member ${failed.from}: ${failed.error.message}`,
      );
    }
    const silent = members.filter((_, i) => replies[i] === null);
    if (silent.length) {
      throw unavailable(
        `runner ${JSON.stringify(runner)}: ${silent.join(", ")} did not answer within ` +
          `${deadlineMs / 1000} s (gone, or its store link is down)`,
      );
    }
    return replies as ClusterReply[];
  }

  /** Stops carrying out commands; those still waiting are answered "no reply" now. */
  close(): void {
    this.#unsubscribe();
    for (const settle of [...this.#pending.values()]) settle(null);
  }
}
