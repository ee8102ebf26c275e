import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Entities } from "../../src/d365/entities.js";
import { clientFor } from "../helpers/client.js";
import { useEmulator } from "../helpers/emulator.js";

describe("write tokens under concurrency (csrf-gateway)", () => {
  const handle = useEmulator({ scenario: "csrf-gateway" });

  it("eight writes refused together share one token fetch, and every one goes through", async () => {
    const { client, events } = clientFor(handle.emulator);
    const entities = new Entities(client);
    try {
      const created = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          entities.create("LedgerJournalHeaders", {
            dataAreaId: "usmf",
            JournalName: "GenJrn",
            Description: `lb:csrf-${i}`,
          }),
        ),
      );
      assert.equal(new Set(created.map((header) => header.JournalBatchNumber)).size, 8);
      assert.equal(
        events.filter((event) => event.type === "csrf-fetch").length,
        1,
        "one fetch for all of them",
      );
    } finally {
      client.close();
    }
  });
});
