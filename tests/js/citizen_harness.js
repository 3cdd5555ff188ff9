// Runs the citizen page's pure functions (src/http/citizen/citizen.js) under Node on the cases
// in the JSON file given as argument, and prints one JSON result per case. The Rust test
// (tests/citizen_page.rs) writes the cases from the ledger code and asserts on the results.
"use strict";
const fs = require("fs");
const path = require("path");
const kyso = require(path.join(__dirname, "../../src/http/citizen/citizen.js"));

async function main() {
  const cases = JSON.parse(fs.readFileSync(process.argv[2], "utf8"));
  const out = {};
  for (const [name, c] of Object.entries(cases.proofs)) {
    try {
      const r = await kyso.verifyProofData(c);
      out[name] = {
        inclusion: r.inclusion,
        signature: r.signature,
        id_matches: r.idMatches,
        size: Number(r.size),
        kinds: r.entries.map((e) => e.kind),
        revision_hashes: r.entries.map((e) => kyso.hex(e.revisionHash)),
        agency: r.entries.map((e) => e.agency),
      };
    } catch (e) {
      out[name] = { error: String(e && e.message) };
    }
  }
  for (const [name, c] of Object.entries(cases.files)) {
    const bytes = kyso.b64decode(c.file);
    out[name] = await kyso.matchFile(bytes, c.hashes);
  }
  process.stdout.write(JSON.stringify(out));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
