/**
 * The sandbox's real-time axis: rate-limit windows, webhook timeouts and the pace at which
 * simulated time passes. Wall-clock timestamps come from the injected Clock instead; these two
 * never mix, so a test can freeze or jump the wall clock without stalling calls.
 */
export const realNowMs = (): number => performance.now();
