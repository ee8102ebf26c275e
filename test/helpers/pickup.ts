/** Journal files for the pickup tests: `count` balanced two-line journals keyed `<prefix>-<n>`. */
export const PICKUP_HEADER =
  "JournalKey,dataAreaId,JournalName,Voucher,TransDate,AccountDisplayValue,DebitAmount,CreditAmount,CurrencyCode";

export function journalsCsv(prefix: string, count: number): string {
  const rows = [PICKUP_HEADER];
  for (let i = 0; i < count; i++)
    rows.push(
      `${prefix}-${i},usmf,GenJrn,V1,2026-11-30,601100,1.00,,USD`,
      `${prefix}-${i},usmf,GenJrn,V1,2026-11-30,110110,,1.00,USD`,
    );
  return `${rows.join("\n")}\n`;
}
