/**
 * Where the examples find the supervisor: `HERO_URL` (default
 * `http://127.0.0.1:3030`, where `deno task serve` listens) and the secret in
 * `HERO_SECRET`, or else the admin secret `deno task serve` generated in
 * `.hero/admin.secret` on its first start.
 *
 * @module
 */

/** The supervisor's base URL. */
export const url: string = Deno.env.get("HERO_URL") ?? "http://127.0.0.1:3030";

/** The secret the examples call with. */
export const secret: string = Deno.env.get("HERO_SECRET") ?? await readGeneratedSecret();

async function readGeneratedSecret(): Promise<string> {
  try {
    return (await Deno.readTextFile(".hero/admin.secret")).trim();
  } catch {
    console.error(
      "No secret: set HERO_SECRET, or run the examples from the folder where " +
        "`deno task serve` wrote .hero/admin.secret.",
    );
    Deno.exit(2);
  }
}
