/**
 * ISO 4217 currency codes with their minor units (the number of decimals an amount may carry).
 * Source: the ISO 4217 list (SIX), including a few codes withdrawn recently (HRK, ANG, SLL, ZWL) that
 * still appear in historical journals. Precious metals and testing codes (XAU, XTS, ...) have no minor
 * unit and cannot carry a journal amount, so they are absent.
 */
const BY_MINOR_UNITS: Record<number, string> = {
  0: "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF",
  2:
    "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD " +
    "CDF CHE CHF CHW CNY COP COU CRC CUC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP " +
    "GMD GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD " +
    "MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR " +
    "PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP " +
    "TRY TTD TWD TZS UAH USD USN UYU UZS VED VES WST XCD XCG YER ZAR ZMW ZWG ZWL",
  3: "BHD IQD JOD KWD LYD OMR TND",
  4: "CLF UYW",
};

const MINOR_UNITS = new Map<string, number>();
for (const [units, codes] of Object.entries(BY_MINOR_UNITS)) {
  for (const code of codes.split(" ")) MINOR_UNITS.set(code, Number(units));
}

/** The number of decimals the currency allows, or undefined for a code that is not ISO 4217. */
export function minorUnits(currency: string): number | undefined {
  return MINOR_UNITS.get(currency);
}
