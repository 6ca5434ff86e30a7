/**
 * The front: the listening socket and the connection guard every HTTP
 * connection goes through (`front.ts`), one connection's requests
 * (`connection.ts`), the request heads it reads (`head.ts`), the requests
 * it hands over (`incoming_request.ts`) and the answers it writes
 * (`reply.ts`).
 *
 * @module
 */

export {
  BindError,
  Front,
  type FrontBind,
  type FrontLimits,
  type Handler,
  PEER_HEADER,
} from "./front.ts";
