import type { Issue } from "../core/errors/issue.js";

/**
 * Thrown inside a reader when the rest of a file cannot be interpreted (bad encoding, broken header,
 * unclosed quote at the end). The reader turns it into the file's last issue; nothing is lost that
 * was already read.
 */
export class SourceProblem extends Error {
  constructor(readonly issue: Issue) {
    super(issue.message);
  }
}
