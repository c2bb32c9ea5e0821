export { mountConsole, type ConsoleDeps } from './routes.js';
export type { OperatorDeps } from './operator.js';
