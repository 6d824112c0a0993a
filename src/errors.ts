// Errors are values with a stable code and a message an operator can act on.
// One base class, one subclass per family, `cause` chained; no thrown strings.
// Every code appears in docs/errors.md (a test checks the list).

export class HaxError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A bad command-line flag, environment variable or configuration value. */
export class ConfigError extends HaxError {}

/** The Consul agent could not be reached or answered something unexpected. */
export class ConsulError extends HaxError {
  readonly status?: number;
  constructor(code: string, message: string, options?: { cause?: unknown; status?: number }) {
    super(code, message, options);
    this.status = options?.status;
  }
}

/** A client's HTTP request was wrong; carries the status to answer with. */
export class RequestError extends HaxError {
  readonly status: number;
  readonly reason: string;
  constructor(status: number, code: string, message: string, reason: string) {
    super(code, message);
    this.status = status;
    this.reason = reason;
  }
}

/**
 * An error of the native shim: a method that threw (its `.code` kept), or an
 * I/O thread's {code, errno, message} record (native/src/event_sink.h),
 * turned into a typed error on the JS side.
 */
export class NativeError extends HaxError {
  readonly errno?: number;
  constructor(code: string, message: string, options?: { cause?: unknown; errno?: number }) {
    super(code, message, options);
    this.errno = options?.errno;
  }

  /** The addon's thrown Error (with `.code`) as a NativeError; `fallback` when it has no HAX_ERR_ code. */
  static from(error: unknown, fallback: string): NativeError {
    if (error instanceof NativeError) return error;
    const code = (error as { code?: unknown })?.code;
    const message = error instanceof Error ? error.message : String(error);
    return new NativeError(typeof code === 'string' && code.startsWith('HAX_ERR_') ? code : fallback, message, { cause: error });
  }
}
