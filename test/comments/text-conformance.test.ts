import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll } from '@jest/globals';
import { parseSpokenComment, ProviderTranscripts } from '../../src/comments/index.js';
import { commentTextConformance, type Said } from './text-conformance.js';

/**
 * Both ways comment text reaches the app pass one contract: the provider's transcript of a
 * recording, downloaded over real HTTP (loopback) by ProviderTranscripts, and the speech input's
 * result, read by parseSpokenComment.
 */

/** The transcript document the provider serves for `said` (reference §6 `record`, transcription). */
function transcriptDocument(said: Said): unknown {
  if (said === 'malformed') return { status: 'done', text: 'no channels here' };
  // A transcription the provider refused has no document at its URL; the nearest a download meets is one without channels.
  if (said === 'refused') return { ver: '1.0.19', request_id: 'r', error: 'transcription failed' };
  if (said === 'silence') return { ver: '1.0.19', request_id: 'r', channels: [{ transcript: [], duration: 4 }] };
  const words = said.words.split(/\s+/).filter(Boolean);
  return {
    ver: '1.0.19',
    request_id: 'r',
    channels: [{ transcript: [{ sentence: said.words, raw_sentence: said.words, words: words.map((word) => (said.confidence === undefined ? { word } : { word, confidence: said.confidence })) }], duration: 4 }],
  };
}

/** The speech input's `speech` object for `said` (NCCO reference, input webhook). */
function speechResult(said: Said): unknown {
  if (said === 'malformed') return 'recognised: yes';
  if (said === 'refused') return { error: 'Speech recognition failed' };
  if (said === 'silence') return { timeout_reason: 'start_timeout', results: [] };
  return { timeout_reason: 'end_on_silence_timeout', results: [said.confidence === undefined ? { text: said.words } : { text: said.words, confidence: said.confidence }] };
}

let server: Server;
const documents = new Map<string, unknown>();
let base = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    const document = documents.get(req.url ?? '');
    if (req.headers.authorization !== 'Bearer test') return void res.writeHead(401).end();
    if (document === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

commentTextConformance('the provider transcript of a recording (ProviderTranscripts over HTTP)', () => {
  const transcripts = new ProviderTranscripts({ authorization: () => Promise.resolve('Bearer test'), policy: { apiHost: base, extraHosts: [] } });
  return {
    read: (said) => {
      const path = `/v1/files/${documents.size + 1}`;
      documents.set(path, transcriptDocument(said));
      return transcripts.fetchText(`${base}${path}`, new AbortController().signal);
    },
  };
});

commentTextConformance('the speech input result of a spoken comment (parseSpokenComment)', () => ({
  read: (said) => Promise.resolve(parseSpokenComment(speechResult(said)).text),
}));
