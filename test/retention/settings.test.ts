/** Retention settings: off by default (everything kept, as before), bounded values, clear errors. */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.js';

describe('retention settings', () => {
  it('keep everything unless set, and sweep (to measure) every minute', () => {
    expect(loadConfig({}).retention).toEqual({ resultTtlS: 0, taskTtlS: 0, resultsMaxBytes: 0, sweepMs: 60_000 });
  });

  it('read every variable', () => {
    expect(loadConfig({
      BACKSERV_RESULT_TTL_S: '86400', BACKSERV_TASK_TTL_S: '604800', BACKSERV_RESULTS_MAX_BYTES: '10737418240', BACKSERV_RETENTION_SWEEP_MS: '0',
    }).retention).toEqual({ resultTtlS: 86_400, taskTtlS: 604_800, resultsMaxBytes: 10_737_418_240, sweepMs: 0 });
  });

  it('refuse malformed values, naming the variable', () => {
    expect(() => loadConfig({ BACKSERV_RESULT_TTL_S: '-1' })).toThrow(/BACKSERV_RESULT_TTL_S/);
    expect(() => loadConfig({ BACKSERV_TASK_TTL_S: '1.5' })).toThrow(/BACKSERV_TASK_TTL_S/);
    expect(() => loadConfig({ BACKSERV_RESULTS_MAX_BYTES: '10GB' })).toThrow(/BACKSERV_RESULTS_MAX_BYTES/);
    expect(() => loadConfig({ BACKSERV_RETENTION_SWEEP_MS: '50' })).toThrow(/BACKSERV_RETENTION_SWEEP_MS must be 0 \(off\) or at least 100/);
  });
});
