/**
 * Every error the emulated F&O answers with, one factory each, in F&O's shapes:
 * - OData errors `{"error":{"code":"","message":…,"innererror":{…}}}`; business-rule failures as
 *   500 with the X++ Infolog in `innererror.message`, as F&O does (see docs/emulator.md);
 * - authentication failures in the Web API shape `{"Message":"Authentication failed.",…}`;
 * - "not supported by the emulator" for what the emulator does not implement (strict by default).
 */
import { type EmuResponse, json } from "../http.js";

const ODATA_HEADERS = {
  "odata-version": "4.0",
  "content-type": "application/json; odata.metadata=minimal; charset=utf-8",
};

function odata(status: number, message: string, inner?: { message: string; type: string }): EmuResponse {
  return json(
    status,
    { error: { code: "", message, ...(inner ? { innererror: { ...inner, stacktrace: "" } } : {}) } },
    ODATA_HEADERS,
  );
}

/** F&O's write and delete exceptions: the Infolog inside, a stack trace filled (its frames are F&O's names). */
function axFailure(
  status: 400 | 500,
  what: "Write" | "Delete",
  entity: string,
  exception: string,
  infolog: readonly InfologLine[],
): EmuResponse {
  return json(
    status,
    {
      error: {
        code: "",
        message: "An error has occurred.",
        innererror: {
          message: `${what} failed for table row of type '${entity}'. Infolog: ${infolog.map((line) => `${line.level}: ${line.text}`).join("; ")}.`,
          type: `Microsoft.Dynamics.Platform.Integration.Services.OData.${exception}`,
          stacktrace: `   at Microsoft.Dynamics.Platform.Integration.Services.OData.AxODataDelegatingHandler.SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)`,
        },
      },
    },
    ODATA_HEADERS,
  );
}

export type InfologLevel = "Error" | "Warning" | "Info";
export interface InfologLine {
  readonly level: InfologLevel;
  readonly text: string;
}

export const FnoErrors = {
  /**
   * A business rule refused a write, with the Infolog, as the OData write pipeline reports it: 500 or
   * 400 (both seen from F&O), the Infolog's lines and F&O's closing warning that the data source's
   * validateWrite failed, and a stack trace.
   */
  writeFailed: (entity: string, status: 400 | 500, infolog: readonly InfologLine[]) =>
    axFailure(status, "Write", entity, "AxODataWriteException", [
      ...infolog,
      { level: "Warning", text: `validateWrite failed on data source '${entity}'.` },
    ]),
  deleteFailed: (entity: string, status: 400 | 500, infolog: readonly InfologLine[]) =>
    axFailure(status, "Delete", entity, "AxODataDeleteException", infolog),
  badRequest: (message: string) => odata(400, message),
  /** A package API action that throws in X++: 400 with the exception inside (RIS issues #54, #71). */
  packageAction: (action: string, message: string) =>
    odata(400, "An error has occurred.", {
      message: `Exception occurred while executing action ${action} on Entity DataManagementDefinitionGroup: ${message}`,
      type: "System.InvalidOperationException",
    }),
  /** An unknown route: the Web API's own shape, as F&O answers (not an OData error). */
  notFoundResource: (url: string) =>
    json(404, {
      Message: `No HTTP resource was found that matches the request URI '${url}'. No route data was found for this request.`,
    }),
  entityNotFound: (entitySet: string) => odata(404, `Resource not found for the segment '${entitySet}'.`),
  methodNotAllowed: (method: string, entitySet: string) =>
    odata(405, `The requested resource does not support http method '${method}' on '${entitySet}'.`),
  unsupportedQuery: (what: string) => odata(400, `The query specified in the URI is not valid. ${what}`),
  notSupported: (what: string) =>
    json(
      501,
      { error: { code: "NotSupportedByEmulator", message: `${what} is not supported by the emulator.` } },
      ODATA_HEADERS,
    ),
  /** Token missing, invalid, for another audience or tenant; app not registered; mapped user disabled. */
  authenticationFailed: () =>
    json(
      401,
      {
        Message: "Authentication failed.",
        StackTrace: null,
        ExceptionType: "System.InvalidOperationException",
      },
      { "www-authenticate": "Bearer" },
    ),
  /** The mapped user lacks a privilege on what it asked for. */
  forbidden: (what: string) => odata(403, `Access denied: the user does not have the privilege to ${what}.`),
  throttled: (retryAfterSeconds: number) =>
    json(
      429,
      {
        error: {
          code: "",
          message:
            "This request could not be processed at this time due to system experiencing high resource utilization.",
        },
      },
      { "retry-after": String(retryAfterSeconds), ...ODATA_HEADERS },
    ),
  gateway: (status: number) =>
    json(status, {
      error: {
        code: "",
        message: `The gateway answered ${status}; the request may or may not have been processed.`,
      },
    }),
  csrfRequired: (status: 401 | 403) =>
    json(
      status,
      { error: { code: "CSRF", message: "CSRF token validation failed" } },
      { "x-csrf-token": "Required" },
    ),
  /** A custom service (JSON) failure, in the shape of F&O's /api/services errors. */
  serviceFailed: (message: string, activityId: string) =>
    json(500, { Message: message, ExceptionType: "XppServicesException", ActivityId: activityId }),
  serviceForbidden: (service: string) =>
    json(403, {
      Message: `Access denied to service operation ${service}.`,
      ExceptionType: "SecurityException",
    }),
};
