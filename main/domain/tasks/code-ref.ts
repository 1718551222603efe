// A reference to code in the blob store, as commands accept it: a sha256 and a size.
import { z } from "zod";

export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

export const codeRefSchema = z.strictObject({
  sha256: z.string().regex(SHA256_PATTERN, "must be 64 lowercase hex digits (a sha256)"),
  size: z
    .number({ error: "must be a number" })
    .int({ error: "must be a whole number" })
    .min(0, "must not be negative"),
});
