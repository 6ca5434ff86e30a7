/**
 * The front: the connection guard every HTTP connection goes through
 * (`front_worker.ts`, in a worker), its handle (`front.ts`), and the request
 * heads it reads (`head.ts`).
 *
 * @module
 */

export { BindError, Front, type FrontBind, type FrontLimits, PEER_HEADER } from "./front.ts";
