/**
 * The product's name and version, as reported by `get_supervisor_info`,
 * `/.well-known/heroservice.json` and the OpenRPC document.
 *
 * @module
 */

/** The product name. */
export const PRODUCT_NAME = "hero-supervisor";

/** The product version; kept equal to `deno.json`'s by a test. */
export const VERSION = "0.1.0";
