/**
 * Worker-thread entry for recording downloads (see workerDownloads): the HTTP exchange and the file
 * write of each comment run here, off the thread that answers the webhooks.
 */
import { parentPort } from 'node:worker_threads';
import { downloadRecording, type DownloadResult, type RecordingHostPolicy } from '../telephony/index.js';

export interface DownloadWorkerRequest {
  id: number;
  url: string;
  /** The `Authorization` header value, minted by the dialer thread. */
  authorization: string;
  policy: RecordingHostPolicy;
  directory: string;
  baseName: string;
}

export interface DownloadWorkerReply {
  id: number;
  result: DownloadResult;
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (request: DownloadWorkerRequest) => {
    void downloadRecording({
      url: request.url,
      authorization: () => Promise.resolve(request.authorization),
      policy: request.policy,
      directory: request.directory,
      baseName: request.baseName,
    }).then((result) => port.postMessage({ id: request.id, result } satisfies DownloadWorkerReply));
  });
}
