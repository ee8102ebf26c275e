/** A benchmark's numeric flag: `--name N` on the command line, else the fallback. */
export function arg(name: string, fallback: number): number {
  const index = process.argv.indexOf(name);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
}
