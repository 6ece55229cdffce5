import { createHash } from 'node:crypto';
import { listedIn, rangeQuery } from '../../src/passwords/breached-passwords';

describe('the range query', () => {
  it('splits the SHA-1 of the NFKC form into five hex digits sent and 35 kept', () => {
    const hash = createHash('sha1').update('password', 'utf8').digest('hex').toUpperCase();
    expect(rangeQuery('password')).toEqual({ prefix: hash.slice(0, 5), suffix: hash.slice(5) });
    expect(rangeQuery('ｐａｓｓｗｏｒｄ')).toEqual(rangeQuery('password'));
    expect(rangeQuery('password').prefix).toMatch(/^[0-9A-F]{5}$/);
  });

  it('matches a listed suffix with a count, case-insensitively, never a padding line', () => {
    const { suffix } = rangeQuery('password');
    expect(listedIn(`0018A45C4D1DEF81644B54AB7F969B88D65:1\r\n${suffix.toLowerCase()}:52256179\r\n`, suffix)).toBe(true);
    expect(listedIn(`${suffix}:0\r\n`, suffix)).toBe(false);
    expect(listedIn('', suffix)).toBe(false);
  });
});
