/**
 * Every cause the doctor can name: what is wrong in plain words and the fix, in the words of the F&O
 * and Entra screens to visit. Each has a section in docs/troubleshooting.md (a test keeps them in step).
 */
export interface CauseSpec {
  readonly summary: string;
  readonly fix: string;
}

const entra = "Entra admin center > App registrations > your app";
const aadApps = "F&O: System administration > Setup > Microsoft Entra applications";

export const CAUSES = {
  URL_INVALID: {
    summary: "D365_URL is not an https URL.",
    fix: "Set D365_URL to the environment URL, e.g. https://contoso.operations.dynamics.com (LCS or Power Platform admin center).",
  },
  URL_NOT_CANONICAL: {
    summary:
      "D365_URL has a trailing slash, a path or capitals; F&O refuses tokens whose audience differs from the environment URL in any of these.",
    fix: "Write D365_URL as https://<host> in lower case with nothing after the host. ledger-bridge normalises it; other tools sharing the setting may not.",
  },
  TENANT_ID_MALFORMED: {
    summary: "AZURE_TENANT_ID is neither a GUID nor a domain name.",
    fix: "Copy the Directory (tenant) ID from Entra admin center > Overview.",
  },
  TENANT_NOT_SPECIFIC: {
    summary:
      "AZURE_TENANT_ID is 'common', 'organizations' or 'consumers': those serve sign-in for people of many tenants; an application's client credentials need the one tenant the environment belongs to.",
    fix: "Set AZURE_TENANT_ID to the environment's Directory (tenant) ID (a GUID) or its domain, from Entra admin center > Overview.",
  },
  SECRET_MISSING: {
    summary:
      "AZURE_CLIENT_ID is set but neither AZURE_CLIENT_SECRET nor AZURE_CLIENT_CERTIFICATE_PATH: ledger-bridge falls back to DefaultAzureCredential (managed identity, Azure CLI…), and each of those fails or finds another identity.",
    fix: "Set AZURE_CLIENT_SECRET (or AZURE_CLIENT_CERTIFICATE_PATH) for the app registration; if a managed identity is meant, set LEDGER_BRIDGE_CREDENTIAL=managed-identity and see the evidence for what each credential tried.",
  },
  CREDENTIAL_INCOMPLETE: {
    summary: "The credential kind needs settings that are not set.",
    fix: "Set the setting named in the evidence (docs/configuration.md).",
  },
  CLOCK_SKEW: {
    summary:
      "This machine's clock differs from the server's by more than 5 minutes; tokens and assertions may be refused.",
    fix: "Synchronise the clock (NTP).",
  },
  DNS_FAILED: {
    summary: "The environment's host name does not resolve.",
    fix: "Check the spelling of D365_URL, and DNS or the proxy on this network.",
  },
  TLS_UNTRUSTED: {
    summary: "The server's TLS certificate is not trusted by this machine.",
    fix: "Trust its CA: LEDGER_BRIDGE_CA_CERT or NODE_EXTRA_CA_CERTS (for the emulator: the caCertPath it prints). Never turn TLS checks off.",
  },
  ENVIRONMENT_UNREACHABLE: {
    summary: "The environment does not answer on HTTPS.",
    fix: "Check that the environment is running (LCS / Power Platform admin center) and the network path to it.",
  },
  SECRET_INVALID: {
    summary: "Entra ID refused the client secret (AADSTS7000215).",
    fix: `Copy the secret's Value, not its Secret ID, from ${entra} > Certificates & secrets into AZURE_CLIENT_SECRET.`,
  },
  SECRET_EXPIRED: {
    summary: "The client secret has expired (AADSTS7000222).",
    fix: `Add a new secret in ${entra} > Certificates & secrets and update AZURE_CLIENT_SECRET.`,
  },
  CERTIFICATE_NOT_UPLOADED: {
    summary: "Entra ID does not know the certificate this machine signs with (AADSTS700027).",
    fix: `Upload the certificate's public part in ${entra} > Certificates & secrets > Certificates.`,
  },
  APP_NOT_FOUND: {
    summary: "Entra ID has no application with this client id in the tenant (AADSTS700016).",
    fix: "Check AZURE_CLIENT_ID (Entra admin center > App registrations > Application (client) ID) and that AZURE_TENANT_ID is the tenant the app is in.",
  },
  TENANT_NOT_FOUND: {
    summary: "Entra ID does not know the tenant (AADSTS90002).",
    fix: "Set AZURE_TENANT_ID to the Directory (tenant) ID from Entra admin center > Overview.",
  },
  RESOURCE_NOT_FOUND: {
    summary:
      "The tenant has no resource for this environment URL (AADSTS500011): usually a misspelt D365_URL.",
    fix: "Copy the environment URL exactly from LCS or the Power Platform admin center into D365_URL.",
  },
  CONSENT_MISSING: {
    summary: "No one has consented to the app's Dynamics ERP permissions (AADSTS65001).",
    fix: `Grant admin consent in ${entra} > API permissions (Dynamics ERP).`,
  },
  TOKEN_FAILED: {
    summary: "No token could be acquired for another reason (see the evidence).",
    fix: "Read the AADSTS code in the evidence; Entra admin center > Sign-in logs > Service principal sign-ins shows the attempt.",
  },
  AUDIENCE_MISMATCH: {
    summary:
      "The token's audience (aud) is not exactly the environment URL; F&O answers such tokens with 401.",
    fix: "Ask for the scope <environment URL>/.default with no trailing slash and in lower case; an app-id audience (00000015-…) is no longer accepted since 10.0.39.",
  },
  TENANT_MISMATCH: {
    summary: "The token was issued by another tenant than the environment's.",
    fix: "Set AZURE_TENANT_ID to the environment's tenant, not 'common' or another directory.",
  },
  TOKEN_NOT_A_JWT: {
    summary:
      "What --token read is not a JWT (three base64url parts): F&O accepts only Entra ID access tokens.",
    fix: "Give the access token itself (the value after 'Bearer '), one line, in the file or on standard input; not an id token, a refresh token or the whole token response.",
  },
  TOKEN_EXPIRED: {
    summary: "The token's exp is past (beyond 5 minutes of clock skew): F&O answers it with 401.",
    fix: "Let the client ask Entra ID for a new token before exp (MSAL and @azure/identity do when their cache is used); check the client machine's clock.",
  },
  TOKEN_NOT_YET_VALID: {
    summary:
      "The token's nbf is in the future (beyond 5 minutes of clock skew): the client's or F&O's clock is off.",
    fix: "Synchronise the clock of the machine that asked for the token (NTP).",
  },
  DELEGATED_SCOPE_MISSING: {
    summary:
      "A delegated (user) token without the Odata.FullAccess scope of Microsoft Dynamics ERP: F&O refuses OData requests with it.",
    fix: "Add the delegated permissions of Microsoft Dynamics ERP (Odata.FullAccess, and CustomService.FullAccess for the posting service) to the client's app registration, grant consent, and ask for <environment URL>/.default.",
  },
  NO_OID: {
    summary: "The token has no oid claim: a multitenant app without a service principal in this tenant.",
    fix: "Create the app's service principal in the environment's tenant (admin consent) and ask the tenant's own endpoint for the token.",
  },
  APP_NOT_REGISTERED_OR_USER_DISABLED: {
    summary:
      "F&O refused a valid token (401): the client id is not in the Microsoft Entra applications list, or the F&O user it maps to is disabled.",
    fix: `Add the client id in ${aadApps} and map it to an enabled user (System administration > Users); F&O answers both cases alike, so check both.`,
  },
  NO_READ_PRIVILEGE: {
    summary: "The mapped F&O user may not read the journal entities (403).",
    fix: "Give the user a role with read access to General journals (System administration > Users > the user > Assign roles).",
  },
  CSRF_GATEWAY: {
    summary:
      "A gateway in front of the environment asks for an X-CSRF-Token on writes. F&O itself does not use CSRF tokens.",
    fix: "Nothing to do with csrf: auto (the default): ledger-bridge fetches the token when asked. With LEDGER_BRIDGE_CSRF=never writes will fail.",
  },
  CSRF_REFUSED: {
    summary:
      "The gateway asks for a write token but does not hand one out, or refuses the one it handed out.",
    fix: "Check the gateway's session and CSRF settings with its owner.",
  },
  TARGET_MISSING: {
    summary: "The configured journal target does not exist in this environment's OData service.",
    fix: "On F&O, the posted ledger (GeneralJournalAccountEntryBiEntities) is read-only and GeneralJournalAccountEntry is no standard entity: use the ledger-journal target (LedgerJournalHeaders + LedgerJournalLines).",
  },
  PACKAGE_API_FORBIDDEN: {
    summary:
      "The target sends data packages, but F&O refuses the application's user the Data management package API (403).",
    fix: "F&O: System administration > Users > the user of the Microsoft Entra application > assign a role with the Data management privileges (Data management operations user or administrator).",
  },
  PACKAGE_API_MISSING: {
    summary:
      "The target sends data packages, but the environment does not answer the Data management package API (DataManagementDefinitionGroups actions).",
    fix: "Check the environment's version and that Data management is enabled; until then use target kind ledger-journal (OData).",
  },
  STORE_CORRUPT: {
    summary: "The SQLite outbox file is damaged: pages of it are not what SQLite wrote (OUTBOX_CORRUPT).",
    fix: "Stop every ledger-bridge using it, keep the damaged file aside, restore the latest backup of the store, then run `ledger-bridge reconcile` (docs/reliability.md#a-damaged-sqlite-store).",
  },
  STORE_UNREACHABLE: {
    summary: "The PostgreSQL outbox does not answer, or its journals cannot be read.",
    fix: "Check LEDGER_BRIDGE_STORE and that the database is up and reachable from this machine.",
  },
  TARGET_NOT_EXACTLY_ONCE: {
    summary:
      "The configured target cannot be delivered to exactly once: a mapped field does not exist, or the entity has no text field that can carry ledger-bridge's marker.",
    fix: "Correct target.fields to the entity's property names; for a custom flat entity add a String field of at least 40 characters (for example Description) and name it in target.fields.marker. Delivery refuses to start until then.",
  },
  JOURNALS_DO_NOT_FIT_TARGET: {
    summary:
      "Journals of the file cannot be carried by the configured target (each problem is listed with its line and field).",
    fix: "Fix each problem as its code says (docs/errors.md): configure target.dimensionFormat, map the entity's fields, or deliver through the ledger-journal target. Nothing is sent for such a journal.",
  },
  JOURNAL_NAME_MISSING: {
    summary: "A journal name used by the journals does not exist in the company.",
    fix: "Create it in General ledger > Journal setup > Journal names, or use an existing one.",
  },
  JOURNAL_NAME_NOT_ALLOWED: {
    summary: "The mapped user may not create journals in this journal name.",
    fix: "Allow the user's role the journal name (General ledger > Journal setup > Journal names, security), or use another one.",
  },
  NO_WRITE_PRIVILEGE: {
    summary: "The mapped F&O user may not create journals (403 on the write check).",
    fix: "Give the user a role with write access to General journals (e.g. Accountant) in System administration > Users.",
  },
  TARGET_READ_ONLY: {
    summary:
      "The target entity cannot be written (405 on the write check): it is read-only, like the posted ledger GeneralJournalAccountEntryBiEntities, or a custom entity made read-only.",
    fix: "Deliver through LedgerJournalHeaders and LedgerJournalLines (the default ledger-journal target) or a writable custom entity (target.entitySet).",
  },
  POSTING_SERVICE_MISSING: {
    summary:
      "No posting service answers at the configured path (404, or 501 from a gateway): the custom service is not deployed, or LEDGER_BRIDGE_POSTING_PATH names another group, service or operation.",
    fix: "Deploy the posting service (docs/posting-service.md) and set LEDGER_BRIDGE_POSTING_PATH to /api/services/<group>/<service>/<operation> exactly as deployed; or deliver without --post.",
  },
  POSTING_SERVICE_FORBIDDEN: {
    summary: "The posting service exists, but the mapped user may not call it (403).",
    fix: "Add the service's privilege (the service group's entry point) to a role of the user mapped to the application, in System administration > Security configuration.",
  },
  POSTING_CONTRACT_MISMATCH: {
    summary:
      "The posting service answers, but not as the contract says: it does not take dataAreaId and journalBatchNumber, or it answered success for a journal that does not exist.",
    fix: "Align the service with docs/posting-service.md (parameter names, the refusal of an unknown journal), or point LEDGER_BRIDGE_POSTING_PATH at the service that implements it.",
  },
  ACCOUNT_MISSING: {
    summary: "A main account used by the journals does not exist.",
    fix: "Check the account in General ledger > Chart of accounts > Accounts > Main accounts, or correct the file.",
  },
  ACCOUNT_BLOCKED: {
    summary: "A main account used by the journals is suspended or does not allow manual entry.",
    fix: "Open it in Main accounts: clear 'Suspended' / 'Do not allow manual entry', or use another account.",
  },
  COUNTERPARTY_MISSING: {
    summary: "A customer, vendor or bank account the journals use does not exist in its company.",
    fix: "Check it in Accounts receivable > Customers, Accounts payable > Vendors or Cash and bank management > Bank accounts of that company, or correct the file (AccountType and the account).",
  },
  COUNTERPARTY_BLOCKED: {
    summary:
      "A customer or vendor the journals use is on hold for all transactions, or a bank account is inactive.",
    fix: "Take the customer or vendor off hold (On hold: No) or activate the bank account, or post to another account.",
  },
  DIMENSION_VALUE_MISSING: {
    summary: "A financial dimension value the journals use does not exist.",
    fix: "Create the value in General ledger > Chart of accounts > Dimensions > Financial dimensions (Dimension values), or correct the file.",
  },
  DIMENSION_VALUE_BLOCKED: {
    summary: "A financial dimension value the journals use is suspended or blocked for manual entry.",
    fix: "Open it in Financial dimensions > Dimension values: clear 'Suspended' / 'Blocked for manual entry', or use another value.",
  },
  CURRENCY_MISSING: {
    summary: "A currency used by the journals does not exist in F&O.",
    fix: "Add it in General ledger > Currencies > Currencies, or correct the file.",
  },
  PERIOD_NOT_OPEN: {
    summary:
      "A date used by the journals falls in a fiscal period that is closed or on hold (or in none); posting will refuse it.",
    fix: "Open the period in General ledger > Calendars > Ledger calendars, or date the journal in an open period.",
  },
  THROTTLED: {
    summary: "F&O throttled requests during the checks (429).",
    fix: "Lower LEDGER_BRIDGE_CONCURRENCY, or set a throttling priority for the app (System administration > Setup > Throttling priority mapping).",
  },
} as const satisfies Record<string, CauseSpec>;

export type CauseCode = keyof typeof CAUSES;

export function causeOf(code: CauseCode): { code: CauseCode; summary: string; fix: string; docs: string } {
  const spec = CAUSES[code];
  return {
    code,
    summary: spec.summary,
    fix: spec.fix,
    docs: troubleshootingLink(code),
  };
}

/** The section of docs/troubleshooting.md for a cause (GitHub anchors keep underscores). */
export function troubleshootingLink(code: CauseCode): string {
  return `docs/troubleshooting.md#${code.toLowerCase()}`;
}
