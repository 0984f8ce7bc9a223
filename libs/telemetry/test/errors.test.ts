import { describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { FleetstreamError, isRetryable } from '@fleetstream/stream/errors';
import {
  TelemetryErrorCodes,
  TELEMETRY_ERROR_DESCRIPTIONS,
  TelemetryError,
  isTelemetryError,
} from '../src/index.ts';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** Rows of the README's error code table: code -> description (cells trimmed). */
const documented = new Map(
  readme
    .split('\n')
    .map((line) => line.split('|').map((cell) => cell.trim()))
    .filter((cells) => cells.length === 4 && /^`[A-Z_]+`$/.test(cells[1]!))
    .map((cells) => [cells[1]!.slice(1, -1), cells[2]!] as const),
);

describe('error codes', () => {
  it.each(TelemetryErrorCodes.map((code) => [code]))(
    '%s is documented in the README codes table',
    (code) => {
      expect(documented.get(code)).toBe(TELEMETRY_ERROR_DESCRIPTIONS[code]);
    },
  );

  it('has a description for every code and no other', () => {
    expect(Object.keys(TELEMETRY_ERROR_DESCRIPTIONS).sort()).toEqual(
      [...TelemetryErrorCodes].sort(),
    );
  });

  it('lists in the README only codes that exist, in their order', () => {
    expect([...documented.keys()]).toEqual([...TelemetryErrorCodes]);
  });
});

describe('TelemetryError', () => {
  it('carries code, offset, details and cause, and is never retryable', () => {
    const cause = new Error('inner');
    const err = new TelemetryError('TELEMETRY_CRC_MISMATCH', 'bad crc', {
      offset: 57,
      details: { stored: 1 },
      cause,
    });
    expect(err).toMatchObject({
      name: 'TelemetryError',
      code: 'TELEMETRY_CRC_MISMATCH',
      offset: 57,
      details: { stored: 1 },
      retryable: false,
      cause,
    });
    expect(isTelemetryError(err)).toBe(true);
    expect(err).toBeInstanceOf(FleetstreamError);
    expect(isRetryable(err)).toBe(false);
  });
});
