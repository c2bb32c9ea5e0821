import { createPrivateKey } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Cron } from 'croner';
import dotenv from 'dotenv';
import ipaddr from 'ipaddr.js';
import proxyAddr from 'proxy-addr';
import { z } from 'zod';
import { AppError } from '../errors/index.js';

export { resolveFromRoot } from './paths.js';

export const LOG_LEVELS = ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'] as const;
export const NODE_ENVS = ['development', 'production', 'test'] as const;

const emptyToUndefined = (value: unknown) => (value === '' ? undefined : value);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());

const httpUrl = (what: string) =>
  z
    .string()
    .trim()
    .refine((value) => {
      try {
        const url = new URL(value);
        return url.protocol === 'http:' || url.protocol === 'https:';
      } catch {
        return false;
      }
    }, `expected an http(s) URL such as ${what}`)
    .transform((value) => value.replace(/\/+$/, ''));

const integerIn = (min: number, max: number, example: string) =>
  z.preprocess(
    emptyToUndefined,
    z.coerce
      .number({ error: `expected an integer from ${min} to ${max}, e.g. ${example}` })
      .int(`expected an integer from ${min} to ${max}, e.g. ${example}`)
      .min(min, `expected an integer from ${min} to ${max}, e.g. ${example}`)
      .max(max, `expected an integer from ${min} to ${max}, e.g. ${example}`),
  );

const commaList = (value: string) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/** What express's `trust proxy` takes besides hop counts: addresses, ranges and its three names. */
const TRUST_PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * TRUST_PROXY, as express defines `trust proxy`: a hop count, or the addresses (and ranges) of the
 * proxies in front. `true` (trust every hop) is refused: anyone could then choose their address by
 * sending an X-Forwarded-For header, and the per-address limits would limit nobody.
 */
const TrustProxy = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .trim()
    .optional()
    .superRefine((value, ctx) => {
      if (value === undefined || value === 'false' || /^\d{1,2}$/.test(value)) return;
      const expected = `expected the number of proxies in front of the server (e.g. 1), or their addresses or ranges, comma separated (e.g. 10.0.0.5,10.1.0.0/16, or ${TRUST_PROXY_NAMES.join(', ')})`;
      if (value === 'true') {
        ctx.addIssue({ code: 'custom', message: `'true' would trust any X-Forwarded-For a client sends; ${expected}` });
        return;
      }
      const bad = commaList(value).filter((entry) => {
        try {
          proxyAddr.compile(entry);
          return false;
        } catch {
          return true;
        }
      });
      if (bad.length > 0 || commaList(value).length === 0) ctx.addIssue({ code: 'custom', message: `'${bad.join(',') || value}' is not an address or range; ${expected}` });
    }),
);

/** Addresses or CIDR ranges, comma separated: each is kept in CIDR form ("10.0.0.0/8", "127.0.0.1/32"). */
const NetworkList = z.preprocess(
  emptyToUndefined,
  z
    .string()
    .default('')
    .transform((value, ctx) => {
      const networks: string[] = [];
      for (const entry of commaList(value)) {
        if (ipaddr.isValidCIDR(entry)) {
          const [address, bits] = ipaddr.parseCIDR(entry);
          networks.push(`${address.toString()}/${bits}`);
        } else if (ipaddr.isValid(entry)) {
          const address = ipaddr.parse(entry);
          networks.push(`${address.toString()}/${address.kind() === 'ipv4' ? 32 : 128}`);
        } else {
          ctx.addIssue({ code: 'custom', message: `'${entry}' is not an IP address or CIDR range; expected e.g. 10.20.0.0/16,192.168.1.10 (or 127.0.0.1 for a receiver on this machine)` });
        }
      }
      return networks;
    }),
);
const positiveNumberUpTo = (max: number, example: string) =>
  z.preprocess(
    emptyToUndefined,
    z.coerce
      .number({ error: `expected a number above 0 and at most ${max}, e.g. ${example}` })
      .positive(`expected a number above 0 and at most ${max}, e.g. ${example}`)
      .max(max, `expected a number above 0 and at most ${max}, e.g. ${example}`),
  );

/** Variables every command may use; all have defaults, none is a credential. */
const BaseEnv = z.object({
  DATABASE_PATH: z.preprocess(emptyToUndefined, z.string().default('data/nps-dialer.db')),
  DATABASE_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^postgres(ql)?:\/\/\S+$/, 'expected a PostgreSQL URL, e.g. postgres://nps:secret@db.example.com:5432/nps (unset: SQLite at DATABASE_PATH)')
      .optional(),
  ),
  DATABASE_POOL_SIZE: integerIn(1, 200, '10').default(10),
  NODE_NAME: z.preprocess(emptyToUndefined, z.string().regex(/^[A-Za-z0-9._:-]{1,64}$/, 'expected up to 64 letters, digits, dots, dashes, underscores or colons, e.g. node-2').optional()),
  DIALER_LEASE_SECONDS: integerIn(5, 300, '15').default(15),
  RECORDINGS_DIR: z.preprocess(emptyToUndefined, z.string().default('data/recordings')),
  PORT: integerIn(0, 65535, '3000').default(3000),
  PUBLIC_BASE_URL: z.preprocess(emptyToUndefined, httpUrl('https://dialer.example.com').optional()),
  TRUST_PROXY: TrustProxy,
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: NetworkList,
  LOG_LEVEL: z.preprocess(
    emptyToUndefined,
    z.enum(LOG_LEVELS, { error: `expected one of ${LOG_LEVELS.join(', ')}` }).default('info'),
  ),
  NODE_ENV: z.preprocess(
    emptyToUndefined,
    z.enum(NODE_ENVS, { error: `expected one of ${NODE_ENVS.join(', ')}` }).default('development'),
  ),
  VONAGE_API_HOST: z.preprocess(emptyToUndefined, httpUrl('https://api.nexmo.com').default('https://api.nexmo.com')),
  RECORDING_DOWNLOAD_HOSTS: optionalString,
  VONAGE_JWT_REUSE_SECONDS: integerIn(0, 600, '60').default(60),
  WEBHOOK_TOKEN_MAX_AGE_SECONDS: integerIn(10, 86_400, '300').default(300),
  WEBHOOK_CLOCK_SKEW_SECONDS: integerIn(0, 3600, '60').default(60),
  VONAGE_ACCOUNT_CPS: positiveNumberUpTo(1000, '3').default(3),
  RECORDING_RETENTION_DAYS: integerIn(0, 3650, '90').default(90),
  TRANSCRIPTION_LANGUAGES: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .default('en-US,pl-PL,ru-RU,bg-BG')
      .transform((value, ctx) => {
        const tags = value.split(',').map((t) => t.trim()).filter(Boolean);
        if (tags.length === 1 && tags[0]!.toLowerCase() === 'none') return [];
        const bad = tags.filter((t) => !['en-US', 'pl-PL', 'ru-RU', 'bg-BG'].includes(t));
        if (bad.length > 0) ctx.addIssue({ code: 'custom', message: `'${bad.join("', '")}' is not a survey language; expected a comma-separated list of en-US, pl-PL, ru-RU, bg-BG, or none` });
        return tags;
      }),
  ),
  REPORT_LINK_SECRET: z.preprocess(
    emptyToUndefined,
    z.string().min(32, 'expected at least 32 random characters, e.g. the output of `openssl rand -base64 32`').optional(),
  ),
  CONSOLE_OPERATOR_TOKEN: z.preprocess(
    emptyToUndefined,
    z.string().min(32, 'expected at least 32 random characters, e.g. the output of `openssl rand -base64 32`').optional(),
  ),
  CONSOLE_SESSION_MINUTES: integerIn(1, 1440, '30').default(30),
  REPORTS_DIR: z.preprocess(emptyToUndefined, z.string().default('data/reports')),
  INTERIM_REPORT_CRON: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .trim()
      .default('0 7 * * *')
      .refine((pattern) => pattern === 'off' || cronAccepts(pattern, 'UTC'), 'expected a croner pattern such as "0 7 * * *" (07:00 daily), or off'),
  ),
  INTERIM_REPORT_TZ: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .trim()
      .default('UTC')
      .refine((zone) => cronAccepts('0 7 * * *', zone), 'expected an IANA time zone such as Europe/Warsaw'),
  ),
  CAP_DAYS_BETWEEN_SURVEYS: integerIn(0, 3650, '30').default(30),
  CAP_ATTEMPTS_PER_30_DAYS: integerIn(0, 1000, '4').default(4),
  TARIFF_CURRENCY: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^[A-Z]{3}$/, 'expected an ISO 4217 currency code such as EUR')
      .default('EUR'),
  ),
  TARIFF_CALL_FEE_MINOR: integerIn(0, 1_000_000, '0').default(0),
  TARIFF_PER_MINUTE_MINOR: integerIn(0, 1_000_000, '12').default(12),
  TARIFF_INCREMENT: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .regex(/^\d{1,4}\/\d{1,4}$/, 'expected "first/next" seconds such as 60/60 or 1/1')
      .refine((v) => v.split('/').every((p) => Number(p) > 0), 'expected both increments to be at least 1 second')
      .default('60/60'),
  ),
});

/** Whether croner takes the pattern in the zone (it reports a bad zone only when it computes a date). */
function cronAccepts(pattern: string, timezone: string): boolean {
  try {
    new Cron(pattern, { timezone, paused: true }).nextRun(new Date(0));
    return true;
  } catch {
    return false;
  }
}

/** Variables only the commands that talk to Vonage need. */
const VonageEnv = z.object({
  VONAGE_APPLICATION_ID: z.preprocess(
    emptyToUndefined,
    z
      .string({ error: 'required: the Vonage application id (a UUID from the dashboard)' })
      .regex(/^[0-9a-fA-F-]{8,64}$/, 'expected the Vonage application id, a UUID such as aaaaaaaa-bbbb-cccc-dddd-0123456789ab'),
  ),
  VONAGE_PRIVATE_KEY: z.preprocess(
    emptyToUndefined,
    z.string({ error: "required: the application's private key, as a PEM file path or the PEM text" }),
  ),
  VONAGE_SIGNATURE_SECRET: z.preprocess(
    emptyToUndefined,
    z
      .string({ error: 'required: the account signature secret used to sign webhooks' })
      .min(16, 'expected the signature secret from the dashboard (at least 16 characters)'),
  ),
  VONAGE_FROM_NUMBER: z.preprocess(
    emptyToUndefined,
    z
      .string({ error: 'required: your Vonage number in E.164, e.g. +447700900000' })
      .trim()
      .regex(/^\+?\d{7,15}$/, 'expected a Vonage number in E.164, e.g. +447700900000')
      .transform((v) => v.replace(/^\+/, '')),
  ),
});

export interface Tariff {
  currency: string;
  callFeeMinor: number;
  perMinuteMinor: number;
  firstIncrementSeconds: number;
  nextIncrementSeconds: number;
}

/**
 * Cross-list contact-frequency caps (docs/configuration.md, "Frequency caps"). 0 turns a cap off.
 */
export interface FrequencyCaps {
  /** A number a person answered for this client (any of its lists) is not surveyed again within this many days. */
  minDaysBetweenSurveys: number;
  /** Call attempts to one number in the last 30 days, over every list, before it is not called again. */
  maxAttemptsPer30Days: number;
}

export interface VonageCredentials {
  applicationId: string;
  /** PEM text, already read from the file when a path was given. */
  privateKey: string;
  signatureSecret: string;
  /** Digits only, as Vonage wants them on the wire. */
  fromNumber: string;
}

/**
 * express's `trust proxy`: false (the peer's address is the client's), a number of proxy hops, or
 * the proxies' addresses and ranges.
 */
export type TrustProxy = false | number | string[];

export interface AppConfig {
  databasePath: string;
  /** PostgreSQL instead of SQLite (a cluster of nodes, docs/deployment.md); undefined: SQLite at databasePath. */
  databaseUrl: string | undefined;
  /** Connections per node to PostgreSQL. */
  databasePoolSize: number;
  /** This node's name in the cluster (the election's lease, logs); undefined: host, pid and a random suffix. */
  nodeName: string | undefined;
  /** How long the dialing node's lease runs unrenewed: a dead dialer's successor starts within it. */
  leaseTtlMs: number;
  recordingsDir: string;
  port: number;
  /** Where Vonage reaches our webhooks; undefined means http://127.0.0.1:<port>. */
  publicBaseUrl: string | undefined;
  /** Which proxies' X-Forwarded-For the server believes (the client's address for the API's limits). */
  trustProxy: TrustProxy;
  /**
   * Loopback, private or link-local networks (CIDR) that client webhooks may be sent to anyway:
   * on-premises receivers. Empty: webhooks go to public addresses only.
   */
  webhookPrivateNetworks: string[];
  logLevel: (typeof LOG_LEVELS)[number];
  nodeEnv: (typeof NODE_ENVS)[number];
  vonageApiHost: string;
  /** Hosts the recording downloader accepts beyond Vonage's own and the API host. */
  recordingDownloadHosts: string[];
  /** Seconds one application JWT is reused for REST requests and downloads (0 = one per request). */
  jwtReuseSeconds: number;
  /**
   * The freshness window on signed callbacks' `iat`: refused when issued more than `maxAgeSeconds`
   * ago or more than `clockSkewSeconds` ahead of our clock (docs/adr/0003-webhook-signatures.md).
   */
  webhookTokens: { maxAgeSeconds: number; clockSkewSeconds: number };
  /**
   * Create-call requests per rolling second the Vonage account allows: the pace every list of the
   * process shares (a list's `cps` is a ceiling within it).
   */
  accountCps: number;
  /** Comment recordings older than this many days are deleted (0 = kept for ever). */
  recordingRetentionDays: number;
  /** Survey languages whose comments the provider is asked to transcribe (record action `transcription`); empty: none. */
  transcriptionLanguages: string[];
  defaultTariff: Tariff;
  /** Defaults of the cross-list frequency caps; a list's policy may override them. */
  frequencyCaps: FrequencyCaps;
  /** HMAC key of signed report links (`report --link`); links are disabled without it. */
  reportLinkSecret: string | undefined;
  /** The operator's credential for the web console (docs/console.md); without it the operator view is off. */
  consoleOperatorToken: string | undefined;
  /** How long a console session lasts without a request, in minutes. */
  consoleSessionMinutes: number;
  /** Where `serve` writes the daily interim reports. */
  reportsDir: string;
  /** When `serve` produces the daily interim reports (a croner pattern in `timezone`); null: never. */
  interimReports: { cron: string; timezone: string } | null;
  /** Present only when the command asked for Vonage credentials. */
  vonage: VonageCredentials | undefined;
}

export interface ConfigProblem {
  variable: string;
  problem: string;
  /** The variable is not set (or empty), rather than set to a value that is refused. */
  missing?: true;
}

export class ConfigError extends AppError {
  readonly problems: ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    const lines = problems.map((p) => `  ${p.variable}: ${p.problem}`).join('\n');
    super('CONFIG_INVALID', `configuration is incomplete or invalid:\n${lines}\nSee .env.example and docs/configuration.md.`, {
      details: { problems },
    });
    this.problems = problems;
  }
}

function problemsOf(error: z.ZodError, env: Record<string, string | undefined>): ConfigProblem[] {
  return error.issues.map((issue) => {
    const variable = String(issue.path[0] ?? '?');
    return { variable, problem: issue.message, ...(emptyToUndefined(env[variable]) === undefined ? { missing: true as const } : {}) };
  });
}

/** Reads a PEM from the variable: the PEM itself (escaped newlines allowed) or a path to a file. */
function loadPrivateKey(value: string, cwd: string): { pem?: string; problem?: string } {
  let pem: string;
  if (value.includes('-----BEGIN')) {
    pem = value.replace(/\\n/g, '\n');
  } else {
    const file = path.resolve(cwd, value);
    if (!existsSync(file)) return { problem: `no such file "${value}"; give a path to the PEM file or the PEM text` };
    pem = readFileSync(file, 'utf8');
  }
  try {
    createPrivateKey(pem);
    return { pem };
  } catch {
    return { problem: 'not a readable PEM private key (expected "-----BEGIN PRIVATE KEY-----")' };
  }
}

export interface ParseConfigOptions {
  /** Validate the Vonage credentials too (dialing, the webhook server). */
  needsVonage?: boolean;
  /** Base for relative paths; defaults to the current directory. */
  cwd?: string;
}

/**
 * Parses configuration from an environment object. Pure apart from reading the private-key file,
 * so tests pass plain objects. Throws one ConfigError naming every problem at once.
 */
export function parseConfig(env: Record<string, string | undefined>, options: ParseConfigOptions = {}): AppConfig {
  const cwd = options.cwd ?? process.cwd();
  const problems: ConfigProblem[] = [];
  const base = BaseEnv.safeParse(env);
  if (!base.success) problems.push(...problemsOf(base.error, env));

  let vonage: VonageCredentials | undefined;
  if (options.needsVonage) {
    const parsed = VonageEnv.safeParse(env);
    if (!parsed.success) problems.push(...problemsOf(parsed.error, env));
    if (parsed.success) {
      const key = loadPrivateKey(parsed.data.VONAGE_PRIVATE_KEY, cwd);
      if (key.problem) problems.push({ variable: 'VONAGE_PRIVATE_KEY', problem: key.problem });
      else
        vonage = {
          applicationId: parsed.data.VONAGE_APPLICATION_ID,
          privateKey: key.pem!,
          signatureSecret: parsed.data.VONAGE_SIGNATURE_SECRET,
          fromNumber: parsed.data.VONAGE_FROM_NUMBER,
        };
    } else if (env.VONAGE_PRIVATE_KEY) {
      const key = loadPrivateKey(env.VONAGE_PRIVATE_KEY, cwd);
      if (key.problem) problems.push({ variable: 'VONAGE_PRIVATE_KEY', problem: key.problem });
    }
  }
  if (problems.length > 0 || !base.success) throw new ConfigError(problems);

  const b = base.data;
  const [first, next] = b.TARIFF_INCREMENT.split('/').map(Number) as [number, number];
  return {
    databasePath: path.resolve(cwd, b.DATABASE_PATH),
    databaseUrl: b.DATABASE_URL,
    databasePoolSize: b.DATABASE_POOL_SIZE,
    nodeName: b.NODE_NAME,
    leaseTtlMs: b.DIALER_LEASE_SECONDS * 1000,
    recordingsDir: path.resolve(cwd, b.RECORDINGS_DIR),
    port: b.PORT,
    publicBaseUrl: b.PUBLIC_BASE_URL,
    trustProxy: trustProxySetting(b.TRUST_PROXY),
    webhookPrivateNetworks: b.WEBHOOK_ALLOW_PRIVATE_NETWORKS,
    logLevel: b.LOG_LEVEL,
    nodeEnv: b.NODE_ENV,
    vonageApiHost: b.VONAGE_API_HOST,
    recordingDownloadHosts: (b.RECORDING_DOWNLOAD_HOSTS ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
    jwtReuseSeconds: b.VONAGE_JWT_REUSE_SECONDS,
    webhookTokens: { maxAgeSeconds: b.WEBHOOK_TOKEN_MAX_AGE_SECONDS, clockSkewSeconds: b.WEBHOOK_CLOCK_SKEW_SECONDS },
    accountCps: b.VONAGE_ACCOUNT_CPS,
    recordingRetentionDays: b.RECORDING_RETENTION_DAYS,
    transcriptionLanguages: b.TRANSCRIPTION_LANGUAGES,
    defaultTariff: {
      currency: b.TARIFF_CURRENCY,
      callFeeMinor: b.TARIFF_CALL_FEE_MINOR,
      perMinuteMinor: b.TARIFF_PER_MINUTE_MINOR,
      firstIncrementSeconds: first,
      nextIncrementSeconds: next,
    },
    frequencyCaps: { minDaysBetweenSurveys: b.CAP_DAYS_BETWEEN_SURVEYS, maxAttemptsPer30Days: b.CAP_ATTEMPTS_PER_30_DAYS },
    reportLinkSecret: b.REPORT_LINK_SECRET,
    consoleOperatorToken: b.CONSOLE_OPERATOR_TOKEN,
    consoleSessionMinutes: b.CONSOLE_SESSION_MINUTES,
    reportsDir: path.resolve(cwd, b.REPORTS_DIR),
    interimReports: b.INTERIM_REPORT_CRON === 'off' ? null : { cron: b.INTERIM_REPORT_CRON, timezone: b.INTERIM_REPORT_TZ },
    vonage,
  };
}

function trustProxySetting(value: string | undefined): TrustProxy {
  if (value === undefined || value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value) === 0 ? false : Number(value);
  return commaList(value);
}

let dotenvLoaded = false;

/**
 * The one place the process environment is read. Loads `.env` from the current directory when it
 * exists (never overriding variables already set), then parses.
 */
export function readConfig(options: ParseConfigOptions = {}): AppConfig {
  if (!dotenvLoaded) {
    dotenv.config({ quiet: true });
    dotenvLoaded = true;
  }
  return parseConfig(process.env, options);
}
