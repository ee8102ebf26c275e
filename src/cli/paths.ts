import { fileURLToPath } from "node:url";

/** The package's root folder, from src/cli (tsx) or dist/cli (built) alike. */
export const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));
