import winston from 'winston';

export type Logger = winston.Logger;

/** Masks a phone number to its last three digits: "+48501234567" → "+48******567". */
export function maskPhone(phone: string | null | undefined): string {
  if (!phone) return '';
  const digits = phone.replace(/\D/g, '');
  if (digits.length <= 3) return '***';
  const keepPrefix = phone.startsWith('+') ? Math.min(2, digits.length - 3) : 0;
  return `${phone.startsWith('+') ? '+' : ''}${digits.slice(0, keepPrefix)}${'*'.repeat(digits.length - keepPrefix - 3)}${digits.slice(-3)}`;
}

/**
 * What a log may show of a presented API key: the 12 characters `clients list` shows as the key's
 * prefix (they select the row, the secret part is the rest), never more. Something that is not one
 * of our keys at all (another system's token sent by mistake) shows nothing of itself.
 */
export function maskApiKey(key: string | undefined): string | null {
  if (key === undefined) return null;
  return /^npsk_[\w-]{7}/.test(key) ? `${key.slice(0, 12)}…` : '(not an npsk_ key)';
}

// Anything that looks like a phone number (7 to 15 digits, optionally with + and separators) in a
// free-text message or string field. Used as a last line of defence: modules log masked numbers
// themselves, but a provider error message quoting a number must not leak it either.
const PHONE_LIKE = /(?<![\w-])\+?\d(?:[\d ().-]{5,18})\d(?![\w-])/g;
const SECRET_KEY = /(secret|token|password|authorization|api[_-]?key|private[_-]?key|jwt|bearer)/i;
const JWT_LIKE = /\beyJ[\w-]+\.[\w-]+\.[\w-]*/g;

function scrubString(value: string): string {
  return value
    .replace(JWT_LIKE, '[jwt]')
    .replace(PHONE_LIKE, (match) => (match.replace(/\D/g, '').length >= 7 ? maskPhone(match.replace(/[^\d+]/g, '')) : match));
}

function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return scrubString(value);
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: scrubString(value.message) };
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) out[key] = SECRET_KEY.test(key) ? '[redacted]' : scrub(v, depth + 1);
  return out;
}

const redact = winston.format((info) => {
  for (const key of Object.keys(info)) {
    if (key === 'level' || key === 'timestamp') continue;
    info[key] = SECRET_KEY.test(key) ? '[redacted]' : scrub(info[key]);
  }
  return info;
});

export interface LoggerOptions {
  level: string;
  /** JSON lines (production, or not a terminal) or a readable single-line format. */
  format: 'json' | 'pretty';
  /** Extra destination, e.g. a file the fault suite scans. Logs always go to stderr. */
  stream?: NodeJS.WritableStream;
  silent?: boolean;
}

/**
 * Builds the one process logger. It writes to stderr, so stdout stays clean for the JSON that CLI
 * commands print. Modules take `logger.child({ module: 'dialer' })`.
 */
export function createLogger(options: LoggerOptions): Logger {
  const format =
    options.format === 'json'
      ? winston.format.combine(redact(), winston.format.timestamp(), winston.format.json())
      : winston.format.combine(
          redact(),
          winston.format.timestamp({ format: 'HH:mm:ss' }),
          winston.format.printf(({ level, message, timestamp, module, ...meta }) => {
            const rest = Object.keys(meta).length > 0 ? ` ${JSON.stringify(meta)}` : '';
            return `${String(timestamp)} ${level.padEnd(5)} ${module ? `[${String(module)}] ` : ''}${String(message)}${rest}`;
          }),
        );
  const transports: winston.transport[] = [
    new winston.transports.Stream({ stream: process.stderr }),
  ];
  if (options.stream) transports.push(new winston.transports.Stream({ stream: options.stream }));
  return skipDisabledLevels(winston.createLogger({ level: options.level, format, transports, silent: options.silent ?? false }));
}

type LevelMethod = (this: winston.Logger, ...args: unknown[]) => winston.Logger;

/**
 * winston runs every entry through the format (our redaction's regular expressions included) and
 * only then lets the transports drop levels they do not log, so a debug line on a webhook path cost
 * CPU at LOG_LEVEL=error. Here a disabled level returns at once. Child loggers inherit the methods.
 */
function skipDisabledLevels(logger: winston.Logger): winston.Logger {
  const methods = logger as unknown as Record<string, LevelMethod>;
  for (const level of Object.keys(logger.levels)) {
    const write = methods[level]!;
    methods[level] = function (this: winston.Logger, ...args: unknown[]) {
      return this.isLevelEnabled(level) ? write.apply(this, args) : this;
    };
  }
  return logger;
}

/** A logger that drops everything, for tests that do not inspect logs. */
export function createSilentLogger(): Logger {
  return winston.createLogger({ silent: true, transports: [new winston.transports.Console()] });
}
