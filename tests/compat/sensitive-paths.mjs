// Prints, for each config path on stdin (one per line), whether OpenClaw's own
// `isSensitiveConfigPath` (src/config/sensitive-paths.ts, bundled as
// dist/sensitive-paths-*.mjs) redacts a string there: `path<TAB>true|false`.
// Used to record tests/fixtures/openclaw-real/sensitive-paths-<version>.tsv, which
// tests/cli/secrets.rs holds clawshift's redaction to.
//
//   node tests/compat/sensitive-paths.mjs <openclaw package dir> < paths.txt
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const dist = join(process.argv[2], "dist");
const file = readdirSync(dist).find((n) => /^sensitive-paths-.*\.mjs$/.test(n));
const mod = await import(pathToFileURL(join(dist, file)).href);
const isSensitiveConfigPath = Object.values(mod).find((f) => typeof f === "function");
const paths = readFileSync(0, "utf8").split("\n").filter((p) => p !== "");
for (const p of paths) console.log(`${p}\t${isSensitiveConfigPath(p)}`);
