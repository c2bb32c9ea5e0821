import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { NPS_CATEGORIES } from '../ivr/index.js';
import { CommentsQuery, ThemesCorrection, type CommentView, type CorrectionResult } from '../comments/index.js';
import { CASE_STATUSES, JUDGEMENT_SOURCES, SENTIMENTS, TRIGGER_STATUSES } from '../db/schema/index.js';
import { CasePatch, CasesQuery, type CaseView } from '../followup/index.js';
import { REPORT_SCHEMA_VERSION, type ClientListSummary } from '../reports/index.js';
import { IdempotencyKey, TriggerRequest, type TriggerReason, type TriggerResult } from '../triggers/index.js';
import { InputBody, InputStepQuery, RecordingBody, StatusEventBody, TranscriptionBody } from './payloads.js';
import { CallId, CaseId, ListId, ReportQuery, ResponseId } from './schemas.js';

/** What /readyz answers (docs/deployment.md). */
const NodeReadiness = z.object({
  ready: z.boolean(),
  node: z.string().optional(),
  backend: z.enum(['sqlite', 'postgres']).optional(),
  database: z.string().optional().describe("'ok', or why the database does not answer"),
  draining: z.boolean().optional(),
  dialing: z.boolean().optional().describe('whether this node dials (holds the lock or the lease)'),
  dialer: z
    .object({ node: z.string(), address: z.string().nullable(), fence: z.number().int(), leaseExpiresAt: z.string() })
    .nullable()
    .optional()
    .describe("the cluster's dialing node, from the lease (PostgreSQL); null on SQLite"),
});

/** Where the document is served, without credentials (also at /openapi.json). */
export const API_DOCUMENT_PATH = '/api/v1/openapi.json';

// The document is generated from the zod schemas the routes parse with (schemas.ts, the follow-up
// and survey modules, the webhook payloads); only the answers, which no route parses, have
// schemas of their own here, and each is checked at compile time against the type the route
// sends (`Same` below), so a field added to a view without its schema does not compile.
// test/http/openapi.test.ts checks that every route of the express app is documented.

/** True when A and B are the same type; the assertions below fail to compile otherwise. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

const Time = z.iso.datetime().meta({ description: 'ISO 8601, UTC.' });

const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'A stable code: INPUT_INVALID, UNAUTHORIZED, NOT_FOUND, CONFLICT, RATE_LIMITED, PAYLOAD_TOO_LARGE, INTERNAL, …' }),
      message: z.string().meta({ description: 'What is wrong, naming the field, the bad value and what is accepted.' }),
    }),
  })
  .meta({ id: 'Error' });

const ListSummary = z
  .object({
    id: z.number().int(),
    name: z.string(),
    createdAt: Time,
    previousListId: z.number().int().nullable().meta({ description: 'The wave this list follows up, if any.' }),
    contacts: z.number().int(),
    finalContacts: z.number().int().meta({ description: 'Contacts in a final state.' }),
    progress: z.number().min(0).max(1).nullable().meta({ description: 'finalContacts / contacts; null for an empty list.' }),
    responded: z.number().int(),
    final: z.boolean().meta({ description: 'Every contact is final: the report will not change.' }),
  })
  .meta({ id: 'ListSummary' });

const Case = z
  .object({
    id: z.number().int(),
    listId: z.number().int(),
    surveyId: z.number().int().nullable().meta({ description: 'The triggered survey that created the contact, when it was one.' }),
    responseId: z.number().int(),
    callId: z.number().int(),
    score: z.number().int().min(0).max(10),
    agent: z.string().nullable(),
    contact: z.object({
      id: z.number().int(),
      phone: z.string().meta({ description: 'Masked to the last three digits.' }),
      attributes: z.record(z.string(), z.unknown()).meta({ description: "The contact's attributes (the client's own, e.g. a ticket id)." }),
    }),
    comment: z
      .object({
        text: z.string().nullable().meta({ description: "The detractor's words; null without a text, or once retention removed it." }),
        themes: z.array(z.string()).meta({ description: 'Theme ids, in name order.' }),
        sentiment: z.enum(SENTIMENTS).nullable(),
      })
      .meta({ description: 'What the detractor said and what it is about.' }),
    reason: z.string().nullable().meta({ description: "The keypad reason's choice key, when the list asked and the callee chose." }),
    owner: z.string().nullable(),
    status: z.enum(CASE_STATUSES),
    note: z.string().nullable(),
    dueAt: Time,
    overdue: z.boolean().meta({ description: 'Open after dueAt.' }),
    createdAt: Time,
    updatedAt: Time,
    contactedAt: Time.nullable().meta({ description: 'The first time the status became contacted.' }),
    resolvedAt: Time.nullable().meta({ description: 'When the case was resolved; cleared when it is reopened.' }),
  })
  .meta({ id: 'Case' });

const CasesPage = z
  .object({
    cases: z.array(Case).meta({ description: 'Newest first.' }),
    next: z.string().nullable().meta({ description: 'The path of the older cases with the same filters when the page is full, else null.' }),
  })
  .meta({ id: 'CasesPage' });

const Comment = z
  .object({
    responseId: z.number().int(),
    score: z.number().int().min(0).max(10),
    category: z.enum(NPS_CATEGORIES),
    text: z.string().nullable().meta({ description: 'The words; null once retention removed them (the themes stay).' }),
    language: z.string().nullable(),
    themes: z.array(z.string()).meta({ description: 'Theme ids of the client taxonomy, in name order.' }),
    themesSource: z.enum(JUDGEMENT_SOURCES).nullable().meta({ description: '`manual` after a correction: never overwritten by a re-classification.' }),
    sentiment: z.enum(SENTIMENTS).nullable(),
    sentimentSource: z.enum(JUDGEMENT_SOURCES).nullable(),
    reason: z.string().nullable().meta({ description: "The keypad reason's choice key." }),
    respondedAt: Time,
    phone: z.string().optional().meta({ description: "Never in the client API (only in the operator's CLI, masked)." }),
  })
  .meta({ id: 'Comment' });

const CommentsPage = z.object({ comments: z.array(Comment).meta({ description: 'Lowest score first.' }) }).meta({ id: 'CommentsPage' });

const Corrected = z
  .object({
    responseId: z.number().int(),
    listId: z.number().int(),
    themes: z.array(z.string()),
    themesSource: z.enum(JUDGEMENT_SOURCES),
    sentiment: z.enum(SENTIMENTS).nullable(),
    sentimentSource: z.enum(JUDGEMENT_SOURCES).nullable(),
    correctionId: z.number().int().nullable().meta({ description: 'The audit entry written; null when the request changed nothing.' }),
  })
  .meta({ id: 'ThemesCorrected' });

const TRIGGER_REASONS = ['not_before', 'outside_window', 'suppressed', 'recent_survey', 'attempt_cap', 'no_time_zone', 'no_window', 'already_in_list'] as const;

const SurveyTriggered = z
  .object({
    surveyId: z.number().int(),
    listId: z.number().int(),
    status: z.enum(TRIGGER_STATUSES),
    reason: z.enum(TRIGGER_REASONS).nullable().meta({ description: 'Why it is scheduled for later or refused (docs/report-format.md, "Triggered surveys").' }),
    message: z.string(),
    callAt: Time.nullable().meta({ description: 'When the call is due; null when refused.' }),
  })
  .meta({ id: 'SurveyTriggered' });

type _AnswersMatchWhatTheRoutesSend = [
  Same<z.output<typeof ListSummary>, ClientListSummary>,
  Same<z.output<typeof Case>, CaseView>,
  Same<z.output<typeof SurveyTriggered>, TriggerResult>,
  Same<(typeof TRIGGER_REASONS)[number], TriggerReason>,
  Same<z.output<typeof Comment>, CommentView>,
  Same<z.output<typeof Corrected>, CorrectionResult>,
] extends [true, true, true, true, true, true]
  ? true
  : never;
const _answersMatch: _AnswersMatchWhatTheRoutesSend = true;

const Report = z
  .looseObject({ schemaVersion: z.literal(REPORT_SCHEMA_VERSION), audience: z.literal('client') })
  .meta({ id: 'Report', description: 'The versioned JSON report, every field described in docs/report-format.md.' });

const Pointer = z
  .object({ name: z.string(), openapi: z.string(), documentation: z.string(), health: z.string() })
  .meta({ id: 'Pointer', description: 'Where the API is described.' });

const Token = z.string().meta({ description: 'The signed token of the link, as given out.' });
const CallRef = z.string().meta({ description: "The attempt's reference, as put in the webhook URLs of the call." });

const json = (schema: z.ZodType) => ({ 'application/json': { schema } });
const errors = (...statuses: (400 | 401 | 404 | 409 | 413 | 429)[]) =>
  Object.fromEntries(statuses.map((status) => [status, { $ref: `#/components/responses/${ERROR_RESPONSES[status].name}` }]));
const ERROR_RESPONSES = {
  400: { name: 'BadRequest', description: 'A bad id, query or body; the message names the field and what is accepted.' },
  401: { name: 'Unauthorized', description: 'No API key, an unknown one, or a link that is altered, expired or off.' },
  404: { name: 'NotFound', description: "Missing, or another client's: the two are indistinguishable." },
  409: { name: 'Conflict', description: 'The request conflicts with the state (a list that takes no triggers, an Idempotency-Key used with another body).' },
  413: { name: 'PayloadTooLarge', description: 'The body is larger than accepted.' },
  429: {
    name: 'RateLimited',
    description: 'Too many requests with this key (120 a minute) or to the signed links from this address, or too many failed authentications from this address (20 in 15 minutes). A valid key is never refused for the failures of others.',
  },
} as const;
const recording = {
  description: 'The comment recording.',
  content: Object.fromEntries(['audio/mpeg', 'audio/wav', 'audio/ogg'].map((type) => [type, { schema: { type: 'string', contentMediaType: type } as const }])),
};
const report = {
  description: 'The report. JSON and HTML inline, CSV as an attachment.',
  content: {
    ...json(Report),
    'text/csv': { schema: { type: 'string' as const, description: 'A row per contact, or the summary (docs/report-format.md, "CSV").' } },
    'text/html': { schema: { type: 'string' as const, description: 'A self-contained page.' } },
  },
};
const ncco = { description: 'The next NCCO (call control actions).', content: json(z.array(z.looseObject({ action: z.string() })).meta({ id: 'Ncco' })) };

const pointer = (path: string): RouteConfig => ({
  method: 'get',
  path,
  tags: ['Discovery'],
  summary: 'Where the API is described',
  description: `Answers with the path of this document (also in a \`Link: <${API_DOCUMENT_PATH}>; rel="service-desc"\` header).`,
  security: [],
  responses: { 200: { description: 'A pointer to the OpenAPI document.', content: json(Pointer) } },
});
const document = (path: string): RouteConfig => ({
  method: 'get',
  path,
  tags: ['Discovery'],
  summary: 'This OpenAPI document',
  security: [],
  responses: { 200: { description: 'The OpenAPI 3.1 document.', content: { 'application/json': { schema: { type: 'object' } } } } },
});
const callback = (method: 'get' | 'post', path: string, summary: string, request: RouteConfig['request'], responses: RouteConfig['responses']): RouteConfig => ({
  method,
  path,
  tags: ['Vonage callbacks'],
  summary,
  description: 'Called by the Vonage Voice API only, never by clients. Signed: an HS256 JWT under the account signature secret whose payload_hash is the SHA-256 of the body.',
  security: [{ vonageSignature: [] }],
  request,
  responses: { ...responses, ...errors(400, 401, 404, 413) },
});

const ROUTES: RouteConfig[] = [
  pointer('/'),
  pointer('/api'),
  pointer('/docs'),
  pointer('/api/v1'),
  document('/openapi.json'),
  document(API_DOCUMENT_PATH),
  {
    method: 'get',
    path: '/healthz',
    tags: ['Discovery'],
    summary: 'Liveness: the server answers, and which node it is',
    security: [],
    responses: {
      200: {
        description: 'Up.',
        content: json(z.object({ ok: z.literal(true), node: z.string().optional(), backend: z.enum(['sqlite', 'postgres']).optional(), dialing: z.boolean().optional(), draining: z.boolean().optional() })),
      },
    },
  },
  {
    method: 'get',
    path: '/readyz',
    tags: ['Discovery'],
    summary: "Readiness, for a load balancer's check: the node's database answers and it is not draining",
    security: [],
    responses: {
      200: { description: 'Ready: send it traffic.', content: json(NodeReadiness) },
      503: { description: 'Not ready (its database does not answer, or it drains after SIGTERM): send it nothing new.', content: json(NodeReadiness) },
    },
  },
  {
    method: 'get',
    path: '/api/v1/lists',
    tags: ['Lists and reports'],
    summary: "The caller's own lists with their progress, newest first",
    responses: { 200: { description: 'The lists.', content: json(z.object({ lists: z.array(ListSummary) })) }, ...errors(401, 429) },
  },
  {
    method: 'get',
    path: '/api/v1/lists/{id}/report',
    tags: ['Lists and reports'],
    summary: "A list's NPS report, as JSON, CSV or HTML",
    request: { params: z.object({ id: ListId }), query: ReportQuery },
    responses: { 200: report, ...errors(400, 401, 404, 429) },
  },
  {
    method: 'get',
    path: '/api/v1/lists/{id}/recordings/{callId}',
    tags: ['Lists and reports'],
    summary: "A comment recording of one of the caller's lists",
    request: { params: z.object({ id: ListId, callId: CallId }) },
    responses: { 200: recording, ...errors(400, 401, 404, 429) },
  },
  {
    method: 'get',
    path: '/api/v1/links/{token}',
    tags: ['Signed links'],
    summary: 'The report a signed link stands for (`nps-dialer report --link`)',
    security: [],
    request: { params: z.object({ token: Token }) },
    responses: { 200: report, ...errors(401, 429) },
  },
  {
    method: 'get',
    path: '/api/v1/links/{token}/recordings/{callId}',
    tags: ['Signed links'],
    summary: "A recording of a signed link's list",
    security: [],
    request: { params: z.object({ token: Token, callId: CallId }) },
    responses: { 200: recording, ...errors(400, 401, 404, 429) },
  },
  {
    method: 'get',
    path: '/api/v1/recording-links/{token}',
    tags: ['Signed links'],
    summary: 'The one comment recording a detractor alert links to',
    security: [],
    request: { params: z.object({ token: Token }) },
    responses: { 200: recording, ...errors(401, 404, 429) },
  },
  {
    method: 'post',
    path: '/api/v1/surveys',
    tags: ['Triggered surveys'],
    summary: 'Trigger a post-call survey rating an agent',
    description: 'Screened like any contact (do-not-call list, frequency caps, calling hours); the answer says whether it is queued, scheduled or refused, and why. The same Idempotency-Key with the same body answers the first answer again.',
    request: {
      headers: z.object({ 'Idempotency-Key': IdempotencyKey.optional() }),
      body: { required: true, content: json(TriggerRequest.meta({ id: 'SurveyRequest' })) },
    },
    responses: {
      202: {
        description: 'Accepted: queued, scheduled or refused.',
        headers: z.object({ 'Idempotent-Replayed': z.literal('true').optional().meta({ description: 'Present on a replayed answer.' }) }),
        content: json(SurveyTriggered),
      },
      ...errors(400, 401, 404, 409, 413, 429),
    },
  },
  {
    method: 'get',
    path: '/api/v1/lists/{id}/comments',
    tags: ['Lists and reports'],
    summary: "A list's comments with words, their themes and sentiment (no phone numbers)",
    request: { params: z.object({ id: ListId }), query: CommentsQuery },
    responses: { 200: { description: 'The comments, lowest score first.', content: json(CommentsPage) }, ...errors(400, 401, 404, 429) },
  },
  {
    method: 'put',
    path: '/api/v1/lists/{id}/comments/{responseId}/themes',
    tags: ['Lists and reports'],
    summary: "Correct a comment's themes (and sentiment): kept, audited, never overwritten by a re-classification",
    request: {
      params: z.object({ id: ListId, responseId: ResponseId }),
      body: { required: true, content: json(ThemesCorrection.meta({ id: 'ThemesCorrection' })) },
    },
    responses: { 200: { description: 'The comment as corrected.', content: json(Corrected) }, ...errors(400, 401, 404, 409, 413, 429) },
  },
  {
    method: 'get',
    path: '/api/v1/cases',
    tags: ['Follow-up cases'],
    summary: "The caller's follow-up cases, newest first",
    request: { query: CasesQuery },
    responses: { 200: { description: 'A page of cases.', content: json(CasesPage) }, ...errors(400, 401, 429) },
  },
  {
    method: 'patch',
    path: '/api/v1/cases/{id}',
    tags: ['Follow-up cases'],
    summary: "Update a case's owner, status or note",
    request: { params: z.object({ id: CaseId }), body: { required: true, content: json(CasePatch.meta({ id: 'CasePatch' })) } },
    responses: { 200: { description: 'The case as updated.', content: json(Case) }, ...errors(400, 401, 404, 413, 429) },
  },
  callback('get', '/webhooks/answer/{ref}', 'Answer URL (GET form): the call was answered', { params: z.object({ ref: CallRef }) }, { 200: ncco }),
  callback('post', '/webhooks/answer/{ref}', 'Answer URL: the call was answered', { params: z.object({ ref: CallRef }), body: { content: json(z.looseObject({})) } }, { 200: ncco }),
  callback(
    'post',
    '/webhooks/event/{ref}',
    'Event URL: a status change, an error or a recording',
    { params: z.object({ ref: CallRef }), body: { content: json(z.union([StatusEventBody.meta({ id: 'StatusEvent' }), RecordingBody.meta({ id: 'RecordingEvent' }), z.looseObject({})])) } },
    { 204: { description: 'Stored.' } },
  ),
  callback(
    'post',
    '/webhooks/input/{ref}',
    'Input URL: the keys the callee pressed',
    { params: z.object({ ref: CallRef }), query: z.object({ step: InputStepQuery.optional() }), body: { content: json(InputBody.meta({ id: 'InputEvent' })) } },
    { 200: ncco },
  ),
  callback('post', '/webhooks/transcription/{ref}', "Transcription: the provider's transcript of a comment is ready (or failed)", { params: z.object({ ref: CallRef }), body: { content: json(TranscriptionBody) } }, { 204: { description: 'The transcript download is queued (or the failure stored).' } }),
  callback('post', '/webhooks/recording/{ref}', 'Recording URL: a comment recording is ready', { params: z.object({ ref: CallRef }), body: { content: json(RecordingBody) } }, { 204: { description: 'The download is queued.' } }),
];

function buildDocument() {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'The client\'s API key, printed once by `nps-dialer clients add`: `Authorization: Bearer npsk_…`.',
  });
  registry.registerComponent('securitySchemes', 'vonageSignature', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'Vonage signed callbacks: HS256 under the account signature secret.',
  });
  for (const { name, description } of Object.values(ERROR_RESPONSES)) {
    registry.registerComponent('responses', name, { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
  }
  for (const route of ROUTES) registry.registerPath(route);
  const generator = new OpenApiGeneratorV31([...registry.definitions, { type: 'schema', schema: ErrorBody }]);
  return generator.generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'nps-dialer client API',
      version: '1',
      description:
        "A client's lists, their NPS reports and comment recordings, triggered post-call surveys and detractor follow-up cases, with the client's API key; signed links that need none; and the Vonage callbacks. Errors are `{\"error\": {\"code\", \"message\"}}`. The guide is docs/api.md.",
    },
    security: [{ apiKey: [] }],
    tags: [
      { name: 'Discovery' },
      { name: 'Lists and reports' },
      { name: 'Signed links', description: 'No API key: the signed token is the credential.' },
      { name: 'Triggered surveys' },
      { name: 'Follow-up cases' },
      { name: 'Vonage callbacks', description: 'For the Vonage Voice API, not for clients.' },
    ],
  });
}

let built: ReturnType<typeof buildDocument> | undefined;

/** The OpenAPI 3.1 document of the HTTP server (built once). */
export function apiDocument(): ReturnType<typeof buildDocument> {
  built ??= buildDocument();
  return built;
}
