#!/usr/bin/env node
// Fails (exit 1) when the gzip size of snippet/dist/dni.js exceeds the budget set by issue 3.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

const BUDGET = 2560; // bytes, gzip level 9 (hard limit)
const AIM = 2048; // bytes, gzip (target)

const file = join(dirname(fileURLToPath(import.meta.url)), "../snippet/dist/dni.js");
if (!existsSync(file)) {
  console.error("snippet/dist/dni.js is missing: run `node scripts/build-snippet.mjs` first");
  process.exit(1);
}
const buf = readFileSync(file);
const raw = buf.length;
const gzip = gzipSync(buf, { level: 9 }).length;
const brotli = brotliCompressSync(buf, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;

console.log(`snippet size: raw ${raw} B, gzip ${gzip} B, brotli ${brotli} B (budget ${BUDGET} B gzip, aim ${AIM} B)`);
if (gzip > BUDGET) {
  console.error(`FAIL: gzip ${gzip} B exceeds the budget of ${BUDGET} B by ${gzip - BUDGET} B`);
  process.exit(1);
}
console.log(gzip > AIM ? `ok, but ${gzip - AIM} B over the aim` : `ok: ${AIM - gzip} B under the aim`);
