/*
 * The Vonage sandbox: a local HTTP server that speaks the Vonage Voice API wire protocol, with
 * scripted virtual callees. Other modules import only from here. See docs/sandbox.md.
 */
export { startSandbox } from './server.js';
export { POOL_LANGUAGES } from './comments.js';
export { loadScenarioFile, parseScenario, Scenario, PopulationOptions, FaultOptions, CalleeAttempt } from './scenario.js';
export { type Sandbox, type SandboxOptions, type SandboxCallRecord } from './types.js';
export { ensureSandboxCredentials } from './credentials.js';
export { type RedeliveryToken } from './webhooks.js';
