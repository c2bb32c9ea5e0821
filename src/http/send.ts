import { pipeline } from 'node:stream/promises';
import type { NextFunction, Response } from 'express';
import type { RecordingFile, RenderedReport } from '../reports/index.js';

/**
 * Sends a rendered report, never cached by a proxy. `inline`: JSON and HTML open in the browser
 * and CSV downloads (the API); `attachment`: everything downloads (the console's buttons). Our
 * file names are plain ASCII.
 */
export async function sendReport(res: Response, report: RenderedReport, disposition: 'inline' | 'attachment' = 'inline'): Promise<void> {
  res.type(report.contentType);
  res.set('Cache-Control', 'private, no-store');
  res.set('Content-Disposition', `${disposition === 'attachment' || report.format === 'csv' ? 'attachment' : 'inline'}; filename="${report.filename}"`);
  if (typeof report.body === 'string') {
    res.send(report.body);
    return;
  }
  await pipeline(report.body, res);
}

/** Sends a comment recording's file, never cached by a proxy. */
export function sendRecording(res: Response, next: NextFunction, file: RecordingFile): void {
  res.sendFile(file.path, { headers: { 'Content-Type': file.contentType, 'Cache-Control': 'private, no-store' }, dotfiles: 'allow' }, (error) => {
    if (error && !res.headersSent) next(error);
  });
}
