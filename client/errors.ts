/**
 * Errors of the client: every JSON-RPC error becomes a {@linkcode SupervisorError}
 * (with its `code`, `message` and `data`), of a class per kind that callers
 * commonly handle.
 *
 * @module
 */

import { ErrorCode } from "../shared/errors.ts";

/** A JSON-RPC error answered by the supervisor (or a failure to reach it: `code` 0). */
export class SupervisorError extends Error {
  // Spelled out: a minifier renames classes, and `name` is what logs show.
  override name = "SupervisorError";
  /** The JSON-RPC error code (0 for a transport failure). */
  readonly code: number;
  /** Details the supervisor sent, if any. */
  readonly data?: unknown;

  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.code = code;
    this.data = data;
  }
}

/** -32001: no secret, or an unknown one. */
export class UnauthenticatedError extends SupervisorError {
  override name = "UnauthenticatedError";
}
/** -32002: the secret's scope does not allow the method. */
export class ForbiddenError extends SupervisorError {
  override name = "ForbiddenError";
}
/** -32004: no such job, runner or secret. */
export class NotFoundError extends SupervisorError {
  override name = "NotFoundError";
}
/** -32009: a duplicate, or a transition the current state does not allow. */
export class ConflictError extends SupervisorError {
  override name = "ConflictError";
}
/** -32008: the wait ran out (the job goes on); or the call's own timeout passed. */
export class TimeoutError extends SupervisorError {
  override name = "TimeoutError";
}
/** -32602: the params do not fit the method; the message names the param. */
export class InvalidParamsError extends SupervisorError {
  override name = "InvalidParamsError";
}
/** -32003: the store is unreachable or the supervisor is stopping: retry later. */
export class UnavailableError extends SupervisorError {
  override name = "UnavailableError";
}
/** -32029: too many failed authentications from this client: retry later. */
export class TooManyRequestsError extends SupervisorError {
  override name = "TooManyRequestsError";
}
/** The supervisor could not be reached, or answered something that is not JSON-RPC. */
export class TransportError extends SupervisorError {
  override name = "TransportError";
}

const CLASSES: Record<number, typeof SupervisorError> = {
  [ErrorCode.Unauthenticated]: UnauthenticatedError,
  [ErrorCode.Forbidden]: ForbiddenError,
  [ErrorCode.NotFound]: NotFoundError,
  [ErrorCode.Conflict]: ConflictError,
  [ErrorCode.Timeout]: TimeoutError,
  [ErrorCode.InvalidParams]: InvalidParamsError,
  [ErrorCode.Unavailable]: UnavailableError,
  [ErrorCode.TooManyRequests]: TooManyRequestsError,
};

/** The error of a JSON-RPC error object. */
export function errorFromWire(
  error: { code: number; message: string; data?: unknown },
): SupervisorError {
  const Class = CLASSES[error.code] ?? SupervisorError;
  return new Class(error.code, error.message, error.data);
}

export { ErrorCode };
