/**
 * The error a method handler throws to answer with a JSON-RPC error.
 *
 * @module
 */

import { ErrorCode, type ErrorCodeValue } from "../../shared/errors.ts";

/** An error that becomes a JSON-RPC error object: its code, message and data go on the wire. */
export class RpcError extends Error {
  /** The JSON-RPC error code. */
  readonly code: ErrorCodeValue;
  /** Structured details for the caller, if any. */
  readonly data?: unknown;

  constructor(code: ErrorCodeValue, message: string, data?: unknown) {
    super(message);
    this.name = "RpcError";
    this.code = code;
    this.data = data;
  }
}

/** -32004: no such job, runner or secret. */
export const notFound = (what: string, data?: unknown): RpcError =>
  new RpcError(ErrorCode.NotFound, `${what} not found`, data);

/** -32009: a duplicate, or a transition the current state does not allow. */
export const conflict = (message: string, data?: unknown): RpcError =>
  new RpcError(ErrorCode.Conflict, message, data);

/** -32602: the params are not acceptable; the message names the param. */
export const invalidParams = (message: string): RpcError =>
  new RpcError(ErrorCode.InvalidParams, message);

/** -32008: the wait ran out. */
export const waitTimeout = (message: string, data?: unknown): RpcError =>
  new RpcError(ErrorCode.Timeout, message, data);

/** -32003: the store cannot be reached, or the supervisor is stopping. */
export const unavailable = (message: string): RpcError =>
  new RpcError(ErrorCode.Unavailable, message);
