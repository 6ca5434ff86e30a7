import { assertEquals } from "../_helpers/assert.ts";
import { findHash, fingerprint, hashSecret } from "../../server/auth/secret_hash.ts";

/** SHA-256 of the UTF-8 of `text`, hex, by WebCrypto: a second implementation to check against. */
async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("secret hashes are SHA-256 of the UTF-8, hex: what a store written before holds still matches", async () => {
  assertEquals(
    hashSecret("abc"),
    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
  );
  for (const value of ["adm1n-secret-value", "é-ünïcode-秘密-😀", "x".repeat(5000)]) {
    assertEquals(hashSecret(value), await sha256Hex(value));
    assertEquals(
      fingerprint(value),
      `sha256:${(await sha256Hex(`hero-fingerprint:${value}`)).slice(0, 12)}`,
    );
  }
  // Found among candidates by its hash, and only by it.
  const stored = [{ hash: hashSecret("one") }, { hash: hashSecret("two") }];
  assertEquals(findHash(hashSecret("two"), stored), stored[1]);
  assertEquals(findHash(hashSecret("three"), stored), undefined);
});
