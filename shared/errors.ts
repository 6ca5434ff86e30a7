/**
 * JSON-RPC error codes: the five of the JSON-RPC 2.0 spec and the server
 * errors of the contract. The client maps them to error classes; the server
 * raises them; the OpenRPC document lists them per method.
 *
 * @module
 */

/** Every error code the supervisor answers with. */
export const ErrorCode = {
  /** The body is not valid JSON. */
  ParseError: -32700,
  /** The JSON is not a valid JSON-RPC request (or the batch is empty or too large). */
  InvalidRequest: -32600,
  /** No such method. */
  MethodNotFound: -32601,
  /** The params do not match the method's schema; the message names the param. */
  InvalidParams: -32602,
  /** A fault inside the supervisor; the message carries a reference, not details. */
  InternalError: -32603,
  /** No secret, or an unknown one. */
  Unauthenticated: -32001,
  /** The secret's scope does not allow the method. */
  Forbidden: -32002,
  /** The store or the supervisor cannot serve the call now (store unreachable, shutting down). */
  Unavailable: -32003,
  /** No such job, runner or secret. */
  NotFound: -32004,
  /** The wait ran out before the job was final. */
  Timeout: -32008,
  /** A duplicate id, or a transition the current state does not allow. */
  Conflict: -32009,
  /** Too many failed authentications from this client: retry later. */
  TooManyRequests: -32029,
} as const;

/** One of the codes of {@linkcode ErrorCode}. */
export type ErrorCodeValue = typeof ErrorCode[keyof typeof ErrorCode];

/** The short meaning of each code, as the OpenRPC document states it. */
export const errorMessages: Record<ErrorCodeValue, string> = {
  [ErrorCode.ParseError]: "Parse error",
  [ErrorCode.InvalidRequest]: "Invalid request",
  [ErrorCode.MethodNotFound]: "Method not found",
  [ErrorCode.InvalidParams]: "Invalid params",
  [ErrorCode.InternalError]: "Internal error",
  [ErrorCode.Unauthenticated]: "Unauthenticated: no secret or an unknown secret",
  [ErrorCode.Forbidden]: "Forbidden: the secret's scope does not allow this method",
  [ErrorCode.Unavailable]: "Unavailable: the store cannot be reached or the supervisor is stopping",
  [ErrorCode.NotFound]: "Not found",
  [ErrorCode.Timeout]: "The wait ran out",
  [ErrorCode.Conflict]: "Conflict with the current state",
  [ErrorCode.TooManyRequests]: "Too many failed authentications: retry later",
};
