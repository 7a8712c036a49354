// One error model: code → HTTP status, one JSON shape. Anything else becomes INTERNAL,
// whose detail goes to the log and never to the client.
export const errorStatus = {
  VALIDATION_FAILED: 400,
  INVALID_JSON: 400,
  INVALID_SIGNATURE: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  SERVICE_UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;

export type ErrorCode = keyof typeof errorStatus;

export interface ErrorDetail {
  /** JSON Pointer into the request (body or query), e.g. "/eventDate" or "/3/user/uid". */
  path: string;
  message: string;
  /** For array bodies (bulk): the index of the offending item and its field. */
  index?: number;
  field?: string;
  /** Why, from a feature's closed set, where it has one (the Segment routes' rejection codes). */
  code?: string;
}

export class AppError extends Error {
  readonly code: ErrorCode;
  readonly details?: ErrorDetail[];
  readonly headers?: Record<string, string>;

  constructor(
    code: ErrorCode,
    message: string,
    options: { details?: ErrorDetail[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.code = code;
    this.details = options.details;
    this.headers = options.headers;
  }

  /** The same error with more response headers (e.g. a CORS grant). */
  withHeaders(headers: Record<string, string>): AppError {
    return new AppError(this.code, this.message, { details: this.details, headers: { ...this.headers, ...headers } });
  }

  get status(): number {
    return errorStatus[this.code];
  }

  toJSON() {
    return {
      error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) },
    };
  }
}

// Which code each error response carries, for the metrics (src/monitoring) to count without
// reading the body back.
const codes = new WeakMap<Response, ErrorCode>();

/** The reply for `error`; a 500 also carries the request id its log line has. */
export function errorResponse(error: AppError, requestId?: string): Response {
  const body = error.toJSON();
  const withId = error.code === "INTERNAL" && requestId !== undefined ? { error: { ...body.error, requestId } } : body;
  const response = Response.json(withId, { status: error.status, headers: error.headers });
  codes.set(response, error.code);
  return response;
}

/** The code of a response made by errorResponse(), else undefined. */
export const errorCodeOf = (response: Response): ErrorCode | undefined => codes.get(response);
