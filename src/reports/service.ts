import { readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { listLists, type ListStore } from '../contacts/index.js';
import { AppError } from '../errors/index.js';
import { buildReport, listComments, loadListHeader, type ReportDeps } from './builder.js';
import { agentsCsv, contactsCsv, summaryCsv } from './csv.js';
import { renderHtml, type HtmlComment } from './html.js';
import { MAX_LINK_LIFETIME_MS, signRecordingLink, signReportLink, verifyRecordingLink, verifyReportLink } from './links.js';
import type { CommentItem, ReportAudience, ReportFormat } from './model.js';

/** The use cases the CLI and the HTTP API call: each takes its deps and one input object. */

export interface ReportServiceDeps extends ReportDeps {
  /** REPORT_LINK_SECRET: signed links can be neither made nor accepted without it. */
  linkSecret: string | undefined;
}

export interface RenderedReport {
  format: ReportFormat;
  contentType: string;
  filename: string;
  /** JSON and HTML are small strings; the per-contact CSV is a stream. */
  body: string | Readable;
}

export interface RenderInput {
  listId: number;
  format: ReportFormat;
  /** Whose copy: the client's (the default; without the provider's cost) or the operator's. */
  audience?: ReportAudience;
  /** CSV: full phone numbers instead of masked ones. */
  full?: boolean;
  /** CSV: the aggregate table instead of one row per contact. */
  summary?: boolean;
  /**
   * How the HTML links a recording too large to embed, given the comment and the file's absolute
   * path; null leaves it without a player.
   */
  recordingHref?: (comment: CommentItem, absolutePath: string) => string | null;
}

/** The HTML shows this many comments at most (detractors first); the CSV has them all. */
export const MAX_HTML_COMMENTS = 200;
/** A recording up to this size is embedded as a data: URI, so the page plays it offline. */
export const EMBED_MAX_BYTES = 256 * 1024;
/** Embedded recordings in one page stop here; the rest are links, keeping the page openable. */
export const EMBED_BUDGET_BYTES = 8 * 1024 * 1024;

const AUDIO_TYPES: Record<string, string> = { '.mp3': 'audio/mpeg', '.wav': 'audio/wav', '.ogg': 'audio/ogg' };
export const audioContentType = (file: string) => AUDIO_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';

export async function renderReport(deps: ReportServiceDeps, input: RenderInput): Promise<RenderedReport> {
  const base = `nps-report-list-${input.listId}`;
  if (input.format === 'csv') {
    if (input.summary) {
      return { format: 'csv', contentType: 'text/csv; charset=utf-8', filename: `${base}-summary.csv`, body: summaryCsv(await buildReport(deps, input)) };
    }
    const settings = await deps.listSettings(input.listId);
    return {
      format: 'csv',
      contentType: 'text/csv; charset=utf-8',
      filename: `${base}.csv`,
      body: await contactsCsv(deps.reader, { listId: input.listId, full: input.full ?? false, listLanguage: settings.explicitLanguage, listCountry: settings.defaultCountry }),
    };
  }
  const report = await buildReport(deps, input);
  if (input.format === 'json') {
    return { format: 'json', contentType: 'application/json; charset=utf-8', filename: `${base}.json`, body: `${JSON.stringify(report, null, 2)}\n` };
  }
  const { items, total } = await listComments(deps.reader, input.listId, MAX_HTML_COMMENTS);
  let budget = EMBED_BUDGET_BYTES;
  const comments: HtmlComment[] = items.map((comment) => {
    const file = resolveRecording(deps.config.recordingsDir, comment.file);
    if (!file) return { ...comment, audio: null };
    const contentType = audioContentType(file.path);
    if (file.bytes <= EMBED_MAX_BYTES && file.bytes <= budget) {
      budget -= file.bytes;
      return { ...comment, audio: { src: `data:${contentType};base64,${readFileSync(file.path).toString('base64')}`, embedded: true, contentType } };
    }
    const href = input.recordingHref?.(comment, file.path) ?? null;
    return { ...comment, audio: href === null ? null : { src: href, embedded: false, contentType } };
  });
  return { format: 'html', contentType: 'text/html; charset=utf-8', filename: `${base}.html`, body: renderHtml(report, { comments, commentsTotal: total }) };
}

/**
 * A recording file under RECORDINGS_DIR, or null. The stored path is resolved with symlinks
 * followed and must stay inside the directory: a damaged or hostile comment_file ("../../etc")
 * cannot make the API serve anything else.
 */
export function resolveRecording(recordingsDir: string, relative: string): { path: string; bytes: number } | null {
  try {
    const root = realpathSync(recordingsDir);
    const candidate = realpathSync(path.resolve(root, relative));
    const inside = path.relative(root, candidate);
    if (inside === '' || inside.startsWith('..') || path.isAbsolute(inside)) return null;
    const stat = statSync(candidate);
    return stat.isFile() ? { path: candidate, bytes: stat.size } : null;
  } catch {
    return null;
  }
}

export interface ClientListSummary {
  id: number;
  name: string;
  createdAt: string;
  previousListId: number | null;
  contacts: number;
  /** Contacts in a final state; `progress` is their share. */
  finalContacts: number;
  progress: number | null;
  responded: number;
  final: boolean;
}

/** The caller's own lists with their progress, newest first. */
export async function clientLists(deps: { lists: ListStore }, input: { clientId: number }): Promise<ClientListSummary[]> {
  return (await listLists({ lists: deps.lists, clientId: input.clientId })).map((l) => {
    const finalContacts = l.contacts - l.byStatus.pending - l.byStatus.dialing;
    return {
      id: l.id,
      name: l.name,
      createdAt: new Date(l.createdAt).toISOString(),
      previousListId: l.previousListId,
      contacts: l.contacts,
      finalContacts,
      progress: l.contacts === 0 ? null : finalContacts / l.contacts,
      responded: l.byStatus.responded,
      final: l.final,
    };
  });
}

/** Another client's list answers exactly like a missing one, so ids cannot be probed. */
async function assertClientList(deps: Pick<ReportDeps, 'reader'>, clientId: number, listId: number): Promise<void> {
  const row = await deps.reader.get<{ clientId: number | null }>(`SELECT client_id AS "clientId" FROM lists WHERE id = ? AND state = 'ready'`, [listId]);
  if (!row || row.clientId !== clientId) throw new AppError('NOT_FOUND', `list ${listId} does not exist`);
}

export async function clientReport(
  deps: ReportServiceDeps,
  input: { clientId: number; listId: number; format: ReportFormat; full?: boolean; summary?: boolean },
): Promise<RenderedReport> {
  await assertClientList(deps, input.clientId, input.listId);
  // The page is served at /api/v1/lists/:id/report, so this resolves to the recordings route.
  return renderReport(deps, { ...input, audience: 'client', recordingHref: (comment) => `recordings/${comment.callId}` });
}

export interface RecordingFile {
  path: string;
  contentType: string;
  bytes: number;
}

async function recordingOf(deps: Pick<ReportDeps, 'reader' | 'config'>, listId: number, callId: number): Promise<RecordingFile> {
  const row = await deps.reader.get<{ file: string | null }>(`SELECT comment_file AS file FROM responses WHERE call_id = ? AND list_id = ? AND comment_status = 'downloaded'`, [callId, listId]);
  const file = row?.file ? resolveRecording(deps.config.recordingsDir, row.file) : null;
  if (!file) throw new AppError('NOT_FOUND', `call ${callId} of list ${listId} has no recording`);
  return { ...file, contentType: audioContentType(file.path) };
}

export async function clientRecording(deps: Pick<ReportDeps, 'reader' | 'config'>, input: { clientId: number; listId: number; callId: number }): Promise<RecordingFile> {
  await assertClientList(deps, input.clientId, input.listId);
  return recordingOf(deps, input.listId, input.callId);
}

function requireSecret(deps: Pick<ReportServiceDeps, 'linkSecret'>): string {
  if (!deps.linkSecret) {
    throw new AppError('CONFIG_INVALID', 'signed report links need REPORT_LINK_SECRET (at least 32 characters); see docs/configuration.md');
  }
  return deps.linkSecret;
}

/** A signed URL for one list's report in one format, valid for `expiresInMs`. */
export async function createReportLink(
  deps: Pick<ReportServiceDeps, 'reader' | 'clock' | 'linkSecret'>,
  input: { listId: number; format: ReportFormat; expiresInMs: number; baseUrl: string },
): Promise<{ url: string; expiresAt: string }> {
  const secret = requireSecret(deps);
  if (!(input.expiresInMs > 0 && input.expiresInMs <= MAX_LINK_LIFETIME_MS)) {
    throw new AppError('USAGE', `--expires must be more than 0 and at most ${MAX_LINK_LIFETIME_MS / 86_400_000}d, got ${Math.round(input.expiresInMs / 1000)} s`);
  }
  await loadListHeader(deps.reader, input.listId);
  const expiresAt = deps.clock.now() + input.expiresInMs;
  const token = signReportLink(secret, { listId: input.listId, format: input.format, expiresAt });
  return { url: `${input.baseUrl.replace(/\/+$/, '')}/api/v1/links/${token}`, expiresAt: new Date(expiresAt).toISOString() };
}

function openLink(deps: ReportServiceDeps, token: string) {
  // Without a secret every link is refused the same way as an altered one.
  if (!deps.linkSecret) throw new AppError('UNAUTHORIZED', 'signed links are not enabled', { userMessage: 'this link is not valid' });
  return verifyReportLink(deps.linkSecret, token, deps.clock.now());
}

/** The report a signed link stands for; numbers stay masked, whoever the link was forwarded to. */
export async function linkedReport(deps: ReportServiceDeps, input: { token: string }): Promise<RenderedReport> {
  const link = openLink(deps, input.token);
  // The page is served at /api/v1/links/<token>: relative links must repeat the token.
  return renderReport(deps, { listId: link.listId, format: link.format, audience: 'client', recordingHref: (comment) => `${input.token}/recordings/${comment.callId}` });
}

export async function linkedRecording(deps: ReportServiceDeps, input: { token: string; callId: number }): Promise<RecordingFile> {
  const link = openLink(deps, input.token);
  return recordingOf(deps, link.listId, input.callId);
}

/** How long the recording link of a detractor alert stays valid. */
export const RECORDING_LINK_LIFETIME_MS = 14 * 86_400_000;

/**
 * A signed URL of one call's comment recording (for detractor alerts), or null when signed links
 * are not enabled (no REPORT_LINK_SECRET): an alert then goes without the link.
 */
export function createRecordingLink(deps: Pick<ReportServiceDeps, 'clock' | 'linkSecret'>, input: { listId: number; callId: number; baseUrl: string; expiresInMs?: number }): { url: string; expiresAt: string } | null {
  if (!deps.linkSecret) return null;
  const expiresAt = deps.clock.now() + (input.expiresInMs ?? RECORDING_LINK_LIFETIME_MS);
  const token = signRecordingLink(deps.linkSecret, { listId: input.listId, callId: input.callId, expiresAt });
  return { url: `${input.baseUrl.replace(/\/+$/, '')}/api/v1/recording-links/${token}`, expiresAt: new Date(expiresAt).toISOString() };
}

/** The recording a recording link stands for. */
export async function linkedRecordingByToken(deps: ReportServiceDeps, input: { token: string }): Promise<RecordingFile> {
  if (!deps.linkSecret) throw new AppError('UNAUTHORIZED', 'signed links are not enabled', { userMessage: 'this link is not valid' });
  const link = verifyRecordingLink(deps.linkSecret, input.token, deps.clock.now());
  return recordingOf(deps, link.listId, link.callId);
}

/**
 * `report --by agent`: the per-agent results alone, as the JSON report's `agents` with the list's
 * header, or as a CSV table. The HTML page always has them.
 */
export async function renderAgentReport(deps: ReportServiceDeps, input: { listId: number; format: 'json' | 'csv' }): Promise<RenderedReport> {
  const report = await buildReport(deps, input);
  const base = `nps-agents-list-${input.listId}`;
  if (input.format === 'csv') return { format: 'csv', contentType: 'text/csv; charset=utf-8', filename: `${base}.csv`, body: agentsCsv(report.agents) };
  const body = { schemaVersion: report.schemaVersion, listId: report.listId, listName: report.listName, final: report.final, generatedAt: report.generatedAt, agents: report.agents };
  return { format: 'json', contentType: 'application/json; charset=utf-8', filename: `${base}.json`, body: `${JSON.stringify(body, null, 2)}\n` };
}
