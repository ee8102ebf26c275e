/**
 * The call to the journal posting service (contract: docs/posting-service.md). F&O has no standard
 * OData action that posts a journal; customers expose the standard posting class as a JSON service.
 */
import { type D365Client, readJson, type WriteOptions } from "./client.js";
import { D365Error } from "./errors.js";

export const DEFAULT_POSTING_PATH = "/api/services/LedgerBridgeServices/JournalPostingService/post";

export interface PostedVoucher {
  /** The voucher of the journal lines. */
  readonly voucher: string;
  /** The final voucher number in the ledger. */
  readonly postedVoucher: string;
  readonly transDate: string;
}

export async function postJournal(
  client: D365Client,
  company: string,
  journalBatchNumber: string,
  options: WriteOptions & { path?: string } = {},
): Promise<PostedVoucher[]> {
  const { path, ...write } = options;
  const response = await client.request({
    method: "POST",
    path: path ?? DEFAULT_POSTING_PATH,
    body: { dataAreaId: company, journalBatchNumber },
    ...write,
  });
  const body = readJson(response.body) as Record<string, unknown> | undefined;
  const vouchers = body?.Vouchers;
  if (!Array.isArray(vouchers)) {
    throw new D365Error(
      "D365_INVALID_RESPONSE",
      "The posting service's answer has no Vouchers list (docs/posting-service.md).",
      {
        method: "POST",
        url: `${client.url}${options.path ?? DEFAULT_POSTING_PATH}`,
        requestId: response.requestId,
        status: response.status,
      },
    );
  }
  return vouchers.map((entry) => {
    const item = entry as Record<string, unknown>;
    return {
      voucher: String(item.Voucher),
      postedVoucher: String(item.PostedVoucher),
      transDate: String(item.TransDate),
    };
  });
}
