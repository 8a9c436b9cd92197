// Makes build/pglite-template.tar.gz: an empty PGlite cluster a first start unpacks instead of running initdb (which
// needs ~700 MB in a child process). The Docker build runs it; run it before a first start on a small machine.
import { pgliteOptions } from "../src/db/pglite.js";
import { makeTemplate, PGLITE_TEMPLATE_FILE, pgliteRelease } from "../src/db/pglite-template.js";

await makeTemplate(pgliteOptions());
console.log(`wrote ${PGLITE_TEMPLATE_FILE} (PGlite ${pgliteRelease()})`);
