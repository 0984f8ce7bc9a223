import { bearerToken, createTokenCheck } from '../src/token-auth.ts';
import { GatewayErrorCodes } from '../src/errors.ts';
import { readFileSync } from 'node:fs';

describe('bearer tokens', () => {
  it.each([
    [undefined, undefined],
    ['Basic abc', undefined],
    ['Bearer', undefined],
    ['Bearer abc', 'abc'],
    ['bearer  abc ', 'abc'],
  ])('reads %j as %j', (header, token) => {
    expect(bearerToken(header)).toBe(token);
  });

  it('accepts every configured token and nothing else (other lengths, prefixes, case)', () => {
    // Prepare
    const check = createTokenCheck(['alpha', 'beta-long-token']);

    // Act + Assess
    expect([check('alpha'), check('beta-long-token'), check('alph'), check('alphaa'), check('Alpha'), check('')]).toEqual([true, true, false, false, false, false]);
  });

  it('refuses everything when no token is configured', () => {
    expect(createTokenCheck([])('anything')).toBe(false);
  });
});

describe('the error codes', () => {
  it('are each documented in the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    for (const code of GatewayErrorCodes) expect(readme).toContain(`\`${code}\``);
  });
});
