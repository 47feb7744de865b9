// Remove dist/ before a build, so that no file of a previous build is published.
import { rmSync } from "node:fs";

rmSync(new URL("../dist", import.meta.url), { recursive: true, force: true });
