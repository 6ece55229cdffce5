import { PasswordPolicy, PASSWORD_MAX_LENGTH } from '../../src/passwords/password-policy';

describe('the password policy (src/passwords/password-policy.ts)', () => {
  const policy = new PasswordPolicy(8);
  beforeAll(() => policy.start());

  it('counts code points, not bytes or UTF-16 units, and not the spaces at either end', () => {
    expect(policy.problem('😀😀😀😀😀😀😀😀')).toBeUndefined();
    expect(policy.problem('😀😀😀😀😀😀😀')).toMatch(/at least 8/);
    expect(policy.problem('  ab  cd  ')).toMatch(/not counting spaces/);
    expect(policy.problem('x'.repeat(PASSWORD_MAX_LENGTH + 1))).toMatch(/at most/);
  });

  it('refuses the common passwords in any case, width or spacing, and nothing for its composition', () => {
    for (const common of ['password', 'PASSWORD', 'ｐａｓｓｗｏｒｄ', 'pass word', 'password1 ']) expect(policy.problem(common)).toMatch(/most common/);
    expect(policy.problem('correct horse battery staple')).toBeUndefined();
    expect(policy.problem('aaaaaaaaaaaaaaa')).toBeUndefined();
  });

  it('takes a configured minimum up to 15', () => {
    expect(new PasswordPolicy(15).problem('fourteen chars')).toMatch(/at least 15/);
  });
});
