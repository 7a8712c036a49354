// Plain line logging to stderr; stdout is kept for command output (`--json`).
export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export const consoleLogger: Logger = {
  info: (message, fields) => console.error(format("info", message, fields)),
  error: (message, fields) => console.error(format("error", message, fields)),
};

export const silentLogger: Logger = { info() {}, error() {} };

function format(level: string, message: string, fields?: Record<string, unknown>): string {
  const extra = fields ? ` ${JSON.stringify(fields)}` : "";
  return `${new Date().toISOString()} ${level} ${message}${extra}`;
}
