export { buildReport, listComments, loadListHeader, type ListHeader, type ReportDeps } from './builder.js';
export * from './model.js';
export * from './stats.js';
