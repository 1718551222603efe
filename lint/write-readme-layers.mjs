// Rewrites the layers picture in README.md's layout section from layers.json (npm run layers:readme); a unit test
// fails while the two differ.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadLayers, readmePicture, repoRoot, withPicture } from "./layers.mjs";

const readmePath = join(repoRoot, "README.md");
const before = readFileSync(readmePath, "utf8");
const after = withPicture(before, readmePicture(loadLayers()));
if (after === before) console.log("README.md's layers picture is current");
else {
  writeFileSync(readmePath, after);
  console.log("README.md's layers picture rewritten from layers.json");
}
